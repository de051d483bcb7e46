//! The live-event stream: a client resumes after its last event; one that was away longer than the
//! feed is kept is told to reload (`resync`) instead of getting an incomplete replay; a subscriber
//! that falls behind the broadcast catches up from the stored feed, in order, missing nothing.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use jiff::SignedDuration;
use serde_json::json;
use turno_server::maintenance_pass;

use crate::support::TestOffice;

/// An open stream, read event by event.
struct Stream {
    body: Body,
    text: String,
}

impl Stream {
    async fn open(office: &TestOffice, token: &str, last_event_id: Option<i64>) -> Stream {
        let mut req = Request::builder()
            .uri("/api/v1/events")
            .header("authorization", format!("Bearer {token}"));
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        let resp = tower::ServiceExt::oneshot(office.router.clone(), req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        Stream {
            body: resp.into_body(),
            text: String::new(),
        }
    }

    /// The next event's id and name (keep-alive comments skipped).
    async fn next(&mut self) -> (i64, String) {
        let (id, name, _) = self.next_with_data().await;
        (id, name)
    }

    /// The next event's id, name and data.
    async fn next_with_data(&mut self) -> (i64, String, serde_json::Value) {
        tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                if let Some(end) = self.text.find("\n\n") {
                    let block: String = self.text.drain(..end + 2).collect();
                    let field = |name: &str| {
                        block
                            .lines()
                            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
                    };
                    if let (Some(id), Some(event)) = (field("id:"), field("event:")) {
                        let data = field("data:").and_then(|d| serde_json::from_str(&d).ok());
                        return (id.parse().unwrap(), event, data.unwrap_or_default());
                    }
                    continue;
                }
                let frame = self.body.frame().await.expect("the stream goes on").unwrap();
                if let Ok(data) = frame.into_data() {
                    self.text.push_str(std::str::from_utf8(&data).unwrap());
                }
            }
        })
        .await
        .expect("an event within 20 s")
    }
}

async fn alert(office: &TestOffice) {
    let a = office
        .call(
            "POST",
            "/api/v1/printer-alerts",
            Some(&office.kiosk),
            Some(json!({"status": "paper_near_end"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
}

#[tokio::test]
async fn a_stream_resumes_after_its_last_event_and_says_resync_when_the_feed_no_longer_has_it() {
    let office = TestOffice::new().await;
    for _ in 0..3 {
        alert(&office).await;
    }
    // Resuming after event 1 gives 2 and 3, then what comes.
    let mut stream = Stream::open(&office, &office.display, Some(1)).await;
    assert_eq!(stream.next().await, (2, "printer_alert".into()));
    assert_eq!(stream.next().await, (3, "printer_alert".into()));
    alert(&office).await;
    assert_eq!(stream.next().await, (4, "printer_alert".into()));
    // A week later the feed is pruned; two more events come.
    office.advance(SignedDuration::from_hours(24 * 8));
    maintenance_pass(&office.state, true).await.unwrap();
    alert(&office).await;
    alert(&office).await;
    // A client last seen at event 3 cannot be given 4: it is told to reload, then gets what follows.
    let mut stale = Stream::open(&office, &office.display, Some(3)).await;
    assert_eq!(stale.next().await, (6, "resync".into()));
    alert(&office).await;
    assert_eq!(stale.next().await, (7, "printer_alert".into()));
    // One last seen at 5 (still kept: 6 follows) resumes normally.
    let mut fresh = Stream::open(&office, &office.display, Some(5)).await;
    assert_eq!(fresh.next().await, (6, "printer_alert".into()));
    // One from the future (a database restored from an older backup) is told to reload too.
    let mut future = Stream::open(&office, &office.display, Some(1000)).await;
    assert_eq!(future.next().await, (7, "resync".into()));
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_catches_up_in_order() {
    let office = TestOffice::new().await;
    let mut slow = Stream::open(&office, &office.display, None).await;
    // More events than the broadcast holds for one subscriber, while this one reads nothing.
    let events = 4500;
    futures_util::future::join_all((0..events).map(|_| alert(&office))).await;
    for expected in 1..=events {
        let (id, name) = slow.next().await;
        assert_eq!((id, name.as_str()), (expected, "printer_alert"));
    }
}

#[tokio::test]
async fn a_board_learns_of_a_priority_call_from_the_event_and_from_its_view() {
    let office = TestOffice::new().await;
    let clerk = office.clerk_at("mrossi", 1).await;
    let ticket = office.issue(1, true).await;
    let mut board = Stream::open(&office, &office.display, None).await;
    let a = office
        .call("POST", "/api/v1/counters/1/call-next", Some(&clerk), None)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let called = loop {
        let (_, name, data) = board.next_with_data().await;
        if name == "ticket_called" {
            break data;
        }
    };
    assert_eq!(called["ticket_id"], ticket["ticket"]["id"]);
    assert_eq!(called["priority"], "priority");

    let view = office.call("GET", "/api/v1/board", Some(&office.display), None).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    let call = &view.body["calls"][0];
    assert_eq!(
        (&call["number"], &call["priority"], &call["counter_id"]),
        (&called["number"], &called["priority"], &json!(1))
    );
    let counter = view.body["counters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == 1)
        .unwrap()
        .clone();
    assert_eq!(counter["state"], "open");
    // Not for anyone in the waiting room: a device or user credential is needed.
    let view = office.call("GET", "/api/v1/board", None, None).await;
    assert_eq!(view.status, StatusCode::UNAUTHORIZED, "{}", view.body);
}
