//! The client side of the admin endpoint, for `webhook outbox --admin <addr>`.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;

use super::Op;
use crate::http_client::HttpClient;

/// How long connecting to the admin endpoint may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends `op` to the admin endpoint at `addr` (with its bearer `token`, if
/// it has one) and returns its JSON answer; any status but 200 is an error
/// carrying the endpoint's reason.
pub async fn request(
    addr: SocketAddr,
    token: Option<&str>,
    op: &Op,
) -> Result<serde_json::Value, String> {
    let body = serde_json::to_vec(op).map_err(|e| format!("cannot encode the command: {e}"))?;
    let mut request = hyper::Request::post(format!("http://{addr}/outbox"))
        .header(hyper::header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("cannot build a request to {addr}: {e}"))?;
    let client = HttpClient::new(&[], CONNECT_TIMEOUT)?;
    let response = client
        .send(request, "the admin endpoint")
        .await
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&response.body);
    let answer: serde_json::Value = serde_json::from_str(&text).map_err(|_| {
        format!(
            "the admin endpoint answered {} with: {text}",
            response.status
        )
    })?;
    if response.status != 200 {
        return Err(format!(
            "the admin endpoint answered {}: {answer}",
            response.status
        ));
    }
    Ok(answer)
}
