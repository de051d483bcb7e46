//! Alerts for the consoles and the back office: a service whose longest wait passes its target, and more
//! bad ratings than not among at least four in the last quarter of an hour. Checked every few seconds on
//! the store's writer; each alert is announced when it begins (`alert_raised`) and when its condition
//! ends (`alert_cleared`), and the ones in force can be read at any time.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use turno_shared::api::{Alert, AlertKind, LiveEvent};

use crate::AppState;
use crate::error::Result;
use crate::office::Office;
use crate::store::WriteCtx;
use crate::store::alerts as rows;

/// Ratings looked at for the bad-ratings alert, and how many it needs.
const RATING_WINDOW: SignedDuration = SignedDuration::from_mins(15);
const MIN_RATINGS: u32 = 4;

/// The alerts in force, by kind and service.
#[derive(Default)]
pub struct Alerts {
    active: Mutex<BTreeMap<(AlertKind, Option<i64>), Alert>>,
}

impl Alerts {
    /// The alerts in force now.
    pub fn current(&self) -> Vec<Alert> {
        self.active
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }
}

/// The alerts whose conditions hold at `now`.
fn conditions(ctx: &WriteCtx<'_>, office: &Office, now: Timestamp) -> Result<Vec<Alert>> {
    let mut found = Vec::new();
    for w in rows::oldest_waits(ctx.conn, office.day_start(now)?)? {
        let waited = now.as_millisecond() - w.oldest_issued_at;
        if let Some(target) = w.target_wait_minutes
            && waited > i64::from(target) * 60_000
        {
            found.push(Alert {
                kind: AlertKind::WaitOverTarget,
                service_id: Some(w.service_id),
                since: now,
                message: format!(
                    "{}: the longest wait is {} minutes, over the {target}-minute target",
                    w.service_name,
                    waited / 60_000
                ),
            });
        }
    }
    let since = now.checked_sub(RATING_WINDOW).unwrap_or(now);
    let (bad, all) = rows::ratings_since(ctx.conn, since)?;
    if all >= MIN_RATINGS && bad * 2 > all {
        found.push(Alert {
            kind: AlertKind::BadRatings,
            service_id: None,
            since: now,
            message: format!("{bad} of the last {all} ratings in 15 minutes were bad"),
        });
    }
    Ok(found)
}

/// Compares the conditions with the alerts in force; announces what began and what ended.
pub fn check(ctx: &mut WriteCtx<'_>, office: &Office, alerts: &Alerts) -> Result<()> {
    let now = ctx.now();
    let found = conditions(ctx, office, now)?;
    let mut active = alerts.active.lock().unwrap_or_else(|e| e.into_inner());
    let keys: Vec<_> = found.iter().map(|a| (a.kind, a.service_id)).collect();
    let ended: Vec<_> = active.keys().filter(|k| !keys.contains(k)).copied().collect();
    let mut raised = Vec::new();
    for alert in found {
        let key = (alert.kind, alert.service_id);
        match active.get_mut(&key) {
            // Still in force: keep when it began, refresh what it says.
            Some(a) => a.message = alert.message,
            None => raised.push(alert),
        }
    }
    // Announce first (a failed announcement leaves the state as it was, to try again).
    for alert in &raised {
        ctx.emit(&LiveEvent::AlertRaised(alert.clone()))?;
    }
    for (kind, service_id) in &ended {
        ctx.emit(&LiveEvent::AlertCleared {
            kind: *kind,
            service_id: *service_id,
        })?;
    }
    for key in ended {
        active.remove(&key);
    }
    for alert in raised {
        active.insert((alert.kind, alert.service_id), alert);
    }
    Ok(())
}

/// Checks the alerts every `every` until the server stops.
pub async fn watch(state: AppState, every: Duration) {
    let mut shutdown = state.shutdown.clone();
    loop {
        let office = state.office.clone();
        let alerts = state.alerts.clone();
        if let Err(e) = state.store.write(move |ctx| check(ctx, &office, &alerts)).await {
            tracing::warn!(error = %e, "checking the alerts failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}
