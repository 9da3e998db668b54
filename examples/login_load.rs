//! Login load generator of `bench/run.sh login` (issue 12): what a browser does to log in,
//! compiled, so the generator takes little of the two cores the portal and PostgreSQL share
//! with it (the Python one it replaces took a tenth of a core at 80 logins/s).
//!
//! Each login: GET /accedi (session cookie and CSRF token from the form), POST /accedi with
//! username, password and token; with `--totp-secret HEX` (every user has that app) the
//! password's 303 to /accedi/verifica is followed by POST /accedi/verifica with the app's
//! current code. A success is the 303 to /area-clienti; a 503 with Retry-After is a refusal
//! (over capacity), counted apart. Latency covers the POSTs (the GET is a cheap page). Each
//! worker keeps one keep-alive connection; each user's browser cookie is kept as a browser
//! keeps it, so only a user's first login comes from a new browser.
//!
//! - closed mode: `--workers N` logins in flight, back to back, for `--seconds` (capacity);
//! - paced mode: `--rate R` logins/s scheduled open-loop (login i starts at t0 + i/R); a
//!   start is "late" when no worker was free at its slot, so queueing in the generator
//!   shows instead of hiding (coordinated omission).
//!
//! Prints one line of key=value pairs (the names `bench/run.sh` reads).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, RETRY_AFTER, SET_COOKIE};
use reqwest::{Client, Response, StatusCode, redirect};
use totp_rs::{Builder, Totp};

/// A later flag overrides an earlier one (bench/run.sh adds `--seconds 3` to its defaults).
#[derive(Parser)]
#[command(args_override_self = true)]
struct Args {
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Usernames bench1..benchN.
    #[arg(long)]
    users: u64,
    #[arg(long)]
    password: String,
    #[arg(long, default_value_t = 20.0)]
    seconds: f64,
    #[arg(long, default_value_t = 8)]
    workers: usize,
    /// Paced mode: logins per second.
    #[arg(long)]
    rate: Option<f64>,
    /// Hex secret of every user's app: log in with its code.
    #[arg(long)]
    totp_secret: Option<String>,
    /// First user: runs within 30 s of each other must not reuse a user's code.
    #[arg(long, default_value_t = 0)]
    offset: u64,
}

/// Cookies by name, each kept as the `name=value` a `Cookie` header sends.
type Jar = BTreeMap<String, String>;

/// What one login came to: "ok", "refused", or what went wrong (an HTTP status, where a
/// failed login was sent, a transport error).
struct Attempt {
    status: String,
    latency: Duration,
}

/// The benchmark's users are bench1..benchN (bench/run.sh creates them).
const USERNAME_PREFIX: &str = "bench";

struct Target {
    base: String,
    password: String,
    app: Option<Totp>,
    /// Each user's browser cookie, as their browser keeps it; never the session.
    browsers: Mutex<HashMap<String, Jar>>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let app = match &args.totp_secret {
        Some(hex) => Some(
            Builder::new()
                .with_secret(decode_hex(hex)?)
                .build()
                .map_err(|e| anyhow::anyhow!("TOTP secret: {e}"))?,
        ),
        None => None,
    };
    let target = Arc::new(Target {
        base: format!("http://{}:{}", args.host, args.port),
        password: args.password.clone(),
        app,
        browsers: Mutex::new(HashMap::new()),
    });
    let next_slot = Arc::new(AtomicU64::new(0));
    let late = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now() + Duration::from_millis(200);
    let deadline = t0 + Duration::from_secs_f64(args.seconds);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.workers {
        let (target, next_slot, late) = (target.clone(), next_slot.clone(), late.clone());
        let (rate, users, offset) = (args.rate, args.users, args.offset);
        workers.spawn(async move {
            let client = new_client()?;
            let mut attempts = Vec::new();
            loop {
                let i = next_slot.fetch_add(1, Ordering::Relaxed);
                if let Some(rate) = rate {
                    let slot = t0 + Duration::from_secs_f64(i as f64 / rate);
                    if slot >= deadline {
                        break;
                    }
                    let now = Instant::now();
                    if now < slot {
                        tokio::time::sleep_until(slot.into()).await;
                    } else if now - slot > Duration::from_millis(10) {
                        late.fetch_add(1, Ordering::Relaxed);
                    }
                } else {
                    tokio::time::sleep_until(t0.into()).await;
                    if Instant::now() >= deadline {
                        break;
                    }
                }
                let user = format!("{USERNAME_PREFIX}{}", (offset + i) % users + 1);
                attempts.push(target.log_in(&client, &user).await);
            }
            anyhow::Ok(attempts)
        });
    }
    let mut attempts = Vec::new();
    while let Some(joined) = workers.join_next().await {
        attempts.extend(joined??);
    }
    let elapsed = t0.elapsed().as_secs_f64();
    println!(
        "{}",
        summary(&attempts, elapsed, args.rate, late.load(Ordering::Relaxed))
    );
    Ok(())
}

/// One keep-alive connection per worker; redirects are answers to look at, not to follow.
fn new_client() -> reqwest::Result<Client> {
    Client::builder()
        .redirect(redirect::Policy::none())
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(30))
        .build()
}

impl Target {
    async fn log_in(&self, client: &Client, username: &str) -> Attempt {
        match self.try_log_in(client, username).await {
            Ok(attempt) => attempt,
            Err(error) => Attempt {
                status: format!("transport:{}", error_kind(&error)),
                latency: Duration::ZERO,
            },
        }
    }

