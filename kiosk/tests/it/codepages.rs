//! Printers that number their code pages differently: the ticket's text in each table the settings
//! offer, selected by the number the settings give, read back by the test decoder as a printer with
//! that numbering prints it; characters a table lacks as raster images (or the nearest characters);
//! the `print-test` page, from the library and from the `turno-kiosk print-test` command.

use std::process::Command;

use turno_kiosk::fixtures;
use turno_kiosk::printer::{
    CodePage, Decoded, MissingCharacters, Numbering, PaperWidth, PrinterConfig, PrinterDriver, TEST_LETTERS,
    TEST_TICKET_LINE, Table, TextEncoding, TicketLabels, TicketPrint, decode, decode_with, encode_test_page,
    encode_ticket_for,
};
use turno_shared::api::Localized;

const PAYMENT: &str = "Pagamento: € 22,21";

/// The kiosk's ticket for the fixtures' issued ticket, with a document that holds `€`.
fn ticket() -> TicketPrint {
    let office = fixtures::office();
    let mut service = office.services[0].clone();
    service.documents.push(Localized::it(PAYMENT));
    let labels = TicketLabels {
        people_ahead: "Persone prima di lei".into(),
        estimated_wait: "Attesa stimata".into(),
        minutes: "{} min".into(),
        documents: "Documenti da portare".into(),
        ..TicketLabels::default()
    };
    TicketPrint::from_issued(
        &fixtures::issued(),
        &service,
        &office.name,
        &turno_kiosk::kiosk::TicketSettings {
            public_url: fixtures::PUBLIC_URL.to_owned(),
            paper: PaperWidth::Mm80,
        },
        turno_kiosk::lang::Language::Italian,
        &[],
        labels,
    )
}

fn encoding(table: Table, number: Option<u8>, missing: MissingCharacters) -> TextEncoding {
    TextEncoding {
        code_page: match number {
            Some(n) => CodePage { table, number: Some(n) },
            None => CodePage::epson(table),
        },
        missing,
    }
}

fn has_line(printout: &Decoded, text: &str) -> bool {
    printout.lines().any(|line| line.text.contains(text))
}

/// A numbering of another vendor's kind (hypothetical, as the Xprinter's differs from Epson's): PC858
/// at 14, WPC1252 at 71, and at 19 a table the decoder does not know.
fn other_vendor() -> Numbering {
    Numbering::new([
        (0, Table::Pc437),
        (2, Table::Pc850),
        (14, Table::Pc858),
        (71, Table::Wpc1252),
    ])
}

#[test]
fn every_table_with_the_letters_prints_carta_d_identita_selected_by_its_epson_number() {
    for (table, number, has_euro) in [
        (Table::Pc858, 19, true),
        (Table::Wpc1252, 16, true),
        (Table::Iso8859_15, 40, true),
        (Table::Pc850, 2, false),
        (Table::Pc437, 0, false),
        (Table::Pc860, 3, false),
        (Table::Pc863, 4, false),
        (Table::Pc865, 5, false),
    ] {
        let bytes = encode_ticket_for(&ticket(), encoding(table, None, MissingCharacters::Raster));
        let printout = decode(&bytes);
        assert_eq!(printout.code_pages(), [number], "{table}");
        assert!(
            has_line(&printout, "Anagrafe - Carta d'identità"),
            "{table}:\n{}",
            printout.text()
        );
        assert!(has_line(&printout, "- Carta d'identità scaduta"), "{table}");
        assert_eq!(has_line(&printout, PAYMENT), has_euro, "{table}:\n{}", printout.text());
        // What the table lacks (only the euro, on this ticket) is the one raster image.
        assert_eq!(printout.rasters().count(), usize::from(!has_euro), "{table}");
        assert!(
            !printout.text().contains('?'),
            "{table}: nothing replaced\n{}",
            printout.text()
        );
    }
}

