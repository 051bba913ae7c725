//! The gRPC transport: `CreateProcessInstance` and `PublishMessage` of
//! Zeebe's `gateway.proto` (our subset is `webhook/proto/gateway.proto`),
//! over plaintext HTTP/2 or TLS.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tonic::metadata::MetadataValue;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

use super::auth::Authorizer;
use super::proto::gateway_client::GatewayClient;
use super::proto::{CreateProcessInstanceRequest, PublishMessageRequest};
use super::{
    retry, ttl_millis, Command, DispatchError, DispatchFuture, Dispatcher, Outcome, StatusCode,
};

/// Sends commands to a Zeebe gateway over gRPC.
///
/// Built by [`ZeebeSettings::build_dispatcher`](super::ZeebeSettings::build_dispatcher).
/// The connection is opened lazily on the first call and re-established by
/// tonic when it breaks, so the service starts even while Zeebe is down.
#[derive(Debug, Clone)]
pub struct GrpcDispatcher {
    client: GatewayClient<Channel>,
    auth: Option<Arc<Authorizer>>,
    address: String,
    timeout: Duration,
    backpressure_retries: u32,
}

impl GrpcDispatcher {
    /// A dispatcher for `address` (`http://host:port` = plaintext,
    /// `https://host:port` = TLS with the compiled-in web roots plus
    /// `extra_ca_pem`). Must be called inside a Tokio runtime.
    pub(crate) fn new(
        address: &str,
        extra_ca_pem: Option<&[u8]>,
        auth: Option<Arc<Authorizer>>,
        timeout: Duration,
        connect_timeout: Duration,
        backpressure_retries: u32,
    ) -> Result<Self, String> {
        let mut endpoint = Endpoint::from_shared(address.to_owned())
            .map_err(|err| format!("the gRPC address {address:?} is not a valid URI: {err}"))?
            .connect_timeout(connect_timeout)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .keep_alive_timeout(Duration::from_secs(10))
            .user_agent(concat!("webhook/", env!("CARGO_PKG_VERSION")))
            .map_err(|err| format!("invalid user agent: {err}"))?;
        if address.starts_with("https://") {
            let mut tls = ClientTlsConfig::new().with_webpki_roots();
            if let Some(pem) = extra_ca_pem {
                tls = tls.ca_certificate(Certificate::from_pem(pem));
            }
            endpoint = endpoint
                .tls_config(tls)
                .map_err(|err| format!("TLS setup for {address} failed: {err}"))?;
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return Err("the gRPC transport must be set up inside a Tokio runtime".to_owned());
        }
        Ok(Self {
            client: GatewayClient::new(endpoint.connect_lazy()),
            auth,
            address: address.to_owned(),
            timeout,
            backpressure_retries,
        })
    }

    /// One attempt; `deadline` is when the whole dispatch gives up.
    async fn send(&self, command: Command, deadline: Instant) -> Result<Outcome, DispatchError> {
        let mut client = self.client.clone();
        match command {
            Command::CreateProcessInstance {
                bpmn_process_id,
                version,
                tenant_id,
                variables,
            } => {
                let message = CreateProcessInstanceRequest {
                    process_definition_key: 0,
                    bpmn_process_id,
                    version,
                    variables: variables.into_string(),
                    tenant_id: tenant_id.unwrap_or_default(),
                };
                let request = self.request(message, deadline).await?;
                let response = client
                    .create_process_instance(request)
                    .await
                    .map_err(|status| self.failed(&status, deadline))?
                    .into_inner();
                Ok(Outcome::ProcessInstanceCreated {
                    process_instance_key: response.process_instance_key,
                    tenant_id: non_empty(response.tenant_id),
                })
            }
            Command::PublishMessage {
                name,
                correlation_key,
                message_id,
                time_to_live,
                tenant_id,
                variables,
            } => {
                let message = PublishMessageRequest {
                    name,
                    correlation_key,
                    time_to_live: ttl_millis(time_to_live),
                    message_id,
                    variables: variables.into_string(),
                    tenant_id: tenant_id.unwrap_or_default(),
                };
                let request = self.request(message, deadline).await?;
                match client.publish_message(request).await {
                    Ok(response) => {
                        let response = response.into_inner();
                        Ok(Outcome::MessagePublished {
                            message_key: response.key,
                            tenant_id: non_empty(response.tenant_id),
                        })
                    }
                    // A message with this id is still buffered: the earlier
                    // delivery of the same event got through, so this counts
                    // as success (as in Camunda).
                    Err(status) if status.code() == tonic::Code::AlreadyExists => {
                        Ok(Outcome::MessageAlreadyPublished)
                    }
                    Err(status) => Err(self.failed(&status, deadline)),
                }
            }
        }
    }

