//! The waiting-room board and the citizen's ticket page, in a real headless Chromium (Debian's chromium
//! and chromium-driver) against the real server: a call drawn within a second and announced, calls in
//! quick succession announced in full and in order, a server restart survived without replaying old
//! announcements, the ticket page followed live from its position to its call and its one rating,
//! axe-core and a 360 px phone at 200% text, and the announcement's audio decoded as a WAV file.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use turno_shared::api::{ErrorCode, IssueRequest, IssuedTicket, Localized, NoticeInput, PublicRatingRequest};
use turno_shared::domain::{Priority, Rating};
use turno_tests::browser::{Browser, require_tools};

use crate::support::{Office, PATIENCE, assert_refused, assert_valid_html, axe_violations, drawn};

async fn open_board(office: &Office, browser: &Browser, settings: &str) {
    browser
        .goto(&format!(
            "{}/board?token={}{settings}",
            office.server.url, office.server.display_token
        ))
        .await;
    browser
        .wait_for(
            "the board to connect",
            PATIENCE,
            "return window.turnoBoard && turnoBoard.online()",
        )
        .await;
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Waits until the board has played `expected` (its audio log's `started`/`ended` lines, in order),
/// allowing each announcement its own length (up to 10 s) on top of the usual patience.
async fn played(browser: &Browser, expected: &[&str]) -> Vec<String> {
    let wanted = serde_json::to_string(expected).unwrap();
    let script = format!(
        "const log = turnoBoard.log.filter(e => e.event === 'started' || e.event === 'ended' || e.event === 'failed')\
           .map(e => e.event + ' ' + e.number); \
         return log.length >= {n} ? log : null;",
        n = expected.len()
    );
    let patience = PATIENCE + Duration::from_secs(10) * expected.len() as u32 / 2;
    let log = strings(
        &browser
            .wait_for(&format!("the board to play {wanted}"), patience, &script)
            .await,
    );
    assert_eq!(log, expected, "the board's announcements");
    log
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_appears_on_the_board_within_a_second_and_is_announced() {
    require_tools();
    let office = Office::start().await;
    let browser = Browser::start(1920, 1080).await;
    open_board(&office, &browser, "").await;
    let address = browser.eval("return location.href").await;
    assert!(
        !address.as_str().unwrap().contains(&office.server.display_token),
        "the display's token stays out of the address: {address}"
    );
    office.issue('A', Priority::Normal).await;
    let clerk = office.clerk("mrossi", "Sportello 1").await;
    clerk.calls("A001").await;
    let called = Instant::now();
    browser
        .wait_for(
            "A001 on the board",
            Duration::from_secs(1),
            "return document.getElementById('latest-number')?.textContent === 'A001'",
        )
        .await;
    eprintln!("call drawn on the board {:?} after the call's answer", called.elapsed());
    let counter = browser
        .eval("return document.getElementById('latest-counter').textContent")
        .await;
    assert!(counter.as_str().unwrap().ends_with("Sportello 1"), "{counter}");
    // Readable from 8 m: the number at least 15% of the screen's height.
    let share = browser
        .eval("return document.getElementById('latest-number').getBoundingClientRect().height / innerHeight")
        .await;
    assert!(
        share.as_f64().unwrap() >= 0.15,
        "the called number is {share} of the screen's height"
    );
    played(&browser, &["started A001", "ended A001"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_in_quick_succession_are_all_announced_in_full_and_in_order() {
    require_tools();
    let office = Office::start().await;
    let browser = Browser::start(1280, 720).await;
    open_board(&office, &browser, "&lang=it&volume=50").await;
    office.issue('A', Priority::Normal).await;
    office.issue('A', Priority::Normal).await;
    let (one, two) = tokio::join!(
        office.clerk("mrossi", "Sportello 1"),
        office.clerk("lbianchi", "Sportello 2")
    );
    let first = one.calls("A001").await;
    two.calls("A002").await;
    browser
        .wait_for(
            "both calls listed",
            Duration::from_secs(2),
            "const n = turnoBoard.calls().map(c => c.number); return n[0] === 'A002' && n[1] === 'A001'",
        )
        .await;
    // The second arrived while the first was playing: it waits for it, then plays in full.
    one.client.recall(first.id).await.expect("the clerk recalls A001");
    played(
        &browser,
        &[
            "started A001",
            "ended A001",
            "started A002",
            "ended A002",
            "started A001",
            "ended A001",
        ],
    )
    .await;
    // The flags of the whole audio queue: each was fetched, queued and played once.
    let queued = strings(
        &browser
            .eval("return turnoBoard.log.filter(e => e.event === 'queued').map(e => e.number)")
            .await,
    );
    assert_eq!(queued, ["A001", "A002", "A001"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_board_survives_a_restart_and_catches_up_without_replaying_old_calls() {
    require_tools();
    let mut office = Office::start().await;
    let browser = Browser::start(1920, 1080).await;
    open_board(&office, &browser, "&lang=it").await;
    for _ in 0..3 {
        office.issue('A', Priority::Normal).await;
    }
    let clerk = office.clerk("mrossi", "Sportello 1").await;
    let first = clerk.calls("A001").await;
    played(&browser, &["started A001", "ended A001"]).await;
    clerk.finish(&first, &office.outcome_of(first.service_id)).await;

    // The server dies; the board says so, discreetly, and waits to try again.
    tokio::task::block_in_place(|| office.server.kill9());
    browser
        .wait_for(
            "the board to notice the server is away",
            PATIENCE,
            "return !turnoBoard.online() && document.getElementById('link-state').textContent.length > 0",
        )
        .await;
    browser
        .wait_for(
            "the board's next attempt to be over three seconds away",
            PATIENCE,
            "return turnoBoard.nextAttemptIn() > 3000",
        )
        .await;
    tokio::task::block_in_place(|| office.server.restart());
    // Calls made while the board is away (the clerk's login survives the restart): one finished at
    // once, one still waiting for its citizen.
    let second = clerk.calls("A002").await;
    clerk.finish(&second, &office.outcome_of(second.service_id)).await;
    let third = clerk.calls("A003").await;
    let away = browser.eval("return !turnoBoard.online()").await;
    assert_eq!(away, json!(true), "the calls were made while the board was away");

    browser
        .wait_for(
            "the board to reconnect and show the calls it missed",
            PATIENCE,
            "const n = turnoBoard.calls().map(c => c.number); \
             return turnoBoard.online() && n[0] === 'A003' && n[1] === 'A002' && n[2] === 'A001'",
        )
        .await;
    // A003 is still called: its citizen has not arrived, so it is announced; A002 is over and A001 was
    // announced before the restart: neither is played again.
    played(&browser, &["started A001", "ended A001", "started A003", "ended A003"]).await;
    // And a call made now is live again.
    office.issue('A', Priority::Normal).await;
    clerk.finish(&third, &office.outcome_of(third.service_id)).await;
    clerk.calls("A004").await;
    played(
        &browser,
        &[
            "started A001",
            "ended A001",
            "started A003",
            "ended A003",
            "started A004",
            "ended A004",
        ],
    )
    .await;
}

/// Issues a ticket in `language` at the kiosk.
async fn issue_in(office: &Office, prefix: char, language: Option<&str>) -> IssuedTicket {
    office
        .kiosk
        .issue_ticket(&IssueRequest {
            service_id: office.service(prefix),
            priority: Priority::Normal,
            language: language.map(str::to_owned),
        })
        .await
        .expect("the kiosk issues a ticket")
}

async fn text_of(browser: &Browser, css: &str) -> String {
    browser
        .eval_with(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent.trim() : null",
            json!([css]),
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ticket_page_follows_the_ticket_to_its_call_and_takes_one_rating() {
    require_tools();
    let office = Office::start().await;
    let browser = Browser::start(390, 844).await;
    browser.viewport(390, 844, true).await;
    issue_in(&office, 'A', Some("en")).await;
    let mine = issue_in(&office, 'A', None).await;
    browser
        .goto(&format!("{}{}", office.server.url, mine.status_path))
        .await;
    browser
        .wait_for(
            "the position",
            PATIENCE,
            "return document.getElementById('ahead')?.textContent === '1'",
        )
        .await;
    // No counter open: no number.
    assert_eq!(text_of(&browser, "#wait").await, "al momento non stimabile");
    let page = browser.eval("return document.body.innerText").await;
    let page = page.as_str().unwrap();
    assert!(page.contains("Persone prima di lei"), "the formal register: {page}");
    assert!(!page.contains("prima di te"), "never the informal one: {page}");
    // Live: no reload, the page follows the events. Mark this document to prove it stays the same.
    browser
        .eval("window.sameDocument = true; window.vibrations = []; navigator.vibrate = p => (window.vibrations.push(p), true); return 1")
        .await;
    let clerk = office.clerk("mrossi", "Sportello 1").await;
    let first = clerk.calls("A001").await;
    browser
        .wait_for(
            "the position to drop to 0",
            PATIENCE,
            "return document.getElementById('ahead')?.textContent === '0'",
        )
        .await;
    // A counter open and busy: the range the API gives (its edges move with the visit's elapsed time,
    // by a minute at most between the page's answer and this one).
    let shown = text_of(&browser, "#wait").await;
    let range = office
        .kiosk
        .ticket_status(&mine.token)
        .await
        .expect("the ticket's status")
        .estimated_wait_range
        .expect("a range");
    let edges: Vec<u32> = shown
        .strip_prefix("tra ")
        .and_then(|r| r.strip_suffix(" minuti"))
        .map(|r| r.split(" e ").filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_default();
    assert!(
        edges.len() == 2 && edges[0].abs_diff(range.low_minutes) <= 1 && edges[1].abs_diff(range.high_minutes) <= 1,
        "the page says {shown:?}, the API {range:?}"
    );
    clerk.finish(&first, &office.outcome_of(first.service_id)).await;
    let me = clerk.calls("A002").await;
    let call = browser
        .wait_for(
            "the call on the ticket page",
            PATIENCE,
            "const t = document.getElementById('status-title'); return t && t.textContent.startsWith('Tocca a lei') ? t.textContent : null",
        )
        .await;
    assert_eq!(call, json!("Tocca a lei: sportello 1"));
    assert_eq!(
        browser
            .eval("return window.sameDocument === true && window.vibrations.length")
            .await,
        json!(1)
    );

    clerk.client.start(me.id).await.expect("the visit starts");
    clerk.finish(&me, &office.outcome_of(me.service_id)).await;
    browser
        .wait_for(
            "the three faces",
            PATIENCE,
            "return document.querySelectorAll('#rating [data-rating]').length === 3",
        )
        .await;
    // A bad face asks why; the reason is sent with it, once.
    browser.click("[data-rating=bad]").await;
    browser
        .wait_for(
            "the reasons",
            PATIENCE,
            "return document.querySelectorAll('#rating [data-reason]').length === 4",
        )
        .await;
    browser.click("[data-reason=waiting_time]").await;
    browser
        .wait_for(
            "the thanks",
            PATIENCE,
            "return document.querySelector('#rating .rated')?.textContent",
        )
        .await;
    assert!(text_of(&browser, "#rating .rated").await.contains("registrata"));
    assert_eq!(
        browser
            .eval("return document.querySelectorAll('[data-rating], [data-reason]').length")
            .await,
        json!(0),
        "the faces are gone once rated"
    );
    // Exactly one rating: the office stored it, and a second is refused.
    let ratings = office
        .admin
        .ratings(None, None)
        .await
        .expect("the back office reads ratings");
    let stored: Vec<_> = ratings.iter().filter(|r| r.number == me.number).collect();
    assert_eq!(stored.len(), 1, "{ratings:?}");
    assert_eq!(
        (stored[0].rating, stored[0].reason.map(|r| r.to_string())),
        (Rating::Bad, Some("waiting_time".into()))
    );
    let again = office
        .server
        .client()
        .rate_public(
            &mine.token,
            &PublicRatingRequest {
                rating: Rating::Good,
                reason: None,
            },
        )
        .await;
    assert_refused(again, 409, ErrorCode::AlreadyRated);
    // Opened again, the page remembers it was rated.
    browser
        .goto(&format!("{}{}", office.server.url, mine.status_path))
        .await;
    browser
        .wait_for(
            "the page to say it was rated",
            PATIENCE,
            "return document.querySelector('#rating .rated')?.textContent",
        )
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ticket_page_is_accessible_and_fits_a_small_phone_at_200_percent_text() {
    require_tools();
    let office = Office::start().await;
    office
        .admin
        .create_notice(&NoticeInput {
            text: Localized::it("Oggi chiusura alle 12:30").with("en", "Closing today at 12:30"),
            starts_at: None,
            ends_at: None,
            active: true,
        })
        .await
        .expect("the back office writes a notice");
    let browser = Browser::start(360, 740).await;
    browser.viewport(360, 740, true).await;
    let ticket = issue_in(&office, 'A', Some("it")).await;
    let url = format!("{}{}", office.server.url, ticket.status_path);
    let check = |state: &'static str| {
        let browser = &browser;
        async move {
            let violations = axe_violations(browser).await;
            assert!(violations.is_empty(), "axe-core, {state}: {violations:#?}");
            // The browser's text at 200%: nothing runs off the side of a 360 px phone.
            let overflow = browser
                .eval(
                    "document.documentElement.style.fontSize = '200%'; \
                     const over = document.documentElement.scrollWidth - innerWidth; \
                     const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1).map(e => e.tagName + '.' + e.className); \
                     document.documentElement.style.fontSize = ''; return [over, wide.slice(0, 5)]",
                )
                .await;
            assert_eq!(
                overflow[0],
                json!(0),
                "{state} at 200% text overflows a 360 px screen: {overflow}"
            );
        }
    };
    browser.goto(&url).await;
    browser
        .wait_for(
            "the waiting ticket",
            PATIENCE,
            "return document.getElementById('ahead')",
        )
        .await;
    check("waiting").await;
    let notice = text_of(&browser, ".notices li").await;
    assert_eq!(notice, "Oggi chiusura alle 12:30");

    // The language switch: English, then back to Italian.
    browser.click("#lang-menu summary").await;
    browser.click("button[lang=en]").await;
    browser
        .wait_for(
            "English",
            PATIENCE,
            "return document.documentElement.lang === 'en' && document.body.innerText.includes('People ahead of you')",
        )
        .await;
    assert_eq!(text_of(&browser, ".notices li").await, "Closing today at 12:30");
    check("waiting, in English").await;
    browser.click("#lang-menu summary").await;
    browser.click("button[lang=it]").await;

    let clerk = office.clerk("mrossi", "Sportello 1").await;
    let me = clerk.calls("A001").await;
    browser
        .wait_for("the call", PATIENCE, "return document.querySelector('.status.called')")
        .await;
    check("called").await;
    clerk.client.start(me.id).await.unwrap();
    clerk.finish(&me, &office.outcome_of(me.service_id)).await;
    browser
        .wait_for("the faces", PATIENCE, "return document.querySelector('[data-rating]')")
        .await;
    check("rating").await;

    // An unknown token: a friendly page, in Italian, with a 404.
    let answer = reqwest::get(format!("{}/t/0123456789abcdef0123456789abcdef", office.server.url))
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
    browser
        .goto(&format!("{}/t/0123456789abcdef0123456789abcdef", office.server.url))
        .await;
    assert_eq!(text_of(&browser, "h1").await, "Biglietto non trovato");
    check("unknown ticket").await;
}

/// A WAV file as the test reads it, independently of the server's own code.
struct Wav {
    rate: u32,
    samples: Vec<i16>,
}

fn read_wav(bytes: &[u8]) -> Wav {
    assert_eq!(&bytes[0..4], b"RIFF", "a RIFF file");
    assert_eq!(&bytes[8..12], b"WAVE", "a WAVE file");
    let le32 = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
    let le16 = |i: usize| u16::from_le_bytes(bytes[i..i + 2].try_into().unwrap());
    assert_eq!(le32(4) as usize, bytes.len() - 8, "the RIFF length is the file's");
    let (mut at, mut rate, mut data) = (12, 0, None);
    while at + 8 <= bytes.len() {
        let len = le32(at + 4) as usize;
        match &bytes[at..at + 4] {
            b"fmt " => {
                assert_eq!(
                    (le16(at + 8), le16(at + 10), le16(at + 22)),
                    (1, 1, 16),
                    "16-bit PCM, mono"
                );
                rate = le32(at + 12);
            }
            b"data" => data = Some(&bytes[at + 8..at + 8 + len]),
            _ => {}
        }
        at += 8 + len + (len & 1);
    }
    let data = data.expect("a data chunk");
    Wav {
        rate,
        samples: data.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect(),
    }
}

impl Wav {
    fn secs(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.rate)
    }

    /// The loudness of a stretch, as the root mean square of its samples.
    fn rms(&self, from: f64, to: f64) -> f64 {
        let (a, b) = (
            (from * f64::from(self.rate)) as usize,
            (to * f64::from(self.rate)) as usize,
        );
        let part = &self.samples[a.min(self.samples.len())..b.min(self.samples.len())];
        (part.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / part.len().max(1) as f64).sqrt()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_announcement_is_a_wav_file_whose_length_fits_its_words() {
    require_tools();
    let office = Office::start().await;
    let http = reqwest::Client::new();
    let fetch = |query: &'static str| {
        let http = &http;
        let office = &office;
        async move {
            let started = Instant::now();
            let answer = http
                .get(format!("{}/api/v1/board/announcement?{query}", office.server.url))
                .bearer_auth(&office.server.display_token)
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 200, "{query}");
            assert_eq!(answer.headers()["content-type"], "audio/wav");
            let wav = read_wav(&answer.bytes().await.unwrap());
            (wav, started.elapsed())
        }
    };
    let (chime, _) = fetch("number=A012&counter_id=3&languages=").await;
    let (italian, _) = fetch("number=A012&counter_id=3&languages=it").await;
    let (both, took) = fetch("number=A012&counter_id=3&languages=it,en").await;
    let (twice, _) = fetch("number=A012&counter_id=3&languages=it,en&repeat=2").await;
    eprintln!(
        "chime {:.2} s, Italian {:.2} s, Italian and English {:.2} s (answered in {took:?}), twice {:.2} s",
        chime.secs(),
        italian.secs(),
        both.secs(),
        twice.secs()
    );
    assert_eq!(chime.rate, 22_050);
    assert!((1.0..3.0).contains(&chime.secs()), "the chime lasts {} s", chime.secs());
    // "Numero a, 0 1 2. sportello 3.": seven words and a pause, 2 to 6 s at a public-address pace.
    let spoken = italian.secs() - chime.secs();
    assert!((2.0..6.0).contains(&spoken), "the Italian call lasts {spoken} s");
    let english = both.secs() - italian.secs();
    assert!((2.0..6.0).contains(&english), "the English call lasts {english} s");
    assert!(
        (twice.secs() - chime.secs() - 2.0 * (both.secs() - chime.secs())).abs() < 0.05,
        "repeated, the spoken part is twice as long"
    );
    // Sound, not silence: the speech after the chime is audible.
    let speech = italian.rms(chime.secs(), italian.secs());
    assert!(speech > 500.0, "the spoken part is silent (RMS {speech})");
    // The numbers a board may send are checked against the document's rules.
    for bad in [
        "number=a012&counter_id=3",
        "number=A000&counter_id=3",
        "number=A012&counter_id=0",
        "number=A012&counter_id=3&languages=xx",
        "number=A012&counter_id=3&repeat=4",
    ] {
        let answer = http
            .get(format!("{}/api/v1/board/announcement?{bad}", office.server.url))
            .bearer_auth(&office.server.display_token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400, "{bad}");
    }
    let answer = http
        .get(format!(
            "{}/api/v1/board/announcement?number=A012&counter_id=99",
            office.server.url
        ))
        .bearer_auth(&office.server.display_token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pages_are_valid_html_as_served_and_as_drawn() {
    require_tools();
    let office = Office::start().await;
    let ticket = issue_in(&office, 'A', Some("it")).await;
    let served = |path: String| {
        let url = format!("{}{path}", office.server.url);
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    let mut pages = vec![
        ("board", served("/board".into()).await),
        ("ticket", served(ticket.status_path.clone()).await),
        (
            "unknown-ticket",
            served("/t/0123456789abcdef0123456789abcdef".into()).await,
        ),
    ];
    let browser = Browser::start(1920, 1080).await;
    open_board(&office, &browser, "&lang=none").await;
    let clerk = office.clerk("mrossi", "Sportello 1").await;
    let me = clerk.calls("A001").await;
    browser
        .wait_for("the call", PATIENCE, "return turnoBoard.latest() === 'A001'")
        .await;
    pages.push(("board-drawn", drawn(&browser).await));
    browser.viewport(390, 844, true).await;
    browser
        .goto(&format!("{}{}", office.server.url, ticket.status_path))
        .await;
    browser
        .wait_for("the call", PATIENCE, "return document.querySelector('.status.called')")
        .await;
    pages.push(("ticket-called", drawn(&browser).await));
    clerk.finish(&me, &office.outcome_of(me.service_id)).await;
    browser
        .wait_for("the faces", PATIENCE, "return document.querySelector('[data-rating]')")
        .await;
    pages.push(("ticket-rating", drawn(&browser).await));
    assert_valid_html(&pages);
}
