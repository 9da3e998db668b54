//! Unit tests of the contract body: JSON parse errors name their field.

use super::*;

#[test]
fn json_errors_always_name_a_field() {
    // Found by fuzzing: an empty unknown key used to give an empty `field`.
    let e = parse_json(br#"{"":"Bianchi S.n.c."}"#).unwrap_err();
    assert_eq!(e.field, "body");
    assert!(e.message.contains("unknown field"), "{}", e.message);
    let nested = parse_json(br#"{"company":{"":1}}"#).unwrap_err();
    assert!(nested.field.starts_with("company"), "{}", nested.field);
    assert!(!parse_json(b"{").unwrap_err().field.is_empty());
    let typed = parse_json(br#"{"mobile_lines":[{"number":3}]}"#).unwrap_err();
    assert_eq!(typed.field, "mobile_lines[0].number");
}
