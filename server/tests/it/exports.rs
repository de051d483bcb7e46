//! Exports read back by independent readers (the `csv` crate, `calamine` for XLSX, serde_json) and
//! compared with what the office recorded, accents and the euro sign included.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::support::TestOffice;

/// A service whose name has accents and the euro sign, two of its tickets served (one after 28
/// minutes), one rated; returns the office.
async fn office_with_a_day() -> TestOffice {
    let office = TestOffice::new().await;
    let admin = office.login("admin").await;
    let services = office
        .call("GET", "/api/v1/admin/services", Some(&admin), None)
        .await
        .body;
    let hours = services[0]["hours"].clone();
    let service = office
        .call(
            "POST",
            "/api/v1/admin/services",
            Some(&admin),
            Some(json!({
                "code": "bollo", "prefix": "G", "name": {"it": "Marche da bollo – 16 € (attività)"},
                "outcomes": [{"code": "pagato", "label": {"it": "Pagato"}}],
                "target_wait_minutes": 20, "daily_cap": null, "hours": hours
            })),
        )
        .await;
    assert_eq!(service.status, StatusCode::OK, "{}", service.body);
    let id = service.body["id"].as_i64().unwrap();
    let counters = office
        .call("GET", "/api/v1/admin/counters", Some(&admin), None)
        .await
        .body;
    let mut first = counters[0].clone();
    first.as_object_mut().unwrap().remove("id");
    first["services"] = json!([1, 2, id]);
    assert_eq!(
        office
            .call("PUT", "/api/v1/admin/counters/1", Some(&admin), Some(first))
            .await
            .status,
        StatusCode::OK
    );
    let clerk = office.clerk_at("mrossi", 1).await;
    let a = office.issue(id, false).await;
    office.issue(id, false).await;
    for wait in [5, 20] {
        office.advance(SignedDuration::from_mins(wait));
        let t = office
            .call("POST", "/api/v1/counters/1/call-next", Some(&clerk), None)
            .await
            .body;
        let tid = t["ticket"]["id"].as_i64().unwrap();
        office.advance(SignedDuration::from_mins(3));
        let done = office
            .call(
                "POST",
                &format!("/api/v1/tickets/{tid}/finish"),
                Some(&clerk),
                Some(json!({"outcome": "pagato"})),
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    }
    let rated = office
        .call(
            "POST",
            "/api/v1/ratings",
            Some(&office.kiosk),
            Some(json!({"code": a["rating_code"], "rating": "good"})),
        )
        .await;
    assert_eq!(rated.status, StatusCode::OK, "{}", rated.body);
    office
}

/// Downloads an export; answers its content type and bytes.
async fn download(office: &TestOffice, query: &str) -> (String, Vec<u8>) {
    let admin = office.login("admin").await;
    let req = Request::builder()
        .uri(format!("/api/v1/exports?{query}"))
        .header("authorization", format!("Bearer {admin}"))
        .body(Body::empty())
        .unwrap();
    let resp = tower::ServiceExt::oneshot(office.router.clone(), req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let kind = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    (kind, resp.into_body().collect().await.unwrap().to_bytes().to_vec())
}

const NAME: &str = "Marche da bollo – 16 € (attività)";

#[tokio::test]
async fn csv_for_italian_excel_and_rfc_4180() {
    let office = office_with_a_day().await;
    let (kind, bytes) = download(&office, "format=csv&table=tickets").await;
    assert!(kind.starts_with("text/csv"));
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "a byte-order mark for Excel");
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(&bytes[3..]);
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][col("service")], NAME);
    assert_eq!(&rows[0][col("number")], "G001");
    assert_eq!(
        &rows[0][col("issued_at")],
        "26/11/2026 10:00:00",
        "Excel reads Italian dates"
    );
    assert_eq!(&rows[1][col("wait_secs")], "1680");
    assert_eq!(&rows[0][col("outcome")], "pagato");
    // The daily summary: decimals with a comma.
    let (_, bytes) = download(&office, "format=csv&table=daily").await;
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(&bytes[3..]);
    let header = reader.headers().unwrap().clone();
    let share = header.iter().position(|h| h == "long_wait_share").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let all = rows.iter().find(|r| &r[1] == "*").unwrap();
    assert_eq!(&all[share], "0,5");
    // RFC 4180: commas, points, ISO 8601 with the offset.
    let (_, bytes) = download(&office, "format=csv-rfc&table=tickets").await;
    assert!(!bytes.starts_with("\u{feff}".as_bytes()));
    assert!(bytes.windows(2).any(|w| w == b"\r\n"), "CRLF line ends");
    let mut reader = csv::Reader::from_reader(&bytes[..]);
    let header = reader.headers().unwrap().clone();
    let at = header.iter().position(|h| h == "issued_at").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(&rows[0][at], "2026-11-26T10:00:00+01:00");
    assert_eq!(&rows[0][4], NAME);
}

