//! `hotline`: the ticket flow of a merged 12345 government service hotline.
//!
//! Data flows top to bottom: [`service`] receives a gRPC request → [`domain`] decides the
//! transition and its event → [`store`] persists ticket row and event in one transaction →
//! [`metrics`] observe what was committed. Nothing below `service` knows about protobuf;
//! nothing in `domain` does I/O.

pub mod auth;
pub mod classify;
pub mod cli;
pub mod config;
pub mod domain;
/// The fuzz targets' property checks, shared with `tests/fuzz_smoke.rs`; not an API.
#[doc(hidden)]
pub mod fuzz_checks;
pub mod jobs;
pub mod knowledge;
pub mod metrics;
pub mod metrics_deadlines;
pub mod route;
pub mod rules;
pub mod seed;
pub mod server;
pub mod service;
pub mod store;
pub mod synth;
pub mod tls;
pub mod triage;

/// Code generated from `proto/hotline/v1`.
pub mod proto {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("hotline.v1");

    /// Encoded descriptors of the API, served by gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/hotline_descriptor.bin"));

    // build.rs skips the derived Debug: a request logged with `{:?}` shows these masked.
    impl std::fmt::Debug for Requester {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            crate::domain::pii::fmt_requester(
                f,
                "Requester",
                &self.name,
                &self.phone,
                &self.id_number,
                self.confidential,
            )
        }
    }
}
