//! A stand-in for a Camunda 8 cluster's REST API, to try `--from-cluster`
//! without a cluster: it deploys the BPMN files given as arguments (the
//! repository's `examples/` by default), prints the address, and serves
//! discovery and REST dispatch until Ctrl-C, logging each instance created
//! and message published.
//!
//! ```sh
//! cargo run -p webhook --features testing --example fake_cluster -- examples/*.bpmn
//! # in another terminal, with the address it printed:
//! SECRET_TWILIO_AUTH_TOKEN=demo-auth-token ZEEBE_REST_ADDRESS=http://127.0.0.1:<port> \
//!   cargo run -p webhook -- --from-cluster --no-outbox
//! ```

use std::time::Duration;

use webhook::testing::FakeCamunda;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");
        for entry in std::fs::read_dir(examples)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "bpmn") {
                files.push(path.display().to_string());
            }
        }
        files.sort();
    }
    let cluster = FakeCamunda::start().await?;
    for file in &files {
        let xml = std::fs::read_to_string(file)?;
        let process = process_id(&xml).ok_or_else(|| format!("{file}: no bpmn:process id"))?;
        let deployed = cluster.deploy(&process, "<default>", &xml);
        println!(
            "deployed {file}: process `{process}` version {} key {}",
            deployed.version, deployed.key
        );
    }
    println!("REST API at {}", cluster.address());
    let mut seen = (0, 0);
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
        let (created, published) = (cluster.created(), cluster.published());
        for body in created.iter().skip(seen.0) {
            println!("created an instance: {body}");
        }
        for body in published.iter().skip(seen.1) {
            println!("published a message: {body}");
        }
        seen = (created.len(), published.len());
    }
}

/// The id of the first `bpmn:process` (enough for the examples).
fn process_id(xml: &str) -> Option<String> {
    let at = xml.find("<bpmn:process ")?;
    let rest = &xml[at..];
    let id = rest.find(" id=\"")? + 5;
    let end = rest[id..].find('"')?;
    Some(rest[id..id + end].to_owned())
}
