//! Every route accepts its documented role and refuses missing, wrong and wrong-role credentials,
//! clerks act only at their own counter; logins are rate-limited; revoked devices, signed-out users
//! and their live streams stop at once. Routes are enumerated from the generated OpenAPI document.

use axum::http::StatusCode;
use serde_json::json;
use turno_shared::api::ErrorCode;

use crate::support::TestOffice;

/// Operations anyone may use, by operation id.
const PUBLIC: &[&str] = &[
    "office",
    "ticket_status",
    "rate_ticket",
    "login",
    "download_form",
    "ticket_live",
];

/// An operation of the OpenAPI document.
struct Operation {
    method: String,
    path: String,
    id: String,
    /// The roles its `security` names; empty for public operations.
    roles: Vec<String>,
}

impl Operation {
    /// The path with ticket and counter 1, and `token` for a ticket's token.
    fn concrete(&self, token: &str) -> String {
        self.path.replace("{id}", "1").replace("{token}", token)
    }

    /// A body for the methods that take one: valid for the clerk's actions (whose counter is checked
    /// once the request is understood), empty for the others.
    fn body(&self) -> Option<serde_json::Value> {
        let valid = match self.id.as_str() {
            "finish" => json!({"outcome": "certificato"}),
            "transfer" => json!({"service_id": 1}),
            "pause" => json!({"reason": "break"}),
            "call_ticket" => json!({"ticket_id": 2}),
            "walk_in" => json!({"service_id": 1, "outcome": "certificato"}),
            _ => json!({}),
        };
        matches!(self.method.as_str(), "POST" | "PUT").then_some(valid)
    }
}

async fn operations(office: &TestOffice) -> Vec<Operation> {
    let doc = office.call("GET", "/api/v1/openapi.json", None, None).await.body;
    let mut out = Vec::new();
    for (path, ops) in doc["paths"].as_object().expect("the document lists paths") {
        for (method, op) in ops.as_object().unwrap() {
            let roles = op["security"]
                .as_array()
                .map(|reqs| {
                    reqs.iter()
                        .flat_map(|r| r.as_object().unwrap().keys().cloned())
                        .collect()
                })
                .unwrap_or_default();
            out.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                id: op["operationId"].as_str().unwrap_or_default().to_owned(),
                roles,
            });
        }
    }
    out
}

