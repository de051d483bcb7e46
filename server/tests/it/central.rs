//! The office's side of shipping to the centre: nothing is journaled while shipping is off, the
//! shipped part of the journal is pruned, and turning shipping on journals exactly the rows the centre
//! lacks, so that every ticket event reaches it once.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use turno_server::store::central::{self, Switched};

use crate::support::TestOffice;

async fn switch(office: &TestOffice, on: bool) -> Switched {
    office
        .state
        .store
        .write(move |ctx| central::set_shipping(ctx.conn, on, 0))
        .await
        .unwrap()
}

async fn count(office: &TestOffice, sql: &'static str) -> i64 {
    office
        .state
        .store
        .read(move |c| Ok(c.query_row(sql, [], |r| r.get(0))?))
        .await
        .unwrap()
}

/// The ticket events of the journal after the cursor, as the shipper would send them.
async fn unshipped_events(office: &TestOffice) -> Vec<i64> {
    office
        .state
        .store
        .read(|c| {
            let after = central::cursor(c)?;
            let mut stmt = c.prepare("SELECT ref FROM central_journal WHERE kind = 'event' AND id > ?1 ORDER BY id")?;
            let refs = stmt
                .query_map([after], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            Ok(refs)
        })
        .await
        .unwrap()
}

/// Ships the first `entries` journal entries after the cursor (as the centre would commit them) and
/// returns their ticket events.
async fn ship(office: &TestOffice, entries: i64) -> Vec<i64> {
    office
        .state
        .store
        .write(move |ctx| {
            let after = central::cursor(ctx.conn)?;
            let mut stmt = ctx
                .conn
                .prepare("SELECT id, kind, ref FROM central_journal WHERE id > ?1 ORDER BY id LIMIT ?2")?;
            let rows = stmt
                .query_map([after, entries], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get(2)?))
                })?
                .collect::<rusqlite::Result<Vec<(i64, String, i64)>>>()?;
            let last = rows.last().map_or(after, |r| r.0);
            central::advance(ctx.conn, last, 1)?;
            Ok(rows.into_iter().filter(|r| r.1 == "event").map(|r| r.2).collect())
        })
        .await
        .unwrap()
}

