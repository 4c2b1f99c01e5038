//! `hotline health`: asks the daemon's gRPC health service (open without a token unless
//! the daemon runs with --auth-health) whether it serves; exits non-zero if not. What the
//! container image's HEALTHCHECK runs.

use clap::Args;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use super::args::ClientArgs;

#[derive(Debug, Args)]
pub struct HealthCommand {
    #[command(flatten)]
    client: ClientArgs,
    /// A service to ask about (e.g. hotline.v1.IntakeService) instead of the whole daemon.
    #[arg(long, default_value = "")]
    service: String,
}

impl HealthCommand {
    pub async fn run(self) -> anyhow::Result<()> {
        let client = self.client.connect().await?;
        let answer = HealthClient::new(client.channel())
            .check(HealthCheckRequest {
                service: self.service.clone(),
            })
            .await;
        let status = client.reply(answer)?.status;
        let status = ServingStatus::try_from(status).unwrap_or(ServingStatus::Unknown);
        let name = status.as_str_name();
        if matches!(client.output, super::output::Output::Json) {
            say!("{}", serde_json::json!({ "status": name }));
        } else {
            say!("{name}");
        }
        if status == ServingStatus::Serving {
            Ok(())
        } else {
            anyhow::bail!("the daemon reports {name}")
        }
    }
}
