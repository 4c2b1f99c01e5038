//! The requester's SMS answer to a callback survey (短信回访: "回复 1 满意 / 2 基本满意 /
//! 3 不满意"): a digit, the words, or free text with them — full-width, traditional, with
//! a greeting around it. Anything this cannot read with certainty is [`SmsReply::Unclear`]
//! and goes to a person; it is never guessed.
//!
//! Rules, in order:
//! 1. The text is normalised as requests are ([`normalize`]): traditional → simplified,
//!    full-width → half-width, lower case.
//! 2. A lone digit 1, 2 or 3 (not part of a longer number, such as a phone number or a
//!    date) is that option; another lone digit is an option that does not exist: unclear.
//! 3. Each 满意 is read with the words just before it: 基本/还算/比较/还行 → basically
//!    satisfied; 不/不太/不大/不够/不怎么 (also after 很, 非常, 特别) → dissatisfied; a
//!    hedge or a double negation (不是很, 不算, 谈不上, 没有, 没有不…) → unclear; otherwise
//!    satisfied (满意, 很满意, 非常满意). 不满 without 意 is dissatisfied.
//! 4. One verdict, however often it is said, is the answer; two different ones are unclear.
//! 5. Without a verdict, a refusal (拒绝, 不需要回访, 别再发, 勿扰, 退订, "TD") is a
//!    refusal: the callback is declined. Otherwise unclear.

use crate::classify::normalize::normalize;
use crate::domain::Satisfaction;

/// What an SMS answer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsReply {
    /// Satisfied, basically satisfied or dissatisfied (never declined).
    Verdict(Satisfaction),
    /// The requester does not want to be surveyed.
    Refused,
    /// Nothing certain: a person must call.
    Unclear,
}

/// Words before 满意 that hedge or negate it in a way we do not read: unclear.
const HEDGES: [&str; 12] = [
    "不是很",
    "不是太",
    "不是特别",
    "不是非常",
    "不是",
    "不算",
    "谈不上",
    "说不上",
    "并非",
    "没有",
    "没",
    "未",
];
/// Words before 满意 that make it dissatisfied.
const NEGATIONS: [&str; 5] = ["不太", "不大", "不够", "不怎么", "不"];
/// Words before 满意 that make it basically satisfied.
const PARTLY: [&str; 5] = ["基本上", "基本", "还算", "比较", "还行"];
/// Words before a negation that cancel it (没有不满意): unclear.
const DOUBLE_NEGATIONS: [&str; 4] = ["没有", "没", "不是", "并非"];
const REFUSALS: [&str; 9] = [
    "拒绝",
    "不需要回访",
    "不用回访",
    "不接受回访",
    "别再发",
    "不要再发",
    "别再打",
    "勿扰",
    "退订",
];

pub fn parse_sms_reply(text: &str) -> SmsReply {
    let normalized = normalize(text);
    let s = normalized.as_str();
    let mut verdicts: Vec<Satisfaction> = Vec::new();
    let mut unclear = false;

    for option in lone_digits(s) {
        match option {
            '1' => verdicts.push(Satisfaction::Satisfied),
            '2' => verdicts.push(Satisfaction::BasicallySatisfied),
            '3' => verdicts.push(Satisfaction::Dissatisfied),
            _ => unclear = true,
        }
    }
    for (at, _) in s.match_indices("满意") {
        match read_before(&s[..at]) {
            Some(v) => verdicts.push(v),
            None => unclear = true,
        }
    }
    for (at, word) in s.match_indices("不满") {
        if !s[at + word.len()..].starts_with('意') {
            verdicts.push(Satisfaction::Dissatisfied);
        }
    }

    verdicts.dedup();
    verdicts.sort_by_key(|v| v.code());
    verdicts.dedup();
    match verdicts.as_slice() {
        _ if unclear => SmsReply::Unclear,
        [one] => SmsReply::Verdict(*one),
        [] if REFUSALS.iter().any(|r| s.contains(r)) || s.trim() == "td" => SmsReply::Refused,
        _ => SmsReply::Unclear,
    }
}

/// The verdict of one 满意 from the text before it; `None`: hedged or doubly negated.
fn read_before(before: &str) -> Option<Satisfaction> {
    let before = before.trim_end();
    if HEDGES.iter().any(|h| before.ends_with(h)) {
        return None;
    }
    // 很不满意, 非常不满意: the intensifier sits before the negation and changes nothing.
    if let Some(negation) = NEGATIONS.iter().find(|n| before.ends_with(*n)) {
        let rest = before[..before.len() - negation.len()]
            .trim_end_matches(['很', '太', '非', '常', '特', '别', '十', '分', '都']);
        if DOUBLE_NEGATIONS.iter().any(|d| rest.ends_with(d)) {
            return None;
        }
        return Some(Satisfaction::Dissatisfied);
    }
    if PARTLY.iter().any(|p| before.ends_with(p)) {
        return Some(Satisfaction::BasicallySatisfied);
    }
    Some(Satisfaction::Satisfied)
}