/// A little work at the office: a ticket issued, called and served.
async fn work(office: &TestOffice, clerk: &str) {
    office.issue(1, false).await;
    let a = office
        .call("POST", "/api/v1/counters/1/call-next", Some(clerk), None)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let id = a.body["ticket"]["id"].as_i64().unwrap();
    let done = office
        .call(
            "POST",
            &format!("/api/v1/tickets/{id}/finish"),
            Some(clerk),
            Some(serde_json::json!({"outcome": "certificato"})),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
}

async fn all_events(office: &TestOffice) -> BTreeSet<i64> {
    office
        .state
        .store
        .read(|c| {
            let mut stmt = c.prepare("SELECT id FROM ticket_events")?;
            let ids = stmt
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<BTreeSet<i64>>>()?;
            Ok(ids)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn an_office_that_does_not_ship_journals_nothing_and_journals_its_history_when_it_starts() {
    let office = TestOffice::new().await;
    let clerk = office.clerk_at("mrossi", 1).await;
    work(&office, &clerk).await;
    assert!(count(&office, "SELECT count(*) FROM central_journal").await > 0);

    // Never shipped: turned off, the journal is forgotten and nothing new is written to it.
    assert_eq!(switch(&office, false).await, Switched::Off { kept: 0 });
    assert_eq!(switch(&office, false).await, Switched::Unchanged);
    work(&office, &clerk).await;
    office.issue(2, true).await;
    assert_eq!(count(&office, "SELECT count(*) FROM central_journal").await, 0);
    assert_eq!(
        count(
            &office,
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'central_%'"
        )
        .await,
        0
    );

    // Turned on: the whole history is journaled, every row once, and new rows are journaled again.
    let Switched::On { journaled } = switch(&office, true).await else {
        panic!("not turned on")
    };
    let expected = count(
        &office,
        "SELECT (SELECT count(*) FROM ticket_events) + (SELECT count(*) FROM ratings)
              + (SELECT count(*) FROM walk_ins) + (SELECT count(*) FROM clerk_events)
              + (SELECT count(*) FROM services) + (SELECT count(*) FROM counters)",
    )
    .await;
    assert_eq!(journaled, expected);
    assert_eq!(
        unshipped_events(&office).await.into_iter().collect::<BTreeSet<_>>(),
        all_events(&office).await
    );
    assert_eq!(switch(&office, true).await, Switched::Unchanged);
    let before = count(&office, "SELECT count(*) FROM central_journal").await;
    work(&office, &clerk).await;
    assert!(count(&office, "SELECT count(*) FROM central_journal").await > before);
}

#[tokio::test]
async fn every_ticket_event_is_shipped_once_across_shipping_turned_off_and_on() {
    let office = TestOffice::new().await;
    let clerk = office.clerk_at("mrossi", 1).await;
    work(&office, &clerk).await;
    let journal = count(&office, "SELECT count(*) FROM central_journal").await;
    assert!(journal > 10);

    // Part of the journal is shipped: what was shipped is pruned, all but the entry at the cursor.
    let mut shipped = ship(&office, journal / 2).await;
    let cursor = count(&office, "SELECT shipped FROM central_cursor").await;
    assert_eq!(count(&office, "SELECT min(id) FROM central_journal").await, cursor);
    assert_eq!(
        count(&office, "SELECT count(*) FROM central_journal").await,
        journal - journal / 2 + 1
    );

    // Off: the unshipped rest is kept; the work done meanwhile is not journaled.
    let Switched::Off { kept } = switch(&office, false).await else {
        panic!("not turned off")
    };
    assert_eq!(kept, journal - journal / 2);
    work(&office, &clerk).await;
    work(&office, &clerk).await;
    assert_eq!(count(&office, "SELECT count(*) FROM central_journal").await, kept + 1);

    // On: the kept rest and the work done while off are journaled after the cursor, none twice.
    assert!(matches!(switch(&office, true).await, Switched::On { .. }));
    work(&office, &clerk).await;
    shipped.extend(ship(&office, 1_000_000).await);
    let once: BTreeSet<i64> = shipped.iter().copied().collect();
    assert_eq!(once.len(), shipped.len(), "a ticket event shipped twice");
    assert_eq!(once, all_events(&office).await, "a ticket event never shipped");
    assert_eq!(count(&office, "SELECT count(*) FROM central_journal").await, 1);
    // The journal's ids go on after the cursor: nothing new is taken for shipped.
    work(&office, &clerk).await;
    let next = unshipped_events(&office).await;
    assert!(!next.is_empty());
    assert!(next.iter().all(|e| !once.contains(e)));
}

#[tokio::test]
async fn an_office_that_started_shipping_keeps_its_unshipped_journal_when_turned_off() {
    let office = TestOffice::new().await;
    let clerk = office.clerk_at("mrossi", 1).await;
    work(&office, &clerk).await;
    let journal = count(&office, "SELECT count(*) FROM central_journal").await;
    // The shipper started: a batch may have reached the centre with its answer lost.
    office
        .state
        .store
        .write(|ctx| central::started(ctx.conn, 1))
        .await
        .unwrap();
    assert_eq!(count(&office, "SELECT shipped FROM central_cursor").await, 0);
    assert_eq!(switch(&office, false).await, Switched::Off { kept: journal });
    work(&office, &clerk).await;
    assert!(matches!(switch(&office, true).await, Switched::On { .. }));
    let shipped = ship(&office, 1_000_000).await;
    let once: BTreeSet<i64> = shipped.iter().copied().collect();
    assert_eq!(once.len(), shipped.len(), "a ticket event journaled twice");
    assert_eq!(once, all_events(&office).await, "a ticket event never journaled");
}
