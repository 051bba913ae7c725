//! Errors and warnings.
//!
//! FEEL answers most run-time problems (a missing variable, a type mismatch, a
//! call of an unknown function) with `null`. The engine keeps the reason: each
//! such null comes with a [`Warning`] in the [`Evaluation`](crate::Evaluation).
//! Only problems the expression cannot answer at all are an [`Error`]: a parse
//! error, an exceeded limit, a failing host function.

use std::fmt;
use std::ops::Range;

/// A byte range in the source text of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset just past the last character.
    pub end: usize,
}

impl Span {
    /// Creates a span.
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The byte range.
    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }

    /// The 1-based line and column (in characters) of the span's start in `source`.
    pub fn line_column(self, source: &str) -> (usize, usize) {
        let upto = &source[..floor_char_boundary(source, self.start)];
        let line = upto.matches('\n').count() + 1;
        let line_start = upto.rfind('\n').map_or(0, |i| i + 1);
        let column = upto[line_start..].chars().count() + 1;
        (line, column)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// How many characters of the offending line an excerpt shows at most.
const EXCERPT_WIDTH: usize = 80;

/// Renders the line of `source` holding `span` with a caret line under it.
/// Long lines are cut to a window around the span, marked with `…`.
pub(crate) fn excerpt(source: &str, span: Span) -> String {
    let start = floor_char_boundary(source, span.start);
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let (line_no, column) = span.line_column(source);
    let end = floor_char_boundary(source, span.end.max(start)).min(line_end);
    let width = source[start..end].chars().count().max(1);
    // Window [from, to) of characters, keeping the caret's start visible.
    // Only the window is copied: the line may be megabytes long.
    let caret = column - 1;
    let from = caret.saturating_sub(EXCERPT_WIDTH / 2);
    let mut rest = source[line_start..line_end].chars().skip(from);
    let mut shown: String = rest.by_ref().take(EXCERPT_WIDTH).collect();
    let to = from + shown.chars().count();
    let mut offset = caret - from;
    if from > 0 {
        shown.insert(0, '…');
        offset += 1;
    }
    if rest.next().is_some() {
        shown.push('…');
    }
    let carets = width.min(to.saturating_sub(caret).max(1));
    let gutter = line_no.to_string();
    format!(
        "{pad} |\n{gutter} | {shown}\n{pad} | {spaces}{carets}",
        pad = " ".repeat(gutter.len()),
        spaces = " ".repeat(offset),
        carets = "^".repeat(carets)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_point_at_the_span() {
        let e = excerpt("a +\nb + )", Span::new(8, 9));
        assert_eq!(e, "  |\n2 | b + )\n  |     ^");
    }

    #[test]
    fn long_lines_are_cut_around_the_span() {
        let src = format!("{}!{}", "x".repeat(500), "y".repeat(500));
        let e = excerpt(&src, Span::new(500, 501));
        let lines: Vec<&str> = e.lines().collect();
        assert!(lines[1].chars().count() < 100, "{e}");
        let caret_col = lines[2].find('^').unwrap();
        assert_eq!(lines[1].chars().nth(caret_col), Some('!'), "{e}");
    }
}

/// Why an expression could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    message: String,
    span: Span,
    line: usize,
    column: usize,
    expected: Vec<String>,
    excerpt: String,
}

impl ParseError {
    pub(crate) fn new(source: &str, span: Span, message: String, expected: Vec<String>) -> Self {
        let (line, column) = span.line_column(source);
        ParseError {
            message,
            span,
            line,
            column,
            expected,
            excerpt: excerpt(source, span),
        }
    }

    /// What went wrong, in one sentence.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where in the source it went wrong.
    pub fn span(&self) -> Span {
        self.span
    }

    /// The 1-based line.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The 1-based column, in characters.
    pub fn column(&self) -> usize {
        self.column
    }

    /// What the parser would have accepted at that point (human names such as
    /// `an expression` or `")"`), if known.
    pub fn expected(&self) -> &[String] {
        &self.expected
    }

    /// The offending source line with a caret under the error.
    pub fn excerpt(&self) -> &str {
        &self.excerpt
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "parse error at line {}, column {}: {}\n{}",
            self.line, self.column, self.message, self.excerpt
        )
    }
}

