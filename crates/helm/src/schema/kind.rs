//! Validation error trees and their text, as santhosh-tekuri/jsonschema v6 prints them
//! (`ValidationError.Error()`: one `- at '<pointer>': <message>` line per error, causes indented
//! two spaces, a `$ref` wrapper with a single cause left out).

use std::fmt::Write as _;

use super::number::{Decimal, localized_float, localized_int};
use crate::strvals::gojson::{Json, go_quote};

/// One validation failure and what caused it.
#[derive(Debug, Clone)]
pub(crate) struct VErr {
    pub(crate) loc: Vec<String>,
    pub(crate) kind: Box<Kind>,
    pub(crate) causes: Vec<VErr>,
}

/// v6's `kind` package: each failure's message.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Group,
    Reference,
    FalseSchema,
    RefCycle {
        url: String,
        kw1: String,
        kw2: String,
    },
    Type {
        got: &'static str,
        want: Vec<&'static str>,
    },
    Enum(Vec<Json>),
    Const(Json),
    Format {
        got: String,
        want: String,
        err: String,
    },
    MinProperties(usize, i64),
    MaxProperties(usize, i64),
    MinItems(usize, i64),
    MaxItems(usize, i64),
    AdditionalItems(usize),
    Required(Vec<String>),
    Dependency {
        prop: String,
        missing: Vec<String>,
    },
    AdditionalProperties(Vec<String>),
    PropertyNames(String),
    UniqueItems(usize, usize),
    Contains,
    MinContains(Vec<usize>, i64),
    MaxContains(Vec<usize>, i64),
    MinLength(usize, i64),
    MaxLength(usize, i64),
    Pattern {
        got: String,
        want: String,
    },
    Minimum(Decimal, Decimal),
    Maximum(Decimal, Decimal),
    ExclusiveMinimum(Decimal, Decimal),
    ExclusiveMaximum(Decimal, Decimal),
    MultipleOf(Decimal, Decimal),
    Not,
    AllOf,
    AnyOf,
    OneOf(Option<(usize, usize)>),
    /// Our stack bound (the library has none).
    TooDeep(usize),
}

/// v6's `quote`: Go's `%q` with `"` unescaped and `'` escaped, in single quotes.
pub(crate) fn quote(s: &str) -> String {
    // As in Go, `\"` is unescaped before the outer quotes are cut, so a trailing `\\"` loses
    // a backslash and the closing quote, and the slice then eats the last character.
    let q = go_quote(s).replace("\\\"", "\"").replace('\'', "\\'");
    let inner = q.get(1..q.len().saturating_sub(1)).unwrap_or("");
    format!("'{inner}'")
}

fn join_quoted(items: &[String]) -> String {
    items.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ")
}

