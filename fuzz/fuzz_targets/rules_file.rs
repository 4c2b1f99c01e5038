//! Arbitrary text as `config/rules.toml`: refused with an error or compiled; a rule set
//! that compiles classifies the sample requests without a panic.
//!
//! The check lives in `hotline::fuzz_checks`, so `cargo test` runs it on the corpus too.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hotline::fuzz_checks::rules_file(data));
