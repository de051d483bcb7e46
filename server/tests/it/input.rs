//! Bad input gets a JSON error with a stable code and a 4xx status, and writes nothing.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use turno_shared::api::ErrorCode;

use crate::support::TestOffice;

#[tokio::test]
async fn malformed_requests_get_clear_json_errors() {
    let office = TestOffice::new().await;
    let admin = office.login("admin").await;
    let kiosk = office.kiosk.clone();
    let raw = |body: &'static str, content_type: Option<&str>| {
        let mut req = Request::builder()
            .method("POST")
            .uri("/api/v1/tickets")
            .header("authorization", format!("Bearer {kiosk}"));
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        req.body(Body::from(body)).unwrap()
    };
    let check = |status: StatusCode, code: ErrorCode, a: crate::support::Answer| {
        assert_eq!((a.status, a.code()), (status, code), "{}", a.body);
        assert!(
            !a.body["message"].as_str().unwrap_or("").is_empty(),
            "a message for people"
        );
    };
    check(
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidJson,
        office.send(raw("{\"service_id\": ", Some("application/json"))).await,
    );
    check(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedMediaType,
        office.send(raw("{\"service_id\": 1}", None)).await,
    );
    check(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidJson,
        office
            .send(raw("{\"service_id\": \"uno\"}", Some("application/json")))
            .await,
    );
    check(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidJson,
        office
            .send(raw(
                "{\"service_id\": 1, \"priority\": \"vip\"}",
                Some("application/json"),
            ))
            .await,
    );
    check(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidJson,
        office
            .send(raw("{\"service_id\": 1, \"surprise\": true}", Some("application/json")))
            .await,
    );
    let huge = json!({"service_id": 1, "language": "x".repeat(100_000)});
    check(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::BodyTooLarge,
        office
            .call("POST", "/api/v1/tickets", Some(&office.kiosk), Some(huge))
            .await,
    );
    check(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        office
            .call(
                "POST",
                "/api/v1/tickets",
                Some(&office.kiosk),
                Some(json!({"service_id": 999})),
            )
            .await,
    );
    check(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidInput,
        office
            .call(
                "POST",
                "/api/v1/tickets",
                Some(&office.kiosk),
                Some(json!({"service_id": 1, "language": "<script>"})),
            )
            .await,
    );
    check(
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidPath,
        office.call("GET", "/api/v1/tickets/abc", Some(&admin), None).await,
    );
    check(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        office.call("GET", "/api/v1/tickets/424242", Some(&admin), None).await,
    );
    check(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        office.call("GET", "/api/v1/nothing-here", None, None).await,
    );
    check(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        office.call("DELETE", "/api/v1/office", None, None).await,
    );
    check(
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidQuery,
        office
            .call("GET", "/api/v1/tickets?state=lost", Some(&admin), None)
            .await,
    );
    // Nothing above issued a ticket.
    let waiting = office.call("GET", "/api/v1/tickets", Some(&admin), None).await;
    assert_eq!(waiting.body, json!([]));
}

#[tokio::test]
async fn a_refused_change_writes_nothing() {
    let office = TestOffice::new().await;
    let admin = office.login("admin").await;
    let before = office
        .call("GET", "/api/v1/admin/counters", Some(&admin), None)
        .await
        .body;
    let a = office
        .call(
            "POST",
            "/api/v1/admin/counters",
            Some(&admin),
            Some(json!({"name": "Sportello 9", "services": [1, 999]})),
        )
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::CONFLICT, ErrorCode::UnknownReference),
        "{}",
        a.body
    );
    let a = office
        .call(
            "POST",
            "/api/v1/admin/counters",
            Some(&admin),
            Some(json!({"name": "Sportello 1", "services": [1]})),
        )
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::CONFLICT, ErrorCode::AlreadyExists),
        "{}",
        a.body
    );
    assert_eq!(
        office
            .call("GET", "/api/v1/admin/counters", Some(&admin), None)
            .await
            .body,
        before
    );

    let services = office
        .call("GET", "/api/v1/admin/services", Some(&admin), None)
        .await
        .body;
    let mut second = services[1].clone();
    let id = second.as_object_mut().unwrap().remove("id").unwrap();
    second["prefix"] = json!("A");
    let a = office
        .call(
            "PUT",
            &format!("/api/v1/admin/services/{id}"),
            Some(&admin),
            Some(second),
        )
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::CONFLICT, ErrorCode::AlreadyExists),
        "{}",
        a.body
    );
    assert_eq!(
        office
            .call("GET", "/api/v1/admin/services", Some(&admin), None)
            .await
            .body,
        services
    );
}

