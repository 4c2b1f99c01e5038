//! Arbitrary bytes as a CreateTicketRequest, through the checks, conversion, triage and
//! intake outcome CreateTicket applies (`service::create_ticket`), without a server: every
//! refusal is a precise status, every acceptance a ticket the API can answer with.
//!
//! The check lives in `hotline::fuzz_checks`, so `cargo test` runs it on the corpus too.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hotline::fuzz_checks::create_request(data));
