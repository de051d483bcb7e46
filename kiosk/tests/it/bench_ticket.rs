//! The benchmark measures the ticket the kiosk prints: `examples/kiosk-bench.rs` is compiled here
//! and its ticket compared with the one the kiosk hands to its printer for the same issued ticket, so
//! a benchmark that builds a ticket of its own (as it once did, with the token where the number goes)
//! fails this test.

use std::sync::{Arc, Mutex};

use turno_kiosk::controller::Input;
use turno_kiosk::fixtures;
use turno_kiosk::kiosk::{self, Backend};
use turno_kiosk::printer::{TicketPrint, encode_ticket};
use turno_shared::api::{IssueRequest, RatingRequest};
use turno_ui::KioskWindow;

use crate::support::{Ui, init_slint};

#[path = "../../examples/kiosk-bench.rs"]
#[allow(dead_code)]
mod kiosk_bench;

/// A backend that keeps the tickets the kiosk sends to the printer.
struct Recorder(Arc<Mutex<Vec<TicketPrint>>>);

impl Backend for Recorder {
    fn load_office(&self) {}
    fn issue(&self, _: IssueRequest) {}
    fn rate(&self, _: RatingRequest) {}
    fn print(&self, _: i64, ticket: TicketPrint) {
        self.0.lock().unwrap().push(ticket);
    }
}

#[test]
fn the_benchmark_prints_the_ticket_the_kiosk_prints() {
    init_slint();
    let printed = Arc::new(Mutex::new(Vec::new()));
    let (_, inbox) = kiosk::channel(|| {});
    let ui = Ui::with_backend(
        KioskWindow::new().unwrap(),
        Box::new(Recorder(printed.clone())),
        inbox,
        fixtures::PUBLIC_URL,
    );
    let office = fixtures::office();
    ui.kiosk.input(Input::OfficeLoaded(Ok(office.clone())));
    let (_, to_ticket) = fixtures::screens()
        .into_iter()
        .find(|(name, _)| *name == "ticket")
        .unwrap();
    for input in to_ticket {
        ui.kiosk.input(input);
    }
    let printed = printed.lock().unwrap().clone();
    assert_eq!(printed.len(), 1, "the kiosk printed the ticket once");
    let kiosks = &printed[0];
    assert_eq!(kiosks.number, "A008");

    let bench = kiosk_bench::ticket_print(
        &KioskWindow::new().unwrap(),
        &office.name,
        fixtures::PUBLIC_URL,
        &fixtures::issued(),
        &office.services[0],
    );
    assert_eq!(&bench, kiosks);
    assert_eq!(encode_ticket(&bench), encode_ticket(kiosks));
    assert!(bench.status_url.ends_with(fixtures::TOKEN) && !bench.number.contains(fixtures::TOKEN));
}
