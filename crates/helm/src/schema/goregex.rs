//! Go `regexp` (RE2) patterns on the `regex` crate: Go's ASCII-only `\d`, `\w`, `\s`, `\b`, and
//! Go's syntax errors (`error parsing regexp: missing closing ): `(``) for the mistakes people
//! make (unbalanced groups and classes, bad repetitions and escapes).

use regex::Regex;

fn err(code: &str, expr: &str) -> String {
    format!("error parsing regexp: {code}: `{expr}`")
}

/// The end (exclusive, in chars) of a class starting at `start` (on `[`), or Go's error.
fn class_end(c: &[char], start: usize) -> Result<usize, String> {
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
            '\\' if i + 1 >= c.len() => return Err(err("trailing backslash at end of expression", "")),
            '\\' => {
                // Zero-width escapes mean nothing in a class; Go refuses them.
                let n = c[i + 1];
                if let Some(e) = bad_escape(c, i).or_else(|| "bBAzQE".contains(n).then(|| format!("\\{n}"))) {
                    return Err(err("invalid escape sequence", &e));
                }
                if matches!(n, 'p' | 'P') {
                    match c.get(i + 2) {
                        Some(&l) if l != '{' && !"CLMNPSZ".contains(l) => {
                            return Err(err("invalid character class range", &format!("\\{n}{l}")));
                        }
                        None => return Err(err("invalid character class range", &format!("\\{n}"))),
                        _ => {}
                    }
                }
                let end = i + escape_len(c, i);
                check_range(c, i, end)?;
                i = end;
            }
            '[' if c.get(i + 1) == Some(&':') => match posix_class_end(c, i) {
                Some(end) => {
                    let name: String = c[i + 2..end - 2].iter().collect();
                    if !POSIX.contains(&name.trim_start_matches('^')) {
                        return Err(err("invalid character class range", &c[i..end].iter().collect::<String>()));
                    }
                    i = end;
                }
                None => i += 1,
            },
            ']' => return Ok(i + 1),
            _ => {
                check_range(c, i, i + 1)?;
                i += 1;
            }
        }
    }
    Err(err("missing closing ]", &c[start..].iter().collect::<String>()))
}

/// The character a class item (`c[a..b]`) stands for, when it is a single character.
fn class_char(c: &[char], a: usize, b: usize) -> Option<u32> {
    if b == a + 1 {
        return Some(c[a] as u32);
    }
    let body: String = c[a + 1..b.min(c.len())].iter().collect();
    match body.chars().next()? {
        'x' => u32::from_str_radix(body[1..].trim_start_matches('{').trim_end_matches('}'), 16).ok(),
        '0'..='7' => u32::from_str_radix(&body, 8).ok(),
        'a' => Some(7),
        'f' => Some(12),
        'n' => Some(10),
        'r' => Some(13),
        't' => Some(9),
        'v' => Some(11),
        ch if !ch.is_ascii_alphanumeric() => Some(ch as u32),
        _ => None,
    }
}

/// Go's `lo-hi` check for the class item `c[a..b]` followed by `-` and another item.
fn check_range(c: &[char], a: usize, b: usize) -> Result<(), String> {
    if c.get(b) != Some(&'-') || matches!(c.get(b + 1), None | Some(']')) {
        return Ok(());
    }
    let hi_end = if c[b + 1] == '\\' { b + 1 + escape_len(c, b + 1) } else { b + 2 };
    match (class_char(c, a, b), class_char(c, b + 1, hi_end)) {
        (Some(lo), Some(hi)) if lo > hi => {
            Err(err("invalid character class range", &c[a..hi_end.min(c.len())].iter().collect::<String>()))
        }
        _ => Ok(()),
    }
}

/// Go's (and the crate's) `[:name:]` classes.
const POSIX: [&str; 14] = [
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "word",
    "xdigit",
];

/// The end of a `[:name:]` starting at `i` (on `[`), if it closes.
fn posix_class_end(c: &[char], i: usize) -> Option<usize> {
    (i + 2..c.len().saturating_sub(1)).find(|&j| c[j] == ':' && c[j + 1] == ']').map(|j| j + 2)
}

