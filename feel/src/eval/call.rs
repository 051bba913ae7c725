//! Invocation: positional and named arguments, built-in overloads by arity
//! and parameter names, user-defined functions (closures) and host functions.

use std::sync::Arc;

use super::{EvalResult, Evaluator};
use crate::ast::{Args, Expr, ExprKind, Name};
use crate::builtins::{self, Ctx, Overload};
use crate::error::{Error, ErrorKind, Span, WarningKind};
use crate::value::{Function, FunctionRepr, Value};

/// Evaluated arguments.
pub(crate) enum ArgValues {
    Positional(Vec<Value>),
    Named(Vec<(Name, Value)>),
}

/// What a call by name invokes.
enum Callee {
    /// A function value: a variable's, or a host function.
    Value(Function),
    /// A built-in and its overloads (no function value is made for it).
    Builtin(&'static [&'static Overload]),
}

impl Callee {
    /// The built-in's name, if it is one.
    fn builtin_name(&self) -> Option<&'static str> {
        match self {
            Callee::Builtin(overloads) => overloads.first().map(|o| o.name),
            Callee::Value(f) => match &*f.0 {
                FunctionRepr::Builtin(name) => Some(name),
                _ => None,
            },
        }
    }
}

impl Evaluator<'_> {
    pub(super) fn call_expr(&mut self, callee: &Expr, args: &Args, span: Span) -> EvalResult {
        let function = match &callee.kind {
            ExprKind::Name(name) => match self.resolve_callee(name) {
                Some(f) => f,
                None => {
                    // Evaluate the arguments anyway: their warnings matter too.
                    self.eval_args(args)?;
                    let what = match self.scope.get(name) {
                        Some(v) => format!("'{name}' is {}, not a function", v.kind()),
                        None => format!("no function found with name '{name}'"),
                    };
                    return Ok(self.warn(WarningKind::NoFunctionFound, what, span));
                }
            },
            _ => match self.eval(callee)? {
                Value::Function(f) => Callee::Value(f),
                Value::Null => {
                    self.eval_args(args)?;
                    return Ok(Value::Null);
                }
                other => {
                    self.eval_args(args)?;
                    return Ok(self.warn(
                        WarningKind::NoFunctionFound,
                        format!("{} is not a function", other.kind()),
                        span,
                    ));
                }
            },
        };
        if let (Callee::Builtin(overloads), Args::Positional(exprs)) = (&function, args) {
            if let Some(result) = self.call_builtin_inline(overloads, exprs, span) {
                return result;
            }
        }
        let before = self.warnings.len();
        let args = self.eval_args(args)?;
        if let Some("is defined" | "get or else") = function.builtin_name() {
            // Asking whether something exists is not a problem to report.
            let tail = self.warnings.split_off(before);
            self.warnings.extend(tail.into_iter().filter(|w| {
                !matches!(
                    w.kind,
                    WarningKind::NoVariableFound | WarningKind::NoContextEntryFound
                )
            }));
        }
        match function {
            Callee::Value(f) => self.invoke(&f, args, span),
            Callee::Builtin(overloads) => {
                self.enter(span)?;
                let result = self.invoke_overloads(overloads, args, span);
                self.depth -= 1;
                result
            }
        }
    }

    /// Calls a built-in with a few positional arguments held on the stack,
    /// when an overload of exactly that arity exists (the common case); `None`
    /// for anything else, which the general path handles (variadic
    /// overloads, named arguments, the built-ins that filter warnings).
    fn call_builtin_inline(
        &mut self,
        overloads: &'static [&'static Overload],
        exprs: &[Expr],
        span: Span,
    ) -> Option<EvalResult> {
        const INLINE: usize = 4;
        if exprs.len() > INLINE {
            return None;
        }
        let overload = overloads
            .iter()
            .find(|o| !o.variadic && o.params.len() == exprs.len())?;
        if matches!(overload.name, "is defined" | "get or else") {
            return None;
        }
        let mut values: [Value; INLINE] = Default::default();
        for (slot, e) in values.iter_mut().zip(exprs) {
            *slot = match self.eval(e) {
                Ok(v) => v,
                Err(e) => return Some(Err(e)),
            };
        }
        if let Err(e) = self.enter(span) {
            return Some(Err(e));
        }
        let mut ctx = Ctx::new(self, span, overload.name);
        let result = (overload.call)(&mut ctx, &values[..exprs.len()]);
        self.depth -= 1;
        Some(result)
    }

    /// What a call of `name` invokes: a function value in scope, a host
    /// function, or a built-in. Non-function variables do not hide functions.
    fn resolve_callee(&mut self, name: &Name) -> Option<Callee> {
        if let Some(Value::Function(f)) = self.scope.get(name) {
            return Some(Callee::Value(f.clone()));
        }
        if let Some(Value::Function(f)) = self.config.functions.get(name) {
            return Some(Callee::Value(f.clone()));
        }
        // Built-ins by the name's allocation: a call in a loop looks its
        // built-in up once per evaluation.
        let key = Arc::as_ptr(name) as *const u8 as usize;
        if let Some(&(_, overloads)) = self.builtin_cache.iter().find(|(k, _)| *k == key) {
            return Some(Callee::Builtin(overloads));
        }
        let overloads = builtins::lookup(name)?;
        // The oldest entry makes room.
        self.builtin_cache.rotate_left(1);
        if let Some(last) = self.builtin_cache.last_mut() {
            *last = (key, overloads);
        }
        Some(Callee::Builtin(overloads))
    }

    /// A host function or built-in called `name` (not looking at variables).
    pub(super) fn named_function(&self, name: &str) -> Option<Function> {
        if let Some(Value::Function(f)) = self.config.functions.get(name) {
            return Some(f.clone());
        }
        builtins::static_name(name).map(|n| Function(Arc::new(FunctionRepr::Builtin(n))))
    }

    fn eval_args(&mut self, args: &Args) -> Result<ArgValues, Error> {
        Ok(match args {
            Args::Positional(exprs) => {
                let mut values = Vec::with_capacity(exprs.len());
                for e in exprs {
                    values.push(self.eval(e)?);
                }
                ArgValues::Positional(values)
            }
            Args::Named(pairs) => {
                let mut values = Vec::with_capacity(pairs.len());
                for (n, e) in pairs {
                    values.push((Arc::clone(n), self.eval(e)?));
                }
                ArgValues::Named(values)
            }
        })
    }

    /// Calls a function value with positional arguments (used by built-ins
    /// such as `sort`).
    pub(crate) fn call_function(
        &mut self,
        function: &Function,
        args: Vec<Value>,
        span: Span,
    ) -> EvalResult {
        self.invoke(function, ArgValues::Positional(args), span)
    }

    fn invoke(&mut self, function: &Function, args: ArgValues, span: Span) -> EvalResult {
        self.enter(span)?;
        let result = match &*function.0 {
            FunctionRepr::Builtin(name) => self.invoke_builtin(name, args, span),
            FunctionRepr::User { def, captured } => {
                let params: Vec<&Name> = def.params.iter().map(|(n, _)| n).collect();
                match bind(&params, args) {
                    Ok(values) => {
                        let mut bad = None;
                        for ((name, ty), v) in def.params.iter().zip(&values) {
                            if let Some(ty) = ty {
                                if !v.is_null() && !super::unary::instance_of(v, ty) {
                                    bad = Some(format!(
                                        "argument '{name}' ({v}) does not conform to its declared type"
                                    ));
                                    break;
                                }
                            }
                        }
                        match bad {
                            Some(msg) => Ok(self.warn(WarningKind::InvalidType, msg, span)),
                            None => {
                                let mark = self.scope.mark();
                                self.scope.push_context(captured.clone());
                                for ((name, _), v) in def.params.iter().zip(values) {
                                    self.scope.push_var(Arc::clone(name), v);
                                }
                                let r = self.eval(&def.body);
                                self.scope.truncate(mark);
                                r
                            }
                        }
                    }
                    Err(msg) => Ok(self.warn(WarningKind::InvalidArguments, msg, span)),
                }
            }
            FunctionRepr::Host { name, params, call } => {
                let params: Vec<&Name> = params.iter().collect();
                match bind(&params, args) {
                    Ok(values) => call(&values).map_err(|e| {
                        Error::new(
                            ErrorKind::HostFunction,
                            format!("the function '{name}' failed: {e}"),
                        )
                        .with_span(span)
                    }),
                    Err(msg) => Ok(self.warn(
                        WarningKind::InvalidArguments,
                        format!("{name}: {msg}"),
                        span,
                    )),
                }
            }
        };
        self.depth -= 1;
        result
    }

    fn invoke_builtin(&mut self, name: &'static str, args: ArgValues, span: Span) -> EvalResult {
        let Some(overloads) = builtins::lookup(name) else {
            return Ok(self.warn(
                WarningKind::NoFunctionFound,
                format!("no function found with name '{name}'"),
                span,
            ));
        };
        self.invoke_overloads(overloads, args, span)
    }

    /// Calls the overload of a built-in that the arguments fit.
    fn invoke_overloads(
        &mut self,
        overloads: &'static [&'static Overload],
        args: ArgValues,
        span: Span,
    ) -> EvalResult {
        let name = overloads.first().map_or("", |o| o.name);
        let (overload, values) = match select_overload(overloads, args) {
            Ok(found) => found,
            Err(msg) => {
                return Ok(self.warn(
                    WarningKind::InvalidArguments,
                    format!("{name}: {msg}"),
                    span,
                ))
            }
        };
        let mut ctx = Ctx::new(self, span, overload.name);
        (overload.call)(&mut ctx, &values)
    }
}

