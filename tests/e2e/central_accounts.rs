//! The centre's accounts: signing in (usernames found whatever their case, unknown usernames answered
//! as wrong passwords, failed attempts throttled per account and address as an office throttles them,
//! on the JSON API and on the sign-in page alike) and the accounts page of city-wide accounts (an
//! account made for one office sees only it; moved, it sees another; turned off, its sessions end; a
//! new password).

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

#[tokio::test]
async fn behind_a_trusted_proxy_sign_ins_are_throttled_by_the_address_it_names() {
    let pg = Postgres::start();
    let url = pg.create_database("city");
    let dir = tempfile::tempdir().unwrap();
    // The tests' requests come from 127.0.0.1: the centre takes it for its reverse proxy.
    let centre = CentralProcess::start_with(&url, dir.path(), &["--trusted-proxy", "127.0.0.1"]);
    let city = centre.account("citta", None);
    let http = reqwest::Client::new();
    let from = |client: &'static str, password: &str| {
        http.post(format!("{}/api/v1/central/login", centre.url))
            .header("x-forwarded-for", client)
            .json(&serde_json::json!({ "username": "citta", "password": password }))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(from("203.0.113.7", "sbagliata").await.unwrap().status(), 401);
    }
    assert_eq!(from("203.0.113.7", &city).await.unwrap().status(), 429);
    // The same account from another client behind the same proxy is not locked out.
    assert_eq!(from("198.51.100.20", &city).await.unwrap().status(), 200);
}

/// A browser signed in with the session cookie of `token`; redirects are not followed.
struct Browser {
    http: reqwest::Client,
    url: String,
    cookie: String,
}