impl std::error::Error for ParseError {}

/// What kind of failure stopped an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The source could not be parsed; see [`Error::parse_error`].
    Syntax,
    /// The evaluation used up its fuel (see `EngineBuilder::fuel`).
    FuelExhausted,
    /// The evaluation nested deeper than allowed (see `EngineBuilder::max_depth`).
    DepthExceeded,
    /// A value grew beyond the configured size limit.
    SizeExceeded,
    /// The evaluation would have built more than its memory budget allows
    /// (see `EngineBuilder::memory_budget`).
    MemoryExhausted,
    /// A function registered by the host returned an error.
    HostFunction,
    /// The input could not be converted into FEEL values.
    InvalidInput,
}

impl ErrorKind {
    fn describe(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax error",
            ErrorKind::FuelExhausted => "evaluation fuel exhausted",
            ErrorKind::DepthExceeded => "nesting depth exceeded",
            ErrorKind::SizeExceeded => "value size limit exceeded",
            ErrorKind::MemoryExhausted => "evaluation memory budget exhausted",
            ErrorKind::HostFunction => "host function failed",
            ErrorKind::InvalidInput => "invalid input",
        }
    }
}

/// A failure that stopped an evaluation (or a compilation).
///
/// One pointer wide: every step of an evaluation returns a `Result<Value,
/// Error>`, and a small error type keeps those returns cheap.
#[derive(Debug)]
pub struct Error(Box<ErrorInner>);

#[derive(Debug)]
struct ErrorInner {
    kind: ErrorKind,
    detail: String,
    span: Option<Span>,
    parse: Option<Box<ParseError>>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// Creates an error of the given kind.
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Error(Box::new(ErrorInner {
            kind,
            detail: detail.into(),
            span: None,
            parse: None,
            source: None,
        }))
    }

    pub(crate) fn with_span(mut self, span: Span) -> Self {
        self.0.span.get_or_insert(span);
        self
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.0.source = Some(Box::new(source));
        self
    }

    /// The kind of failure, for callers to match on.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The detail message.
    pub fn detail(&self) -> &str {
        &self.0.detail
    }

    /// Where in the expression the failure happened, if known.
    pub fn span(&self) -> Option<Span> {
        self.0.span
    }

    /// The parse error, when the kind is [`ErrorKind::Syntax`].
    pub fn parse_error(&self) -> Option<&ParseError> {
        self.0.parse.as_deref()
    }
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Error(Box::new(ErrorInner {
            kind: ErrorKind::Syntax,
            detail: e.message.clone(),
            span: Some(e.span),
            parse: Some(Box::new(e)),
            source: None,
        }))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.0.parse {
            return p.fmt(f);
        }
        write!(f, "{}: {}", self.0.kind.describe(), self.0.detail)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.source {
            Some(s) => Some(s.as_ref()),
            None => self
                .0
                .parse
                .as_deref()
                .map(|p| p as &(dyn std::error::Error + 'static)),
        }
    }
}

/// Why a part of an evaluation yielded `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WarningKind {
    /// A name that is neither a variable in scope nor a function.
    NoVariableFound,
    /// A call of a function that does not exist.
    NoFunctionFound,
    /// Arguments that match no overload of the function (count, names).
    InvalidArguments,
    /// An operand or argument of the wrong type.
    InvalidType,
    /// Two values that cannot be compared.
    NotComparable,
    /// A path into a context entry or property that does not exist.
    NoContextEntryFound,
    /// A list index out of bounds.
    IndexOutOfBounds,
    /// A number result outside what the number type holds, or a division by zero.
    ArithmeticError,
    /// A value that is not valid for the function (a bad date string, …).
    InvalidValue,
    /// A function that failed on valid input (`assert`, a failing regex, …).
    FunctionFailed,
}

/// Why a part of an evaluation yielded `null`: the kind, a message naming what
/// was wrong, and where in the expression.
///
/// New fields may be added: match on the fields you read, and let the engine
/// build warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Warning {
    /// What kind of problem.
    pub kind: WarningKind,
    /// A message that names what was wrong.
    pub message: String,
    /// The part of the expression that yielded null.
    pub span: Span,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (at {}..{})",
            self.message, self.span.start, self.span.end
        )
    }
}
