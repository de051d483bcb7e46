//! The real server as an office's IT officer installs it and as an attacker on the office network finds
//! it: a first run without the demo, the demo kept off the network while its passwords are published,
//! slow and idle clients dropped, HTTPS with the office's own certificate authority, backups taken
//! while serving.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use turno_shared::api::{IssueRequest, LiveEvent};
use turno_shared::client::{Client, ClientError};
use turno_shared::domain::Priority;
use turno_tests::{ServerProcess, demo_password, run_server_command};

use crate::support::{Office, PATIENCE, connected, within};

/// The line after the one that announces a password shown once.
fn shown_password(printed: &[String]) -> String {
    let at = printed
        .iter()
        .position(|l| l.contains("password"))
        .unwrap_or_else(|| panic!("no password was shown: {printed:#?}"));
    printed[at + 1..]
        .iter()
        .map(|l| l.trim())
        .find(|l| !l.is_empty())
        .expect("the password follows")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_office_gets_an_administrator_whose_password_is_shown_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = tokio::task::block_in_place(|| ServerProcess::start_plain(dir.path(), &[]));
    let password = shown_password(&server.printed);
    assert!(password.len() >= 20, "{password:?} is too short");
    let admin = server
        .client()
        .login("admin", &password)
        .await
        .expect("the first admin signs in");
    let admin = server.client().with_token(admin.token);
    assert!(
        admin.services().await.unwrap().is_empty(),
        "a new office has no services yet"
    );
    // The demo's published password opens nothing here.
    assert!(server.client().login("admin", demo_password("admin")).await.is_err());
    // Started again, the office is the same and no password is shown.
    tokio::task::block_in_place(|| server.restart());
    assert!(
        !server.printed.iter().any(|l| l.contains("password")),
        "{:#?}",
        server.printed
    );
    server
        .client()
        .login("admin", &password)
        .await
        .expect("the same password");
    // A lost password is reset from the command line; the old one stops working.
    let db = server.db.display().to_string();
    let (ok, out, err) = run_server_command(&["admin", "reset-password", "--db", &db, "admin"]);
    assert!(ok, "{err}");
    let new_password = shown_password(&out.lines().map(str::to_owned).collect::<Vec<_>>());
    assert_ne!(new_password, password);
    server
        .client()
        .login("admin", &new_password)
        .await
        .expect("the new password");
    assert!(server.client().login("admin", &password).await.is_err());
    // So is a clerk created.
    let (ok, out, err) = run_server_command(&["admin", "create", "--db", &db, "--clerk", "--name", "Nuovo", "nuovo"]);
    assert!(ok, "{err}");
    let clerk_password = shown_password(&out.lines().map(str::to_owned).collect::<Vec<_>>());
    let login = server
        .client()
        .login("nuovo", &clerk_password)
        .await
        .expect("the new clerk signs in");
    assert_eq!(login.user.display_name, "Nuovo");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_stays_off_the_network_while_its_passwords_are_published() {
    let dir = tempfile::tempdir().unwrap();
    drop(tokio::task::block_in_place(|| ServerProcess::start(dir.path(), &[])));
    // The files that hold the demo's passwords and the kiosk's token are for their owner's eyes only.
    for secret in ["turno.db.demo-credentials.txt", "turno.db.kiosk.toml"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(secret)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{secret} is readable by others");
    }
    let db = dir.path().join("turno.db");
    let db = db.display().to_string();
    let serve_everywhere = || run_server_command(&["serve", "--demo", "--db", &db, "--listen", "0.0.0.0:0"]);
    let (ok, _, err) = serve_everywhere();
    assert!(!ok, "the demo served the network with published passwords");
    assert!(err.contains("reset-password"), "the refusal says how to proceed: {err}");
    // Every published password changed: the office may listen on the network.
    for (username, ..) in turno_server::demo::USERS {
        let (ok, _, err) = run_server_command(&["admin", "reset-password", "--db", &db, username]);
        assert!(ok, "{err}");
    }
    let server = tokio::task::block_in_place(|| ServerProcess::start_listening(dir.path(), "0.0.0.0:0", &[]));
    assert!(server.url.contains("0.0.0.0"), "{}", server.url);
}

/// Writes a configuration file with short limits for the tests of slow clients.
fn quick_limits(dir: &Path) -> String {
    let path = dir.join("quick.toml");
    std::fs::write(
        &path,
        "[limits]\nheader_timeout_secs = 1\nbody_timeout_secs = 1\nrequest_timeout_secs = 2\n\
         stream_keepalive_secs = 1\n",
    )
    .unwrap();
    path.display().to_string()
}

/// Whether the server closed the connection (reading meets its end) before `within`.
async fn closed_by_server(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 512];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    };
    tokio::time::timeout(within, read).await.is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_past_an_addresss_cap_are_refused_with_a_503() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("capped.toml");
    std::fs::write(&config, "[limits]\nmax_connections_per_address = 20\n").unwrap();
    let config = config.display().to_string();
    let server = tokio::task::block_in_place(|| ServerProcess::start(dir.path(), &["--config", &config]));
    let addr = server.address().to_owned();
    // Twenty idle connections fill the address's allowance (they have 10 s to send a request).
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(TcpStream::connect(&addr).await.unwrap());
    }
    // More connections from one address than it may hold are told so at once, and closed.
    let mut extra = Vec::new();
    for _ in 0..10 {
        extra.push(TcpStream::connect(&addr).await.unwrap());
    }
    let answers = futures_util::future::join_all(extra.iter_mut().map(|s| async move {
        let mut answer = Vec::new();
        within("the refusal", s.read_to_end(&mut answer)).await.unwrap();
        String::from_utf8_lossy(&answer).into_owned()
    }))
    .await;
    for answer in &answers {
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        assert!(answer.contains("\"code\":\"unavailable\""), "{answer}");
    }
    // Once some close, the address is served again.
    drop(held);
    let office = within("the office again", async {
        loop {
            if let Ok(office) = server.kiosk().office().await {
                return office;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(!office.services.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_and_idle_clients_are_dropped_and_the_office_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let config = quick_limits(dir.path());
    let server = tokio::task::block_in_place(|| ServerProcess::start(dir.path(), &["--config", &config]));
    let addr = server.address().to_owned();
    // 140 clients send half a request line and say no more.
    let mut slow = Vec::new();
    for _ in 0..140 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET /api/v1/off").await.unwrap();
        slow.push(s);
    }
    // The office still answers while they hang on.
    let kiosk = server.kiosk();
    let office = kiosk.office().await.expect("the office answers");
    let service_id = office.services[0].id;
    // The slow ones are dropped once the header timeout passes (1 s here; 20 s is only a bound).
    for s in &mut slow {
        assert!(
            closed_by_server(s, PATIENCE).await,
            "a half-sent request held its connection"
        );
    }
    // An idle keep-alive connection is closed too.
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 256];
    let n = idle.read(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"));
    assert!(
        closed_by_server(&mut idle, PATIENCE).await,
        "an idle connection stayed open"
    );
    // A body that never arrives in full is answered 408, in the API's JSON.
    let mut late = TcpStream::connect(&addr).await.unwrap();
    late.write_all(
        format!(
            "POST /api/v1/tickets HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
             content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"service_id\":",
            server.kiosk_token
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    within("the answer to a late body", late.read_to_end(&mut answer))
        .await
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"timeout\""), "{answer}");
    // A live-event stream outlives the request timeout (2 s) and keeps receiving.
    let display = server.display();
    let mut events = display.subscribe(None);
    connected(&events).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let issued = kiosk
        .issue_ticket(&IssueRequest {
            service_id,
            priority: Priority::Normal,
            language: None,
        })
        .await
        .expect("a ticket");
    loop {
        let message = within("the stream's next event", events.next())
            .await
            .expect("the stream goes on");
        if let LiveEvent::TicketIssued { ticket_id, .. } = message.event
            && ticket_id == issued.ticket.id
        {
            break;
        }
    }
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/tls")
        .join(name)
        .display()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn https_is_served_with_the_offices_own_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (fixture("server.pem"), fixture("server.key"));
    let server =
        tokio::task::block_in_place(|| ServerProcess::start(dir.path(), &["--tls-cert", &cert, "--tls-key", &key]));
    assert!(server.url.starts_with("https://"), "{}", server.url);
    // A client that trusts the office's authority signs in over HTTPS.
    let trusted = Client::with_ca_file(&server.url, Path::new(&fixture("ca.pem"))).unwrap();
    let login = trusted
        .login("mrossi", demo_password("mrossi"))
        .await
        .expect("sign in over HTTPS");
    assert_eq!(login.user.username.as_str(), "mrossi");
    // One that does not is refused by its own TLS check, before any password leaves it.
    let stranger = Client::new(&server.url);
    assert!(matches!(stranger.office().await, Err(ClientError::Unreachable(_))));
    // Plain HTTP on the TLS port gets no answer.
    let plain = Client::new(&server.url.replace("https://", "http://"));
    assert!(plain.office().await.is_err());
    // A live-event stream works over HTTPS too.
    let display = Client::with_ca_file(&server.url, Path::new(&fixture("ca.pem")))
        .unwrap()
        .with_token(&server.display_token);
    let mut events = display.subscribe(None);
    connected(&events).await;
    let kiosk = Client::with_ca_file(&server.url, Path::new(&fixture("ca.pem")))
        .unwrap()
        .with_token(&server.kiosk_token);
    let office = kiosk.office().await.unwrap();
    let issued = kiosk
        .issue_ticket(&IssueRequest {
            service_id: office.services[0].id,
            priority: Priority::Normal,
            language: None,
        })
        .await
        .unwrap();
    loop {
        let message = within("an event over HTTPS", events.next())
            .await
            .expect("the stream goes on");
        if matches!(message.event, LiveEvent::TicketIssued { ticket_id, .. } if ticket_id == issued.ticket.id) {
            break;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_taken_while_serving_holds_every_ticket_acknowledged_before_it() {
    let office = Office::start().await;
    let service_id = office.service('A');
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut kiosks = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let kiosk = office.kiosk.clone();
        let stop = stop_rx.clone();
        let acked = acked_tx.clone();
        kiosks.spawn(async move {
            while !*stop.borrow() {
                let req = IssueRequest {
                    service_id,
                    priority: Priority::Normal,
                    language: None,
                };
                match kiosk.issue_ticket(&req).await {
                    Ok(t) => {
                        let _ = acked.send(t.ticket.id);
                    }
                    Err(e) if e.code().is_some() => break, // the day's cap
                    Err(e) => panic!("issue: {e}"),
                }
            }
        });
    }
    drop(acked_tx);
    // Let the load run, then take the backup while it goes on.
    let mut before = HashSet::new();
    while before.len() < 100 {
        before.insert(
            within("an acknowledged ticket", acked_rx.recv())
                .await
                .expect("kiosks run"),
        );
    }
    while let Ok(id) = acked_rx.try_recv() {
        before.insert(id);
    }
    let out = office.server.db.with_file_name("backup.db");
    let (db, out_path) = (office.server.db.display().to_string(), out.display().to_string());
    let (ok, printed, err) =
        tokio::task::block_in_place(|| run_server_command(&["backup", "--db", &db, "--out", &out_path]));
    assert!(ok, "{err}");
    assert!(printed.contains("integrity check ok"), "{printed}");
    let _ = stop_tx.send(true);
    while kiosks.join_next().await.is_some() {}
    let backup = rusqlite::Connection::open_with_flags(&out, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let check: String = backup.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let mut stmt = backup.prepare("SELECT id FROM tickets").unwrap();
    let saved: HashSet<i64> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    let missing: Vec<_> = before.difference(&saved).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged tickets missing from the backup",
        missing.len()
    );
    // A backup never overwrites a file.
    let (ok, _, err) = run_server_command(&["backup", "--db", &db, "--out", &out_path]);
    assert!(!ok && err.contains("exists"), "{err}");
    // Restored (copied in place of the database), it serves.
    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(&out, restored.path().join("turno.db")).unwrap();
    let server = tokio::task::block_in_place(|| ServerProcess::start_plain(restored.path(), &[]));
    let admin = server
        .client()
        .login("admin", demo_password("admin"))
        .await
        .expect("the restored office");
    let admin = server.client().with_token(admin.token);
    assert!(admin.ticket(*before.iter().next().unwrap()).await.is_ok());
}
