//! A local SMTP sink for the outbox benchmark (bench/run.sh, issue 8 target 5): the very
//! server the integration tests deliver to, listening on 127.0.0.1.
//!
//! `smtp_sink --port P --expect N` accepts mail until N messages arrived (or 120 s passed),
//! then prints `received=`, the seconds from the first to the last message and
//! `per_sec=` (messages per second over that span), and exits.

#[allow(dead_code)]
#[path = "../tests/api/support/smtp_sink.rs"]
mod smtp_sink;

use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (mut port, mut expect) = (2525u16, 1usize);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--port" => port = value.parse()?,
            "--expect" => expect = value.parse()?,
            _ => anyhow::bail!("usage: smtp_sink --port P --expect N"),
        }
    }
    let sink = smtp_sink::SmtpSink::start_on(port).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut first, mut last, mut received) = (None, Instant::now(), 0);
    while received < expect && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = sink.count().await;
        if now > received {
            first.get_or_insert_with(Instant::now);
            last = Instant::now();
            received = now;
        }
    }
    let span = first.map_or(0.0, |f| last.duration_since(f).as_secs_f64());
    println!("received={received}");
    println!("seconds={span:.2}");
    println!(
        "per_sec={:.0}",
        if span > 0.0 {
            received as f64 / span
        } else {
            0.0
        }
    );
    Ok(())
}
