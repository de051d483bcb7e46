//! `turno-page-screenshots`: the waiting-room board and the citizen's ticket page as a person sees them,
//! in a real headless Chromium against the real server with a demo office in the middle of a morning:
//! `board-landscape-1920x1080.png`, `board-landscape-1280x720.png`, `board-portrait-1080x1920.png`,
//! `ticket-page-waiting.png`, `ticket-page-called.png`, `ticket-page-rating.png` (390×844, Italian);
//! and the back office at 1366×768 (a clerk's or analyst's PC), signed in through its form:
//! `backoffice-dashboard.png`, `backoffice-service-edit.png` (a service's editing page, its sheet
//! just edited, with the preview as kiosk and ticket page show it) and `backoffice-audit.png`; and the
//! city's centre at 1366×768, on a throwaway PostgreSQL with three demo offices shipping to it:
//! `central-overview.png` (the offices side by side), `central-stats.png` (the city's statistics) and
//! `central-accounts.png` (the accounts page, a password just made).
//!
//! `cargo build -p turno-server && cargo run -p turno-tests --bin turno-page-screenshots -- --out docs/screenshots`

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use turno_shared::api::{IssueRequest, IssuedTicket, Localized, NoticeInput, TicketView};
use turno_shared::client::Client;
use turno_shared::domain::{PauseReason, Priority};
use turno_tests::ServerProcess;
use turno_tests::browser::Browser;
use turno_tests::pg::{CentralProcess, Postgres};

#[derive(Parser)]
#[command(name = "turno-page-screenshots")]
struct Args {
    /// Where the PNG files go.
    #[arg(long, default_value = "docs/screenshots")]
    out: PathBuf,
    /// Only the city's centre's pages.
    #[arg(long)]
    only_centre: bool,
}

const PATIENCE: Duration = Duration::from_secs(20);

struct Scene {
    server: ServerProcess,
    kiosk: Client,
    services: Vec<(char, i64)>,
    clerks: Vec<(Client, i64)>,
}

impl Scene {
    fn service(&self, prefix: char) -> i64 {
        self.services
            .iter()
            .find(|(p, _)| *p == prefix)
            .expect("a demo service")
            .1
    }

    async fn issue(&self, prefix: char, priority: Priority) -> IssuedTicket {
        self.kiosk
            .issue_ticket(&IssueRequest {
                service_id: self.service(prefix),
                priority,
                language: Some("it".into()),
            })
            .await
            .expect("the kiosk issues a ticket")
    }

    /// The clerk at counter `n` (1 to 5) calls the next ticket, finishing the one before.
    async fn call(&self, n: usize, before: Option<&TicketView>) -> TicketView {
        let (clerk, counter) = &self.clerks[n - 1];
        if let Some(t) = before {
            let outcome = clerk
                .office()
                .await
                .unwrap()
                .services
                .into_iter()
                .find(|s| s.id == t.service_id)
                .unwrap()
                .outcomes[0]
                .code
                .to_string();
            clerk
                .finish(t.id, &outcome, None)
                .await
                .expect("the clerk finishes the visit");
        }
        clerk
            .call_next(*counter)
            .await
            .expect("the clerk calls")
            .expect("a ticket waits")
    }
}

