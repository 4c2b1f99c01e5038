//! Personal data in tables (domain brief §8): phones and ID numbers are always masked,
//! names too when the requester asked for confidentiality. `--json` carries the real
//! values, because scripts need them.

use crate::domain::validate::{mask_middle, mask_phone};
use crate::proto;

/// 18-character resident ID: the first three and last two characters stay, like phones.
pub fn id_number(value: &str) -> String {
    mask_middle(value, 3, 2)
}

/// A confidential requester's name keeps only its first character (张**).
fn name(value: &str, confidential: bool) -> String {
    if confidential {
        mask_middle(value, 1, 0)
    } else {
        value.to_string()
    }
}

/// One line about the requester for a table: `王五 138******00 ID 110*************1X (confidential)`.
pub fn requester(requester: &proto::Requester) -> String {
    let mut parts = Vec::new();
    if !requester.name.is_empty() {
        parts.push(name(&requester.name, requester.confidential));
    }
    if !requester.phone.is_empty() {
        parts.push(mask_phone(&requester.phone));
    }
    if !requester.id_number.is_empty() {
        parts.push(format!("ID {}", id_number(&requester.id_number)));
    }
    if requester.confidential {
        parts.push("(confidential 保密)".to_string());
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_personal_survives() {
        let shown = requester(&proto::Requester {
            name: "王小明".into(),
            phone: "13800138000".into(),
            id_number: "11010519491231002X".into(),
            confidential: true,
        });
        assert_eq!(
            shown,
            "王** 138******00 ID 110*************2X (confidential 保密)"
        );
        assert!(!shown.contains("0013800"));
        assert!(!shown.contains("小明"));
    }

    #[test]
    fn short_values_are_fully_masked() {
        assert_eq!(id_number("12"), "**");
        assert_eq!(name("李", true), "*");
    }
}
