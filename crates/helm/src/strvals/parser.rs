//! The `--set` grammar, following Helm's `parser`/`literalParser` state by state (including
//! which failures silently end the parse, as Go's `errors.Is(err, io.EOF)` does).

use serde_json::{Map, Number, Value};

use super::gojson::{self, Json};
use super::{MAX_DEPTH, MAX_INDEX, MAX_NESTED_NAME_LEVEL, Mode, StrvalsError};

/// Why a step stopped: the input ended (Helm treats this as success) or a real error.
enum Flow {
    Eof,
    Err(StrvalsError),
}

impl From<StrvalsError> for Flow {
    fn from(e: StrvalsError) -> Self {
        Flow::Err(e)
    }
}

type Step = Result<(), Flow>;

const LIST: &str = "[]interface {}";
const MAP: &str = "map[string]interface {}";

/// The outcome of Helm's `valList`.
enum ValList {
    Eof,
    NotList,
    List(Vec<Value>),
}

pub(crate) struct Parser<'a> {
    sc: Vec<char>,
    pos: usize,
    mode: Mode<'a>,
    /// Current recursion depth (names and list indexes), against [`MAX_DEPTH`].
    depth: usize,
}

/// Go's type name for a value, as its runtime prints it in `interface conversion` panics.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "nil",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() => "int64",
        Value::Number(n) if n.is_u64() => "uint64",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => LIST,
        Value::Object(_) => MAP,
    }
}

fn conflict(v: &Value, want: &'static str) -> StrvalsError {
    StrvalsError::TypeConflict { got: go_type(v), want }
}

/// Helm's `set`: an empty key is ignored.
fn set(data: &mut Map<String, Value>, key: String, val: Value) {
    if !key.is_empty() {
        data.insert(key, val);
    }
}

/// Helm's `setIndex`: bounds checks, then growth with nulls.
fn set_index(list: &mut Vec<Value>, index: i64, val: Value) -> Result<(), StrvalsError> {
    if index < 0 {
        return Err(StrvalsError::NegativeIndex(index));
    }
    if index > MAX_INDEX {
        return Err(StrvalsError::IndexTooLarge(index));
    }
    let i = usize::try_from(index).map_err(|_| StrvalsError::IndexTooLarge(index))?;
    if list.len() <= i {
        list.resize(i + 1, Value::Null);
    }
    list[i] = val;
    Ok(())
}

/// Go's `strconv.Atoi` with its error text.
fn atoi(s: &str) -> Result<i64, StrvalsError> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    let err = |what: &str| StrvalsError::Index(format!("strconv.Atoi: parsing {}: {what}", gojson::go_quote(s)));
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("invalid syntax"));
    }
    s.parse::<i64>().map_err(|_| err("value out of range"))
}

/// Go's `strings.EqualFold` against an ASCII word (`ſ` folds to `s`, `K` to `k`).
fn eq_fold(s: &str, word: &str) -> bool {
    let fold = |c: char| match c {
        '\u{17f}' => 's',
        '\u{212a}' => 'k',
        c => c.to_ascii_lowercase(),
    };
    s.chars().map(fold).eq(word.chars())
}

/// Helm's `typedVal`.
fn typed_val(val: String) -> Value {
    if eq_fold(&val, "true") {
        return Value::Bool(true);
    }
    if eq_fold(&val, "false") {
        return Value::Bool(false);
    }
    if eq_fold(&val, "null") {
        return Value::Null;
    }
    if val == "0" {
        return Value::from(0i64);
    }
    if !val.is_empty()
        && !val.starts_with('0')
        && let Ok(i) = val.parse::<i64>()
    {
        return Value::from(i);
    }
    Value::String(val)
}