impl Browser {
    async fn new(url: &str, username: &str, password: &str) -> Browser {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = login(&http, url, username, password).await;
        assert_eq!(r.status(), 200);
        let token = r.json::<serde_json::Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        Browser {
            http,
            url: url.to_owned(),
            cookie: format!("turno_bo={token}"),
        }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.url))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .header("cookie", &self.cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    async fn api(&self, path: &str) -> u16 {
        let token = self.cookie.trim_start_matches("turno_bo=");
        self.http
            .get(format!("{}/api/v1/central/{path}", self.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

/// The password a page shows once.
fn shown_password(page: &str) -> String {
    let start = page.find("id=\"new-password\">").expect("a password shown") + "id=\"new-password\">".len();
    page[start..page[start..].find('<').unwrap() + start].to_owned()
}

#[tokio::test]
async fn a_city_account_manages_the_centre_s_accounts() {
    let pg = Postgres::start();
    let url = pg.create_database("city");
    let dir = tempfile::tempdir().unwrap();
    let centre = CentralProcess::start(&url, dir.path());
    pg.psql(
        "city",
        "INSERT INTO offices (code, name, timezone) VALUES ('nord', 'Anagrafe Nord', 'Europe/Rome'),
                                                           ('sud', 'Anagrafe Sud', 'Europe/Rome')",
    );
    let city = centre.account("citta", None);
    let admin = Browser::new(&centre.url, "citta", &city).await;

    let (status, page) = admin.get("/backoffice/accounts").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Account del back office cittadino") && page.contains("citta"),
        "{page}"
    );

    // A new account for one office: its password is shown once; it sees only its office.
    let (status, page) = admin
        .post(
            "/backoffice/accounts",
            &[
                ("username", " Nord.BO "),
                ("display_name", "Ufficio Nord"),
                ("office", "nord"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let password = shown_password(&page);
    assert!(password.len() >= 20, "{password}");
    let nord = Browser::new(&centre.url, "nord.bo", &password).await;
    let (status, offices) = centre.api("nord.bo", &password).await.get("offices", &[]).await;
    assert_eq!(status, 200);
    let codes: Vec<&str> = offices["offices"]
        .as_array()
        .expect("offices")
        .iter()
        .map(|o| o["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["nord"], "{offices}");
    assert_eq!(nord.api("stats?office=sud").await, 403);
    // Moved to another office, it sees that one at its next request.
    assert_eq!(
        admin
            .post("/backoffice/accounts/nord.bo/office", &[("office", "sud")])
            .await
            .0,
        303
    );
    assert_eq!(nord.api("stats?office=sud").await, 200);
    assert_eq!(nord.api("stats?office=nord").await, 403);
    assert_eq!(
        admin
            .post("/backoffice/accounts/nord.bo/office", &[("office", "ovest")])
            .await
            .0,
        422
    );
    assert_eq!(
        admin
            .post("/backoffice/accounts/citta/office", &[("office", "sud")])
            .await
            .0,
        409
    );
    let (_, page) = admin.get("/backoffice/accounts?ok=moved").await;
    assert!(page.contains("Account spostato"), "{page}");
    crate::support::assert_valid_html(&[("centre-accounts", page)]);
    assert_eq!(
        admin
            .post("/backoffice/accounts/nord.bo/office", &[("office", "nord")])
            .await
            .0,
        303
    );
    assert_eq!(nord.get("/backoffice/accounts").await.0, 403);
    assert_eq!(
        nord.post("/backoffice/accounts/citta/active", &[("active", "false")])
            .await
            .0,
        403
    );

    // Bad forms are answered on the page, nothing made.
    for (form, why) in [
        (
            [("username", "nord.bo"), ("display_name", "Altro"), ("office", "")],
            "già usato",
        ),
        (
            [("username", "è-male"), ("display_name", "Altro"), ("office", "")],
            "Il nome utente è obbligatorio",
        ),
        (
            [("username", "altro"), ("display_name", ""), ("office", "")],
            "Scriva il nome",
        ),
        (
            [("username", "altro"), ("display_name", "Altro"), ("office", "ovest")],
            "uno degli uffici",
        ),
    ] {
        let (status, page) = admin.post("/backoffice/accounts", &form).await;
        assert_eq!(status, 422, "{form:?}");
        assert!(page.contains(why), "{form:?}: {page}");
    }
    assert_eq!(pg.psql("city", "SELECT count(*) FROM accounts"), "2");

    // Turned off: its session ends and it cannot sign in; turned on again, it can.
    let (status, _) = admin
        .post("/backoffice/accounts/nord.bo/active", &[("active", "false")])
        .await;
    assert_eq!(status, 303);
    assert_eq!(nord.api("offices").await, 401);
    assert_eq!(
        login(&reqwest::Client::new(), &centre.url, "nord.bo", &password)
            .await
            .status(),
        401
    );
    let (_, page) = admin.get("/backoffice/accounts?ok=off").await;
    assert!(page.contains("Account disattivato"), "{page}");
    assert_eq!(
        admin
            .post("/backoffice/accounts/nord.bo/active", &[("active", "true")])
            .await
            .0,
        303
    );
    let nord = Browser::new(&centre.url, "nord.bo", &password).await;

    // A new password: the old one and its sessions end.
    let (status, page) = admin.post("/backoffice/accounts/nord.bo/password", &[]).await;
    assert_eq!(status, 200, "{page}");
    let renewed = shown_password(&page);
    assert_ne!(renewed, password);
    assert_eq!(nord.api("offices").await, 401);
    assert_eq!(
        login(&reqwest::Client::new(), &centre.url, "nord.bo", &password)
            .await
            .status(),
        401
    );
    Browser::new(&centre.url, "nord.bo", &renewed).await;

    // No one turns themselves off; unknown accounts are not found; another site's form is refused.
    assert_eq!(
        admin
            .post("/backoffice/accounts/citta/active", &[("active", "false")])
            .await
            .0,
        409
    );
    assert_eq!(admin.post("/backoffice/accounts/nessuno/password", &[]).await.0, 404);
    let cross = admin
        .http
        .post(format!("{}/backoffice/accounts/nord.bo/active", centre.url))
        .header("cookie", &admin.cookie)
        .header("origin", "https://evil.example")
        .form(&[("active", "false")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    assert_eq!(
        pg.psql("city", "SELECT active FROM accounts WHERE username = 'nord.bo'"),
        "t"
    );
}
