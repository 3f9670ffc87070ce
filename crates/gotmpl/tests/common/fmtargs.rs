//! Building fmt test arguments and running single-argument `Sprintf` tables.

use std::sync::Arc;

use glidepath_gotmpl::Value;
use glidepath_gotmpl::fmt::sprintf;

/// `(format, argument, want)`.
pub type Case = (&'static str, Value, &'static str);

pub fn i(n: i64) -> Value {
    Value::Int(n)
}

pub fn f(x: f64) -> Value {
    Value::Float(x)
}

pub fn s(x: &str) -> Value {
    Value::str(x)
}

pub fn by(x: &[u8]) -> Value {
    Value::Bytes(Arc::from(x))
}

pub fn l(v: Vec<Value>) -> Value {
    Value::list(v)
}

/// Go's `zeroFill`: `prefix`, then zeros and `suffix` making `n` characters.
pub fn zero_fill(prefix: &str, n: usize, suffix: &str) -> &'static str {
    Box::leak(format!("{prefix}{}{suffix}", "0".repeat(n - suffix.len())).into_boxed_str())
}

/// Runs `Sprintf(format, arg)` for each case and reports the table.
pub fn run_table(table: &str, cases: &[Case]) {
    let mut failures = Vec::new();
    for (format, arg, want) in cases {
        let got = sprintf(format, std::slice::from_ref(arg));
        if got != *want {
            failures.push(format!("sprintf({format:?}, {arg:?}) = {got:?}, want {want:?}"));
        }
    }
    super::report(table, &failures, cases.len());
}
