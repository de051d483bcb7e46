//! Statistics through the API, from an office day played out on the test clock: the figures come from
//! what the engine recorded (first calls, transfers, outcomes, ratings, pauses), read back exactly.

use axum::http::StatusCode;
use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::support::TestOffice;

async fn post(office: &TestOffice, token: &str, path: &str, body: Value) -> Value {
    let a = office.call("POST", path, Some(token), Some(body)).await;
    assert_eq!(a.status, StatusCode::OK, "POST {path}: {}", a.body);
    a.body
}

#[tokio::test]
async fn a_played_out_day_gives_its_exact_figures() {
    let office = TestOffice::new().await;
    let maria = office.clerk_at("mrossi", 1).await;
    // 10:00: three registry tickets and a civil-status one.
    let mut codes = Vec::new();
    for service in [1, 1, 1, 2] {
        codes.push(
            office.issue(service, false).await["rating_code"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // A001 called after 5 minutes, served in 10; A002 called after 15, served in 20; A003 called after
    // 35, a no-show; B001 called after 36, returned, called again, served in 4 (its wait ends at its
    // first call).
    let finish = |minutes_to_wait: i64, minutes_to_serve: Option<i64>| {
        let office = &office;
        let maria = &maria;
        async move {
            office.advance(SignedDuration::from_mins(minutes_to_wait));
            let t = post(office, maria, "/api/v1/counters/1/call-next", json!(null)).await;
            let id = t["ticket"]["id"].as_i64().unwrap();
            match minutes_to_serve {
                Some(m) => {
                    post(office, maria, &format!("/api/v1/tickets/{id}/start"), json!(null)).await;
                    office.advance(SignedDuration::from_mins(m));
                    let outcome = if t["ticket"]["service_id"] == 1 {
                        "certificato"
                    } else {
                        "atto"
                    };
                    post(
                        office,
                        maria,
                        &format!("/api/v1/tickets/{id}/finish"),
                        json!({"outcome": outcome}),
                    )
                    .await;
                }
                None => {
                    post(office, maria, &format!("/api/v1/tickets/{id}/no-show"), json!(null)).await;
                }
            }
            id
        }
    };
    finish(5, Some(10)).await; // A001: waited 5, served 10 — at 10:15
    finish(0, Some(20)).await; // A002: waited 15, served 20 — at 10:35
    finish(0, None).await; // A003: waited 35
    office.advance(SignedDuration::from_mins(1));
    let t = post(&office, &maria, "/api/v1/counters/1/call-next", json!(null)).await;
    let b = t["ticket"]["id"].as_i64().unwrap();
    post(&office, &maria, &format!("/api/v1/tickets/{b}/return"), json!(null)).await;
    office.advance(SignedDuration::from_mins(2));
    post(&office, &maria, "/api/v1/counters/1/call", json!({"ticket_id": b})).await;
    office.advance(SignedDuration::from_mins(4));
    post(
        &office,
        &maria,
        &format!("/api/v1/tickets/{b}/finish"),
        json!({"outcome": "atto"}),
    )
    .await;
    // A pause of 10 minutes, two ratings.
    post(&office, &maria, "/api/v1/counters/1/pause", json!({"reason": "break"})).await;
    office.advance(SignedDuration::from_mins(10));
    post(&office, &maria, "/api/v1/counters/1/resume", json!(null)).await;
    for (code, face) in [(&codes[0], "good"), (&codes[1], "bad")] {
        let body = if face == "bad" {
            json!({"code": code, "rating": face, "reason": "waiting_time"})
        } else {
            json!({"code": code, "rating": face})
        };
        post(&office, &office.kiosk, "/api/v1/ratings", body).await;
    }

    let admin = office.login("admin").await;
    let a = office.call("GET", "/api/v1/stats", Some(&admin), None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let t = &a.body["total"];
    assert_eq!(
        [
            &t["issued"],
            &t["served"],
            &t["no_show"],
            &t["cancelled"],
            &t["expired"]
        ],
        [&json!(4), &json!(3), &json!(1), &json!(0), &json!(0)]
    );
    // Waits 5, 15, 35, 36 minutes: median (rank 2) 15, p90 (rank 4) 36; two waited over 20 minutes.
    assert_eq!(t["wait"]["median_secs"], 900);
    assert_eq!(t["wait"]["p90_secs"], 36 * 60);
    assert_eq!(t["wait"]["max_secs"], 36 * 60);
    assert_eq!(
        (t["long_waits"].clone(), t["long_wait_share"].clone()),
        (json!(2), json!(0.5))
    );
    // Service 10, 20 and 4 minutes (from the start, or the last call when never started).
    assert_eq!(t["service"]["median_secs"], 600);
    assert_eq!(t["service"]["count"], 3);
    // Registry target 20 minutes: A001 and A002 within; civil status target 30: B001 not.
    assert_eq!(t["within_target_share"], json!(0.5));
    let s = &t["satisfaction"];
    assert_eq!(
        (s["responses"].clone(), s["good"].clone(), s["bad"].clone()),
        (json!(2), json!(1), json!(1))
    );
    assert_eq!(s["index"], 50.0);
    assert_eq!(s["participation"], json!(2.0 / 3.0));
    assert_eq!(s["reasons"]["waiting_time"], 1);
    assert_eq!(a.body["pauses"], json!([{"reason": "break", "count": 1, "secs": 600}]));
    // By service, with the outcomes; Thursday at 10 (Rome) for the arrivals.
    let by_service = a.body["by_service"].as_array().unwrap();
    assert_eq!(by_service.len(), 2);
    assert_eq!(by_service[1]["figures"]["served"], 1);
    assert_eq!(a.body["arrivals"][3][10], 4);
    assert_eq!(
        a.body["outcomes"],
        json!([
            {"service_id": 1, "outcome": "certificato", "count": 2},
            {"service_id": 2, "outcome": "atto", "count": 1}
        ])
    );
    // The clerk's satisfaction is withheld (two ratings), their other figures are not.
    let clerk = &a.body["by_clerk"][0]["figures"];
    assert_eq!(
        (clerk["served"].clone(), clerk.get("satisfaction").cloned()),
        (json!(3), Some(Value::Null))
    );
    // Filters, and another day.
    let a = office
        .call("GET", "/api/v1/stats?service_id=2", Some(&admin), None)
        .await;
    assert_eq!(a.body["total"]["issued"], 1);
    assert_eq!(a.body["pauses"], json!([]));
    let a = office
        .call("GET", "/api/v1/stats?from=2026-11-25", Some(&admin), None)
        .await;
    assert_eq!(a.body["total"]["issued"], 0);
    let a = office
        .call("GET", "/api/v1/stats?from=2026-11-20&to=2026-11-30", Some(&admin), None)
        .await;
    assert_eq!(a.body["total"]["issued"], 4);
}

/// Two months of generated history: counted in two halves side by side (as a long range is) or on
/// one connection, the figures are the same, to the second and the rating.
#[tokio::test]
async fn a_long_range_counted_in_halves_gives_the_same_figures() {
    use turno_server::{history, stats};
    let office = TestOffice::new().await;
    let today = office.state.office.local(office.state.store.now()).date();
    let made = history::generate(
        &office.state,
        today,
        history::Options {
            days: 50,
            tickets_per_day: 40,
            seed: 3,
        },
    )
    .await
    .unwrap();
    assert!(made > 1000, "{made} tickets");
    let query = stats::Query {
        from: today.checked_sub(jiff::Span::new().days(70)).unwrap(),
        to: today,
        service_id: None,
        counter_id: None,
        user_id: None,
    };
    let (office_cfg, q, now) = (office.state.office.clone(), query.clone(), office.state.store.now());
    let whole = office
        .state
        .store
        .read(move |c| stats::compute(c, &office_cfg, &q, now))
        .await
        .unwrap();
    let halves = stats::compute_in(&office.state.store, office.state.office.clone(), query, now)
        .await
        .unwrap();
    assert_eq!(u64::from(whole.total.issued), made);
    assert!(whole.total.satisfaction.as_ref().is_some_and(|s| s.responses > 0));
    assert!(
        whole.total.transferred > 0 && whole.total.walk_ins > 0,
        "{:?}",
        whole.total
    );
    assert_eq!(halves, whole);
    // Every generated ticket's history is a path through the ticket's states that ends where the
    // ticket stands, as the live office would have recorded it.
    let broken: Vec<(i64, String)> = office
        .state
        .store
        .read(|c| {
            let mut stmt = c.prepare(
                "SELECT t.id, t.state, e.from_state, e.to_state, e.action FROM tickets t
                 JOIN ticket_events e ON e.ticket_id = t.id ORDER BY t.id, e.at, e.id",
            )?;
            let mut rows = stmt.query([])?;
            let mut broken = Vec::new();
            let mut last: Option<(i64, String, String)> = None;
            let check_end = |last: &Option<(i64, String, String)>, broken: &mut Vec<(i64, String)>| {
                if let Some((id, state, at)) = last
                    && state != at
                {
                    broken.push((*id, format!("ends {at}, ticket {state}")));
                }
            };
            while let Some(r) = rows.next()? {
                let (id, state, from, to, action): (i64, String, Option<String>, String, String) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
                match &last {
                    Some((prev, _, at)) if *prev == id => {
                        let action: turno_shared::domain::TicketAction = action.parse().unwrap();
                        let from: turno_shared::domain::TicketState = from.clone().unwrap().parse().unwrap();
                        if from.to_string() != *at || from.apply(action).map(|s| s.to_string()) != Ok(to.clone()) {
                            broken.push((id, format!("{at} then {from:?} -{action:?}-> {to}")));
                        }
                    }
                    _ => {
                        check_end(&last, &mut broken);
                        if action != "issue" || from.is_some() || to != "waiting" {
                            broken.push((id, format!("starts {from:?} -> {to}")));
                        }
                    }
                }
                last = Some((id, state, to));
            }
            check_end(&last, &mut broken);
            Ok(broken)
        })
        .await
        .unwrap();
    assert!(
        broken.is_empty(),
        "{} tickets off the state machine: {:?}",
        broken.len(),
        &broken[..broken.len().min(5)]
    );
}
