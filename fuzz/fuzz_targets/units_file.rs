//! Arbitrary text as `config/units.toml`: refused with an error or loaded; a catalogue
//! that loads answers look-ups, and the shipped routing and deadlines are checked against
//! it (refused or accepted, never a panic).
//!
//! The check lives in `hotline::fuzz_checks`, so `cargo test` runs it on the corpus too.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hotline::fuzz_checks::units_file(data));
