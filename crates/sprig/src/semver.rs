//! `semver` and `semverCompare` with Masterminds/semver v3's rules (not Cargo's): loose
//! versions (`v1.2`, missing parts are 0), constraints joined by spaces or commas (AND) and
//! `||` (OR), operators `= != > < >= => <= =< ~ ~> ^`, wildcards `x X *`, missing parts as
//! wildcards (`>=1.19` is `>=1.19.x`), hyphen ranges (`1.2 - 1.4.5`), and prereleases that
//! only satisfy a comparator whose own version has a prerelease (hence Helm's `>=1.19-0`).

use std::cmp::Ordering;
use std::sync::{Arc, LazyLock};

use glidepath_gotmpl::{Func, FuncMap, Opaque, Param, Value};
use regex::Regex;

use crate::conv::arg_str;

const PRE: &str = r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?";
const OPS: &str = r"!=|>=|=>|<=|=<|~>|=|>|<|~|\^|";

fn re(p: &str) -> Regex {
    Regex::new(p).unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|e| unreachable!("{e}")))
}

static VERSION: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?{PRE}$")));
static ATOM: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"^\s*({OPS})\s*({CV}{PRE})\s*$")));
static FIND: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"({OPS})\s*({CV}{PRE})")));
static VALID: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"^(\s*({OPS})\s*({CV}{PRE})\s*\,?)+$")));
static RANGE: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"\s*({CV}{PRE})\s+-\s+({CV}{PRE})\s*")));

/// A parsed version (Masterminds' `*semver.Version`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: String,
    pub metadata: String,
    pub original: String,
}

impl Version {
    /// `semver.NewVersion`.
    pub fn parse(s: &str) -> Result<Version, String> {
        let c = VERSION.captures(s).ok_or("invalid semantic version")?;
        let num = |i: usize| -> Result<u64, String> {
            c.get(i).map_or(Ok(0), |m| {
                m.as_str()
                    .trim_start_matches('.')
                    .parse::<u64>()
                    .map_err(|e| format!("Error parsing version segment: {e}"))
            })
        };
        let pre = c.get(5).map_or("", |m| m.as_str()).to_string();
        if pre.split('.').any(|p| p.len() > 1 && p.starts_with('0') && p.bytes().all(|b| b.is_ascii_digit())) {
            return Err("Version segment starts with 0".into());
        }
        Ok(Version {
            major: num(1)?,
            minor: num(2)?,
            patch: num(3)?,
            pre,
            metadata: c.get(8).map_or("", |m| m.as_str()).to_string(),
            original: s.to_string(),
        })
    }

