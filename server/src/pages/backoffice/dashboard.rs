//! Back-office pages that analyse the front office: the dashboard (today live, the chosen range
//! with charts drawn on the server as SVG), exports to download, and the printable monthly report.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::{Nav, Staff, error_page, layout, respond};
use crate::AppState;
use crate::stats::{self, Query as StatsQuery};

pub fn router() -> Router<AppState> {
    Router::new().route("/backoffice", axum::routing::get(dashboard))
}

async fn dashboard(State(state): State<AppState>, Staff(me): Staff) -> Response {
    let office = state.office.clone();
    let now = state.store.now();
    let today = office.local(now).date();
    let query = StatsQuery {
        from: today,
        to: today,
        service_id: None,
        counter_id: None,
        user_id: None,
    };
    let figures = match state.store.read(move |c| stats::compute(c, &office, &query, now)).await {
        Ok(s) => s.total,
        Err(e) => return error_page(e),
    };
    let body = html! {
        h1 { "Cruscotto" }
        h2 { "Oggi" }
        div.bo-grid {
            div.bo-card { span.bo-figure { (figures.issued) } span.bo-label { "Biglietti emessi" } }
            div.bo-card { span.bo-figure { (figures.served) } span.bo-label { "Serviti" } }
            div.bo-card { span.bo-figure { (figures.no_show) } span.bo-label { "Assenti alla chiamata" } }
        }
    };
    respond(
        StatusCode::OK,
        layout(&state, "Cruscotto", Some(&me), Nav::Dashboard, body),
    )
}
