//! The back office's settings as the office shows them: notices on boards, kiosks and ticket pages,
//! shown within their window and announced to clients when they change.

use axum::http::StatusCode;
use jiff::SignedDuration;
use serde_json::json;
use turno_shared::api::ErrorCode;

use crate::support::TestOffice;

#[tokio::test]
async fn notices_show_within_their_window_and_announce_their_changes() {
    let office = TestOffice::new().await;
    let admin = office.login("admin").await;
    let mut feed = office.state.store.subscribe();
    async fn notices(office: &TestOffice) -> Vec<String> {
        let view = office.call("GET", "/api/v1/office", None, None).await.body;
        view["notices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["it"].as_str().unwrap().to_owned())
            .collect()
    }
    // 10:00 in Rome: a notice from 10:03, and one at once.
    let a = office
        .call(
            "POST",
            "/api/v1/admin/notices",
            Some(&admin),
            Some(json!({
                "text": {"it": "Oggi chiusura alle 12:30", "en": "Closing at 12:30 today"},
                "starts_at": "2026-11-26T09:03:00Z", "ends_at": "2026-11-26T11:30:00Z"
            })),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let later = a.body["id"].as_i64().unwrap();
    let a = office
        .call(
            "POST",
            "/api/v1/admin/notices",
            Some(&admin),
            Some(json!({"text": {"it": "Sportello 4 chiuso per manutenzione"}})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let now = a.body["id"].as_i64().unwrap();
    assert_eq!(notices(&office).await, ["Sportello 4 chiuso per manutenzione"]);
    office.advance(SignedDuration::from_mins(5));
    assert_eq!(
        notices(&office).await,
        ["Oggi chiusura alle 12:30", "Sportello 4 chiuso per manutenzione"]
    );
    // Switched off, then removed.
    let a = office
        .call(
            "PUT",
            &format!("/api/v1/admin/notices/{now}"),
            Some(&admin),
            Some(json!({"text": {"it": "Sportello 4 chiuso per manutenzione"}, "active": false})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(notices(&office).await, ["Oggi chiusura alle 12:30"]);
    let a = office
        .call("DELETE", &format!("/api/v1/admin/notices/{later}"), Some(&admin), None)
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(notices(&office).await.is_empty());
    // A notice ending before it starts, or without Italian, is refused.
    let a = office
        .call(
            "POST",
            "/api/v1/admin/notices",
            Some(&admin),
            Some(json!({"text": {"it": "x"}, "starts_at": "2026-11-26T12:00:00Z", "ends_at": "2026-11-26T11:00:00Z"})),
        )
        .await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, ErrorCode::InvalidRange));
    let a = office
        .call(
            "POST",
            "/api/v1/admin/notices",
            Some(&admin),
            Some(json!({"text": {"en": "Closed"}})),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    // Every change told the clients to reload.
    let mut changes = 0;
    while let Ok(item) = feed.try_recv() {
        changes += usize::from(&*item.name == "config_changed");
    }
    assert_eq!(changes, 4);
}

/// A minimal valid PDF.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\nxref\n0 1\n0000000000 65535 f \ntrailer\n<< /Root 1 0 R >>\nstartxref\n9\n%%EOF\n";

async fn upload(
    office: &TestOffice,
    token: &str,
    query: &str,
    content_type: &str,
    body: Vec<u8>,
) -> crate::support::Answer {
    let req = axum::http::Request::builder()
        .method("POST")
        .uri(format!("/api/v1/admin/services/1/forms?{query}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(axum::body::Body::from(body))
        .unwrap();
    office.send(req).await
}

#[tokio::test]
async fn forms_are_pdfs_of_at_most_ten_megabytes_listed_for_their_service() {
    let office = TestOffice::new().await;
    let admin = office.login("admin").await;
    let a = upload(
        &office,
        &admin,
        "title=Modulo%20residenza&filename=../residenza.pdf",
        "application/pdf",
        PDF.to_vec(),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["filename"], "residenza.pdf");
    let path = a.body["path"].as_str().unwrap().to_owned();
    // Citizens see it in the office view and download it, without signing in.
    let view = office.call("GET", "/api/v1/office", None, None).await.body;
    assert_eq!(view["services"][0]["forms"][0]["title"], "Modulo residenza");
    let req = axum::http::Request::builder()
        .uri(&path)
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = tower::ServiceExt::oneshot(office.router.clone(), req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("residenza.pdf")
    );
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(&bytes[..], PDF);
    // Not a PDF, too big, or not sent as one: refused, nothing stored.
    let a = upload(
        &office,
        &admin,
        "title=Falso",
        "application/pdf",
        b"PK\x03\x04 not a pdf".to_vec(),
    )
    .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::UnsupportedMediaType)
    );
    let mut big = PDF.to_vec();
    big.splice(9..9, std::iter::repeat_n(b' ', 10 * 1024 * 1024));
    let a = upload(&office, &admin, "title=Enorme", "application/pdf", big).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.body);
    let a = upload(&office, &admin, "title=Testo", "text/plain", PDF.to_vec()).await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let forms = office.call("GET", "/api/v1/admin/forms", Some(&admin), None).await.body;
    assert_eq!(forms.as_array().unwrap().len(), 1);
    // Removed, it is gone for citizens too.
    let id = forms[0]["id"].as_i64().unwrap();
    assert_eq!(
        office
            .call("DELETE", &format!("/api/v1/admin/forms/{id}"), Some(&admin), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        office.call("GET", &path, None, None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn every_change_is_audited_with_who_when_and_what_before_and_after() {
    let office = TestOffice::new().await;
    let admin = office.login("admin").await;
    let services = office
        .call("GET", "/api/v1/admin/services", Some(&admin), None)
        .await
        .body;
    let mut tributi = services[2].clone();
    let id = tributi["id"].as_i64().unwrap();
    let target_before = tributi["target_wait_minutes"].clone();
    tributi.as_object_mut().unwrap().remove("id");
    tributi["target_wait_minutes"] = json!(45);
    let a = office
        .call(
            "PUT",
            &format!("/api/v1/admin/services/{id}"),
            Some(&admin),
            Some(tributi),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = office
        .call("POST", "/api/v1/admin/users", Some(&admin), Some(json!({"username": "nuova", "display_name": "Nuova Collega", "role": "clerk", "password": "una password lunga"})))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let log = office.call("GET", "/api/v1/admin/audit", Some(&admin), None).await.body;
    let entries = log.as_array().unwrap();
    assert_eq!(entries.len(), 2, "{log}");
    let (user, service) = (&entries[0], &entries[1]);
    assert_eq!(
        (user["action"].clone(), user["entity"].clone(), user["username"].clone()),
        (json!("create"), json!("user"), json!("admin"))
    );
    assert!(user.get("before").is_none());
    assert_eq!(user["after"]["username"], "nuova");
    assert!(
        !user.to_string().contains("una password lunga"),
        "no password in the audit log"
    );
    assert_eq!(
        (service["action"].clone(), service["entity_id"].clone()),
        (json!("update"), json!(id))
    );
    assert_eq!(service["before"]["target_wait_minutes"], target_before);
    assert_eq!(service["after"]["target_wait_minutes"], 45);
    // By kind of record, and by day.
    let only = office
        .call("GET", "/api/v1/admin/audit?entity=service", Some(&admin), None)
        .await
        .body;
    assert_eq!(only.as_array().unwrap().len(), 1);
    let yesterday = office
        .call(
            "GET",
            "/api/v1/admin/audit?from=2026-11-25&to=2026-11-25",
            Some(&admin),
            None,
        )
        .await
        .body;
    assert!(yesterday.as_array().unwrap().is_empty());
    // A refused change leaves no trace.
    let a = office
        .call(
            "POST",
            "/api/v1/admin/notices",
            Some(&admin),
            Some(json!({"text": {"it": " "}})),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let log = office.call("GET", "/api/v1/admin/audit", Some(&admin), None).await.body;
    assert_eq!(log.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_refused_change_names_the_field_a_form_shows_it_next_to() {
    use turno_server::backoffice;
    use turno_shared::api::{CounterInput, Localized, NoticeInput, ServiceInput};

    let office = TestOffice::new().await;
    let store = &office.state.store;
    let services = store.read(turno_server::store::office::list_services).await.unwrap();
    let (id, stored) = (services[0].id, services[0].config.clone());
    let refused = |changes: &dyn Fn(&mut ServiceInput)| {
        let mut input = stored.clone();
        changes(&mut input);
        store.write(move |ctx| backoffice::update_service(ctx, None, id, input))
    };
    // Each refusal, with the status and code the API answers and the field a form shows it next to.
    let check = |e: turno_server::error::Error, status: StatusCode, code: ErrorCode, field: &str| {
        assert_eq!(e.status_and_code(), (status, code), "{e}");
        assert_eq!(e.field(), Some(field), "{e}");
    };
    let other_prefix = services[1].config.prefix;
    let e = refused(&|s| s.prefix = other_prefix).await.unwrap_err();
    check(e, StatusCode::CONFLICT, ErrorCode::AlreadyExists, "prefix");
    let e = refused(&|s| s.name = s.name.clone().with("en", "x".repeat(81)))
        .await
        .unwrap_err();
    check(e, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput, "name.en");
    let e = refused(&|s| s.name = Localized::default().with("en", "Registry"))
        .await
        .unwrap_err();
    check(e, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput, "name.it");
    let e = refused(&|s| s.target_wait_minutes = Some(0)).await.unwrap_err();
    check(
        e,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidInput,
        "target_wait_minutes",
    );
    let e = refused(&|s| s.outcomes.push(s.outcomes[0].clone())).await.unwrap_err();
    check(e, StatusCode::CONFLICT, ErrorCode::DuplicateOutcome, "outcomes");
    let day = turno_shared::api::ClosedDay {
        date: jiff::civil::date(2026, 12, 8),
        reason: None,
    };
    let e = refused(&|s| s.closed_days = vec![day.clone(), day.clone()])
        .await
        .unwrap_err();
    check(e, StatusCode::CONFLICT, ErrorCode::AlreadyExists, "closed_days");

    let counters = store.read(turno_server::store::office::list_counters).await.unwrap();
    let same_name = CounterInput {
        name: counters[0].config.name.to_uppercase(),
        services: vec![],
        active: true,
    };
    let e = store
        .write(move |ctx| backoffice::create_counter(ctx, None, same_name))
        .await
        .unwrap_err();
    check(e, StatusCode::CONFLICT, ErrorCode::AlreadyExists, "name");
    let backwards = NoticeInput {
        text: Localized::it("Chiuso"),
        starts_at: Some("2026-11-26T11:00:00Z".parse().unwrap()),
        ends_at: Some("2026-11-26T10:00:00Z".parse().unwrap()),
        active: true,
    };
    let e = store
        .write(move |ctx| backoffice::create_notice(ctx, None, backwards))
        .await
        .unwrap_err();
    check(e, StatusCode::CONFLICT, ErrorCode::InvalidRange, "ends_at");
    let e = store
        .write(|ctx| backoffice::add_form(ctx, None, 1, "Modulo", "m.pdf", b"PK\x03\x04"))
        .await
        .unwrap_err();
    check(
        e,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedMediaType,
        "file",
    );

    // The API answers these as before: status, code and message.
    let admin = office.login("admin").await;
    let mut body = serde_json::to_value(&stored).unwrap();
    body["prefix"] = json!(other_prefix.to_string());
    let a = office
        .call("PUT", &format!("/api/v1/admin/services/{id}"), Some(&admin), Some(body))
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert_eq!(a.body["code"], json!("already_exists"));
    assert!(a.body["message"].as_str().unwrap().contains("prefix"), "{}", a.body);
    // An error that is about no one field names none.
    let e = store
        .write(|ctx| backoffice::revoke_device(ctx, None, 999))
        .await
        .unwrap_err();
    assert_eq!(e.field(), None);
}

#[tokio::test]
async fn a_deactivated_clerks_counter_closes_and_their_citizen_goes_back_to_the_queue() {
    let office = TestOffice::new().await;
    let admin = office.login("admin").await;
    office.issue(1, false).await;
    let maria = office.clerk_at("mrossi", 1).await;
    office
        .call("POST", "/api/v1/counters/1/call-next", Some(&maria), None)
        .await;
    let sessions = office
        .call("GET", "/api/v1/admin/sessions", Some(&admin), None)
        .await
        .body;
    assert_eq!(
        (
            sessions[0]["counter_name"].clone(),
            sessions[0]["user"]["username"].clone()
        ),
        (json!("Sportello 1"), json!("mrossi"))
    );
    // The counter cannot be taken out of use under her.
    let a = office
        .call("DELETE", "/api/v1/admin/counters/1", Some(&admin), None)
        .await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, ErrorCode::CounterTaken));
    let users = office.call("GET", "/api/v1/admin/users", Some(&admin), None).await.body;
    let id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "mrossi")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let a = office
        .call("DELETE", &format!("/api/v1/admin/users/{id}"), Some(&admin), None)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let ticket = office.call("GET", "/api/v1/tickets/1", Some(&admin), None).await.body;
    assert_eq!(ticket["state"], "waiting", "A001 is back in the queue");
    let sessions = office
        .call("GET", "/api/v1/admin/sessions", Some(&admin), None)
        .await
        .body;
    assert!(sessions.as_array().unwrap().is_empty());
    let luca = office.clerk_at("lbianchi", 2).await;
    let a = office
        .call("POST", "/api/v1/counters/2/call-next", Some(&luca), None)
        .await;
    assert_eq!(a.body["ticket"]["number"], "A001");
}

#[tokio::test]
async fn a_service_is_closed_on_its_days_closed() {
    let office = TestOffice::new().await;
    let admin = office.login("admin").await;
    let services = office
        .call("GET", "/api/v1/admin/services", Some(&admin), None)
        .await
        .body;
    let mut anagrafe = services[0].clone();
    anagrafe.as_object_mut().unwrap().remove("id");
    anagrafe["closed_days"] = json!([{"date": "2026-11-27", "reason": "Festa del patrono"}]);
    let a = office
        .call("PUT", "/api/v1/admin/services/1", Some(&admin), Some(anagrafe.clone()))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    office.issue(1, false).await;
    office.advance(SignedDuration::from_hours(24));
    let a = office
        .call(
            "POST",
            "/api/v1/tickets",
            Some(&office.kiosk),
            Some(json!({"service_id": 1})),
        )
        .await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, ErrorCode::ServiceClosed));
    let view = office.call("GET", "/api/v1/office", None, None).await.body;
    assert_eq!(
        (view["services"][0]["open"].clone(), view["services"][1]["open"].clone()),
        (json!(false), json!(true))
    );
    // The same day twice is refused.
    let admin = office.login("admin").await;
    anagrafe["closed_days"] = json!([{"date": "2026-12-08"}, {"date": "2026-12-08"}]);
    let a = office
        .call("PUT", "/api/v1/admin/services/1", Some(&admin), Some(anagrafe))
        .await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, ErrorCode::AlreadyExists));
}

/// The alert events of the feed so far, as (name, kind, service).
fn alert_events(
    feed: &mut tokio::sync::broadcast::Receiver<turno_server::store::FeedItem>,
) -> Vec<(String, String, Option<i64>)> {
    let mut out = Vec::new();
    while let Ok(item) = feed.try_recv() {
        if item.name.starts_with("alert_") {
            let e: serde_json::Value = serde_json::from_str(&item.data).unwrap();
            out.push((
                item.name.to_string(),
                e["kind"].as_str().unwrap().to_owned(),
                e["service_id"].as_i64(),
            ));
        }
    }
    out
}

async fn check_alerts(office: &TestOffice) {
    let (office_rules, alerts) = (office.state.office.clone(), office.state.alerts.clone());
    office
        .state
        .store
        .write(move |ctx| turno_server::alerts::check(ctx, &office_rules, &alerts))
        .await
        .unwrap();
}

#[tokio::test]
async fn alerts_begin_and_end_with_their_conditions() {
    let office = TestOffice::new().await;
    let mut feed = office.state.store.subscribe();
    // Anagrafe's target is 20 minutes: a ticket waiting 21 raises the alert, once.
    office.issue(1, false).await;
    office.advance(SignedDuration::from_mins(19));
    check_alerts(&office).await;
    assert!(alert_events(&mut feed).is_empty());
    office.advance(SignedDuration::from_mins(2));
    check_alerts(&office).await;
    check_alerts(&office).await;
    assert_eq!(
        alert_events(&mut feed),
        [("alert_raised".into(), "wait_over_target".into(), Some(1))]
    );
    let clerk = office.clerk_at("mrossi", 1).await;
    let current = office.call("GET", "/api/v1/alerts", Some(&clerk), None).await.body;
    assert_eq!(current[0]["service_id"], 1);
    // Called: the condition ends, and so does the alert.
    let t = office
        .call("POST", "/api/v1/counters/1/call-next", Some(&clerk), None)
        .await
        .body;
    check_alerts(&office).await;
    assert_eq!(
        alert_events(&mut feed),
        [("alert_cleared".into(), "wait_over_target".into(), Some(1))]
    );
    assert_eq!(
        office.call("GET", "/api/v1/alerts", Some(&clerk), None).await.body,
        json!([])
    );
    // Three bad ratings of four in a quarter of an hour.
    let id = t["ticket"]["id"].as_i64().unwrap();
    office
        .call(
            "POST",
            &format!("/api/v1/tickets/{id}/finish"),
            Some(&clerk),
            Some(json!({"outcome": "certificato"})),
        )
        .await;
    let mut codes = Vec::new();
    for _ in 0..3 {
        let issued = office.issue(1, false).await;
        codes.push(issued["rating_code"].as_str().unwrap().to_owned());
        let t = office
            .call("POST", "/api/v1/counters/1/call-next", Some(&clerk), None)
            .await
            .body;
        let id = t["ticket"]["id"].as_i64().unwrap();
        office
            .call(
                "POST",
                &format!("/api/v1/tickets/{id}/finish"),
                Some(&clerk),
                Some(json!({"outcome": "certificato"})),
            )
            .await;
    }
    let first = office
        .call("GET", &format!("/api/v1/tickets/{id}"), Some(&clerk), None)
        .await;
    assert_eq!(first.body["state"], "done");
    let rate = |code: String, face: &str| json!({"code": code, "rating": face});
    let first_code = office
        .state
        .store
        .read(move |c| {
            let t = turno_server::store::tickets::get(c, id)?.unwrap();
            Ok(turno_server::engine::rating_code(t.number, &t.token).to_string())
        })
        .await
        .unwrap();
    for (code, face) in [
        (first_code, "good"),
        (codes[0].clone(), "bad"),
        (codes[1].clone(), "bad"),
    ] {
        let a = office
            .call("POST", "/api/v1/ratings", Some(&office.kiosk), Some(rate(code, face)))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    }
    check_alerts(&office).await;
    assert!(
        alert_events(&mut feed).is_empty(),
        "two bad of three is not yet an alert"
    );
    let a = office
        .call(
            "POST",
            "/api/v1/ratings",
            Some(&office.kiosk),
            Some(rate(codes[2].clone(), "bad")),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    check_alerts(&office).await;
    assert_eq!(
        alert_events(&mut feed),
        [("alert_raised".into(), "bad_ratings".into(), None)]
    );
    // A quarter of an hour later they are past.
    office.advance(SignedDuration::from_mins(16));
    check_alerts(&office).await;
    assert_eq!(
        alert_events(&mut feed),
        [("alert_cleared".into(), "bad_ratings".into(), None)]
    );
}
