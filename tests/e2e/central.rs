//! The city's centre on a real PostgreSQL (a throwaway cluster, `turno_tests::pg`): several real office
//! servers ship to it; its statistics equal the offices' own, exactly; the centre and its database
//! stopped and restarted, an office killed with SIGKILL mid-backlog, the network cut while the office
//! serves: nothing lost, nothing counted twice; the schema migrated on a populated database.

use std::path::Path;
use std::time::{Duration, Instant};

use turno_shared::api::{IssueRequest, RatingRequest};
use turno_shared::domain::{Priority, Rating};
use turno_shared::stats::Stats;
use turno_tests::ServerProcess;
use turno_tests::pg::{CentralApi, CentralProcess, Postgres, Relay, journal_state};

/// The office days every test looks at: generated history and today.
fn range() -> (String, String) {
    let today = jiff::Zoned::now().date();
    let from = today.checked_sub(jiff::Span::new().days(60)).unwrap();
    (from.to_string(), today.to_string())
}

/// Starts an office with `days` of generated history shipping to `pg` as `code`.
fn office(dir: &Path, code: &str, pg: &str, days: u32) -> ServerProcess {
    let config = dir.join("office.toml");
    std::fs::write(
        &config,
        format!("office_name = \"Ufficio {code}\"\n\n[central]\nurl = \"{pg}\"\noffice = \"{code}\"\n"),
    )
    .unwrap();
    let days = days.to_string();
    ServerProcess::start_plain(
        dir,
        &["--demo", "--history-days", &days, "--config", config.to_str().unwrap()],
    )
}

