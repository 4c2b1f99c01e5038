//! Personal data (domain brief §8) in anything that leaves the daemon other than the
//! ticket itself: logs, traces, error messages and the CLI's tables. Phones and identity
//! numbers keep a few characters so that a person can still tell two apart; names keep
//! their family name. Free text is searched for mobiles, landlines and identity numbers.

use std::sync::LazyLock;

use regex::Regex;

use super::ticket::Requester;

/// Keeps the first `head` and last `tail` characters and stars the rest (all of it when
/// the value is that short).
pub fn mask_middle(value: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < head || i >= chars.len() - tail {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

/// Keeps the first three and last two characters of a phone number: `138******00`.
pub fn mask_phone(value: &str) -> String {
    mask_middle(value, 3, 2)
}

/// Keeps the first three and last two characters of an identity number (province and
/// check digit): `110*************2X`.
pub fn mask_id_number(value: &str) -> String {
    mask_middle(value, 3, 2)
}

/// Keeps only the first character of a name, the family name in most Chinese names: `王**`.
pub fn mask_name(value: &str) -> String {
    mask_middle(value, 1, 0)
}

/// ASCII or full-width digit: citizens type both.
const DIGIT: &str = "[0-9０-９]";

/// Leftmost-first: the identity number before the mobile that could start inside it.
static NUMBERS: LazyLock<Regex> = LazyLock::new(|| {
    let d = DIGIT;
    let id_number = format!("{d}{{17}}[0-9０-９XxＸｘ]");
    let mobile = format!(r"(?:\+?86[- ]?)?[1１][3-9３-９]{d}[- ]?{d}{{4}}[- ]?{d}{{4}}");
    let landline = format!(r"(?:\+?86[- ]?)?\(?[0０]{d}{{2,3}}\)?[- ]?{d}{{7,8}}(?:-{d}{{1,6}})?");
    Regex::new(&format!("{id_number}|{mobile}|{landline}")).expect("the number patterns compile")
});

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// Masks every mainland mobile, landline with area code, and 18-character identity number
/// in `text`. A match inside a longer run of digits (an order number, say) is left alone,
/// but the run is searched again from its next character.
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(found) = NUMBERS.find_at(text, from) {
        let alone = !text[..found.start()]
            .chars()
            .next_back()
            .is_some_and(is_digit)
            && !text[found.end()..].chars().next().is_some_and(is_digit);
        if alone {
            out.push_str(&text[copied..found.start()]);
            out.push_str(&mask_phone(found.as_str()));
            copied = found.end();
            from = found.end();
        } else {
            let first = found.as_str().chars().next().map_or(1, char::len_utf8);
            from = found.start() + first;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// [`redact_text`], and the requester's own name, phone and identity number wherever they
/// appear verbatim (citizens often repeat them in the description).
pub fn redact_text_of(text: &str, requester: &Requester) -> String {
    let mut text = text.to_string();
    // A name of one character would star every occurrence of a common character.
    let name = requester.name.trim();
    if name.chars().count() >= 2 {
        text = text.replace(name, &mask_name(name));
    }
    for (value, masked) in [
        (requester.phone.trim(), mask_phone(requester.phone.trim())),
        (
            requester.id_number.trim(),
            mask_id_number(requester.id_number.trim()),
        ),
    ] {
        if value.chars().count() >= 5 {
            text = text.replace(value, &masked);
        }
    }
    redact_text(&text)
}

/// What `{:?}` shows of a requester: masked, so that a stray debug log cannot leak it.
pub fn fmt_requester(
    f: &mut std::fmt::Formatter<'_>,
    type_name: &str,
    name: &str,
    phone: &str,
    id_number: &str,
    confidential: bool,
) -> std::fmt::Result {
    f.debug_struct(type_name)
        .field("name", &mask_name(name))
        .field("phone", &mask_phone(phone))
        .field("id_number", &mask_id_number(id_number))
        .field("confidential", &confidential)
        .finish()
}

impl std::fmt::Debug for Requester {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fmt_requester(
            f,
            "Requester",
            &self.name,
            &self.phone,
            &self.id_number,
            self.confidential,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_only_their_edges() {
        assert_eq!(mask_phone("13800138000"), "138******00");
        assert_eq!(mask_id_number("11010519491231002X"), "110*************2X");
        assert_eq!(mask_name("王小明"), "王**");
        assert_eq!(mask_name("李"), "*");
        assert_eq!(mask_phone("12"), "**");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn numbers_in_free_text_are_masked() {
        let cases = [
            ("请拨13800138000联系我", "请拨138******00联系我"),
            ("电话 +86 138-0013-8000。", "电话 +86************00。"),
            ("座机025-83001234-801找前台", "座机025***********01找前台"),
            ("(025)83001234", "(02********34"),
            ("身份证11010519491231002X，", "身份证110*************2X，"),
            ("身份证110105194912310021", "身份证110*************21"),
            ("１３８００１３８０００", "１３８******００"),
        ];
        for (text, masked) in cases {
            assert_eq!(redact_text(text), masked, "{text}");
        }
    }

    #[test]
    fn other_numbers_stay() {
        for text in [
            "订单号1238138001380009990",
            "2026年12月1日下午3点",
            "ticket 42 is at version 3",
            "12345热线",
            "",
        ] {
            assert_eq!(redact_text(text), text);
        }
    }

    #[test]
    fn a_number_after_a_longer_run_is_still_found() {
        assert_eq!(
            redact_text("1234567890123456789012 13800138000"),
            "1234567890123456789012 138******00"
        );
    }

    #[test]
    fn the_requesters_own_data_is_masked_in_their_text() {
        let requester = Requester {
            name: "王小明".into(),
            phone: "13800138000".into(),
            id_number: "11010519491231002X".into(),
            confidential: false,
        };
        let text = "我是王小明，电话13800138000，身份证号11010519491231002X。";
        let redacted = redact_text_of(text, &requester);
        assert_eq!(
            redacted,
            "我是王**，电话138******00，身份证号110*************2X。"
        );
        // A one-character name would star every occurrence of that character.
        let short = Requester {
            name: "王".into(),
            ..Requester::default()
        };
        assert_eq!(redact_text_of("王府井", &short), "王府井");
    }

    #[test]
    fn debug_masks_the_requester() {
        let shown = format!(
            "{:?}",
            Requester {
                name: "王小明".into(),
                phone: "13800138000".into(),
                id_number: "11010519491231002X".into(),
                confidential: true,
            }
        );
        assert!(!shown.contains("小明"), "{shown}");
        assert!(!shown.contains("0013800"), "{shown}");
        assert!(!shown.contains("1949"), "{shown}");
        assert!(shown.contains("138******00"), "{shown}");
    }
}
