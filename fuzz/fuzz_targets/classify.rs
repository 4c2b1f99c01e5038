//! Arbitrary request text through normalisation, the classifier and the router with the
//! shipped rules: never a panic, and every match located inside the words it quotes.
//!
//! The check lives in `hotline::fuzz_checks`, so `cargo test` runs it on the corpus too.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hotline::fuzz_checks::classify(data));