#[test]
fn on_a_printer_with_another_numbering_the_number_set_in_the_settings_selects_the_table() {
    // The default (PC858 as Epson numbers it) on the other vendor's printer: the report's
    // "Carta d'identit▯".
    let printout = decode_with(&encode_ticket_for(&ticket(), TextEncoding::default()), &other_vendor());
    assert!(has_line(&printout, "Carta d'identit\u{FFFD}"), "{}", printout.text());
    assert!(!has_line(&printout, "Carta d'identità"));

    // Its number set in the settings: right, euro included, as text.
    for (table, number) in [(Table::Pc858, 14), (Table::Wpc1252, 71)] {
        let text = encoding(table, Some(number), MissingCharacters::Raster);
        let printout = decode_with(&encode_ticket_for(&ticket(), text), &other_vendor());
        assert_eq!(printout.code_pages(), [number]);
        assert!(has_line(&printout, "Anagrafe - Carta d'identità"), "{table}");
        assert!(has_line(&printout, PAYMENT), "{table}: {}", printout.text());
        assert_eq!(printout.rasters().count(), 0, "{table}");
    }

    // A table by name in the printer section of the settings.
    let config: PrinterConfig =
        toml::from_str("driver = \"console\"\ncode_page = \"WPC1252\"\ncode_page_number = 71\n").unwrap();
    let printout = decode_with(&encode_ticket_for(&ticket(), config.text_encoding()), &other_vendor());
    assert!(has_line(&printout, PAYMENT));
}

#[test]
fn a_paragraph_with_a_character_missing_from_the_table_is_printed_as_raster() {
    // PC850 has the accented letters but no euro: the euro's paragraph, and it alone, is an image.
    let text = encoding(Table::Pc850, None, MissingCharacters::Raster);
    let printout = decode(&encode_ticket_for(&ticket(), text));
    let rasters: Vec<_> = printout.rasters().collect();
    assert_eq!(rasters.len(), 1);
    assert!(rasters[0].ink() > 100, "the image has the text's ink");
    assert!(!printout.text().contains("Pagamento"));
    assert!(has_line(&printout, "- Carta d'identità scaduta"));

    // ASCII selects no table at all: every paragraph with an accent or the euro is an image.
    let text = encoding(Table::Ascii, None, MissingCharacters::Raster);
    let printout = decode(&encode_ticket_for(&ticket(), text));
    assert_eq!(printout.code_pages(), [] as [u8; 0]);
    assert!(!printout.text().contains("identit"), "{}", printout.text());
    assert!(printout.rasters().count() >= 3);
    assert!(printout.text().bytes().all(|b| b.is_ascii()));

    // The other mode: the nearest characters, as text.
    let text = encoding(Table::Pc850, None, MissingCharacters::Nearest);
    let printout = decode(&encode_ticket_for(&ticket(), text));
    assert_eq!(printout.rasters().count(), 0);
    assert!(has_line(&printout, "Pagamento: EUR 22,21"), "{}", printout.text());
    let text = encoding(Table::Ascii, None, MissingCharacters::Nearest);
    let printout = decode(&encode_ticket_for(&ticket(), text));
    assert!(
        has_line(&printout, "Anagrafe - Carta d'identita"),
        "{}",
        printout.text()
    );
}

fn config(code_page: &str) -> PrinterConfig {
    let mut config = PrinterConfig::new(PrinterDriver::Console, PaperWidth::Mm58);
    config.set_code_page(code_page.parse().unwrap());
    config
}

/// The test page's lines as text, checked for what every page holds.
fn check_test_page(printout: &Decoded, code_page: CodePage) -> String {
    let text = printout.text();
    assert!(text.contains(&format!("code_page = {}\n", code_page.table)), "{text}");
    let number = code_page.number.map_or("no ESC t".to_owned(), |n| format!("ESC t {n}"));
    assert!(text.contains(&format!("code_page_number = {number}\n")), "{text}");
    let qr: Vec<_> = printout.qr_codes().map(|q| q.payload.clone()).collect();
    assert_eq!(qr, [format!("Turno print-test {code_page}")]);
    let barcodes: Vec<_> = printout.barcodes().map(|b| b.payload.clone()).collect();
    assert_eq!(barcodes, ["A0017K3MX"]);
    assert!(text.contains("A001-7K3MX"));
    assert_eq!(printout.cuts(), 1);
    assert!(
        printout.lines().all(|l| l.columns() <= PaperWidth::Mm58.columns()),
        "{text}"
    );
    text
}

