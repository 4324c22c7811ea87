//! The browser harness: one headless Chromium per test, driven through its own chromedriver.
//!
//! [`Browser::start`] spawns `chromedriver --port=<free port>`, opens a WebDriver session with a
//! fresh profile, and ends both on drop (also when the test panics). Every wait polls with
//! [`TIMEOUT`]; nothing sleeps a fixed time. Screenshots land in
//! `<CARGO_TARGET_DIR or target>/test-output/browser/<test>/<NN>-<step>.png`.
//!
//! Accessibility: [`Browser::assert_accessible`] runs the vendored axe-core
//! (`tests/assets/axe.min.js`) on the current page and fails on any `serious` or `critical`
//! violation of WCAG 2.1 A/AA. The axe source is sent as the body of a WebDriver "execute script"
//! call: the browser's automation evaluates that body itself, which a page's
//! `Content-Security-Policy` (`script-src 'self'`, no `'unsafe-eval'`) does not block, whereas
//! an inline `<script>` element or `new Function(source)` would be. `csp.rs` proves it.

use civicpay_tests::{on_postgres, repo_root};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long any wait (an element, a text, a URL) polls before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(50);

/// axe-core, vendored (see tests/assets/README.md).
const AXE_SOURCE: &str = include_str!("../assets/axe.min.js");
/// The rule sets checked: WCAG 2.0 and 2.1, levels A and AA.
const AXE_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

fn chromium_path() -> PathBuf {
    std::env::var_os("CIVICPAYTEST_CHROMIUM")
        .map_or_else(|| "/usr/bin/chromium".into(), PathBuf::from)
}

fn chromedriver_path() -> PathBuf {
    std::env::var_os("CIVICPAYTEST_CHROMEDRIVER")
        .map_or_else(|| "/usr/bin/chromedriver".into(), PathBuf::from)
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Where a test's screenshots go: `<target dir>/test-output/browser/<test>`.
pub fn output_dir(test: &str) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repo_root().join("target"), PathBuf::from)
        .join("test-output")
        .join("browser")
        .join(test)
}

/// A chromedriver process of our own, killed on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    async fn spawn() -> Driver {
        let mut last_error = String::new();
        // A free port can be taken between finding it and chromedriver binding it: try again.
        for _ in 0..3 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .unwrap_or_else(|e| panic!("no free port for chromedriver: {e}"));
            let child = Command::new(chromedriver_path())
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver_path().display()));
            let mut driver = Driver { child, port };
            match driver.ready().await {
                Ok(()) => return driver,
                Err(e) => last_error = e,
            }
        }
        panic!("chromedriver did not become ready: {last_error}");
    }

    /// Polls `GET /status` until chromedriver says it is ready.
    async fn ready(&mut self) -> Result<(), String> {
        let status = format!("http://127.0.0.1:{}/status", self.port);
        let client = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < TIMEOUT {
            if let Ok(Some(exit)) = self.child.try_wait() {
                return Err(format!("chromedriver exited: {exit}"));
            }
            if let Ok(response) = client.get(&status).send().await
                && let Ok(body) = response.json::<Value>().await
                && body["value"]["ready"] == true
            {
                return Ok(());
            }
            tokio::time::sleep(POLL).await;
        }
        Err(format!("no answer on {status} within {TIMEOUT:?}"))
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Ends a WebDriver session synchronously (Drop cannot await): chromedriver then quits Chromium.
/// Reads the answer up to its `Content-Length` (chromedriver keeps the connection open).
fn end_session(port: u16, session: &str) {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = write!(
        stream,
        "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n @ 1..) = stream.read(&mut chunk) {
        answer.extend_from_slice(chunk.get(..n).unwrap_or_default());
        let text = String::from_utf8_lossy(&answer);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())
                        .flatten()
                })
                .unwrap_or(0);
            if body.len() >= length {
                return;
            }
        }
    }
}

/// One axe violation: a rule, how bad, and where.
#[derive(Debug, Clone)]
pub struct Violation {
    pub id: String,
    pub impact: String,
    pub help: String,
    pub help_url: String,
    /// CSS selectors of the offending elements.
    pub targets: Vec<String>,
}

