//! A bare warp hello-world on the same runtime settings as the webhook
//! service: the baseline the load run compares the webhook pipeline against.
//!
//! `hello_warp [ADDR]` (default 127.0.0.1:18081) answers every POST and GET
//! with `<Response/>`.

use std::net::SocketAddr;

use warp::Filter;

#[tokio::main]
async fn main() {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 18081)));
    let route =
        warp::any().map(|| warp::reply::with_header("<Response/>", "content-type", "text/xml"));
    warp::serve(route).run(addr).await;
}
