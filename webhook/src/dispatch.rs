//! Choosing the dispatcher: Zeebe (gRPC or REST, from flags and the usual
//! Camunda environment variables) when configured, else the embedded journal.

use std::path::PathBuf;
use std::sync::Arc;

use crate::zeebe::{Dispatcher, ZeebeConfig, ZeebeFlags, DEFAULT_JOURNAL_PATH};

/// Where commands go.
#[derive(Debug, Clone)]
pub struct DispatchConfig {
    /// `--zeebe-address`: the gRPC gateway.
    pub zeebe_address: Option<String>,
    /// `--zeebe-rest-address`: the REST API.
    pub zeebe_rest_address: Option<String>,
    /// The journal file of the embedded default (no Zeebe configured).
    pub journal: PathBuf,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            zeebe_address: None,
            zeebe_rest_address: None,
            journal: PathBuf::from(DEFAULT_JOURNAL_PATH),
        }
    }
}

/// Builds the dispatcher for this configuration and the process environment
/// (call it inside the runtime). Nothing is contacted yet.
pub fn build_dispatcher(config: &DispatchConfig) -> anyhow::Result<Arc<dyn Dispatcher>> {
    let flags = ZeebeFlags {
        zeebe_address: config.zeebe_address.clone(),
        zeebe_rest_address: config.zeebe_rest_address.clone(),
    };
    let zeebe = ZeebeConfig::from_process_env(&flags)?;
    Ok(zeebe.build_dispatcher(&config.journal)?)
}
