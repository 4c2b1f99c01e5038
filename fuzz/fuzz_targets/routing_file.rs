//! Arbitrary text as `config/routing.toml`, checked against the shipped units: refused
//! with an error or loaded; a catalogue that loads routes every topic without a panic.
//!
//! The check lives in `hotline::fuzz_checks`, so `cargo test` runs it on the corpus too.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hotline::fuzz_checks::routing_file(data));
