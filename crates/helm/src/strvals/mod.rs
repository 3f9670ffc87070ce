//! Helm's `--set` expression syntax (`pkg/strvals`), onto `serde_json` values.
//!
//! This module owns the five flavours of Helm's value flags, each parsing a comma-separated list
//! of `name=value` pairs into an existing map (so several flags apply in order):
//!
//! - [`parse`] (`--set`): values are typed like Helm's `typedVal`: `true`/`false`/`null` (any
//!   case), `0`, and base-10 int64s not starting with `0` become booleans, null and integers
//!   (`i64`); everything else stays a string. `{a,b}` is a list.
//! - [`parse_string`] (`--set-string`): every value stays a string.
//! - [`parse_json`] (`--set-json`): each value is a JSON document (numbers are Go float64s, so
//!   `f64` here); an empty value is null.
//! - [`parse_literal`] (`--set-literal`): everything after the first `=` is one string.
//! - [`parse_file`] (`--set-file`): each value is a path, handed to the caller's reader, whose
//!   returned text becomes the (string) value; this crate does no file IO itself.
//!
//! Keys are dotted paths with `name[index]` list steps (`a.b[0][1].c`); `\` escapes the next
//! character (not in `--set-literal`). Helm's limits apply: list indexes up to 65536, at most 30 nested names; nesting
//! of names and indexes together is bounded at 200 (Go has no bound there). Errors
//! carry Helm's exact text, including the Go runtime's `interface conversion` messages Helm
//! surfaces when a path crosses a value of the wrong kind. As in Helm, `base` may be partly
//! updated when an error is returned. (Helm's CLI wraps these as `failed parsing --set data:
//! …`, `failed parsing --set-file data: …`; that prefix is the caller's.)

pub(crate) mod gojson;
mod parser;

use serde_json::{Map, Value};

/// Helm's `strvals.MaxIndex`.
pub const MAX_INDEX: i64 = 65536;
/// Helm's `strvals.MaxNestedNameLevel`.
pub const MAX_NESTED_NAME_LEVEL: usize = 30;
/// Our bound on nested names and list indexes together (`a[0][0]…`, `a[0].b[0].c…`), which Go
/// recurses through without limit; it keeps the parser's stack use small.
pub const MAX_DEPTH: usize = 200;

/// A `--set` family parse error; `Display` is Helm's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrvalsError {
    /// A key ran into the end of the expression.
    #[error("key {} has no value", gojson::go_quote(.0))]
    NoValue(String),
    /// A key was followed by `,`.
    #[error("key {} has no value (cannot end with ,)", gojson::go_quote(.0))]
    NoValueComma(String),
    /// `a.` with nothing set under `a`.
    #[error("key map {} has no value", gojson::go_quote(.0))]
    EmptyKeyMap(String),
    /// The text between `[` and `]` is not an int (Go's `strconv.Atoi` message).
    #[error("error parsing index: {0}")]
    Index(String),
    /// `a[-1]`.
    #[error("negative {0} index not allowed")]
    NegativeIndex(i64),
    /// An index above [`MAX_INDEX`].
    #[error("index of {0} is greater than maximum supported index of {MAX_INDEX}")]
    IndexTooLarge(i64),
    /// Text between `]` and the next `[`, `.` or `=` (Go's `%q` of a rune slice).
    #[error("unexpected data at end of array index: {0}")]
    UnexpectedData(String),
    /// `{a,b` without the closing brace.
    #[error("list must terminate with '}}'")]
    UnterminatedList,
    /// More than [`MAX_NESTED_NAME_LEVEL`] dots in one name.
    #[error("value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}")]
    TooDeep,
    /// More than [`MAX_DEPTH`] nested names and indexes (a glidepath limit, not Helm's).
    #[error("key nesting is deeper than {MAX_DEPTH} levels")]
    TooDeepNesting,
    /// A path step met an existing value of another kind (Helm's recovered panic).
    #[error("unable to parse key: interface conversion: interface {{}} is {got}, not {want}")]
    TypeConflict {
        /// Go's type name of the existing value (`string`, `int64`, `nil`, ...).
        got: &'static str,
        /// `[]interface {}` or `map[string]interface {}`.
        want: &'static str,
    },
    /// A `--set-json` value is not JSON (Go's `encoding/json` message).
    #[error("{0}")]
    Json(String),
    /// The `--set-file` reader failed; its message verbatim.
    #[error("{0}")]
    File(String),
}

/// How values are produced from their text.
pub(crate) enum Mode<'a> {
    Typed,
    Strings,
    Json,
    Literal,
    File(&'a mut dyn FnMut(&str) -> Result<String, String>),
}

/// `--set`: parses `expr` into `base` with Helm's typing of values.
pub fn parse(expr: &str, base: &mut Map<String, Value>) -> Result<(), StrvalsError> {
    parser::Parser::new(expr, Mode::Typed).parse(base)
}

/// `--set-string`: parses `expr` into `base`, every value a string.
pub fn parse_string(expr: &str, base: &mut Map<String, Value>) -> Result<(), StrvalsError> {
    parser::Parser::new(expr, Mode::Strings).parse(base)
}

/// `--set-json`: parses `expr` into `base`, each value a JSON document.
pub fn parse_json(expr: &str, base: &mut Map<String, Value>) -> Result<(), StrvalsError> {
    parser::Parser::new(expr, Mode::Json).parse(base)
}

/// `--set-literal`: parses `name=rest` into `base`; `rest` is taken verbatim.
pub fn parse_literal(expr: &str, base: &mut Map<String, Value>) -> Result<(), StrvalsError> {
    parser::Parser::new(expr, Mode::Literal).parse(base)
}

/// `--set-file`: parses `expr` into `base`; each value is a path given to `read`, whose text
/// becomes the value. `read`'s error becomes [`StrvalsError::File`] with its `Display` text
/// (Helm's CLI shows e.g. `open /x: no such file or directory`).
pub fn parse_file<E: std::fmt::Display>(
    expr: &str,
    base: &mut Map<String, Value>,
    read: &mut dyn FnMut(&str) -> Result<String, E>,
) -> Result<(), StrvalsError> {
    let mut reader = |path: &str| read(path).map_err(|e| e.to_string());
    parser::Parser::new(expr, Mode::File(&mut reader)).parse(base)
}
