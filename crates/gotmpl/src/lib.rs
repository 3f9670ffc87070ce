//! `glidepath-gotmpl`: Go's `text/template`, reimplemented for Helm charts.
//!
//! This crate owns the template language as Helm runs it: lexing and parsing template text
//! into trees (Go's grammar, trim markers, comments, custom delimiters, `define`/`block`),
//! executing them over [`Value`]s (Go's truthiness, variable scoping, `missingkey` modes,
//! `range` over lists, maps in key order and integers, `break`/`continue`), Go's builtin
//! functions, and Go's `fmt` printing. Error messages are Go's
//! (`template: NAME:LINE: ...`, `template: NAME:LINE:COL: executing "NAME" at <NODE>: ...`).
//! Sprig and Helm's own functions (`include`, `tpl`, `required`) belong to later crates,
//! which add them to a [`FuncMap`]; functions get an [`Exec`] handle on the running execution
//! for that.
//!
//! Values: Helm's values are `interface{}` trees decoded from YAML/JSON; [`Value::from`] a
//! `serde_json::Value` decodes numbers as `float64` as Go does (so `1000000` prints `1e+06`),
//! [`Value::from_json`] with [`Numbers::PreserveInts`] keeps integers.
//!
//! Limits, so bad input never panics or runs unbounded: parse nesting is capped at Go's
//! 10000 (`max expression depth exceeded`); nested template calls at
//! [`Options::max_depth`] (default 10000, reported with Go's message
//! `exceeded maximum template depth (100000)`: Go allows 100000 frames of its growable stack;
//! this crate parses and executes on a worker thread with a 256 MiB stack, enough for the
//! lower default); output and string results at [`Options::max_output`]; nodes walked and loop
//! iterations at [`Options::max_steps`].
//!
//! Go structs and their methods (Helm's `.Capabilities`, `.Files`) are [`Opaque`] values
//! with fields and methods. Differences from Go, all documented where they arise: no complex
//! numbers, no unsigned or sized integer types, `call` refuses every call (values hold no Go
//! functions), strings are UTF-8 (`\xff` escapes give U+00FF).
//!
//! ```
//! use glidepath_gotmpl::{Template, Value};
//!
//! let mut t = Template::new("deployment.yaml");
//! t.option("missingkey=zero")?;
//! t.parse(r#"replicas: {{ .Values.replicas }}{{ with .Values.name }} name: {{ . | printf "%q" }}{{ end }}"#)?;
//! let values = Value::from(serde_json::json!({"Values": {"replicas": 3, "name": "web"}}));
//! assert_eq!(t.execute(&values)?, r#"replicas: 3 name: "web""#);
//! # Ok::<(), glidepath_gotmpl::Error>(())
//! ```
//!
//! It must not depend on kube, tokio or other Glidepath crates.

mod ast;
mod compare;
mod dict;
mod error;
mod escape;
mod eval;
mod exec;
pub mod fmt;
mod funcs;
mod lex;
mod literal;
mod parse;
mod value;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use dict::{Dict, deep_copy_value};
pub use error::Error;
pub use funcs::{Exec, Func, FuncMap, FuncResult, Param};
pub use value::{Numbers, Opaque, Value, base64};

/// The worker thread's stack: deep enough for [`Options::max_depth`] nested template calls
/// and Go's parse nesting limit.
const STACK_SIZE: usize = 256 << 20;

/// What a missing map key gives (Go's `missingkey` option). Template values are
/// `interface{}` maps, so `Default` and `Zero` both print `<no value>`; they differ when the
/// missing value is used further: `.a.b` with `a` missing gives no value under `Default` and
/// `nil pointer evaluating interface {}.b` under `Zero` (what Helm, which sets
/// `missingkey=zero`, reports). Helm then replaces `<no value>` in the output with "".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingKey {
    /// `missingkey=default` / `missingkey=invalid`.
    #[default]
    Default,
    /// `missingkey=zero`.
    Zero,
    /// `missingkey=error`: `map has no entry for key "x"`.
    Error,
}

/// Execution options and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub missing_key: MissingKey,
    /// Nested `{{template}}` (and [`Exec::execute`]) calls allowed.
    pub max_depth: usize,
    /// Bytes of output (and of any string a function returns).
    pub max_output: usize,
    /// Nodes walked plus loop iterations.
    pub max_steps: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options { missing_key: MissingKey::Default, max_depth: 10_000, max_output: 64 << 20, max_steps: 50_000_000 }
    }
}

/// A set of named templates sharing functions, delimiters and options (Go's `*Template`
/// with its associated templates). Cloning is cheap: trees and functions are shared.
#[derive(Debug, Clone)]
pub struct Template {
    name: String,
    trees: BTreeMap<String, Arc<ast::Tree>>,
    funcs: Arc<FuncMap>,
    left: String,
    right: String,
    /// Execution options; see [`Template::option`] for Go's string form.
    pub options: Options,
}

impl Template {
    /// An empty set whose main template is `name`, with Go's builtin functions.
    pub fn new(name: impl Into<String>) -> Template {
        Template {
            name: name.into(),
            trees: BTreeMap::new(),
            funcs: Arc::new(FuncMap::builtins()),
            left: "{{".into(),
            right: "}}".into(),
            options: Options::default(),
        }
    }

    /// The main template's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sets the action delimiters for later parses; empty means the default `{{` / `}}`.
    pub fn delims(&mut self, left: &str, right: &str) -> &mut Self {
        self.left = if left.is_empty() { "{{".into() } else { left.into() };
        self.right = if right.is_empty() { "}}".into() } else { right.into() };
        self
    }

