//! gRPC request counts and latencies, measured by a tower layer around every service:
//! `hotline_grpc_requests_total{service,method,code}` and
//! `hotline_grpc_request_duration_seconds{service,method}`.
//!
//! Label values come only from the served API's descriptors: any other path is counted
//! as `unknown`, so a scanner probing random paths cannot grow the label sets. The code is
//! the call's gRPC status: from the response headers when the handler failed at once
//! (trailers-only), else from the trailers at the end of the body, so a stream that fails
//! midway counts as failed and its duration is the stream's whole life. A body dropped
//! before its trailers (the client went away) counts as `CANCELLED`.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use metrics::{counter, histogram};
use prost::Message as _;

pub const REQUESTS: &str = "hotline_grpc_requests_total";
pub const DURATION: &str = "hotline_grpc_request_duration_seconds";

/// Buckets for handler latencies, which are milliseconds when things go well.
pub const DURATION_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Canonical names of the gRPC status codes, by number.
const CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// The `grpc-status` of a header map, as a bounded label value.
fn status_code(headers: &HeaderMap) -> Option<&'static str> {
    let value = headers.get("grpc-status")?;
    let number: usize = value.to_str().ok()?.parse().ok()?;
    Some(CODES.get(number).copied().unwrap_or("UNKNOWN"))
}

/// (service, method) label values of a request path.
type Labels = (&'static str, &'static str);

const UNKNOWN: Labels = ("unknown", "unknown");

/// The served methods, by request path (`/hotline.v1.IntakeService/CreateTicket`).
#[derive(Debug, Clone, Default)]
pub struct KnownMethods(Arc<HashMap<String, Labels>>);

impl KnownMethods {
    /// Every method of every service in the encoded descriptor sets.
    pub fn from_descriptor_sets(sets: &[&[u8]]) -> Self {
        let mut paths = HashMap::new();
        for set in sets {
            let Ok(set) = prost_types::FileDescriptorSet::decode(*set) else {
                tracing::warn!(
                    "an API descriptor set does not decode; its methods count as unknown"
                );
                continue;
            };
            for file in set.file {
                let package = file.package();
                for service in &file.service {
                    let full = if package.is_empty() {
                        service.name().to_string()
                    } else {
                        format!("{package}.{}", service.name())
                    };
                    // Leaked once per method at start: label values must be 'static.
                    let service_label: &'static str = Box::leak(full.clone().into_boxed_str());
                    for method in &service.method {
                        let method_label: &'static str =
                            Box::leak(method.name().to_string().into_boxed_str());
                        paths.insert(
                            format!("/{full}/{}", method.name()),
                            (service_label, method_label),
                        );
                    }
                }
            }
        }
        KnownMethods(Arc::new(paths))
    }

    fn labels(&self, path: &str) -> Labels {
        self.0.get(path).copied().unwrap_or(UNKNOWN)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One call being measured; records itself once, as `CANCELLED` if dropped unfinished.
struct Call {
    labels: Labels,
    start: Instant,
    done: bool,
}

impl Call {
    fn finish(&mut self, code: &'static str) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let (service, method) = self.labels;
        counter!(REQUESTS, "service" => service, "method" => method, "code" => code).increment(1);
        histogram!(DURATION, "service" => service, "method" => method)
            .record(self.start.elapsed().as_secs_f64());
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.finish("CANCELLED");
    }
}

/// The layer to put on the tonic server.
#[derive(Debug, Clone)]
pub struct GrpcMetricsLayer {
    known: KnownMethods,
}

impl GrpcMetricsLayer {
    pub fn new(known: KnownMethods) -> Self {
        GrpcMetricsLayer { known }
    }
}

impl<S> tower::Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetrics {
            inner,
            known: self.known.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct GrpcMetrics<S> {
    inner: S,
    known: KnownMethods,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> tower::Service<http::Request<ReqBody>> for GrpcMetrics<S>
where
    S: tower::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: 'static,
{
    type Response = http::Response<MeteredBody<ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        let mut call = Call {
            labels: self.known.labels(request.uri().path()),
            start: Instant::now(),
            done: false,
        };
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = match response.await {
                Ok(response) => response,
                Err(error) => {
                    call.finish("UNKNOWN");
                    return Err(error);
                }
            };
            // Trailers-only: the handler answered with a status and no message.
            let pending = match status_code(response.headers()) {
                Some(code) => {
                    call.finish(code);
                    None
                }
                None => Some(call),
            };
            Ok(response.map(|inner| MeteredBody {
                inner,
                call: pending,
            }))
        })
    }
}

pin_project_lite::pin_project! {
    /// A response body that records its call when the trailers go by.
    pub struct MeteredBody<B> {
        #[pin]
        inner: B,
        call: Option<Call>,
    }
}

impl<B: Body> Body for MeteredBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let frame = ready!(this.inner.poll_frame(cx));
        let code = match &frame {
            Some(Ok(frame)) => frame
                .trailers_ref()
                .map(|trailers| status_code(trailers).unwrap_or("UNKNOWN")),
            Some(Err(_)) => Some("UNKNOWN"),
            // A gRPC response always ends with trailers; one that does not is broken.
            None => Some("UNKNOWN"),
        };
        if let Some(code) = code
            && let Some(mut call) = this.call.take()
        {
            call.finish(code);
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_methods_are_known_and_others_are_not() {
        let known = KnownMethods::from_descriptor_sets(&[
            crate::proto::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
        ]);
        assert_eq!(
            known.labels("/hotline.v1.IntakeService/CreateTicket"),
            ("hotline.v1.IntakeService", "CreateTicket")
        );
        assert_eq!(
            known.labels("/grpc.health.v1.Health/Check"),
            ("grpc.health.v1.Health", "Check")
        );
        assert_eq!(
            known.labels("/hotline.v1.IntakeService/DropTables"),
            UNKNOWN
        );
        assert_eq!(known.labels("/wp-admin"), UNKNOWN);
    }

    #[test]
    fn status_codes_are_named_and_bounded() {
        let mut headers = HeaderMap::new();
        assert_eq!(status_code(&headers), None);
        headers.insert("grpc-status", "3".parse().unwrap());
        assert_eq!(status_code(&headers), Some("INVALID_ARGUMENT"));
        headers.insert("grpc-status", "0".parse().unwrap());
        assert_eq!(status_code(&headers), Some("OK"));
        headers.insert("grpc-status", "99".parse().unwrap());
        assert_eq!(status_code(&headers), Some("UNKNOWN"));
    }
}
