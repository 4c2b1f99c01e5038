//! Arbitrary text as `config/deadlines.toml`, with the shipped units' regions: refused
//! with an error or loaded; a policy that loads takes a ticket of every tier through
//! dispatch, signing, an extension request and its warnings without a panic.
//!
//! The check lives in `hotline::fuzz_checks`, so `cargo test` runs it on the corpus too.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hotline::fuzz_checks::deadlines_file(data));
