//! Upgrades: a database of every released schema version, holding a day's work, is migrated by the
//! current server without losing a row or breaking a constraint, and the office works on it the next
//! day (yesterday closed, numbers from 1, calls, outcomes, ratings read back, the feed resumed).

use axum::http::StatusCode;
use serde_json::{Value, json};
use turno_server::maintenance_pass;
use turno_server::store::SCHEMA_VERSION;

use crate::support::TestOffice;

const KIOSK: &str = "131a6d05c72325029b28efb615f413756fa4e80ddfc22cb4255f59998c6a3d3b";
const DISPLAY: &str = "97ce94741cf3c6c3a97095c80c5748e475abf193f8ea2a24b379c02fc984bf99";

/// Every released schema version, with its fixture.
const RELEASED: &[(u32, &str)] = &[
    (1, include_str!("../fixtures/schema-v1.sql")),
    (2, include_str!("../fixtures/schema-v2.sql")),
    (3, include_str!("../fixtures/schema-v3.sql")),
    (4, include_str!("../fixtures/schema-v4.sql")),
];

const TABLES: &[&str] = &[
    "services",
    "counters",
    "counter_services",
    "users",
    "devices",
    "auth_tokens",
    "counter_sessions",
    "clerk_events",
    "tickets",
    "ticket_events",
    "ratings",
    "printer_alerts",
    "feed",
    // Since version 3.
    "walk_ins",
    "extra_services",
    "audit_log",
    "forms",
    "notices",
    // Since version 4.
    "central_journal",
    "central_cursor",
];

/// The rows of each table of `TABLES` the database has.
fn rows(c: &rusqlite::Connection) -> Vec<(String, i64)> {
    TABLES
        .iter()
        .filter(|t| {
            c.query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [t],
                |_| Ok(()),
            )
            .is_ok()
        })
        .map(|t| {
            let n = c
                .query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
                .unwrap();
            ((*t).to_owned(), n)
        })
        .collect()
}

#[tokio::test]
async fn every_released_schema_upgrades_with_its_data_and_works_the_next_day() {
    // Versions 1, 2, … each have a fixture; the newest may be the one this code introduces.
    let versions: Vec<u32> = RELEASED.iter().map(|(v, _)| *v).collect();
    assert_eq!(versions, (1..=versions.len() as u32).collect::<Vec<_>>());
    assert!(
        versions.len() as u32 + 1 >= SCHEMA_VERSION,
        "schema version {} was released without a fixture",
        SCHEMA_VERSION - 1
    );
    for &(version, sql) in RELEASED {
        let before = {
            let c = rusqlite::Connection::open_in_memory().unwrap();
            c.execute_batch(sql).unwrap();
            let v: u32 = c.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
            assert_eq!(v, version, "the fixture's own version");
            rows(&c)
        };
        let office = TestOffice::from_fixture(sql, "2026-12-01T10:00", KIOSK, DISPLAY).await;
        let (after, version_now, integrity, broken_keys) = office
            .state
            .store
            .read(|c| {
                let v: u32 = c.pragma_query_value(None, "user_version", |r| r.get(0))?;
                let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
                let broken: i64 = c.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| r.get(0))?;
                Ok((rows(c), v, ok, broken))
            })
            .await
            .unwrap();
        assert_eq!(version_now, SCHEMA_VERSION, "v{version} migrated");
        let after: Vec<_> = after
            .into_iter()
            .filter(|(t, _)| before.iter().any(|(b, _)| b == t))
            .collect();
        assert_eq!(after, before, "v{version}: rows kept");
        assert_eq!((integrity.as_str(), broken_keys), ("ok", 0), "v{version}");

        // The next morning: yesterday's open tickets are closed, numbers start again.
        let done = maintenance_pass(&office.state, true).await.unwrap();
        assert_eq!(done.expired, 4, "v{version}: three waiting and one called yesterday");
        // Yesterday, now closed, is packed for the statistics, which stay what the tables say.
        let yesterday = turno_server::stats::Query {
            from: "2026-11-30".parse().unwrap(),
            to: "2026-11-30".parse().unwrap(),
            service_id: None,
            counter_id: None,
            user_id: None,
        };
        let figures = |office: &TestOffice| {
            let (state, q) = (office.state.clone(), yesterday.clone());
            async move {
                let (o, now) = (state.office.clone(), state.store.now());
                state
                    .store
                    .read(move |c| turno_server::stats::compute(c, &o, &q, now))
                    .await
                    .unwrap()
            }
        };
        let from_tables = figures(&office).await;
        assert_eq!(from_tables.total.issued, 8, "v{version}");
        let packed = turno_server::stats::pack_closed_days(&office.state.store, office.state.office.clone())
            .await
            .unwrap();
        assert_eq!(packed, 1, "v{version}: yesterday packed");
        assert_eq!(figures(&office).await, from_tables, "v{version}: packed yesterday");
        let maria = office.login("mrossi").await;
        let a = office
            .call("POST", "/api/v1/counters/1/session", Some(&maria), None)
            .await;
        assert_eq!(a.status, StatusCode::OK, "v{version}: {}", a.body);
        let issued = office.issue(1, false).await;
        assert_eq!(issued["ticket"]["number"], "A001", "v{version}");
        assert_eq!(issued["ticket"]["office_day"], "2026-12-01");
        // The day's numbers are still unique by the database's own constraint.
        let duplicate = office
            .state
            .store
            .write(|ctx| {
                Ok(ctx.conn.execute(
                    "INSERT INTO tickets (office_day, prefix, seq, service_id, priority, token, state, issued_at)
                     VALUES ('2026-12-01', 'A', 1, 1, 0, 'x', 'waiting', 0)",
                    [],
                ))
            })
            .await
            .unwrap();
        assert!(duplicate.is_err(), "v{version}: a second A001 was accepted");
        let called = office
            .call("POST", "/api/v1/counters/1/call-next", Some(&maria), None)
            .await;
        let id = called.body["ticket"]["id"].as_i64().unwrap();
        assert_eq!(id, issued["ticket"]["id"].as_i64().unwrap());
        let a = office
            .call(
                "POST",
                &format!("/api/v1/tickets/{id}/finish"),
                Some(&maria),
                Some(json!({"outcome": "certificato"})),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let a = office
            .call(
                "POST",
                "/api/v1/ratings",
                Some(KIOSK),
                Some(json!({"code": issued["rating_code"], "rating": "bad", "reason": "problem_not_solved"})),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        // Yesterday's ratings and today's, read back as stored.
        let admin = office.login("admin").await;
        let ratings = office
            .call(
                "GET",
                "/api/v1/admin/ratings?from=2026-11-30&to=2026-12-01",
                Some(&admin),
                None,
            )
            .await
            .body;
        let seen: Vec<(Value, Value, Value, Value)> = ratings
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["number"].clone(),
                    r["rating"].clone(),
                    r["reason"].clone(),
                    r["counter_id"].clone(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (json!("C001"), json!("good"), Value::Null, json!(3)),
                (json!("A002"), json!("neutral"), Value::Null, json!(1)),
                (json!("A001"), json!("bad"), json!("problem_not_solved"), json!(1)),
            ],
            "v{version}"
        );
    }
}
