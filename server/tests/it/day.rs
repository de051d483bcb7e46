//! The office day through the API: numbering, the call policy, transfers, estimates, ratings, end of day.

use axum::http::StatusCode;
use jiff::SignedDuration;
use serde_json::{Value, json};
use turno_shared::api::ErrorCode;

use crate::support::TestOffice;

fn number(v: &Value) -> &str {
    v["ticket"]["number"].as_str().or(v["number"].as_str()).unwrap()
}

#[tokio::test]
async fn numbers_restart_each_office_day_and_old_tickets_expire() {
    let office = TestOffice::new().await;
    assert_eq!(number(&office.issue(1, false).await), "A001");
    assert_eq!(number(&office.issue(1, true).await), "A002");
    assert_eq!(number(&office.issue(2, false).await), "B001");
    // Midnight in Rome is 23:00 UTC in November: the day changes then.
    office.advance(SignedDuration::from_hours(13) + SignedDuration::from_mins(59));
    assert_eq!(number(&office.issue(1, false).await), "A003");
    office.advance(SignedDuration::from_mins(2));
    let first = office.issue(1, false).await;
    assert_eq!(number(&first), "A001");
    assert_eq!(first["ticket"]["office_day"], "2026-11-27");
    // Yesterday's tickets are closed by the maintenance pass, never called today.
    let expired = office
        .state
        .store
        .write({
            let office = office.state.office.clone();
            move |ctx| turno_server::engine::end_of_day(ctx, &office, false, true)
        })
        .await
        .unwrap();
    assert_eq!(expired, 4);
    let clerk = office.clerk_at("mrossi", 1).await;
    let called = office
        .call("POST", "/api/v1/counters/1/call-next", Some(&clerk), None)
        .await;
    assert_eq!(number(&called.body), "A001");
    assert_eq!(called.body["ticket"]["office_day"], "2026-11-27");
    let again = office
        .call("POST", "/api/v1/tickets/1/return", Some(&clerk), None)
        .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, ErrorCode::IllegalTransition),
        "{}",
        again.body
    );
}

#[tokio::test]
async fn priority_is_interleaved_and_counters_follow_their_preferences() {
    let office = TestOffice::with_config(|c| c.priority_ratio = 2).await;
    // Counter 1 serves Anagrafe (1) first, then Stato civile (2).
    office.issue(2, false).await; // B001, the oldest, but of the second preference
    for _ in 0..3 {
        office.issue(1, false).await; // A001..A003
    }
    for _ in 0..3 {
        office.issue(1, true).await; // A004..A006 with priority
    }
    let clerk = office.clerk_at("mrossi", 1).await;
    let mut order = Vec::new();
    loop {
        let a = office
            .call("POST", "/api/v1/counters/1/call-next", Some(&clerk), None)
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        if a.body["ticket"].is_null() {
            break;
        }
        order.push(number(&a.body).to_owned());
        let id = a.body["ticket"]["id"].as_i64().unwrap();
        let done = office
            .call("POST", &format!("/api/v1/tickets/{id}/cancel"), Some(&clerk), None)
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    }
    assert_eq!(order, ["A004", "A005", "A001", "A006", "A002", "A003", "B001"]);
}

#[tokio::test]
async fn a_ticket_past_its_target_wait_jumps_the_preference_order() {
    let office = TestOffice::new().await;
    office.issue(2, false).await; // Stato civile: target 30 minutes
    office.advance(SignedDuration::from_mins(31));
    office.issue(1, false).await;
    let clerk = office.clerk_at("mrossi", 1).await;
    let a = office
        .call("POST", "/api/v1/counters/1/call-next", Some(&clerk), None)
        .await;
    assert_eq!(number(&a.body), "B001");
}