/// A counted repetition `{n}`, `{n,}` or `{n,m}` at `i`: its end and whether the counts are
/// acceptable to Go (at most 1000, min ≤ max). `None` when `{` is a literal.
fn repeat_at(c: &[char], i: usize) -> Option<(usize, bool)> {
    let close = (i + 1..c.len()).find(|&j| c[j] == '}')?;
    let body: String = c[i + 1..close].iter().collect();
    let (lo, hi) = match body.split_once(',') {
        Some((lo, hi)) => (lo, Some(hi)),
        None => (body.as_str(), None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(lo) || hi.is_some_and(|h| !h.is_empty() && !digits(h)) {
        return None;
    }
    let n = |s: &str| s.parse::<u64>().unwrap_or(u64::MAX);
    let (min, max) = (n(lo), hi.map(|h| if h.is_empty() { None } else { Some(n(h)) }));
    let ok = min <= 1000 && max.flatten().is_none_or(|m| m <= 1000 && min <= m);
    Some((close + 1, ok))
}

/// How many chars the (valid) escape at `i` (on `\\`) spans.
fn escape_len(c: &[char], i: usize) -> usize {
    let close = |from: usize| (from..c.len()).find(|&j| c[j] == '}').map_or(c.len() - i, |e| e + 1 - i);
    match c.get(i + 1) {
        Some('x') if c.get(i + 2) == Some(&'{') => close(i + 3),
        Some('x') => 4,
        Some('p' | 'P') if c.get(i + 2) == Some(&'{') => close(i + 3),
        Some('p' | 'P') => 3,
        Some('0'..='7') => {
            let n = (i + 2..(i + 4).min(c.len())).take_while(|&j| ('0'..='7').contains(&c[j])).count();
            2 + n
        }
        Some('Q') => {
            let end = (i + 2..c.len().saturating_sub(1)).find(|&j| c[j] == '\\' && c[j + 1] == 'E');
            end.map_or(c.len() - i, |e| e + 2 - i)
        }
        _ => 2,
    }
}

/// The text of an escape Go rejects at `i` (on `\\`), as its parser reports it.
fn bad_escape(c: &[char], i: usize) -> Option<String> {
    let s = |a: usize, b: usize| c[a..b.min(c.len())].iter().collect::<String>();
    let n = *c.get(i + 1)?;
    let octal = |x: Option<&char>| x.is_some_and(|d| ('0'..='7').contains(d));
    match n {
        'x' if c.get(i + 2) == Some(&'{') => {
            // Go reads hex digits up to `}`; the error text is what it had read.
            let mut v: u32 = 0;
            for (j, ch) in c.iter().enumerate().skip(i + 3) {
                if *ch == '}' {
                    return (j == i + 3).then(|| s(i, j + 1));
                }
                let Some(d) = ch.to_digit(16) else { return Some(s(i, j + 1)) };
                v = v.saturating_mul(16).saturating_add(d);
                if v > 0x10ffff {
                    return Some(s(i, j + 1));
                }
            }
            Some(s(i, c.len()))
        }
        'x' => {
            let hex = |x: Option<&char>| x.is_some_and(char::is_ascii_hexdigit);
            (!(hex(c.get(i + 2)) && hex(c.get(i + 3)))).then(|| s(i, i + 4))
        }
        '1'..='7' if !octal(c.get(i + 2)) => Some(s(i, i + 2)),
        // `\E` only ends a `\Q…`; alone Go refuses it.
        n if "afnrtv01234567pPdDsSwWbBAzQ".contains(n) => None,
        n if n.is_ascii_alphanumeric() || !n.is_ascii() => Some(s(i, i + 2)),
        _ => None,
    }
}

/// Go's parser state while looking for its first syntax error.
struct Check<'a> {
    p: &'a str,
    c: Vec<char>,
    i: usize,
    groups: usize,
    /// Whether the previous item can take a repetition.
    atom: bool,
    /// The repetition just before (start, end, lazy), for "nested" errors.
    rep: Option<(usize, usize, bool)>,
}

type Step = Result<(), String>;

impl Check<'_> {
    fn s(&self, a: usize, b: usize) -> String {
        self.c[a..b.min(self.c.len())].iter().collect()
    }

    /// `*`, `+`, `?` or `{n,m}` at `i`, ending at `end`.
    fn repetition(&mut self, end: usize, valid: bool) -> Step {
        let (c, i) = (&self.c, self.i);
        if !valid {
            return Err(err("invalid repeat count", &self.s(i, end)));
        }
        let lazy = usize::from(c.get(end) == Some(&'?'));
        if let Some(r) = self.rep {
            // `x*?` is a lazy repetition; anything more is nested.
            if c[i] == '?' && i == r.1 && !r.2 {
                self.rep = Some((r.0, i + 1, true));
                self.i += 1;
                return Ok(());
            }
            return Err(err("invalid nested repetition operator", &self.s(r.0, end + lazy)));
        }
        if !self.atom {
            return Err(err("missing argument to repetition operator", &self.s(i, end + lazy)));
        }
        // The repeated expression is itself an operand.
        self.rep = Some((i, end, false));
        self.i = end;
        Ok(())
    }

    fn escape(&mut self) -> Step {
        let (c, i) = (&self.c, self.i);
        let Some(&n) = c.get(i + 1) else {
            return Err(err("trailing backslash at end of expression", ""));
        };
        if let Some(e) = bad_escape(c, i) {
            return Err(err("invalid escape sequence", &e));
        }
        if matches!(n, 'p' | 'P') {
            // A one-letter Unicode class must be a general category.
            match c.get(i + 2) {
                None => return Err(err("invalid character class range", &self.s(i, i + 2))),
                Some(&l) if l != '{' && !"CLMNPSZ".contains(l) => {
                    return Err(err("invalid character class range", &self.s(i, i + 3)));
                }
                _ => {}
            }
        }
        // Go repeats anything, even `^` or `\\b`; only an empty operand is refused.
        self.atom = true;
        self.i += escape_len(c, i);
        Ok(())
    }

    fn open(&mut self, to: usize) {
        self.atom = false;
        self.groups += 1;
        self.i = to;
    }

    fn group(&mut self) -> Step {
        let (c, i) = (&self.c, self.i);
        if c.get(i + 1) != Some(&'?') {
            self.open(i + 1);
            return Ok(());
        }
        if matches!(c.get(i + 2), Some('P' | '<')) {
            // A named group: `(?P<name>` or `(?<name>`.
            let Some(e) = (i + 2..c.len()).find(|&j| c[j] == '>') else {
                return Err(err("invalid named capture", &self.s(i, c.len())));
            };
            self.open(e + 1);
            return Ok(());
        }
        // Flags: `(?i)` sets them (what came before stays repeatable), `(?i:` opens a group.
        let end = (i + 2..c.len()).find(|&j| !(c[j].is_ascii_alphabetic() || c[j] == '-'));
        match end.map(|e| (e, c[e])) {
            Some((e, ')')) if e > i + 2 => self.i = e + 1,
            Some((e, ':')) => self.open(e + 1),
            _ => return Err(err("invalid or unsupported Perl syntax", &self.s(i, i + 3))),
        }
        Ok(())
    }

    fn token(&mut self) -> Step {
        let ch = self.c[self.i];
        let counted = if ch == '{' { repeat_at(&self.c, self.i) } else { None };
        if matches!(ch, '*' | '+' | '?') || counted.is_some() {
            let (end, valid) = counted.unwrap_or((self.i + 1, true));
            return self.repetition(end, valid);
        }
        self.rep = None;
        match ch {
            '\\' => self.escape()?,
            '[' => {
                self.i = class_end(&self.c, self.i)?;
                self.atom = true;
            }
            '(' => self.group()?,
            ')' => {
                if self.groups == 0 {
                    return Err(err("unexpected )", self.p));
                }
                self.groups -= 1;
                self.atom = true;
                self.i += 1;
            }
            _ => {
                self.atom = ch != '|';
                self.i += 1;
            }
        }
        Ok(())
    }
}

