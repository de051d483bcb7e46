//! Every route refuses missing, wrong and wrong-role credentials; logins are rate-limited; revoked
//! devices and signed-out users stop at once. Routes are enumerated from the generated OpenAPI document.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::TestOffice;

/// Operations anyone may use, by operation id.
const PUBLIC: &[&str] = &["office", "ticket_status", "rate_ticket", "login"];

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

    let doc = office.call("GET", "/api/v1/openapi.json", None, None).await.body;
    let paths = doc["paths"].as_object().expect("the document lists paths");
    let mut checked = 0;
    for (path, ops) in paths {
        let concrete = path.replace("{id}", "1").replace("{token}", "0123456789abcdef");
        for (method, op) in ops.as_object().unwrap() {
            let method = method.to_uppercase();
            let id = op["operationId"].as_str().unwrap_or_default();
            let roles: Vec<&str> = op["security"]
                .as_array()
                .map(|reqs| {
                    reqs.iter()
                        .flat_map(|r| r.as_object().unwrap().keys().map(String::as_str))
                        .collect()
                })
                .unwrap_or_default();
            if roles.is_empty() {
                assert!(
                    PUBLIC.contains(&id),
                    "{method} {path} ({id}) declares no role and is not public"
                );
                continue;
            }
            assert!(!PUBLIC.contains(&id), "{method} {path} is public but declares roles");
            let body = matches!(method.as_str(), "POST" | "PUT").then(|| json!({}));
            let a = office.call(&method, &concrete, None, body.clone()).await;
            assert_eq!(
                a.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} without credentials: {}",
                a.body
            );
            assert_eq!(a.code(), "unauthenticated");
            let a = office.call(&method, &concrete, Some("not-a-token"), body.clone()).await;
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
                let a = office.call(&method, &concrete, Some(token), body.clone()).await;
                assert_eq!(a.status, StatusCode::FORBIDDEN, "{method} {path} as {who}: {}", a.body);
                assert_eq!(a.code(), "forbidden");
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
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, "counter_taken"));
}

#[tokio::test]
async fn failed_logins_are_rate_limited() {
    let office = TestOffice::new().await;
    let wrong = json!({"username": "mrossi", "password": "wrong password"});
    for _ in 0..5 {
        let a = office
            .call("POST", "/api/v1/auth/login", None, Some(wrong.clone()))
            .await;
        assert_eq!((a.status, a.code()), (StatusCode::UNAUTHORIZED, "bad_credentials"));
    }
    let right = json!({"username": "mrossi", "password": "sportello1"});
    let a = office.call("POST", "/api/v1/auth/login", None, Some(right)).await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
    );
    // Other users are not locked out.
    office.login("lbianchi").await;
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
