//! How many connections are open, and which can be let go.
//!
//! Every open connection holds a file descriptor, and clients that connect
//! and then send nothing (or a body at one byte a second) cost the service
//! nothing else: they would only fill the descriptor table until `accept`
//! fails and real requests wait in the kernel's queue. So the number of
//! connections is capped below the descriptor limit (the rest is the
//! reserve for the outbox, the journal and the calls to Zeebe), and when a
//! new connection comes at the cap, the oldest connection that is not
//! processing a request (waiting for its head, reading its body, or idle
//! between keep-alive requests) is shed to make room. Only when every
//! connection is processing is the newcomer turned away.
//!
//! A request counts as processing from the moment its signature checked
//! out ([`processing`], called by the handler) until its reply is ready, so
//! an unauthenticated client can hold a connection only until someone needs
//! the room. The handler finds its connection through a task-local value
//! ([`serve_as`]): hyper drives a connection's requests inside the
//! connection's own task.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::sync::lock;

/// Descriptors kept out of the connection cap when it is derived from the
/// limit: the outbox and journal files, listeners, runtimes, and the
/// connections to Zeebe, the token endpoint and the REST API.
pub const FD_RESERVE: u64 = 128;
/// The most connections the derived cap allows, whatever the limit.
pub const MAX_DERIVED_CONNECTIONS: u64 = 16_384;

tokio::task_local! {
    static CURRENT: Arc<Conn>;
}

/// Runs `connection` (the task serving one connection) as `conn`.
pub async fn serve_as<F: std::future::Future>(conn: Arc<Conn>, connection: F) -> F::Output {
    CURRENT.scope(conn, connection).await
}

/// Marks the request being handled as processing, so its connection is not
/// shed; `None` outside a served connection (in-process tests).
pub fn processing() -> Option<Processing> {
    CURRENT.try_with(|conn| conn.processing()).ok()
}

/// The open connections.
#[derive(Debug)]
pub struct Connections {
    max: usize,
    next_id: AtomicU64,
    state: Mutex<State>,
    /// Told whenever a connection closes.
    freed: Notify,
    shed: AtomicU64,
    refused: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    /// Connections whose socket is still open (shed ones until they close).
    live: usize,
    /// The open connections not shed yet, oldest first.
    candidates: BTreeMap<u64, Arc<Conn>>,
}

/// How long a newcomer waits at the cap for a shed connection to close
/// before it is turned away (a worker busy for that long is overloaded).
const SHED_WAIT: Duration = Duration::from_secs(1);

/// One open connection.
#[derive(Debug, Default)]
pub struct Conn {
    /// Requests of this connection past their signature check.
    processing: AtomicUsize,
    /// Told when the connection is shed.
    shed: Notify,
}

/// A request being processed: its connection is not shed meanwhile.
#[derive(Debug)]
pub struct Processing(Arc<Conn>);

