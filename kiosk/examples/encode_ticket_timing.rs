//! Benchmark of `encode_ticket`: the time to turn an Italian ticket (all code-page text) and an
//! Arabic one (labels rendered as raster images) into ESC/POS bytes. Both are the kiosk's own ticket
//! for the fixtures' issued ticket (`fixtures::ticket_print`, words from the window's translations),
//! not tickets made up here.
//!
//! Run with `cargo run --release -p turno-kiosk --features test-support --example encode_ticket_timing [ITERATIONS]`.

use std::time::{Duration, Instant};

use turno_kiosk::fixtures;
use turno_kiosk::lang::Language;
use turno_kiosk::printer::{PaperWidth, TicketPrint, encode_ticket, preload_fonts};
use turno_ui::KioskWindow;

fn measure(name: &str, ticket: &TicketPrint, iterations: usize) {
    let mut times: Vec<Duration> = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            let bytes = encode_ticket(ticket);
            let elapsed = start.elapsed();
            std::hint::black_box(bytes);
            elapsed
        })
        .collect();
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    println!(
        "{name:<22} {:>6} bytes  mean {:>9.3?}  p50 {:>9.3?}  p95 {:>9.3?}  max {:>9.3?}",
        encode_ticket(ticket).len(),
        mean,
        at(0.5),
        at(0.95),
        at(1.0),
    );
}

fn main() {
    let iterations: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200)
        .max(1);
    println!(
        "command: cargo run --release -p turno-kiosk --features test-support --example encode_ticket_timing {iterations}"
    );
    // The window only lends its translations to the tickets' words.
    i_slint_backend_testing::init_no_event_loop();
    let window = KioskWindow::new().expect("the kiosk's window");
    let arabic = fixtures::ticket_print(&window, Language::Arabic, PaperWidth::Mm80);
    let italian = fixtures::ticket_print(&window, Language::Italian, PaperWidth::Mm80);
    let raster_lines = |t: &TicketPrint| turno_kiosk::printer::decode(&encode_ticket(t)).rasters().count();

    let start = Instant::now();
    preload_fonts();
    println!("loading the system fonts (once per process): {:.3?}", start.elapsed());
    let start = Instant::now();
    let _ = encode_ticket(&arabic);
    println!(
        "first Arabic ticket (font files opened, caches cold): {:.3?}",
        start.elapsed()
    );

    println!("{iterations} iterations each, 80 mm paper:");
    measure("Italian (text only)", &italian, iterations);
    let label = format!("Arabic ({} raster images)", raster_lines(&arabic));
    measure(&label, &arabic, iterations);
}
