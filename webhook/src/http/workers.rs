//! Connection workers: each accepted connection is served, start to end, by
//! one of a few threads that each run their own single-threaded tokio
//! runtime (thread per core).
//!
//! Why not the usual work-stealing runtime: a webhook request is short and
//! CPU-bound (signature, form, FEEL, one journal line or outbox commit), and
//! under load the multi-threaded scheduler spent more on moving tasks and
//! waking threads than it saved. Keeping a connection and everything it
//! spawns on one thread measured 17.4 µs of server CPU per request instead of
//! 18.9–20.7 µs, and 72–74k instead of 63–67k requests/s on two cores (see
//! `webhook/README.md`, "Performance").
//!
//! The accept loop stays on the caller's runtime and hands each connection to
//! the worker serving the fewest. Anything a request spawns (the journal's
//! writer task, blocking outbox reads) runs on its worker; long-lived tasks
//! (the outbox worker, the config reloader) stay on the main runtime.

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::net::TcpStream;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// The running worker threads.
#[derive(Debug)]
pub struct Workers {
    workers: Vec<Worker>,
}

#[derive(Debug)]
struct Worker {
    handle: Handle,
    /// Connections this worker is serving now.
    connections: Arc<AtomicUsize>,
    stop: oneshot::Sender<()>,
    thread: JoinHandle<()>,
}

/// Decrements a worker's connection count when its connection ends, however
/// it ends.
struct Serving(Arc<AtomicUsize>);

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Workers {
    /// Starts `count` worker threads (`0`: one per CPU core).
    pub fn start(count: usize) -> io::Result<Workers> {
        let count = match count {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let workers = (0..count)
            .map(|index| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                let handle = runtime.handle().clone();
                let (stop, stopped) = oneshot::channel::<()>();
                let thread = std::thread::Builder::new()
                    .name(format!("webhook-worker-{index}"))
                    .spawn(move || {
                        // Runs the connections' tasks until told to stop;
                        // dropping the runtime then cancels what is left.
                        let _ = runtime.block_on(stopped);
                    })?;
                Ok(Worker {
                    handle,
                    connections: Arc::new(AtomicUsize::new(0)),
                    stop,
                    thread,
                })
            })
            .collect::<io::Result<Vec<_>>>()?;
        Ok(Workers { workers })
    }

    /// How many worker threads there are.
    pub fn len(&self) -> usize {
        self.workers.len()
    }

    /// Whether there are none (never: [`Workers::start`] starts at least one).
    pub fn is_empty(&self) -> bool {
        self.workers.is_empty()
    }

    /// Serves `stream` on the worker with the fewest connections: `serve`
    /// gets the stream registered with that worker's runtime.
    pub fn serve<F, Fut>(&self, stream: TcpStream, serve: F)
    where
        F: FnOnce(TcpStream) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let Some(worker) = self
            .workers
            .iter()
            .min_by_key(|w| w.connections.load(Ordering::Relaxed))
        else {
            return;
        };
        // A tokio stream belongs to the runtime that registered it: move the
        // socket over as a plain one.
        let stream = match stream.into_std() {
            Ok(stream) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "cannot hand the connection to a worker");
                return;
            }
        };
        worker.connections.fetch_add(1, Ordering::Relaxed);
        let serving = Serving(Arc::clone(&worker.connections));
        worker.handle.spawn(async move {
            let _serving = serving;
            match TcpStream::from_std(stream) {
                Ok(stream) => serve(stream).await,
                Err(e) => tracing::warn!(error = %e, "cannot register the connection"),
            }
        });
    }

    /// Stops every worker (cancelling whatever it still runs) and waits for
    /// the threads to end. Call it once the connections are done.
    pub async fn stop(self) {
        let threads: Vec<JoinHandle<()>> = self
            .workers
            .into_iter()
            .map(|w| {
                let _ = w.stop.send(());
                w.thread
            })
            .collect();
        let joined = tokio::task::spawn_blocking(move || {
            for thread in threads {
                if thread.join().is_err() {
                    tracing::error!("a connection worker panicked");
                }
            }
        })
        .await;
        if let Err(e) = joined {
            tracing::error!(error = %e, "cannot wait for the connection workers");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Connections are spread over the workers (fewest first), served on the
    /// worker threads, and the count goes back down when they end.
    #[tokio::test]
    async fn connections_go_to_the_least_busy_worker_thread() {
        let workers = Workers::start(2).expect("workers start");
        assert_eq!(workers.len(), 2);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (names_tx, mut names_rx) = tokio::sync::mpsc::unbounded_channel();
        let mut clients = Vec::new();
        for _ in 0..4 {
            clients.push(TcpStream::connect(addr).await.unwrap());
            let (stream, _) = listener.accept().await.unwrap();
            let names_tx = names_tx.clone();
            workers.serve(stream, move |mut stream| async move {
                let name = std::thread::current().name().unwrap_or("").to_owned();
                let _ = names_tx.send(name.clone());
                // Echo one byte, then hold the connection until the client closes.
                let mut byte = [0u8; 1];
                if stream.read_exact(&mut byte).await.is_ok() {
                    let _ = stream.write_all(&byte).await;
                    let _ = stream.read(&mut byte).await;
                }
            });
        }
        let mut names = Vec::new();
        for _ in 0..4 {
            names.push(names_rx.recv().await.unwrap());
        }
        names.sort();
        assert_eq!(
            names,
            [
                "webhook-worker-0",
                "webhook-worker-0",
                "webhook-worker-1",
                "webhook-worker-1"
            ]
        );
        let counts: Vec<usize> = workers
            .workers
            .iter()
            .map(|w| w.connections.load(Ordering::Relaxed))
            .collect();
        assert_eq!(counts, [2, 2]);

        // Each connection is served: the byte comes back.
        for client in &mut clients {
            client.write_all(b"x").await.unwrap();
            let mut byte = [0u8; 1];
            client.read_exact(&mut byte).await.unwrap();
            assert_eq!(&byte, b"x");
        }
        drop(clients);
        for _ in 0..200 {
            if workers
                .workers
                .iter()
                .all(|w| w.connections.load(Ordering::Relaxed) == 0)
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert!(workers
            .workers
            .iter()
            .all(|w| w.connections.load(Ordering::Relaxed) == 0));
        workers.stop().await;
    }

    #[test]
    fn zero_means_one_per_core() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let workers = Workers::start(0).expect("workers start");
        assert_eq!(workers.len(), cores);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(workers.stop());
    }
}