    /// Wraps a message with the deadline and the bearer token.
    async fn request<T>(
        &self,
        message: T,
        deadline: Instant,
    ) -> Result<tonic::Request<T>, DispatchError> {
        let mut request = tonic::Request::new(message);
        let auth = match &self.auth {
            Some(auth) => Some(auth.authorization().await?),
            None => None,
        };
        // Tells the gateway how long we still wait (`grpc-timeout`); the
        // client side is enforced by `dispatch`.
        request.set_timeout(deadline.saturating_duration_since(Instant::now()));
        if let Some(header) = auth {
            let value = MetadataValue::try_from(header.as_str()).map_err(|_| {
                DispatchError::new(
                    StatusCode::Unauthenticated,
                    "the authorization (access token or Basic credentials) contains characters not allowed in a header",
                )
            })?;
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
    }

    fn failed(&self, status: &tonic::Status, deadline: Instant) -> DispatchError {
        let code = status_code(status.code());
        // The gateway enforces our `grpc-timeout` too; some servers (tonic's)
        // report that as CANCELLED. Once our deadline is up, it is ours.
        if code == StatusCode::Cancelled && Instant::now() >= deadline {
            return self.deadline_exceeded();
        }
        let mut message = status.message().to_owned();
        // Failures of our side of the connection (connect, TLS) carry their
        // cause as a source; answers from the gateway do not.
        let local = std::error::Error::source(status).is_some();
        let mut source = std::error::Error::source(status);
        while let Some(cause) = source {
            let text = cause.to_string();
            if !message.contains(&text) && text != "transport error" {
                message = if message.is_empty() {
                    text
                } else {
                    format!("{message}: {text}")
                };
            }
            source = cause.source();
        }
        let message = match (code, message.is_empty()) {
            (_, true) => format!("the Zeebe gateway at {} answered {code}", self.address),
            (StatusCode::Unavailable, false) if local => {
                format!(
                    "the Zeebe gateway at {} is unavailable: {message}",
                    self.address
                )
            }
            _ => message,
        };
        DispatchError::new(code, message)
    }

    fn deadline_exceeded(&self) -> DispatchError {
        DispatchError::new(
            StatusCode::DeadlineExceeded,
            format!(
                "the Zeebe gateway at {} did not answer within {} ms",
                self.address,
                self.timeout.as_millis()
            ),
        )
    }
}

impl Dispatcher for GrpcDispatcher {
    fn dispatch(&self, command: Command) -> DispatchFuture<'_> {
        Box::pin(async move {
            let deadline = Instant::now() + self.timeout;
            let attempts =
                retry::on_backpressure(command, deadline, self.backpressure_retries, |c| {
                    self.send(c, deadline)
                });
            let result = match tokio::time::timeout_at(deadline.into(), attempts).await {
                Ok(result) => result,
                Err(_) => Err(self.deadline_exceeded()),
            };
            if let (Err(error), Some(auth)) = (&result, &self.auth) {
                if error.status == StatusCode::Unauthenticated {
                    // The token was rejected (or could not be had): fetch a
                    // new one next time.
                    auth.invalidate().await;
                }
            }
            result
        })
    }
}

fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

/// The [`StatusCode`] for a gRPC code. `OK` never describes a failure, so a
/// failure carrying it is `UNKNOWN`.
pub(crate) fn status_code(code: tonic::Code) -> StatusCode {
    match code {
        tonic::Code::Cancelled => StatusCode::Cancelled,
        tonic::Code::Ok | tonic::Code::Unknown => StatusCode::Unknown,
        tonic::Code::InvalidArgument => StatusCode::InvalidArgument,
        tonic::Code::DeadlineExceeded => StatusCode::DeadlineExceeded,
        tonic::Code::NotFound => StatusCode::NotFound,
        tonic::Code::AlreadyExists => StatusCode::AlreadyExists,
        tonic::Code::PermissionDenied => StatusCode::PermissionDenied,
        tonic::Code::ResourceExhausted => StatusCode::ResourceExhausted,
        tonic::Code::FailedPrecondition => StatusCode::FailedPrecondition,
        tonic::Code::Aborted => StatusCode::Aborted,
        tonic::Code::OutOfRange => StatusCode::OutOfRange,
        tonic::Code::Unimplemented => StatusCode::Unimplemented,
        tonic::Code::Internal => StatusCode::Internal,
        tonic::Code::Unavailable => StatusCode::Unavailable,
        tonic::Code::DataLoss => StatusCode::DataLoss,
        tonic::Code::Unauthenticated => StatusCode::Unauthenticated,
    }
}

/// The gRPC code for a [`StatusCode`] (for the fake gateway).
#[cfg(any(test, feature = "testing"))]
pub(crate) fn grpc_code(status: StatusCode) -> tonic::Code {
    match status {
        StatusCode::Cancelled => tonic::Code::Cancelled,
        StatusCode::Unknown => tonic::Code::Unknown,
        StatusCode::InvalidArgument => tonic::Code::InvalidArgument,
        StatusCode::DeadlineExceeded => tonic::Code::DeadlineExceeded,
        StatusCode::NotFound => tonic::Code::NotFound,
        StatusCode::AlreadyExists => tonic::Code::AlreadyExists,
        StatusCode::PermissionDenied => tonic::Code::PermissionDenied,
        StatusCode::ResourceExhausted => tonic::Code::ResourceExhausted,
        StatusCode::FailedPrecondition => tonic::Code::FailedPrecondition,
        StatusCode::Aborted => tonic::Code::Aborted,
        StatusCode::OutOfRange => tonic::Code::OutOfRange,
        StatusCode::Unimplemented => tonic::Code::Unimplemented,
        StatusCode::Internal => tonic::Code::Internal,
        StatusCode::Unavailable => tonic::Code::Unavailable,
        StatusCode::DataLoss => tonic::Code::DataLoss,
        StatusCode::Unauthenticated => tonic::Code::Unauthenticated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for status in StatusCode::ALL {
            assert_eq!(status_code(grpc_code(status)), status);
            // Our order is the gRPC numbering.
            assert_eq!(
                grpc_code(status) as i32,
                StatusCode::ALL
                    .iter()
                    .position(|s| *s == status)
                    .unwrap_or(99) as i32
                    + 1
            );
        }
        assert_eq!(status_code(tonic::Code::Ok), StatusCode::Unknown);
    }
}
