//! The authenticator app (RFC 6238: SHA-1, 6 digits, 30-second steps, one step of drift).
//! A code is accepted once: the caller stores the step returned by [`accepted_step`] and
//! refuses that step and every older one afterwards.

use qrcode::QrCode;
use qrcode::render::svg;
use totp_rs::{Builder, Secret, Totp};

/// The name the app shows next to the account.
const ISSUER: &str = "Area Clienti";

/// A fresh 160-bit secret, as RFC 4226 recommends.
pub fn new_secret() -> Vec<u8> {
    Secret::generate().as_bytes().to_vec()
}

fn totp(secret: &[u8], account: &str) -> Option<Totp> {
    Builder::new()
        .with_secret(secret.to_vec())
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .ok()
}

/// The secret as people type it into an app: base32 in groups of four.
pub fn secret_text(secret: &[u8]) -> String {
    let base32 = Secret::from(secret.to_vec()).to_base32();
    let groups: Vec<String> = base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    groups.join(" ")
}

/// The `otpauth://` address as an inline SVG QR code.
pub fn qr_svg(secret: &[u8], account: &str) -> Option<String> {
    let url = totp(secret, account)?.to_url().ok()?;
    let code = QrCode::new(url.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

/// The step of `typed` if it is the code of the step at `unix_time` or of one step either
/// side, and newer than `last_step`; spaces in the typed code are ignored.
pub fn accepted_step(
    secret: &[u8],
    typed: &str,
    unix_time: i64,
    last_step: Option<i64>,
) -> Option<i64> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    let time = u64::try_from(unix_time).ok()?;
    let step = totp(secret, "")?.check(&typed, time)?;
    let step = i64::try_from(step).ok()?;
    last_step.is_none_or(|last| step > last).then_some(step)
}

/// The code of the step at `unix_time`, for tests and the benchmark.
pub fn code_at(secret: &[u8], unix_time: i64) -> String {
    totp(secret, "")
        .map(|t| {
            t.generate(u64::try_from(unix_time).unwrap_or(0))
                .to_string()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_790_000_000;

    #[test]
    fn a_code_is_good_for_its_step_and_one_either_side_and_once() {
        let secret = new_secret();
        let code = code_at(&secret, NOW);
        let step = accepted_step(&secret, &code, NOW, None).expect("current code");
        assert_eq!(step, NOW / 30);
        assert!(
            accepted_step(&secret, &code, NOW + 30, None).is_some(),
            "one step late"
        );
        assert!(
            accepted_step(&secret, &code, NOW - 30, None).is_some(),
            "one step early"
        );
        assert_eq!(
            accepted_step(&secret, &code, NOW + 90, None),
            None,
            "too late"
        );
        assert_eq!(
            accepted_step(&secret, &code, NOW, Some(step)),
            None,
            "replayed"
        );
        let next = code_at(&secret, NOW + 30);
        assert_eq!(
            accepted_step(&secret, &next, NOW + 30, Some(step)),
            Some(step + 1)
        );
    }

    #[test]
    fn spaces_are_ignored_and_anything_else_is_refused() {
        let secret = new_secret();
        let code = code_at(&secret, NOW);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(accepted_step(&secret, &spaced, NOW, None).is_some());
        for bad in ["", "12345", "1234567", "abcdef", "+12345", "\u{0}12345"] {
            assert_eq!(accepted_step(&secret, bad, NOW, None), None, "{bad:?}");
        }
    }

    #[test]
    fn the_secret_text_and_the_qr_code_carry_the_same_secret() {
        let secret = new_secret();
        let text = secret_text(&secret);
        let decoded = Secret::try_from_base32(text.replace(' ', "")).unwrap();
        assert_eq!(decoded.as_bytes(), secret.as_slice());
        let svg = qr_svg(&secret, "maria.rossi@example.it").unwrap();
        assert!(
            svg.starts_with("<?xml") || svg.contains("<svg"),
            "{svg:.60}"
        );
    }
}
