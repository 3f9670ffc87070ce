//! Bad input never panics: random token soups are parsed and executed; each must give
//! output or an error. (A deterministic generator, so failures reproduce.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{data, test_funcs};
use glidepath_gotmpl::Template;

const PIECES: &[&str] = &[
    "{{",
    "}}",
    "{{- ",
    " -}}",
    "{{/*",
    "*/}}",
    " ",
    "\n",
    ".",
    ".a",
    ".SI",
    ".MSI.one",
    "$",
    "$x",
    ":=",
    "=",
    "|",
    "(",
    ")",
    ",",
    "if",
    "else",
    "end",
    "range",
    "with",
    "define",
    "template",
    "block",
    "break",
    "continue",
    "\"s\"",
    "`r`",
    "'c'",
    "'",
    "\"",
    "`",
    "1",
    "-2",
    "0x1F",
    "1e3",
    "1.5",
    "nil",
    "true",
    "printf",
    "\"%d %s %v %q\"",
    "index",
    "slice",
    "len",
    "eq",
    "lt",
    "and",
    "or",
    "not",
    "print",
    "html",
    "js",
    "urlquery",
    "add",
    "echo",
    "\"x\"",
    "é",
    "%",
    "{",
    "}",
    "#",
];

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

#[test]
fn random_templates_never_panic() {
    let mut rng = Lcg(42);
    let d = data("tval");
    let mut parsed = 0;
    for _ in 0..3000 {
        let n = 1 + rng.next() % 24;
        let text: String = (0..n).map(|_| PIECES[rng.next() % PIECES.len()]).collect();
        let mut t = Template::new("fuzz");
        t.funcs(&test_funcs());
        t.options.max_steps = 100_000;
        if t.parse(&text).is_ok() {
            parsed += 1;
            let _ = t.execute(&d);
        }
    }
    // Structured soups: well-formed actions around random pipelines.
    for _ in 0..2000 {
        let n = 1 + rng.next() % 8;
        let body: Vec<&str> = (0..n).map(|_| PIECES[6 + rng.next() % (PIECES.len() - 6)]).collect();
        let text = format!("{{{{{}}}}}", body.join(" "));
        let mut t = Template::new("fuzz");
        t.funcs(&test_funcs());
        if t.parse(&text).is_ok() {
            parsed += 1;
            let _ = t.execute(&d);
        }
    }
    println!("random templates: {parsed} of 5000 parsed, none panicked");
    assert!(parsed > 50);
}
