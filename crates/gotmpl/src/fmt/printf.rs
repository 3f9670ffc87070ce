//! `fmt.Sprintf`: Go's `doPrintf` over template values.

use super::{Flags, Printer};
use crate::value::Value;

/// Go's `tooLarge`: widths and precisions beyond a million are refused.
const TOO_LARGE: usize = 1_000_000;

/// Formatting stops once the result passes this many bytes (a short format of large widths
/// would otherwise allocate without bound); the executor's output cap then rejects the result.
const MAX_RESULT: usize = 64 << 20;

/// Reads a decimal number at `i`; `None` (and the end of the format) when absent or too large.
fn parse_num(s: &[u8], mut i: usize, end: usize) -> (Option<usize>, usize) {
    if i >= end {
        return (None, end);
    }
    let mut num = 0usize;
    let mut found = false;
    while i < end && s[i].is_ascii_digit() {
        if num > TOO_LARGE {
            return (None, end);
        }
        num = num * 10 + usize::from(s[i] - b'0');
        found = true;
        i += 1;
    }
    (found.then_some(num), i)
}

struct State<'a> {
    p: Printer,
    args: &'a [Value],
    arg_num: usize,
    reordered: bool,
    good_arg_num: bool,
}

impl State<'_> {
    /// `[n]` argument index at `i`: the new argument number, position and whether one was found.
    fn arg_number(&mut self, fmt: &[u8], i: usize) -> (usize, bool) {
        if i >= fmt.len() || fmt[i] != b'[' {
            return (i, false);
        }
        self.reordered = true;
        let (index, wid, ok) = parse_arg_number(&fmt[i..]);
        if ok && index < self.args.len() {
            self.arg_num = index;
            return (i + wid, true);
        }
        self.good_arg_num = false;
        (i + wid, ok)
    }

    /// An `int` argument for `*`; `None` if not an int or too large.
    fn int_arg(&mut self) -> Option<i64> {
        let a = self.args.get(self.arg_num)?;
        self.arg_num += 1;
        match a {
            Value::Int(n) if n.unsigned_abs() <= TOO_LARGE as u64 => Some(*n),
            _ => None,
        }
    }
}

fn parse_arg_number(fmt: &[u8]) -> (usize, usize, bool) {
    if fmt.len() < 3 {
        return (0, 1, false);
    }
    for i in 1..fmt.len() {
        if fmt[i] == b']' {
            let (n, newi) = parse_num(fmt, 1, i);
            return match n {
                Some(n) if newi == i && n >= 1 => (n - 1, i + 1, true),
                _ => (0, i + 1, false),
            };
        }
    }
    (0, 1, false)
}

/// Go's `fmt.Sprintf`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let fmt = format.as_bytes();
    let end = fmt.len();
    let mut st = State { p: Printer::default(), args, arg_num: 0, reordered: false, good_arg_num: true };
    let mut i = 0;
    while i < end && st.p.buf.len() <= MAX_RESULT {
        st.good_arg_num = true;
        let last = i;
        while i < end && fmt[i] != b'%' {
            i += 1;
        }
        if i > last {
            st.p.buf.push_str(&format[last..i]);
        }
        if i >= end {
            break;
        }
        i += 1;
        st.p.f = Flags::default();
        i = one_verb(&mut st, format, i);
    }
    if !st.reordered && st.arg_num < args.len() {
        st.p.f = Flags::default();
        st.p.buf.push_str("%!(EXTRA ");
        for (n, a) in args[st.arg_num..].iter().enumerate() {
            if n > 0 {
                st.p.buf.push_str(", ");
            }
            if a.is_nil() {
                st.p.buf.push_str("<nil>");
            } else {
                st.p.buf.push_str(&a.type_name());
                st.p.buf.push('=');
                st.p.print_arg(a, 'v');
            }
        }
        st.p.buf.push(')');
    }
    st.p.buf
}

/// Flags, index, width, precision and verb of one directive starting after `%` at `i`.
fn one_verb(st: &mut State<'_>, format: &str, mut i: usize) -> usize {
    let fmt = format.as_bytes();
    let end = fmt.len();
    while i < end {
        match fmt[i] {
            b'#' => st.p.f.sharp = true,
            b'0' => st.p.f.zero = !st.p.f.minus,
            b'+' => st.p.f.plus = true,
            b'-' => {
                st.p.f.minus = true;
                st.p.f.zero = false;
            }
            b' ' => st.p.f.space = true,
            _ => break,
        }
        i += 1;
    }
    let (ni, after_index) = width_and_precision(st, fmt, i);
    i = ni;
    if !after_index {
        let (ni, _) = st.arg_number(fmt, i);
        i = ni;
    }
    if i >= end {
        st.p.buf.push_str("%!(NOVERB)");
        return end;
    }
    let Some(verb) = format[i..].chars().next() else { return end };
    i += verb.len_utf8();
    if verb == '%' {
        st.p.buf.push('%');
    } else if !st.good_arg_num {
        st.p.buf.push_str(&format!("%!{verb}(BADINDEX)"));
    } else if st.arg_num >= st.args.len() {
        st.p.buf.push_str(&format!("%!{verb}(MISSING)"));
    } else {
        if verb == 'v' {
            st.p.f.sharp_v = st.p.f.sharp;
            st.p.f.sharp = false;
            st.p.f.plus = false;
        }
        let a = &st.args[st.arg_num];
        st.p.print_arg(a, verb);
        st.arg_num += 1;
    }
    i
}

/// The argument index, width and precision of a directive at `i`: the new position and
/// whether an argument index was the last thing read.
fn width_and_precision(st: &mut State<'_>, fmt: &[u8], mut i: usize) -> (usize, bool) {
    let end = fmt.len();
    let (ni, mut after_index) = st.arg_number(fmt, i);
    i = ni;
    if i < end && fmt[i] == b'*' {
        i += 1;
        match st.int_arg() {
            Some(w) => {
                if w < 0 {
                    st.p.f.minus = true;
                    st.p.f.zero = false;
                }
                st.p.f.wid = Some(w.unsigned_abs() as usize);
            }
            None => st.p.buf.push_str("%!(BADWIDTH)"),
        }
        after_index = false;
    } else {
        let (w, ni) = parse_num(fmt, i, end);
        st.p.f.wid = w;
        i = ni;
        if after_index && w.is_some() {
            st.good_arg_num = false;
        }
    }
    if i + 1 < end && fmt[i] == b'.' {
        i += 1;
        if after_index {
            st.good_arg_num = false;
        }
        let (ni, found) = st.arg_number(fmt, i);
        i = ni;
        after_index = found;
        if i < end && fmt[i] == b'*' {
            i += 1;
            match st.int_arg() {
                Some(p) if p >= 0 => st.p.f.prec = Some(p as usize),
                Some(_) => st.p.f.prec = None,
                None => st.p.buf.push_str("%!(BADPREC)"),
            }
            after_index = false;
        } else {
            let (p, ni) = parse_num(fmt, i, end);
            i = ni;
            st.p.f.prec = Some(p.unwrap_or(0));
        }
    }
    (i, after_index)
}
