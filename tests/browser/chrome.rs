//! Headless Chromium driven over WebDriver: one `chromedriver` process per test
//! ([`Driver`]), one browser per person ([`Page`], its own profile directory, so two
//! pages never share cookies), and what a test does with a page: open addresses, click,
//! type, press keys, and check each page with axe-core and a screenshot at both sizes.
//!
//! Chromium and chromedriver come from the system (`apt-get install chromium
//! chromium-driver`); axe-core from `npm ci` in the crate root (`node_modules/axe-core`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use axum::http::Method;
use base64::Engine;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// A phone (emulated as a mobile device: the page's viewport meta applies).
pub const PHONE: Viewport = Viewport {
    width: 390,
    height: 844,
    mobile: true,
};
/// A laptop.
pub const DESKTOP: Viewport = Viewport {
    width: 1280,
    height: 800,
    mobile: false,
};
/// Every page is checked at these sizes (issue 15: 320, 390 and 1280 px).
pub const VIEWPORTS: [Viewport; 3] = [NARROW_PHONE, PHONE, DESKTOP];
/// The narrowest phone WCAG's reflow criterion (1.4.10) asks for: 320 CSS px.
pub const NARROW_PHONE: Viewport = Viewport {
    width: 320,
    height: 640,
    mobile: true,
};

/// How many CSS pixels the page itself is wider than the window (0: it reflows; a wide
/// table may still scroll inside its own box).
const SIDEWAYS_OVERFLOW: &str =
    "return document.documentElement.scrollWidth - document.documentElement.clientWidth";

/// How long a page may take to show what a test waits for.
const WAIT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(50);
/// The WCAG 2.1 A and AA rules of axe-core.
const AXE_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

const MISSING_BROWSER: &str = "the browser tests need Chromium and chromedriver: \
    `apt-get install -y chromium chromium-driver` (or set CHROMIUM and CHROMEDRIVER to their paths)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewport {
    pub width: u32,
    pub height: u32,
    pub mobile: bool,
}

/// Whether the browser runs JavaScript (pages are checked with axe only when it does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Js {
    Enabled,
    Disabled,
}

/// A running chromedriver, killed (with the browsers it started) when dropped.
pub struct Driver {
    child: Child,
    port: u16,
    chromium: PathBuf,
    sessions: Mutex<Vec<String>>,
    profiles: Mutex<Vec<PathBuf>>,
}

