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
pub mod jobs;
pub mod metrics;
pub mod metrics_deadlines;
pub mod route;
pub mod rules;
pub mod seed;
pub mod server;
pub mod service;
pub mod store;
pub mod synth;
pub mod triage;

/// Code generated from `proto/hotline/v1`.
pub mod proto {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("hotline.v1");

    /// Encoded descriptors of the API, served by gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/hotline_descriptor.bin"));
}
