//! The connection to a running daemon, and how its gRPC errors read on the command line:
//! `error: NOT_FOUND: ticket 9 not found`.

use std::time::Duration;

use anyhow::{Context as _, anyhow};
use tonic::{Code, Status};

use super::args::ClientArgs;
use super::output::Output;
use crate::auth::client::{AuthedChannel, authed};
use crate::proto::{
    call_service_client::CallServiceClient, callback_service_client::CallbackServiceClient,
    center_service_client::CenterServiceClient, dispatch_service_client::DispatchServiceClient,
    feedback_service_client::FeedbackServiceClient, intake_service_client::IntakeServiceClient,
    knowledge_service_client::KnowledgeServiceClient, linkage_service_client::LinkageServiceClient,
    report_service_client::ReportServiceClient,
};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A gRPC status as an error: the canonical code name, then the daemon's message.
#[derive(Debug)]
pub struct RpcError {
    pub code: &'static str,
    pub message: String,
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.message.is_empty() {
            f.write_str(self.code)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

impl std::error::Error for RpcError {}

pub(in crate::cli) fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// An error and its causes on one line; tonic's own Display says only "transport error".
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Layers often repeat their inner error's words; say them once.
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// A connected daemon plus the chosen output format.
pub struct Client {
    channel: AuthedChannel,
    server: String,
    pub output: Output,
}

impl ClientArgs {
    /// Connects to `--server`; `127.0.0.1:50051` without a scheme means plain http.
    pub async fn connect(&self) -> anyhow::Result<Client> {
        let server = if self.server.contains("://") {
            self.server.clone()
        } else {
            format!("http://{}", self.server)
        };
        let endpoint = crate::tls::endpoint(&server, &self.tls())
            .context("--server")?
            .connect_timeout(CONNECT_TIMEOUT);
        let channel = endpoint.connect().await.map_err(|e| {
            anyhow!(
                "cannot reach the hotline daemon at {server} ({}); start one with `hotline serve`, \
                 or point --server / HOTLINE_SERVER at a running one",
                with_causes(&e)
            )
        })?;
        Ok(Client {
            channel: authed(channel, self.token.as_deref())?,
            server,
            output: if self.json {
                Output::Json
            } else {
                Output::Table
            },
        })
    }
}

impl Client {
    pub fn channel(&self) -> AuthedChannel {
        self.channel.clone()
    }

    pub fn intake(&self) -> IntakeServiceClient<AuthedChannel> {
        IntakeServiceClient::new(self.channel())
    }

    pub fn dispatch(&self) -> DispatchServiceClient<AuthedChannel> {
        DispatchServiceClient::new(self.channel())
    }

    pub fn centre(&self) -> CenterServiceClient<AuthedChannel> {
        CenterServiceClient::new(self.channel())
    }

    pub fn feedback(&self) -> FeedbackServiceClient<AuthedChannel> {
        FeedbackServiceClient::new(self.channel())
    }

    pub fn knowledge(&self) -> KnowledgeServiceClient<AuthedChannel> {
        KnowledgeServiceClient::new(self.channel())
    }

    pub fn report(&self) -> ReportServiceClient<AuthedChannel> {
        ReportServiceClient::new(self.channel())
    }

    pub fn calls(&self) -> CallServiceClient<AuthedChannel> {
        CallServiceClient::new(self.channel())
    }

    pub fn linkage(&self) -> LinkageServiceClient<AuthedChannel> {
        LinkageServiceClient::new(self.channel())
    }

    pub fn callbacks(&self) -> CallbackServiceClient<AuthedChannel> {
        CallbackServiceClient::new(self.channel())
    }

    /// The message of an RPC's answer, or an error carrying its code name and message.
    pub fn reply<T>(&self, answer: Result<tonic::Response<T>, Status>) -> anyhow::Result<T> {
        answer
            .map(tonic::Response::into_inner)
            .map_err(|status| self.rpc_error(&status))
    }

    pub fn rpc_error(&self, status: &Status) -> anyhow::Error {
        let mut message = status.message().to_string();
        if status.code() == Code::Unauthenticated {
            message.push_str(
                " (pass a token with --token or HOTLINE_TOKEN; make one with `hotline token create`)",
            );
        }
        if status.code() == Code::Unavailable {
            message.push_str(&format!(
                " (is `hotline serve` still running at {}?)",
                self.server
            ));
        }
        RpcError {
            code: code_name(status.code()),
            message,
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_code_then_message() {
        let error = RpcError {
            code: code_name(Code::FailedPrecondition),
            message: "ticket 4 is closed".into(),
        };
        assert_eq!(
            format!("{:#}", anyhow::Error::from(error)),
            "FAILED_PRECONDITION: ticket 4 is closed"
        );
    }

    #[tokio::test]
    async fn an_absent_daemon_is_named_with_a_hint() {
        // Port 9 (discard) on loopback: nothing listens there in a test environment.
        let args = ClientArgs {
            server: "127.0.0.1:9".into(),
            json: false,
            tls_ca: None,
            tls_cert: None,
            tls_key: None,
            token: None,
        };
        let error = args
            .connect()
            .await
            .err()
            .expect("nothing listens on port 9");
        let text = format!("{error:#}");
        assert!(text.contains("http://127.0.0.1:9"), "{text}");
        assert!(text.contains("hotline serve"), "{text}");
    }
}