async fn settle(browser: &Browser) {
    // No animation running (the call's flash is over) and the fonts loaded.
    browser
        .wait_for(
            "the page to settle",
            PATIENCE,
            "return document.fonts.status === 'loaded' && document.getAnimations().length === 0",
        )
        .await;
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    std::fs::create_dir_all(&args.out).expect("the output folder");
    if args.only_centre {
        centre(&args.out).await;
        return;
    }
    let dir = tempfile::tempdir().expect("a temp directory");
    let server = tokio::task::block_in_place(|| ServerProcess::start(dir.path(), &[]));
    let login = |user: &'static str, password: &'static str| {
        let client = server.client();
        async move {
            let token = client.login(user, password).await.expect("a demo user signs in").token;
            client.with_token(token)
        }
    };
    let admin = login("admin", turno_tests::demo_password("admin")).await;
    let services = admin
        .services()
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.config.prefix.as_char(), s.id))
        .collect();
    let mut clerks = Vec::new();
    for (i, user) in ["mrossi", "lbianchi", "gverdi", "fesposito", "aromano"]
        .iter()
        .enumerate()
    {
        let client = login(user, turno_tests::demo_password(user)).await;
        client
            .open_counter(i as i64 + 1)
            .await
            .expect("the clerk opens the counter");
        clerks.push((client, i as i64 + 1));
    }
    admin
        .create_notice(&NoticeInput {
            text: Localized::it("Oggi l'ufficio chiude alle 12:30").with("en", "Today the office closes at 12:30"),
            starts_at: None,
            ends_at: None,
            active: true,
        })
        .await
        .expect("a notice");
    let scene = Scene {
        kiosk: server.kiosk(),
        server,
        services,
        clerks,
    };
    for (prefix, n) in [('A', 9), ('B', 3), ('C', 6), ('D', 2), ('E', 3), ('F', 4)] {
        for _ in 0..n {
            scene.issue(prefix, Priority::Normal).await;
        }
    }
    let url = scene.server.url.clone();
    let token = scene.server.display_token.clone();

    // The board: a morning's calls, the last one with priority.
    let browser = Browser::start(1920, 1080).await;
    browser.goto(&format!("{url}/board?token={token}&lang=none")).await;
    browser
        .wait_for("the board to connect", PATIENCE, "return turnoBoard.online()")
        .await;
    let a1 = scene.call(1, None).await;
    let c1 = scene.call(3, None).await;
    let a2 = scene.call(2, None).await;
    let f1 = scene.call(4, None).await;
    let a3 = scene.call(1, Some(&a1)).await;
    let c2 = scene.call(3, Some(&c1)).await;
    let _f2 = scene.call(4, Some(&f1)).await;
    scene.issue('B', Priority::Priority).await;
    let _a4 = scene.call(2, Some(&a2)).await;
    let _c3 = scene.call(3, Some(&c2)).await;
    let _b = scene.call(1, Some(&a3)).await;
    scene.clerks[4]
        .0
        .pause(5, PauseReason::Break, None)
        .await
        .expect("the fifth counter pauses");
    browser
        .wait_for(
            "the priority call on the board",
            PATIENCE,
            "return turnoBoard.calls()[0]?.priority === 'priority' && document.querySelector('#latest-flags .priority')",
        )
        .await;
    for (name, width, height) in [
        ("board-landscape-1920x1080", 1920, 1080),
        ("board-landscape-1280x720", 1280, 720),
        ("board-portrait-1080x1920", 1080, 1920),
    ] {
        browser.viewport(width, height, false).await;
        settle(&browser).await;
        browser.save_screenshot(&args.out.join(format!("{name}.png"))).await;
        println!("{}", args.out.join(format!("{name}.png")).display());
    }
    drop(browser);

    backoffice(&url, &args.out).await;
    centre(&args.out).await;

    // The ticket page on a phone: waiting, called, then the rating.
    let mine = scene.issue('A', Priority::Normal).await;
    let phone = Browser::start(390, 844).await;
    phone.viewport(390, 844, true).await;
    phone.goto(&format!("{url}{}", mine.status_path)).await;
    phone
        .wait_for("the position", PATIENCE, "return document.getElementById('ahead')")
        .await;
    settle(&phone).await;
    let shot = |name: &'static str| {
        let phone = &phone;
        let out = args.out.join(format!("{name}.png"));
        async move {
            phone.save_screenshot(&out).await;
            println!("{}", out.display());
        }
    };
    shot("ticket-page-waiting").await;
    // Everyone before this ticket is served, then it is called at counter 2.
    let (clerk, counter) = &scene.clerks[1];
    let mut current = clerk.counter_status(*counter).await.unwrap().current;
    let me = loop {
        if let Some(t) = &current {
            finish(clerk, t.id, t.service_id).await;
        }
        let next = clerk.call_next(*counter).await.unwrap().expect("tickets wait");
        if next.number == mine.ticket.number {
            break next;
        }
        current = Some(next);
    };
    phone
        .wait_for("the call", PATIENCE, "return document.querySelector('.status.called')")
        .await;
    settle(&phone).await;
    shot("ticket-page-called").await;
    clerk.start(me.id).await.unwrap();
    finish(clerk, me.id, me.service_id).await;
    phone
        .wait_for("the faces", PATIENCE, "return document.querySelector('[data-rating]')")
        .await;
    phone.eval("scrollTo(0, 0); return 1").await;
    settle(&phone).await;
    shot("ticket-page-rating").await;
}