    /// Adds functions (replacing same-named ones, builtins included) for later parses and
    /// executions.
    pub fn funcs(&mut self, funcs: &FuncMap) -> &mut Self {
        Arc::make_mut(&mut self.funcs).extend(funcs);
        self
    }

    /// The functions templates can call.
    pub fn func_map(&self) -> &FuncMap {
        &self.funcs
    }

    /// Go's `Option`: `missingkey=default|invalid|zero|error`.
    pub fn option(&mut self, opt: &str) -> Result<&mut Self, Error> {
        let mode = match opt.split_once('=') {
            Some(("missingkey", "default" | "invalid")) => MissingKey::Default,
            Some(("missingkey", "zero")) => MissingKey::Zero,
            Some(("missingkey", "error")) => MissingKey::Error,
            _ => return Err(Error::Option(opt.to_string())),
        };
        self.options.missing_key = mode;
        Ok(self)
    }

    /// Parses `text` as the main template (Go's `t.Parse`).
    pub fn parse(&mut self, text: &str) -> Result<&mut Self, Error> {
        let name = self.name.clone();
        self.parse_named(&name, text)
    }

    /// Parses `text` as the template `name` of this set (Go's `t.New(name).Parse(text)`,
    /// which is how Helm loads each chart file). `{{define}}`s inside replace same-named
    /// templates; an empty body never replaces an existing one.
    pub fn parse_named(&mut self, name: &str, text: &str) -> Result<&mut Self, Error> {
        let funcs = self.funcs.clone();
        let has = move |f: &str| funcs.contains(f);
        let (left, right) = (self.left.clone(), self.right.clone());
        let (name, text) = (name.to_string(), text.to_string());
        let trees = on_big_stack(move || parse::parse(&name, &text, &left, &right, &has))??;
        for tree in trees {
            if tree.is_empty() && self.trees.get(&tree.name).is_some_and(|old| !old.is_empty()) {
                continue;
            }
            self.trees.insert(tree.name.clone(), Arc::new(tree));
        }
        Ok(self)
    }

    /// A set with this one's name, functions (shared, not copied), delimiters and options, and
    /// no templates: what to parse one more text into on its own.
    pub fn empty_clone(&self) -> Template {
        Template {
            name: self.name.clone(),
            trees: BTreeMap::new(),
            funcs: self.funcs.clone(),
            left: self.left.clone(),
            right: self.right.clone(),
            options: self.options.clone(),
        }
    }

    /// Adds the templates another set parsed (with the same functions), as if its text had
    /// been parsed into this set: same-named templates are replaced, except by empty ones.
    /// Lets a caller parse each file once and assemble sets from the parsed files.
    pub fn add_parsed(&mut self, other: &Template) -> &mut Self {
        for (name, tree) in &other.trees {
            if tree.is_empty() && self.trees.get(name).is_some_and(|old| !old.is_empty()) {
                continue;
            }
            self.trees.insert(name.clone(), tree.clone());
        }
        self
    }

    /// Whether the set has a template of that name.
    pub fn has_template(&self, name: &str) -> bool {
        self.trees.contains_key(name)
    }

    /// The names of the set's templates, sorted.
    pub fn template_names(&self) -> impl Iterator<Item = &str> {
        self.trees.keys().map(String::as_str)
    }

    /// Go's `DefinedTemplates`: `; defined templates are: "a", "b"` (sorted here), or "".
    pub fn defined_templates(&self) -> String {
        let names: Vec<String> = self.trees.keys().map(|n| crate::fmt::quote(n)).collect();
        if names.is_empty() { String::new() } else { format!("; defined templates are: {}", names.join(", ")) }
    }

    /// The main template's tree as Go's `Root.String()` prints it with text nodes quoted
    /// (what Go's parse tests compare). For tests and debugging.
    #[doc(hidden)]
    pub fn debug_tree(&self) -> Option<String> {
        let tree = self.trees.get(&self.name)?;
        on_big_stack(|| ast::render_list(&tree.root, true)).ok()
    }

    /// Executes the main template with `data`.
    pub fn execute(&self, data: &Value) -> Result<String, Error> {
        if !self.trees.contains_key(&self.name) {
            let message =
                format!("template: {0}: {1} is an incomplete or empty template", self.name, fmt::quote(&self.name));
            return Err(Error::Execute { name: self.name.clone(), message });
        }
        self.execute_template(&self.name, data)
    }

    /// Executes the named template of the set with `data` (Go's `ExecuteTemplate`).
    pub fn execute_template(&self, name: &str, data: &Value) -> Result<String, Error> {
        let Some(tree) = self.trees.get(name) else {
            return Err(Error::NoTemplate { name: name.to_string(), set: self.name.clone() });
        };
        let data = data.clone();
        let tree = tree.clone();
        on_big_stack(move || {
            let mut st = exec::State::new(self, &tree, data, 0, 0);
            let dot = st.vars[0].1.clone();
            st.walk_list(&dot, &tree.root).map(|_| st.out)
        })?
    }
}

thread_local! {
    static ON_BIG_STACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` on a worker thread with a [`STACK_SIZE`] stack (recursion in parsing and
/// execution is bounded by the limits, and the bound fits this stack). Parses and executions
/// inside `f` run on that same thread: a caller doing many of them (Helm renders a chart's
/// every template) wraps them all in one call instead of paying a thread per template.
pub fn on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> Result<T, Error> {
    if ON_BIG_STACK.with(std::cell::Cell::get) {
        return Ok(f());
    }
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn_scoped(s, move || {
                ON_BIG_STACK.with(|b| b.set(true));
                f()
            })
            .map_err(|e| Error::Thread(Arc::new(e)))?;
        handle.join().map_err(|_| Error::Thread(Arc::new(std::io::Error::other("template worker panicked"))))
    })
}
