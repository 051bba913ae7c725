//! The fake gRPC gateway.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify};
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Identity, Server, ServerTlsConfig};
use tonic::{Request, Response, Status};

use super::{Reply, Script, HANG_LIMIT};
use crate::zeebe::grpc::grpc_code;
use crate::zeebe::proto::gateway_server::{Gateway, GatewayServer};
use crate::zeebe::proto::{
    CreateProcessInstanceRequest, CreateProcessInstanceResponse, PublishMessageRequest,
    PublishMessageResponse, TopologyRequest, TopologyResponse,
};
use crate::zeebe::StatusCode;

/// One RPC the fake gateway received.
#[derive(Debug, Clone, PartialEq)]
pub enum GrpcCall {
    /// `CreateProcessInstance`.
    CreateProcessInstance(CreateProcessInstanceRequest),
    /// `PublishMessage`.
    PublishMessage(PublishMessageRequest),
    /// `Topology`.
    Topology,
}

/// A received RPC with the metadata tests care about.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedGrpc {
    /// The request message.
    pub call: GrpcCall,
    /// The `authorization` metadata, if any.
    pub authorization: Option<String>,
    /// The `grpc-timeout` metadata (the client's deadline), if any.
    pub grpc_timeout: Option<String>,
}

#[derive(Debug)]
struct State {
    script: Script<RecordedGrpc>,
    next_key: AtomicI64,
    closed: Notify,
}

#[derive(Debug, Clone)]
struct Service(Arc<State>);

/// A fake Zeebe gateway on `127.0.0.1:<free port>` (see the [module
/// docs](super)).
#[derive(Debug)]
pub struct FakeGateway {
    addr: SocketAddr,
    tls: bool,
    state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl FakeGateway {
    /// Starts a plaintext gateway.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(None).await
    }

    /// Starts a TLS gateway with this certificate chain and key (PEM).
    pub async fn start_tls(cert_pem: &[u8], key_pem: &[u8]) -> std::io::Result<Self> {
        Self::start_with(Some(Identity::from_pem(cert_pem, key_pem))).await
    }

    async fn start_with(identity: Option<Identity>) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            script: Script::new(),
            next_key: AtomicI64::new(2_251_799_813_685_249),
            closed: Notify::new(),
        });
        let tls = identity.is_some();
        let mut server = Server::builder();
        if let Some(identity) = identity {
            server = server
                .tls_config(ServerTlsConfig::new().identity(identity))
                .map_err(std::io::Error::other)?;
        }
        let (shutdown, signal) = oneshot::channel::<()>();
        let service = GatewayServer::new(Service(Arc::clone(&state)));
        tokio::spawn(async move {
            let incoming = TcpIncoming::from(listener);
            let stop = async {
                let _ = signal.await;
            };
            if let Err(err) = server
                .serve_with_incoming_shutdown(service, incoming, stop)
                .await
            {
                tracing::warn!(%err, "fake gateway stopped");
            }
        });
        Ok(Self {
            addr,
            tls,
            state,
            shutdown: Some(shutdown),
        })
    }

    /// The address to configure: `http://127.0.0.1:<port>`, or
    /// `https://localhost:<port>` for a TLS fake.
    pub fn address(&self) -> String {
        if self.tls {
            format!("https://localhost:{}", self.addr.port())
        } else {
            format!("http://{}", self.addr)
        }
    }

    /// The socket address.
    pub fn socket_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues the answer for the next unanswered call.
    pub fn push_reply(&self, reply: Reply) {
        self.state.script.push(reply);
    }

    /// Makes the next `n` unanswered calls fail with `status`.
    pub fn fail_next(&self, n: usize, status: StatusCode) {
        for _ in 0..n {
            self.state
                .script
                .push(Reply::fail(status, format!("scripted {status}")));
        }
    }

    /// Every call so far, in arrival order.
    pub fn calls(&self) -> Vec<RecordedGrpc> {
        self.state.script.calls()
    }
}

impl Drop for FakeGateway {
    fn drop(&mut self) {
        self.state.closed.notify_waiters();
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl Service {
    /// Records the call and answers it from the script; `ok` builds the
    /// success response from a fresh key.
    async fn answer<T, R>(
        &self,
        request: &Request<T>,
        call: GrpcCall,
        ok: impl FnOnce(i64) -> R,
    ) -> Result<R, Status> {
        let text = |name: &str| {
            request
                .metadata()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let recorded = RecordedGrpc {
            call,
            authorization: text("authorization"),
            grpc_timeout: text("grpc-timeout"),
        };
        match self.0.script.next(recorded) {
            Reply::Ok | Reply::Raw { .. } => {}
            Reply::Fail(status, message) => return Err(Status::new(grpc_code(status), message)),
            Reply::Delay(delay) => tokio::time::sleep(delay).await,
            Reply::Hang => {
                tokio::select! {
                    () = self.0.closed.notified() => {}
                    () = tokio::time::sleep(HANG_LIMIT) => {}
                }
                return Err(Status::unavailable("the fake gateway stopped"));
            }
        }
        Ok(ok(self.0.next_key.fetch_add(1, Ordering::Relaxed)))
    }
}

#[tonic::async_trait]
impl Gateway for Service {
    async fn create_process_instance(
        &self,
        request: Request<CreateProcessInstanceRequest>,
    ) -> Result<Response<CreateProcessInstanceResponse>, Status> {
        let message = request.get_ref().clone();
        let call = GrpcCall::CreateProcessInstance(message.clone());
        self.answer(&request, call, |key| CreateProcessInstanceResponse {
            process_definition_key: 2_251_799_813_685_000,
            bpmn_process_id: message.bpmn_process_id.clone(),
            version: message.version.max(1),
            process_instance_key: key,
            tenant_id: message.tenant_id.clone(),
        })
        .await
        .map(Response::new)
    }

    async fn publish_message(
        &self,
        request: Request<PublishMessageRequest>,
    ) -> Result<Response<PublishMessageResponse>, Status> {
        let tenant_id = request.get_ref().tenant_id.clone();
        let call = GrpcCall::PublishMessage(request.get_ref().clone());
        self.answer(&request, call, |key| PublishMessageResponse {
            key,
            tenant_id,
        })
        .await
        .map(Response::new)
    }

    async fn topology(
        &self,
        request: Request<TopologyRequest>,
    ) -> Result<Response<TopologyResponse>, Status> {
        self.answer(&request, GrpcCall::Topology, |_| TopologyResponse {
            cluster_size: 1,
            partitions_count: 1,
            replication_factor: 1,
            gateway_version: "fake".to_owned(),
        })
        .await
        .map(Response::new)
    }
}