impl Drop for Processing {
    fn drop(&mut self) {
        self.0.processing.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Conn {
    /// Marks a request of this connection as processing until the guard is
    /// dropped.
    pub fn processing(self: &Arc<Conn>) -> Processing {
        self.processing.fetch_add(1, Ordering::Relaxed);
        Processing(Arc::clone(self))
    }

    /// Completes when the connection is shed to make room.
    pub async fn shed(&self) {
        self.shed.notified().await;
    }
}

/// A connection's place among the open ones; dropping it frees the place.
#[derive(Debug)]
pub struct Admitted {
    id: u64,
    conn: Arc<Conn>,
    connections: Arc<Connections>,
}

impl Admitted {
    /// The connection.
    pub fn conn(&self) -> &Arc<Conn> {
        &self.conn
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        {
            let mut state = lock(&self.connections.state);
            state.candidates.remove(&self.id);
            state.live = state.live.saturating_sub(1);
        }
        // A permit is kept if the accept loop is not waiting yet.
        self.connections.freed.notify_one();
    }
}

impl Connections {
    /// At most `max` connections at once (`0`: no cap).
    pub fn new(max: usize) -> Arc<Connections> {
        Arc::new(Connections {
            max,
            next_id: AtomicU64::new(0),
            state: Mutex::new(State::default()),
            freed: Notify::new(),
            shed: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        })
    }

    /// A place for a new connection: free, or made by shedding the oldest
    /// connection that is not processing a request and waiting until its
    /// socket is closed (so the descriptors in use never pass the cap, however
    /// fast connections arrive); `None` when every connection is processing
    /// one, or no place frees up within a second (the newcomer is closed).
    pub async fn admit(self: &Arc<Connections>) -> Option<Admitted> {
        let deadline = tokio::time::Instant::now() + SHED_WAIT;
        loop {
            {
                let mut state = lock(&self.state);
                if self.max == 0 || state.live < self.max {
                    let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                    let conn = Arc::new(Conn::default());
                    state.candidates.insert(id, Arc::clone(&conn));
                    state.live += 1;
                    return Some(Admitted {
                        id,
                        conn,
                        connections: Arc::clone(self),
                    });
                }
                // No shed connection still closing: shed one (or refuse).
                if state.live <= state.candidates.len() {
                    let idle = state
                        .candidates
                        .iter()
                        .find(|(_, conn)| conn.processing.load(Ordering::Relaxed) == 0)
                        .map(|(id, _)| *id);
                    match idle.and_then(|id| state.candidates.remove(&id)) {
                        Some(conn) => {
                            // notify_one keeps the wake-up for a task not yet waiting.
                            conn.shed.notify_one();
                            self.shed.fetch_add(1, Ordering::Relaxed);
                        }
                        None => {
                            self.refused.fetch_add(1, Ordering::Relaxed);
                            return None;
                        }
                    }
                }
            }
            if tokio::time::timeout_at(deadline, self.freed.notified())
                .await
                .is_err()
            {
                self.refused.fetch_add(1, Ordering::Relaxed);
                return None;
            }
        }
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        lock(&self.state).live
    }

    /// The cap (`0`: none).
    pub fn max(&self) -> usize {
        self.max
    }

    /// The connection families in the Prometheus text format.
    pub fn render_metrics(&self) -> String {
        format!(
            "# HELP webhook_connections_open Client connections open.\n\
             # TYPE webhook_connections_open gauge\n\
             webhook_connections_open {}\n\
             # HELP webhook_connections_max The cap on client connections (0: none).\n\
             # TYPE webhook_connections_max gauge\n\
             webhook_connections_max {}\n\
             # HELP webhook_connections_shed_total Connections closed at the cap to make room (none was processing a request).\n\
             # TYPE webhook_connections_shed_total counter\n\
             webhook_connections_shed_total {}\n\
             # HELP webhook_connections_refused_total Connections closed at the cap because every open one was processing.\n\
             # TYPE webhook_connections_refused_total counter\n\
             webhook_connections_refused_total {}\n",
            self.open(),
            self.max,
            self.shed.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed),
        )
    }
}

/// The connection cap for a descriptor limit: the limit less the reserve,
/// at most [`MAX_DERIVED_CONNECTIONS`], at least 16.
pub fn cap_for(fd_limit: u64) -> usize {
    let cap = fd_limit
        .saturating_sub(FD_RESERVE)
        .clamp(16, MAX_DERIVED_CONNECTIONS);
    usize::try_from(cap).unwrap_or(usize::MAX)
}

/// The soft and hard limits on open files, when the platform tells.
#[cfg(unix)]
pub fn fd_limits() -> Option<(u64, u64)> {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    Some((limit.current?, limit.maximum.unwrap_or(u64::MAX)))
}

/// The soft and hard limits on open files, when the platform tells.
#[cfg(not(unix))]
pub fn fd_limits() -> Option<(u64, u64)> {
    None
}

/// Raises the soft limit on open files to the hard limit (systemd's default
/// soft limit is 1,024) and logs both; returns the soft limit in force.
#[cfg(unix)]
pub fn raise_fd_limit() -> Option<u64> {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let limit = getrlimit(Resource::Nofile);
    let (soft, hard) = (limit.current, limit.maximum);
    if soft.is_some() && soft != hard {
        let raised = rustix::process::Rlimit {
            current: hard,
            maximum: hard,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => {
                tracing::info!(from = ?soft, to = ?hard, hard = ?hard, "raised the soft limit on open files to the hard limit");
                return hard.or(Some(u64::MAX));
            }
            Err(e) => {
                tracing::warn!(soft = ?soft, hard = ?hard, error = %e, "cannot raise the soft limit on open files")
            }
        }
    } else {
        tracing::info!(soft = ?soft, hard = ?hard, "limit on open files");
    }
    soft
}

/// Raises the soft limit on open files (nothing to do on this platform).
#[cfg(not(unix))]
pub fn raise_fd_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn admit_all(connections: &Arc<Connections>, n: usize) -> Vec<Admitted> {
        let mut held = Vec::new();
        for _ in 0..n {
            held.push(connections.admit().await.unwrap());
        }
        held
    }

    #[tokio::test]
    async fn below_the_cap_everyone_is_admitted() {
        let connections = Connections::new(3);
        let held = admit_all(&connections, 3).await;
        assert_eq!(connections.open(), 3);
        drop(held);
        assert_eq!(connections.open(), 0);
    }

    #[tokio::test]
    async fn at_the_cap_the_oldest_idle_connection_makes_room_once_it_closed() {
        let connections = Connections::new(2);
        let oldest = connections.admit().await.unwrap();
        let busy = connections.admit().await.unwrap();
        let processing = busy.conn().processing();
        // The newcomer waits: `oldest` is told to go, and only once it has
        // closed is there room (the cap holds for open sockets).
        let waiting = tokio::spawn({
            let connections = Arc::clone(&connections);
            async move { connections.admit().await }
        });
        tokio::time::timeout(Duration::from_secs(1), oldest.conn().shed())
            .await
            .expect("the oldest idle connection is told to go");
        assert!(!waiting.is_finished());
        assert_eq!(connections.open(), 2);
        drop(oldest);
        let newcomer = waiting
            .await
            .unwrap()
            .expect("admitted once the shed one closed");
        assert_eq!(connections.open(), 2);
        // Both are processing now: the next newcomer is refused at once.
        let _processing_too = newcomer.conn().processing();
        assert!(connections.admit().await.is_none());
        drop(processing);
        let metrics = connections.render_metrics();
        assert!(
            metrics.contains("webhook_connections_shed_total 1"),
            "{metrics}"
        );
        assert!(
            metrics.contains("webhook_connections_refused_total 1"),
            "{metrics}"
        );
    }

    #[tokio::test]
    async fn a_shed_connection_that_never_closes_does_not_stall_accepting_forever() {
        let connections = Connections::new(1);
        let _stuck = connections.admit().await.unwrap();
        assert!(
            connections.admit().await.is_none(),
            "turned away after the wait"
        );
    }

    #[tokio::test]
    async fn zero_means_no_cap() {
        let connections = Connections::new(0);
        assert_eq!(admit_all(&connections, 100).await.len(), 100);
    }

    #[test]
    fn the_cap_leaves_a_reserve_below_the_limit() {
        assert_eq!(cap_for(1024), 1024 - FD_RESERVE as usize);
        assert_eq!(cap_for(100), 16);
        assert_eq!(cap_for(u64::MAX), MAX_DERIVED_CONNECTIONS as usize);
    }
}
