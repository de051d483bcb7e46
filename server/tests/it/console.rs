//! What the clerk's console relies on: the counter's panel (queues of its services, tickets sent to it,
//! the clerk's own day), the queue it may call from, pauses by reason with their time, counters opening
//! and pausing as live events, visits without a ticket, further services in a visit, and where a
//! transferred ticket comes from.

use axum::http::StatusCode;
use jiff::SignedDuration;
use serde_json::{Value, json};
use turno_shared::api::ErrorCode;

use crate::support::TestOffice;

async fn post(office: &TestOffice, token: &str, path: &str, body: Value) -> Value {
    let a = office.call("POST", path, Some(token), Some(body)).await;
    assert_eq!(a.status, StatusCode::OK, "POST {path}: {}", a.body);
    a.body
}

async fn get(office: &TestOffice, token: &str, path: &str) -> Value {
    let a = office.call("GET", path, Some(token), None).await;
    assert_eq!(a.status, StatusCode::OK, "GET {path}: {}", a.body);
    a.body
}

#[tokio::test]
async fn the_panel_shows_the_counters_queues_and_the_clerks_day() {
    let office = TestOffice::new().await;
    // Sportello 1 serves anagrafe (1, target 20 min) then stato civile (2).
    office.issue(1, false).await;
    office.advance(SignedDuration::from_mins(5));
    office.issue(1, true).await;
    office.issue(2, false).await;
    office.issue(3, false).await; // tributi: not this counter's
    let maria = office.clerk_at("mrossi", 1).await;
    let panel = get(&office, &maria, "/api/v1/counters/1/panel").await;
    let queues = panel["queues"].as_array().unwrap();
    assert_eq!(queues.len(), 2);
    assert_eq!(
        (
            queues[0]["service_id"].clone(),
            queues[0]["waiting"].clone(),
            queues[0]["priority_waiting"].clone()
        ),
        (json!(1), json!(2), json!(1))
    );
    assert_eq!(queues[0]["over_target"], false);
    assert_eq!(
        (queues[1]["service_id"].clone(), queues[1]["waiting"].clone()),
        (json!(2), json!(1))
    );
    // Twenty minutes on, the oldest anagrafe ticket has waited past the target.
    office.advance(SignedDuration::from_mins(20));
    let panel = get(&office, &maria, "/api/v1/counters/1/panel").await;
    assert_eq!(panel["queues"][0]["over_target"], true);
    assert_eq!(panel["queues"][1]["over_target"], false);
    // The queue this counter calls from: its services' tickets, oldest first, not tributi's.
    let queue = get(&office, &maria, "/api/v1/counters/1/queue").await;
    let numbers: Vec<&str> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["A001", "A002", "B001"]);

    // The clerk's day: two served (10 and 20 minutes), a no-show, a visit without ticket, 15 minutes paused.
    for minutes in [10, 20] {
        let t = post(&office, &maria, "/api/v1/counters/1/call-next", json!(null)).await;
        let id = t["ticket"]["id"].as_i64().unwrap();
        office.advance(SignedDuration::from_mins(minutes));
        post(
            &office,
            &maria,
            &format!("/api/v1/tickets/{id}/finish"),
            json!({"outcome": "certificato"}),
        )
        .await;
    }
    let t = post(&office, &maria, "/api/v1/counters/1/call-next", json!(null)).await;
    let id = t["ticket"]["id"].as_i64().unwrap();
    post(&office, &maria, &format!("/api/v1/tickets/{id}/no-show"), json!(null)).await;
    post(
        &office,
        &maria,
        "/api/v1/counters/1/walk-ins",
        json!({"service_id": 1, "outcome": "informazioni", "duration_secs": 300}),
    )
    .await;
    post(&office, &maria, "/api/v1/counters/1/pause", json!({"reason": "break"})).await;
    office.advance(SignedDuration::from_mins(15));
    post(&office, &maria, "/api/v1/counters/1/resume", json!(null)).await;
    let day = get(&office, &maria, "/api/v1/counters/1/panel").await["day"].clone();
    assert_eq!(
        day,
        json!({"served": 2, "no_shows": 1, "walk_ins": 1, "mean_service_secs": 900, "paused_secs": 900})
    );
    // Another clerk's day is their own.
    let luca = office.clerk_at("lbianchi", 2).await;
    let day = get(&office, &luca, "/api/v1/counters/2/panel").await["day"].clone();
    assert_eq!(day["served"], 0);
}

