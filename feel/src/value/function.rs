//! FEEL function values: built-ins, user-defined functions (closures), and
//! functions the host registers.

use std::fmt;
use std::sync::Arc;

use crate::ast::{FunctionDef, Name};
use crate::value::{Context, Value};

/// The signature of a function the host registers with the engine: it receives
/// the arguments in parameter order and returns a value, or an error that stops
/// the evaluation.
pub type HostFn =
    dyn Fn(&[Value]) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> + Send + Sync;

/// A function value.
#[derive(Clone)]
pub struct Function(pub(crate) Arc<FunctionRepr>);

pub(crate) enum FunctionRepr {
    /// A built-in, by name (its overloads live in the registry).
    Builtin(&'static str),
    /// A user-defined function and the variables it captured.
    User {
        def: Arc<FunctionDef>,
        captured: Context,
    },
    /// A function registered by the host.
    Host {
        name: Name,
        params: Vec<Name>,
        call: Arc<HostFn>,
    },
}

impl Function {
    /// The parameter names, if known (built-ins have several overloads).
    pub fn param_names(&self) -> Vec<Name> {
        match &*self.0 {
            FunctionRepr::Builtin(_) => Vec::new(),
            FunctionRepr::User { def, .. } => def.params.iter().map(|(n, _)| n.clone()).collect(),
            FunctionRepr::Host { params, .. } => params.clone(),
        }
    }
}

impl PartialEq for Function {
    fn eq(&self, other: &Self) -> bool {
        match (&*self.0, &*other.0) {
            (FunctionRepr::Builtin(a), FunctionRepr::Builtin(b)) => a == b,
            _ => Arc::ptr_eq(&self.0, &other.0),
        }
    }
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            FunctionRepr::Builtin(name) => write!(f, "function {name}"),
            FunctionRepr::User { def, .. } => {
                let names: Vec<&str> = def.params.iter().map(|(n, _)| &**n).collect();
                write!(f, "function({})", names.join(", "))
            }
            FunctionRepr::Host { name, .. } => write!(f, "function {name}"),
        }
    }
}