#[tokio::test]
async fn transfers_keep_the_arrival_time_and_can_target_a_counter() {
    let office = TestOffice::new().await;
    let first = office.issue(1, false).await;
    office.advance(SignedDuration::from_mins(5));
    office.issue(3, false).await; // C001, arrived later
    let one = office.clerk_at("mrossi", 1).await;
    let three = office.clerk_at("gverdi", 3).await;
    let called = office
        .call("POST", "/api/v1/counters/1/call-next", Some(&one), None)
        .await;
    let id = called.body["ticket"]["id"].as_i64().unwrap();
    // Anagrafe sends the citizen to Tributi (3): they go before C001, who arrived later.
    let moved = office
        .call(
            "POST",
            &format!("/api/v1/tickets/{id}/transfer"),
            Some(&one),
            Some(json!({"service_id": 3})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(moved.body["state"], "waiting");
    assert_eq!(moved.body["issued_at"], first["ticket"]["issued_at"]);
    let next = office
        .call("POST", "/api/v1/counters/3/call-next", Some(&three), None)
        .await;
    assert_eq!(number(&next.body), "A001");
    // Then to counter 5 specifically, which does not even serve Tributi.
    let moved = office
        .call(
            "POST",
            &format!("/api/v1/tickets/{id}/transfer"),
            Some(&three),
            Some(json!({"counter_id": 5})),
        )
        .await;
    assert_eq!(moved.body["target_counter_id"], 5);
    let other = office
        .call("POST", "/api/v1/counters/3/call-next", Some(&three), None)
        .await;
    assert_eq!(
        number(&other.body),
        "C001",
        "a ticket sent to counter 5 waits for counter 5"
    );
    let five = office.clerk_at("aromano", 5).await;
    let at_five = office
        .call("POST", "/api/v1/counters/5/call-next", Some(&five), None)
        .await;
    assert_eq!(number(&at_five.body), "A001");
}

/// A ticket sent to a counter is that counter's first among the tickets that are not urgent; it
/// does not hide its service's other tickets from the counter: one past the service's target is still
/// urgent, and goes first (the policy applied to every waiting ticket).
#[tokio::test]
async fn a_ticket_sent_to_a_counter_does_not_hide_its_service_s_aged_tickets() {
    let office = TestOffice::new().await;
    office.issue(1, false).await; // A001
    office.issue(1, false).await; // A002
    let one = office.clerk_at("mrossi", 1).await;
    let two = office.clerk_at("lbianchi", 2).await;
    let called = office
        .call("POST", "/api/v1/counters/1/call-next", Some(&one), None)
        .await;
    assert_eq!(number(&called.body), "A001");
    let id = called.body["ticket"]["id"].as_i64().unwrap();
    let moved = office
        .call(
            "POST",
            &format!("/api/v1/tickets/{id}/transfer"),
            Some(&one),
            Some(json!({"counter_id": 2})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    // Anagrafe's target is 20 minutes: A002 is past it, A003 is new.
    office.advance(SignedDuration::from_mins(25));
    office.issue(1, false).await;
    let mut calls = Vec::new();
    for _ in 0..3 {
        let a = office
            .call("POST", "/api/v1/counters/2/call-next", Some(&two), None)
            .await;
        calls.push(number(&a.body).to_owned());
        let id = a.body["ticket"]["id"].as_i64().unwrap();
        let done = office
            .call("POST", &format!("/api/v1/tickets/{id}/no-show"), Some(&two), None)
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    }
    assert_eq!(calls, ["A002", "A001", "A003"]);
}

#[tokio::test]
async fn the_estimate_learns_from_service_times_and_open_counters() {
    let office = TestOffice::new().await;
    let first = office.issue(1, false).await;
    assert_eq!(
        (&first["estimated_wait_minutes"], &first["estimated_wait_range"]),
        (&Value::Null, &Value::Null),
        "no counter open: no estimate"
    );
    // The minutes and the range shown, checked to hold the minutes.
    let shown = |v: &Value| -> (u64, u64, u64) {
        let minutes = v["estimated_wait_minutes"].as_u64().expect("an estimate");
        let range = &v["estimated_wait_range"];
        let (low, high) = (
            range["low_minutes"].as_u64().unwrap(),
            range["high_minutes"].as_u64().unwrap(),
        );
        assert!(low <= minutes && minutes <= high && low < high, "{v}");
        (minutes, low, high)
    };
    let clerk = office.clerk_at("mrossi", 1).await;
    // Before any visit is finished, five minutes a visit: one ahead, one counter.
    let before = shown(&office.issue(1, false).await).0;
    assert!((5..=7).contains(&before), "{before}");
    // Serve the two tickets in 10 minutes each.
    for _ in 0..2 {
        let a = office
            .call("POST", "/api/v1/counters/1/call-next", Some(&clerk), None)
            .await;
        let id = a.body["ticket"]["id"].as_i64().unwrap();
        office.advance(SignedDuration::from_mins(10));
        let done = office
            .call(
                "POST",
                &format!("/api/v1/tickets/{id}/finish"),
                Some(&clerk),
                Some(json!({"outcome": "certificato"})),
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    }
    office.issue(1, false).await;
    office.issue(1, false).await;
    let third = office.issue(1, false).await;
    assert_eq!(third["people_ahead"], 2);
    // Counters 1, 2 and 5 serve Anagrafe; only counter 1 is open: two visits ahead, which have
    // been taking ten minutes (two samples, pulled towards the five-minute default).
    let one = shown(&third).0;
    assert!((15..=22).contains(&one), "{one}");
    let luca = office.clerk_at("lbianchi", 2).await;
    let token = third["token"].as_str().unwrap();
    let estimate = || async {
        let status = office
            .call("GET", &format!("/api/v1/public/tickets/{token}"), None, None)
            .await;
        assert_eq!(status.body["people_ahead"], 2);
        shown(&status.body).0
    };
    let two = estimate().await;
    assert!(two * 2 <= one + 2, "two counters: {two}, one: {one}");
    // A paused counter is expected back (a quarter of an hour after it paused): the estimate lies
    // between one and two counters; it follows at once when the counter resumes or closes.
    let a = office
        .call(
            "POST",
            "/api/v1/counters/2/pause",
            Some(&luca),
            Some(json!({"reason": "break"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let paused = estimate().await;
    assert!(two < paused && paused <= one, "paused {paused}, two {two}, one {one}");
    office
        .call("POST", "/api/v1/counters/2/resume", Some(&luca), None)
        .await;
    assert_eq!(estimate().await, two);
    office
        .call("DELETE", "/api/v1/counters/2/session", Some(&luca), None)
        .await;
    assert_eq!(estimate().await, one);
}

#[tokio::test]
async fn ratings_are_once_for_finished_tickets_of_today() {
    let office = TestOffice::new().await;
    let ticket = office.issue(1, false).await;
    let token = ticket["token"].as_str().unwrap().to_owned();
    let code = ticket["rating_code"].as_str().unwrap().to_owned();
    assert!(code.starts_with("A001-"), "{code}");
    let rate =
        |code: &str, rating: &str, reason: Option<&str>| json!({"code": code, "rating": rating, "reason": reason});
    let a = office
        .call(
            "POST",
            "/api/v1/ratings",
            Some(&office.kiosk),
            Some(rate(&code, "good", None)),
        )
        .await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, ErrorCode::NotRateable));
    let clerk = office.clerk_at("mrossi", 1).await;
    office
        .call("POST", "/api/v1/counters/1/call-next", Some(&clerk), None)
        .await;
    office.call("POST", "/api/v1/tickets/1/start", Some(&clerk), None).await;
    let a = office
        .call(
            "POST",
            "/api/v1/tickets/1/finish",
            Some(&clerk),
            Some(json!({"outcome": "cie_richiesta"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = office
        .call(
            "POST",
            "/api/v1/ratings",
            Some(&office.kiosk),
            Some(rate(&code, "good", Some("waiting_time"))),
        )
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput)
    );
    let a = office
        .call(
            "POST",
            "/api/v1/ratings",
            Some(&office.kiosk),
            Some(rate(&code, "bad", Some("waiting_time"))),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    // The API takes the code as the kiosk sends it, not as a citizen may type it.
    let a = office
        .call(
            "POST",
            "/api/v1/ratings",
            Some(&office.kiosk),
            Some(rate(&code.to_lowercase(), "good", None)),
        )
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput)
    );
    let a = office
        .call(
            "POST",
            "/api/v1/ratings",
            Some(&office.kiosk),
            Some(rate(&token, "good", None)),
        )
        .await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, ErrorCode::AlreadyRated));
    let a = office
        .call(
            "POST",
            &format!("/api/v1/public/tickets/{token}/rating"),
            None,
            Some(json!({"rating": "good"})),
        )
        .await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, ErrorCode::AlreadyRated));
    let a = office
        .call(
            "POST",
            "/api/v1/ratings",
            Some(&office.kiosk),
            Some(rate("Z999-7M3KX", "good", None)),
        )
        .await;
    assert_eq!((a.status, a.code()), (StatusCode::NOT_FOUND, ErrorCode::NotFound));
    // Tomorrow, yesterday's ticket can no longer be rated.
    office.issue(1, false).await;
    office
        .call("POST", "/api/v1/counters/1/call-next", Some(&clerk), None)
        .await;
    office
        .call(
            "POST",
            "/api/v1/tickets/2/finish",
            Some(&clerk),
            Some(json!({"outcome": "certificato"})),
        )
        .await;
    let second = office.call("GET", "/api/v1/tickets/2", Some(&clerk), None).await.body;
    assert_eq!(second["state"], "done");
    office.advance(SignedDuration::from_hours(24));
    let status = office
        .call("GET", &format!("/api/v1/public/tickets/{token}"), None, None)
        .await;
    assert_eq!(status.body["rated"], true);
    let token2 = office
        .state
        .store
        .read(|c| Ok(turno_server::store::tickets::get(c, 2)?.unwrap().token))
        .await
        .unwrap();
    let a = office
        .call(
            "POST",
            &format!("/api/v1/public/tickets/{token2}/rating"),
            None,
            Some(json!({"rating": "good"})),
        )
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::CONFLICT, ErrorCode::NotToday),
        "{}",
        a.body
    );
}

/// The number alone is called aloud in the waiting room: it must not be enough to rate the visit, and
/// a kiosk cannot try check after check.
#[tokio::test]
async fn a_visit_is_rated_only_with_its_unguessable_code() {
    let office = TestOffice::new().await;
    let ticket = office.issue(1, false).await;
    let code = ticket["rating_code"].as_str().unwrap().to_owned();
    let clerk = office.clerk_at("mrossi", 1).await;
    office
        .call("POST", "/api/v1/counters/1/call-next", Some(&clerk), None)
        .await;
    let finished = office
        .call(
            "POST",
            "/api/v1/tickets/1/finish",
            Some(&clerk),
            Some(json!({"outcome": "cie_richiesta"})),
        )
        .await;
    assert_eq!(finished.status, StatusCode::OK, "{}", finished.body);
    let rate = |code: &str| json!({"code": code, "rating": "bad"});
    for number in ["A001", "A1", "a001"] {
        let a = office
            .call("POST", "/api/v1/ratings", Some(&office.kiosk), Some(rate(number)))
            .await;
        assert_eq!(
            (a.status, a.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput),
            "{number}: {}",
            a.body
        );
    }
    // Wrong checks are no ticket at all, and the kiosk is soon told to stop.
    let wrong = |i: u32| {
        let check: String = (0..5)
            .map(|k| turno_shared::domain::RatingCode::ALPHABET[((i >> (5 * k)) & 31) as usize] as char)
            .collect();
        format!("A001-{check}")
    };
    let mut refused_after = None;
    for i in 1..100 {
        let guess = wrong(i);
        if guess == code {
            continue;
        }
        let a = office
            .call("POST", "/api/v1/ratings", Some(&office.kiosk), Some(rate(&guess)))
            .await;
        match (a.status, a.code()) {
            (StatusCode::NOT_FOUND, ErrorCode::NotFound) => {}
            (StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyAttempts) => {
                refused_after = Some(i);
                break;
            }
            other => panic!("guess {guess}: {other:?} {}", a.body),
        }
    }
    let refused_after = refused_after.expect("a kiosk guessing codes is throttled");
    assert!(refused_after <= 25, "throttled only after {refused_after} guesses");
    // Nothing was rated by the guesses, and the citizen can rate at another kiosk.
    let admin = office.login("admin").await;
    let other_kiosk = office
        .call(
            "POST",
            "/api/v1/admin/devices",
            Some(&admin),
            Some(json!({"name": "Chiosco 2", "kind": "kiosk"})),
        )
        .await;
    let other_kiosk = other_kiosk.body["token"].as_str().unwrap().to_owned();
    let a = office
        .call("POST", "/api/v1/ratings", Some(&other_kiosk), Some(rate(&code)))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
}

#[tokio::test]
async fn pauses_block_calls_and_double_presses_are_harmless() {
    let office = TestOffice::new().await;
    office.issue(1, false).await;
    let clerk = office.clerk_at("mrossi", 1).await;
    // Signing in twice at the same counter is the same session.
    let again = office
        .call("POST", "/api/v1/counters/1/session", Some(&clerk), None)
        .await;
    assert_eq!(again.status, StatusCode::OK);
    let a = office
        .call(
            "POST",
            "/api/v1/counters/1/pause",
            Some(&clerk),
            Some(json!({"reason": "other", "note": "x".repeat(201)})),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let a = office
        .call(
            "POST",
            "/api/v1/counters/1/pause",
            Some(&clerk),
            Some(json!({"reason": "break", "note": "caffè"})),
        )
        .await;
    assert_eq!(a.body["paused"]["reason"], "break");
    assert_eq!(a.body["paused"]["note"], "caffè");
    let a = office
        .call("POST", "/api/v1/counters/1/call-next", Some(&clerk), None)
        .await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, ErrorCode::CounterPaused));
    office
        .call("POST", "/api/v1/counters/1/resume", Some(&clerk), None)
        .await;
    let a = office
        .call("POST", "/api/v1/counters/1/call-next", Some(&clerk), None)
        .await;
    assert_eq!(number(&a.body), "A001");
    // "Next" pressed twice: the second press is refused while A001 is at the counter.
    let a = office
        .call("POST", "/api/v1/counters/1/call-next", Some(&clerk), None)
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::CONFLICT, ErrorCode::TicketInProgress)
    );
    let a = office
        .call(
            "POST",
            "/api/v1/tickets/1/finish",
            Some(&clerk),
            Some(json!({"outcome": "certificato"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let a = office
        .call(
            "POST",
            "/api/v1/tickets/1/finish",
            Some(&clerk),
            Some(json!({"outcome": "certificato"})),
        )
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::CONFLICT, ErrorCode::IllegalTransition)
    );
    let a = office
        .call("DELETE", "/api/v1/counters/1/session", Some(&clerk), None)
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["clerk"], Value::Null);
}

