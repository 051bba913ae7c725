//! The dialect: which FEEL an engine speaks where the standard and
//! Camunda's engine disagree. Values, built-ins and the evaluator all ask it,
//! so it sits below them.

/// Which FEEL an engine speaks where the DMN 1.5 standard and Camunda's
/// engine (feel-scala, the FEEL of Camunda 8 models) disagree.
///
/// Every difference is listed in the crate documentation (the table under
/// [Dialects](crate#dialects), in `feel/src/lib.rs`). Expressions that do not
/// touch one of them evaluate the same in both dialects.
///
/// # Examples
///
/// ```
/// use feel::{Dialect, Engine, Value};
///
/// let standard = Engine::new();
/// let camunda = Engine::builder().dialect(Dialect::Camunda).build();
/// let vars = Default::default();
/// let src = r#"string(duration("P0D"))"#;
/// assert_eq!(standard.evaluate_expression(src, &vars)?.value, Value::from("PT0S"));
/// assert_eq!(camunda.evaluate_expression(src, &vars)?.value, Value::from("P0D"));
/// # Ok::<(), feel::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Dialect {
    /// DMN 1.5 as the specification and the DMN TCK read it (the default).
    #[default]
    Standard,
    /// Camunda 8's FEEL: feel-scala's documented behaviour where it departs
    /// from the standard.
    Camunda,
}