/// Digits standing alone (a longer run of digits is a number, not an option).
fn lone_digits(s: &str) -> Vec<char> {
    let chars: Vec<char> = s.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 1 {
                found.push(chars[start]);
            }
        } else {
            i += 1;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use Satisfaction::*;

    fn verdict(text: &str) -> SmsReply {
        parse_sms_reply(text)
    }

    #[test]
    fn digits_pick_the_option() {
        assert_eq!(verdict("1"), SmsReply::Verdict(Satisfied));
        assert_eq!(verdict("2"), SmsReply::Verdict(BasicallySatisfied));
        assert_eq!(verdict("3"), SmsReply::Verdict(Dissatisfied));
        assert_eq!(verdict(" 3 "), SmsReply::Verdict(Dissatisfied));
    }

    #[test]
    fn full_width_digits_count() {
        assert_eq!(verdict("２"), SmsReply::Verdict(BasicallySatisfied));
        assert_eq!(verdict("回复１"), SmsReply::Verdict(Satisfied));
    }

    #[test]
    fn the_words_alone() {
        assert_eq!(verdict("满意"), SmsReply::Verdict(Satisfied));
        assert_eq!(verdict("非常满意"), SmsReply::Verdict(Satisfied));
        assert_eq!(verdict("很满意！"), SmsReply::Verdict(Satisfied));
        assert_eq!(verdict("基本满意"), SmsReply::Verdict(BasicallySatisfied));
        assert_eq!(verdict("还算满意吧"), SmsReply::Verdict(BasicallySatisfied));
        assert_eq!(verdict("不满意"), SmsReply::Verdict(Dissatisfied));
        assert_eq!(verdict("很不满意"), SmsReply::Verdict(Dissatisfied));
        assert_eq!(verdict("非常不满意"), SmsReply::Verdict(Dissatisfied));
        assert_eq!(verdict("不太满意"), SmsReply::Verdict(Dissatisfied));
        assert_eq!(verdict("基本不满意"), SmsReply::Verdict(Dissatisfied));
        assert_eq!(verdict("很不满，没人管"), SmsReply::Verdict(Dissatisfied));
    }

    #[test]
    fn traditional_characters() {
        assert_eq!(verdict("滿意"), SmsReply::Verdict(Satisfied));
        assert_eq!(verdict("不滿意"), SmsReply::Verdict(Dissatisfied));
        assert_eq!(
            verdict("基本滿意，謝謝"),
            SmsReply::Verdict(BasicallySatisfied)
        );
    }

    #[test]
    fn digit_and_words_together() {
        assert_eq!(verdict("2 基本满意"), SmsReply::Verdict(BasicallySatisfied));
        assert_eq!(verdict("1满意"), SmsReply::Verdict(Satisfied));
        assert_eq!(
            verdict("3，不满意，路灯还是不亮"),
            SmsReply::Verdict(Dissatisfied)
        );
        assert_eq!(verdict("回复1，谢谢"), SmsReply::Verdict(Satisfied));
        assert_eq!(verdict("满意满意，非常满意"), SmsReply::Verdict(Satisfied));
    }

    #[test]
    fn contradictions_are_unclear() {
        assert_eq!(verdict("1 不满意"), SmsReply::Unclear);
        assert_eq!(verdict("1 2"), SmsReply::Unclear);
        assert_eq!(verdict("满意，但也不满意"), SmsReply::Unclear);
    }

    #[test]
    fn hedges_and_double_negations_are_unclear() {
        assert_eq!(verdict("不是很满意"), SmsReply::Unclear);
        assert_eq!(verdict("谈不上满意"), SmsReply::Unclear);
        assert_eq!(verdict("没有不满意"), SmsReply::Unclear);
        assert_eq!(verdict("没有很不满意"), SmsReply::Unclear);
        assert_eq!(verdict("不算满意"), SmsReply::Unclear);
    }

    #[test]
    fn numbers_are_not_options() {
        assert_eq!(verdict("13800138000"), SmsReply::Unclear);
        assert_eq!(verdict("请打13800138000找我"), SmsReply::Unclear);
        assert_eq!(verdict("4"), SmsReply::Unclear);
        assert_eq!(verdict("5 满意"), SmsReply::Unclear);
    }

    #[test]
    fn refusals_without_a_verdict() {
        assert_eq!(verdict("拒绝回访"), SmsReply::Refused);
        assert_eq!(verdict("不需要回访，别再发了"), SmsReply::Refused);
        assert_eq!(verdict("TD"), SmsReply::Refused);
        assert_eq!(verdict("退订"), SmsReply::Refused);
        // A verdict given with a refusal is still a verdict.
        assert_eq!(verdict("不满意，别再发了"), SmsReply::Verdict(Dissatisfied));
    }

    #[test]
    fn anything_else_needs_a_person() {
        assert_eq!(verdict(""), SmsReply::Unclear);
        assert_eq!(verdict("好的"), SmsReply::Unclear);
        assert_eq!(verdict("谁啊？"), SmsReply::Unclear);
        assert_eq!(verdict("还行"), SmsReply::Unclear);
    }
}