#[tokio::test]
async fn xlsx_with_a_sheet_each_and_typed_cells() {
    use calamine::{Data, Reader, Xlsx};
    let office = office_with_a_day().await;
    let (kind, bytes) = download(&office, "format=xlsx").await;
    assert!(kind.contains("spreadsheetml"));
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["Biglietti", "Eventi", "Valutazioni", "Riepilogo giornaliero"]
    );
    let tickets = book.worksheet_range("Biglietti").unwrap();
    let rows: Vec<_> = tickets.rows().collect();
    assert_eq!(rows.len(), 3, "a header and two tickets");
    assert_eq!(rows[1][4], Data::String(NAME.into()));
    assert_eq!(rows[2][13], Data::Float(1680.0), "waits are numbers");
    match &rows[1][8] {
        Data::DateTime(d) => {
            // Excel counts days from 30 December 1899; 10:00 is 10/24 of a day.
            let epoch: jiff::civil::Date = "1899-12-30".parse().unwrap();
            let days = epoch
                .until("2026-11-26".parse::<jiff::civil::Date>().unwrap())
                .unwrap()
                .get_days();
            assert_eq!(
                d.as_f64(),
                f64::from(days) + 10.0 / 24.0,
                "times are Excel dates, in Rome's time"
            );
        }
        other => panic!("issued_at is {other:?}"),
    }
    let ratings = book.worksheet_range("Valutazioni").unwrap();
    assert_eq!(ratings.rows().count(), 2);
    let events = book.worksheet_range("Eventi").unwrap();
    assert_eq!(events.rows().count(), 1 + 6, "issue, call and finish of two tickets");
}

#[tokio::test]
async fn a_table_longer_than_a_sheet_goes_on_in_the_next() {
    use calamine::{Data, Reader, Xlsx};
    let office = office_with_a_day().await;
    let day: jiff::civil::Date = "2026-11-26".parse().unwrap();
    let export = turno_server::exports::Export {
        query: turno_server::stats::Query {
            from: day,
            to: day,
            service_id: None,
            counter_id: None,
            user_id: None,
        },
        format: turno_server::exports::Format::Xlsx,
        table: turno_server::exports::Table::Tickets,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("short-sheets.xlsx");
    let (office_cfg, out) = (office.state.office.clone(), path.clone());
    // Sheets of three rows (a header and two): Excel's own limit is 1,048,576.
    office
        .state
        .store
        .read(move |c| turno_server::exports::write_xlsx_sheets_of(c, &office_cfg, &export, &out, 3))
        .await
        .unwrap();
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(std::fs::read(&path).unwrap())).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "Biglietti",
            "Eventi",
            "Eventi (2)",
            "Eventi (3)",
            "Valutazioni",
            "Riepilogo giornaliero"
        ],
        "six events in sheets of two"
    );
    let mut events = Vec::new();
    for name in ["Eventi", "Eventi (2)", "Eventi (3)"] {
        let rows: Vec<Vec<Data>> = book
            .worksheet_range(name)
            .unwrap()
            .rows()
            .map(<[Data]>::to_vec)
            .collect();
        assert_eq!(
            rows[0][0],
            Data::String("ticket_id".into()),
            "{name} starts with the header"
        );
        events.extend(rows.into_iter().skip(1));
    }
    assert_eq!(events.len(), 6, "no event lost or repeated across sheets");
}

#[tokio::test]
async fn json_and_the_weekly_satisfaction_report() {
    let office = office_with_a_day().await;
    let (kind, bytes) = download(&office, "format=json").await;
    assert_eq!(kind, "application/json");
    let all: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(all["tickets"].as_array().unwrap().len(), 2);
    assert_eq!(all["tickets"][0]["service"], NAME);
    assert_eq!(all["tickets"][1]["wait_secs"], 1680);
    assert_eq!(all["ratings"][0]["rating"], "good");
    assert_eq!(all["events"].as_array().unwrap().len(), 6);
    assert!(
        all["daily"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["service_code"] == "*" && d["served"] == 2)
    );
    // Mettiamoci la faccia: the week, the service, its faces, the visits served and participation.
    let (_, bytes) = download(&office, "format=mlf&from=2026-11-23&to=2026-11-29").await;
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(&bytes[3..]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!((&r[0], &r[1], &r[2]), ("2026-W48", "23/11/2026", "29/11/2026"));
    assert_eq!((&r[4], &r[5], &r[6], &r[8]), (NAME, "sportello", "1", "0"));
    assert_eq!((&r[13], &r[14]), ("2", "0,5"));
}
