//! `area-clienti generate-contracts`: a synthetic but realistic JSON Lines file of contracts
//! (one `POST /api/v1/contratti` body per line, CONTRACT.md §3) for benchmarks and load
//! tests, to be loaded through the product's own bulk path, `area-clienti import`.
//!
//! The shape follows the customer base: company 0 has 20,000 lines (the largest customer),
//! most companies have 1–20 lines (small ones far more common), 1% have a few hundred; on
//! average about 10 lines per company; nine lines in ten name a referent. The same seed
//! always gives the same file. Identities that must be unique in the portal (contract ids,
//! Partite IVA, e-mails, mobile numbers) come from counters, so they are unique by
//! construction without remembering what was drawn; the seed only chooses sizes, names and
//! referents.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};

/// Lines of company 0, the largest customer.
pub const LARGEST_COMPANY_LINES: u32 = 20_000;

const FIRST_NAMES: &[&str] = &[
    "Maria", "Giuseppe", "Anna", "Luca", "Franca", "Marco", "Giulia", "Paolo", "Sara", "Andrea",
    "Chiara", "Matteo", "Elena", "Davide", "Paola", "Stefano",
];
const LAST_NAMES: &[&str] = &[
    "Rossi", "Bianchi", "Russo", "Ferrari", "Esposito", "Romano", "Colombo", "Ricci", "Marino",
    "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Costa", "Fontana",
];
const COMPANY_KINDS: &[&str] = &["Impianti", "Trasporti", "Costruzioni", "Servizi", "Studio"];
const LEGAL_FORMS: &[&str] = &["S.r.l.", "S.n.c.", "S.p.A.", "S.a.s."];
const CHANNELS: &[&str] = &["negozio", "web", "agente", "telefono"];
/// Profiles a contract may give a line referent (never the legal representative's).
const REFERENT_PROFILES: &[Option<&str>] = &[
    None,
    Some("amministratore_full"),
    Some("amministratore_light"),
    Some("utilizzatore"),
];

/// Writes `companies` contracts (one per company) to `out`; returns the number of lines.
pub fn generate_file(companies: u32, seed: u64, out: &Path) -> anyhow::Result<u64> {
    let file = std::fs::File::create(out)
        .with_context(|| format!("impossibile creare {}", out.display()))?;
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    let total = generate(companies, seed, &mut writer)?;
    writer.flush()?;
    Ok(total)
}

/// Writes the contracts to any writer; returns the number of mobile lines written.
pub fn generate(companies: u32, seed: u64, out: &mut impl Write) -> anyhow::Result<u64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut next_number: u64 = 0;
    let mut total: u64 = 0;
    for company in 0..companies {
        let count = line_count(&mut rng, company);
        let body = contract(&mut rng, seed, company, count, &mut next_number);
        serde_json::to_writer(&mut *out, &body)?;
        out.write_all(b"\n")?;
        total += u64::from(count);
    }
    Ok(total)
}

/// How many lines a company has: see the module documentation for the proportions.
fn line_count(rng: &mut StdRng, company: u32) -> u32 {
    if company == 0 {
        LARGEST_COMPANY_LINES
    } else if rng.random_bool(0.01) {
        // The long tail: a few hundred lines (average 300).
        rng.random_range(100..500)
    } else {
        // 1–20, squared so small companies dominate: 1 line for ~23%, average ~6.8.
        let u: f64 = rng.random();
        1 + (19.0 * u * u) as u32
    }
}

fn contract(rng: &mut StdRng, seed: u64, company: u32, count: u32, next_number: &mut u64) -> Value {
    let first = pick(rng, FIRST_NAMES);
    let last = pick(rng, LAST_NAMES);
    let mut lines = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let number = mobile(*next_number);
        *next_number += 1;
        // Nine lines in ten name the employee who uses it (business contracts usually
        // list who gets each SIM): registered, they give the ~1,000,000 users of issue 8.
        if rng.random_bool(0.9) {
            let (rf, rl) = (pick(rng, FIRST_NAMES), pick(rng, LAST_NAMES));
            let mut referent = json!({
                "first_name": rf,
                "last_name": rl,
                "email": format!("{}.{}.{}@azienda{company}.example.it", slug(rf), slug(rl), *next_number),
            });
            if let Some(profile) = *pick(rng, REFERENT_PROFILES) {
                referent["profile"] = json!(profile);
            }
            lines.push(json!({ "number": number, "referent": referent }));
        } else {
            lines.push(json!({ "number": number }));
        }
    }
    let mut legal_representative = json!({
        "first_name": first,
        "last_name": last,
        "email": format!("{}.{}@azienda{company}.example.it", slug(first), slug(last)),
    });
    // Usually the legal representative uses the company's first line (codes go by SMS);
    // sometimes there is no mobile and codes go by e-mail.
    if rng.random_bool(0.8) {
        legal_representative["mobile"] = lines[0]["number"].clone();
    }
    json!({
        "contract_id": format!("GEN-{seed}-{company:07}"),
        "channel": pick(rng, CHANNELS),
        "company": {
            "name": format!("{} {} {}", last, pick(rng, COMPANY_KINDS), pick(rng, LEGAL_FORMS)),
            "vat_number": vat_number(company, rng.random_range(1..=100)),
        },
        "legal_representative": legal_representative,
        "mobile_lines": lines,
    })
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Lower-case ASCII form of a name for an e-mail address ("De Luca" → "deluca").
fn slug(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The `n`-th mobile number: `+39340` then 7 digits, so up to 10 million distinct numbers.
fn mobile(n: u64) -> String {
    format!("+39340{n:07}")
}

/// A valid Partita IVA: 7 digits from the company index (unique), the 3-digit office code,
/// then the check digit computed as `VatNumber::parse` checks it.
fn vat_number(company: u32, office: u32) -> String {
    let first_ten = format!("{:07}{office:03}", company + 1);
    let sum: u32 = first_ten
        .bytes()
        .enumerate()
        .map(|(index, b)| {
            let digit = u32::from(b - b'0');
            if index % 2 == 0 {
                digit
            } else if digit * 2 > 9 {
                digit * 2 - 9
            } else {
                digit * 2
            }
        })
        .sum();
    format!("{first_ten}{}", (10 - sum % 10) % 10)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::contracts::payload;

    #[test]
    fn generated_contracts_are_valid_unique_and_reproducible() {
        let mut out = Vec::new();
        let total = generate(300, 7, &mut out).unwrap();
        let (mut numbers, mut vats, mut emails) = (HashSet::new(), HashSet::new(), HashSet::new());
        let mut counted = 0u64;
        let mut referents = 0;
        for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let contract = payload::parse_json(line).unwrap().validate().unwrap();
            assert!(vats.insert(contract.vat_number.as_str().to_owned()));
            assert!(emails.insert(contract.legal_representative.email.as_str().to_owned()));
            for l in &contract.lines {
                assert!(
                    numbers.insert(l.number.as_str().to_owned()),
                    "{}",
                    l.number.as_str()
                );
                referents += usize::from(l.referent.is_some());
            }
            counted += contract.lines.len() as u64;
        }
        assert_eq!(vats.len(), 300);
        assert_eq!(counted, total);
        assert!(referents > 0);
        // Company 0 plus about 10 lines for each of the others.
        let others = total - u64::from(LARGEST_COMPANY_LINES);
        assert!((299 * 4..=299 * 20).contains(&others), "{others}");

        let mut again = Vec::new();
        generate(300, 7, &mut again).unwrap();
        assert_eq!(out, again, "same seed, same file");
    }
}
