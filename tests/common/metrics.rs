//! Reading a daemon's `/metrics`: fetch the Prometheus text and look samples up by name
//! and labels.

use std::net::SocketAddr;

use hotline::metrics::exposition;

/// The body of `GET /metrics`.
pub async fn scrape(addr: SocketAddr) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("metrics listener");
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.contains(" 200 "), "{head}");
    body.to_string()
}

/// The value of the sample with exactly these labels, if exported; a scrape that is not
/// well-formed fails the test.
pub fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let samples = exposition::samples(text).unwrap_or_else(|e| panic!("{e}"));
    exposition::find(&samples, name, labels)
}

/// The value, 0 when the series does not exist yet (a counter never incremented).
pub fn counter(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    value(text, name, labels).unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_never_incremented_is_zero() {
        assert_eq!(counter("hotline_up 1\n", "hotline_missing", &[]), 0.0);
    }
}