/// Finishes a visit with its service's first outcome.
async fn finish(clerk: &turno_shared::client::Client, ticket_id: i64, service_id: i64) {
    let office = clerk.office().await.unwrap();
    let service = office.services.into_iter().find(|s| s.id == service_id).unwrap();
    let outcome = service.outcomes[0].code.to_string();
    clerk.finish(ticket_id, &outcome, None).await.unwrap();
}

/// The back office at 1366×768: signed in through the form, a service's information sheet edited
/// and saved through its page, then the dashboard, the service's page and the audit log.
async fn backoffice(url: &str, out: &std::path::Path) {
    let browser = Browser::start(1366, 768).await;
    browser.viewport(1366, 768, false).await;
    browser.goto(&format!("{url}/backoffice/login")).await;
    browser
        .wait_for(
            "the sign-in form",
            PATIENCE,
            "return document.querySelector('#username')",
        )
        .await;
    browser
        .eval_with(
            "document.querySelector('#username').value = 'admin';
             document.querySelector('#password').value = arguments[0];",
            serde_json::json!([turno_tests::demo_password("admin")]),
        )
        .await
        .expect("the form takes the credentials");
    browser.click("form.bo-form button[type=submit]").await;
    browser
        .wait_for(
            "the dashboard",
            PATIENCE,
            "return location.pathname === '/backoffice' && document.querySelector('.bo-signout')",
        )
        .await;
    settle(&browser).await;
    let shot = |name: &'static str| {
        let browser = &browser;
        let path = out.join(format!("{name}.png"));
        async move {
            settle(browser).await;
            browser.save_screenshot(&path).await;
            println!("{}", path.display());
        }
    };
    shot("backoffice-dashboard").await;

    // The registry office's sheet, edited in its page and saved.
    browser.goto(&format!("{url}/backoffice/services/1")).await;
    browser
        .wait_for(
            "the service's form",
            PATIENCE,
            "return document.querySelector('#f-info-it')",
        )
        .await;
    browser
        .eval(
            "const info = document.querySelector('#f-info-it');
             info.value = info.value + '\\n\\nDal 1° dicembre la CIE si prenota anche online.';
             document.querySelector('#f-info-en').value = 'Electronic identity cards (CIE), registry certificates, change of residence and address. '
               + 'The CIE is posted to your home within 6 working days and costs € 22.21, paid by card at the counter.';
             document.querySelector('#f-documents-en').value = 'Expired identity card, or report of loss or theft\\n'
               + 'A recent colour passport photo on a white background\\nHealth card (tax code)\\nFor minors: both parents present';
             window.turnoBefore = true;
             document.querySelector('#service-form button.bo-btn-primary').click();",
        )
        .await;
    browser
        .wait_for(
            "the saved sheet",
            PATIENCE,
            "return !window.turnoBefore && document.querySelector('.bo-alert-ok')",
        )
        .await;
    // The form and its preview side by side, the page's header scrolled away.
    browser
        .eval("scrollTo(0, document.querySelector('.bo-split').getBoundingClientRect().top + scrollY - 12)")
        .await;
    shot("backoffice-service-edit").await;

    browser.goto(&format!("{url}/backoffice/audit")).await;
    browser
        .wait_for(
            "the audit log",
            PATIENCE,
            "return document.querySelector('.bo-audit-entry')",
        )
        .await;
    shot("backoffice-audit").await;
}

