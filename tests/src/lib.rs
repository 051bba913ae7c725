//! Shared helpers for the conformance suites: where the reference material
//! beside the repository lives, and a visible skip when it is absent.

use std::path::PathBuf;

/// `../shared` beside the repository root, if present.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    dir.is_dir().then_some(dir)
}

/// Prints a line that makes a skipped suite visible in the test output.
pub fn skip(suite: &str, why: &str) {
    eprintln!("SKIPPED {suite}: {why}");
    println!("SKIPPED {suite}: {why}");
}
