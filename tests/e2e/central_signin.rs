//! Signing in to the city's centre: usernames found whatever their case, unknown usernames answered
//! as wrong passwords, and failed attempts throttled per account and address as an office throttles
//! them, on the JSON API and on the sign-in page alike.

use turno_tests::pg::{CentralProcess, Postgres};

async fn login(http: &reqwest::Client, url: &str, username: &str, password: &str) -> reqwest::Response {
    http.post(format!("{url}/api/v1/central/login"))
        .json(&serde_json::json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("the centre answers")
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_account_and_address() {
    let pg = Postgres::start();
    let url = pg.create_database("city");
    let dir = tempfile::tempdir().unwrap();
    let centre = CentralProcess::start(&url, dir.path());
    let city = centre.account(" Citta ", None);
    let nord = centre.account("nord", Some("nord"));
    let http = reqwest::Client::new();

    // The account is found trimmed and in any case; an unknown username is a wrong password.
    assert_eq!(login(&http, &centre.url, "CITTA", &city).await.status(), 200);
    assert_eq!(login(&http, &centre.url, "nessuno", &city).await.status(), 401);

    // Five wrong passwords for one account from one address, then even the right one is refused.
    for _ in 0..5 {
        assert_eq!(login(&http, &centre.url, "citta", "sbagliata").await.status(), 401);
    }
    let refused = login(&http, &centre.url, "citta", &city).await;
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=300).contains(&retry), "{retry}");
    let page = http
        .post(format!("{}/backoffice/login", centre.url))
        .form(&[("username", "citta"), ("password", city.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 429);
    assert!(page.headers().contains_key("retry-after"));
    let body = page.text().await.unwrap();
    assert!(body.contains("Troppi tentativi non riusciti"), "{body}");

    // Another account from the same address is not locked out.
    assert_eq!(login(&http, &centre.url, "nord", &nord).await.status(), 200);
}
