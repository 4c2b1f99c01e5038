//! Checks of outside input that do not depend on ticket state. Each failure names the
//! field, so the caller can answer INVALID_ARGUMENT with a precise message.

use super::error::DomainError;
use super::pii::{mask_phone, redact_text};
use super::taxonomy;
use super::ticket::{Requester, Timestamp};
use super::unit::UnitCatalog;

/// Longest description a citizen may send.
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_SHORT_TEXT_CHARS: usize = 64;
pub const MAX_NOTE_CHARS: usize = 2_000;
pub const MAX_ADDRESS_CHARS: usize = 500;
pub const MAX_CO_UNITS: usize = 10;
/// Longer than any phone number with prefix, separators and extension.
pub const MAX_PHONE_CHARS: usize = 32;
pub const MAX_REQUEST_ID_CHARS: usize = 128;

type Result<T = ()> = std::result::Result<T, DomainError>;

fn has_forbidden_control(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// Free text: at most `max` characters, no control characters other than line breaks and
/// tabs, and not blank when `required`.
pub fn text(field: &str, value: &str, max: usize, required: bool) -> Result {
    if required && value.trim().is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    let chars = value.chars().count();
    if chars > max {
        return Err(DomainError::invalid(
            field,
            format!("is {chars} characters long; the limit is {max}"),
        ));
    }
    if has_forbidden_control(value) {
        return Err(DomainError::invalid(field, "contains control characters"));
    }
    Ok(())
}

/// A one-line label (person, worker, category): no line breaks either.
pub fn label(field: &str, value: &str, required: bool) -> Result {
    text(field, value, MAX_SHORT_TEXT_CHARS, required)?;
    if value.contains(['\n', '\r', '\t']) {
        return Err(DomainError::invalid(field, "must be a single line"));
    }
    Ok(())
}

/// A phone number without spaces, dashes or the +86 / 0086 country prefix.
pub fn national_phone(value: &str) -> String {
    let compact: String = value.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    compact
        .strip_prefix("+86")
        .or_else(|| compact.strip_prefix("0086"))
        .unwrap_or(&compact)
        .to_string()
}

/// Mainland mobile numbers (11 digits starting 13-19, optional +86/86 prefix) or landlines
/// (area code 0xx or 0xxx, 7-8 digit number, optional '-' and extension). Empty is allowed:
/// anonymous requests exist.
pub fn phone(field: &str, value: &str) -> Result {
    if value.is_empty() {
        return Ok(());
    }
    // Checked first: the refusal below echoes the masked value.
    let chars = value.chars().count();
    if chars > MAX_PHONE_CHARS {
        return Err(DomainError::invalid(
            field,
            format!("is {chars} characters long; the limit is {MAX_PHONE_CHARS}"),
        ));
    }
    let national = national_phone(value);
    let national = national.as_str();
    let digits_only = national.chars().all(|c| c.is_ascii_digit());
    let mobile = digits_only
        && national.len() == 11
        && national.starts_with('1')
        && matches!(national.as_bytes()[1], b'3'..=b'9');
    let landline = digits_only && national.starts_with('0') && (10..=12).contains(&national.len());
    let with_extension = value.contains('-') && {
        // 025-83001234-801: area code, number, extension.
        let parts: Vec<&str> = value.split('-').collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
            && parts[0].starts_with('0')
            && (3..=4).contains(&parts[0].len())
            && (7..=8).contains(&parts[1].len())
            && parts[2].len() <= 6
    };
    if mobile || landline || with_extension {
        Ok(())
    } else {
        Err(DomainError::invalid(
            field,
            format!(
                "`{}` is not a mainland mobile or landline number",
                printable(&mask_phone(value))
            ),
        ))
    }
}

/// 18-character resident identity number (GB 11643) with its ISO 7064 check digit.
pub fn id_number(field: &str, value: &str) -> Result {
    if value.is_empty() {
        return Ok(());
    }
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let bytes = value.as_bytes();
    let shaped = bytes.len() == 18
        && bytes[..17].iter().all(u8::is_ascii_digit)
        && (bytes[17].is_ascii_digit() || bytes[17] == b'X' || bytes[17] == b'x');
    if !shaped {
        return Err(DomainError::invalid(
            field,
            "must be 17 digits and a check digit or X",
        ));
    }
    let sum: u32 = bytes[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    if CHECK[(sum % 11) as usize] != bytes[17].to_ascii_uppercase() {
        return Err(DomainError::invalid(field, "check digit does not match"));
    }
    Ok(())
}

/// A unit id that exists in the catalogue.
pub fn unit(field: &str, value: &str, units: &UnitCatalog) -> Result {
    if value.is_empty() {
        return Err(DomainError::invalid(field, "must name a unit"));
    }
    if units.get(value).is_none() {
        return Err(DomainError::invalid(
            field,
            format!("unknown unit `{}`", printable(value)),
        ));
    }
    Ok(())
}

/// A region code of the city, a district or a street; empty when the place is unknown.
/// A category id of the taxonomy and, when given, a topic under it; both may be empty.
pub fn category_and_topic(category: &str, topic: &str) -> Result {
    if !category.is_empty() && taxonomy::category(category).is_none() {
        return Err(DomainError::invalid(
            "category",
            format!(
                "`{}` is not a category id (e.g. `transport`; `hotline classify --categories` lists them)",
                printable(category)
            ),
        ));
    }
    if topic.is_empty() {
        return Ok(());
    }
    match taxonomy::topic(topic) {
        None => Err(DomainError::invalid(
            "topic",
            format!("`{}` is not a topic id", printable(topic)),
        )),
        Some(t) if !category.is_empty() && t.category != category => Err(DomainError::invalid(
            "topic",
            format!(
                "`{topic}` is a topic of `{}`, not of `{category}`",
                t.category
            ),
        )),
        Some(_) => Ok(()),
    }
}

pub fn region(field: &str, value: &str, units: &UnitCatalog) -> Result {
    if value.is_empty() || units.is_known_region(value) || units.partner_for_region(value).is_some()
    {
        return Ok(());
    }
    Err(DomainError::invalid(
        field,
        format!("unknown region `{}`", printable(value)),
    ))
}

/// The number the call came in on: 3-8 digits.
pub fn line(field: &str, value: &str) -> Result {
    if (3..=8).contains(&value.len()) && value.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            field,
            "must be a 3-8 digit hotline number such as 12345",
        ))
    }
}

