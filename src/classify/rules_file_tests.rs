//! Every kind of mistake in a rules file is refused with its line and key.

use super::*;

const HEAD: &str = r#"version = "1"
[cues]
negation = ["不是"]
negation_window = 6
reported_window = 15
moved_on_window = 8
clause_breaks = "，"
sentence_breaks = "。"
"#;

/// Lines of HEAD, so that rule lines in the tests read as their own line numbers.
fn head_lines() -> usize {
    HEAD.lines().count()
}

fn parse_rules(rules: &str) -> Result<RuleSet, ConfigError> {
    parse("rules.toml", &format!("{HEAD}{rules}"))
}

/// Asserts the error's line (counted within `rules`), key and a part of its message.
fn assert_error(rules: &str, line: usize, key: &str, message: &str) {
    let e = parse_rules(rules).expect_err("should be refused");
    assert_eq!(e.source_name, "rules.toml");
    assert_eq!(e.line, Some(head_lines() + line), "line of {e}");
    assert_eq!(e.key, key, "key of {e}");
    assert!(e.message.contains(message), "message of {e}");
}

const GOOD: &str = r#"
[[rule]]
id = "sue"
family = "legal_channel"
priority = 600
channel = "litigation"
advice = "请向法院起诉"
keywords = ["訴訟", "ＡＢＣ"]
phrases = ["法院+执行"]
patterns = ['起诉\d+次']
"#;

#[test]
fn a_good_rule_is_normalised() {
    let set = parse_rules(GOOD).unwrap();
    let rule = &set.rules[0];
    assert_eq!(rule.keywords, ["诉讼", "abc"]);
    assert_eq!(rule.phrases, [vec!["法院".to_string(), "执行".to_string()]]);
    assert_eq!(rule.priority, 600);
    assert!(rule.guards.negation && rule.guards.reported && !rule.guards.moved_on);
    assert_eq!(set.cues.clause_breaks, [',', '。']);
}

#[test]
fn impossible_priority() {
    let rules =
        "\n[[rule]]\nid = \"x\"\nfamily = \"repeat\"\npriority = 1200\nkeywords = [\"催办\"]\n";
    assert_error(rules, 5, "rule `x`.priority", "impossible priority 1200");
    let negative = rules.replace("1200", "-1");
    assert_error(&negative, 5, "rule `x`.priority", "impossible priority -1");
}

#[test]
fn bad_regex_names_its_own_line() {
    let rules =
        "\n[[rule]]\nid = \"x\"\nfamily = \"repeat\"\npatterns = [\n  'ok',\n  '(unclosed',\n]\n";
    assert_error(
        rules,
        7,
        "rule `x`.patterns",
        "bad regular expression `(unclosed`",
    );
}

#[test]
fn unknown_topic_and_enum_values() {
    let topic =
        "\n[[rule]]\nid = \"x\"\nfamily = \"topic\"\ntopic = \"rockets\"\nkeywords = [\"火箭\"]\n";
    assert_error(topic, 5, "rule `x`.topic", "unknown topic `rockets`");
    let line = "\n[[rule]]\nid = \"x\"\nfamily = \"emergency\"\nline = \"police_999\"\nkeywords = [\"a\"]\n";
    assert_error(line, 5, "rule `x`.line", "unknown value `police_999`");
    let family = "\n[[rule]]\nid = \"x\"\nfamily = \"magic\"\nkeywords = [\"a\"]\n";
    assert_error(family, 4, "rule `x`.family", "unknown value `magic`");
    let defaults = "\n[defaults]\nrequest_type = \"rant\"\nurgency = \"general\"\n";
    assert_error(defaults, 3, "defaults.request_type", "unknown value `rant`");
}

#[test]
fn duplicate_ids() {
    let rules = "\n[[rule]]\nid = \"x\"\nfamily = \"repeat\"\nkeywords = [\"a\"]\n\n[[rule]]\nid = \"x\"\nfamily = \"repeat\"\nkeywords = [\"b\"]\n";
    assert_error(rules, 8, "rule `x`.id", "duplicate rule id");
}

#[test]
fn empty_match_spec_and_empty_words() {
    let empty = "\n[[rule]]\nid = \"x\"\nfamily = \"repeat\"\n";
    assert_error(empty, 2, "rule `x`.keywords", "empty match spec");
    let blank = "\n[[rule]]\nid = \"x\"\nfamily = \"repeat\"\nkeywords = [\"a\", \"\"]\n";
    assert_error(blank, 5, "rule `x`.keywords", "empty word");
    let one_part = "\n[[rule]]\nid = \"x\"\nfamily = \"repeat\"\nphrases = [\"法院\"]\n";
    assert_error(one_part, 5, "rule `x`.phrases", "at least two parts");
}

#[test]
fn effect_fields_must_fit_the_family() {
    let missing = "\n[[rule]]\nid = \"x\"\nfamily = \"legal_channel\"\nchannel = \"litigation\"\nkeywords = [\"a\"]\n";
    assert_error(
        missing,
        4,
        "rule `x`.advice",
        "required for family legal_channel",
    );
    let foreign = "\n[[rule]]\nid = \"x\"\nfamily = \"utility\"\nutility = \"water\"\ntopic = \"prices\"\nkeywords = [\"a\"]\n";
    assert_error(
        foreign,
        6,
        "rule `x`.topic",
        "not allowed for family utility",
    );
    let weight = "\n[[rule]]\nid = \"x\"\nfamily = \"repeat\"\nweight = 2\nkeywords = [\"a\"]\n";
    assert_error(weight, 5, "rule `x`.weight", "only topic rules");
}

#[test]
fn bad_ids_guards_and_unknown_keys() {
    let id = "\n[[rule]]\nid = \"Big Id\"\nfamily = \"repeat\"\nkeywords = [\"a\"]\n";
    assert_error(id, 3, "rule.id", "not a valid id");
    let guard =
        "\n[[rule]]\nid = \"x\"\nfamily = \"repeat\"\nkeywords = [\"a\"]\nguards = [\"sarcasm\"]\n";
    assert_error(guard, 6, "rule `x`.guards", "unknown guard `sarcasm`");
    let unknown =
        "\n[[rule]]\nid = \"x\"\nfamily = \"repeat\"\nkeywords = [\"a\"]\ncolour = \"red\"\n";
    let e = parse_rules(unknown).unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (Some(head_lines() + 6), "toml"));
    assert!(e.message.contains("colour"), "{e}");
}

#[test]
fn cue_and_scoring_limits() {
    let text = HEAD.replace("negation_window = 6", "negation_window = 500");
    let e = parse("rules.toml", &text).unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (Some(4), "cues.negation_window"));
    let scoring = "\n[scoring]\ntitle_weight = 20.0\nrepeat_weight = 0.5\nconfident_score = 2.0\nconfident_margin = 1.5\n";
    assert_error(scoring, 3, "scoring.title_weight", "outside");
    let e = parse("rules.toml", "version = \"  \"\n[cues]\n").unwrap_err();
    assert_eq!(e.key, "toml", "a missing cue field is a shape error: {e}");
    let text = HEAD.replace("version = \"1\"", "version = \" \"");
    let e = parse("rules.toml", &text).unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (Some(1), "version"));
}

#[test]
fn syntax_errors_carry_a_line() {
    let e = parse_rules("\n[[rule]\nid = 1\n").unwrap_err();
    assert_eq!(e.key, "toml");
    assert_eq!(e.line, Some(head_lines() + 2));
    assert!(e.to_string().starts_with("rules.toml:"), "{e}");
}
