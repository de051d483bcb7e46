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

/// The queue the server estimates from is kept in memory (`store::queue::LiveQueue`), changed by
/// the rows each commit touches: after every step of a random office morning (tickets, calls,
/// visits, no-shows, returns, transfers, pauses, counters closing and opening, a counter's services
/// changed, time passing) it is the queue read from the tables.
#[tokio::test]
async fn the_queue_in_memory_is_the_queue_in_the_tables() {
    let office = TestOffice::new().await;
    let admin = office.login("admin").await;
    let clerks = [("mrossi", 1), ("lbianchi", 2), ("gverdi", 3), ("fesposito", 4)];
    let mut tokens = Vec::new();
    for (name, counter) in clerks {
        tokens.push(office.clerk_at(name, counter).await);
    }
    let view = office.call("GET", "/api/v1/office", None, None).await.body;
    let services: Vec<(i64, String)> = view["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_i64().unwrap(),
                s["outcomes"][0]["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rand = |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    // The ticket at each counter, and whether its clerk is signed in, paused.
    let mut current: Vec<Option<(i64, i64)>> = vec![None; clerks.len()];
    let mut open = vec![true; clerks.len()];
    let mut paused = vec![false; clerks.len()];
    let mut issued: Vec<i64> = Vec::new();
    for step in 0..400 {
        let k = rand(clerks.len() as u64) as usize;
        let (token, counter) = (tokens[k].clone(), clerks[k].1);
        let post = |path: String, body: Option<Value>| {
            let (office, token) = (&office, token.clone());
            async move { office.call("POST", &path, Some(&token), body).await }
        };
        let what = rand(15);
        match what {
            0..=3 => {
                let (service, _) = &services[rand(services.len() as u64) as usize];
                let t = office.issue(*service, rand(5) == 0).await;
                issued.push(t["ticket"]["id"].as_i64().unwrap());
            }
            4..=6 if open[k] && !paused[k] && current[k].is_none() => {
                let a = post(format!("/api/v1/counters/{counter}/call-next"), None).await;
                if let Some(id) = a.body["ticket"]["id"].as_i64() {
                    current[k] = Some((id, a.body["ticket"]["service_id"].as_i64().unwrap()));
                }
            }
            7..=8 => {
                if let Some((id, service)) = current[k].take() {
                    if rand(4) == 0 {
                        post(format!("/api/v1/tickets/{id}/no-show"), None).await;
                    } else {
                        // Started if it was not yet.
                        post(format!("/api/v1/tickets/{id}/start"), None).await;
                        let outcome = &services.iter().find(|s| s.0 == service).unwrap().1;
                        let a = post(
                            format!("/api/v1/tickets/{id}/finish"),
                            Some(json!({"outcome": outcome})),
                        )
                        .await;
                        assert_eq!(a.status.as_u16(), 200, "{}", a.body);
                    }
                }
            }
            9 => {
                if let Some((id, _)) = current[k].take() {
                    match rand(3) {
                        0 => post(format!("/api/v1/tickets/{id}/return"), None).await,
                        1 => {
                            let to = clerks[rand(clerks.len() as u64) as usize].1;
                            post(
                                format!("/api/v1/tickets/{id}/transfer"),
                                Some(json!({"counter_id": to})),
                            )
                            .await
                        }
                        _ => {
                            let to = services[rand(services.len() as u64) as usize].0;
                            post(
                                format!("/api/v1/tickets/{id}/transfer"),
                                Some(json!({"service_id": to})),
                            )
                            .await
                        }
                    };
                }
            }
            10 if open[k] && current[k].is_none() && rand(3) == 0 => {
                let path = if paused[k] { "resume" } else { "pause" };
                let body = (!paused[k]).then(|| json!({"reason": "break"}));
                if post(format!("/api/v1/counters/{counter}/{path}"), body)
                    .await
                    .status
                    .as_u16()
                    == 200
                {
                    paused[k] = !paused[k];
                }
            }
            11 if current[k].is_none() && rand(3) == 0 => {
                let a = if open[k] {
                    office
                        .call(
                            "DELETE",
                            &format!("/api/v1/counters/{counter}/session"),
                            Some(&token),
                            None,
                        )
                        .await
                } else {
                    post(format!("/api/v1/counters/{counter}/session"), None).await
                };
                if a.status.as_u16() == 200 {
                    open[k] = !open[k];
                    paused[k] = false;
                }
            }
            12 if step % 4 == 0 => {
                // The back office changes which services a counter serves, in which order.
                let all = office
                    .call("GET", "/api/v1/admin/counters", Some(&admin), None)
                    .await
                    .body;
                let mut input = all
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|c| c["id"] == counter)
                    .unwrap()
                    .clone();
                input.as_object_mut().unwrap().remove("id");
                let mut served: Vec<i64> = services.iter().map(|s| s.0).collect();
                let n = served.len() as u64;
                served.rotate_left(rand(n) as usize);
                served.truncate(1 + rand(n) as usize);
                input["services"] = json!(served);
                let a = office
                    .call(
                        "PUT",
                        &format!("/api/v1/admin/counters/{counter}"),
                        Some(&admin),
                        Some(input),
                    )
                    .await;
                assert_eq!(a.status.as_u16(), 200, "{}", a.body);
            }
            _ => office.advance(SignedDuration::from_secs(rand(150) as i64)),
        }
        let state = office.state.clone();
        let now = state.store.now();
        let include = issued.get(rand(issued.len().max(1) as u64) as usize).copied();
        let memory = turno_server::engine::queue_state(&state.store.queue(), &state.office, now, include).unwrap();
        let tables = state
            .store
            .read(move |c| turno_server::engine::queue_state_from_tables(c, &state.office, now, include))
            .await
            .unwrap();
        assert_eq!(memory, tables, "step {step} ({what})");
    }
    // The morning did what it says.
    let tables = office.state.store.queue();
    let s = turno_server::engine::queue_state(&tables, &office.state.office, office.state.store.now(), None)
        .unwrap()
        .expect("a counter is open");
    assert!(
        s.services.iter().filter(|s| s.recent_visit_secs.len() >= 2).count() >= 4,
        "{s:?}"
    );
    assert!(s.services.iter().any(|s| s.issued_last_hour > 0), "{s:?}");
    assert!(
        s.waiting.iter().any(|w| w.to_counter.is_some()) || s.waiting.len() > 3,
        "{s:?}"
    );
}