/// Go's first syntax error in `p`, scanning left to right as its parser does.
fn go_syntax_error(p: &str) -> Option<String> {
    let mut k = Check { p, c: p.chars().collect(), i: 0, groups: 0, atom: false, rep: None };
    while k.i < k.c.len() {
        if let Err(e) = k.token() {
            return Some(e);
        }
    }
    (k.groups > 0).then(|| err("missing closing )", p))
}

/// Writes the escape at `i` (on `\\`) for the crate; returns where the next item starts.
fn translate_escape(c: &[char], i: usize, in_class: bool, out: &mut String) -> usize {
    let Some(&n) = c.get(i + 1) else {
        out.push('\\');
        return i + 1;
    };
    let end = (i + escape_len(c, i)).min(c.len());
    if n.is_digit(8) {
        // Go's octal escapes; the crate wants hex.
        let digits: String = c[i + 1..end].iter().collect();
        let v = u32::from_str_radix(&digits, 8).unwrap_or(0);
        out.push_str(&format!("\\x{{{v:x}}}"));
        return end;
    }
    if matches!(n, 'x' | 'p' | 'P') {
        out.extend(&c[i..end]);
        return end;
    }
    if n == 'Q' {
        let body: String = c[i + 2..end].iter().collect();
        out.push_str(&regex::escape(body.strip_suffix("\\E").unwrap_or(&body)));
        return end;
    }
    // Go's Perl classes are ASCII; the crate's are Unicode.
    let class = |inner: &'static str, outer: &'static str| if in_class { inner } else { outer };
    match n {
        'd' => out.push_str(class("0-9", "[0-9]")),
        'w' => out.push_str(class("0-9A-Za-z_", "[0-9A-Za-z_]")),
        's' => out.push_str(class("\\t\\n\\f\\r ", "[\\t\\n\\f\\r ]")),
        'D' if !in_class => out.push_str("[^0-9]"),
        'W' if !in_class => out.push_str("[^0-9A-Za-z_]"),
        'S' if !in_class => out.push_str("[^\\t\\n\\f\\r ]"),
        'b' if !in_class => out.push_str("(?-u:\\b)"),
        'B' if !in_class => out.push_str("(?-u:\\B)"),
        n => {
            out.push('\\');
            out.push(n);
        }
    }
    i + 2
}