#[tokio::test]
async fn pauses_have_a_reason_and_counters_changes_are_live_events() {
    let office = TestOffice::new().await;
    let mut feed = office.state.store.subscribe();
    let maria = office.clerk_at("mrossi", 1).await;
    let paused = post(
        &office,
        &maria,
        "/api/v1/counters/1/pause",
        json!({"reason": "technical", "note": "stampante inceppata"}),
    )
    .await;
    assert_eq!(paused["paused"]["reason"], "technical");
    assert_eq!(paused["paused"]["note"], "stampante inceppata");
    // Pressed twice: the same pause, no second event.
    post(
        &office,
        &maria,
        "/api/v1/counters/1/pause",
        json!({"reason": "technical", "note": "stampante inceppata"}),
    )
    .await;
    let status = get(&office, &maria, "/api/v1/counters/1").await;
    assert_eq!(status["paused"]["reason"], "technical");
    let a = office
        .call(
            "POST",
            "/api/v1/counters/1/pause",
            Some(&maria),
            Some(json!({"reason": "lunch"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    post(&office, &maria, "/api/v1/counters/1/resume", json!(null)).await;
    let a = office
        .call("DELETE", "/api/v1/counters/1/session", Some(&maria), None)
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let mut states = Vec::new();
    while let Ok(item) = feed.try_recv() {
        if &*item.name == "counter_changed" {
            let event: Value = serde_json::from_str(&item.data).unwrap();
            assert_eq!(
                (event["counter_id"].clone(), event["counter_name"].clone()),
                (json!(1), json!("Sportello 1"))
            );
            states.push(event["state"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(states, ["open", "paused", "open", "closed"]);
}

#[tokio::test]
async fn visits_without_ticket_and_further_services_are_recorded() {
    let office = TestOffice::new().await;
    let maria = office.clerk_at("mrossi", 1).await;
    let visit = post(
        &office,
        &maria,
        "/api/v1/counters/1/walk-ins",
        json!({"service_id": 2, "outcome": "certificato", "note": "su appuntamento", "also": [1, 2, 1]}),
    )
    .await;
    assert_eq!(
        (visit["service_id"].clone(), visit["counter_id"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(visit["also"], json!([1]), "its own service and repeats counted once");
    // An outcome of another service, a service that does not exist, a counter not one's own.
    let refused = |body: Value, status: StatusCode, code: ErrorCode| {
        let office = &office;
        let maria = &maria;
        async move {
            let a = office
                .call("POST", "/api/v1/counters/1/walk-ins", Some(maria), Some(body))
                .await;
            assert_eq!((a.status, a.code()), (status, code), "{}", a.body);
        }
    };
    refused(
        json!({"service_id": 2, "outcome": "calcolo"}),
        StatusCode::CONFLICT,
        ErrorCode::UnknownOutcome,
    )
    .await;
    refused(
        json!({"service_id": 99, "outcome": "calcolo"}),
        StatusCode::CONFLICT,
        ErrorCode::UnknownReference,
    )
    .await;
    refused(
        json!({"service_id": 1, "outcome": "certificato", "also": [99]}),
        StatusCode::CONFLICT,
        ErrorCode::UnknownReference,
    )
    .await;
    let a = office
        .call(
            "POST",
            "/api/v1/counters/2/walk-ins",
            Some(&maria),
            Some(json!({"service_id": 1, "outcome": "certificato"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // A ticket finished with a further service.
    office.issue(1, false).await;
    let t = post(&office, &maria, "/api/v1/counters/1/call-next", json!(null)).await;
    let id = t["ticket"]["id"].as_i64().unwrap();
    post(
        &office,
        &maria,
        &format!("/api/v1/tickets/{id}/finish"),
        json!({"outcome": "cie_richiesta", "also": [6]}),
    )
    .await;
    let extra: Vec<(Option<i64>, Option<i64>, i64)> = office
        .state
        .store
        .read(|c| {
            let mut stmt = c.prepare("SELECT ticket_id, walk_in_id, service_id FROM extra_services ORDER BY id")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
        .unwrap();
    assert_eq!(extra, [(None, Some(1), 1), (Some(id), None, 6)]);
}

#[tokio::test]
async fn a_transferred_ticket_says_where_it_comes_from() {
    let office = TestOffice::new().await;
    office
        .call(
            "POST",
            "/api/v1/tickets",
            Some(&office.kiosk),
            Some(json!({"service_id": 1, "language": "en"})),
        )
        .await;
    let maria = office.clerk_at("mrossi", 1).await;
    let t = post(&office, &maria, "/api/v1/counters/1/call-next", json!(null)).await;
    assert_eq!(t["ticket"]["language"], "en");
    assert!(t["ticket"].get("transferred_from").is_none());
    let id = t["ticket"]["id"].as_i64().unwrap();
    post(&office, &maria, &format!("/api/v1/tickets/{id}/start"), json!(null)).await;
    let moved = post(
        &office,
        &maria,
        &format!("/api/v1/tickets/{id}/transfer"),
        json!({"service_id": 3}),
    )
    .await;
    assert_eq!(moved["transferred_from"], json!({"service_id": 1, "counter_id": 1}));
    let giulia = office.clerk_at("gverdi", 3).await;
    let t = post(&office, &giulia, "/api/v1/counters/3/call-next", json!(null)).await;
    assert_eq!(
        t["ticket"]["transferred_from"],
        json!({"service_id": 1, "counter_id": 1})
    );
    assert_eq!(t["ticket"]["service_id"], 3);
}