/// Waits until the office has shipped all it has written and the centre says so.
async fn drained(api: &CentralApi, code: &str, db: &Path, within: Duration) {
    let start = Instant::now();
    loop {
        let (end, shipped) = journal_state(db);
        let (status, offices) = api.get("offices", &[]).await;
        let at_centre = offices["offices"]
            .as_array()
            .and_then(|a| a.iter().find(|o| o["code"] == code))
            .map(|o| (o["shipped"].as_i64().unwrap_or(-1), o["backlog"].as_i64().unwrap_or(-1)));
        if end > 0 && shipped == end && at_centre == Some((end, 0)) {
            return;
        }
        assert!(
            start.elapsed() < within,
            "{code} not drained within {within:?}: journal {end}, cursor {shipped}, centre {at_centre:?} ({status}: {offices})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn office_stats(office: &ServerProcess) -> Stats {
    let (from, to) = range();
    office
        .user("admin")
        .await
        .get(&format!("/stats?from={from}&to={to}"))
        .await
        .expect("the office's statistics")
}

async fn centre_stats(api: &CentralApi, code: Option<&str>) -> Stats {
    centre_stats_from(api, code, "rollup").await
}

/// The centre's statistics counted from `source`: `rollup` (its cells, the default) or `rows`.
async fn centre_stats_from(api: &CentralApi, code: Option<&str>, source: &str) -> Stats {
    let (from, to) = range();
    let mut q = vec![("from", from.as_str()), ("to", to.as_str()), ("source", source)];
    if let Some(c) = code {
        q.push(("office", c));
    }
    let (status, body) = api.get("stats", &q).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).expect("the centre's statistics")
}

/// A few visits of today: issued, called, served, rated; one clerk pauses and resumes.
async fn a_morning(office: &ServerProcess, n: usize) {
    let kiosk = office.kiosk();
    let clerk = office.user("mrossi").await;
    let services = office.client().office().await.unwrap().services;
    let service = services[0].id;
    let counter = clerk.open_counter(1).await.expect("the counter opens").counter.id;
    for i in 0..n {
        let t = kiosk
            .issue_ticket(&IssueRequest {
                service_id: service,
                priority: if i % 3 == 0 {
                    Priority::Priority
                } else {
                    Priority::Normal
                },
                language: None,
            })
            .await
            .expect("issued");
        let called = clerk.call_next(counter).await.expect("call").expect("a ticket");
        let outcome = services[0].outcomes[0].code.to_string();
        clerk.finish(called.id, &outcome, None).await.expect("finish");
        if i % 2 == 0 {
            kiosk
                .rate(&RatingRequest {
                    code: t.rating_code.to_string(),
                    rating: Rating::Good,
                    reason: None,
                })
                .await
                .expect("rated");
        }
    }
    clerk
        .pause(counter, turno_shared::domain::PauseReason::Break, None)
        .await
        .unwrap();
    clerk.resume(counter).await.unwrap();
    clerk.close_counter(counter).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_centre_equals_the_sum_of_its_offices() {
    let pg = Postgres::start();
    let url = pg.create_database("city");
    let dir = tempfile::tempdir().unwrap();
    let centre = CentralProcess::start(&url, dir.path());
    let password = centre.account("citta", None);
    let api = centre.api("citta", &password).await;

    let codes = ["nord", "sud", "centro"];
    let mut offices = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        let d = dir.path().join(code);
        std::fs::create_dir(&d).unwrap();
        offices.push(office(&d, code, &url, 4 + 3 * i as u32));
    }
    a_morning(&offices[0], 6).await;
    for (code, o) in codes.iter().zip(&offices) {
        drained(&api, code, &o.db, Duration::from_secs(120)).await;
    }
    let mut sum = (0, 0, 0, 0, 0);
    for (code, o) in codes.iter().zip(&offices) {
        let own = office_stats(o).await;
        let there = centre_stats(&api, Some(code)).await;
        assert!(own.total.issued > 100, "{code} has history");
        assert_eq!(there, own, "{code}: the centre's statistics are the office's own");
        let t = &own.total;
        sum.0 += t.issued;
        sum.1 += t.served;
        sum.2 += t.walk_ins;
        sum.3 += t.satisfaction.as_ref().map_or(0, |s| s.responses);
        sum.4 += t.long_waits;
    }
    let city = centre_stats(&api, None).await;
    // The city's percentiles from the rollup's cells are those of its rows, every breakdown alike.
    assert_eq!(
        city,
        centre_stats_from(&api, None, "rows").await,
        "the city: cells and rows"
    );
    assert!(city.total.wait.p90_secs.is_some() && city.by_hour.len() > 3);
    let t = &city.total;
    assert_eq!(
        (
            t.issued,
            t.served,
            t.walk_ins,
            t.satisfaction.as_ref().map_or(0, |s| s.responses),
            t.long_waits
        ),
        sum,
        "the city is the sum of its offices"
    );
    // The rollups say the same as the rows.
    let (from, to) = range();
    let (_, o) = api.get("offices", &[("from", &from), ("to", &to)]).await;
    let issued: i64 = o["summaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["issued"].as_i64().unwrap())
        .sum();
    assert_eq!(issued, i64::from(sum.0));
    assert!(o["offices"].as_array().unwrap().iter().all(|o| o["stale"] == false));

    // Pages: the side-by-side view, one office's statistics, the city's weekly report.
    let (status, overview) = api.page("/backoffice").await;
    assert_eq!(status, 200);
    assert!(
        overview.contains("Ufficio nord") && overview.contains("Tutta la città"),
        "{overview}"
    );
    let (status, stats_html) = api
        .page(&format!("/backoffice/stats?office=sud&from={from}&to={to}"))
        .await;
    assert_eq!(status, 200);
    assert!(stats_html.contains("Statistiche: Ufficio sud"));
    let (status, csv) = api.page(&format!("/backoffice/report.csv?from={from}&to={to}")).await;
    assert_eq!(status, 200);
    assert!(csv.contains("Ufficio centro") && csv.contains("sportello"), "{csv}");

    for (name, html) in [("overview", &overview), ("stats", &stats_html)] {
        assert!(!html.contains("Dati non aggiornati"), "{name}: nothing is stale yet");
    }
    crate::support::assert_valid_html(&[("centre-overview", overview), ("centre-stats", stats_html)]);

    // An office silent for more than 15 minutes is marked, the others not.
    let mut offices = offices;
    offices[2].kill9();
    pg.psql(
        "city",
        "UPDATE offices SET last_seen = now() - interval '20 minutes', data_as_of = now() - interval '20 minutes'
         WHERE code = 'centro'",
    );
    let (_, o) = api.get("offices", &[]).await;
    let stale: Vec<(String, bool)> = o["offices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["code"].as_str().unwrap().to_owned(), o["stale"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        stale,
        [
            ("centro".to_owned(), true),
            ("nord".to_owned(), false),
            ("sud".to_owned(), false)
        ]
    );
    let (_, html) = api.page("/backoffice").await;
    assert_eq!(html.matches("Dati non aggiornati").count(), 1, "{html}");

    // An office's account sees its office only.
    let mine = centre.account("nord-bo", Some("nord"));
    let nord = centre.api("nord-bo", &mine).await;
    let (status, _) = nord.get("stats", &[("office", "sud")]).await;
    assert_eq!(status, 403);
    let (_, o) = nord.get("offices", &[]).await;
    assert_eq!(o["offices"].as_array().unwrap().len(), 1);
}

/// The statistics read from the rollup's cells are those of the rows, to the last percentile, on a
/// centre where an office ships half its journal a second time (its cursor set back, as after a kill
/// between the centre's commit and the cursor's write): every office's and the city's figures from the
/// cells equal those from the rows and the office's own; a cell changed by hand is seen.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_rollup_counts_as_the_rows_through_a_retried_batch() {
    let pg = Postgres::start();
    let url = pg.create_database("city");
    let dir = tempfile::tempdir().unwrap();
    let centre = CentralProcess::start(&url, dir.path());
    let password = centre.account("citta", None);
    let api = centre.api("citta", &password).await;
    let codes = ["alto", "basso"];
    let mut offices = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        let d = dir.path().join(code);
        std::fs::create_dir(&d).unwrap();
        offices.push(office(&d, code, &url, 9 - 4 * i as u32));
    }
    a_morning(&offices[1], 8).await;
    for (code, o) in codes.iter().zip(&offices) {
        drained(&api, code, &o.db, Duration::from_secs(120)).await;
    }
    let cells = "SELECT count(*), sum(issued), sum(walk_ins), sum(good + neutral + bad),
                        md5(string_agg(office || office_day || coalesce(counter_id, 0) || coalesce(user_id, 0) || hour
                                       || waits::text || services::text || outcomes || reasons, ','
                                       ORDER BY office, office_day, service_id, counter_id, user_id, hour))
                 FROM daily_cells";
    let before = pg.psql("city", cells);

    // Half of "alto"'s journal shipped again.
    offices[0].kill9();
    {
        let c = rusqlite::Connection::open(&offices[0].db).unwrap();
        let n = c
            .execute("UPDATE central_cursor SET shipped = shipped / 2", [])
            .unwrap();
        assert_eq!(n, 1, "the cursor is set back");
    }
    let (end, shipped) = journal_state(&offices[0].db);
    assert!(shipped > 0 && shipped < end);
    offices[0].restart();
    drained(&api, "alto", &offices[0].db, Duration::from_secs(120)).await;
    assert_eq!(pg.psql("city", cells), before, "the cells counted nothing twice");
    let rows_total: String = pg.psql(
        "city",
        "SELECT (SELECT count(*) FROM tickets) || '|' || (SELECT count(*) FROM walk_ins) || '|' ||
                (SELECT count(*) FROM ratings)",
    );
    let cell_total: Vec<&str> = before.split('|').collect();
    assert_eq!(rows_total, cell_total[1..4].join("|"), "the cells hold every row once");

    for (code, o) in codes.iter().zip(&offices) {
        let own = office_stats(o).await;
        let cells = centre_stats_from(&api, Some(code), "rollup").await;
        assert!(own.total.wait.count > 50, "{code} has waits");
        assert_eq!(
            cells,
            centre_stats_from(&api, Some(code), "rows").await,
            "{code}: cells and rows"
        );
        assert_eq!(cells, own, "{code}: the cells and the office's own");
    }
    let city = centre_stats_from(&api, None, "rollup").await;
    assert_eq!(
        city,
        centre_stats_from(&api, None, "rows").await,
        "the city: cells and rows"
    );
    // One day alone, and today alone, as well.
    let today = jiff::Zoned::now().date().to_string();
    for (from, to) in [
        (today.as_str(), today.as_str()),
        (city.by_day[0].key.as_str(), city.by_day[0].key.as_str()),
    ] {
        let q = |source| vec![("from", from), ("to", to), ("source", source)];
        let (_, a) = api.get("stats", &q("rollup")).await;
        let (_, b) = api.get("stats", &q("rows")).await;
        assert_eq!(a, b, "{from}: cells and rows");
        assert!(a["total"]["issued"].as_u64().unwrap() > 0, "{from} has tickets");
    }

    // The comparison sees a cell that is not its rows: one wait counted once more.
    pg.psql(
        "city",
        "UPDATE daily_cells SET waits = waits || int8send(30) || int4send(1)
         WHERE ctid = (SELECT ctid FROM daily_cells WHERE length(waits) > 0 LIMIT 1)",
    );
    let changed = centre_stats_from(&api, None, "rollup").await;
    assert_ne!(changed, city, "a changed cell changes the figures");
    assert_eq!(changed.total.wait.count, city.total.wait.count + 1);
}

