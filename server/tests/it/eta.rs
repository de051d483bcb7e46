//! The office's own days as the wait predictors' event log (`turno-server eta-eval --from`): the
//! log holds what happened, and the evaluator replaying it asks the very estimate the server gave.

use jiff::SignedDuration;
use serde_json::{Value, json};
use turno_shared::domain::eta::{FORWARD_CALIBRATION, Predictor, QueueState};
use turno_sim::log::{self, Kind};
use turno_sim::replay::replay;

use crate::support::TestOffice;

#[tokio::test]
async fn the_exported_day_replays_with_its_waits_and_the_servers_estimates() {
    let office = TestOffice::new().await;
    let maria = office.clerk_at("mrossi", 1).await;
    let luca = office.clerk_at("lbianchi", 2).await;
    // (minutes after the start, what happens): tickets, calls, visits of different lengths, a
    // priority ticket, a pause.
    let mut issued: Vec<Value> = Vec::new();
    let call = |token: String, counter: i64| {
        let office = &office;
        async move {
            let a = office
                .call(
                    "POST",
                    &format!("/api/v1/counters/{counter}/call-next"),
                    Some(&token),
                    None,
                )
                .await;
            a.body["ticket"]["id"].as_i64().expect("a ticket called")
        }
    };
    let finish = |token: String, id: i64| {
        let office = &office;
        async move {
            let a = office
                .call(
                    "POST",
                    &format!("/api/v1/tickets/{id}/finish"),
                    Some(&token),
                    Some(json!({"outcome": "certificato"})),
                )
                .await;
            assert_eq!(a.status.as_u16(), 200, "{}", a.body);
        }
    };
    for _ in 0..4 {
        issued.push(office.issue(1, false).await);
    }
    let a = call(maria.clone(), 1).await;
    let b = call(luca.clone(), 2).await;
    office.advance(SignedDuration::from_mins(3));
    issued.push(office.issue(1, true).await);
    office.advance(SignedDuration::from_mins(4));
    finish(maria.clone(), a).await;
    let c = call(maria.clone(), 1).await;
    office.advance(SignedDuration::from_mins(2));
    finish(luca.clone(), b).await;
    let p = office
        .call(
            "POST",
            "/api/v1/counters/2/pause",
            Some(&luca),
            Some(json!({"reason": "break"})),
        )
        .await;
    assert_eq!(p.status.as_u16(), 200, "{}", p.body);
    issued.push(office.issue(1, false).await);
    office.advance(SignedDuration::from_mins(6));
    finish(maria.clone(), c).await;
    for _ in 0..3 {
        let id = call(maria.clone(), 1).await;
        office.advance(SignedDuration::from_mins(5));
        finish(maria.clone(), id).await;
    }
    issued.push(office.issue(1, false).await);

    let state = office.state.clone();
    let day = state.office.day(state.store.now()).parse().unwrap();
    let events = state
        .store
        .read(move |c| turno_server::eta_log::office_log(c, &state.office, day, day))
        .await
        .unwrap();
    // Through the CSV, as `eta-eval` reads it.
    let mut csv = Vec::new();
    log::write(&events, &mut csv).unwrap();
    let events = log::read(csv.as_slice()).unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == Kind::CounterPause && e.counter == Some(2))
    );
    assert_eq!(events.iter().filter(|e| e.kind == Kind::CounterOpen).count(), 2);

    let ask = |s: &QueueState, id: i64| Predictor::Forward.minutes(s, id);
    let replayed = replay(&events, &[&ask]).unwrap();
    assert_eq!(replayed.len(), issued.len());
    for (p, answer) in replayed.iter().zip(&issued) {
        assert_eq!(p.ticket, answer["ticket"]["id"].as_i64().unwrap());
        // The wait the log records is the ticket's own, issue to call.
        let ticket = office
            .call(
                "GET",
                &format!("/api/v1/public/tickets/{}", answer["token"].as_str().unwrap()),
                None,
                None,
            )
            .await;
        let expected_called = ticket.body["state"] != "waiting";
        assert_eq!(p.actual.is_some(), expected_called, "{}", ticket.body);
        // And the estimate the evaluator measures is the one the kiosk printed.
        let eta = FORWARD_CALIBRATION.eta(p.raw[0].expect("a counter serves it"));
        assert_eq!(
            (json!(eta.minutes), json!(eta.low), json!(eta.high)),
            (
                answer["estimated_wait_minutes"].clone(),
                answer["estimated_wait_range"]["low_minutes"].clone(),
                answer["estimated_wait_range"]["high_minutes"].clone()
            ),
            "ticket {}",
            answer["ticket"]["number"]
        );
    }
    // Two called at once; the priority ticket (issued at 3) at 7, before the third (called at 15)
    // and the fourth (at 20).
    let waits: Vec<f64> = replayed.iter().take(5).map(|p| p.actual.unwrap()).collect();
    assert_eq!(waits, [0.0, 0.0, 15.0, 20.0, 4.0]);
}
