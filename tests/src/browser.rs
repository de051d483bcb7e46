//! A real headless Chromium for the tests and screenshots of the web pages (board, ticket page), driven
//! through W3C WebDriver by Debian's `chromedriver`. The client is the handful of WebDriver commands
//! the tests use, spoken as JSON over HTTP with reqwest (already in the tree): the crates that wrap
//! WebDriver (fantoccini, thirtyfour) bring Mozilla's `webdriver` crate and some thirty more for
//! features these tests do not use.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The programs the browser tests need, with the Debian package of each.
const TOOLS: &[(&str, &str)] = &[
    ("chromium", "chromium"),
    ("chromedriver", "chromium-driver"),
    ("espeak-ng", "espeak-ng"),
];

/// Fails the test, saying how to get them, when a program the browser tests need is missing: they are
/// never skipped.
pub fn require_tools() {
    let missing: Vec<&str> = TOOLS
        .iter()
        .filter(|(program, _)| which(program).is_none())
        .map(|(_, package)| *package)
        .collect();
    assert!(
        missing.is_empty(),
        "the browser tests need Debian's {}: run the tests with `scripts/test`, which installs them \
         (or `apt-get install {}`)",
        missing.join(", "),
        missing.join(" ")
    );
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

/// A headless Chromium with its own empty profile, and the chromedriver that drives it. Dropping it
/// ends both.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

/// An error WebDriver answered.
#[derive(Debug)]
pub struct WebDriverError(pub String);

impl std::fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium through it, its window `width` ×
    /// `height`. Sound plays without a user's gesture, as on a board's kiosk browser.
    pub async fn start(width: u32, height: u32) -> Browser {
        require_tools();
        let profile = tempfile::tempdir().expect("a temp directory for the browser profile");
        let mut driver = Command::new("chromedriver");
        driver.arg("--port=0");
        // For a failing test: chromedriver's own log of every command and of Chromium's output.
        if let Some(log) = std::env::var_os("TURNO_CHROMEDRIVER_LOG") {
            driver
                .arg("--verbose")
                .arg(format!("--log-path={}", log.to_string_lossy()));
        }
        let mut driver = driver
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Its own process group, so that dropping the browser ends Chromium's processes too.
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let stdout = driver.stdout.take().expect("stdout is piped");
        let port = tokio::task::block_in_place(|| {
            let mut lines = BufReader::new(stdout).lines();
            let port = loop {
                let line = lines
                    .next()
                    .and_then(Result::ok)
                    .expect("chromedriver says on which port it listens");
                if let Some(rest) = line.split("started successfully on port ").nth(1) {
                    break rest.trim_end_matches('.').trim().parse::<u16>().expect("a port number");
                }
            };
            std::thread::spawn(move || for _ in lines {});
            port
        });
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--autoplay-policy=no-user-gesture-required",
            "--lang=it-IT",
            &format!("--window-size={width},{height}"),
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": which("chromium").expect("checked above"),
                    "args": args,
                    "prefs": { "intl.accept_languages": "it-IT,it" },
                },
            }}
        });
        let answer = post(&http, &format!("http://127.0.0.1:{port}/session"), &caps)
            .await
            .unwrap_or_else(|e| panic!("chromedriver starts Chromium: {e}"));
        let session = answer["sessionId"]
            .as_str()
            .expect("WebDriver answers a session id")
            .to_owned();
        let browser = Browser {
            driver,
            port,
            session,
            http,
            _profile: profile,
        };
        browser.viewport(width, height, false).await;
        browser
    }

    fn url(&self, command: &str) -> String {
        format!("http://127.0.0.1:{}/session/{}/{command}", self.port, self.session)
    }

    async fn command(&self, command: &str, body: &Value) -> Result<Value, WebDriverError> {
        post(&self.http, &self.url(command), body).await
    }

    /// Opens `url` and waits for its document to load.
    pub async fn goto(&self, url: &str) {
        self.command("url", &json!({ "url": url }))
            .await
            .unwrap_or_else(|e| panic!("the browser opens {url}: {e}"));
    }

    /// Runs `script` (a function body: `return …`) in the page, with `args` as `arguments`.
    pub async fn eval_with(&self, script: &str, args: Value) -> Result<Value, WebDriverError> {
        self.command("execute/sync", &json!({ "script": script, "args": args }))
            .await
    }

    /// Runs `script` in the page and answers what it returns.
    pub async fn eval(&self, script: &str) -> Value {
        self.eval_with(script, json!([]))
            .await
            .unwrap_or_else(|e| panic!("the page runs {script:?}: {e}"))
    }

    /// Runs `script` in the page, which answers by calling its last argument (`done(value)`).
    pub async fn eval_async(&self, script: &str) -> Value {
        self.command("execute/async", &json!({ "script": script, "args": [] }))
            .await
            .unwrap_or_else(|e| panic!("the page runs {script:?}: {e}"))
    }

    /// Evaluates `script` in the page until it returns something truthy (not `null`, `false`, 0 or
    /// ""), and answers that; fails the test after `patience`, saying `what` it waited for and what the
    /// script last returned.
    pub async fn wait_for(&self, what: &str, patience: Duration, script: &str) -> Value {
        let deadline = Instant::now() + patience;
        loop {
            let last = match self.eval_with(script, json!([])).await {
                Ok(v) if truthy(&v) => return v,
                Ok(v) => v,
                Err(e) => Value::String(e.0),
            };
            assert!(
                Instant::now() < deadline,
                "timed out after {patience:?} waiting for {what}; the page last answered {last}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sets the page's viewport to exactly `width` × `height` CSS pixels (a phone's when `mobile`).
    pub async fn viewport(&self, width: u32, height: u32, mobile: bool) {
        let params = json!({
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile,
            "screenWidth": width, "screenHeight": height,
        });
        self.command(
            "goog/cdp/execute",
            &json!({ "cmd": "Emulation.setDeviceMetricsOverride", "params": params }),
        )
        .await
        .unwrap_or_else(|e| panic!("the browser sets its viewport: {e}"));
    }

    /// Clicks the element `css` names, as a person would (scrolled into view, then a real click).
    pub async fn click(&self, css: &str) {
        let found = self
            .command("element", &json!({ "using": "css selector", "value": css }))
            .await
            .unwrap_or_else(|e| panic!("the page has {css}: {e}"));
        let id = found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("WebDriver answered no element for {css}: {found}"))
            .to_owned();
        self.command(&format!("element/{id}/click"), &json!({}))
            .await
            .unwrap_or_else(|e| panic!("the browser clicks {css}: {e}"));
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> Vec<u8> {
        let answer = self
            .http
            .get(self.url("screenshot"))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("the browser takes a screenshot");
        let body: Value = answer.json().await.expect("a JSON answer");
        decode_base64(body["value"].as_str().expect("a base64 PNG")).expect("valid base64")
    }

    /// Saves a PNG of the viewport at `path`.
    pub async fn save_screenshot(&self, path: &Path) {
        let png = self.screenshot().await;
        std::fs::write(path, png).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask chromedriver to close Chromium, then end the process group it started in.
        let request = format!(
            "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            self.session
        );
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = stream.write_all(request.as_bytes());
            let _ = std::io::Read::read(&mut stream, &mut [0u8; 512]);
        }
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--"])
            .arg(format!("-{}", self.driver.id()))
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.wait();
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

async fn post(http: &reqwest::Client, url: &str, body: &Value) -> Result<Value, WebDriverError> {
    let answer = http
        .post(url)
        .json(body)
        .send()
        .await
        .map_err(|e| WebDriverError(e.to_string()))?;
    let status = answer.status();
    let body: Value = answer.json().await.map_err(|e| WebDriverError(e.to_string()))?;
    if !status.is_success() {
        return Err(WebDriverError(format!(
            "{status}: {}",
            body["value"]["message"].as_str().unwrap_or(&body.to_string())
        )));
    }
    Ok(body["value"].clone())
}

/// Standard base64 (WebDriver's screenshots), without a crate for it.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_decodes() {
        assert_eq!(super::decode_base64("aGVsbG8gd29ybGQ=").unwrap(), b"hello world");
        assert_eq!(super::decode_base64("YQ==").unwrap(), b"a");
    }
}
