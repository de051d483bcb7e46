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
