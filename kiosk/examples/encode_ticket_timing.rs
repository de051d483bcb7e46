//! Benchmark of `encode_ticket`: the time to turn an Italian ticket (all code-page text) and an
//! Arabic one (labels rendered as raster images) into ESC/POS bytes.
//!
//! Run with `cargo run --release -p turno-kiosk --example encode_ticket_timing [ITERATIONS]`.

use std::time::{Duration, Instant};

use turno_kiosk::printer::{PaperWidth, TicketLabels, TicketPrint, encode_ticket, preload_fonts};

fn italian() -> TicketPrint {
    TicketPrint {
        office_name: "Comune di Forlì – Servizi Demografici".into(),
        issued_at: "martedì 3 marzo 2026, 09:41".into(),
        service_name: "Carta d’identità elettronica".into(),
        number: "C007".into(),
        priority: true,
        people_ahead: 4,
        estimated_wait_minutes: Some(25),
        documents: vec![
            "Fototessera recente".into(),
            "Vecchio documento o denuncia di smarrimento".into(),
            "Pagamento: 22,21 € (PagoPA o bancomat)".into(),
        ],
        status_url: "https://turno.example.it/t/C007?d=2026-03-03&k=7f3a".into(),
        rating_code: "C007-4Q8ZR".parse().expect("a rating code"),
        language: "it".into(),
        labels: TicketLabels {
            people_ahead: "Persone prima di lei".into(),
            estimated_wait: "Attesa stimata".into(),
            minutes: "{} min".into(),
            wait_unknown: "non disponibile".into(),
            documents: "Documenti da portare".into(),
            follow_your_turn: "Segua il suo turno dal telefono".into(),
            rate_your_visit: "Dopo la visita valuti il servizio al totem".into(),
            rating_code: "Codice per la valutazione".into(),
            priority: "Precedenza".into(),
            footer: "Grazie e arrivederci".into(),
        },
        paper: PaperWidth::Mm80,
    }
}

fn arabic() -> TicketPrint {
    TicketPrint {
        service_name: "بطاقة الهوية الإلكترونية".into(),
        documents: vec!["صورة شخصية حديثة".into(), "Tessera sanitaria".into()],
        language: "ar".into(),
        labels: TicketLabels {
            people_ahead: "عدد الأشخاص قبلك".into(),
            estimated_wait: "الانتظار المتوقع".into(),
            minutes: "{} دقيقة".into(),
            wait_unknown: "غير متاح".into(),
            documents: "المستندات المطلوبة".into(),
            follow_your_turn: "تابع دورك من هاتفك".into(),
            rate_your_visit: "قيّم زيارتك بعد انتهائها".into(),
            rating_code: "رمز التقييم".into(),
            priority: "أولوية".into(),
            footer: "شكراً لزيارتك".into(),
        },
        ..italian()
    }
}

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
    println!("command: cargo run --release -p turno-kiosk --example encode_ticket_timing {iterations}");

    let start = Instant::now();
    preload_fonts();
    println!("loading the system fonts (once per process): {:.3?}", start.elapsed());
    let start = Instant::now();
    let _ = encode_ticket(&arabic());
    println!(
        "first Arabic ticket (font files opened, caches cold): {:.3?}",
        start.elapsed()
    );

    println!("{iterations} iterations each, 80 mm paper:");
    measure("Italian (text only)", &italian(), iterations);
    measure("Arabic (9 raster lines)", &arabic(), iterations);
}
