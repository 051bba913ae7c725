//! Webhook definitions: what each `/inbound/<id>` does, where that comes from
//! (BPMN files, a TOML file), how the properties are read, and the compiled
//! form the pipeline uses.
//!
//! Both sources produce a [`RawWebhook`]: an element's properties as the
//! Camunda runtime sees them (names like `inbound.context`, first occurrence
//! wins). [`compile`] turns one into a [`WebhookDefinition`], compiling every
//! FEEL expression and resolving secrets, so that start-up fails on any error
//! instead of a request failing later.

pub mod bpmn;
pub mod catalog;
mod definition;
pub mod discovery;
mod error;
mod properties;
mod registry;
pub mod secrets;
pub mod toml;
pub mod watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use definition::{
    Compiled, ContextParts, Deployment, ElementKind, MessageRef, MethodFilter, Origin, RawWebhook,
    Source, Target, Verification, WebhookDefinition,
};
pub use error::{DefinitionError, DefinitionErrors};
pub use properties::compile;
pub use registry::{Registry, Skipped};
use secrets::SecretSource;

/// The only `inbound.type` this service serves.
pub const WEBHOOK_TYPE: &str = "io.camunda:webhook:1";

/// The message time-to-live when `messageTtl` is absent (Camunda's default).
pub const DEFAULT_MESSAGE_TTL: Duration = Duration::from_secs(3600);

/// What a source file yields: its webhooks, or every error found in it.
pub type FileResult = Result<Vec<Arc<WebhookDefinition>>, DefinitionErrors>;

/// Loads one file: `.toml` as a webhook file, anything else as BPMN. Its
/// webhooks are in `tenant` unless the file names one.
pub fn load_file(
    path: &Path,
    engine: &feel::Engine,
    secrets: &dyn SecretSource,
    tenant: Option<&str>,
) -> FileResult {
    let text = std::fs::read_to_string(path).map_err(|e| {
        DefinitionErrors(vec![DefinitionError::file(
            path,
            format!("cannot read: {e}"),
        )])
    })?;
    let mut raws = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
    {
        toml::parse(path, &text)?
    } else {
        bpmn::parse(path, &text)?
    };
    for raw in &mut raws {
        if raw.tenant_id.is_none() {
            raw.tenant_id = tenant.map(str::to_owned);
        }
    }
    compile_all(raws, engine, secrets)
}

/// Compiles a file's raw webhooks, collecting every error.
pub fn compile_all(
    raws: Vec<RawWebhook>,
    engine: &feel::Engine,
    secrets: &dyn SecretSource,
) -> FileResult {
    let mut defs = Vec::new();
    let mut errors = Vec::new();
    for raw in raws {
        match compile(&raw, engine, secrets) {
            Ok(def) => defs.push(Arc::new(def)),
            Err(mut e) => errors.append(&mut e.0),
        }
    }
    if errors.is_empty() {
        // Duplicates inside one file are reported here, naming both elements.
        Registry::build(defs.iter().cloned())?;
        Ok(defs)
    } else {
        Err(DefinitionErrors(errors))
    }
}

/// The files a `--bpmn` argument stands for: the file itself, or every
/// `.bpmn` file below a directory (sorted, recursively).
pub fn expand(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        // Surface a missing file as an error now.
        std::fs::metadata(path)?;
        return Ok(vec![path.to_owned()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let p = entry.path();
            // Hidden files are editor and VCS artefacts.
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            // `file_type` does not follow symlinks, so a link cycle cannot loop.
            if entry.file_type()?.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("bpmn"))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}
