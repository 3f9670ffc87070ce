//! More of Go's exec_test.go: comparisons (`cmpTests`), exact error texts, `missingkey`,
//! delimiters, blocks, the template-set API, the function handle, and the limits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{data, report, run};
use glidepath_gotmpl::{Error, Exec, Func, FuncMap, MissingKey, Param, Template, Value};

/// Go's `cmpTests`: `{{if EXPR}}true{{else}}false{{end}}` over `{Uthree, Ufour, NegOne, Three}`
/// (unsigned fields become ints). `None` means an execution error is expected.
const CMP: &[(&str, Option<&str>)] = &[
    ("eq true true", Some("true")),
    ("eq true false", Some("false")),
    ("eq 1.5 1.5", Some("true")),
    ("eq 1.5 2.5", Some("false")),
    ("eq 1 1", Some("true")),
    ("eq 1 2", Some("false")),
    ("eq `xy` `xy`", Some("true")),
    ("eq `xy` `xyz`", Some("false")),
    ("eq .Uthree .Uthree", Some("true")),
    ("eq .Uthree .Ufour", Some("false")),
    ("eq 3 4 5 6 3", Some("true")),
    ("eq 3 4 5 6 7", Some("false")),
    ("ne true true", Some("false")),
    ("ne true false", Some("true")),
    ("ne 1.5 1.5", Some("false")),
    ("ne 1.5 2.5", Some("true")),
    ("ne 1 1", Some("false")),
    ("ne 1 2", Some("true")),
    ("ne `xy` `xy`", Some("false")),
    ("ne `xy` `xyz`", Some("true")),
    ("ne .Uthree .Uthree", Some("false")),
    ("ne .Uthree .Ufour", Some("true")),
    ("lt 1.5 1.5", Some("false")),
    ("lt 1.5 2.5", Some("true")),
    ("lt 1 1", Some("false")),
    ("lt 1 2", Some("true")),
    ("lt `xy` `xy`", Some("false")),
    ("lt `xy` `xyz`", Some("true")),
    ("lt .Uthree .Uthree", Some("false")),
    ("lt .Uthree .Ufour", Some("true")),
    ("le 1.5 1.5", Some("true")),
    ("le 1.5 2.5", Some("true")),
    ("le 2.5 1.5", Some("false")),
    ("le 1 1", Some("true")),
    ("le 1 2", Some("true")),
    ("le 2 1", Some("false")),
    ("le `xy` `xy`", Some("true")),
    ("le `xy` `xyz`", Some("true")),
    ("le `xyz` `xy`", Some("false")),
    ("le .Uthree .Uthree", Some("true")),
    ("le .Uthree .Ufour", Some("true")),
    ("le .Ufour .Uthree", Some("false")),
    ("gt 1.5 1.5", Some("false")),
    ("gt 1.5 2.5", Some("false")),
    ("gt 1 1", Some("false")),
    ("gt 2 1", Some("true")),
    ("gt 1 2", Some("false")),
    ("gt `xy` `xy`", Some("false")),
    ("gt `xy` `xyz`", Some("false")),
    ("gt .Uthree .Uthree", Some("false")),
    ("gt .Uthree .Ufour", Some("false")),
    ("gt .Ufour .Uthree", Some("true")),
    ("ge 1.5 1.5", Some("true")),
    ("ge 1.5 2.5", Some("false")),
    ("ge 2.5 1.5", Some("true")),
    ("ge 1 1", Some("true")),
    ("ge 1 2", Some("false")),
    ("ge 2 1", Some("true")),
    ("ge `xy` `xy`", Some("true")),
    ("ge `xy` `xyz`", Some("false")),
    ("ge `xyz` `xy`", Some("true")),
    ("ge .Uthree .Uthree", Some("true")),
    ("ge .Uthree .Ufour", Some("false")),
    ("ge .Ufour .Uthree", Some("true")),
    ("eq .Uthree .Three", Some("true")),
    ("eq .Three .Uthree", Some("true")),
    ("le .Uthree .Three", Some("true")),
    ("lt .Uthree .Three", Some("false")),
    ("gt .Ufour .Three", Some("true")),
    ("eq .NegOne .Uthree", Some("false")),
    ("ne .NegOne .Uthree", Some("true")),
    ("lt .NegOne .Uthree", Some("true")),
    ("ge .Uthree .NegOne", Some("true")),
    ("eq (index `x` 0) 'x'", Some("true")),
    ("eq (index `x` 0) 'y'", Some("false")),
    ("eq .Missing nil", Some("true")),
    ("eq .NIL .Missing", Some("true")),
    ("eq .SI .SI", None),
    ("eq .SI .MSI", None),
    ("eq .Missing .SI", Some("false")),
    ("eq .X .Missing", Some("false")),
    ("eq `xy` 1", None),
    ("eq 2 2.0", None),
    ("lt true true", None),
    ("lt 1 .Missing", None),
    ("eq 1", None),
];