/// Binds arguments to a fixed parameter list. Positional arguments must match
/// the count; named arguments must name parameters, and missing ones are null.
fn bind(params: &[&Name], args: ArgValues) -> Result<Vec<Value>, String> {
    match args {
        ArgValues::Positional(values) => {
            if values.len() != params.len() {
                return Err(format!(
                    "expected {} argument{}, got {}",
                    params.len(),
                    if params.len() == 1 { "" } else { "s" },
                    values.len()
                ));
            }
            Ok(values)
        }
        ArgValues::Named(pairs) => {
            let mut values = vec![Value::Null; params.len()];
            for (n, v) in pairs {
                match params.iter().position(|p| ***p == *n) {
                    Some(i) => values[i] = v,
                    None => {
                        let names: Vec<&str> = params.iter().map(|p| &***p).collect();
                        return Err(format!(
                            "no parameter named '{n}' (parameters: {})",
                            names.join(", ")
                        ));
                    }
                }
            }
            Ok(values)
        }
    }
}

/// Picks the overload the arguments fit and binds them in parameter order.
///
/// Positional: an exact fixed arity wins over a variadic overload. Named: the
/// overload whose parameters are exactly the given names, else the smallest
/// one that has all of them (missing parameters are null).
fn select_overload(
    overloads: &[&'static Overload],
    args: ArgValues,
) -> Result<(&'static Overload, Vec<Value>), String> {
    match args {
        ArgValues::Positional(values) => {
            let n = values.len();
            if let Some(o) = overloads
                .iter()
                .find(|o| !o.variadic && o.params.len() == n)
            {
                return Ok((o, values));
            }
            if let Some(o) = overloads
                .iter()
                .find(|o| o.variadic && n + 1 >= o.params.len())
            {
                let fixed = o.params.len() - 1;
                let mut values = values;
                let rest = values.split_off(fixed);
                values.push(Value::List(rest.into()));
                return Ok((o, values));
            }
            let mut arities: Vec<String> = overloads
                .iter()
                .map(|o| {
                    if o.variadic {
                        format!("{} or more", o.params.len().saturating_sub(1).max(1))
                    } else {
                        o.params.len().to_string()
                    }
                })
                .collect();
            arities.dedup();
            Err(format!(
                "no overload takes {n} argument{} (it takes {})",
                if n == 1 { "" } else { "s" },
                arities.join(" or ")
            ))
        }
        ArgValues::Named(pairs) => {
            let fits = |o: &Overload| pairs.iter().all(|(n, _)| o.params.contains(&&**n));
            let exact = overloads
                .iter()
                .find(|o| fits(o) && o.params.len() == pairs.len());
            let chosen = exact.or_else(|| {
                overloads
                    .iter()
                    .filter(|o| fits(o))
                    .min_by_key(|o| o.params.len())
            });
            let Some(o) = chosen else {
                let given: Vec<&str> = pairs.iter().map(|(n, _)| &**n).collect();
                let known: Vec<String> = overloads
                    .iter()
                    .map(|o| format!("({})", o.params.join(", ")))
                    .collect();
                return Err(format!(
                    "no overload has the parameters {} (overloads: {})",
                    given.join(", "),
                    known.join(", ")
                ));
            };
            let mut values = vec![Value::Null; o.params.len()];
            for (n, v) in pairs {
                if let Some(i) = o.params.iter().position(|p| **p == *n) {
                    values[i] = v;
                }
            }
            if o.variadic {
                // A named variadic parameter takes a list as its value.
                if let Some(last) = values.last_mut() {
                    if !matches!(last, Value::List(_)) {
                        *last = Value::List(vec![std::mem::take(last)].into());
                    }
                }
            }
            Ok((o, values))
        }
    }
}
