//! The web pages load nothing from outside the office server: every page is sent with a
//! Content-Security-Policy of `'self'` only, and no page, stylesheet or script names another origin.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;

use crate::support::TestOffice;

async fn get(office: &TestOffice, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp = tower::ServiceExt::oneshot(office.router.clone(), Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// `src`/`href` values and `url(…)`s of a page or stylesheet that point to another origin.
fn foreign_references(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for pattern in ["src=\"", "href=\"", "url(", "fetch(\"", "fetch('", "import \""] {
        for (at, _) in text.match_indices(pattern) {
            let rest = &text[at + pattern.len()..];
            let rest = rest.trim_start_matches(['\'', '"']);
            if rest.starts_with("http:") || rest.starts_with("https:") || rest.starts_with("//") {
                found.push(rest.chars().take(60).collect());
            }
        }
    }
    found
}

#[tokio::test]
async fn the_pages_load_nothing_from_outside_the_server() {
    let office = TestOffice::new().await;
    let ticket = office.issue(1, false).await;
    let token = ticket["ticket"]["token"]
        .as_str()
        .or(ticket["token"].as_str())
        .unwrap()
        .to_owned();
    let mut pages = vec!["/board".to_owned(), format!("/t/{token}"), "/t/unknown".to_owned()];
    // Every asset the pages name.
    let mut assets = Vec::new();
    for page in pages.clone() {
        let (_, _, html) = get(&office, &page).await;
        for (at, _) in html.match_indices("/assets/") {
            let name: String = html[at..]
                .chars()
                .take_while(|c| !matches!(c, '"' | '\'' | ')' | '?'))
                .collect();
            if !assets.contains(&name) {
                assets.push(name);
            }
        }
    }
    assert!(
        assets.iter().any(|a| a.ends_with(".js")),
        "the pages' scripts are found: {assets:?}"
    );
    pages.extend(assets);
    for path in &pages {
        let (status, headers, text) = get(&office, path).await;
        assert!(status == StatusCode::OK || path == "/t/unknown", "{path}: {status}");
        assert_eq!(
            foreign_references(&text),
            Vec::<String>::new(),
            "{path} names another origin"
        );
        // The policy binds documents; the assets they load are bound by it.
        if path.starts_with("/assets/") {
            continue;
        }
        let csp = headers
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{path} has a Content-Security-Policy"))
            .to_str()
            .unwrap();
        for directive in csp.split(';').map(str::trim) {
            let mut words = directive.split_whitespace();
            let name = words.next().unwrap_or_default();
            for source in words {
                assert!(
                    ["'self'", "'none'", "data:", "blob:"].contains(&source),
                    "{path}: {name} allows {source}"
                );
            }
        }
    }
}
