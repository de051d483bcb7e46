//! Retention: the daily maintenance erases what people wrote (clerks' notes, pause reasons) and drops
//! printer alerts after the configured months, and the live-event feed after its days; the tickets,
//! their history and the ratings stay for the statistics.

use jiff::SignedDuration;
use serde_json::json;
use turno_server::maintenance_pass;

use crate::support::TestOffice;

/// Counts rows of the office's tables: notes, pause reasons, printer alerts, feed, tickets, events,
/// ratings.
async fn counts(office: &TestOffice) -> [i64; 7] {
    office
        .state
        .store
        .read(|c| {
            let n = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0));
            Ok([
                n("SELECT COUNT(*) FROM tickets WHERE note IS NOT NULL")?,
                n("SELECT COUNT(*) FROM clerk_events WHERE note IS NOT NULL")?
                    + n("SELECT COUNT(*) FROM counter_sessions WHERE paused_note IS NOT NULL")?,
                n("SELECT COUNT(*) FROM printer_alerts")?,
                n("SELECT COUNT(*) FROM feed")?,
                n("SELECT COUNT(*) FROM tickets")?,
                n("SELECT COUNT(*) FROM ticket_events")?,
                n("SELECT COUNT(*) FROM ratings")?,
            ])
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn notes_pauses_and_alerts_are_kept_for_their_months_and_statistics_for_ever() {
    let office = TestOffice::with_config(|c| {
        c.retention.notes_months = 12;
        c.retention.alerts_months = 6;
        c.retention.feed_days = 7;
    })
    .await;
    let ticket = office.issue(1, false).await;
    let code = ticket["rating_code"].as_str().unwrap().to_owned();
    let clerk = office.clerk_at("mrossi", 1).await;
    office
        .call("POST", "/api/v1/counters/1/call-next", Some(&clerk), None)
        .await;
    let a = office
        .call(
            "POST",
            "/api/v1/tickets/1/finish",
            Some(&clerk),
            Some(json!({"outcome": "cie_richiesta", "note": "richiamare per la foto"})),
        )
        .await;
    assert_eq!(a.status, axum::http::StatusCode::OK, "{}", a.body);
    office
        .call(
            "POST",
            "/api/v1/counters/1/pause",
            Some(&clerk),
            Some(json!({"reason": "other", "note": "visita medica"})),
        )
        .await;
    office
        .call("POST", "/api/v1/counters/1/resume", Some(&clerk), None)
        .await;
    office
        .call("DELETE", "/api/v1/counters/1/session", Some(&clerk), None)
        .await;
    office
        .call(
            "POST",
            "/api/v1/printer-alerts",
            Some(&office.kiosk),
            Some(json!({"status": "paper_out"})),
        )
        .await;
    office
        .call(
            "POST",
            "/api/v1/ratings",
            Some(&office.kiosk),
            Some(json!({"code": code, "rating": "good"})),
        )
        .await;
    let [notes, pauses, alerts, feed, tickets, events, ratings] = counts(&office).await;
    assert_eq!((notes, pauses, alerts), (1, 1, 1));
    assert!(feed > 0 && tickets == 1 && events >= 3 && ratings == 1);

    // Within the feed's week and the alerts' months nothing goes.
    office.advance(SignedDuration::from_hours(24 * 6));
    maintenance_pass(&office.state, true).await.unwrap();
    assert_eq!(
        counts(&office).await,
        [notes, pauses, alerts, feed, tickets, events, ratings]
    );
    // After a week the feed goes; after seven months the alerts.
    office.advance(SignedDuration::from_hours(24 * 210));
    maintenance_pass(&office.state, true).await.unwrap();
    assert_eq!(counts(&office).await, [notes, pauses, 0, 0, tickets, events, ratings]);
    // After thirteen months, what people wrote.
    office.advance(SignedDuration::from_hours(24 * 190));
    maintenance_pass(&office.state, true).await.unwrap();
    assert_eq!(counts(&office).await, [0, 0, 0, 0, tickets, events, ratings]);
}

#[tokio::test]
async fn a_pass_without_pruning_keeps_everything() {
    let office = TestOffice::new().await;
    office
        .call(
            "POST",
            "/api/v1/printer-alerts",
            Some(&office.kiosk),
            Some(json!({"status": "paper_out"})),
        )
        .await;
    office.advance(SignedDuration::from_hours(24 * 400));
    let before = counts(&office).await;
    let done = maintenance_pass(&office.state, false).await.unwrap();
    assert!(!done.pruned);
    assert_eq!(counts(&office).await, before);
}
