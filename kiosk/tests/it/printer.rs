//! Ticket printing as the citizen gets it: the encoded ticket decoded back (content, code page,
//! raster lines for other scripts, paper width), the printer configuration, and printing through a
//! fake network printer in each of its states.

use std::time::Duration;

use expect_test::{Expect, expect};
use turno_kiosk::printer::{
    Decoded, FakePrinter, FakeState, Justify, NetworkTransport, PaperWidth, PrintFailureKind, PrintWarning,
    PrinterConfig, PrinterDriver, PrinterHealth, TextEncoding, TicketFonts, TicketLabels, TicketPrint, Timeouts,
    Transport, decode, encode_ticket, encode_ticket_with_fonts, open_transport, print_ticket,
};

/// The rating code of the tickets below, as printed.
const RATING_CODE: &str = "C007-4Q8ZR";

fn italian_labels() -> TicketLabels {
    TicketLabels {
        people_ahead: "Persone prima di lei".into(),
        estimated_wait: "Attesa stimata".into(),
        minutes: "{} min".into(),
        wait_unknown: "non disponibile".into(),
        documents: "Documenti da portare".into(),
        follow_your_turn: "Segua il suo turno dal telefono".into(),
        rate_your_visit: "Dopo la visita, ci dica com'è andata".into(),
        rating_code: "Codice per la valutazione".into(),
        priority: "Precedenza".into(),
        footer: "Città di Forlì - Perché l'attesa sia più breve, può tenere pronti i documenti".into(),
    }
}

fn italian_ticket(paper: PaperWidth) -> TicketPrint {
    TicketPrint {
        office_name: "Comune di Forlì – Servizi Demografici".into(),
        issued_at: "martedì 3 marzo 2026, 09:41".into(),
        service_name: "Carta d’identità elettronica".into(),
        number: "C007".into(),
        priority: true,
        people_ahead: 4,
        estimated_wait_minutes: Some(25),
        estimated_wait_range: None,
        documents: vec![
            "Fototessera recente".into(),
            "Vecchio documento o denuncia di smarrimento".into(),
            "Pagamento: 22,21 € (PagoPA o bancomat)".into(),
        ],
        status_url: "https://turno.example.it/t/C007?d=2026-03-03&k=7f3a".into(),
        rating_code: RATING_CODE.parse().unwrap(),
        language: "it".into(),
        labels: italian_labels(),
        paper,
    }
}

fn arabic_ticket(paper: PaperWidth) -> TicketPrint {
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
        ..italian_ticket(paper)
    }
}

fn ukrainian_ticket(paper: PaperWidth) -> TicketPrint {
    TicketPrint {
        priority: false,
        estimated_wait_minutes: None,
        language: "uk".into(),
        labels: TicketLabels {
            people_ahead: "Людей перед вами".into(),
            estimated_wait: "Очікування".into(),
            minutes: "{} хв".into(),
            wait_unknown: "невідомо".into(),
            documents: "Документи".into(),
            follow_your_turn: "Стежте за чергою з телефону".into(),
            rate_your_visit: "Оцініть ваш візит".into(),
            rating_code: "Код для оцінки".into(),
            priority: "Пріоритет".into(),
            footer: "Дякуємо!".into(),
        },
        ..italian_ticket(paper)
    }
}

fn check_decoded(ticket: &TicketPrint, expected: Expect) {
    expected.assert_eq(&decode(&encode_ticket(ticket)).to_string());
}

