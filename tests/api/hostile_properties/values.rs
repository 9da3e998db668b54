//! Generated hostile values, and the runner that feeds them to one spawned app.
//!
//! Every generated value carries at least one piece that every field refuses (NUL, another
//! C0 or C1 control, a bidi control, bytes that are not UTF-8), mixed with pieces that are
//! hostile but may be legitimate somewhere (CR/LF, invalid percent-escapes, overlong text)
//! and normal text: so "nothing was written" holds for every value.

use std::fmt::Debug;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRng, TestRunner};

/// Percent-encoded pieces that every field refuses once decoded.
fn refused_piece() -> impl Strategy<Value = String> {
    let c0 = (0u8..0x20)
        .prop_filter("tab, LF and CR are allowed in multi-line fields", |b| {
            ![b'\t', b'\n', b'\r'].contains(b)
        })
        .prop_map(|b| format!("%{b:02X}"));
    let c1 = (0x80u8..0xA0).prop_map(|b| format!("%C2%{b:02X}"));
    let bidi = prop::sample::select(vec![
        "%E2%80%AE",
        "%E2%80%AD",
        "%E2%80%8F",
        "%E2%81%A6",
        "%E2%81%A9",
    ]);
    let not_utf8 = prop::sample::select(vec![
        "%C3%28",
        "%FF",
        "%FE%FF",
        "%ED%A0%80",
        "%ED%BF%BF",
        "%C0%AF",
        "%E2%82",
        "%80",
    ]);
    prop_oneof![
        Just("%00".to_owned()),
        c0,
        Just("%7F".to_owned()),
        c1,
        bidi.prop_map(str::to_owned),
        not_utf8.prop_map(str::to_owned),
    ]
}

/// Pieces that are normal text, or hostile but not refused everywhere.
fn other_piece() -> impl Strategy<Value = String> {
    let text = prop::sample::select(vec![
        "Mario",
        "luca.bianchi%40example.it",
        "%2B393471234567",
        "ticket+42",
        "Niccol%C3%B2",
        "%F0%9F%9A%80",
        "da_registrare",
        "2",
    ]);
    let odd = prop::sample::select(vec!["%0D%0A", "%0A", "%09", "%zz", "%", "%%41", "%4"]);
    prop_oneof![
        3 => text.prop_map(str::to_owned),
        2 => odd.prop_map(str::to_owned),
        1 => (1usize..3).prop_map(|n| "x".repeat(5000 * n)),
        1 => Just("%C3%A8".repeat(1700)),
    ]
}

/// A raw (percent-encoded) hostile value for a form field, a query parameter or a path
/// segment.
pub fn hostile() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(other_piece(), 0..4),
        refused_piece(),
        0usize..4,
    )
        .prop_map(|(mut pieces, refused, at)| {
            pieces.insert(at.min(pieces.len()), refused);
            pieces.concat()
        })
}

/// Raw JSON string content (what goes between the quotes) that every field of the API
/// refuses: escapes of NUL, controls, lone surrogates and bidi controls, or raw bytes that
/// are not UTF-8 or not allowed unescaped in JSON.
pub fn hostile_json() -> impl Strategy<Value = Vec<u8>> {
    let refused = prop::sample::select(vec![
        &b"\\u0000"[..],
        b"\\ud800",
        b"\\udfff",
        b"\\udc00\\ud800",
        b"\\ud800\\u0041",
        b"\\u0007",
        b"\\u001b[31m",
        b"\\u0085",
        b"\\u202e",
        b"\\u2066",
        b"\xff",
        b"\xc3\x28",
        b"\xed\xa0\x80",
        b"\x00",
        b"\x07",
    ]);
    let other = prop::sample::select(vec![
        &b"Rossi"[..],
        b"\\r\\n",
        b"\\\"",
        b"\\\\",
        b"\\ud83d\\ude80",
        "Niccolò".as_bytes(),
        b"\\u00e8",
    ]);
    let long = Just(vec![b'x'; 5000]);
    (
        prop::collection::vec(
            prop_oneof![4 => other.prop_map(<[u8]>::to_vec), 1 => long],
            0..3,
        ),
        refused,
        0usize..3,
    )
        .prop_map(|(mut pieces, refused, at)| {
            pieces.insert(at.min(pieces.len()), refused.to_vec());
            pieces.concat()
        })
}

/// Bytes a header value may carry (visible ASCII, space, tab, obs-text), for values that
/// are garbage but still a header: an odd bearer token, a forged session cookie.
pub fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => 0x21u8..0x7F,
        1 => Just(b' '),
        1 => Just(b'\t'),
        2 => 0x80u8..=0xFF,
    ];
    prop::collection::vec(byte, 0..300)
}

/// Runs `case` on `cases` values of `strategy`, deterministically (the same values every
/// run), on the test's own multi-thread runtime; a failure panics with the (shrunk) value.
pub fn run_cases<S, F, Fut>(cases: usize, strategy: S, case: F)
where
    S: Strategy,
    S::Value: Debug,
    F: Fn(S::Value) -> Fut,
    Fut: Future<Output = Result<(), TestCaseError>>,
{
    let config = Config {
        cases: u32::try_from(cases).expect("a few cases"),
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let handle = tokio::runtime::Handle::current();
    let result =
        tokio::task::block_in_place(|| runner.run(&strategy, |value| handle.block_on(case(value))));
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
