//! The back office's pages that keep the office up to date, in a real headless Chromium against the
//! real server: signing in through the form, an information sheet edited in the page and served by
//! the kiosk's next `/office`, a refused value shown next to its field with what was typed kept, a PDF
//! form accepted and a file that is not one refused, a device created (its token shown once) and
//! revoked, the audit log showing a change before and after, axe-core on the service's page; and over
//! plain HTTP, a stranger sent to sign in, a clerk refused, bad input answered 4xx with a page.

use serde_json::{Value, json};
use turno_shared::api::{ErrorCode, IssueRequest};
use turno_shared::client::Client;
use turno_shared::domain::Priority;
use turno_tests::browser::{Browser, require_tools};
use turno_tests::demo_password;

use crate::support::{Office, PATIENCE, assert_refused, assert_valid_html, axe_violations, drawn, sign_in};

/// Clicks the button `css` of a form and waits for the page the post answers: the message of
/// success, or the form again with its errors.
async fn submit(browser: &Browser, css: &str, what: &str) -> String {
    browser.eval("window.turnoBefore = true").await;
    browser.click(css).await;
    let v = browser
        .wait_for(
            what,
            PATIENCE,
            "if (window.turnoBefore || document.readyState !== 'complete') return null;
             const ok = document.querySelector('.bo-alert-ok'); const bad = document.querySelector('#errors');
             return ok ? 'ok: ' + ok.textContent : bad ? 'errors: ' + bad.textContent : null;",
        )
        .await;
    v.as_str().unwrap_or_default().to_owned()
}

