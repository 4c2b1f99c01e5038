//! Any gRPC client can find the API: standard health checking and server reflection.

mod common;

use common::server::{Backend, TestServer};
use hotline::proto::{EchoRequest, diagnostics_service_client::DiagnosticsServiceClient};
use tokio_stream::StreamExt;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

#[tokio::test]
async fn health_reports_every_service_serving() {
    let server = TestServer::start(Backend::Sqlite).await;
    let mut health = HealthClient::new(server.channel.clone());
    for service in [
        "",
        "hotline.v1.IntakeService",
        "hotline.v1.DispatchService",
        "hotline.v1.CenterService",
        "hotline.v1.FeedbackService",
        "hotline.v1.ReportService",
        "hotline.v1.KnowledgeService",
        "hotline.v1.DiagnosticsService",
        "hotline.v1.CallService",
        "hotline.v1.CallbackService",
    ] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap_or_else(|e| panic!("health of `{service}`: {e}"))
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "`{service}`");
    }
    server.stop().await;
}

#[tokio::test]
async fn reflection_lists_and_describes_the_api() {
    let server = TestServer::start(Backend::Sqlite).await;
    let mut reflection = ServerReflectionClient::new(server.channel.clone());
    let requests = tokio_stream::iter([
        ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        },
        ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(
                "hotline.v1.DispatchService".into(),
            )),
        },
    ]);
    let mut responses = reflection
        .server_reflection_info(requests)
        .await
        .unwrap()
        .into_inner();

    let Some(MessageResponse::ListServicesResponse(list)) =
        responses.next().await.unwrap().unwrap().message_response
    else {
        panic!("expected a service list");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "hotline.v1.IntakeService",
        "hotline.v1.ReportService",
        "hotline.v1.KnowledgeService",
        "hotline.v1.DiagnosticsService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    let Some(MessageResponse::FileDescriptorResponse(files)) =
        responses.next().await.unwrap().unwrap().message_response
    else {
        panic!("expected file descriptors");
    };
    assert!(!files.file_descriptor_proto.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn echo_answers_with_its_payload_through_the_metrics_layer() {
    let server = TestServer::start(Backend::Sqlite).await;
    let mut diagnostics = DiagnosticsServiceClient::new(server.channel.clone());
    let payload = "路灯不亮".repeat(100).into_bytes();
    let echoed = diagnostics
        .echo(EchoRequest {
            payload: payload.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(echoed.payload, payload);
    let metrics = server.metrics_text().await;
    assert!(
        metrics.contains("service=\"hotline.v1.DiagnosticsService\""),
        "{metrics}"
    );
    server.stop().await;
}
