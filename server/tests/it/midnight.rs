//! Midnight: the office day rolls over at local midnight, on ordinary days and on the two days a year
//! the clocks change in Europe/Rome, driven by the real maintenance loop with the test's clock; and a
//! ticket of a past day is never called, whether or not the loop has closed it yet.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use turno_server::maintain;

use crate::support::TestOffice;

/// Waits until the maintenance loop has committed a change to the queues (it then emits
/// `queue_changed`): no sleeping, the loop's own event says when.
async fn loop_closed_yesterday(rx: &mut tokio::sync::broadcast::Receiver<turno_server::store::FeedItem>) {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let item = rx.recv().await.expect("the feed goes on");
            if &*item.name == "queue_changed" {
                return;
            }
        }
    })
    .await
    .expect("the maintenance loop closed yesterday's tickets");
}

async fn ticket(office: &TestOffice, token: &str, id: i64) -> Value {
    office
        .call("GET", &format!("/api/v1/tickets/{id}"), Some(token), None)
        .await
        .body
}

/// One night: tickets taken late on `eve` are not called after midnight, the loop closes them, and the
/// numbers start again; then the day goes on through `through` (the hour of a clock change, if any)
/// as one office day.
async fn night(eve: &str, after_midnight: &str, through: &str, office_day: &str) {
    let office = TestOffice::new().await;
    office.set_local(eve);
    let late = office.issue(1, false).await;
    assert_eq!(late["ticket"]["number"], "A001");
    office.issue(1, false).await;
    let clerk = office.clerk_at("mrossi", 1).await;
    office.set_local(after_midnight);
    // Before the loop has run, yesterday's waiting tickets are still in the queue's table, but no
    // counter may call them.
    let a = office
        .call("POST", "/api/v1/counters/1/call-next", Some(&clerk), None)
        .await;
    assert_eq!(
        (a.status, a.body["ticket"].clone()),
        (StatusCode::OK, Value::Null),
        "{}",
        a.body
    );
    let a = office
        .call(
            "POST",
            "/api/v1/counters/1/call",
            Some(&clerk),
            Some(json!({"ticket_id": 1})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    // The real loop closes them.
    let mut feed = office.state.store.subscribe();
    let looping = tokio::spawn(maintain(office.state.clone(), Duration::from_millis(20)));
    loop_closed_yesterday(&mut feed).await;
    looping.abort();
    assert_eq!(ticket(&office, &clerk, 1).await["state"], "expired");
    assert_eq!(ticket(&office, &clerk, 2).await["state"], "expired");
    // A new day, numbered from 1.
    let first = office.issue(1, false).await;
    assert_eq!(
        (first["ticket"]["number"].clone(), first["ticket"]["office_day"].clone()),
        (json!("A001"), json!(office_day))
    );
    // Through the clock change the office day stays the same: numbers go on, tickets are called.
    office.set_local(through);
    let second = office.issue(1, false).await;
    assert_eq!(
        (
            second["ticket"]["number"].clone(),
            second["ticket"]["office_day"].clone()
        ),
        (json!("A002"), json!(office_day))
    );
    let a = office
        .call("POST", "/api/v1/counters/1/call-next", Some(&clerk), None)
        .await;
    assert_eq!(a.body["ticket"]["id"], first["ticket"]["id"], "{}", a.body);
}

#[tokio::test]
async fn an_ordinary_night() {
    night("2026-11-25T23:40", "2026-11-26T00:05", "2026-11-26T09:00", "2026-11-26").await;
}

/// 29 March 2026: at 02:00 the clocks go forward to 03:00; the day has 23 hours.
#[tokio::test]
async fn the_night_the_clocks_go_forward() {
    night("2026-03-28T23:40", "2026-03-29T00:05", "2026-03-29T03:30", "2026-03-29").await;
}

/// 25 October 2026: at 03:00 the clocks go back to 02:00; the day has 25 hours.
#[tokio::test]
async fn the_night_the_clocks_go_back() {
    night("2026-10-24T23:40", "2026-10-25T00:05", "2026-10-25T02:30", "2026-10-25").await;
}

/// The evening of a clock change: the day that had 23 or 25 hours ends at its own midnight.
#[tokio::test]
async fn the_evenings_of_the_clock_changes() {
    night("2026-03-29T23:40", "2026-03-30T00:05", "2026-03-30T09:00", "2026-03-30").await;
    night("2026-10-25T23:40", "2026-10-26T00:05", "2026-10-26T09:00", "2026-10-26").await;
}