/// Go's decoding of a JSON document into `interface{}` (numbers become float64); iterative,
/// since Go accepts 10000 levels of nesting.
fn json_to_value(j: Json) -> Result<Value, StrvalsError> {
    enum Frame {
        Arr(Vec<Value>, std::vec::IntoIter<Json>),
        Obj(Map<String, Value>, std::vec::IntoIter<(String, Json)>, String),
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut next = Some(j);
    loop {
        let mut done = match next.take() {
            Some(Json::Array(items)) => {
                stack.push(Frame::Arr(Vec::with_capacity(items.len()), items.into_iter()));
                None
            }
            Some(Json::Object(members)) => {
                stack.push(Frame::Obj(Map::new(), members.into_iter(), String::new()));
                None
            }
            Some(scalar) => Some(json_scalar(scalar)?),
            None => None,
        };
        let Some(top) = stack.last_mut() else {
            return Ok(done.unwrap_or(Value::Null));
        };
        match top {
            Frame::Arr(out, rest) => {
                out.extend(done.take());
                next = rest.next();
            }
            Frame::Obj(out, rest, key) => {
                if let Some(v) = done.take() {
                    out.insert(std::mem::take(key), v);
                }
                if let Some((k, v)) = rest.next() {
                    *key = k;
                    next = Some(v);
                }
            }
        }
        if next.is_none() {
            let finished = match stack.pop() {
                Some(Frame::Arr(out, _)) => Value::Array(out),
                Some(Frame::Obj(out, _, _)) => Value::Object(out),
                None => Value::Null,
            };
            match stack.last_mut() {
                None => return Ok(finished),
                Some(Frame::Arr(out, rest)) => {
                    out.push(finished);
                    next = rest.next();
                }
                Some(Frame::Obj(out, rest, key)) => {
                    out.insert(std::mem::take(key), finished);
                    if let Some((k, v)) = rest.next() {
                        *key = k;
                        next = Some(v);
                    }
                }
            }
            // A parent whose children are all done closes on the next turn (next stays None).
            if next.is_none() {
                continue;
            }
        }
    }
}

fn json_scalar(j: Json) -> Result<Value, StrvalsError> {
    Ok(match j {
        Json::Bool(b) => Value::Bool(b),
        Json::String(s) => Value::String(s),
        Json::Number(lit) => {
            let f = lit.parse::<f64>().ok().and_then(Number::from_f64).ok_or_else(|| {
                StrvalsError::Json(format!("json: cannot unmarshal number {lit} into Go value of type float64"))
            })?;
            Value::Number(f)
        }
        _ => Value::Null,
    })
}

impl<'a> Parser<'a> {
    pub(crate) fn new(expr: &str, mode: Mode<'a>) -> Self {
        Parser { sc: expr.chars().collect(), pos: 0, mode, depth: 0 }
    }

    pub(crate) fn parse(mut self, data: &mut Map<String, Value>) -> Result<(), StrvalsError> {
        loop {
            match self.key(data, 0) {
                Ok(()) => {}
                Err(Flow::Eof) => return Ok(()),
                Err(Flow::Err(e)) => return Err(e),
            }
        }
    }

    fn literal(&self) -> bool {
        matches!(self.mode, Mode::Literal)
    }

    fn read(&mut self) -> Option<char> {
        let c = self.sc.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// Helm's `runesUntil`: text up to a stop rune (`None` at the end); `\` escapes, except in
    /// literal mode.
    fn runes_until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let mut v = String::new();
        loop {
            match self.read() {
                None => return (v, None),
                Some(c) if stop.contains(&c) => return (v, Some(c)),
                Some('\\') if !self.literal() => match self.read() {
                    None => return (v, None),
                    Some(n) => v.push(n),
                },
                Some(c) => v.push(c),
            }
        }
    }

    /// Runs one recursive step under the depth bound (Go recurses without one).
    fn nested(&mut self, f: impl FnOnce(&mut Self) -> Step) -> Step {
        if self.depth >= MAX_DEPTH {
            return Err(StrvalsError::TooDeepNesting.into());
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn key(&mut self, data: &mut Map<String, Value>, level: usize) -> Step {
        self.nested(|p| p.key_step(data, level))
    }

    fn key_step(&mut self, data: &mut Map<String, Value>, level: usize) -> Step {
        let stop: &[char] = if self.literal() { &['=', '[', '.'] } else { &['=', '[', ',', '.'] };
        let (k, last) = self.runes_until(stop);
        match last {
            None if k.is_empty() => Err(Flow::Eof),
            None => Err(StrvalsError::NoValue(k).into()),
            Some('[') => {
                let i = self.key_index()?;
                let mut list = match data.get_mut(&k) {
                    None => Vec::new(),
                    Some(Value::Array(l)) => std::mem::take(l),
                    Some(other) => return Err(conflict(other, LIST).into()),
                };
                let r = self.list_item(&mut list, i, level);
                set(data, k, Value::Array(list));
                r
            }
            Some('=') => self.key_value(data, k),
            Some(',') => {
                set(data, k.clone(), Value::String(String::new()));
                Err(StrvalsError::NoValueComma(k).into())
            }
            Some(_) => self.nested_map(data, k, level),
        }
    }

    /// `name.` : descend into (or create) the map under `name`.
    fn nested_map(&mut self, data: &mut Map<String, Value>, k: String, level: usize) -> Step {
        let level = level + 1;
        if level > MAX_NESTED_NAME_LEVEL {
            return Err(StrvalsError::TooDeep.into());
        }
        let (mut inner, existed) = match data.get_mut(&k) {
            None => (Map::new(), false),
            Some(Value::Object(m)) => (std::mem::take(m), true),
            Some(other) => return Err(conflict(other, MAP).into()),
        };
        let r = self.key(&mut inner, level);
        let empty = inner.is_empty();
        if !empty || existed {
            set(data, k.clone(), Value::Object(inner));
        }
        match r {
            Ok(()) if empty => Err(StrvalsError::EmptyKeyMap(k).into()),
            r => r,
        }
    }

    /// `name=value` in a map.
    fn key_value(&mut self, data: &mut Map<String, Value>, k: String) -> Step {
        match self.value()? {
            Some(v) => {
                set(data, k, v);
                Ok(())
            }
            None => {
                set(data, k, Value::String(String::new()));
                Err(Flow::Eof)
            }
        }
    }

    /// The value after `=`, shared by maps and lists; `None` is Helm's `valList` at EOF (an
    /// empty string is stored, then the parse ends).
    fn value(&mut self) -> Result<Option<Value>, Flow> {
        match self.mode {
            Mode::Literal => {
                let rest: String = self.sc[self.pos..].iter().collect();
                self.pos = self.sc.len();
                return Ok(Some(Value::String(rest)));
            }
            Mode::Json => return self.json_value().map(Some),
            _ => {}
        }
        match self.val_list()? {
            ValList::List(l) => Ok(Some(Value::Array(l))),
            ValList::Eof => Ok(None),
            ValList::NotList => {
                let (rs, _) = self.runes_until(&[',']);
                Ok(Some(self.reader(rs)?))
            }
        }
    }

    fn json_value(&mut self) -> Result<Value, Flow> {
        if self.empty_val() {
            return Ok(Value::Null);
        }
        let rest: String = self.sc[self.pos..].iter().collect();
        let (json, end) = gojson::decode_prefix(&rest).map_err(StrvalsError::Json)?;
        let v = json_to_value(json)?;
        self.pos += rest[..end].chars().count();
        self.empty_val();
        Ok(v)
    }

    /// Helm's `emptyVal`: skips spaces; true at the end or at a (consumed) comma.
    fn empty_val(&mut self) -> bool {
        loop {
            match self.read() {
                None | Some(',') => return true,
                Some(c) if c.is_whitespace() => {}
                Some(_) => {
                    self.pos -= 1;
                    return false;
                }
            }
        }
    }

    fn reader(&mut self, rs: String) -> Result<Value, StrvalsError> {
        match &mut self.mode {
            Mode::Strings | Mode::Literal | Mode::Json => Ok(Value::String(rs)),
            Mode::Typed => Ok(typed_val(rs)),
            Mode::File(read) => read(&rs).map(Value::String).map_err(StrvalsError::File),
        }
    }

    fn val_list(&mut self) -> Result<ValList, StrvalsError> {
        match self.read() {
            None => return Ok(ValList::Eof),
            Some('{') => {}
            Some(_) => {
                self.pos -= 1;
                return Ok(ValList::NotList);
            }
        }
        let mut list = Vec::new();
        loop {
            let (rs, last) = self.runes_until(&[',', '}']);
            match last {
                None => return Err(StrvalsError::UnterminatedList),
                Some('}') => {
                    if let Some(c) = self.read()
                        && c != ','
                    {
                        self.pos -= 1;
                    }
                    list.push(self.reader(rs)?);
                    return Ok(ValList::List(list));
                }
                Some(_) => list.push(self.reader(rs)?),
            }
        }
    }

    /// The text up to `]` as an int; the end of input ends the parse silently, as in Helm v4.
    fn key_index(&mut self) -> Result<i64, Flow> {
        let (v, last) = self.runes_until(&[']']);
        if last.is_none() {
            return Err(Flow::Eof);
        }
        Ok(atoi(&v)?)
    }

    fn list_item(&mut self, list: &mut Vec<Value>, i: i64, level: usize) -> Step {
        self.nested(|p| p.list_item_step(list, i, level))
    }

    fn list_item_step(&mut self, list: &mut Vec<Value>, i: i64, level: usize) -> Step {
        if i < 0 {
            return Err(StrvalsError::NegativeIndex(i).into());
        }
        let (k, last) = self.runes_until(&['[', '.', '=']);
        if !k.is_empty() {
            let runes: Vec<String> = k.chars().map(gojson::go_quote_rune).collect();
            return Err(StrvalsError::UnexpectedData(format!("[{}]", runes.join(" "))).into());
        }
        let slot = usize::try_from(i).ok().and_then(|u| list.get(u));
        match last {
            None => Err(Flow::Eof),
            Some('=') => {
                let v = self.value()?.unwrap_or_else(|| Value::String(String::new()));
                Ok(set_index(list, i, v)?)
            }
            Some('[') => {
                let next = self.key_index()?;
                let mut crt = match slot {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(l)) => l.clone(),
                    Some(other) => return Err(conflict(other, LIST).into()),
                };
                self.list_item(&mut crt, next, level)?;
                Ok(set_index(list, i, Value::Array(crt))?)
            }
            Some(_) => {
                let mut inner = match slot {
                    Some(Value::Object(m)) => m.clone(),
                    _ => Map::new(),
                };
                self.key(&mut inner, level)?;
                Ok(set_index(list, i, Value::Object(inner))?)
            }
        }
    }
}
