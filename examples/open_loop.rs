//! Open-loop load of `bench/run.sh` (issue 16, target 3): GET requests at a fixed rate, as
//! users arrive, whatever the server's answers take; a closed loop (wrk) saturates the server
//! by design and hides the latency users see below saturation.
//!
//! Request i is due at t0 + i/rate and goes out on the first free connection; its latency
//! is counted **from when it was due**, so a request that waited for a connection (the
//! server fell behind) shows that wait, instead of the generator quietly slowing down
//! (coordinated omission). `late` counts requests that went out more than 10 ms after
//! they were due.
//!
//! `--cookies FILE`: one `Cookie` header per line (logged-in sessions), spread over the
//! requests in turn; `--paths FILE`: paths to request in turn (default: the `--url`'s own).
//! Prints one line of key=value pairs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use reqwest::{Client, header::COOKIE, redirect};

#[derive(Parser)]
struct Args {
    /// The page, e.g. `http://127.0.0.1:18080/area-clienti/gestione-utenze`.
    #[arg(long)]
    url: String,
    #[arg(long)]
    cookies: Option<String>,
    #[arg(long)]
    paths: Option<String>,
    /// Requests per second.
    #[arg(long)]
    rate: f64,
    #[arg(long, default_value_t = 15.0)]
    seconds: f64,
    /// Connections at most (requests in flight at once).
    #[arg(long, default_value_t = 64)]
    connections: usize,
}

struct Plan {
    urls: Vec<String>,
    cookies: Vec<String>,
    rate: f64,
    t0: Instant,
    deadline: Instant,
    next: AtomicU64,
    late: AtomicU64,
}

/// One request: milliseconds from when it was due to its answer, and whether it was 2xx.
struct Answered {
    ms: f64,
    ok: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let lines = |file: &Option<String>| -> anyhow::Result<Vec<String>> {
        Ok(match file {
            Some(path) => std::fs::read_to_string(path)?
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            None => Vec::new(),
        })
    };
    let origin = reqwest::Url::parse(&args.url)?;
    let mut urls: Vec<String> = lines(&args.paths)?
        .iter()
        .map(|path| origin.join(path).map(String::from))
        .collect::<Result<_, _>>()?;
    if urls.is_empty() {
        urls.push(args.url.clone());
    }
    let t0 = Instant::now() + Duration::from_millis(200);
    let plan = Arc::new(Plan {
        urls,
        cookies: lines(&args.cookies)?,
        rate: args.rate,
        t0,
        deadline: t0 + Duration::from_secs_f64(args.seconds),
        next: AtomicU64::new(0),
        late: AtomicU64::new(0),
    });
    let mut connections = tokio::task::JoinSet::new();
    for _ in 0..args.connections {
        let plan = plan.clone();
        connections.spawn(async move {
            // One keep-alive connection each; a redirect (to the login) is not followed.
            let client = Client::builder()
                .redirect(redirect::Policy::none())
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(30))
                .build()?;
            let mut answered = Vec::new();
            while let Some(answer) = plan.send_next(&client).await {
                answered.push(answer);
            }
            anyhow::Ok(answered)
        });
    }
    let mut answered = Vec::new();
    while let Some(joined) = connections.join_next().await {
        answered.extend(joined??);
    }
    println!("{}", summary(&plan, &mut answered));
    Ok(())
}

impl Plan {
    /// Waits for the next request's time and sends it; `None` once the run is over.
    async fn send_next(&self, client: &Client) -> Option<Answered> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        let due = self.t0 + Duration::from_secs_f64(i as f64 / self.rate);
        if due >= self.deadline {
            return None;
        }
        let now = Instant::now();
        if now < due {
            tokio::time::sleep_until(due.into()).await;
        } else if now - due > Duration::from_millis(10) {
            self.late.fetch_add(1, Ordering::Relaxed);
        }
        let index = i as usize;
        let mut request = client.get(&self.urls[index % self.urls.len()]);
        if !self.cookies.is_empty() {
            request = request.header(COOKIE, &self.cookies[index % self.cookies.len()]);
        }
        let ok = match request.send().await {
            Ok(response) => {
                let ok = response.status().is_success();
                // The whole body, as a browser reads it, before the clock stops.
                response.bytes().await.is_ok() && ok
            }
            Err(_) => false,
        };
        Some(Answered {
            ms: due.elapsed().as_secs_f64() * 1000.0,
            ok,
        })
    }
}

fn summary(plan: &Plan, answered: &mut [Answered]) -> String {
    answered.sort_by(|a, b| a.ms.total_cmp(&b.ms));
    let at = |q: f64| {
        if answered.is_empty() {
            return f64::NAN;
        }
        answered[((q * answered.len() as f64) as usize).min(answered.len() - 1)].ms
    };
    let seconds = (plan.deadline - plan.t0).as_secs_f64();
    format!(
        "rate={:.1} sent={} per_sec={:.1} non2xx={} p50_ms={:.1} p99_ms={:.1} max_ms={:.1} late={}",
        plan.rate,
        answered.len(),
        answered.len() as f64 / seconds,
        answered.iter().filter(|a| !a.ok).count(),
        at(0.50),
        at(0.99),
        answered.last().map_or(f64::NAN, |a| a.ms),
        plan.late.load(Ordering::Relaxed),
    )
}