#[test]
fn the_test_page_shows_the_table_its_number_the_letters_a_qr_code_and_the_barcode() {
    // PC858 as Epson numbers it: the letters and the euro as text, the same as an image, the
    // ticket's line as text.
    let page = decode(&encode_test_page(&config("PC858")));
    let text = check_test_page(&page, CodePage::epson(Table::Pc858));
    assert!(text.contains(&format!("\n{TEST_LETTERS}\n")), "{text}");
    assert!(text.contains(TEST_TICKET_LINE));
    assert!(!text.contains("not in"));
    assert_eq!(page.rasters().count(), 1, "the letters as an image");
    assert_eq!(page.code_pages(), [19]);

    // PC850 lacks the euro: named, `?` in the text line, and the ticket's line as an image.
    let page = decode(&encode_test_page(&config("PC850")));
    let text = check_test_page(&page, CodePage::epson(Table::Pc850));
    assert!(text.contains("\nàèéìòù ÀÈÉÌÒÙ ?\n"), "{text}");
    assert!(text.contains("not in PC850: U+20AC"), "{text}");
    assert!(!text.contains("Carta d'identità"));
    assert_eq!(page.rasters().count(), 2);

    // Another vendor's number: the page says it, and that printer reads it right.
    let page = decode_with(&encode_test_page(&config("WPC1252:71")), &other_vendor());
    let text = check_test_page(
        &page,
        CodePage {
            table: Table::Wpc1252,
            number: Some(71),
        },
    );
    assert!(text.contains(&format!("\n{TEST_LETTERS}\n")), "{text}");
    assert!(text.contains(TEST_TICKET_LINE));

    // ASCII: no ESC t, every letter an image.
    let page = decode(&encode_test_page(&config("ASCII")));
    let text = check_test_page(&page, CodePage::epson(Table::Ascii));
    assert!(text.contains("\n?????? ?????? ?\n"), "{text}");
    assert_eq!(page.code_pages(), [] as [u8; 0]);
}

#[test]
fn print_test_prints_the_page_on_the_configured_printer() {
    let dir = tempfile::tempdir().unwrap();
    let paper = dir.path().join("paper.bin");
    let settings = dir.path().join("kiosk.toml");
    std::fs::write(
        &settings,
        format!(
            "[printer]\ndriver = \"file\"\npath = {:?}\npaper = 58\ncode_page = \"PC850\"\ncode_page_number = 13\n",
            paper.display().to_string()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_turno-kiosk"))
            .args(args)
            .env_remove("TURNO_KIOSK_CONFIG")
            .output()
            .unwrap()
    };
    // No server nor token needed: only the printer section.
    let out = run(&["print-test", "--config", settings.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("code page PC850 (ESC t 13)"), "{said}");
    let page = decode_with(&std::fs::read(&paper).unwrap(), &Numbering::new([(13, Table::Pc850)]));
    let text = check_test_page(
        &page,
        CodePage {
            table: Table::Pc850,
            number: Some(13),
        },
    );
    assert!(text.contains("\nàèéìòù ÀÈÉÌÒÙ ?\n"), "{text}");

    // The flags override the file.
    let other = dir.path().join("other.bin");
    let printer = format!("file:{}", other.display());
    let out = run(&[
        "print-test",
        "--config",
        settings.to_str().unwrap(),
        "--printer",
        &printer,
        "--code-page",
        "pc858",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = decode(&std::fs::read(&other).unwrap());
    check_test_page(&page, CodePage::epson(Table::Pc858));

    // The console driver reads the page as a printer with the configured number would.
    let out = run(&[
        "print-test",
        "--printer",
        "console",
        "--paper",
        "58",
        "--code-page",
        "WPC1252:71",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains(&format!("|{TEST_LETTERS:^32}|")), "{said}");

    // A wrong table is refused with the list of tables.
    let out = run(&["print-test", "--printer", "console", "--code-page", "PC999"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PC999") && err.contains("WPC1252"), "{err}");
}