#[test]
fn comparisons() {
    let d = data("tval");
    let mut failures = Vec::new();
    for (expr, want) in CMP {
        let text = format!("{{{{if {expr}}}}}true{{{{else}}}}false{{{{end}}}}");
        let got = run("cmp", &text, &d);
        let ok = match (&got, want) {
            (Ok(out), Some(w)) => out == w,
            (Err(_), None) => true,
            _ => false,
        };
        if !ok {
            failures.push(format!("{expr}: want {want:?}, got {got:?}"));
        }
    }
    report("comparisons", &failures, CMP.len());
}

#[test]
fn comparison_messages() {
    let d = data(r#"{"f": 3.0, "s": [1], "m": {"a": 1}}"#);
    let err = |t: &str| run("cmp", t, &d).unwrap_err();
    assert!(err("{{eq .f 3}}").ends_with("error calling eq: incompatible types for comparison: float64 and int"));
    assert!(err("{{lt .f 3}}").ends_with("incompatible types for comparison: float64 and int"));
    assert!(err("{{lt true false}}").ends_with("error calling lt: invalid type for comparison"));
    assert!(err("{{eq 1}}").ends_with("missing argument for comparison"));
    assert!(err("{{eq .s .s}}").ends_with("non-comparable type [1]: []interface {}"));
    assert!(
        err("{{eq .s .m}}").ends_with("non-comparable types [1]: []interface {}, map[string]interface {}: map[a:1]")
    );
}

const EXEC_ERROR_TEXT: &str = "line 1\nline 2\nline 3\n{{template \"one\" .}}\n{{define \"one\"}}{{template \"two\" .}}{{end}}\n{{define \"two\"}}{{template \"three\" .}}{{end}}\n{{define \"three\"}}{{index \"hi\" $}}{{end}}";

#[test]
fn exec_error_names_the_nested_template() {
    let got = run("top", EXEC_ERROR_TEXT, &Value::Int(5)).unwrap_err();
    assert_eq!(
        got,
        r#"template: top:7:20: executing "three" at <index "hi" $>: error calling index: index out of range: 5"#
    );
    let got = run("X", "hello, {{.X.Y}}", &Value::Int(0)).unwrap_err();
    assert_eq!(got, r#"template: X:1:11: executing "X" at <.X.Y>: can't evaluate field X in type int"#);
    let got = run("long", "{{index .x 1 2 3 4 5 6 7}}", &data("{}")).unwrap_err();
    assert_eq!(
        got,
        r#"template: long:1:2: executing "long" at <index .x 1 2 3 4 5 6 7>: error calling index: index of untyped nil"#
    );
}

#[test]
fn missing_keys() {
    let d = data(r#"{"x": 99, "n": null}"#);
    let mut t = Template::new("t1");
    t.parse("{{.x}} {{.y}}").unwrap();
    assert_eq!(t.execute(&d).unwrap(), "99 <no value>");
    t.option("missingkey=default").unwrap();
    assert_eq!(t.execute(&d).unwrap(), "99 <no value>");
    t.option("missingkey=invalid").unwrap();
    assert_eq!(t.execute(&d).unwrap(), "99 <no value>");
    // An interface{} map: zero is a nil interface{}, which prints as no value too.
    t.option("missingkey=zero").unwrap();
    assert_eq!(t.options.missing_key, MissingKey::Zero);
    assert_eq!(t.execute(&d).unwrap(), "99 <no value>");
    t.option("missingkey=error").unwrap();
    let e = t.execute(&d).unwrap_err().to_string();
    assert_eq!(e, r#"template: t1:1:9: executing "t1" at <.y>: map has no entry for key "y""#);
    let e = t.execute(&Value::Nil).unwrap_err().to_string();
    assert!(e.ends_with(r#"nil data; no entry for key "x""#), "{e}");
    assert!(matches!(t.option("missingkey=bogus"), Err(Error::Option(_))));
    assert!(matches!(t.option("other"), Err(Error::Option(_))));

    // Through a missing key: no value under default, Helm's nil pointer error under zero.
    let mut t = Template::new("chain");
    t.parse("{{.a.b}}").unwrap();
    assert_eq!(t.execute(&d).unwrap(), "<no value>");
    t.option("missingkey=zero").unwrap();
    let e = t.execute(&d).unwrap_err().to_string();
    assert_eq!(e, r#"template: chain:1:4: executing "chain" at <.a.b>: nil pointer evaluating interface {}.b"#);
    // A present null is a nil interface{} whatever the mode.
    let mut t = Template::new("null");
    t.parse("{{.n.b}}").unwrap();
    assert!(t.execute(&d).unwrap_err().to_string().ends_with("nil pointer evaluating interface {}.b"));
}

#[test]
fn delimiters() {
    for (left, right) in [("", ""), ("{{", "}}"), ("<<", ">>"), ("|", "|"), ("(日)", "(本)")] {
        let (l, r) = (if left.is_empty() { "{{" } else { left }, if right.is_empty() { "}}" } else { right });
        let text = format!("{l}.Str{r}{l}/*comment*/{r}{l}\"{l}\"{r}");
        let mut t = Template::new("delims");
        t.delims(left, right);
        t.parse(&text).unwrap();
        let out = t.execute(&data(r#"{"Str": "Hello, world"}"#)).unwrap();
        assert_eq!(out, format!("Hello, world{l}"), "delims {left:?} {right:?}");
    }
}

const TREE_TEMPLATE: &str = r#"
	(- define "tree" -)
	[
		(- .Val -)
		(- with .Left -)
			(template "tree" . -)
		(- end -)
		(- with .Right -)
			(- template "tree" . -)
		(- end -)
	]
	(- end -)
"#;

#[test]
fn tree_with_paren_delimiters() {
    let tree = data(
        r#"{"Val": 1,
          "Left": {"Val": 2, "Left": {"Val": 3, "Left": {"Val": 4}}, "Right": {"Val": 5, "Left": {"Val": 6}}},
          "Right": {"Val": 7, "Left": {"Val": 8, "Left": {"Val": 9}}, "Right": {"Val": 10, "Left": {"Val": 11}}}}"#,
    );
    let mut t = Template::new("root");
    t.delims("(", ")");
    t.parse(TREE_TEMPLATE).unwrap();
    assert_eq!(t.execute_template("tree", &tree).unwrap(), "[1[2[3[4]][5[6]]][7[8[9]][10[11]]]]");
}

#[test]
fn block_can_be_overridden() {
    let mut t = Template::new("outer");
    t.parse(r#"a({{block "inner" .}}bar({{.}})baz{{end}})b"#).unwrap();
    assert_eq!(t.execute(&Value::str("hello")).unwrap(), "a(bar(hello)baz)b");
    let mut t2 = t.clone();
    t2.parse_named("overlay", r#"{{define "inner"}}foo({{.}})bar{{end}}"#).unwrap();
    assert_eq!(t2.execute(&Value::str("goodbye")).unwrap(), "a(foo(goodbye)bar)b");
    // The clone did not change the original.
    assert_eq!(t.execute(&Value::str("hello")).unwrap(), "a(bar(hello)baz)b");
}

#[test]
fn template_set_api() {
    let mut t = Template::new("empty");
    let e = t.execute(&Value::Int(0)).unwrap_err().to_string();
    assert_eq!(e, r#"template: empty: "empty" is an incomplete or empty template"#);
    t.parse_named("secondary", r#"{{define "one"}}one{{end}}{{define "two"}}two{{end}}"#).unwrap();
    assert_eq!(t.execute_template("one", &Value::Nil).unwrap(), "one");
    let e = t.execute_template("nope", &Value::Nil).unwrap_err().to_string();
    assert_eq!(e, r#"template: no template "nope" associated with template "empty""#);
    assert_eq!(t.template_names().collect::<Vec<_>>(), ["one", "secondary", "two"]);
    assert_eq!(t.defined_templates(), r#"; defined templates are: "one", "secondary", "two""#);
    assert!(t.has_template("two"));
    // A definition named like the file wins over the file's empty top level.
    let mut t = Template::new("a");
    t.parse(r#"{{define "a"}}defined{{end}}"#).unwrap();
    assert_eq!(t.execute(&Value::Nil).unwrap(), "defined");
    // `"x" | printf` with a final argument of the right type.
    assert_eq!(run("final", r#"{{"x" | printf}}"#, &Value::Nil).unwrap(), "x");
}

/// Helm's `include` and `tpl`, built on the [`Exec`] handle.
fn helm_like() -> FuncMap {
    let mut m = FuncMap::new();
    m.insert(
        "include",
        Func::new(&[Param::String, Param::Any], None, |exec: &mut dyn Exec, a| {
            exec.execute(a[0].as_str().unwrap_or(""), &a[1]).map(Value::from).map_err(|e| e.to_string())
        }),
    );
    m.insert(
        "tpl",
        Func::new(&[Param::String, Param::Any], None, |exec: &mut dyn Exec, a| {
            let mut set = exec.template().clone();
            let name = format!("{}/tpl", exec.name());
            set.parse_named(&name, a[0].as_str().unwrap_or("")).map_err(|e| e.to_string())?;
            exec.execute_in(&set, &name, &a[1]).map(Value::from).map_err(|e| e.to_string())
        }),
    );
    m
}

#[test]
fn functions_reach_the_running_execution() {
    let mut t = Template::new("main");
    t.funcs(&helm_like());
    t.parse(r#"{{define "name"}}<{{.}}>{{end}}{{include "name" .x | printf "%s!"}} {{tpl "{{.x}}-{{include \"name\" 1}}" .}}"#)
        .unwrap();
    assert_eq!(t.execute(&data(r#"{"x": "v"}"#)).unwrap(), "<v>! v-<1>");
    let e = run_with(&t, r#"{{include "missing" .}}"#);
    assert_eq!(
        e,
        r#"template: main:1:2: executing "main" at <include "missing" .>: error calling include: template: no template "missing" associated with template "main""#
    );
    // Recursion through include stops at the depth limit.
    let mut t = Template::new("main");
    t.funcs(&helm_like());
    t.parse(r#"{{define "r"}}{{include "r" .}}{{end}}{{include "r" .}}"#).unwrap();
    let e = t.execute(&Value::Nil).unwrap_err().to_string();
    assert!(e.contains("exceeded maximum template depth (100000)"), "{e}");
}

fn run_with(t: &Template, text: &str) -> String {
    let mut t = t.clone();
    t.parse(text).unwrap();
    t.execute(&data("{}")).unwrap_err().to_string()
}

#[test]
fn limits() {
    // Deep but legal recursion runs (on the worker's big stack).
    let mut t = Template::new("deep");
    t.parse(r#"{{define "d"}}{{if .}}{{template "d" (slice . 1)}}{{end}}{{end}}{{template "d" .}}x"#).unwrap();
    let list = Value::list(vec![Value::Int(1); 5000]);
    assert_eq!(t.execute(&list).unwrap(), "x");
    // Too deep is Go's error.
    t.options.max_depth = 100;
    assert!(t.execute(&list).unwrap_err().to_string().ends_with("exceeded maximum template depth (100000)"));
    // Output cap.
    let mut t = Template::new("big");
    t.options.max_output = 1000;
    t.parse("{{range 1000}}xx{{end}}").unwrap();
    assert!(matches!(t.execute(&Value::Nil), Err(Error::OutputLimit { limit: 1000, .. })));
    // A string result over the cap, even if never printed.
    t.parse(r#"{{$x := "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}{{range 10}}{{$x = print $x $x}}{{end}}"#).unwrap();
    assert!(matches!(t.execute(&Value::Nil), Err(Error::OutputLimit { .. })));
    // Step cap.
    let mut t = Template::new("slow");
    t.options.max_steps = 10_000;
    t.parse("{{range 100000000}}{{end}}").unwrap();
    assert!(matches!(t.execute(&Value::Nil), Err(Error::StepLimit { limit: 10_000, .. })));
    // Parse nesting: Go's limit and message.
    let deep = format!("{{{{{}1{}}}}}", "(".repeat(10_001), ")".repeat(10_001));
    let e = Template::new("parens").parse(&deep).map(|_| ()).unwrap_err().to_string();
    assert!(e.ends_with("max expression depth exceeded"), "{e}");
    let ok = format!("{{{{{}1{}}}}}", "(".repeat(5000), ")".repeat(5000));
    let mut t = Template::new("parens");
    t.parse(&ok).unwrap();
    assert_eq!(t.execute(&Value::Nil).unwrap(), "1");
    let nested = "{{if 1}}".repeat(5000) + &"{{end}}".repeat(5000);
    Template::new("ifs").parse(&nested).unwrap();
}

#[test]
fn deep_trees_parse_run_and_drop_safely() {
    // The deepest nesting Go's parser accepts, parsed, executed and dropped on a test thread.
    let n = 9_990;
    let deep = format!("{{{{{}1{}}}}}", "(".repeat(n), ")".repeat(n));
    let mut t = Template::new("parens");
    t.parse(&deep).unwrap();
    assert_eq!(t.execute(&Value::Nil).unwrap(), "1");
    drop(t);
    // Nested control structures inside recursive calls hit the nesting bound, not the stack.
    let ifs = "{{if 1}}".repeat(2000) + "{{template \"r\" .}}" + &"{{end}}".repeat(2000);
    let mut t = Template::new("r");
    t.parse(&ifs).unwrap();
    let e = t.execute(&Value::Nil).unwrap_err().to_string();
    assert!(e.ends_with("exceeded maximum template depth (100000)"), "{e}");
}

#[test]
fn printf_widths_cannot_amplify_without_bound() {
    let format = "%999999d".repeat(200);
    let args = vec![Value::Int(1); 200];
    let out = glidepath_gotmpl::fmt::sprintf(&format, &args);
    assert!(out.len() <= (64 << 20) + 1_000_000, "{}", out.len());
    let mut t = Template::new("wide");
    t.parse(&format!("{{{{printf \"{format}\" {}}}}}", "1 ".repeat(200))).unwrap();
    assert!(matches!(t.execute(&Value::Nil), Err(Error::OutputLimit { .. })));
}

#[test]
fn templates_and_values_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Template>();
    send_sync::<Value>();
    send_sync::<Error>();
    let mut t = Template::new("t");
    t.parse("{{.}}").unwrap();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let t = t.clone();
            std::thread::spawn(move || t.execute(&Value::Int(i)).unwrap())
        })
        .collect();
    let outs: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(outs, ["0", "1", "2", "3"]);
}