/// The console's idempotency key: 1-128 visible ASCII characters (a UUID, say).
pub fn request_id(field: &str, value: &str) -> Result {
    if value.is_empty()
        || value.len() > MAX_REQUEST_ID_CHARS
        || !value.chars().all(|c| c.is_ascii_graphic())
    {
        return Err(DomainError::invalid(
            field,
            format!("must be 1-{MAX_REQUEST_ID_CHARS} visible ASCII characters (a UUID, say)"),
        ));
    }
    Ok(())
}

/// A repeated field holds at most `max` entries.
pub fn list_len(field: &str, len: usize, max: usize) -> Result {
    if len > max {
        return Err(DomainError::invalid(
            field,
            format!("has {len} entries; the limit is {max}"),
        ));
    }
    Ok(())
}

/// A half-open period `[from, to)` given by two optional bounds: when both are given, `to`
/// must come after `from`, or the period is empty and the caller has them the wrong way round.
pub fn period(to_field: &str, from: Option<Timestamp>, to: Option<Timestamp>) -> Result {
    match (from, to) {
        (Some(from), Some(to)) if to <= from => Err(DomainError::invalid(
            to_field,
            "must be after the start of the period",
        )),
        _ => Ok(()),
    }
}

/// Who asked: name, phone and identity number, each optional.
pub fn requester(requester: &Requester) -> Result {
    label("requester.name", &requester.name, false)?;
    phone("requester.phone", &requester.phone)?;
    id_number("requester.id_number", &requester.id_number)
}

