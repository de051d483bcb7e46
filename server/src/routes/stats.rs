//! The back office's statistics: figures of a range of office days, by service, counter, clerk,
//! weekday, hour and day, as `docs/data-dictionary.md` defines them.

use axum::Json;
use axum::extract::State;
use turno_shared::stats::Stats;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Query;
use crate::AppState;
use crate::auth::Admin;
use crate::error::Result;
use crate::stats::{self, Query as StatsQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(statistics))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct RangeQuery {
    /// The first office day, `YYYY-MM-DD` (default: today).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<jiff::civil::Date>,
    /// The last office day, `YYYY-MM-DD` (default: `from`). A range that ends before it starts holds
    /// no day.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<jiff::civil::Date>,
    /// Only the visits of this service.
    #[param(minimum = 1)]
    pub service_id: Option<i64>,
    /// Only the visits of this counter.
    #[param(minimum = 1)]
    pub counter_id: Option<i64>,
    /// Only the visits of this clerk.
    #[param(minimum = 1)]
    pub user_id: Option<i64>,
}

impl RangeQuery {
    /// The statistics query it names, today by default.
    pub fn query(&self, state: &AppState) -> StatsQuery {
        let today = state.office.local(state.store.now()).date();
        let from = self.from.unwrap_or(today);
        StatsQuery {
            from,
            to: self.to.unwrap_or(from),
            service_id: self.service_id,
            counter_id: self.counter_id,
            user_id: self.user_id,
        }
    }
}

/// Tickets issued, served, no-show, cancelled, transferred, closed at the end of the day and visits
/// without ticket; waiting and service times (mean, median, 90th percentile, longest); the share who
/// waited more than 20 minutes and the share called within the service's target; arrivals by weekday
/// and hour; outcomes; pauses by reason; satisfaction (responses, participation, faces, index 0–100,
/// reasons) — in all and by service, counter, clerk (satisfaction only from ten ratings), weekday, hour
/// and day.
#[utoipa::path(get, path = "/stats", tag = "admin", params(RangeQuery),
    responses((status = 200, body = Stats)), security(("admin" = [])))]
async fn statistics(State(state): State<AppState>, _: Admin, Query(q): Query<RangeQuery>) -> Result<Json<Stats>> {
    let query = q.query(&state);
    let office = state.office.clone();
    let now = state.store.now();
    Ok(Json(
        state
            .store
            .read(move |c| stats::compute(c, &office, &query, now))
            .await?,
    ))
}
