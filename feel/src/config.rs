//! What an engine was built with, shared by it and every expression it
//! compiled: the clock, the limits, the host functions and the dialect. The
//! evaluator reads it; [`crate::Engine`] is the public face that builds it.

use std::sync::Arc;

use crate::clock::Clock;
use crate::dialect::Dialect;
use crate::value::Context;

pub(crate) struct Config {
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) fuel: Option<u64>,
    pub(crate) max_depth: usize,
    pub(crate) memory_budget: Option<u64>,
    pub(crate) max_input_length: usize,
    pub(crate) functions: Context,
    pub(crate) fold_constants: bool,
    pub(crate) dialect: Dialect,
}