/// Every protected operation accepts each principal its roles admit: whatever it answers (the empty
/// body may be invalid, the ticket in the wrong state), it is not 401 or 403. A clerk is accepted at
/// their own counter, on the ticket called there; any other clerk is refused every counter-scoped
/// action. Each operation runs on an office of its own, so that none changes what the next one sees.
#[tokio::test]
async fn every_route_accepts_its_documented_roles_and_counter_actions_only_at_their_counter() {
    let office = TestOffice::new().await;
    let ops = operations(&office).await;
    let checks = ops.iter().filter(|op| !op.roles.is_empty()).map(|op| async move {
        let office = TestOffice::new().await;
        // Ticket 1 is called at counter 1, where Maria is signed in; Luca is at counter 2.
        let ticket = office.issue(1, false).await;
        office.issue(1, false).await;
        let token = ticket["token"].as_str().unwrap().to_owned();
        let maria = office.clerk_at("mrossi", 1).await;
        let luca = office.clerk_at("lbianchi", 2).await;
        let called = office
            .call("POST", "/api/v1/counters/1/call-next", Some(&maria), None)
            .await;
        assert_eq!(called.body["ticket"]["id"], 1, "{}", called.body);
        let admin = office.login("admin").await;
        let admitted: Vec<(&str, String)> = op
            .roles
            .iter()
            .flat_map(|role| match role.as_str() {
                "kiosk" => vec![("kiosk", office.kiosk.clone())],
                "display" => vec![
                    ("display", office.display.clone()),
                    ("kiosk", office.kiosk.clone()),
                    ("clerk", maria.clone()),
                    ("admin", admin.clone()),
                ],
                "user" => vec![
                    ("clerk", maria.clone()),
                    ("other clerk", luca.clone()),
                    ("admin", admin.clone()),
                ],
                "clerk" => vec![("clerk at the counter", maria.clone())],
                "admin" => vec![("admin", admin.clone())],
                other => panic!("unknown role {other} in the OpenAPI document"),
            })
            .collect();
        let path = op.concrete(&token);
        // First the stranger, while the ticket is still at counter 1.
        if op.roles.iter().all(|r| r == "clerk") {
            let a = office.call(&op.method, &path, Some(&luca), op.body()).await;
            assert_eq!(
                (a.status, a.code()),
                (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
                "{} {} ({}) by a clerk at another counter: {}",
                op.method,
                op.path,
                op.id,
                a.body
            );
        }
        for (who, credential) in admitted {
            let a = office.call(&op.method, &path, Some(&credential), op.body()).await;
            assert!(
                a.status != StatusCode::UNAUTHORIZED && a.status != StatusCode::FORBIDDEN,
                "{} {} ({}) refused {who}, whom its roles {:?} admit: {} {}",
                op.method,
                op.path,
                op.id,
                op.roles,
                a.status,
                a.body
            );
        }
        op.id.clone()
    });
    let checked = futures_util::future::join_all(checks).await;
    // The counter-scoped actions a clerk takes are all among them.
    for id in [
        "recall",
        "start",
        "finish",
        "no_show",
        "return_to_queue",
        "transfer",
        "cancel",
        "pause",
        "resume",
        "call_next",
        "call_ticket",
        "close_session",
    ] {
        assert!(
            checked.iter().any(|c| c == id),
            "{id} is not a documented protected operation"
        );
    }
}

#[tokio::test]
async fn every_route_refuses_missing_wrong_and_wrong_role_credentials() {
    let office = TestOffice::new().await;
    let clerk = office.clerk_at("mrossi", 1).await;
    let admin = office.login("admin").await;
    let principals = [
        ("kiosk", office.kiosk.clone()),
        ("display", office.display.clone()),
        ("clerk", clerk),
        ("admin", admin),
    ];
    // Who each role named in the document admits.
    let admits = |role: &str, who: &str| match role {
        "kiosk" => who == "kiosk",
        "display" => true,
        "user" | "clerk" => who == "clerk" || who == "admin",
        "admin" => who == "admin",
        other => panic!("unknown role {other} in the OpenAPI document"),
    };

    let mut checked = 0;
    for op in operations(&office).await {
        let (method, path, id) = (op.method.as_str(), op.path.as_str(), op.id.as_str());
        let concrete = op.concrete("0123456789abcdef");
        let roles: Vec<&str> = op.roles.iter().map(String::as_str).collect();
        {
            if roles.is_empty() {
                assert!(
                    PUBLIC.contains(&id),
                    "{method} {path} ({id}) declares no role and is not public"
                );
                continue;
            }
            assert!(!PUBLIC.contains(&id), "{method} {path} is public but declares roles");
            let body = op.body();
            let a = office.call(method, &concrete, None, body.clone()).await;
            assert_eq!(
                a.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} without credentials: {}",
                a.body
            );
            assert_eq!(a.code(), ErrorCode::Unauthenticated);
            let a = office.call(method, &concrete, Some("not-a-token"), body.clone()).await;
            assert_eq!(
                a.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} with a wrong token: {}",
                a.body
            );
            for (who, token) in &principals {
                if roles.iter().any(|r| admits(r, who)) {
                    continue;
                }
                let a = office.call(method, &concrete, Some(token), body.clone()).await;
                assert_eq!(a.status, StatusCode::FORBIDDEN, "{method} {path} as {who}: {}", a.body);
                assert_eq!(a.code(), ErrorCode::Forbidden);
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} protected operations found");
}

#[tokio::test]
async fn a_clerk_acts_only_at_their_own_counter() {
    let office = TestOffice::new().await;
    let at_one = office.clerk_at("mrossi", 1).await;
    let at_two = office.clerk_at("lbianchi", 2).await;
    office.issue(1, false).await;
    let a = office
        .call("POST", "/api/v1/counters/1/call-next", Some(&at_two), None)
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    let called = office
        .call("POST", "/api/v1/counters/1/call-next", Some(&at_one), None)
        .await;
    let id = called.body["ticket"]["id"].as_i64().unwrap();
    let a = office
        .call("POST", &format!("/api/v1/tickets/{id}/start"), Some(&at_two), None)
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    // The admin may hold a counter too, but not one that is taken.
    let admin = office.login("admin").await;
    let a = office
        .call("POST", "/api/v1/counters/1/session", Some(&admin), None)
        .await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, ErrorCode::CounterTaken));
}

