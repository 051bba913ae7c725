//! Compiles `proto/gateway.proto` into tonic client code, and server code for
//! the fake gateway of the `testing` feature.
//!
//! `protox` parses the file in pure Rust, so no `protoc` binary is needed;
//! its file descriptor set is handed to tonic's generator.

use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let proto = "proto/gateway.proto";
    println!("cargo:rerun-if-changed={proto}");
    let testing = std::env::var_os("CARGO_FEATURE_TESTING").is_some();
    let descriptors = protox::compile([proto], ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(testing)
        .build_transport(false)
        .compile_fds(descriptors)?;
    Ok(())
}