impl Driver {
    /// Starts chromedriver on a free port; panics naming the packages to install when
    /// Chromium or chromedriver is missing.
    pub fn start() -> Driver {
        let chromium = executable("CHROMIUM", &["chromium", "chromium-browser"])
            .unwrap_or_else(|| panic!("Chromium not found: {MISSING_BROWSER}"));
        let chromedriver = executable("CHROMEDRIVER", &["chromedriver"])
            .unwrap_or_else(|| panic!("chromedriver not found: {MISSING_BROWSER}"));
        axe_source(); // fail early, before any browser starts, when axe-core is missing
        for _attempt in 0..3 {
            let port = free_port();
            let mut child = Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .arg("--log-level=SEVERE")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                // Its own process group, so Drop can end chromedriver and every browser
                // process it started, even after a failed test.
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
            if listening(&mut child, port) {
                return Driver {
                    child,
                    port,
                    chromium,
                    sessions: Mutex::default(),
                    profiles: Mutex::default(),
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("chromedriver did not start listening (three ports tried)");
    }

    /// A new browser (own profile, own cookies) at desktop size, with pages of the app at
    /// `base` (e.g. `http://127.0.0.1:41234`).
    pub async fn open(&self, base: &str, js: Js) -> Page {
        let profile = std::env::temp_dir().join(format!(
            "area-clienti-chromium-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&profile).expect("profile directory");
        lock(&self.profiles).push(profile.clone());
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--disable-dev-shm-usage",
            "--password-store=basic",
            "--lang=it-IT",
            "--window-size=1280,800",
        ]
        .map(str::to_owned)
        .to_vec();
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut prefs = json!({
            "credentials_enable_service": false,
            "profile.password_manager_enabled": false,
            "profile.password_manager_leak_detection": false,
            "intl.accept_languages": "it-IT,it",
        });
        if js == Js::Disabled {
            args.push("--blink-settings=scriptEnabled=false".into());
            prefs["profile.managed_default_content_settings.javascript"] = json!(2);
        }
        let capabilities = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": {
                "binary": self.chromium,
                "args": args,
                "prefs": prefs,
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = ClientBuilder::rustls()
            .expect("WebDriver client")
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .unwrap_or_else(|e| panic!("Chromium did not start ({e}); {MISSING_BROWSER}"));
        if let Ok(Some(id)) = client.session_id().await {
            lock(&self.sessions).push(id);
        }
        let page = Page {
            client,
            base: base.trim_end_matches('/').to_owned(),
            javascript: js,
        };
        page.set_viewport(DESKTOP).await;
        page
    }
}

impl Drop for Driver {
    /// Ends the browsers still open (a test that failed half-way), then chromedriver, and
    /// removes the browser profiles.
    fn drop(&mut self) {
        for id in lock(&self.sessions).drain(..) {
            delete_session(self.port, &id);
        }
        // The process group chromedriver leads (see `process_group(0)`): chromedriver and
        // any browser process it left behind; all of them were started by this Driver.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        for profile in lock(&self.profiles).drain(..) {
            let _ = std::fs::remove_dir_all(profile);
        }
    }
}

/// One person's browser on the app.
pub struct Page {
    pub client: Client,
    base: String,
    javascript: Js,
}

impl Page {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Opens an address of the app, as typing it (or following a link from an e-mail).
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&self.url(path))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The current path with its query, e.g. `/area-clienti/gestione-utenze?stato=attivo`.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Polls `probe` until it returns `Some`, for at most 15 s; then panics with `what` and
    /// where the browser is.
    pub async fn wait_until<T>(&self, what: &str, probe: impl AsyncFn() -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(found) = probe().await {
                return found;
            }
            if Instant::now() >= deadline {
                let path = self.client.current_url().await.map(|u| u.to_string());
                let main = self.try_text("main").await.unwrap_or_default();
                panic!("waited {WAIT:?} for {what}; the browser is at {path:?}, showing:\n{main}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the page's `h1` contains `text` (after a click that navigates).
    pub async fn wait_for_heading(&self, text: &str) {
        self.wait_until(&format!("a heading with {text:?}"), async || {
            self.try_text("h1")
                .await
                .filter(|h| h.contains(text))
                .map(|_| ())
        })
        .await;
        self.wait_loaded().await;
    }

    /// Waits until the current path satisfies `wanted`; returns it.
    pub async fn wait_for_path(&self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        self.wait_until(&format!("the address of {what}"), async || {
            let path = self.path().await;
            wanted(&path).then_some(path)
        })
        .await
    }

    /// Waits until the document (and its style sheet) has loaded.
    async fn wait_loaded(&self) {
        self.wait_until("the page to finish loading", async || {
            let state = self
                .client
                .execute("return document.readyState", vec![])
                .await
                .ok()?;
            (state == "complete").then_some(())
        })
        .await;
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        self.wait_until(&format!("an element {css:?}"), async || {
            self.client.find(Locator::Css(css)).await.ok()
        })
        .await
    }

    /// Whether an element matches `css` right now.
    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
            .is_empty()
    }

    async fn try_text(&self, css: &str) -> Option<String> {
        let element = self.client.find(Locator::Css(css)).await.ok()?;
        element.text().await.ok()
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("element text")
    }

    /// The attribute `name` of the first element matching `css`.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(css).await.attr(name).await.expect("attribute")
    }

    /// What a form field holds now.
    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    /// Clicks into the field and types `text` (after clearing it).
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear field");
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Clicks the button whose text is `label`.
    pub async fn click_button(&self, label: &str) {
        self.click_xpath(&format!(
            "//button[normalize-space(.)={}]",
            xpath_literal(label)
        ))
        .await;
    }

    /// Clicks the link of the page content (not the header) whose text is `label`.
    pub async fn click_link(&self, label: &str) {
        self.click_xpath(&format!(
            "//main//a[normalize-space(.)={}]",
            xpath_literal(label)
        ))
        .await;
    }

    /// Clicks the element at `xpath` (waiting for it), e.g. a button in one table row.
    pub async fn click_xpath(&self, xpath: &str) {
        let element = self
            .wait_until(&format!("an element {xpath}"), async || {
                self.client.find(Locator::XPath(xpath)).await.ok()
            })
            .await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {xpath}: {e}"));
    }

    /// Runs `script` in the page (works with JavaScript disabled too: WebDriver's own
    /// scripts are not page scripts).
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script {script:?}: {e}"))
    }

    // ---- keyboard ----------------------------------------------------------------------

    /// Presses and releases one key, as a person on a keyboard.
    pub async fn press(&self, key: Key) {
        let key = key.chars().next().expect("key code");
        self.keys([key]).await;
    }

    /// Types `text` key by key into whatever has the focus.
    pub async fn type_text(&self, text: &str) {
        self.keys(text.chars()).await;
    }

    async fn keys(&self, keys: impl IntoIterator<Item = char>) {
        let mut actions = KeyActions::new("keyboard".into());
        for value in keys {
            actions = actions
                .then(KeyAction::Down { value })
                .then(KeyAction::Up { value });
        }
        self.client
            .perform_actions(actions)
            .await
            .expect("key actions");
    }

    /// Whether the focused element matches `css`.
    pub async fn focus_is(&self, css: &str) -> bool {
        self.js(
            "return document.activeElement !== null && document.activeElement.matches(arguments[0])",
            vec![json!(css)],
        )
        .await
            == json!(true)
    }

    /// A short description of the focused element, for messages.
    pub async fn focused(&self) -> String {
        self.js(
            "const e = document.activeElement; \
             return e ? e.outerHTML.slice(0, 200) : 'nothing'",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Presses Tab until the focus is on an element matching `css` (at most `max` times),
    /// checking at each stop that the focus is visible (an outline is drawn).
    pub async fn tab_to(&self, css: &str, max: usize) {
        for _ in 0..max {
            self.press(Key::Tab).await;
            let outline = self
                .js(
                    "const s = getComputedStyle(document.activeElement); \
                     return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2",
                    vec![],
                )
                .await;
            assert_eq!(
                outline,
                json!(true),
                "focus not visible on {}",
                self.focused().await
            );
            if self.focus_is(css).await {
                return;
            }
        }
        panic!(
            "{css} not reached with {max} Tab presses; focus is on {}",
            self.focused().await
        );
    }

    // ---- checks --------------------------------------------------------------------------

    /// Checks the page as it is now at 320 px, at phone and at desktop size: a full-page
    /// screenshot is written to `target/screenshots/{name}-{width}x{height}.png`, axe-core
    /// must find no WCAG 2.1 A/AA violation (when JavaScript runs), and at 320 px the page
    /// must not scroll sideways. Leaves it at desktop size.
    pub async fn check(&self, name: &str) {
        self.check_at(name, &VIEWPORTS).await;
    }

    /// Like [`Page::check`], at the sizes given (e.g. [`NARROW_PHONE`] and [`DESKTOP`]).
    pub async fn check_at(&self, name: &str, viewports: &[Viewport]) {
        self.wait_loaded().await;
        for &viewport in viewports {
            self.set_viewport(viewport).await;
            self.screenshot(name, viewport).await;
            if self.javascript == Js::Enabled {
                self.axe(name, viewport).await;
            }
            if viewport == NARROW_PHONE {
                let overflow = self.js(SIDEWAYS_OVERFLOW, vec![]).await;
                assert_eq!(
                    overflow,
                    json!(0),
                    "page {name:?} scrolls sideways at 320 px"
                );
            }
        }
        self.set_viewport(DESKTOP).await;
    }

    /// The violations axe-core finds on the page with the WCAG 2.1 A/AA rules, as axe
    /// reports them (`id`, `impact`, `help`, `helpUrl`, `nodes` with `target`, `html`,
    /// `summary`).
    pub async fn axe_violations(&self) -> Vec<Value> {
        let loaded = self
            .js("return typeof window.axe === 'object'", vec![])
            .await;
        if loaded != json!(true) {
            self.js(axe_source(), vec![]).await;
        }
        let run = format!(
            "const done = arguments[arguments.length - 1];
             window.axe.run(document, {{
               runOnly: {{ type: 'tag', values: {tags} }},
               resultTypes: ['violations'],
             }}).then(
               (r) => done(JSON.stringify(r.violations.map((v) => ({{
                 id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                 nodes: v.nodes.map((n) => ({{ target: n.target, html: n.html, summary: n.failureSummary }})),
               }})))),
               (e) => done(JSON.stringify({{ error: String(e) }})),
             );",
            tags = json!(AXE_TAGS)
        );
        let out = self
            .client
            .execute_async(&run, vec![])
            .await
            .unwrap_or_else(|e| panic!("axe-core did not run: {e}"));
        let result: Value = serde_json::from_str(out.as_str().unwrap_or("null"))
            .unwrap_or_else(|e| panic!("axe-core result: {e}: {out}"));
        match result {
            Value::Array(violations) => violations,
            other => panic!("axe-core failed: {other}"),
        }
    }

    /// Asserts that axe-core reports no violation of WCAG 2.1 A/AA on the page; the panic
    /// message lists each violation (id, impact, help) and the failing nodes.
    pub async fn axe(&self, name: &str, viewport: Viewport) {
        let violations = self.axe_violations().await;
        if violations.is_empty() {
            return;
        }
        let mut report = format!(
            "axe-core: {} WCAG 2.1 AA violation(s) on page {name:?} at {}x{} ({}):\n",
            violations.len(),
            viewport.width,
            viewport.height,
            self.path().await
        );
        for v in &violations {
            report.push_str(&format!(
                "- {} [{}] {} ({})\n",
                v["id"].as_str().unwrap_or("?"),
                v["impact"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or("?"),
                v["helpUrl"].as_str().unwrap_or("")
            ));
            for node in v["nodes"].as_array().into_iter().flatten() {
                report.push_str(&format!(
                    "    at {}: {}\n      {}\n",
                    node["target"],
                    node["html"].as_str().unwrap_or(""),
                    node["summary"]
                        .as_str()
                        .unwrap_or("")
                        .replace('\n', "\n      ")
                ));
            }
        }
        panic!("{report}");
    }

    /// Asserts that at 320 px the page does not scroll sideways (WCAG 1.4.10, reflow): wide
    /// tables may scroll inside their own box, the page itself may not. Leaves it at
    /// desktop size.
    pub async fn reflows_at_320_px(&self) {
        self.set_viewport(NARROW_PHONE).await;
        let overflow = self.js(SIDEWAYS_OVERFLOW, vec![]).await;
        self.set_viewport(DESKTOP).await;
        assert_eq!(overflow, json!(0), "the page scrolls sideways at 320 px");
    }

    /// Writes a full-page screenshot at `viewport` to
    /// `target/screenshots/{name}-{width}x{height}.png`.
    pub async fn screenshot(&self, name: &str, viewport: Viewport) {
        let metrics = self.cdp("Page.getLayoutMetrics", json!({})).await;
        let height = metrics["cssContentSize"]["height"]
            .as_f64()
            .unwrap_or(0.0)
            .max(f64::from(viewport.height))
            .ceil();
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": viewport.width, "height": height, "scale": 1 },
                }),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("screenshot is base64");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("target/screenshots");
        let file = dir.join(format!("{name}-{}x{}.png", viewport.width, viewport.height));
        std::fs::write(&file, png).unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
    }

    /// Makes the page render at `viewport` (Chromium's device emulation: a real window
    /// cannot be narrower than 500 px).
    pub async fn set_viewport(&self, viewport: Viewport) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({
                "width": viewport.width,
                "height": viewport.height,
                "deviceScaleFactor": 1,
                "mobile": viewport.mobile,
            }),
        )
        .await;
    }

    /// A Chrome DevTools Protocol command through chromedriver.
    async fn cdp(&self, cmd: &'static str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp { cmd, params })
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }

    /// Ends this browser.
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// chromedriver's `POST /session/{id}/goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (Method::POST, Some(body.to_string()))
    }
}

/// axe-core's browser build, from `npm ci` in the crate root.
fn axe_source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/axe-core/axe.min.js");
        std::fs::read_to_string(&file).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run `npm ci` in {} to install axe-core",
                file.display(),
                env!("CARGO_MANIFEST_DIR")
            )
        })
    })
}

/// `text` as an XPath string literal.
pub fn xpath_literal(text: &str) -> String {
    if !text.contains('"') {
        format!("\"{text}\"")
    } else if !text.contains('\'') {
        format!("'{text}'")
    } else {
        let parts: Vec<String> = text.split('"').map(|p| format!("\"{p}\"")).collect();
        format!("concat({})", parts.join(", '\"', "))
    }
}

fn executable(variable: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(variable) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH")?;
    names
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Waits (10 s at most) until chromedriver accepts connections; false if it exited.
fn listening(child: &mut Child, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(POLL);
    }
    false
}

/// `DELETE /session/{id}` with a plain blocking HTTP request (usable in Drop): chromedriver
/// closes that browser and reaps its processes.
fn delete_session(port: u16, id: &str) {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