#[tokio::test]
async fn end_of_day_closes_waiting_tickets_in_a_state_of_their_own() {
    let office = TestOffice::new().await;
    for _ in 0..3 {
        office.issue(1, false).await;
    }
    let clerk = office.clerk_at("mrossi", 1).await;
    office
        .call("POST", "/api/v1/counters/1/call-next", Some(&clerk), None)
        .await;
    office.call("POST", "/api/v1/tickets/1/start", Some(&clerk), None).await;
    let admin = office.login("admin").await;
    let a = office
        .call("POST", "/api/v1/admin/end-of-day", Some(&admin), Some(json!({})))
        .await;
    assert_eq!(a.body["expired"], 2, "{}", a.body);
    let expired = office
        .call("GET", "/api/v1/tickets?state=expired", Some(&admin), None)
        .await
        .body;
    assert_eq!(expired.as_array().unwrap().len(), 2);
    // The ticket being served is left to its clerk.
    let a = office
        .call(
            "POST",
            "/api/v1/tickets/1/finish",
            Some(&clerk),
            Some(json!({"outcome": "certificato"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
}

#[tokio::test]
async fn overdue_tickets_are_interleaved_with_fresh_ones() {
    let office = TestOffice::with_config(|c| c.priority_ratio = 1).await;
    // Anagrafe's target wait is 20 minutes: A001 and A002 will be overdue, A003 not.
    office.issue(1, false).await;
    office.issue(1, false).await;
    office.advance(SignedDuration::from_mins(15));
    office.issue(1, false).await;
    office.advance(SignedDuration::from_mins(10));
    let clerk = office.clerk_at("mrossi", 1).await;
    let mut order = Vec::new();
    for _ in 0..3 {
        let a = office
            .call("POST", "/api/v1/counters/1/call-next", Some(&clerk), None)
            .await;
        order.push(number(&a.body).to_owned());
        let id = a.body["ticket"]["id"].as_i64().unwrap();
        office
            .call("POST", &format!("/api/v1/tickets/{id}/cancel"), Some(&clerk), None)
            .await;
    }
    assert_eq!(order, ["A001", "A003", "A002"]);
}
