//! What every admin request must show: the endpoint's own address in `Host`
//! (which keeps out pages that rebind a domain to loopback) and, with
//! `--admin-token`, the bearer token. The outbox commands and the request
//! inspector both check it (see [`super::server`] for why).

use std::net::SocketAddr;

use warp::http::{header, HeaderMap};

use crate::error::AppError;
use crate::secret::Secret;

/// What every admin request must show.
#[derive(Debug, Clone)]
pub struct Guard {
    /// The address the endpoint listens on (the only `Host` it answers to,
    /// with `localhost:<port>`).
    pub addr: SocketAddr,
    /// The bearer token required, if any.
    pub token: Option<Secret>,
}

impl Guard {
    /// Checks `Host` and the token; an error says what is wrong.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), AppError> {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let port = self.addr.port();
        let allowed = [self.addr.to_string(), format!("localhost:{port}")];
        if !allowed.contains(&host) {
            return Err(AppError::Forbidden(format!(
                "the admin endpoint answers to Host {} or localhost:{port} only, not `{host}`",
                self.addr
            )));
        }
        if let Some(token) = &self.token {
            let given = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or_default();
            if !constant_time_eq(given.as_bytes(), token.expose().as_bytes()) {
                return Err(AppError::Unauthorized(
                    "the admin endpoint needs `Authorization: Bearer <its --admin-token>`".into(),
                ));
            }
        }
        Ok(())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
