//! Raw Argon2id verification rate: the reference of the login benchmark (issue 8, target 1).
//!
//! `cargo run --release --example argon2_rate -- --threads 2 --seconds 10` verifies one
//! password against one hash in `--threads` OS threads for `--seconds` and prints
//! `verifies_per_sec=<rate>`. The parameters are the ones the portal uses: the argon2
//! crate's defaults (Argon2id, m=19456 KiB, t=2, p=1), so the ratio to the server's
//! logins/s shows what the web, database and session work add on top of hashing.
//!
//! `argon2_rate --print-hash PASSWORD` prints the PHC string of PASSWORD with those same
//! parameters and exits: bench/run.sh stores it for all its benchmark users at once,
//! instead of paying one hash per user.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

fn main() -> anyhow::Result<()> {
    let (mut threads, mut seconds) = (2usize, 10u64);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--threads" => threads = value.parse()?,
            "--seconds" => seconds = value.parse()?,
            "--print-hash" => {
                let phc = Argon2::default()
                    .hash_password(value.as_bytes())
                    .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
                println!("{phc}");
                return Ok(());
            }
            _ => anyhow::bail!(
                "usage: argon2_rate [--threads N] [--seconds T] | --print-hash PASSWORD"
            ),
        }
    }
    let password = b"una frase lunga e segreta per il benchmark";
    let hash = Argon2::default()
        .hash_password(password)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
        .to_string();
    let done = AtomicBool::new(false);
    let count = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                // Parse the PHC string every time, as the server does for each login.
                while !done.load(Ordering::Relaxed) {
                    let parsed = PasswordHash::new(&hash).expect("own hash parses");
                    let ok = Argon2::default().verify_password(password, &parsed).is_ok();
                    assert!(ok, "the password must verify");
                    count.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        std::thread::sleep(Duration::from_secs(seconds));
        done.store(true, Ordering::Relaxed);
    });
    // Threads finish their last verification after the flag: divide by the real time.
    let elapsed = start.elapsed().as_secs_f64();
    let n = count.load(Ordering::Relaxed);
    println!("threads={threads} verifies={n} seconds={elapsed:.2}");
    println!("verifies_per_sec={:.1}", n as f64 / elapsed);
    Ok(())
}