/// The row of `table` in a JSON export whose `office_code` is `code`.
fn json_row<'a>(export: &'a serde_json::Value, table: &str, code: &str) -> &'a serde_json::Value {
    export[table]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["office_code"] == code))
        .unwrap_or_else(|| panic!("no {table} row of {code}: {export}"))
}

/// The centre's exports (JSON, CSV, XLSX) hold every office's own figures and the city's side by side,
/// percentiles included; the report of "Mettiamoci la faccia" by month and by week adds up to each
/// office's own ratings and visits; an office's account downloads its own office only.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_centres_exports_hold_the_offices_own_figures() {
    use calamine::{Data, Reader, Xlsx};
    let pg = Postgres::start();
    let url = pg.create_database("city");
    let dir = tempfile::tempdir().unwrap();
    let centre = CentralProcess::start(&url, dir.path());
    let password = centre.account("citta", None);
    let api = centre.api("citta", &password).await;
    let codes = ["fiume", "monte"];
    let mut offices = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        let d = dir.path().join(code);
        std::fs::create_dir(&d).unwrap();
        offices.push(office(&d, code, &url, 40 - 30 * i as u32));
    }
    a_morning(&offices[1], 4).await;
    for (code, o) in codes.iter().zip(&offices) {
        drained(&api, code, &o.db, Duration::from_secs(120)).await;
    }
    let mut own = Vec::new();
    for o in &offices {
        own.push(office_stats(o).await);
    }
    let city = centre_stats(&api, None).await;
    let (from, to) = range();
    let q = format!("from={from}&to={to}");

    // JSON: every table.
    let (status, kind, body) = api.download(&format!("/backoffice/export?format=json&{q}")).await;
    assert_eq!((status, kind.as_str()), (200, "application/json"));
    let export: serde_json::Value = serde_json::from_slice(&body).unwrap();
    for (code, s) in codes.iter().zip(&own) {
        let row = json_row(&export, "offices", code);
        let t = &s.total;
        assert_eq!(row["office"], format!("Ufficio {code}"));
        assert_eq!(row["issued"], t.issued, "{code}");
        assert_eq!(row["served"], t.served, "{code}");
        assert_eq!(row["wait_median_secs"], t.wait.median_secs.unwrap(), "{code}");
        assert_eq!(row["wait_p90_secs"], t.wait.p90_secs.unwrap(), "{code}");
        assert_eq!(row["service_p90_secs"], t.service.p90_secs.unwrap(), "{code}");
        assert_eq!(row["long_wait_share"], t.long_wait_share.unwrap(), "{code}");
        assert_eq!(row["ratings"], t.satisfaction.as_ref().unwrap().responses, "{code}");
        assert_eq!(
            row["satisfaction_index"],
            t.satisfaction.as_ref().unwrap().index.unwrap()
        );
        let services = export["services"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["office_code"] == *code);
        assert_eq!(services.count(), s.by_service.len(), "{code}: a row per service");
        let days: Vec<&serde_json::Value> = export["daily"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["office_code"] == *code)
            .collect();
        assert_eq!(days.len(), s.by_day.len(), "{code}: a row per day");
        for (row, g) in days.iter().zip(&s.by_day) {
            assert_eq!(
                (&row["office_day"], &row["issued"]),
                (&g.key.as_str().into(), &g.figures.issued.into())
            );
        }
    }
    let row = json_row(&export, "offices", "*");
    assert_eq!(row["issued"], own.iter().map(|s| s.total.issued).sum::<u32>());
    assert_eq!(
        row["wait_p90_secs"],
        city.total.wait.p90_secs.unwrap(),
        "the city's percentile"
    );
    assert_eq!(
        export["services"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["office_code"] == "*")
            .count(),
        city.by_service.len()
    );

    // CSV as Italian Excel opens it, and RFC 4180: the services of each office and the city's.
    let (status, kind, body) = api
        .download(&format!("/backoffice/export?format=csv&table=services&{q}"))
        .await;
    assert_eq!((status, kind.as_str()), (200, "text/csv; charset=utf-8"));
    assert!(body.starts_with("\u{feff}".as_bytes()), "a byte-order mark for Excel");
    let mut csv = csv::ReaderBuilder::new().delimiter(b';').from_reader(&body[3..]);
    let headers = csv.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    for (code, s) in codes.iter().zip(&own) {
        let issued: u32 = rows
            .iter()
            .filter(|r| &r[col("office_code")] == *code)
            .map(|r| r[col("issued")].parse::<u32>().unwrap())
            .sum();
        assert_eq!(issued, s.total.issued, "{code}: its services add up to its tickets");
    }
    let (_, _, body) = api
        .download(&format!("/backoffice/export?format=csv-rfc&table=offices&{q}"))
        .await;
    let mut csv = csv::Reader::from_reader(body.as_slice());
    let headers = csv.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), codes.len() + 1, "each office and the city");
    let share = &rows.iter().find(|r| &r[col("office_code")] == "fiume").unwrap()[col("long_wait_share")];
    let expected = own[0].total.long_wait_share.unwrap();
    assert!(
        (share.parse::<f64>().unwrap() - expected).abs() < 1e-4,
        "{share} vs {expected}"
    );

    // XLSX: a sheet each, numbers as numbers.
    let (status, kind, body) = api.download(&format!("/backoffice/export?format=xlsx&{q}")).await;
    assert_eq!(status, 200);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(body)).unwrap();
    assert_eq!(book.sheet_names(), ["Uffici", "Servizi", "Giorni"]);
    let sheet = book.worksheet_range("Uffici").unwrap();
    let rows: Vec<_> = sheet.rows().collect();
    let col = |name: &str| rows[0].iter().position(|c| *c == Data::String(name.into())).unwrap();
    for (code, s) in codes.iter().zip(&own) {
        let row = rows.iter().find(|r| r[0] == Data::String((*code).into())).unwrap();
        assert_eq!(row[col("issued")], Data::Float(f64::from(s.total.issued)));
        assert_eq!(
            row[col("wait_p90_secs")],
            Data::Float(f64::from(s.total.wait.p90_secs.unwrap()))
        );
    }

    // The report of Mettiamoci la faccia, by month and by week: the offices' own ratings and visits.
    for period in ["month", "week"] {
        let (status, _, body) = api
            .download(&format!("/backoffice/report.csv?period={period}&{q}"))
            .await;
        assert_eq!(status, 200);
        let mut csv = csv::ReaderBuilder::new().delimiter(b';').from_reader(&body[3..]);
        let headers = csv.headers().unwrap().clone();
        assert_eq!(&headers[0], if period == "month" { "mese" } else { "settimana" });
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
        if period == "month" {
            assert!(
                rows.iter().all(|r| r[0].len() == 7 && r[0].starts_with("20")),
                "months as 2026-11"
            );
        }
        for (code, s) in codes.iter().zip(&own) {
            let mine: Vec<&csv::StringRecord> = rows
                .iter()
                .filter(|r| r[col("ufficio")] == format!("Ufficio {code}"))
                .collect();
            let sum = |name: &str| mine.iter().map(|r| r[col(name)].parse::<u32>().unwrap()).sum::<u32>();
            let sat = s.total.satisfaction.as_ref().unwrap();
            assert_eq!(
                (sum("positivi"), sum("neutri"), sum("negativi"), sum("serviti")),
                (sat.good, sat.neutral, sat.bad, s.total.served + s.total.walk_ins),
                "{code}, by {period}"
            );
        }
    }
    let (status, _, _) = api.download(&format!("/backoffice/report.csv?period=year&{q}")).await;
    assert_eq!(status, 422);
    let (status, _, _) = api.download(&format!("/backoffice/export?format=pdf&{q}")).await;
    assert_eq!(status, 422);

    // An office's account: its office only, never the city nor another office.
    let mine = centre.account("monte-bo", Some("monte"));
    let monte = centre.api("monte-bo", &mine).await;
    let (status, _, body) = monte.download(&format!("/backoffice/export?format=json&{q}")).await;
    assert_eq!(status, 200);
    let export: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let offices: Vec<&serde_json::Value> = export["offices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["office_code"])
        .collect();
    assert_eq!(offices, ["monte"]);
    assert_eq!(json_row(&export, "offices", "monte")["issued"], own[1].total.issued);
    let (status, _, _) = monte
        .download(&format!("/backoffice/export?format=json&office=fiume&{q}"))
        .await;
    assert_eq!(status, 403);
    let (status, _, body) = monte
        .download(&format!("/backoffice/report.csv?period=month&{q}"))
        .await;
    assert_eq!(status, 200);
    assert!(!String::from_utf8_lossy(&body).contains("Ufficio fiume"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn outages_and_a_kill_lose_nothing_and_count_nothing_twice() {
    let mut pg = Postgres::start();
    let url = pg.create_database("city");
    let dir = tempfile::tempdir().unwrap();
    let mut centre = CentralProcess::start(&url, dir.path());
    let password = centre.account("citta", None);

    // An office with a backlog of many batches: killed as soon as the first ones are in.
    let mut o = office(dir.path(), "est", &url, 40);
    let start = Instant::now();
    loop {
        let (end, shipped) = journal_state(&o.db);
        if shipped > 0 {
            assert!(shipped < end, "killed mid-backlog ({shipped} of {end})");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "nothing shipped");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    o.kill9();
    // The centre's program stopped and started again meanwhile: the offices write to its database.
    centre.restart();
    let api = centre.api("citta", &password).await;
    o.restart();
    // The database itself down for a while, the office serving meanwhile.
    pg.stop();
    let kiosk = o.kiosk();
    let service = o.client().office().await.unwrap().services[0].id;
    for _ in 0..5 {
        kiosk
            .issue_ticket(&IssueRequest {
                service_id: service,
                priority: Priority::Normal,
                language: None,
            })
            .await
            .expect("the office serves with the centre down");
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    pg.restart();
    drained(&api, "est", &o.db, Duration::from_secs(180)).await;

    assert_eq!(centre_stats(&api, Some("est")).await, office_stats(&o).await);
    // Every row once: as many as the office holds.
    let office_db = rusqlite::Connection::open(&o.db).unwrap();
    let count = |sql: &str| -> i64 { office_db.query_row(sql, [], |r| r.get(0)).unwrap() };
    let pg_count = |sql: &str| -> i64 { pg.psql("city", sql).parse().unwrap() };
    assert_eq!(
        pg_count("SELECT count(*) FROM ticket_events WHERE office = 'est'"),
        count("SELECT count(*) FROM ticket_events")
    );
    assert_eq!(
        pg_count("SELECT count(*) FROM tickets WHERE office = 'est'"),
        count("SELECT count(*) FROM tickets")
    );
    assert_eq!(
        pg_count("SELECT coalesce(sum(issued), 0) FROM daily WHERE office = 'est'"),
        count("SELECT count(*) FROM tickets")
    );
    assert_eq!(
        pg_count("SELECT count(*) FROM ratings WHERE office = 'est'"),
        count("SELECT count(*) FROM ratings")
    );
    // Events are kept in monthly partitions.
    assert!(pg_count("SELECT count(*) FROM pg_inherits WHERE inhparent = 'ticket_events'::regclass") >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_network_cut_does_not_slow_the_office() {
    let pg = Postgres::start();
    let url = pg.create_database("city");
    let relay = Relay::start(format!("127.0.0.1:{}", pg.port).parse().unwrap()).await;
    let via_relay = format!("postgres://postgres@{}/city", relay.addr);
    let dir = tempfile::tempdir().unwrap();
    let centre = CentralProcess::start(&url, dir.path());
    let password = centre.account("citta", None);
    let api = centre.api("citta", &password).await;
    let o = office(dir.path(), "ovest", &via_relay, 2);
    drained(&api, "ovest", &o.db, Duration::from_secs(60)).await;

    relay.cut();
    let before = journal_state(&o.db);
    let started = Instant::now();
    a_morning(&o, 10).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the office served ten visits in {:?} with the centre cut off",
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during = journal_state(&o.db);
    assert!(during.0 > before.0, "the office kept recording");
    assert_eq!(during.1, before.1, "nothing shipped through a cut link");

    relay.restore();
    drained(&api, "ovest", &o.db, Duration::from_secs(120)).await;
    assert_eq!(centre_stats(&api, Some("ovest")).await, office_stats(&o).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_schema_migrates_a_populated_database() {
    let pg = Postgres::start();
    let url = pg.create_database("city");
    let (ok, _, err) = turno_tests::run_server_command(&["central", "migrate", "--pg", &url, "--to", "1"]);
    assert!(ok, "{err}");
    // Data as the first version kept it: an office, tickets (two with priority) and their day's rollup.
    pg.psql(
        "city",
        "INSERT INTO offices (code, name, timezone) VALUES ('nord', 'Nord', 'Europe/Rome');
         INSERT INTO tickets (office, ticket_id, event_id, office_day, service_id, state, priority, weekday, hour,
                              issued_at, wait_ms, transfers)
         SELECT 'nord', i, i, '2026-11-02', 1, 'done', i <= 2, 1, 9, now(), 60000 * i, (i = 3)::int
         FROM generate_series(1, 5) i;
         INSERT INTO daily (office, office_day, service_id, issued, served, no_show, walk_ins, called, long_waits,
                            wait_secs, timed, service_secs, ratings, good, neutral, bad)
         VALUES ('nord', '2026-11-02', 1, 5, 5, 0, 0, 5, 0, 900, 0, 0, 0, 0, 0, 0);",
    );
    let (ok, out, err) = turno_tests::run_server_command(&["central", "migrate", "--pg", &url, "--to", "2"]);
    assert!(ok, "{err}");
    assert!(out.contains("version 2"), "{out}");
    assert_eq!(
        pg.psql("city", "SELECT issued, wait_secs, priority, transferred FROM daily"),
        "5|900|2|1",
        "the rows kept, the new columns counted from the tickets"
    );
    assert_eq!(pg.psql("city", "SELECT count(*) FROM tickets"), "5");

    // Version 3: the rollup's cells with their durations, counted for the days already there. More
    // rows as version 2 kept them: a second day with a no-show, a ticket still waiting, visits without
    // ticket and ratings, a service with a target.
    pg.psql(
        "city",
        "INSERT INTO services (office, service_id, event_id, code, name, target_wait_minutes)
         VALUES ('nord', 1, 1, 'ANA', 'Anagrafe', 3);
         INSERT INTO tickets (office, ticket_id, event_id, office_day, service_id, counter_id, user_id, state,
                              priority, weekday, hour, issued_at, wait_ms, service_ms, outcome, transfers)
         VALUES ('nord', 6, 6, '2026-11-03', 1, 2, 7, 'done', false, 2, 10, now(), 61500, 300999, 'certificato', 0),
                ('nord', 7, 7, '2026-11-03', 1, 2, 7, 'no_show', false, 2, 10, now(), 1500000, NULL, NULL, 0),
                ('nord', 8, 8, '2026-11-03', 1, NULL, NULL, 'waiting', false, 2, 11, now(), NULL, NULL, NULL, 0);
         INSERT INTO walk_ins (office, walk_in_id, event_id, office_day, service_id, counter_id, user_id, weekday,
                               hour, started_at, service_ms, outcome)
         VALUES ('nord', 1, 9, '2026-11-03', 1, 2, 7, 2, 10, now(), 120400, 'informazioni');
         INSERT INTO ratings (office, ticket_id, event_id, office_day, service_id, counter_id, user_id, weekday,
                              hour, rating, reason, at)
         VALUES ('nord', 6, 10, '2026-11-03', 1, 2, 7, 2, 10, 'bad', 'waiting_time', now()),
                ('nord', 1, 11, '2026-11-02', 1, NULL, NULL, 1, 9, 'good', NULL, now());",
    );
    let (ok, out, err) = turno_tests::run_server_command(&["central", "migrate", "--pg", &url]);
    assert!(ok, "{err}");
    assert!(out.contains("version 3"), "{out}");
    assert_eq!(
        pg.psql(
            "city",
            "SELECT office_day, coalesce(counter_id, 0), issued, served, no_show, walk_ins, length(waits) / 12,
                    length(services) / 12, outcomes, good, bad, reasons
             FROM daily_cells ORDER BY office_day, counter_id NULLS LAST, hour"
        ),
        "2026-11-02|0|5|5|0|0|5|0||1|0|\n\
         2026-11-03|2|2|1|1|1|2|2|certificato=1 informazioni=1|0|1|waiting_time=1\n\
         2026-11-03|0|1|0|0|0|0|0||0|0|",
        "the cells counted from the rows already there"
    );
    // A batch as an office still on an older version writes it (the rows, then the day's `daily` rows
    // rewritten, nothing about cells): the trigger on `daily` rewrites the day's cells.
    pg.psql(
        "city",
        "BEGIN;
         INSERT INTO tickets (office, ticket_id, event_id, office_day, service_id, counter_id, user_id, state,
                              priority, weekday, hour, issued_at, wait_ms, service_ms, outcome, transfers)
         VALUES ('nord', 9, 12, '2026-11-03', 1, 2, 7, 'done', false, 2, 10, now(), 30000, 60000, 'certificato', 0);
         DELETE FROM daily WHERE office = 'nord' AND office_day = '2026-11-03';
         INSERT INTO daily (office, office_day, service_id, issued, served, no_show, walk_ins, called, long_waits,
                            wait_secs, timed, service_secs, ratings, good, neutral, bad)
         VALUES ('nord', '2026-11-03', 1, 4, 2, 1, 1, 3, 1, 1591, 3, 480, 1, 0, 0, 1);
         COMMIT;",
    );
    assert_eq!(
        pg.psql(
            "city",
            "SELECT issued, served, length(waits) / 12, outcomes FROM daily_cells
             WHERE office_day = '2026-11-03' AND counter_id = 2"
        ),
        "3|2|3|certificato=2 informazioni=1"
    );
    // And the statistics from them are those of the rows.
    let dir = tempfile::tempdir().unwrap();
    let centre = CentralProcess::start(&url, dir.path());
    let password = centre.account("citta", None);
    let api = centre.api("citta", &password).await;
    let q = |source| {
        vec![
            ("from", "2026-11-01"),
            ("to", "2026-11-30"),
            ("office", "nord"),
            ("source", source),
        ]
    };
    let (status, cells) = api.get("stats", &q("rollup")).await;
    assert_eq!(status, 200, "{cells}");
    assert_eq!(cells, api.get("stats", &q("rows")).await.1);
    assert_eq!(cells["total"]["issued"], 9);
    assert_eq!(cells["total"]["wait"]["p90_secs"], 1500);
    assert_eq!(cells["total"]["within_target_share"], 5.0 / 8.0);
    drop(centre);

    // Migrating again changes nothing; a newer database than the program is refused.
    let (ok, out, _) = turno_tests::run_server_command(&["central", "migrate", "--pg", &url]);
    assert!(ok && out.contains("version 3"));
    pg.psql("city", "INSERT INTO turno_schema VALUES (99, now())");
    let (ok, _, err) = turno_tests::run_server_command(&["central", "migrate", "--pg", &url]);
    assert!(!ok && err.contains("newer"), "{err}");
}