/// A flags-only group at `i` followed by a repetition: Go repeats what came before the group,
/// the crate refuses, so the repetition is written in front of the flags.
fn translate_flags(c: &[char], i: usize, out: &mut String) -> Option<usize> {
    let end = (i + 2..c.len()).find(|&j| !(c[j].is_ascii_alphabetic() || c[j] == '-'))?;
    if c[end] != ')' || end == i + 2 {
        return None;
    }
    let flags_end = end + 1;
    let rep_end = match c.get(flags_end) {
        Some('*' | '+' | '?') => flags_end + 1,
        Some('{') => repeat_at(c, flags_end)?.0,
        _ => return None,
    };
    let rep_end = rep_end + usize::from(c.get(rep_end) == Some(&'?'));
    out.extend(&c[flags_end..rep_end]);
    out.extend(&c[i..flags_end]);
    Some(rep_end)
}

/// Writes the class opening at `i` (on `[`); returns where its items start.
fn translate_class_open(c: &[char], i: usize, out: &mut String) -> usize {
    out.push('[');
    // A leading `]` (or `^]`) is literal inside a class.
    for lit in [&['^', ']'][..], &[']'], &['^']] {
        if c[i + 1..].starts_with(lit) {
            out.extend(lit);
            return i + 1 + lit.len();
        }
    }
    i + 1
}

/// Rewrites a Go pattern for the regex crate: ASCII Perl classes, octal escapes, `\\Q…\\E`,
/// the braces and class brackets Go reads literally.
fn translate(pattern: &str) -> String {
    let c: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut in_class = false;
    let mut i = 0;
    while i < c.len() {
        i = match c[i] {
            '\\' => translate_escape(&c, i, in_class, &mut out),
            '{' if !in_class => match repeat_at(&c, i) {
                Some((end, _)) => {
                    out.extend(&c[i..end]);
                    end
                }
                // Go reads a `{` that does not start a counted repetition literally.
                None => {
                    out.push_str("\\{");
                    i + 1
                }
            },
            '}' if !in_class => {
                out.push_str("\\}");
                i + 1
            }
            '(' if !in_class && c.get(i + 1) == Some(&'?') => translate_flags(&c, i, &mut out).unwrap_or_else(|| {
                out.push('(');
                i + 1
            }),
            // Inside a class Go's `[` is literal unless it opens `[:name:]`.
            '[' if in_class && c.get(i + 1) != Some(&':') => {
                out.push_str("\\[");
                i + 1
            }
            '[' if in_class => match posix_class_end(&c, i) {
                Some(end) => {
                    out.extend(&c[i..end]);
                    end
                }
                None => {
                    out.push_str("\\[");
                    i + 1
                }
            },
            '[' => {
                in_class = true;
                translate_class_open(&c, i, &mut out)
            }
            ch => {
                in_class &= ch != ']';
                out.push(ch);
                i + 1
            }
        };
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
