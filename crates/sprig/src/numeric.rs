//! Sprig's arithmetic (`numeric.go`, `functions.go`). Integer functions convert with
//! `cast.ToInt64` and return `int64`; the `*f` functions go through shopspring/decimal from
//! each float's shortest decimal form, so `addf 0.1 0.2` is `0.3` (decimal sums, differences
//! and products are exact here; quotients are the float quotient of the exact operands).

use glidepath_gotmpl::{Func, FuncMap, Param, Value};

use crate::conv::{arg_int, to_f64, to_i64};

const DIV_ZERO: &str = "runtime error: integer divide by zero";

/// A decimal `m × 10^-scale`, from a float's shortest representation.
fn decimal(f: f64) -> Option<(i128, u32)> {
    if !f.is_finite() {
        return None;
    }
    let s = format!("{f}");
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let digits = format!("{int}{frac}");
    Some((digits.parse::<i128>().ok()?, u32::try_from(frac.len()).ok()?))
}

fn rescale(m: i128, from: u32, to: u32) -> Option<i128> {
    m.checked_mul(10i128.checked_pow(to - from)?)
}

fn to_float(m: i128, scale: u32) -> f64 {
    format!("{m}e-{scale}").parse::<f64>().unwrap_or(f64::NAN)
}

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

fn exact(op: Op, a: f64, b: f64) -> Option<f64> {
    let ((ma, sa), (mb, sb)) = (decimal(a)?, decimal(b)?);
    match op {
        Op::Add | Op::Sub => {
            let s = sa.max(sb);
            let (x, y) = (rescale(ma, sa, s)?, rescale(mb, sb, s)?);
            let m = if matches!(op, Op::Add) { x.checked_add(y)? } else { x.checked_sub(y)? };
            Some(to_float(m, s))
        }
        Op::Mul => Some(to_float(ma.checked_mul(mb)?, sa.checked_add(sb)?)),
        Op::Div => None,
    }
}

fn float_op(op: Op, a: f64, b: f64) -> Result<f64, String> {
    if matches!(op, Op::Div) && b == 0.0 {
        return Err("decimal division by 0".into());
    }
    Ok(exact(op, a, b).unwrap_or(match op {
        Op::Add => a + b,
        Op::Sub => a - b,
        Op::Mul => a * b,
        Op::Div => a / b,
    }))
}

fn fold_f(first: f64, rest: &[Value], op: Op) -> Result<Value, String> {
    let mut acc = first;
    for v in rest {
        acc = float_op(op, acc, to_f64(v))?;
    }
    Ok(Value::Float(acc))
}

/// Sprig's `untilStep`.
pub fn until_step(start: i64, stop: i64, step: i64) -> Vec<i64> {
    let mut v = Vec::new();
    let mut i = start;
    if stop < start {
        while step < 0 && i > stop {
            v.push(i);
            i += step;
        }
    } else {
        while step > 0 && i < stop {
            v.push(i);
            i += step;
        }
    }
    v
}

fn seq(p: &[Value]) -> String {
    let p: Vec<i64> = p.iter().map(|v| v.as_int().unwrap_or(0)).collect();
    let v = match p[..] {
        [end] => {
            let inc = if end < 1 { -1 } else { 1 };
            until_step(1, end + inc, inc)
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            until_step(start, end + step, step)
        }
        [start, step, end] => {
            let inc = if end < start { -1 } else { 1 };
            if end < start && step > 0 {
                return String::new();
            }
            until_step(start, end + inc, step)
        }
        _ => return String::new(),
    };
    v.iter().map(i64::to_string).collect::<Vec<_>>().join(" ")
}

fn round(a: &[Value]) -> f64 {
    let on = a.get(2).and_then(Value::as_float).unwrap_or(0.5);
    let pow = 10f64.powf(arg_int(a, 1) as f64);
    let digit = pow * to_f64(&a[0]);
    let frac = digit.fract();
    (if frac >= on { digit.ceil() } else { digit.floor() }) / pow
}

fn ints(a: &[Value]) -> impl Iterator<Item = i64> + '_ {
    a.iter().map(to_i64)
}

fn int_list(v: Vec<i64>) -> Value {
    Value::list(v.into_iter().map(Value::Int).collect())
}

