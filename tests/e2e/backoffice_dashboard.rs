//! The back office's dashboard, exports and monthly report, in a real headless Chromium against the
//! real server: signing in through the form, the live section following the office without a reload,
//! the range's figures and charts (each with its table), an export downloaded from the page as Excel
//! reads it, a wrong date named next to its field, and the printable report.

use serde_json::Value;
use turno_shared::api::RatingRequest;
use turno_shared::domain::{Priority, Rating};
use turno_tests::browser::Browser;
use turno_tests::browser::require_tools;

use crate::support::{Office, PATIENCE, axe_violations, sign_in};

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_follows_the_office_live_and_charts_the_range() {
    require_tools();
    let office = Office::start().await;
    let issued = [
        office.issue('A', Priority::Normal).await,
        office.issue('A', Priority::Normal).await,
        office.issue('A', Priority::Priority).await,
    ];
    let clerk = office.clerk("mrossi", "Sportello 1").await;
    let called = clerk.call_next().await.expect("a ticket waits");
    let served = issued.iter().find(|t| t.ticket.id == called.id).unwrap();
    let outcome = office.outcome_of(called.service_id);
    clerk.client.finish(called.id, &outcome, None).await.unwrap();
    office
        .kiosk
        .rate(&RatingRequest {
            code: served.rating_code.to_string(),
            rating: Rating::Good,
            reason: None,
        })
        .await
        .expect("the visit is rated");

    let browser = Browser::start(1366, 768).await;
    sign_in(&browser, &office, "admin", "/backoffice").await;
    assert_eq!(
        text(&browser.eval("return document.querySelector('h1').textContent").await),
        "Cruscotto"
    );
    assert_eq!(
        text(
            &browser
                .eval("return document.getElementById('live-waiting').textContent")
                .await
        ),
        "2",
        "two tickets wait now"
    );
    assert_eq!(
        text(
            &browser
                .eval("return document.getElementById('live-served').textContent")
                .await
        ),
        "1"
    );

    // A ticket taken at the kiosk shows on the open dashboard, with no reload.
    browser
        .wait_for(
            "the dashboard to follow the events",
            PATIENCE,
            "return document.getElementById('live').dataset.connected === 'true'",
        )
        .await;
    browser.eval("window.__notReloaded = true; return 1").await;
    office.issue('A', Priority::Normal).await;
    browser
        .wait_for(
            "three people waiting on the dashboard",
            PATIENCE,
            "return document.getElementById('live-waiting').textContent === '3'",
        )
        .await;
    assert_eq!(
        browser.eval("return window.__notReloaded === true").await,
        Value::Bool(true)
    );

    // The range (the last 30 days by default) holds today's four tickets, charted with their tables.
    browser.goto(&format!("{}/backoffice", office.server.url)).await;
    browser
        .wait_for(
            "the dashboard again",
            PATIENCE,
            "return document.readyState === 'complete' && !!document.getElementById('chart-waits')",
        )
        .await;
    let charts = browser
        .eval(
            "return [...document.querySelectorAll('figure.bo-chart')].map(f => ({ \
               id: f.id, svg: !!f.querySelector('svg'), rows: f.querySelectorAll('details tbody tr').length, \
               label: f.querySelector('[role=img]').getAttribute('aria-labelledby') }))",
        )
        .await;
    let charts = charts.as_array().unwrap();
    let ids: Vec<String> = charts.iter().map(|c| text(&c["id"])).collect();
    assert_eq!(
        ids,
        [
            "chart-waits",
            "chart-arrivals",
            "chart-long-waits",
            "chart-satisfaction",
            "chart-outcomes"
        ]
    );
    for chart in charts {
        assert_eq!(chart["svg"], Value::Bool(true), "{chart}");
        assert!(
            chart["rows"].as_u64().unwrap() > 0,
            "every chart has its numbers as a table: {chart}"
        );
    }
    let arrivals_total = browser
        .eval(
            "return [...document.querySelectorAll('#chart-arrivals details tbody td')] \
               .reduce((sum, td) => sum + Number(td.textContent), 0)",
        )
        .await;
    assert_eq!(
        arrivals_total.as_u64(),
        Some(4),
        "the heat map counts every ticket issued"
    );
    let cards = browser
        .eval(
            "return Object.fromEntries([...document.querySelectorAll('#range-title ~ .bo-grid .bo-card')] \
               .map(c => [c.querySelector('.bo-label').textContent, c.querySelector('.bo-figure').textContent]))",
        )
        .await;
    assert_eq!(text(&cards["Biglietti emessi"]), "4", "{cards}");
    assert_eq!(text(&cards["Visite servite"]), "1", "{cards}");
    assert_eq!(text(&cards["Indice di soddisfazione (0–100)"]), "100", "{cards}");

    let violations = axe_violations(&browser).await;
    assert!(violations.is_empty(), "axe-core on the dashboard: {violations:#?}");

    // A wrong date is named next to its field, and the live part still shows.
    browser
        .goto(&format!(
            "{}/backoffice?from=2026-02-31&to=2026-03-01",
            office.server.url
        ))
        .await;
    let error = browser
        .wait_for(
            "the date's error",
            PATIENCE,
            "return document.getElementById('from-error')?.textContent",
        )
        .await;
    assert!(text(&error).contains("data valida"), "{error}");
    assert_eq!(
        browser
            .eval("return document.getElementById('from').getAttribute('aria-invalid')")
            .await,
        Value::String("true".into())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_downloads_from_the_page_as_excel_reads_it_and_the_report_prints() {
    require_tools();
    let office = Office::start().await;
    office.issue('A', Priority::Normal).await;
    let clerk = office.clerk("mrossi", "Sportello 1").await;
    let t = clerk.call_next().await.unwrap();
    clerk
        .client
        .finish(t.id, &office.outcome_of(t.service_id), None)
        .await
        .unwrap();
    let browser = Browser::start(1366, 768).await;
    sign_in(&browser, &office, "admin", "/backoffice/exports").await;
    let download = browser
        .eval_async(
            "const done = arguments[arguments.length - 1]; \
             const form = document.querySelector('form.bo-form'); \
             const url = form.action + '?' + new URLSearchParams(new FormData(form)); \
             fetch(url).then(async r => done({ status: r.status, type: r.headers.get('content-type'), \
               disposition: r.headers.get('content-disposition'), bytes: [...new Uint8Array(await r.arrayBuffer())] })) \
               .catch(e => done({ status: 0, error: String(e) }));",
        )
        .await;
    assert_eq!(download["status"], 200, "{download}");
    assert!(text(&download["disposition"]).contains("attachment"), "{download}");
    let bytes: Vec<u8> = download["bytes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_u64().unwrap() as u8)
        .collect();
    assert!(
        bytes.starts_with(&[0xEF, 0xBB, 0xBF]),
        "Excel needs the BOM to read UTF-8"
    );
    let mut csv = csv::ReaderBuilder::new().delimiter(b';').from_reader(&bytes[3..]);
    let headers = csv.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1, "today's one ticket");
    let number = headers.iter().position(|h| h == "number").unwrap();
    assert_eq!(&rows[0][number], "A001");
    let service = headers.iter().position(|h| h == "service").unwrap();
    assert_eq!(
        &rows[0][service], "Anagrafe – Carta d'identità",
        "accents and dashes survive"
    );

    // A made-up format is refused with the form shown again, not a broken file.
    let refused = browser
        .eval_async(
            "const done = arguments[arguments.length - 1]; \
             fetch('/backoffice/exports/download?format=pdf').then(async r => done({ status: r.status, \
               html: await r.text() }));",
        )
        .await;
    assert_eq!(refused["status"], 422);
    assert!(text(&refused["html"]).contains("Scelga uno dei formati elencati"));

    // The monthly report of this month: its title, its figures and a print button.
    let month = &t.issued_at.to_string()[..7];
    browser
        .goto(&format!("{}/backoffice/report?month={month}", office.server.url))
        .await;
    let title = browser
        .wait_for(
            "the report",
            PATIENCE,
            "return document.querySelector('h1')?.textContent",
        )
        .await;
    assert!(text(&title).starts_with("Rapporto di "), "{title}");
    assert!(
        browser
            .eval(
                "return !!document.querySelector('[data-print]') && document.querySelectorAll('figure.bo-chart').length"
            )
            .await
            .as_u64()
            .unwrap()
            >= 5
    );
    let violations = axe_violations(&browser).await;
    assert!(violations.is_empty(), "axe-core on the report: {violations:#?}");
}
