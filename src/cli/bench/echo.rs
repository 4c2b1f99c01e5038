//! `echo`: DiagnosticsService.Echo, the gRPC stack's own cost (the baseline).

use std::time::Instant;

use crate::auth::client::AuthedChannel;

use super::record::Record;
use super::report::Report;
use super::runner::{Client, Flow};
use super::{BenchLoadArgs, Run};
use crate::proto::{EchoRequest, diagnostics_service_client::DiagnosticsServiceClient};

struct Echoer {
    client: DiagnosticsServiceClient<AuthedChannel>,
    payload: Vec<u8>,
}

impl Client for Echoer {
    async fn step(&mut self, record: &mut Record) -> Flow {
        let started = Instant::now();
        let answer = self
            .client
            .echo(EchoRequest {
                payload: self.payload.clone(),
            })
            .await;
        let elapsed = started.elapsed();
        match answer {
            Ok(reply) if reply.get_ref().payload != self.payload => {
                record.failed("Echo", elapsed, "MISMATCH", "the payload came back changed");
            }
            answer => {
                record.call("Echo", started, answer);
            }
        }
        Flow::Continue
    }
}

/// Bytes like those of a real call: the text of a synthetic request, repeated to size.
fn payload(run: &Run, bytes: usize) -> Vec<u8> {
    let text = run
        .generator(0, "echo")
        .next_request()
        .description
        .into_bytes();
    text.iter().copied().cycle().take(bytes).collect()
}

pub async fn run(run: &Run, args: &BenchLoadArgs) -> anyhow::Result<Report> {
    let payload = payload(run, args.payload_bytes as usize);
    let clients = (0..run.concurrency)
        .map(|i| Echoer {
            client: DiagnosticsServiceClient::new(run.target.channel(i)),
            payload: payload.clone(),
        })
        .collect();
    let (done, spent) = run.clock(clients, args).await?;
    let mut report = run.report(args, &done.record, done.elapsed, spent.as_ref());
    report.extra("payload_bytes", payload.len());
    Ok(report)
}
