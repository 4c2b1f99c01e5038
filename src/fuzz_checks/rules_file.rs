//! Arbitrary text as `config/rules.toml`: refused with an error or compiled; a rule set
//! that compiles classifies the sample requests without a panic.

use super::SAMPLE_TEXTS;
use crate::classify::{Classifier, ClassifyInput};

/// The `rules_file` fuzz target's check of one input.
pub fn rules_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let classifier = match Classifier::from_toml("fuzz/rules.toml", text) {
        Ok(classifier) => classifier,
        Err(error) => {
            // The error names the file; the daemon logs and returns it.
            assert!(error.to_string().starts_with("fuzz/rules.toml"));
            return;
        }
    };
    for description in SAMPLE_TEXTS {
        let _ = classifier.classify(&ClassifyInput {
            title: "",
            description,
        });
    }
}
