//! Helpers shared by the crate's unit tests.

use std::path::PathBuf;

/// The TCK corpus (`shared/feel-tck/dev.jsonl` beside the repository, or
/// the file `FEEL_TCK` names), if it is there.
pub(crate) fn tck_corpus() -> Option<String> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    [
        std::env::var_os("FEEL_TCK").map(PathBuf::from),
        manifest
            .parent()
            .and_then(|root| root.parent())
            .map(|p| p.join("shared/feel-tck/dev.jsonl")),
    ]
    .into_iter()
    .flatten()
    .find_map(|p| std::fs::read_to_string(p).ok())
}
