//! Arbitrary text as `config/rules.toml`: refused with an error or compiled; a rule set
//! that compiles classifies the sample requests without a panic.

#![no_main]

use hotline::classify::{Classifier, ClassifyInput};
use hotline_fuzz::SAMPLE_TEXTS;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
});
