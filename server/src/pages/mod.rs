//! Web pages served beside the API: the waiting-room board (`/board`), the citizen's ticket page
//! (`/t/<token>`) and the back office (`/backoffice`), with their styles, scripts and fonts built into the binary (no CDN: an office
//! without internet shows them all). The pages read the office through the same API as every client.

pub(crate) mod backoffice;
mod ticket;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/board", axum::routing::get(board))
        .route("/t/{token}", axum::routing::get(ticket::page))
        .route("/assets/{*file}", axum::routing::get(asset))
        .merge(backoffice::router())
}

/// A file served under `/assets/`.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:literal) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("assets/", $name)),
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("turno.css", "text/css; charset=utf-8"),
    asset!("board.css", "text/css; charset=utf-8"),
    asset!("board.js", "text/javascript; charset=utf-8"),
    asset!("backoffice.css", "text/css; charset=utf-8"),
    asset!("backoffice.js", "text/javascript; charset=utf-8"),
    asset!("ticket.css", "text/css; charset=utf-8"),
    asset!("ticket.js", "text/javascript; charset=utf-8"),
    asset!("fonts/titillium-web-latin-400-normal.woff2", "font/woff2"),
    asset!("fonts/titillium-web-latin-600-normal.woff2", "font/woff2"),
    asset!("fonts/titillium-web-latin-700-normal.woff2", "font/woff2"),
    asset!("fonts/titillium-web-latin-ext-400-normal.woff2", "font/woff2"),
    asset!("fonts/titillium-web-latin-ext-600-normal.woff2", "font/woff2"),
    asset!("fonts/titillium-web-latin-ext-700-normal.woff2", "font/woff2"),
    asset!("fonts/OFL.txt", "text/plain; charset=utf-8"),
];

/// Headers every page carries: nothing may be loaded from elsewhere, nothing framed or sniffed.
pub(crate) fn page_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; style-src 'self'; \
             script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

pub(crate) async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == file) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CACHE_CONTROL, "public, max-age=600"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            a.body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// The waiting-room board: one page whose script follows the live events with the display's token.
async fn board() -> Response {
    let mut response = (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("assets/board.html"),
    )
        .into_response();
    page_headers(&mut response);
    response
}

/// Text made safe inside HTML, both as content and in a quoted attribute.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_built_in_and_typed() {
        for a in ASSETS {
            assert!(!a.body.is_empty(), "{} is empty", a.name);
            let ext = a.name.rsplit('.').next().unwrap();
            let expected = match ext {
                "css" => "text/css",
                "js" => "text/javascript",
                "woff2" => "font/woff2",
                "txt" => "text/plain",
                other => panic!("unexpected asset type {other}"),
            };
            assert!(a.content_type.starts_with(expected), "{}", a.name);
        }
    }

    #[test]
    fn text_is_escaped_for_html() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