/// v6's `display` of a schema value (Go's `%v`; numbers as written, via `UseNumber`).
fn display(v: &Json) -> String {
    match v {
        Json::String(s) => quote(s),
        Json::Array(_) | Json::Object(_) => "value".to_string(),
        Json::Null => "<nil>".to_string(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.clone(),
    }
}

fn int(n: usize) -> String {
    localized_int(i64::try_from(n).unwrap_or(i64::MAX))
}

fn num(label: &str, got: &Decimal, want: &Decimal) -> String {
    format!("{label}: got {}, want {}", localized_float(got.to_f64()), localized_float(want.to_f64()))
}

fn indexes(v: &[usize]) -> String {
    v.iter().map(usize::to_string).collect::<Vec<_>>().join(" ")
}

impl Kind {
    pub(crate) fn message(&self) -> String {
        match self {
            Kind::Group | Kind::Reference => "validation failed".into(),
            Kind::FalseSchema => "false schema".into(),
            Kind::RefCycle { url, kw1, kw2 } => {
                format!("both {kw1} and {kw2} resolve to {} causing reference cycle", go_quote(url))
            }
            Kind::Type { got, want } => format!("got {got}, want {}", want.join(" or ")),
            Kind::Enum(want) => {
                if want.iter().any(|v| matches!(v, Json::Array(_) | Json::Object(_))) {
                    "'enum' failed".into()
                } else if want.len() == 1 {
                    format!("value must be {}", display(&want[0]))
                } else {
                    let all: Vec<String> = want.iter().map(display).collect();
                    format!("value must be one of {}", all.join(", "))
                }
            }
            Kind::Const(Json::Array(_) | Json::Object(_)) => "'const' failed".into(),
            Kind::Const(want) => format!("value must be {}", display(want)),
            Kind::Format { got, want, err } => format!("{got} is not valid {want}: {err}"),
            Kind::MinProperties(g, w) => format!("minProperties: got {}, want {}", int(*g), localized_int(*w)),
            Kind::MaxProperties(g, w) => format!("maxProperties: got {}, want {}", int(*g), localized_int(*w)),
            Kind::MinItems(g, w) => format!("minItems: got {}, want {}", int(*g), localized_int(*w)),
            Kind::MaxItems(g, w) => format!("maxItems: got {}, want {}", int(*g), localized_int(*w)),
            Kind::AdditionalItems(n) => format!("last {} additionalItem(s) not allowed", int(*n)),
            Kind::Required(m) if m.len() == 1 => format!("missing property {}", quote(&m[0])),
            Kind::Required(m) => format!("missing properties {}", join_quoted(m)),
            Kind::Dependency { prop, missing } => {
                format!("properties {} required, if {} exists", join_quoted(missing), quote(prop))
            }
            Kind::AdditionalProperties(p) => format!("additional properties {} not allowed", join_quoted(p)),
            Kind::PropertyNames(p) => format!("invalid propertyName {}", quote(p)),
            Kind::UniqueItems(i, j) => format!("items at {} and {} are equal", int(*i), int(*j)),
            Kind::Contains => "no items match contains schema".into(),
            Kind::MinContains(got, want) if got.is_empty() => {
                format!("min {} items required to match contains schema, but none matched", localized_int(*want))
            }
            Kind::MinContains(got, want) => format!(
                "min {} items required to match contains schema, but matched {} items at {}",
                localized_int(*want),
                int(got.len()),
                indexes(got)
            ),
            Kind::MaxContains(got, want) => format!(
                "max {} items required to match contains schema, but matched {} items at {}",
                localized_int(*want),
                int(got.len()),
                indexes(got)
            ),
            Kind::MinLength(g, w) => format!("minLength: got {}, want {}", int(*g), localized_int(*w)),
            Kind::MaxLength(g, w) => format!("maxLength: got {}, want {}", int(*g), localized_int(*w)),
            Kind::Pattern { got, want } => format!("{} does not match pattern {}", quote(got), quote(want)),
            Kind::Minimum(g, w) => num("minimum", g, w),
            Kind::Maximum(g, w) => num("maximum", g, w),
            Kind::ExclusiveMinimum(g, w) => num("exclusiveMinimum", g, w),
            Kind::ExclusiveMaximum(g, w) => num("exclusiveMaximum", g, w),
            Kind::MultipleOf(g, w) => num("multipleOf", g, w),
            Kind::Not => "'not' failed".into(),
            Kind::AllOf => "'allOf' failed".into(),
            Kind::AnyOf => "'anyOf' failed".into(),
            Kind::OneOf(None) => "'oneOf' failed, none matched".into(),
            Kind::TooDeep(n) => format!("validation nested deeper than {n} levels"),
            Kind::OneOf(Some((a, b))) => {
                format!("'oneOf' failed, subschemas {}, {} matched", int(*a), int(*b))
            }
        }
    }
}

/// RFC 6901 escaping of one token.
fn escape(tok: &str) -> String {
    tok.replace('~', "~0").replace('/', "~1")
}

pub(crate) fn json_ptr(tokens: &[String]) -> String {
    tokens.iter().fold(String::new(), |mut s, t| {
        s.push('/');
        s.push_str(&escape(t));
        s
    })
}

impl VErr {
    /// v6's `skip`: a `$ref` wrapper around exactly one cause is not printed.
    fn skip(&self) -> bool {
        self.causes.len() == 1 && matches!(*self.kind, Kind::Reference)
    }

    /// v6's `display` for the lines below the top `jsonschema validation failed` line.
    pub(crate) fn write(&self, out: &mut String, indent: usize) {
        let mut indent = indent;
        if !self.skip() {
            if !out.is_empty() {
                out.push('\n');
            }
            for _ in 0..indent {
                out.push_str("  ");
            }
            let _ = write!(out, "- at {}: {}", quote(&json_ptr(&self.loc)), self.kind.message());
            indent += 1;
        }
        for c in &self.causes {
            c.write(out, indent);
        }
    }
}

/// The lines of an error as the library prints its causes (no final newline).
pub(crate) fn render(e: &VErr) -> String {
    let mut out = String::new();
    if matches!(*e.kind, Kind::Group) {
        e.causes.iter().for_each(|c| c.write(&mut out, 0));
    } else {
        e.write(&mut out, 0);
    }
    out
}