    async fn try_log_in(&self, client: &Client, username: &str) -> reqwest::Result<Attempt> {
        let browser = self.browser_of(username);
        let form = client
            .get(format!("{}/accedi", self.base))
            .header(COOKIE, cookie_header(&browser))
            .send()
            .await?;
        let status = form.status();
        let mut jar = browser;
        take_cookies(&form, &mut jar);
        let body = form.text().await?;
        let token = csrf_token(&body).filter(|_| status == StatusCode::OK && !jar.is_empty());
        let Some(token) = token else {
            return Ok(Attempt {
                status: format!("get-{}", status.as_u16()),
                latency: Duration::ZERO,
            });
        };
        let start = Instant::now();
        let fields = [
            ("username", username),
            ("password", &self.password),
            ("csrf_token", &token),
        ];
        let mut answer = post(client, &format!("{}/accedi", self.base), &fields, &jar).await?;
        if let Some(app) = &self.app
            && answer.status() == StatusCode::SEE_OTHER
            && location(&answer) == Some("/accedi/verifica")
        {
            take_cookies(&answer, &mut jar);
            let code = app.generate(unix_now()).to_string();
            let fields = [("code", code.as_str()), ("csrf_token", &token)];
            let url = format!("{}/accedi/verifica", self.base);
            answer = post(client, &url, &fields, &jar).await?;
        }
        let latency = start.elapsed();
        let logged_in =
            answer.status() == StatusCode::SEE_OTHER && location(&answer) == Some("/area-clienti");
        let status = if logged_in {
            take_cookies(&answer, &mut jar);
            jar.retain(|name, _| name.contains("browser"));
            lock(&self.browsers).insert(username.to_owned(), jar);
            "ok".to_owned()
        } else if answer.status() == StatusCode::SERVICE_UNAVAILABLE
            && answer.headers().contains_key(RETRY_AFTER)
        {
            "refused".to_owned()
        } else if answer.status() == StatusCode::SEE_OTHER {
            // Where a failed login was sent says why (e.g. /accedi: the second step ended).
            format!("303>{}", location(&answer).unwrap_or("?"))
        } else {
            answer.status().as_u16().to_string()
        };
        // Drain the body so the connection is reused.
        let _ = answer.bytes().await;
        Ok(Attempt { status, latency })
    }

    fn browser_of(&self, username: &str) -> Jar {
        lock(&self.browsers)
            .get(username)
            .cloned()
            .unwrap_or_default()
    }
}

async fn post(
    client: &Client,
    url: &str,
    fields: &[(&str, &str)],
    jar: &Jar,
) -> reqwest::Result<Response> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    client
        .post(url)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(COOKIE, cookie_header(jar))
        .body(body)
        .send()
        .await
}

fn take_cookies(response: &Response, jar: &mut Jar) {
    for value in response.headers().get_all(SET_COOKIE) {
        let Ok(value) = value.to_str() else { continue };
        let pair = value.split(';').next().unwrap_or_default();
        if let Some((name, _)) = pair.split_once('=') {
            jar.insert(name.to_owned(), pair.to_owned());
        }
    }
}

fn cookie_header(jar: &Jar) -> String {
    jar.values().cloned().collect::<Vec<_>>().join("; ")
}

fn location(response: &Response) -> Option<&str> {
    response.headers().get(LOCATION)?.to_str().ok()
}

fn csrf_token(page: &str) -> Option<String> {
    const FIELD: &str = r#"name="csrf_token" value=""#;
    let start = page.find(FIELD)? + FIELD.len();
    let length = page[start..].find('"')?;
    Some(page[start..start + length].to_owned())
}

fn error_kind(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect"
    } else {
        "other"
    }
}

fn summary(attempts: &[Attempt], elapsed: f64, rate: Option<f64>, late: u64) -> String {
    let sorted_latencies = |wanted: &str| {
        let mut ms: Vec<f64> = attempts
            .iter()
            .filter(|a| a.status == wanted)
            .map(|a| a.latency.as_secs_f64() * 1000.0)
            .collect();
        ms.sort_by(f64::total_cmp);
        ms
    };
    let (ok, refused) = (sorted_latencies("ok"), sorted_latencies("refused"));
    let mut failures = BTreeMap::<&str, u64>::new();
    for attempt in attempts {
        if attempt.status != "ok" && attempt.status != "refused" {
            *failures.entry(&attempt.status).or_default() += 1;
        }
    }
    let failures = if failures.is_empty() {
        "none".to_owned()
    } else {
        let listed: Vec<String> = failures.iter().map(|(k, n)| format!("{k}:{n}")).collect();
        listed.join(",")
    };
    let mode = rate.map_or("closed".to_owned(), |r| format!("paced@{r:.1}"));
    format!(
        "mode={mode} ok={} elapsed={elapsed:.2} logins_per_sec={:.1} p50_ms={:.1} p99_ms={:.1} \
         max_ms={:.1} refused={} refused_p99_ms={:.1} late={late} failures={failures}",
        ok.len(),
        ok.len() as f64 / elapsed,
        percentile(&ok, 0.50),
        percentile(&ok, 0.99),
        ok.last().copied().unwrap_or(f64::NAN),
        refused.len(),
        percentile(&refused, 0.99),
    )
}

/// The value below which a fraction `q` of `sorted` lies (NaN when empty).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((q * sorted.len() as f64) as usize).min(sorted.len() - 1);
    sorted[index]
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn decode_hex(hex: &str) -> anyhow::Result<Vec<u8>> {
    anyhow::ensure!(hex.len() % 2 == 0, "odd number of hex digits");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(Into::into))
        .collect()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