    /// `Version.Compare` (metadata ignored).
    pub fn compare(&self, o: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(o.major, o.minor, o.patch))
            .then_with(|| compare_pre(&self.pre, &o.pre))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

fn compare_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let (pa, pb): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for i in 0..pa.len().max(pb.len()) {
        let (x, y) = (pa.get(i).copied().unwrap_or(""), pb.get(i).copied().unwrap_or(""));
        let o = compare_part(x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

fn compare_part(s: &str, o: &str) -> Ordering {
    if s == o {
        return Ordering::Equal;
    }
    if s.is_empty() {
        return Ordering::Less;
    }
    if o.is_empty() {
        return Ordering::Greater;
    }
    match (s.parse::<u64>(), o.parse::<u64>()) {
        (Err(_), Err(_)) => s.cmp(o),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Ok(a), Ok(b)) => a.cmp(&b),
    }
}

#[derive(Debug)]
struct Atom {
    op: String,
    con: Version,
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

fn parse_atom(s: &str) -> Result<Atom, String> {
    let c = ATOM.captures(s).ok_or_else(|| format!("improper constraint: {s:?}"))?;
    let g = |i: usize| c.get(i).map_or("", |m| m.as_str());
    let (major, minor, patch, pre) = (g(3), g(4).trim_start_matches('.'), g(5).trim_start_matches('.'), g(6));
    let (mut dirty, mut minor_dirty, mut patch_dirty) = (false, false, false);
    let ver = if is_x(major) || major.is_empty() {
        dirty = true;
        format!("0.0.0{pre}")
    } else if is_x(minor) || g(4).is_empty() {
        (dirty, minor_dirty) = (true, true);
        format!("{major}.0.0{pre}")
    } else if is_x(patch) || g(5).is_empty() {
        (dirty, patch_dirty) = (true, true);
        format!("{major}.{minor}.0{pre}")
    } else {
        g(2).to_string()
    };
    let con = Version::parse(&ver).map_err(|_| "constraint parser error".to_string())?;
    Ok(Atom { op: g(1).to_string(), con, dirty, minor_dirty, patch_dirty })
}

impl Atom {
    fn check(&self, v: &Version) -> bool {
        let c = &self.con;
        if !v.pre.is_empty() && c.pre.is_empty() {
            return false;
        }
        let cmp = v.compare(c);
        match self.op.as_str() {
            "" | "=" => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    cmp == Ordering::Equal
                }
            }
            "!=" => self.not_equal(v),
            ">" => {
                if !self.dirty || v.major != c.major {
                    if self.dirty { v.major > c.major } else { cmp == Ordering::Greater }
                } else if self.minor_dirty {
                    false
                } else if self.patch_dirty {
                    v.minor > c.minor
                } else {
                    cmp == Ordering::Greater
                }
            }
            "<" => cmp == Ordering::Less,
            ">=" | "=>" => cmp != Ordering::Less,
            "<=" | "=<" => {
                if !self.dirty {
                    cmp != Ordering::Greater
                } else {
                    !(v.major > c.major || v.major == c.major && v.minor > c.minor && !self.minor_dirty)
                }
            }
            "~" | "~>" => self.tilde(v),
            _ => self.caret(v),
        }
    }

    fn not_equal(&self, v: &Version) -> bool {
        let c = &self.con;
        if self.dirty {
            if c.major != v.major {
                return true;
            }
            if self.minor_dirty {
                return false;
            }
            if c.minor != v.minor {
                return true;
            }
            if self.patch_dirty {
                return (!v.pre.is_empty() || !c.pre.is_empty()) && compare_pre(&v.pre, &c.pre) != Ordering::Equal;
            }
        }
        v.compare(c) != Ordering::Equal
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if (c.major, c.minor, c.patch) == (0, 0, 0) && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        v.major == c.major && (v.minor == c.minor || self.minor_dirty)
    }

    fn caret(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major > 0 || self.minor_dirty {
            return v.major == c.major;
        }
        if v.major > 0 {
            return false;
        }
        if c.minor > 0 || self.patch_dirty {
            return v.minor == c.minor;
        }
        v.minor == 0 && v.patch == c.patch
    }
}

/// `semver.NewConstraint` then `Check`.
pub fn satisfies(constraint: &str, v: &Version) -> Result<bool, String> {
    let rewritten = RANGE.replace_all(constraint, ">= ${1}, <= ${11}");
    let mut groups = Vec::new();
    for group in rewritten.split("||") {
        if !VALID.is_match(group) {
            return Err(format!("improper constraint: {group:?}"));
        }
        let atoms: Vec<Atom> = FIND.find_iter(group).map(|m| parse_atom(m.as_str())).collect::<Result<_, _>>()?;
        groups.push(atoms);
    }
    Ok(groups.iter().any(|g| g.iter().all(|a| a.check(v))))
}

impl Opaque for Version {
    fn type_name(&self) -> String {
        "*semver.Version".into()
    }
    fn display(&self) -> String {
        self.to_string()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn method(&self, name: &str) -> Option<Func> {
        let v = self.clone();
        let val = match name {
            "Major" => Value::Int(v.major as i64),
            "Minor" => Value::Int(v.minor as i64),
            "Patch" => Value::Int(v.patch as i64),
            "Prerelease" => Value::from(v.pre.as_str()),
            "Metadata" => Value::from(v.metadata.as_str()),
            "Original" => Value::from(v.original.as_str()),
            "String" => Value::from(v.to_string()),
            "Compare" => {
                return Some(Func::pure(&[Param::Any], move |a| Ok(Value::Int(v.compare(&other(&a[0])?) as i64))));
            }
            "LessThan" => {
                return Some(Func::pure(&[Param::Any], move |a| Ok(Value::Bool(v.compare(&other(&a[0])?).is_lt()))));
            }
            "GreaterThan" => {
                return Some(Func::pure(&[Param::Any], move |a| Ok(Value::Bool(v.compare(&other(&a[0])?).is_gt()))));
            }
            "Equal" => {
                return Some(Func::pure(&[Param::Any], move |a| Ok(Value::Bool(v.compare(&other(&a[0])?).is_eq()))));
            }
            _ => return None,
        };
        Some(Func::pure(&[], move |_| Ok(val.clone())))
    }
}

fn other(v: &Value) -> Result<Version, String> {
    match v {
        Value::Opaque(o) => o
            .as_any()
            .downcast_ref::<Version>()
            .cloned()
            .ok_or_else(|| format!("wrong type for value; expected *semver.Version; got {}", v.type_name())),
        v => Err(format!("wrong type for value; expected *semver.Version; got {}", v.type_name())),
    }
}

pub fn register(m: &mut FuncMap) {
    use Param::String as S;
    m.insert("semver", Func::pure(&[S], |a| Ok(Value::Opaque(Arc::new(Version::parse(arg_str(a, 0))?)))));
    m.insert(
        "semverCompare",
        Func::pure(&[S, S], |a| {
            let v = Version::parse(arg_str(a, 1))?;
            satisfies(arg_str(a, 0), &v).map(Value::Bool)
        }),
    );
}
