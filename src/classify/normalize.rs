//! Text normalisation before any matching: traditional → simplified Chinese, full-width →
//! half-width, lower case, folded whitespace (a run becomes one space, or one line break). Rules and requests go through the same
//! function, so 「訴訟」, 「诉讼」 and ｆｕｌｌ－ｗｉｄｔｈ meet the same rules.
//!
//! The normalised text keeps, for every char it contains, the char range of the ORIGINAL
//! text it came from: explanation spans are shown to agents in the words the caller used.

use std::ops::Range;

use zhconv::{Variant, get_builtin_converter};

/// Normalised text plus the way back to the original.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalized {
    text: String,
    /// For each byte offset of `text` that starts a char: the original char range it came
    /// from. Other byte offsets hold the range of the char they are inside.
    origin: Vec<(u32, u32)>,
    original_chars: u32,
}

impl Normalized {
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The original char range behind a byte range of the normalised text.
    pub fn original_chars(&self, bytes: Range<usize>) -> Range<usize> {
        if bytes.start >= bytes.end || bytes.start >= self.text.len() {
            let at = self.original_chars as usize;
            return at..at;
        }
        let start = self.origin[bytes.start].0;
        let end = self.origin[bytes.end.min(self.text.len()) - 1].1;
        start as usize..end as usize
    }
}

/// Normalises `original`. Never fails; unknown characters pass through unchanged.
pub fn normalize(original: &str) -> Normalized {
    let converter = get_builtin_converter(Variant::ZhHans);
    normalize_with(original, |text| converter.convert(text))
}

/// Normalisation with a given traditional → simplified conversion (a seam for tests).
fn normalize_with(original: &str, simplify: impl Fn(&str) -> String) -> Normalized {
    let mut out = Normalized {
        text: String::with_capacity(original.len()),
        origin: Vec::with_capacity(original.len()),
        original_chars: 0,
    };
    let simplified = simplify(original);
    let original_count = original.chars().count();
    out.original_chars = original_count as u32;
    if simplified.chars().count() == original_count {
        // The usual case (the zh-Hans table maps char for char): the i-th chars correspond.
        for (i, c) in simplified.chars().enumerate() {
            push_folded(&mut out, c, i as u32);
        }
    } else {
        // A word-level conversion changed the length: convert char by char instead, so
        // each output char still knows its source char.
        let mut buffer = [0u8; 4];
        for (i, c) in original.chars().enumerate() {
            for s in simplify(c.encode_utf8(&mut buffer)).chars() {
                push_folded(&mut out, s, i as u32);
            }
        }
    }
    out
}

/// Folds width, case and whitespace of one char that came from original char `at`.
fn push_folded(out: &mut Normalized, c: char, at: u32) {
    let origin = (at, at + 1);
    if c.is_whitespace() {
        // A run of whitespace becomes one space that covers the whole run, or one line
        // break if the run breaks a line (line breaks end sentences for the cues).
        let newline = matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}');
        if out.text.ends_with([' ', '\n']) {
            let last = out.text.len() - 1;
            out.origin[last].1 = at + 1;
            if newline {
                out.text.pop();
                out.text.push('\n');
            }
        } else {
            push(out, if newline { '\n' } else { ' ' }, origin);
        }
        return;
    }
    let c = half_width(c);
    if c.is_uppercase() {
        for lower in c.to_lowercase() {
            push(out, lower, origin);
        }
    } else {
        push(out, c, origin);
    }
}

fn push(out: &mut Normalized, c: char, origin: (u32, u32)) {
    out.text.push(c);
    for _ in 0..c.len_utf8() {
        out.origin.push(origin);
    }
}

/// Full-width ASCII forms (U+FF01–U+FF5E) to ASCII.
fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn original_slice(original: &str, chars: Range<usize>) -> String {
        original
            .chars()
            .skip(chars.start)
            .take(chars.len())
            .collect()
    }

    #[test]
    fn traditional_and_simplified_meet() {
        assert_eq!(normalize("訴訟").as_str(), "诉讼");
        assert_eq!(normalize("诉讼").as_str(), "诉讼");
        assert_eq!(normalize("勞動仲裁").as_str(), "劳动仲裁");
        assert_eq!(normalize("噪音擾民").as_str(), "噪音扰民");
    }

    #[test]
    fn full_width_folds_to_ascii_and_lower_case() {
        assert_eq!(normalize("ＡＢＣ１２３，！").as_str(), "abc123,!");
        assert_eq!(normalize("ｆｕｌｌ－ｗｉｄｔｈ").as_str(), "full-width");
        assert_eq!(normalize("APP").as_str(), "app");
    }

    #[test]
    fn whitespace_runs_fold_to_one_space_or_line_break() {
        assert_eq!(
            normalize("停\u{3000}\u{3000}水  了\r\n\t啊").as_str(),
            "停 水 了\n啊"
        );
    }

    #[test]
    fn a_conversion_that_changes_length_still_maps_back() {
        let widen = |text: &str| text.replace('乾', "干干");
        let original = "乾淨的ＡＢ";
        let n = normalize_with(original, widen);
        assert_eq!(n.as_str(), "干干淨的ab");
        assert_eq!(n.original_chars(0..6), 0..1);
        let at = n.as_str().find("的").unwrap();
        assert_eq!(n.original_chars(at..n.as_str().len()), 2..5);
    }

    #[test]
    fn spans_point_into_the_original() {
        let original = "我要\u{3000}\u{3000}投訴ＡＢＣ公司";
        let n = normalize(original);
        assert_eq!(n.as_str(), "我要 投诉abc公司");
        let start = n.as_str().find("投诉").unwrap();
        let chars = n.original_chars(start..start + "投诉abc".len());
        assert_eq!(original_slice(original, chars), "投訴ＡＢＣ");
        let space = n.as_str().find(' ').unwrap();
        assert_eq!(n.original_chars(space..space + 1), 2..4);
        assert_eq!(n.original_chars(3..3), 11..11);
    }
}
