//! Two consoles pressing Call next at the same instant never get the same ticket: the server decides,
//! and each console shows the ticket it was answered.

use std::collections::HashSet;

use turno_console::controller::Key;

use crate::support::{Office, Ui, runtime};

#[test]
fn two_consoles_calling_at_once_get_different_tickets() {
    let rt = runtime();
    let office = Office::start();
    // Sportello 1 and Sportello 2 both serve Anagrafe.
    for _ in 0..6 {
        office.issue(&rt, 1, "it");
    }
    let one = Ui::connected(&rt, &office.url);
    one.sign_in("mrossi", '1');
    let two = Ui::connected(&rt, &office.url);
    two.sign_in("lbianchi", '2');
    let mut seen = HashSet::new();
    for _ in 0..3 {
        // Both requests leave before either answer is read.
        one.press(Key::F(1));
        two.press(Key::F(1));
        for ui in [&one, &two] {
            ui.wait("a ticket", |ui| ui.view().ticket.is_some() && !ui.view().busy);
        }
        let (a, b) = (one.view().ticket.unwrap(), two.view().ticket.unwrap());
        assert_ne!(a.number, b.number, "both consoles show the same ticket");
        assert!(
            seen.insert(a.number.clone()) && seen.insert(b.number.clone()),
            "{seen:?}"
        );
        // Each console shows what the server holds at its counter.
        let admin = office.user(&rt, "admin");
        for (counter, shown) in [(1, &a.number), (2, &b.number)] {
            let status = rt.block_on(admin.counter_status(counter)).unwrap();
            assert_eq!(&status.current.unwrap().number.to_string(), shown);
        }
        for ui in [&one, &two] {
            ui.press(Key::F(5));
            ui.wait_no_ticket();
        }
    }
}
