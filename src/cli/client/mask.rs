//! Personal data in tables (domain brief §8): phones and ID numbers are always masked,
//! names too when the requester asked for confidentiality. `--json` carries the real
//! values, because scripts need them.
//! The masking itself is the domain's ([`crate::domain::pii`]); this decides what to mask.

use crate::domain::pii::{mask_id_number, mask_name, mask_phone};
use crate::proto;

/// A confidential requester's name keeps only its first character (张**); agents see the
/// name of the others, as they do on the phone.
fn name(value: &str, confidential: bool) -> String {
    if confidential {
        mask_name(value)
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
        parts.push(format!("ID {}", mask_id_number(&requester.id_number)));
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
        assert_eq!(name("李", true), "*");
    }
}