#[tokio::test]
async fn admin_crud_round_trips() {
    let office = TestOffice::new().await;
    let admin = office.login("admin").await;
    let service = json!({
        "code": "passaporti", "prefix": "P", "name": {"it": "Passaporti", "en": "Passports"},
        "info": {"it": "Su appuntamento."}, "documents": [{"it": "Fototessera"}],
        "outcomes": [{"code": "ok", "label": {"it": "Fatto"}}],
        "target_wait_minutes": 15, "daily_cap": 2,
        "hours": {"mon": ["08:30-12:30"], "thu": ["00:00-24:00"]}
    });
    let created = office
        .call("POST", "/api/v1/admin/services", Some(&admin), Some(service))
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert_eq!(created.body["hours"]["thu"], json!(["00:00-24:00"]));
    let id = created.body["id"].as_i64().unwrap();
    // The daily cap: the third ticket of the day is refused.
    office.issue(id, false).await;
    office.issue(id, false).await;
    let a = office
        .call(
            "POST",
            "/api/v1/tickets",
            Some(&office.kiosk),
            Some(json!({"service_id": id})),
        )
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::CONFLICT, ErrorCode::ServiceFull),
        "{}",
        a.body
    );
    let view = office.call("GET", "/api/v1/office", None, None).await.body;
    let shown = view["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(
        (shown["full"].clone(), shown["waiting"].clone()),
        (json!(true), json!(2))
    );

    let bad_hours = json!({"code": "x", "prefix": "X", "name": {"it": "X"}, "outcomes": [{"code": "ok", "label": {}}],
        "target_wait_minutes": null, "daily_cap": null, "hours": {"mon": ["12:00-08:00"]}});
    let a = office
        .call("POST", "/api/v1/admin/services", Some(&admin), Some(bad_hours))
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);

    let user = json!({"username": "nuovo", "display_name": "Nuovo Impiegato", "role": "clerk", "password": "corta"});
    let a = office
        .call("POST", "/api/v1/admin/users", Some(&admin), Some(user.clone()))
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput)
    );
    let mut user = user;
    user["password"] = json!("una password lunga");
    let a = office
        .call("POST", "/api/v1/admin/users", Some(&admin), Some(user))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let login = office
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "nuovo", "password": "una password lunga"})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);

    let device = office
        .call(
            "POST",
            "/api/v1/admin/devices",
            Some(&admin),
            Some(json!({"name": "Totem 2", "kind": "kiosk"})),
        )
        .await;
    assert_eq!(device.status, StatusCode::OK);
    let token = device.body["token"].as_str().unwrap();
    let a = office
        .call("POST", "/api/v1/tickets", Some(token), Some(json!({"service_id": 1})))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);

    // Deleting takes out of use and keeps the history.
    let a = office
        .call("DELETE", &format!("/api/v1/admin/services/{id}"), Some(&admin), None)
        .await;
    assert_eq!(
        (a.status, a.body["active"].clone()),
        (StatusCode::OK, json!(false)),
        "{}",
        a.body
    );
    let view = office.call("GET", "/api/v1/office", None, None).await.body;
    assert!(view["services"].as_array().unwrap().iter().all(|s| s["id"] != id));
    let a = office
        .call(
            "POST",
            "/api/v1/tickets",
            Some(&office.kiosk),
            Some(json!({"service_id": id})),
        )
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::CONFLICT, ErrorCode::ServiceClosed),
        "{}",
        a.body
    );
    let a = office
        .call("GET", "/api/v1/tickets?state=waiting", Some(&admin), None)
        .await;
    assert_eq!(
        a.body
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["service_id"] == id)
            .count(),
        2
    );
    let users = office.call("GET", "/api/v1/admin/users", Some(&admin), None).await.body;
    let find = |name: &str| {
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let a = office
        .call(
            "DELETE",
            &format!("/api/v1/admin/users/{}", find("admin")),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, ErrorCode::SelfLockout));
    let a = office
        .call(
            "DELETE",
            &format!("/api/v1/admin/users/{}", find("nuovo")),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let nuovo = login.body["token"].as_str().unwrap();
    assert_eq!(
        office.call("GET", "/api/v1/counters", Some(nuovo), None).await.status,
        StatusCode::UNAUTHORIZED
    );
}
