//! Sprig's list functions (`list.go`). Every list function takes any Go slice; on another
//! type the `must*` variant returns Sprig's error and the plain one panics with it, which
//! the executor reports the same way (`error calling first: Cannot find first on type int`).

use glidepath_gotmpl::{Func, FuncMap, Param, Value};

use crate::conv::{NIL_DEREF, items, kind, to_i64};

/// The items of a slice argument, or the error `what` names (`Cannot find first on type int`).
fn slice_arg(v: &Value, what: &str) -> Result<Vec<Value>, String> {
    if v.is_nil() {
        return Err(NIL_DEREF.into());
    }
    items(v).ok_or_else(|| what.replace("%s", kind(v)))
}

fn list_func(
    m: &mut FuncMap,
    names: &[&str],
    fixed: &[Param],
    rest: Option<Param>,
    f: fn(&[Value]) -> Result<Value, String>,
) {
    for name in names {
        m.insert(*name, Func::new(fixed, rest, move |_, a| f(a)));
    }
}

fn end(a: &[Value], what: &str, last: bool) -> Result<Value, String> {
    let l = slice_arg(&a[0], what)?;
    Ok(if last { l.last() } else { l.first() }.cloned().unwrap_or(Value::Nil))
}

fn trimmed(a: &[Value], what: &str, front: bool) -> Result<Value, String> {
    let l = slice_arg(&a[0], what)?;
    if l.is_empty() {
        // Sprig 3.3 returns an empty list here (Helm prints `[]`).
        return Ok(Value::list(Vec::new()));
    }
    Ok(Value::list(if front { l[1..].to_vec() } else { l[..l.len() - 1].to_vec() }))
}

fn push(a: &[Value], front: bool) -> Result<Value, String> {
    let what = if front { "Cannot prepend on type %s" } else { "Cannot push on type %s" };
    let mut l = slice_arg(&a[0], what)?;
    if front {
        l.insert(0, a[1].clone())
    } else {
        l.push(a[1].clone())
    }
    Ok(Value::list(l))
}

fn uniq(a: &[Value]) -> Result<Value, String> {
    let mut out: Vec<Value> = Vec::new();
    for x in slice_arg(&a[0], "Cannot find uniq on type %s")? {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    Ok(Value::list(out))
}

fn without(a: &[Value]) -> Result<Value, String> {
    let l = slice_arg(&a[0], "Cannot find without on type %s")?;
    Ok(Value::list(l.into_iter().filter(|x| !a[1..].contains(x)).collect()))
}

fn has(a: &[Value]) -> Result<Value, String> {
    let l = slice_arg(&a[1], "Cannot find has on type %s")?;
    Ok(Value::Bool(l.contains(&a[0])))
}

fn compact(a: &[Value]) -> Result<Value, String> {
    let l = slice_arg(&a[0], "Cannot compact on type %s")?;
    Ok(Value::list(l.into_iter().filter(|x| !crate::conv::empty(x)).collect()))
}

fn reverse(a: &[Value]) -> Result<Value, String> {
    let mut l = slice_arg(&a[0], "Cannot find reverse on type %s")?;
    l.reverse();
    Ok(Value::list(l))
}

/// Sprig's `slice`: `list[start:end]` with Go's reflect panic when out of range.
fn slice(a: &[Value]) -> Result<Value, String> {
    let l = slice_arg(&a[0], "list should be type of slice or array but %s")?;
    if l.is_empty() {
        return Ok(Value::Nil);
    }
    let start = a.get(1).map_or(0, to_i64);
    let end = a.get(2).map_or(l.len() as i64, to_i64);
    if start < 0 || end < start || end > l.len() as i64 {
        return Err("reflect: slice index out of range".into());
    }
    Ok(Value::list(l[start as usize..end as usize].to_vec()))
}

fn chunk(a: &[Value]) -> Result<Value, String> {
    let size = a[0].as_int().unwrap_or(0);
    let l = slice_arg(&a[1], "Cannot chunk type %s")?;
    if size <= 0 {
        return Err("runtime error: integer divide by zero".into());
    }
    Ok(Value::list(l.chunks(size as usize).map(|c| Value::list(c.to_vec())).collect()))
}

fn concat(a: &[Value]) -> Result<Value, String> {
    let mut out = Vec::new();
    for v in a {
        out.extend(slice_arg(v, "Cannot concat type %s as list")?);
    }
    Ok(Value::list(out))
}

pub fn register(m: &mut FuncMap) {
    use Param::{Any, Int};
    let list = Func::variadic(&[], Any, |a| Ok(Value::list(a.to_vec())));
    m.insert("list", list.clone()).insert("tuple", list);
    list_func(m, &["first", "mustFirst"], &[Any], None, |a| end(a, "Cannot find first on type %s", false));
    list_func(m, &["last", "mustLast"], &[Any], None, |a| end(a, "Cannot find last on type %s", true));
    list_func(m, &["rest", "mustRest"], &[Any], None, |a| trimmed(a, "Cannot find rest on type %s", true));
    list_func(m, &["initial", "mustInitial"], &[Any], None, |a| trimmed(a, "Cannot find initial on type %s", false));
    list_func(m, &["append", "push", "mustAppend", "mustPush"], &[Any, Any], None, |a| push(a, false));
    list_func(m, &["prepend", "mustPrepend"], &[Any, Any], None, |a| push(a, true));
    list_func(m, &["uniq", "mustUniq"], &[Any], None, uniq);
    list_func(m, &["without", "mustWithout"], &[Any], Some(Any), without);
    list_func(m, &["has", "mustHas"], &[Any, Any], None, has);
    list_func(m, &["compact", "mustCompact"], &[Any], None, compact);
    list_func(m, &["reverse", "mustReverse"], &[Any], None, reverse);
    list_func(m, &["slice", "mustSlice"], &[Any], Some(Any), slice);
    list_func(m, &["chunk", "mustChunk"], &[Int, Any], None, chunk);
    list_func(m, &["concat"], &[], Some(Any), concat);
}
