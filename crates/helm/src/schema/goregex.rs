//! Go `regexp` (RE2) patterns on the `regex` crate: Go's ASCII-only `\d`, `\w`, `\s`, `\b`, and
//! Go's syntax errors (`error parsing regexp: missing closing ): `(``) for the mistakes people
//! make (unbalanced groups and classes, bad repetitions and escapes).

use regex::Regex;

fn err(code: &str, expr: &str) -> String {
    format!("error parsing regexp: {code}: `{expr}`")
}

/// The end (exclusive, in chars) of a class starting at `start` (on `[`), or `None`.
fn class_end(c: &[char], start: usize) -> Option<usize> {
    let mut i = start + 1;
    if c.get(i) == Some(&'^') {
        i += 1;
    }
    // A `]` right after `[` or `[^` is literal.
    if c.get(i) == Some(&']') {
        i += 1;
    }
    while i < c.len() {
        match c[i] {
            '\\' => i += 2,
            '[' if c.get(i + 1) == Some(&':') => {
                let close = (i + 2..c.len().saturating_sub(1)).find(|&j| c[j] == ':' && c[j + 1] == ']');
                i = close.map_or(i + 1, |j| j + 2);
            }
            ']' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Go's first syntax error in `p`, scanning left to right as its parser does.
fn go_syntax_error(p: &str) -> Option<String> {
    let c: Vec<char> = p.chars().collect();
    let s = |a: usize, b: usize| c[a..b.min(c.len())].iter().collect::<String>();
    let mut groups = 0usize;
    // Whether the previous item can take a repetition; `Some(start)` of a repetition run.
    let mut atom = false;
    let mut rep: Option<usize> = None;
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        let is_rep = matches!(ch, '*' | '+' | '?');
        if is_rep {
            if let Some(r) = rep {
                // `x*?` is a lazy repetition; anything more is nested.
                if ch == '?' && i == r + 1 && c[r] != '?' {
                    i += 1;
                    continue;
                }
                return Some(err("invalid nested repetition operator", &s(r, i + 1)));
            }
            if !atom {
                return Some(err("missing argument to repetition operator", &ch.to_string()));
            }
            rep = Some(i);
            atom = false;
            i += 1;
            continue;
        }
        rep = None;
        match ch {
            '\\' => {
                let Some(&n) = c.get(i + 1) else {
                    return Some(err("trailing backslash at end of expression", ""));
                };
                if n.is_ascii_alphanumeric() && !"afnrtv01234567xpPdDsSwWbBAzQE".contains(n) {
                    return Some(err("invalid escape sequence", &s(i, i + 2)));
                }
                atom = !matches!(n, 'b' | 'B' | 'A' | 'z');
                i += 2;
            }
            '[' => match class_end(&c, i) {
                Some(e) => {
                    atom = true;
                    i = e;
                }
                None => return Some(err("missing closing ]", &s(i, c.len()))),
            },
            '(' => {
                if c.get(i + 1) == Some(&'?') {
                    let next = c.get(i + 2).copied().unwrap_or(' ');
                    if !(next == ':' || next == 'P' || next == '<' || next.is_ascii_alphabetic() || next == '-') {
                        return Some(err("invalid or unsupported Perl syntax", &s(i, i + 3)));
                    }
                }
                groups += 1;
                atom = false;
                i += 1;
            }
            ')' => {
                if groups == 0 {
                    return Some(err("unexpected )", p));
                }
                groups -= 1;
                atom = true;
                i += 1;
            }
            '|' | '^' | '$' => {
                atom = false;
                i += 1;
            }
            _ => {
                atom = true;
                i += 1;
            }
        }
    }
    (groups > 0).then(|| err("missing closing )", p))
}

/// Rewrites Go's ASCII classes for the regex crate (whose classes are Unicode).
fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('d') => out.push_str(if in_class { "0-9" } else { "[0-9]" }),
                Some('w') => out.push_str(if in_class { "0-9A-Za-z_" } else { "[0-9A-Za-z_]" }),
                Some('s') => out.push_str(if in_class { "\\t\\n\\f\\r " } else { "[\\t\\n\\f\\r ]" }),
                Some('D') if !in_class => out.push_str("[^0-9]"),
                Some('W') if !in_class => out.push_str("[^0-9A-Za-z_]"),
                Some('S') if !in_class => out.push_str("[^\\t\\n\\f\\r ]"),
                Some('b') if !in_class => out.push_str("(?-u:\\b)"),
                Some('B') if !in_class => out.push_str("(?-u:\\B)"),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A leading `]` (or `^]`) is literal inside a class.
                let rest = chars.as_str();
                for lit in ["^]", "]", "^"] {
                    if rest.starts_with(lit) {
                        out.push_str(lit);
                        for _ in 0..lit.len() {
                            chars.next();
                        }
                        break;
                    }
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

/// Compiles a Go pattern; the error is Go's text where we can tell it, else the crate's.
pub(crate) fn go_regex(pattern: &str) -> Result<Regex, String> {
    if let Some(e) = go_syntax_error(pattern) {
        return Err(e);
    }
    Regex::new(&translate(pattern)).map_err(|e| {
        let first = e.to_string().lines().last().unwrap_or("").trim().to_string();
        format!("error parsing regexp: {first}: `{pattern}`")
    })
}