/// The city's centre at 1366×768: three demo offices with a month of history ship to a throwaway
/// PostgreSQL; a city account signs in through the form; the offices side by side, the city's
/// statistics, and the accounts page with an office's account just made.
async fn centre(out: &std::path::Path) {
    let dir = tempfile::tempdir().expect("a temp directory");
    let pg = tokio::task::block_in_place(Postgres::start);
    let url = pg.create_database("city");
    let centre = tokio::task::block_in_place(|| CentralProcess::start(&url, dir.path()));
    let mut offices = Vec::new();
    for (code, name, days) in [
        ("anagrafe-nord", "Anagrafe Nord", 30),
        ("anagrafe-sud", "Anagrafe Sud", 30),
        ("tributi", "Ufficio Tributi", 30),
    ] {
        let d = dir.path().join(code);
        std::fs::create_dir(&d).expect("the office's folder");
        let config = d.join("office.toml");
        std::fs::write(
            &config,
            format!("office_name = \"{name}\"\n\n[central]\nurl = \"{url}\"\noffice = \"{code}\"\n"),
        )
        .expect("the office's settings");
        let days = days.to_string();
        offices.push(tokio::task::block_in_place(|| {
            ServerProcess::start_plain(
                &d,
                &["--demo", "--history-days", &days, "--config", config.to_str().unwrap()],
            )
        }));
    }
    let password = centre.account("citta", None);
    let api = centre.api("citta", &password).await;
    // Every office shipped all it had (nothing left on its way).
    let start = std::time::Instant::now();
    loop {
        let (_, body) = api.get("offices", &[]).await;
        let shipped = body["offices"].as_array().map_or(0, |a| {
            a.iter()
                .filter(|o| o["shipped"].as_i64() > Some(0) && o["backlog"].as_i64() == Some(0))
                .count()
        });
        if shipped == offices.len() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "the offices did not ship: {body}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let browser = Browser::start(1366, 768).await;
    browser.viewport(1366, 768, false).await;
    browser.goto(&format!("{}/backoffice/login", centre.url)).await;
    browser
        .wait_for(
            "the sign-in form",
            PATIENCE,
            "return document.querySelector('#username')",
        )
        .await;
    browser
        .eval_with(
            "document.querySelector('#username').value = 'citta';
             document.querySelector('#password').value = arguments[0];",
            serde_json::json!([password]),
        )
        .await
        .expect("the form takes the credentials");
    browser.click("form button[type=submit]").await;
    browser
        .wait_for(
            "the offices side by side",
            PATIENCE,
            "return location.pathname === '/backoffice' && document.querySelector('table')",
        )
        .await;
    let shot = |name: &'static str| {
        let browser = &browser;
        let path = out.join(format!("{name}.png"));
        async move {
            settle(browser).await;
            browser.save_screenshot(&path).await;
            println!("{}", path.display());
        }
    };
    shot("central-overview").await;
    browser.goto(&format!("{}/backoffice/stats", centre.url)).await;
    browser
        .wait_for("the statistics", PATIENCE, "return document.querySelector('table')")
        .await;
    shot("central-stats").await;
    browser.goto(&format!("{}/backoffice/accounts", centre.url)).await;
    browser
        .wait_for("the accounts", PATIENCE, "return document.querySelector('#f-username')")
        .await;
    browser
        .eval(
            "document.querySelector('#f-username').value = 'nord.bo';
             document.querySelector('#f-display-name').value = 'Back office Anagrafe Nord';
             document.querySelector('#f-office').value = 'anagrafe-nord';
             window.turnoBefore = true;
             document.querySelector('form.bo-form button.bo-btn-primary').click();",
        )
        .await;
    browser
        .wait_for(
            "the password made",
            PATIENCE,
            "return !window.turnoBefore && document.querySelector('#new-password')",
        )
        .await;
    shot("central-accounts").await;
}