/// The text of the element `css` names, or null.
async fn text_of(browser: &Browser, css: &str) -> Value {
    browser
        .eval_with(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent.trim() : null;",
            json!([css]),
        )
        .await
        .expect("the page answers")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_information_sheet_edited_in_the_page_reaches_the_kiosk_and_the_audit_log() {
    require_tools();
    let office = Office::start().await;
    let id = office.service('A');
    let before = office.services[&'A'].config.info.get("it").to_owned();
    let browser = Browser::start(1366, 768).await;
    let page = format!("/backoffice/services/{id}");
    sign_in(&browser, &office, "admin", &page).await;

    // The page is accessible as it first shows, in Italian.
    assert_eq!(browser.eval("return document.documentElement.lang").await, json!("it"));
    let violations = axe_violations(&browser).await;
    assert!(violations.is_empty(), "axe-core on the service's page: {violations:#?}");

    // A value the engine refuses (another service's letter) comes back next to its field, with
    // everything typed kept, and nothing is saved.
    let other = office.services[&'B'].config.prefix.to_string();
    let typed = "Il servizio rilascia la carta d'identità elettronica.\n\nPortare la ricevuta del pagamento.";
    browser
        .eval_with(
            "document.querySelector('#f-prefix').value = arguments[0];
             document.querySelector('#f-info-it').value = arguments[1];",
            json!([other, typed]),
        )
        .await
        .unwrap();
    let answer = submit(&browser, "#service-form button.bo-btn-primary", "the refused form").await;
    assert!(answer.starts_with("errors: "), "{answer}");
    let field = browser
        .eval(
            "const f = document.querySelector('#f-prefix');
             const err = document.querySelector('#f-prefix-error');
             return { value: f.value, invalid: f.getAttribute('aria-invalid'),
                      described: f.getAttribute('aria-describedby'), error: err && err.textContent,
                      info: document.querySelector('#f-info-it').value,
                      link: document.querySelector('#errors a').getAttribute('href'),
                      invalid_fields: document.querySelectorAll('[aria-invalid=true]').length };",
        )
        .await;
    assert_eq!(field["value"], json!(other), "what was typed is kept: {field}");
    assert_eq!(field["info"], json!(typed), "{field}");
    assert_eq!(field["invalid"], json!("true"), "{field}");
    assert_eq!(field["invalid_fields"], json!(1), "only the prefix is wrong: {field}");
    assert!(
        field["described"]
            .as_str()
            .unwrap_or("")
            .split(' ')
            .any(|i| i == "f-prefix-error"),
        "the error is linked to its field: {field}"
    );
    assert!(
        field["error"]
            .as_str()
            .unwrap_or("")
            .contains("Un altro servizio usa già questa lettera"),
        "in Italian, next to the field: {field}"
    );
    assert_eq!(field["link"], json!("#f-prefix"), "the summary links to the field");
    assert_eq!(
        office
            .kiosk
            .office()
            .await
            .unwrap()
            .services
            .iter()
            .find(|s| s.id == id)
            .unwrap()
            .info
            .get("it"),
        before,
        "a refused form changes nothing"
    );
    let violations = axe_violations(&browser).await;
    assert!(violations.is_empty(), "axe-core on the refused form: {violations:#?}");

    // Put right and saved: the kiosk's next /office has it, and the preview shows it as the kiosk does.
    browser
        .eval_with(
            "document.querySelector('#f-prefix').value = arguments[0];",
            json!([office.services[&'A'].config.prefix.to_string()]),
        )
        .await
        .unwrap();
    let answer = submit(&browser, "#service-form button.bo-btn-primary", "the saved form").await;
    assert!(answer.contains("Modifiche salvate"), "{answer}");
    assert_eq!(
        browser.eval("return location.pathname + location.search").await,
        json!(format!("{page}?ok=saved")),
        "Post/Redirect/Get"
    );
    let kiosk = office.kiosk.office().await.expect("the kiosk reads the office");
    let sheet = kiosk.services.iter().find(|s| s.id == id).expect("service A");
    assert_eq!(sheet.info.get("it"), typed);
    assert_eq!(
        text_of(&browser, ".bo-kiosk-info").await,
        json!(typed),
        "the kiosk's preview keeps the lines"
    );
    let paragraphs = browser
        .eval("return [...document.querySelectorAll('.bo-ticketpage p:not(.bo-ticketpage-title):not(.bo-ticketpage-sub)')].map(p => p.textContent)")
        .await;
    assert_eq!(
        paragraphs,
        json!([
            "Il servizio rilascia la carta d'identità elettronica.",
            "Portare la ricevuta del pagamento."
        ]),
        "the ticket page's preview splits paragraphs as the page does"
    );

    // The preview in English: the English name, the Italian sheet (not translated), English headings.
    browser.click(".bo-langs button[value=en]").await;
    browser
        .wait_for(
            "the English preview",
            PATIENCE,
            "return document.querySelector('.bo-kiosk[lang=en]') !== null",
        )
        .await;
    let english = text_of(&browser, ".bo-kiosk").await;
    let english = english.as_str().unwrap_or("");
    assert!(english.contains("Documents to bring"), "{english}");
    assert!(
        english.contains(sheet.name.get("en")) && english.contains("Portare la ricevuta"),
        "{english}"
    );

    // The audit log lists the change, before and after.
    browser.goto(&format!("{}/backoffice/audit", office.server.url)).await;
    let entry = browser
        .eval_with(
            "const a = [...document.querySelectorAll('article.bo-audit-entry')]
               .find(a => a.querySelector('h2').textContent.startsWith('Modifica servizio n. ' + arguments[0]));
             if (!a) return null;
             const row = [...a.querySelectorAll('tbody tr')]
               .find(tr => tr.querySelector('th').textContent === 'Scheda informativa (it)');
             return { who: a.querySelector('p').textContent,
                      before: row && row.querySelector('td.bo-before').textContent,
                      after: row && row.querySelector('td.bo-after').textContent };",
            json!([id]),
        )
        .await
        .unwrap();
    assert!(!entry.is_null(), "the audit log lists the change");
    assert!(entry["who"].as_str().unwrap_or("").contains("admin"), "{entry}");
    assert_eq!(entry["before"], json!(before), "{entry}");
    assert_eq!(entry["after"], json!(typed), "{entry}");
    let violations = axe_violations(&browser).await;
    assert!(violations.is_empty(), "axe-core on the audit log: {violations:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pdf_form_is_accepted_and_a_file_that_is_not_one_is_refused() {
    require_tools();
    let office = Office::start().await;
    let id = office.service('A');
    let browser = Browser::start(1366, 768).await;
    sign_in(&browser, &office, "admin", &format!("/backoffice/services/{id}")).await;
    let choose = "const dt = new DataTransfer();
         dt.items.add(new File([arguments[0]], arguments[1], { type: arguments[2] }));
         document.querySelector('#f-file').files = dt.files;
         document.querySelector('#f-title').value = arguments[3];";
    let upload = "#moduli form[enctype='multipart/form-data'] button[type=submit]";

    browser
        .eval_with(
            choose,
            json!([
                "PK\u{3}\u{4} not a pdf",
                "residenza.pdf",
                "application/pdf",
                "Modulo di residenza"
            ]),
        )
        .await
        .unwrap();
    let answer = submit(&browser, upload, "the refused upload").await;
    assert!(answer.starts_with("errors: "), "{answer}");
    let refused = browser
        .eval(
            "return { error: document.querySelector('#f-file-error').textContent,
                      invalid: document.querySelector('#f-file').getAttribute('aria-invalid'),
                      title: document.querySelector('#f-title').value };",
        )
        .await;
    assert!(
        refused["error"]
            .as_str()
            .unwrap_or("")
            .contains("non è un documento PDF"),
        "a clear message next to the file: {refused}"
    );
    assert_eq!(refused["invalid"], json!("true"));
    assert_eq!(
        refused["title"],
        json!("Modulo di residenza"),
        "the title typed is kept"
    );

    let pdf = "%PDF-1.4\n1 0 obj\n<<>>\nendobj\nxref\n0 1\ntrailer\n<<>>\nstartxref\n9\n%%EOF\n";
    browser
        .eval_with(
            choose,
            json!([pdf, "residenza.pdf", "application/pdf", "Modulo di residenza"]),
        )
        .await
        .unwrap();
    let answer = submit(&browser, upload, "the accepted upload").await;
    assert!(answer.contains("Modulo caricato"), "{answer}");
    let listed = text_of(&browser, "#moduli table").await;
    assert!(
        listed.as_str().unwrap_or("").contains("Modulo di residenza"),
        "{listed}"
    );
    let forms = |view: turno_shared::api::OfficeView| view.services.into_iter().find(|s| s.id == id).unwrap().forms;
    let served = forms(office.kiosk.office().await.unwrap());
    assert_eq!(served.len(), 1, "{served:?}");
    assert_eq!(served[0].title, "Modulo di residenza");
    assert_eq!(served[0].size, pdf.len() as u64);

    let answer = submit(&browser, "#moduli form[action$='/delete'] button", "the deleted form").await;
    assert!(answer.contains("Modulo eliminato"), "{answer}");
    assert!(forms(office.kiosk.office().await.unwrap()).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_is_created_with_its_token_shown_once_and_revoked() {
    require_tools();
    let office = Office::start().await;
    let browser = Browser::start(1366, 768).await;
    sign_in(&browser, &office, "admin", "/backoffice/devices").await;
    browser
        .eval(
            "document.querySelector('#f-name').value = 'Chiosco primo piano';
             document.querySelector('#f-kind').value = 'kiosk';",
        )
        .await;
    browser
        .click("form[action='/backoffice/devices'] button[type=submit]")
        .await;
    let shown = browser
        .wait_for(
            "the new device's token",
            PATIENCE,
            "const t = document.querySelector('#device-token');
             return t && { token: t.value, warning: document.querySelector('.bo-alert-warn').textContent };",
        )
        .await;
    let token = shown["token"].as_str().expect("a token").to_owned();
    assert!(token.len() >= 32, "{shown}");
    assert!(
        shown["warning"].as_str().unwrap_or("").contains("solo questa volta"),
        "{shown}"
    );
    let device = Client::new(&office.server.url).with_token(token.clone());
    let request = IssueRequest {
        service_id: office.service('A'),
        priority: Priority::Normal,
        language: None,
    };
    device
        .issue_ticket(&request)
        .await
        .expect("the new kiosk issues a ticket");

    browser.goto(&format!("{}/backoffice/devices", office.server.url)).await;
    let html: String = browser
        .eval("return document.documentElement.outerHTML")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(html.contains("Chiosco primo piano"));
    assert!(!html.contains(&token), "the token is shown once only");
    let answer = submit(
        &browser,
        "tbody tr:last-child form[action$='/revoke'] button",
        "the revoked device",
    )
    .await;
    assert!(answer.contains("revocato"), "{answer}");
    assert_refused(device.issue_ticket(&request).await, 401, ErrorCode::Unauthenticated);
}

/// An HTTP client that follows no redirect, holding the cookie of `username` once signed in.
struct Http {
    http: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

impl Http {
    fn new(office: &Office) -> Http {
        Http {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: office.server.url.clone(),
            cookie: None,
        }
    }

    async fn sign_in(&mut self, username: &str) -> reqwest::Response {
        let r = self
            .http
            .post(format!("{}/backoffice/login", self.base))
            .form(&[
                ("username", username),
                ("password", demo_password(username)),
                ("next", "/backoffice"),
            ])
            .send()
            .await
            .unwrap();
        self.cookie = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        r
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        let mut r = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            r = r.header("cookie", c);
        }
        r.send().await.unwrap()
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut r = self.http.post(format!("{}{path}", self.base)).form(form);
        if let Some(c) = &self.cookie {
            r = r.header("cookie", c);
        }
        r.send().await.unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn strangers_sign_in_first_clerks_are_refused_and_bad_input_gets_a_page() {
    let office = Office::start().await;
    let mut http = Http::new(&office);

    // No session: every admin page sends the browser to sign in, and comes back.
    for path in [
        "/backoffice/services",
        "/backoffice/audit",
        "/backoffice/devices",
        "/backoffice/audit.csv",
    ] {
        let r = http.get(path).await;
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(
            r.headers()["location"],
            format!("/backoffice/login?next={path}").as_str(),
            "{path}"
        );
    }
    let r = http
        .post("/backoffice/devices", &[("name", "Intruso"), ("kind", "kiosk")])
        .await;
    assert_eq!(r.status(), 303, "a post without a session changes nothing");

    // A clerk's account is refused the back office, at the sign-in and with a clerk's token.
    let r = http.sign_in("mrossi").await;
    assert_eq!(r.status(), 403);
    assert!(http.cookie.is_none(), "no session for a clerk");
    assert!(r.text().await.unwrap().contains("console dello sportello"));
    let token = clerk_token(&office, "mrossi").await;
    http.cookie = Some(format!("turno_bo={token}"));
    let r = http.get("/backoffice/services").await;
    assert_eq!(r.status(), 403);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("riservata agli account del back office")
    );

    // Signed in: bad input gets a 4xx page in Italian, never a 500.
    let r = http.sign_in("admin").await;
    assert_eq!(r.status(), 303);
    for path in [
        "/backoffice/services/999",
        "/backoffice/services/abc",
        "/backoffice/counters/0",
        "/backoffice/notices/-1",
    ] {
        let r = http.get(path).await;
        assert_eq!(r.status(), 404, "{path}");
        assert!(r.text().await.unwrap().contains("Pagina non trovata"), "{path}");
    }
    let r = http
        .post(
            "/backoffice/notices/new",
            &[
                ("text.it", "Chiusura anticipata"),
                ("starts_at", "2026-12-01T12:00"),
                ("ends_at", "2026-12-01T09:00"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("La fine dell&#39;avviso deve venire dopo il suo inizio")
            || page.contains("La fine dell'avviso deve venire dopo il suo inizio"),
        "{page}"
    );
    assert!(page.contains("value=\"Chiusura anticipata\""), "what was typed is kept");
    let r = http
        .post(
            "/backoffice/users",
            &[
                ("username", "mrossi"),
                ("display_name", "Omonima"),
                ("role", "clerk"),
                ("password", "una password lunga"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("id=\"f-username-error\""),
        "the engine's refusal is next to the username"
    );
    assert!(page.contains("già usato"), "{page}");
    let r = http
        .post(
            "/backoffice/counters/new",
            &[("name", "Sportello 9"), ("rank.1", "primo")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"f-rank-1-error\""));
    let r = http.post("/backoffice/services/1", &[("code", "x")]).await;
    assert_eq!(
        r.status(),
        422,
        "a partial form is refused with its problems, not a 500"
    );

    // A form over 10 MB gets the form again with the reason next to the file, not a dropped connection.
    let boundary = "turno-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nModulo grande\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"grande.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    )
    .into_bytes();
    body.extend(std::iter::repeat_n(b'0', 12 * 1024 * 1024));
    body.extend(format!("\nstartxref\n9\n%%EOF\n\r\n--{boundary}--\r\n").into_bytes());
    // Its own connection: the server answers before reading the rest of the body, then closes it.
    let r = reqwest::Client::new()
        .post(format!("{}/backoffice/services/1/forms", http.base))
        .header("cookie", http.cookie.clone().unwrap())
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("Il file supera i 10 MB"), "{page}");
    assert!(page.contains("value=\"Modulo grande\""), "the title typed is kept");

    // A user created with a password, given a new one, then deactivated: each takes effect at once,
    // and who is signed in at a counter is listed.
    let r = http
        .post(
            "/backoffice/users",
            &[
                ("username", "nuova"),
                ("display_name", "Nuova Collega"),
                ("role", "clerk"),
                ("password", "prima password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let api = Client::new(&office.server.url);
    let signed_in = api
        .login("nuova", "prima password")
        .await
        .expect("the new user signs in");
    let id = signed_in.user.id;
    let clerk = api.with_token(signed_in.token);
    clerk
        .open_counter(office.counter("Sportello 3"))
        .await
        .expect("she opens a counter");
    let page = http.get("/backoffice/users").await.text().await.unwrap();
    let who = &page[page.find("Chi è collegato e dove").unwrap()..page.find("id=\"nuovo\"").unwrap()];
    assert!(who.contains("Sportello 3") && who.contains("Nuova Collega"), "{who}");
    let r = http
        .post(&format!("/backoffice/users/{id}/password"), &[("password", "corta")])
        .await;
    assert_eq!(r.status(), 422, "a short password is refused next to its field");
    assert!(r.text().await.unwrap().contains("id=\"f-password-error\""));
    let r = http
        .post(
            &format!("/backoffice/users/{id}/password"),
            &[("password", "seconda password")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_refused(
        api.login("nuova", "prima password").await,
        401,
        ErrorCode::BadCredentials,
    );
    api.login("nuova", "seconda password")
        .await
        .expect("the new password works");
    let r = http.post(&format!("/backoffice/users/{id}/deactivate"), &[]).await;
    assert_eq!(r.status(), 303);
    assert_refused(
        api.login("nuova", "seconda password").await,
        401,
        ErrorCode::BadCredentials,
    );
    let page = http.get("/backoffice/users").await.text().await.unwrap();
    assert!(
        !page.contains("Sportello 3</td>"),
        "her counter closed with her account"
    );

    // The audit log's filters.
    let page = http.get("/backoffice/audit?entity=user").await.text().await.unwrap();
    assert!(page.contains("Disattivazione utente") && page.contains("Creazione utente"));
    assert!(!page.contains("avviso"), "only users' changes");
    let page = http.get("/backoffice/audit?user=cli").await.text().await.unwrap();
    assert!(page.contains("Nessuna modifica nel periodo."));
    let r = http.get("/backoffice/audit?from=31/12/2026&to=01/12/2026").await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("La data finale viene prima di quella iniziale")
    );

    // The audit log's export: what the pages changed, as Italian Excel reads it.
    let r = http
        .post(
            "/backoffice/counters/new",
            &[("name", "Sportello 9"), ("rank.1", "1"), ("active", "1")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = http.get("/backoffice/audit.csv?entity=counter").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("Data e ora;Utente;Azione;Tipo;Id;Nome;Campi cambiati;Prima (JSON);Dopo (JSON)")
    );
    let row = lines.next().unwrap_or_default();
    assert!(row.contains(";admin;Creazione;sportello;"), "{text}");
    assert!(row.contains(";Sportello 9;"), "{text}");
}

/// A fresh API token of `username`.
async fn clerk_token(office: &Office, username: &str) -> String {
    Client::new(&office.server.url)
        .login(username, demo_password(username))
        .await
        .expect("the clerk signs in")
        .token
}

#[tokio::test(flavor = "multi_thread")]
async fn every_admin_page_is_valid_html_and_passes_axe() {
    require_tools();
    let office = Office::start().await;
    let browser = Browser::start(1366, 768).await;
    sign_in(&browser, &office, "admin", "/backoffice/notices/new").await;
    browser
        .eval("document.querySelector('#f-text-it').value = 'Oggi chiusura alle 12:30';")
        .await;
    let answer = submit(&browser, "form.bo-form button.bo-btn-primary", "the new notice").await;
    assert!(answer.starts_with("ok: "), "{answer}");
    let pages = [
        "/backoffice/services",
        "/backoffice/services/new",
        "/backoffice/counters",
        "/backoffice/counters/1",
        "/backoffice/users",
        "/backoffice/users/2",
        "/backoffice/devices",
        "/backoffice/notices",
        "/backoffice/notices/1",
        "/backoffice/audit",
    ];
    let mut drawn_pages = Vec::new();
    for path in pages {
        browser.goto(&format!("{}{path}", office.server.url)).await;
        let violations = axe_violations(&browser).await;
        assert!(violations.is_empty(), "axe-core on {path}: {violations:#?}");
        drawn_pages.push((path.trim_start_matches('/').replace('/', "-"), drawn(&browser).await));
    }
    // The forms refused, with their errors shown.
    browser
        .goto(&format!("{}/backoffice/services/1", office.server.url))
        .await;
    browser
        .eval("document.querySelector('#f-name-it').value = ''; document.querySelector('#f-hours-mon').value = 'mattina';")
        .await;
    let answer = submit(&browser, "#service-form button.bo-btn-primary", "the refused service").await;
    assert!(answer.starts_with("errors: "), "{answer}");
    let violations = axe_violations(&browser).await;
    assert!(
        violations.is_empty(),
        "axe-core on the refused service: {violations:#?}"
    );
    drawn_pages.push(("refused-service".to_owned(), drawn(&browser).await));
    let pages: Vec<(&str, String)> = drawn_pages.iter().map(|(n, h)| (n.as_str(), h.clone())).collect();
    assert_valid_html(&pages);
}