impl Violation {
    /// `serious` or `critical`: what [`Browser::assert_accessible`] fails on.
    pub fn is_blocking(&self) -> bool {
        matches!(self.impact.as_str(), "serious" | "critical")
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}] {}: {} ({})\n      at {}",
            self.impact,
            self.id,
            self.help,
            self.help_url,
            self.targets.join(", ")
        )
    }
}

/// A readable list of violations, one per paragraph.
pub fn describe(violations: &[Violation]) -> String {
    violations.iter().fold(String::new(), |mut out, v| {
        let _ = writeln!(out, "  - {v}");
        out
    })
}

/// A headless Chromium for one test. Every method panics with a readable message (the URL,
/// the page's text) when the page does not do what the test expects.
pub struct Browser {
    client: Client,
    session: Option<String>,
    test: String,
    output: PathBuf,
    shots: AtomicU32,
    driver: Driver,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and Chromium for the test `test` (the name of its screenshot folder).
    ///
    /// `None` when the browser tests cannot run here: Chromium or chromedriver is missing
    /// (locally a message says so and the test passes as skipped; under CI, `CI=true`, it
    /// fails), or the suite runs on PostgreSQL (the browser tests run in the SQLite half; the
    /// pages do not depend on the database).
    pub async fn start(test: &str) -> Option<Browser> {
        if on_postgres() {
            eprintln!("browser test {test}: skipped on PostgreSQL (it runs in the SQLite half)");
            return None;
        }
        let (chromium, chromedriver) = (chromium_path(), chromedriver_path());
        if !chromium.exists() || !chromedriver.exists() {
            let message = format!(
                "browser test {test}: {} or {} is missing (Debian: apt-get install chromium chromium-driver; \
                 or set CIVICPAYTEST_CHROMIUM / CIVICPAYTEST_CHROMEDRIVER)",
                chromium.display(),
                chromedriver.display()
            );
            assert!(!under_ci(), "{message}; required under CI");
            eprintln!("SKIPPED {message}");
            return None;
        }
        let started = Instant::now();
        let driver = Driver::spawn().await;
        let profile = tempfile::tempdir().expect("a temporary Chromium profile");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    format!("--user-data-dir={}", profile.path().display()),
                    "--window-size=1280,900",
                ],
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url())
            .await
            .unwrap_or_else(|e| panic!("no WebDriver session from chromedriver: {e}"));
        let session = client.session_id().await.ok().flatten();
        let output = output_dir(test);
        let _ = std::fs::remove_dir_all(&output);
        std::fs::create_dir_all(&output)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", output.display()));
        println!(
            "browser test {test}: Chromium ready in {} ms; screenshots in {}",
            started.elapsed().as_millis(),
            output.display()
        );
        Some(Browser {
            client,
            session,
            test: test.to_owned(),
            output,
            shots: AtomicU32::new(0),
            driver,
            _profile: profile,
        })
    }

    /// The WebDriver client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `url` (absolute) and waits for its load event.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    pub async fn current_url(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    /// The visible text of the page (`document.body.innerText`), or "" while none is loaded.
    pub async fn text(&self) -> String {
        self.client
            .execute(
                "return document.body ? document.body.innerText : '';",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Polls `probe` until it returns `Some`, or fails after [`TIMEOUT`] with a screenshot,
    /// the URL and the page's text.
    async fn poll<T, F, Fut>(&self, what: &str, mut probe: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let started = Instant::now();
        loop {
            if let Some(found) = probe().await {
                return found;
            }
            if started.elapsed() > TIMEOUT {
                let shot = self.screenshot("timeout").await;
                panic!(
                    "{}: waited {TIMEOUT:?} for {what}\n  at {}\n  screenshot {}\n  page text:\n{}",
                    self.test,
                    self.current_url().await,
                    shot.display(),
                    self.text().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits for an element matching the CSS selector `css`.
    pub async fn wait_for(&self, css: &str) -> Element {
        self.poll(&format!("an element `{css}`"), || async {
            self.client.find(Locator::Css(css)).await.ok()
        })
        .await
    }

    /// Waits until the page's visible text contains `text`.
    pub async fn wait_for_text(&self, text: &str) {
        self.poll(&format!("the text {text:?}"), || async {
            self.text().await.contains(text).then_some(())
        })
        .await;
    }

    /// Waits until the current URL contains `part`; returns the URL.
    pub async fn wait_for_url(&self, part: &str) -> String {
        self.poll(&format!("a URL containing {part:?}"), || async {
            let url = self.current_url().await;
            url.contains(part).then_some(url)
        })
        .await
    }

    /// Waits for the form field labelled `label` (its `<label>` text contains it) or named
    /// `label`, clears it and types `value`.
    pub async fn fill(&self, label: &str, value: &str) {
        let text = xpath_literal(label);
        let controls = "self::input or self::textarea or self::select";
        let xpath = format!(
            "//*[({controls}) and @name={text}] \
             | //label[contains(normalize-space(.), {text})]//*[{controls}] \
             | //*[({controls}) and @id=//label[contains(normalize-space(.), {text})]/@for]"
        );
        let field = self
            .poll(&format!("a field labelled or named {label:?}"), || async {
                self.client.find(Locator::XPath(&xpath)).await.ok()
            })
            .await;
        field
            .clear()
            .await
            .unwrap_or_else(|e| panic!("cannot clear {label:?}: {e}"));
        field
            .send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("cannot type into {label:?}: {e}"));
    }

    /// Waits for the one button or link whose visible text is `text` (or, failing an exact
    /// match, contains it) and clicks it. Two candidates are an error: say more of the text.
    pub async fn click(&self, text: &str) {
        let literal = xpath_literal(text);
        let clickable =
            "self::button or self::a or (self::input and (@type='submit' or @type='button'))";
        let xpath = format!(
            "//*[({clickable}) and (contains(normalize-space(.), {literal}) or contains(@value, {literal}))]"
        );
        let target = self
            .poll(&format!("a button or link {text:?}"), || async {
                let found = self.client.find_all(Locator::XPath(&xpath)).await.ok()?;
                let mut labelled = Vec::new();
                for element in found {
                    let label = match element.text().await.ok().filter(|t| !t.is_empty()) {
                        Some(t) => t,
                        None => element
                            .attr("value")
                            .await
                            .ok()
                            .flatten()
                            .unwrap_or_default(),
                    };
                    labelled.push((label.trim().to_owned(), element));
                }
                let exact: Vec<_> = labelled.iter().filter(|(l, _)| l == text).collect();
                match (exact.as_slice(), labelled.as_slice()) {
                    ([(_, one)], _) | ([], [(_, one)]) => Some(one.clone()),
                    ([], []) => None,
                    _ => panic!(
                        "{}: {text:?} names several buttons or links: {:?}",
                        self.test,
                        labelled.iter().map(|(l, _)| l).collect::<Vec<_>>()
                    ),
                }
            })
            .await;
        target
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {text:?}: {e}"));
    }

    /// Saves a PNG of the viewport as `<NN>-<step>.png` in the test's folder and returns its path.
    pub async fn screenshot(&self, step: &str) -> PathBuf {
        let n = self.shots.fetch_add(1, Ordering::SeqCst) + 1;
        let name: String = step
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = self.output.join(format!("{n:02}-{name}.png"));
        match self.client.screenshot().await {
            Ok(png) => {
                if let Err(e) = std::fs::write(&path, png) {
                    eprintln!("cannot write {}: {e}", path.display());
                }
            }
            Err(e) => eprintln!("no screenshot for {step}: {e}"),
        }
        path
    }

    /// Runs axe-core (WCAG 2.0/2.1 A and AA) on the current page and returns every violation.
    pub async fn axe(&self) -> Vec<Violation> {
        // Injected once per page: the source is the body of the executed script (see the top).
        let loaded = self
            .client
            .execute(
                "return typeof window.axe === 'object' && typeof window.axe.run === 'function';",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("cannot run a script on the page: {e}"));
        if loaded != true {
            let injected = self
                .client
                .execute(
                    &format!("{AXE_SOURCE}\n;return typeof window.axe === 'object' ? window.axe.version : null;"),
                    vec![],
                )
                .await
                .unwrap_or_else(|e| panic!("cannot inject axe-core: {e}"));
            assert!(injected.is_string(), "axe-core did not load: {injected}");
        }
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 window.axe.run(document, { runOnly: { type: 'tag', values: arguments[0] },
                                            resultTypes: ['violations'] })
                   .then(r => done({ violations: r.violations }), e => done({ error: String(e) }));",
                vec![json!(AXE_TAGS)],
            )
            .await
            .unwrap_or_else(|e| panic!("axe.run failed: {e}"));
        if let Some(error) = result.get("error") {
            panic!("axe.run failed: {error}");
        }
        result["violations"]
            .as_array()
            .map(|all| all.iter().map(violation).collect())
            .unwrap_or_default()
    }

    /// Fails on any `serious` or `critical` axe violation of the current page, listing each
    /// (rule id, impact, help, selectors). Lesser ones are printed.
    pub async fn assert_accessible(&self, step: &str) {
        self.assert_accessible_except(step, &[]).await;
    }

    /// As [`Browser::assert_accessible`], except that violations of the rules in `known` are
    /// printed, not failed on: for pages with recorded, not yet fixed, findings. A known rule
    /// that no longer fires fails too, so the list shrinks as pages are fixed.
    pub async fn assert_accessible_except(&self, step: &str, known: &[&str]) {
        if let Err(failure) = self.check_accessible(step, known).await {
            panic!("{failure}");
        }
    }

    /// The verdict of [`Browser::assert_accessible_except`] without panicking: `Err` with the
    /// readable list.
    pub async fn check_accessible(&self, step: &str, known: &[&str]) -> Result<(), String> {
        let violations = self.axe().await;
        let (tolerated, others): (Vec<_>, Vec<_>) = violations
            .into_iter()
            .partition(|v| known.contains(&v.id.as_str()));
        let (blocking, minor): (Vec<_>, Vec<_>) =
            others.into_iter().partition(Violation::is_blocking);
        let url = self.current_url().await;
        if !tolerated.is_empty() {
            println!(
                "{} {step}: known accessibility findings (not failed on) at {url}:\n{}",
                self.test,
                describe(&tolerated)
            );
        }
        if !minor.is_empty() {
            println!(
                "{} {step}: minor accessibility findings at {url}:\n{}",
                self.test,
                describe(&minor)
            );
        }
        if !blocking.is_empty() {
            return Err(format!(
                "{} {step}: serious or critical accessibility violations at {url}:\n{}",
                self.test,
                describe(&blocking)
            ));
        }
        let gone: Vec<_> = known
            .iter()
            .filter(|id| !tolerated.iter().any(|v| v.id == **id))
            .collect();
        if !gone.is_empty() {
            return Err(format!(
                "{} {step}: known findings {gone:?} no longer occur at {url}: remove them from the list",
                self.test
            ));
        }
        Ok(())
    }

    /// A screenshot and the strict accessibility check of the page as it is now.
    pub async fn checkpoint(&self, step: &str) {
        self.screenshot(step).await;
        self.assert_accessible(step).await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(session) = &self.session {
            end_session(self.driver.port, session);
        }
    }
}

fn violation(v: &Value) -> Violation {
    let text = |key: &str| v[key].as_str().unwrap_or_default().to_owned();
    Violation {
        id: text("id"),
        impact: text("impact"),
        help: text("help"),
        help_url: text("helpUrl"),
        targets: v["nodes"]
            .as_array()
            .map(|nodes| {
                nodes
                    .iter()
                    .map(|n| match &n["target"] {
                        Value::Array(parts) => parts
                            .iter()
                            .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned))
                            .collect::<Vec<_>>()
                            .join(" >> "),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// `text` as an XPath string literal (XPath 1.0 has no escapes: `concat` when both quotes occur).
fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}