/// Masks personal data in, shortens and escapes a value before it is echoed in an error
/// message. Masking comes first: a cut could leave a number too short to be recognised.
pub fn printable(value: &str) -> String {
    let short: String = redact_text(value).chars().take(64).collect();
    short.escape_debug().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_limits_count_characters_not_bytes() {
        let chinese = "路".repeat(MAX_DESCRIPTION_CHARS);
        assert!(text("description", &chinese, MAX_DESCRIPTION_CHARS, true).is_ok());
        let too_long = "路".repeat(MAX_DESCRIPTION_CHARS + 1);
        let err = text("description", &too_long, MAX_DESCRIPTION_CHARS, true).unwrap_err();
        assert_eq!(
            err.to_string(),
            "description: is 10001 characters long; the limit is 10000"
        );
    }

    #[test]
    fn blank_and_control_characters_are_refused() {
        assert!(text("description", "  \n ", 100, true).is_err());
        assert!(text("description", "", 100, false).is_ok());
        assert!(text("description", "路灯\u{0007}坏了", 100, true).is_err());
        assert!(text("description", "路灯坏了\n第二行\t", 100, true).is_ok());
        assert!(label("actor.person", "张三\n", true).is_err());
    }

    #[test]
    fn phones() {
        for ok in [
            "13800138000",
            "+8613800138000",
            "138 0013 8000",
            "025-83001234",
            "02583001234",
            "0571-8888888",
            "025-83001234-801",
            "",
        ] {
            assert!(phone("requester.phone", ok).is_ok(), "{ok}");
        }
        for bad in [
            "12345",
            "23800138000",
            "1380013800",
            "abc",
            "12800138000",
            "025-83001234-80a",
            "+1 415 555 0100",
        ] {
            assert!(phone("requester.phone", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn error_messages_mask_the_phone() {
        let e = phone("requester.phone", "1380013800x").unwrap_err();
        assert!(e.to_string().contains("138******0x"), "{e}");
    }

    #[test]
    fn echoed_values_are_masked_before_they_are_cut() {
        let long = format!("{}13800138000", "路".repeat(58));
        let shown = printable(&long);
        assert!(shown.ends_with("138***"), "{shown}");
        assert!(!shown.contains("1380013"), "{shown}");
    }

    #[test]
    fn id_numbers_check_the_check_digit() {
        assert!(id_number("requester.id_number", "11010519491231002X").is_ok());
        assert!(id_number("requester.id_number", "110105194912310021").is_err());
        assert!(id_number("requester.id_number", "1101051949123100").is_err());
        assert!(id_number("requester.id_number", "").is_ok());
    }

    #[test]
    fn long_phones_are_refused_before_they_are_echoed() {
        let e = phone("requester.phone", &"1".repeat(10_000)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "requester.phone: is 10000 characters long; the limit is 32"
        );
        let e = phone("requester.phone", "\u{1b}[2J138001380").unwrap_err();
        assert!(e.to_string().contains("\\u{1b}"), "escaped: {e}");
    }

    #[test]
    fn request_ids_are_visible_ascii() {
        assert!(request_id("request_id", "0b6f3c1e-7d2a-4c59-9e8f-1a2b3c4d5e6f").is_ok());
        for bad in ["", "a b", "编号-1", "id\u{0}"] {
            assert!(request_id("request_id", bad).is_err(), "{bad:?}");
        }
        let long = "a".repeat(MAX_REQUEST_ID_CHARS + 1);
        assert!(request_id("request_id", &long).is_err());
    }

    #[test]
    fn lists_and_periods() {
        assert!(list_len("states", 13, 13).is_ok());
        let e = list_len("states", 14, 13).unwrap_err();
        assert_eq!(e.to_string(), "states: has 14 entries; the limit is 13");
        let at = |s| chrono::DateTime::from_timestamp(s, 0);
        assert!(period("created_to", at(1), at(2)).is_ok());
        assert!(period("created_to", at(1), None).is_ok());
        assert!(period("created_to", None, at(1)).is_ok());
        for (from, to) in [(2, 1), (1, 1)] {
            let e = period("created_to", at(from), at(to)).unwrap_err();
            assert!(e.to_string().starts_with("created_to: "), "{e}");
        }
    }

    #[test]
    fn requesters_name_the_bad_part() {
        let ok = Requester {
            name: "王女士".into(),
            phone: "13800138000".into(),
            id_number: "11010519491231002X".into(),
            confidential: false,
        };
        assert!(requester(&ok).is_ok());
        let cases = [
            (
                "requester.name",
                Requester {
                    name: "王\n女士".into(),
                    ..ok.clone()
                },
            ),
            (
                "requester.phone",
                Requester {
                    phone: "12".into(),
                    ..ok.clone()
                },
            ),
            (
                "requester.id_number",
                Requester {
                    id_number: "1".into(),
                    ..ok.clone()
                },
            ),
        ];
        for (field, bad) in cases {
            let e = requester(&bad).unwrap_err();
            assert!(e.to_string().starts_with(field), "{e}");
        }
    }

    #[test]
    fn lines() {
        assert!(line("line", "12345").is_ok());
        assert!(line("line", "12").is_err());
        assert!(line("line", "12a45").is_err());
    }
}