#[test]
fn italian_ticket_decodes_to_its_content_in_code_page_pc858() {
    check_decoded(
        &italian_ticket(PaperWidth::Mm80),
        expect![[r#"
            [init]
            [code page 19 PC858]
            [center]
            [bold on]
            | Comune di Forlì - Servizi Demografici
            [bold off]
            | martedì 3 marzo 2026, 09:41
            |
            [bold on]
            [size 1x2]
            | Carta d'identità elettronica
            [size 1x1]
            [reverse on]
            | » Precedenza «
            [size 8x8]
            [reverse off]
            | C007
            [size 1x1]
            |
            [bold off]
            | Persone prima di lei: 4
            | Attesa stimata: 25 min
            |
            [left]
            [bold on]
            | Documenti da portare:
            [bold off]
            | - Fototessera recente
            | - Vecchio documento o denuncia di smarrimento
            | - Pagamento: 22,21 € (PagoPA o bancomat)
            |
            [center]
            [QR module 8 ec M] https://turno.example.it/t/C007?d=2026-03-03&k=7f3a
            | Segua il suo turno dal telefono
            |
            | Dopo la visita, ci dica com'è andata
            | Codice per la valutazione:
            [bold on]
            [size 2x2]
            | C007-4Q8ZR
            [bold off]
            [size 1x1]
            [CODE128 134 modules × 3 dots = 402 dots, height 80] C0074Q8ZR
            |
            | Città di Forlì - Perché l'attesa sia più breve,
            | può tenere pronti i documenti
            [full cut]
        "#]],
    );
}

#[test]
fn italian_ticket_holds_number_service_codes_and_accented_letters_as_text() {
    let printout = decode(&encode_ticket(&italian_ticket(PaperWidth::Mm80)));
    let text = printout.text();
    for expected in [
        "C007",
        "Carta d'identità elettronica",
        "22,21 €",
        "Forlì",
        "Perché",
        "più",
        "può",
        "com'è",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from\n{text}");
    }
    for letter in ['à', 'è', 'é', 'ì', 'ò', 'ù', '€'] {
        assert!(text.contains(letter), "{letter} missing");
    }
    assert_eq!(printout.code_pages(), [19]);
    assert_eq!(printout.rasters().count(), 0, "Italian needs no image");
    let number = printout.lines().find(|line| line.text == "C007").unwrap();
    assert_eq!((number.width, number.height, number.justify), (8, 8, Justify::Center));
    assert_eq!(
        printout.qr_codes().map(|qr| qr.payload.as_str()).collect::<Vec<_>>(),
        ["https://turno.example.it/t/C007?d=2026-03-03&k=7f3a"]
    );
    assert_eq!(
        printout
            .barcodes()
            .map(|b| (b.symbology, b.payload.as_str()))
            .collect::<Vec<_>>(),
        [("CODE128", "C0074Q8ZR")],
        "the rating code without its dash"
    );
    let code = printout.lines().find(|line| line.text == RATING_CODE).unwrap();
    assert_eq!(
        (code.width, code.height, code.bold),
        (2, 2, true),
        "the rating code, large"
    );
    assert_eq!(printout.cuts(), 1);
    assert!(matches!(
        printout.items.last(),
        Some(turno_kiosk::printer::Item::Cut { .. })
    ));
}

#[test]
fn the_58mm_paper_picture_shows_the_layout() {
    let ticket = italian_ticket(PaperWidth::Mm58);
    let picture = decode(&encode_ticket(&ticket)).render_paper(PaperWidth::Mm58.columns());
    expect![[r#"
        |   Comune di Forlì - Servizi    |
        |          Demografici           |
        |  martedì 3 marzo 2026, 09:41   |
        |                                |
        |  Carta d'identità elettronica  |
        |         » Precedenza «         |
        |              C007              |
        |                                |
        |    Persone prima di lei: 4     |
        |     Attesa stimata: 25 min     |
        |                                |
        |Documenti da portare:           |
        |- Fototessera recente           |
        |- Vecchio documento o denuncia  |
        |  di smarrimento                |
        |- Pagamento: 22,21 € (PagoPA o  |
        |  bancomat)                     |
        |                                |
        |[QR https://turno.example.it/t/C|
        |    007?d=2026-03-03&k=7f3a]    |
        |Segua il suo turno dal telefono |
        |                                |
        | Dopo la visita, ci dica com'è  |
        |             andata             |
        |   Codice per la valutazione:   |
        |           C007-4Q8ZR           |
        |      [CODE128 C0074Q8ZR]       |
        |                                |
        |Città di Forlì - Perché l'attesa|
        |sia più breve, può tenere pronti|
        |          i documenti           |
        |- - - - - - - - - - - - - - - - |
    "#]]
    .assert_eq(&picture);
}

#[test]
fn text_lines_never_exceed_the_paper_width() {
    let long = "Sportello unico per le attività produttive e l'edilizia privata del Comune".to_owned();
    for paper in [PaperWidth::Mm58, PaperWidth::Mm80] {
        for mut ticket in [italian_ticket(paper), arabic_ticket(paper), ukrainian_ticket(paper)] {
            ticket.office_name = long.clone();
            ticket.service_name = long.clone();
            ticket.number = "PRIO12".into();
            ticket.documents.push(format!("{long} {long}"));
            ticket
                .documents
                .push("Codicefiscaledelrichiedenteseppureinformatoelettronicoaccettato".into());
            let printout = decode(&encode_ticket(&ticket));
            for line in printout.lines() {
                assert!(
                    line.columns() <= paper.columns(),
                    "{paper}: {:?} takes {} columns",
                    line.text,
                    line.columns()
                );
            }
            for raster in printout.rasters() {
                assert_eq!(raster.width, paper.dots(), "{paper}");
            }
            assert!(
                printout.lines().any(|line| line.text == "PRIO12"),
                "{paper}: the number is text"
            );
        }
    }
}

/// Lines in a script PC858 lacks: images as wide as the paper, with ink; the rest stays text.
fn check_raster_lines(ticket: &TicketPrint, expected_images: usize) {
    let printout = decode(&encode_ticket(ticket));
    let rasters: Vec<_> = printout.rasters().collect();
    assert_eq!(
        rasters.len(),
        expected_images,
        "{}: are the fonts installed (Debian: fonts-noto-core fonts-noto-cjk fonts-dejavu-core)?\n{printout}",
        ticket.language
    );
    for raster in rasters {
        assert_eq!(raster.width, ticket.paper.dots());
        assert!(
            (16..200).contains(&raster.height),
            "a line or two high: {}",
            raster.height
        );
        assert!(raster.ink() > 100, "something is drawn");
    }
    let text = printout.text();
    assert!(
        text.contains("C007") && text.contains("Comune di Forl") && text.contains(RATING_CODE),
        "the number and the rating code are text in every language: {text}"
    );
    assert!(
        text.chars().all(|c| c != '?' && c != char::REPLACEMENT_CHARACTER),
        "{text}"
    );
    assert_eq!(
        (
            printout.qr_codes().count(),
            printout.barcodes().count(),
            printout.cuts()
        ),
        (1, 1, 1)
    );
}

#[test]
fn arabic_labels_print_as_raster_images() {
    // Service, priority, people ahead, wait, documents heading, one Arabic document, QR caption,
    // rating caption, rating code's label, footer.
    check_raster_lines(&arabic_ticket(PaperWidth::Mm80), 10);
}

#[test]
fn ukrainian_labels_print_as_raster_images_on_58mm_paper() {
    // People ahead, wait, documents heading, QR caption, rating caption, rating code's label, footer.
    check_raster_lines(&ukrainian_ticket(PaperWidth::Mm58), 7);
}

#[test]
fn chinese_labels_print_as_raster_images() {
    let mut ticket = ukrainian_ticket(PaperWidth::Mm80);
    ticket.language = "zh".into();
    ticket.labels = TicketLabels {
        people_ahead: "您前面的人数".into(),
        estimated_wait: "预计等待".into(),
        minutes: "{} 分钟".into(),
        wait_unknown: "未知".into(),
        documents: "所需证件".into(),
        follow_your_turn: "用手机查看您的排队进度".into(),
        rate_your_visit: "请评价您的来访".into(),
        rating_code: "评价码".into(),
        priority: "优先".into(),
        footer: "谢谢！".into(),
    };
    check_raster_lines(&ticket, 7);
}

#[test]
fn right_to_left_text_sits_at_the_right_edge() {
    let mut ticket = arabic_ticket(PaperWidth::Mm80);
    ticket.documents = vec!["صورة".into()];
    let printout = decode(&encode_ticket(&ticket));
    // The document line is start-aligned: for Arabic, its ink is on the right half only.
    let document = printout.rasters().nth(5).unwrap();
    let ink_in = |columns: std::ops::Range<u16>| {
        (0..document.height)
            .flat_map(|y| columns.clone().map(move |x| (x, y)))
            .filter(|&(x, y)| document.dot(x, y))
            .count()
    };
    assert_eq!(ink_in(0..288), 0);
    assert!(ink_in(288..576) > 50);
}

#[test]
fn without_fonts_other_scripts_fall_back_to_question_marks() {
    let ticket = arabic_ticket(PaperWidth::Mm58);
    let printout = decode(&encode_ticket_with_fonts(
        &ticket,
        TextEncoding::default(),
        &mut TicketFonts::none(),
    ));
    assert_eq!(printout.rasters().count(), 0);
    let text = printout.text();
    assert!(text.contains("??? ??????? ????: 4"), "{text}");
    assert!(text.contains("C007") && text.contains("- Tessera sanitaria"), "{text}");
    assert!(printout.lines().all(|line| line.columns() <= 32));
}

#[test]
fn the_rating_barcode_fits_both_papers_with_its_quiet_zones() {
    // The longest code: a four-digit number, and no digit pairs to shorten the barcode.
    for (paper, module) in [(PaperWidth::Mm58, 2), (PaperWidth::Mm80, 3)] {
        for code in [RATING_CODE, "Z9999-ZZZZZ"] {
            let mut ticket = italian_ticket(paper);
            ticket.rating_code = code.parse().unwrap();
            let printout = decode(&encode_ticket(&ticket));
            let barcode = printout.barcodes().next().unwrap();
            assert_eq!(barcode.payload, code.replace('-', ""));
            assert_eq!(barcode.module_width, module, "{paper}: {code}");
            let width = barcode.width_dots().unwrap();
            // 10 modules of blank paper each side, within the printable width.
            assert!(
                width + 2 * 10 * usize::from(module) <= usize::from(paper.dots()),
                "{paper}: {code} takes {width} dots"
            );
        }
    }
}

#[test]
fn unknown_wait_and_no_priority() {
    let mut ticket = italian_ticket(PaperWidth::Mm80);
    ticket.priority = false;
    ticket.estimated_wait_minutes = None;
    ticket.documents.clear();
    let printout = decode(&encode_ticket(&ticket));
    let text = printout.text();
    assert!(text.contains("Attesa stimata: non disponibile"), "{text}");
    assert!(!text.contains("Precedenza") && !text.contains("Documenti"), "{text}");
    assert!(printout.lines().all(|line| !line.reverse));
}

#[test]
fn the_wait_prints_as_its_range_beside_an_estimate() {
    let wait_line = |minutes: Option<u32>, range: Option<(u32, u32)>| {
        let mut ticket = italian_ticket(PaperWidth::Mm58);
        ticket.estimated_wait_minutes = minutes;
        ticket.estimated_wait_range = range.map(|(low_minutes, high_minutes)| turno_shared::api::WaitRange {
            low_minutes,
            high_minutes,
        });
        let printout = decode(&encode_ticket(&ticket));
        let lines: Vec<String> = printout
            .lines()
            .filter(|line| line.text.starts_with("Attesa stimata"))
            .map(|line| line.text.clone())
            .collect();
        assert_eq!(lines.len(), 1, "{printout}");
        lines[0].clone()
    };
    // The en dash prints as "-", which PC858 has.
    assert_eq!(wait_line(Some(20), Some((15, 25))), "Attesa stimata: 15-25 min");
    assert_eq!(wait_line(Some(20), None), "Attesa stimata: 20 min");
    assert_eq!(wait_line(Some(1), Some((0, 1))), "Attesa stimata: 1 min");
    assert_eq!(wait_line(None, Some((15, 25))), "Attesa stimata: non disponibile");
}

#[test]
fn printer_configuration_reads_from_toml() {
    let check = |toml_text: &str, expected: PrinterConfig| {
        let parsed: PrinterConfig = toml::from_str(toml_text).unwrap();
        assert_eq!(parsed, expected, "{toml_text}");
        let written = toml::to_string(&parsed).unwrap();
        assert_eq!(
            toml::from_str::<PrinterConfig>(&written).unwrap(),
            expected,
            "{written}"
        );
    };
    check(
        "driver = \"network\"\nhost = \"192.168.1.50\"\npaper = 58\n",
        PrinterConfig::new(
            PrinterDriver::Network {
                host: "192.168.1.50".into(),
                port: 9100,
            },
            PaperWidth::Mm58,
        ),
    );
    check(
        "driver = \"usb\"\nvendor_id = 0x0416\nproduct_id = 0x5011\npaper = \"80mm\"\n",
        PrinterConfig::new(
            PrinterDriver::Usb {
                vendor_id: 0x0416,
                product_id: 0x5011,
            },
            PaperWidth::Mm80,
        ),
    );
    check(
        "driver = \"serial\"\npath = \"/dev/ttyUSB0\"\nbaud_rate = 38400\n",
        PrinterConfig::new(
            PrinterDriver::Serial {
                path: "/dev/ttyUSB0".into(),
                baud_rate: 38400,
            },
            PaperWidth::Mm80,
        ),
    );
    check(
        "driver = \"file\"\npath = \"/dev/usb/lp0\"\npaper = \"58\"\n",
        PrinterConfig::new(
            PrinterDriver::File {
                path: "/dev/usb/lp0".into(),
            },
            PaperWidth::Mm58,
        ),
    );
    check(
        "driver = \"console\"\n",
        PrinterConfig::new(PrinterDriver::Console, PaperWidth::Mm80),
    );
    for bad in [
        "driver = \"laser\"",
        "driver = \"network\"",
        "driver = \"console\"\npaper = 76",
    ] {
        assert!(
            toml::from_str::<PrinterConfig>(bad).is_err(),
            "{bad:?} should be refused"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Printing through the fake network printer

/// Short status timeout: an offline printer costs the test 300 ms.
fn fast_timeouts() -> Timeouts {
    Timeouts {
        status: Duration::from_millis(300),
        ..Timeouts::default()
    }
}

fn transport_to(fake: &FakePrinter) -> NetworkTransport {
    NetworkTransport::new("127.0.0.1", fake.address().port(), fast_timeouts())
}

fn start_fake(state: FakeState) -> FakePrinter {
    let fake = FakePrinter::start().unwrap();
    fake.set_state(state);
    fake
}

/// The printer is in `state`: print_ticket fails with `expected`, and nothing reaches the paper.
fn check_refused(state: FakeState, expected: PrintFailureKind) {
    let fake = start_fake(state);
    let failure = print_ticket(
        &mut transport_to(&fake),
        &italian_ticket(PaperWidth::Mm80),
        TextEncoding::default(),
    )
    .unwrap_err();
    assert_eq!(failure.kind, expected, "{state:?}: {failure}");
    let printout = fake.printout();
    assert!(!printout.prints_anything(), "{state:?}: the fake received\n{printout}");
}

#[test]
fn paper_out_refuses_the_ticket() {
    check_refused(FakeState::PaperOut, PrintFailureKind::PaperOut);
}

#[test]
fn cover_open_refuses_the_ticket() {
    check_refused(FakeState::CoverOpen, PrintFailureKind::CoverOpen);
}

#[test]
fn a_printer_that_does_not_answer_is_offline() {
    check_refused(FakeState::Offline, PrintFailureKind::Offline);
}

#[test]
fn a_printer_that_hangs_up_is_offline() {
    check_refused(FakeState::Unreachable, PrintFailureKind::Offline);
}

#[test]
fn a_connection_lost_while_sending_is_a_write_error() {
    check_refused(FakeState::FailWrites, PrintFailureKind::WriteError);
}

#[test]
fn nothing_listening_is_offline() {
    let port = FakePrinter::start().unwrap().address().port(); // dropped: the port is closed again
    let mut transport = NetworkTransport::new("127.0.0.1", port, fast_timeouts());
    let failure = print_ticket(
        &mut transport,
        &italian_ticket(PaperWidth::Mm80),
        TextEncoding::default(),
    )
    .unwrap_err();
    assert_eq!(failure.kind, PrintFailureKind::Offline, "{failure}");
}

fn check_printed(fake: &FakePrinter, ticket: &TicketPrint) -> Decoded {
    let printout = fake.wait_for_cut(Duration::from_secs(5)).expect("a whole ticket");
    assert_eq!(
        printout,
        decode(&encode_ticket(ticket)),
        "the fake got the encoded ticket"
    );
    assert_eq!(fake.received().iter().filter(|&&b| b == 0x10).count() % 2, 0);
    printout
}

#[test]
fn a_ready_printer_prints_the_ticket() {
    let fake = start_fake(FakeState::Ready);
    let ticket = italian_ticket(PaperWidth::Mm80);
    // The way the kiosk opens it, from its configuration.
    let mut transport = open_transport(&fake.config(PaperWidth::Mm80)).unwrap();
    let report = print_ticket(transport.as_mut(), &ticket, TextEncoding::default()).unwrap();
    assert_eq!((report.health, report.warning), (PrinterHealth::Ready, None));
    assert_eq!(report.bytes_sent, encode_ticket(&ticket).len());
    let printout = check_printed(&fake, &ticket);
    assert!(printout.text().contains("C007"));
    // Before and after the ticket: DLE EOT 1, 2, 4.
    assert_eq!(decode(&fake.received()).status_queries(), 6);
}

#[test]
fn paper_near_end_prints_and_warns() {
    let fake = start_fake(FakeState::PaperNearEnd);
    let ticket = italian_ticket(PaperWidth::Mm58);
    let report = print_ticket(&mut transport_to(&fake), &ticket, TextEncoding::default()).unwrap();
    assert_eq!(
        (report.health, report.warning),
        (PrinterHealth::PaperNearEnd, Some(PrintWarning::PaperNearEnd))
    );
    check_printed(&fake, &ticket);
}

#[test]
fn printing_resumes_when_the_printer_recovers() {
    let fake = start_fake(FakeState::PaperOut);
    let mut transport = transport_to(&fake);
    let ticket = italian_ticket(PaperWidth::Mm80);
    for (state, expected) in [
        (FakeState::PaperOut, PrintFailureKind::PaperOut),
        (FakeState::Offline, PrintFailureKind::Offline),
        (FakeState::FailWrites, PrintFailureKind::WriteError),
    ] {
        fake.set_state(state);
        assert_eq!(
            print_ticket(&mut transport, &ticket, TextEncoding::default())
                .unwrap_err()
                .kind,
            expected
        );
    }
    // Only what follows the faults is checked: a failed write leaves a torn fragment behind.
    fake.clear();
    fake.set_state(FakeState::Ready);
    print_ticket(&mut transport, &ticket, TextEncoding::default()).unwrap();
    check_printed(&fake, &ticket);
    assert!(fake.connections() >= 2, "reconnected after the faults");
}

#[test]
fn health_reports_each_state() {
    let fake = start_fake(FakeState::Ready);
    let mut transport = transport_to(&fake);
    for (state, expected) in [
        (FakeState::Ready, PrinterHealth::Ready),
        (FakeState::PaperNearEnd, PrinterHealth::PaperNearEnd),
        (FakeState::PaperOut, PrinterHealth::PaperOut),
        (FakeState::CoverOpen, PrinterHealth::CoverOpen),
        (FakeState::Offline, PrinterHealth::Offline),
        (FakeState::Ready, PrinterHealth::Ready),
    ] {
        fake.set_state(state);
        assert_eq!(transport.health().unwrap(), expected, "{state:?}");
    }
}

#[test]
fn a_file_collects_the_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tickets.bin");
    let config = PrinterConfig::new(PrinterDriver::File { path: path.clone() }, PaperWidth::Mm58);
    let mut transport = open_transport(&config).unwrap();
    let ticket = italian_ticket(PaperWidth::Mm58);
    let report = print_ticket(transport.as_mut(), &ticket, TextEncoding::default()).unwrap();
    assert_eq!(report.health, PrinterHealth::Ready);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        encode_ticket(&ticket),
        "no status queries in a plain file"
    );
}