pub fn register(m: &mut FuncMap) {
    use Param::{Any, Float, Int};
    m.insert("add1", Func::pure(&[Any], |a| Ok(Value::Int(to_i64(&a[0]).wrapping_add(1)))));
    m.insert("add", Func::variadic(&[], Any, |a| Ok(Value::Int(ints(a).fold(0, i64::wrapping_add)))));
    m.insert("sub", Func::pure(&[Any, Any], |a| Ok(Value::Int(to_i64(&a[0]).wrapping_sub(to_i64(&a[1]))))));
    m.insert("mul", Func::variadic(&[Any], Any, |a| Ok(Value::Int(ints(a).fold(1, i64::wrapping_mul)))));
    m.insert(
        "div",
        Func::pure(&[Any, Any], |a| match to_i64(&a[1]) {
            0 => Err(DIV_ZERO.into()),
            b => Ok(Value::Int(to_i64(&a[0]).wrapping_div(b))),
        }),
    );
    m.insert(
        "mod",
        Func::pure(&[Any, Any], |a| match to_i64(&a[1]) {
            0 => Err(DIV_ZERO.into()),
            b => Ok(Value::Int(to_i64(&a[0]).wrapping_rem(b))),
        }),
    );
    let max = Func::variadic(&[Any], Any, |a| Ok(Value::Int(ints(a).max().unwrap_or(0))));
    m.insert("max", max.clone()).insert("biggest", max);
    m.insert("min", Func::variadic(&[Any], Any, |a| Ok(Value::Int(ints(a).min().unwrap_or(0)))));
    m.insert(
        "maxf",
        Func::variadic(&[Any], Any, |a| Ok(Value::Float(a.iter().map(to_f64).fold(f64::NEG_INFINITY, go_max)))),
    );
    m.insert(
        "minf",
        Func::variadic(&[Any], Any, |a| Ok(Value::Float(a.iter().map(to_f64).fold(f64::INFINITY, go_min)))),
    );
    m.insert("floor", Func::pure(&[Any], |a| Ok(Value::Float(to_f64(&a[0]).floor()))));
    m.insert("ceil", Func::pure(&[Any], |a| Ok(Value::Float(to_f64(&a[0]).ceil()))));
    m.insert("round", Func::new(&[Any, Int], Some(Float), |_, a| Ok(Value::Float(round(a)))));
    m.insert("add1f", Func::pure(&[Any], |a| fold_f(to_f64(&a[0]), &[Value::Float(1.0)], Op::Add)));
    m.insert("addf", Func::variadic(&[], Any, |a| fold_f(0.0, a, Op::Add)));
    m.insert("subf", Func::variadic(&[Any], Any, |a| fold_f(to_f64(&a[0]), &a[1..], Op::Sub)));
    m.insert("mulf", Func::variadic(&[Any], Any, |a| fold_f(to_f64(&a[0]), &a[1..], Op::Mul)));
    m.insert("divf", Func::variadic(&[Any], Any, |a| fold_f(to_f64(&a[0]), &a[1..], Op::Div)));
    m.insert("toDecimal", Func::pure(&[Any], |a| Ok(Value::Int(to_decimal(&a[0])))));
    m.insert("seq", Func::variadic(&[], Int, |a| Ok(Value::from(seq(a)))));
    m.insert(
        "until",
        Func::pure(&[Int], |a| {
            let n = arg_int(a, 0);
            Ok(int_list(until_step(0, n, if n < 0 { -1 } else { 1 })))
        }),
    );
    m.insert(
        "untilStep",
        Func::pure(&[Int, Int, Int], |a| Ok(int_list(until_step(arg_int(a, 0), arg_int(a, 1), arg_int(a, 2))))),
    );
}

/// Go's `math.Max` (NaN wins).
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) }
}

fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.min(b) }
}

/// `strconv.ParseInt(fmt.Sprint(v), 8, 64)`, 0 on error.
fn to_decimal(v: &Value) -> i64 {
    let s = crate::conv::strval(v);
    let digits = s.strip_prefix(['+', '-']).unwrap_or(&s);
    if digits.is_empty() || !digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return 0;
    }
    i64::from_str_radix(&s, 8).unwrap_or(0)
}