#[tokio::test]
async fn failed_logins_are_rate_limited() {
    let office = TestOffice::new().await;
    for _ in 0..5 {
        let a = office.login_from("10.0.0.7", "mrossi", "wrong password").await;
        assert_eq!(
            (a.status, a.code()),
            (StatusCode::UNAUTHORIZED, ErrorCode::BadCredentials)
        );
    }
    let a = office.login_from("10.0.0.7", "mrossi", "sportello1").await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyAttempts)
    );
    // Other users are not locked out, and the clerk can sign in at another desk.
    assert_eq!(
        office.login_from("10.0.0.7", "lbianchi", "sportello2").await.status,
        StatusCode::OK
    );
    assert_eq!(
        office.login_from("10.0.0.8", "mrossi", "sportello1").await.status,
        StatusCode::OK
    );
}

/// 100 wrong passwords sent at once are counted before they are checked: at most the allowance is
/// tried, the rest are refused without hashing, and the real clerk at another desk still signs in.
#[tokio::test]
async fn a_flood_of_guesses_is_counted_before_hashing_and_locks_no_one_out() {
    let office = TestOffice::new().await;
    let answers = futures_util::future::join_all((0..100).map(|i| {
        let office = &office;
        async move { office.login_from("10.0.0.66", "mrossi", &format!("guess {i}")).await }
    }))
    .await;
    let tried = answers.iter().filter(|a| a.status == StatusCode::UNAUTHORIZED).count();
    let refused = answers
        .iter()
        .filter(|a| a.status == StatusCode::TOO_MANY_REQUESTS || a.status == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    assert!(tried <= 5, "{tried} guesses were checked");
    assert_eq!(tried + refused, 100, "every guess is answered 401, 429 or 503");
    assert!(
        office.state.password_checks() <= 5,
        "{} hashes spent on guesses",
        office.state.password_checks()
    );
    let a = office.login_from("10.0.0.8", "mrossi", "sportello1").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
}

/// Many logins from many addresses at once: the hashing queue is bounded, so the excess is answered
/// 503 at once instead of waiting behind the others.
#[tokio::test]
async fn the_hashing_queue_is_bounded() {
    let office = TestOffice::new().await;
    let answers = futures_util::future::join_all((0..120).map(|i| {
        let office = &office;
        async move { office.login_from(&format!("10.1.0.{}", i + 1), "nobody", "x").await }
    }))
    .await;
    let busy = answers
        .iter()
        .filter(|a| a.status == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    let checked = answers.iter().filter(|a| a.status == StatusCode::UNAUTHORIZED).count();
    assert_eq!(busy + checked, 120);
    assert!(busy > 0, "120 logins at once all waited for the hashing thread");
    assert!(
        answers
            .iter()
            .filter(|a| a.status == StatusCode::SERVICE_UNAVAILABLE)
            .all(|a| a.code() == ErrorCode::Unavailable)
    );
    // The clerk's own retry goes through once the burst is over.
    let a = office.login_from("10.0.0.8", "mrossi", "sportello1").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
}

/// Unknown and inactive usernames cost one password hash, like real ones: neither the answer nor its
/// time tells which usernames exist or are active.
#[tokio::test]
async fn unknown_and_inactive_users_cost_the_same_hash() {
    let office = TestOffice::new().await;
    let admin = office.login("admin").await;
    let users = office.call("GET", "/api/v1/admin/users", Some(&admin), None).await.body;
    let gverdi = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "gverdi")
        .unwrap()
        .clone();
    let id = gverdi["id"].as_i64().unwrap();
    let a = office
        .call("DELETE", &format!("/api/v1/admin/users/{id}"), Some(&admin), None)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    for (who, password) in [
        ("gverdi", "sportello3"),
        ("nobody", "sportello3"),
        ("lbianchi", "wrong"),
    ] {
        let before = office.state.password_checks();
        let a = office.login_from("10.0.0.9", who, password).await;
        assert_eq!(
            (a.status, a.code()),
            (StatusCode::UNAUTHORIZED, ErrorCode::BadCredentials),
            "{who}"
        );
        assert_eq!(office.state.password_checks() - before, 1, "{who} cost one hash");
    }
}

#[tokio::test]
async fn revoked_devices_and_signed_out_users_stop_at_once() {
    let office = TestOffice::new().await;
    let admin = office.login("admin").await;
    office.issue(1, false).await;
    let devices = office
        .call("GET", "/api/v1/admin/devices", Some(&admin), None)
        .await
        .body;
    let kiosk_id = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "kiosk")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let a = office
        .call(
            "DELETE",
            &format!("/api/v1/admin/devices/{kiosk_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let a = office
        .call(
            "POST",
            "/api/v1/tickets",
            Some(&office.kiosk),
            Some(json!({"service_id": 1})),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.body);

    let clerk = office.login("mrossi").await;
    assert_eq!(
        office
            .call("GET", "/api/v1/counters/1", Some(&clerk), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        office
            .call("POST", "/api/v1/auth/logout", Some(&clerk), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        office
            .call("GET", "/api/v1/counters/1", Some(&clerk), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn logins_expire() {
    let office = TestOffice::new().await;
    let clerk = office.login("mrossi").await;
    office.advance(jiff::SignedDuration::from_hours(13));
    let a = office.call("GET", "/api/v1/counters/1", Some(&clerk), None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

/// Reads a live-event stream until it ends; panics if it is still open after `within`.
async fn stream_ends(office: &TestOffice, token: &str, action: impl std::future::Future<Output = ()>) {
    use http_body_util::BodyExt;
    let req = axum::http::Request::builder()
        .uri("/api/v1/events")
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = tower::ServiceExt::oneshot(office.router.clone(), req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut body = resp.into_body();
    action.await;
    // The stream checks its credentials once per keep-alive period (1 s here); 20 s is only a bound.
    let ended = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while let Some(frame) = body.frame().await {
            if frame.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream outlived its credentials");
}

async fn stream_office() -> TestOffice {
    TestOffice::with_config(|c| c.limits.stream_keepalive_secs = 1).await
}

#[tokio::test]
async fn live_streams_end_when_their_credentials_do() {
    // Signed out.
    let office = stream_office().await;
    let clerk = office.login("mrossi").await;
    stream_ends(&office, &clerk, async {
        let a = office.call("POST", "/api/v1/auth/logout", Some(&clerk), None).await;
        assert_eq!(a.status, StatusCode::OK);
    })
    .await;
    // A revoked display.
    let admin = office.login("admin").await;
    let display = office.display.clone();
    stream_ends(&office, &display, async {
        let devices = office
            .call("GET", "/api/v1/admin/devices", Some(&admin), None)
            .await
            .body;
        let id = devices
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["kind"] == "display")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let a = office
            .call("DELETE", &format!("/api/v1/admin/devices/{id}"), Some(&admin), None)
            .await;
        assert_eq!(a.status, StatusCode::OK);
    })
    .await;
    // A deactivated user.
    let clerk = office.login("lbianchi").await;
    stream_ends(&office, &clerk, async {
        let users = office.call("GET", "/api/v1/admin/users", Some(&admin), None).await.body;
        let id = users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == "lbianchi")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let a = office
            .call("DELETE", &format!("/api/v1/admin/users/{id}"), Some(&admin), None)
            .await;
        assert_eq!(a.status, StatusCode::OK);
    })
    .await;
    // An expired login.
    let clerk = office.login("gverdi").await;
    stream_ends(&office, &clerk, async {
        office.advance(jiff::SignedDuration::from_hours(13));
    })
    .await;
}

/// A clerk acts on the tickets of their counter's services and on those transferred to their counter;
/// the back office may act on any waiting ticket; each action names who made it and from where.
#[tokio::test]
async fn clerks_act_only_on_their_counters_tickets() {
    let office = TestOffice::new().await;
    // Sportello 1 serves anagrafe (A) and stato civile (B); Sportello 3 tributi (C) and protocollo (D).
    let maria = office.clerk_at("mrossi", 1).await;
    let giulia = office.clerk_at("gverdi", 3).await;
    let tributi = office.issue(3, false).await;
    let c1 = tributi["ticket"]["id"].as_i64().unwrap();
    let refused = |a: crate::support::Answer| {
        assert_eq!(
            (a.status, a.code()),
            (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
            "{}",
            a.body
        );
    };
    refused(
        office
            .call(
                "POST",
                "/api/v1/counters/1/call",
                Some(&maria),
                Some(json!({"ticket_id": c1})),
            )
            .await,
    );
    refused(
        office
            .call("POST", &format!("/api/v1/tickets/{c1}/cancel"), Some(&maria), None)
            .await,
    );
    refused(
        office
            .call(
                "POST",
                &format!("/api/v1/tickets/{c1}/transfer"),
                Some(&maria),
                Some(json!({"service_id": 1})),
            )
            .await,
    );
    // A ticket of Maria's service transferred to Sportello 3 is Giulia's, not Maria's.
    let anagrafe = office.issue(1, false).await;
    let a1 = anagrafe["ticket"]["id"].as_i64().unwrap();
    let a = office
        .call(
            "POST",
            &format!("/api/v1/tickets/{a1}/transfer"),
            Some(&maria),
            Some(json!({"counter_id": 3})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    refused(
        office
            .call("POST", &format!("/api/v1/tickets/{a1}/cancel"), Some(&maria), None)
            .await,
    );
    refused(
        office
            .call(
                "POST",
                "/api/v1/counters/1/call",
                Some(&maria),
                Some(json!({"ticket_id": a1})),
            )
            .await,
    );
    let a = office
        .call(
            "POST",
            "/api/v1/counters/3/call",
            Some(&giulia),
            Some(json!({"ticket_id": a1})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    // The back office, at no counter, cancels the tributi ticket.
    let admin = office.login("admin").await;
    let a = office
        .call("POST", &format!("/api/v1/tickets/{c1}/cancel"), Some(&admin), None)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    // The history says who did what from where.
    let history = office
        .call("GET", &format!("/api/v1/tickets/{a1}/events"), Some(&giulia), None)
        .await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.body);
    let steps: Vec<(String, Option<i64>)> = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_owned(), e["counter_id"].as_i64()))
        .collect();
    assert_eq!(
        steps,
        [
            ("issue".into(), None),
            ("transfer".into(), Some(1)),
            ("call".into(), Some(3))
        ]
    );
    let history = office
        .call("GET", &format!("/api/v1/tickets/{c1}/events"), Some(&admin), None)
        .await
        .body;
    let cancel = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(cancel["action"], "cancel");
    assert_eq!(cancel["counter_id"], serde_json::Value::Null);
    let users = office.call("GET", "/api/v1/admin/users", Some(&admin), None).await.body;
    let admin_id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "admin")
        .unwrap()["id"]
        .clone();
    assert_eq!(cancel["user_id"], admin_id);
}
