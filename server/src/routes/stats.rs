//! The back office's statistics: figures of a range of office days, by service, counter, clerk,
//! weekday, hour and day, as `docs/data-dictionary.md` defines them.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use turno_shared::stats::Stats;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{PdfFile, Query};
use crate::AppState;
use crate::auth::Admin;
use crate::error::{Error, Result};
use crate::exports::{self, Export, Format, Table};
use crate::stats::{self, Query as StatsQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(statistics))
        .routes(routes!(export))
        .routes(routes!(alerts))
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
    /// The statistics query it names, today by default; ids start at 1.
    pub fn query(&self, state: &AppState) -> Result<StatsQuery> {
        for (name, id) in [
            ("service_id", self.service_id),
            ("counter_id", self.counter_id),
            ("user_id", self.user_id),
        ] {
            if id.is_some_and(|id| id < 1) {
                return Err(Error::BadRequest {
                    status: axum::http::StatusCode::BAD_REQUEST,
                    code: turno_shared::api::ErrorCode::InvalidQuery,
                    message: format!("{name} is an id: 1 or more"),
                });
            }
        }
        let today = state.office.local(state.store.now()).date();
        let from = self.from.unwrap_or(today);
        Ok(StatsQuery {
            from,
            to: self.to.unwrap_or(from),
            service_id: self.service_id,
            counter_id: self.counter_id,
            user_id: self.user_id,
        })
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
    let query = q.query(&state)?;
    let office = state.office.clone();
    let now = state.store.now();
    Ok(Json(stats::compute_in(&state.store, office, query, now).await?))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
struct ExportQuery {
    /// The first office day, `YYYY-MM-DD` (default: today).
    #[param(value_type = Option<String>, format = Date)]
    from: Option<jiff::civil::Date>,
    /// The last office day, `YYYY-MM-DD` (default: `from`).
    #[param(value_type = Option<String>, format = Date)]
    to: Option<jiff::civil::Date>,
    #[param(minimum = 1)]
    service_id: Option<i64>,
    #[param(minimum = 1)]
    counter_id: Option<i64>,
    #[param(minimum = 1)]
    user_id: Option<i64>,
    /// `csv` (Italian Excel: `;`, decimal comma, BOM), `csv-rfc` (RFC 4180), `xlsx`, `json`, or `mlf`
    /// (the weekly "Mettiamoci la faccia" report). Default `csv`.
    #[param(inline)]
    format: Option<Format>,
    /// For CSV: `tickets` (default), `events`, `ratings` or `daily`. XLSX and JSON hold them all.
    #[param(inline)]
    table: Option<Table>,
}

/// Exports the visits of a range of office days, streamed as they are read: CSV for Italian Excel or
/// RFC 4180 (one table), XLSX (a sheet each for tickets, events, ratings and the daily summary), JSON
/// (the same four), or the weekly "Mettiamoci la faccia" report. Columns: docs/data-dictionary.md.
#[utoipa::path(get, path = "/exports", tag = "admin", params(ExportQuery),
    responses((status = 200, description = "The export, as a file to save",
        content((String = "text/csv"), (Object = "application/json"),
            (PdfFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))),
    security(("admin" = [])))]
async fn export(State(state): State<AppState>, _: Admin, Query(q): Query<ExportQuery>) -> Result<Response> {
    let range = RangeQuery {
        from: q.from,
        to: q.to,
        service_id: q.service_id,
        counter_id: q.counter_id,
        user_id: q.user_id,
    };
    let export = Export {
        query: range.query(&state)?,
        format: q.format.unwrap_or(Format::ExcelCsv),
        table: q.table.unwrap_or_default(),
    };
    Ok(exports::download(&state, export))
}

/// The alerts in force: services whose longest wait is past their target, and a run of bad ratings.
/// Each also arrives as a live event when it begins (`alert_raised`) and ends (`alert_cleared`).
#[utoipa::path(get, path = "/alerts", tag = "counters",
    responses((status = 200, body = Vec<turno_shared::api::Alert>)), security(("user" = [])))]
async fn alerts(State(state): State<AppState>, _: crate::auth::Person) -> Json<Vec<turno_shared::api::Alert>> {
    Json(state.alerts.current())
}
