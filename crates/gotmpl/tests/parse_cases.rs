//! Go's parse_test.go `parseTests` (tree strings) and `errorTests` (message substrings),
//! ported as data. Cases with complex numbers are left out (not supported).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::report;
use glidepath_gotmpl::{Func, FuncMap, Param, Template, Value};

/// `(name, input, Ok(tree) | Err(message substring))`; an empty error text means any error.
type Case = (&'static str, &'static str, Result<&'static str, &'static str>);

const PARSE: &[Case] = &[
    ("empty", "", Ok("")),
    ("comment", "{{/*\n\n\n*/}}", Ok("")),
    ("spaces", " \t\n", Ok(r#"" \t\n""#)),
    ("text", "some text", Ok(r#""some text""#)),
    ("emptyAction", "{{}}", Err("missing value for command")),
    ("field", "{{.X}}", Ok("{{.X}}")),
    ("simple command", "{{printf}}", Ok("{{printf}}")),
    ("$ invocation", "{{$}}", Ok("{{$}}")),
    ("variable invocation", "{{with $x := 3}}{{$x 23}}{{end}}", Ok("{{with $x := 3}}{{$x 23}}{{end}}")),
    ("variable with fields", "{{$.I}}", Ok("{{$.I}}")),
    ("multi-word command", "{{printf `%d` 23}}", Ok("{{printf `%d` 23}}")),
    ("pipeline", "{{.X|.Y}}", Ok("{{.X | .Y}}")),
    ("pipeline with decl", "{{$x := .X|.Y}}", Ok("{{$x := .X | .Y}}")),
    ("nested pipeline", "{{.X (.Y .Z) (.A | .B .C) (.E)}}", Ok("{{.X (.Y .Z) (.A | .B .C) (.E)}}")),
    ("field applied to parentheses", "{{(.Y .Z).Field}}", Ok("{{(.Y .Z).Field}}")),
    ("simple if", "{{if .X}}hello{{end}}", Ok(r#"{{if .X}}"hello"{{end}}"#)),
    ("if with else", "{{if .X}}true{{else}}false{{end}}", Ok(r#"{{if .X}}"true"{{else}}"false"{{end}}"#)),
    (
        "if with else if",
        "{{if .X}}true{{else if .Y}}false{{end}}",
        Ok(r#"{{if .X}}"true"{{else}}{{if .Y}}"false"{{end}}{{end}}"#),
    ),
    (
        "if else chain",
        "+{{if .X}}X{{else if .Y}}Y{{else if .Z}}Z{{end}}+",
        Ok(r#""+"{{if .X}}"X"{{else}}{{if .Y}}"Y"{{else}}{{if .Z}}"Z"{{end}}{{end}}{{end}}"+""#),
    ),
    ("simple range", "{{range .X}}hello{{end}}", Ok(r#"{{range .X}}"hello"{{end}}"#)),
    ("chained field range", "{{range .X.Y.Z}}hello{{end}}", Ok(r#"{{range .X.Y.Z}}"hello"{{end}}"#)),
    (
        "nested range",
        "{{range .X}}hello{{range .Y}}goodbye{{end}}{{end}}",
        Ok(r#"{{range .X}}"hello"{{range .Y}}"goodbye"{{end}}{{end}}"#),
    ),
    ("range with else", "{{range .X}}true{{else}}false{{end}}", Ok(r#"{{range .X}}"true"{{else}}"false"{{end}}"#)),
    (
        "range over pipeline",
        "{{range .X|.M}}true{{else}}false{{end}}",
        Ok(r#"{{range .X | .M}}"true"{{else}}"false"{{end}}"#),
    ),
    ("range []int", "{{range .SI}}{{.}}{{end}}", Ok("{{range .SI}}{{.}}{{end}}")),
    ("range 1 var", "{{range $x := .SI}}{{.}}{{end}}", Ok("{{range $x := .SI}}{{.}}{{end}}")),
    ("range 2 vars", "{{range $x, $y := .SI}}{{.}}{{end}}", Ok("{{range $x, $y := .SI}}{{.}}{{end}}")),
    ("range with break", "{{range .SI}}{{.}}{{break}}{{end}}", Ok("{{range .SI}}{{.}}{{break}}{{end}}")),
    ("range with continue", "{{range .SI}}{{.}}{{continue}}{{end}}", Ok("{{range .SI}}{{.}}{{continue}}{{end}}")),
    (
        "constants",
        "{{range .SI 1 -3.2 true false 'a' nil}}{{end}}",
        Ok("{{range .SI 1 -3.2 true false 'a' nil}}{{end}}"),
    ),
    ("template", "{{template `x`}}", Ok(r#"{{template "x"}}"#)),
    ("template with arg", "{{template `x` .Y}}", Ok(r#"{{template "x" .Y}}"#)),
    ("with", "{{with .X}}hello{{end}}", Ok(r#"{{with .X}}"hello"{{end}}"#)),
    ("with with else", "{{with .X}}hello{{else}}goodbye{{end}}", Ok(r#"{{with .X}}"hello"{{else}}"goodbye"{{end}}"#)),
    (
        "with with else with",
        "{{with .X}}hello{{else with .Y}}goodbye{{end}}",
        Ok(r#"{{with .X}}"hello"{{else}}{{with .Y}}"goodbye"{{end}}{{end}}"#),
    ),
    (
        "with else chain",
        "{{with .X}}X{{else with .Y}}Y{{else with .Z}}Z{{end}}",
        Ok(r#"{{with .X}}"X"{{else}}{{with .Y}}"Y"{{else}}{{with .Z}}"Z"{{end}}{{end}}{{end}}"#),
    ),
    ("trim left", "x \r\n\t{{- 3}}", Ok(r#""x"{{3}}"#)),
    ("trim right", "{{3 -}}\n\n\ty", Ok(r#"{{3}}"y""#)),
    ("trim left and right", "x \r\n\t{{- 3 -}}\n\n\ty", Ok(r#""x"{{3}}"y""#)),
    ("trim with extra spaces", "x\n{{-  3   -}}\ny", Ok(r#""x"{{3}}"y""#)),
    ("comment trim left", "x \r\n\t{{- /* hi */}}", Ok(r#""x""#)),
    ("comment trim right", "{{/* hi */ -}}\n\n\ty", Ok(r#""y""#)),
    ("comment trim left and right", "x \r\n\t{{- /* */ -}}\n\n\ty", Ok(r#""x""y""#)),
    ("block definition", r#"{{block "foo" .}}hello{{end}}"#, Ok(r#"{{template "foo" .}}"#)),
    ("newline in assignment", "{{ $x \n := \n 1 \n }}", Ok("{{$x := 1}}")),
    ("newline in empty action", "{{\n}}", Err("missing value for command")),
    ("newline in pipeline", "{{\n\"x\"\n|\nprintf\n}}", Ok(r#"{{"x" | printf}}"#)),
    ("newline in comment", "{{/*\nhello\n*/}}", Ok("")),
    ("newline in trimmed comment", "{{-\n/*\nhello\n*/\n-}}", Ok("")),
    ("spaces around continue", "{{range .SI}}{{.}}{{ continue }}{{end}}", Ok("{{range .SI}}{{.}}{{continue}}{{end}}")),
    ("spaces around break", "{{range .SI}}{{.}}{{ break }}{{end}}", Ok("{{range .SI}}{{.}}{{break}}{{end}}")),
    ("unclosed action", "hello{{range", Err("unclosed action")),
    ("unmatched end", "{{end}}", Err("unexpected {{end}}")),
    ("unmatched else", "{{else}}", Err("unexpected {{else}}")),
    ("unmatched else after if", "{{if .X}}hello{{end}}{{else}}", Err("unexpected {{else}}")),
    ("multiple else", "{{if .X}}1{{else}}2{{else}}3{{end}}", Err("expected end; found {{else}}")),
    ("missing end", "hello{{range .x}}", Err("unexpected EOF")),
    ("missing end after else", "hello{{range .x}}{{else}}", Err("unexpected EOF")),
    ("undefined function", "hello{{undefined}}", Err(r#"function "undefined" not defined"#)),
    ("undefined variable", "{{$x}}", Err(r#"undefined variable "$x""#)),
    ("variable undefined after end", "{{with $x := 4}}{{end}}{{$x}}", Err(r#"undefined variable "$x""#)),
    ("variable undefined in template", "{{template $v}}", Err(r#"unexpected "$v" in template clause"#)),
    ("declare with field", "{{with $x.Y := 4}}{{end}}", Err("")),
    ("template with field ref", "{{template .X}}", Err(r#"unexpected ".X" in template clause"#)),
    ("invalid punctuation", "{{printf 3, 4}}", Err(r#"unexpected "," in operand"#)),
    ("multidecl outside range", "{{with $v, $u := 3}}{{end}}", Err("too many declarations in with")),
    ("too many decls in range", "{{range $u, $v, $w := 3}}{{end}}", Err("too many declarations in range")),
    ("dot applied to parentheses", "{{printf (printf .).}}", Err("")),
    ("adjacent args", "{{printf 3`x`}}", Err("")),
    ("adjacent args with .", "{{printf `x`.}}", Err("")),
    ("extra end after if", "{{if .X}}a{{else if .Y}}b{{end}}{{end}}", Err("unexpected {{end}}")),
    ("break outside range", "{{range .}}{{end}} {{break}}", Err("{{break}} outside {{range}}")),
    ("continue outside range", "{{range .}}{{end}} {{continue}}", Err("{{continue}} outside {{range}}")),
    ("break in range else", "{{range .}}{{else}}{{break}}{{end}}", Err("{{break}} outside {{range}}")),
    ("continue in range else", "{{range .}}{{else}}{{continue}}{{end}}", Err("{{continue}} outside {{range}}")),
    ("break with argument", "{{range .}}{{break 1}}{{end}}", Err("unexpected \"1\" in {{break}}")),
    ("bug0a", "{{$x := 0}}{{$x}}", Ok("{{$x := 0}}{{$x}}")),
    ("bug0b", "{{$x += 1}}{{$x}}", Err("")),
    ("bug0c", "{{$x ! 2}}{{$x}}", Err("")),
    ("bug0d", "{{$x % 3}}{{$x}}", Err("")),
    ("bug0e", "{{range $x := $y := 3}}{{end}}", Err("")),
    ("bug1a", "{{$x:=.}}{{$x!2}}", Err("")),
    ("bug1b", "{{$x:=.}}{{$x+2}}", Err("")),
    ("bug1c", "{{$x:=.}}{{$x +2}}", Ok("{{$x := .}}{{$x +2}}")),
    ("bug2a", "{{range $x := 0}}{{$x}}{{end}}", Ok("{{range $x := 0}}{{$x}}{{end}}")),
    ("bug2b", "{{range $x = 0}}{{$x}}{{end}}", Ok("{{range $x = 0}}{{$x}}{{end}}")),
    ("bug2c", "{{$x := 1}}{{range $x = 0}}{{$x}}{{end}}", Ok("{{$x := 1}}{{range $x = 0}}{{$x}}{{end}}")),
    ("dot after integer", "{{1.E}}", Err("")),
    ("dot after float", "{{0.1.E}}", Err("")),
    ("dot after boolean", "{{true.E}}", Err("unexpected . after term \"true\"")),
    ("dot after char", "{{'a'.any}}", Err("unexpected . after term \"'a'\"")),
    ("dot after string", r#"{{"hello".guys}}"#, Err(r#"unexpected . after term "\"hello\"""#)),
    ("dot after dot", "{{..E}}", Err("")),
    ("dot after nil", "{{nil.E}}", Err("unexpected . after term \"nil\"")),
    ("wrong pipeline dot", "{{12|.}}", Err("non executable command in pipeline stage 2")),
    ("wrong pipeline number", "{{.|12|printf}}", Err("non executable command in pipeline stage 2")),
    ("wrong pipeline string", "{{.|printf|\"error\"}}", Err("non executable command in pipeline stage 3")),
    ("wrong pipeline char", "{{12|printf|'e'}}", Err("non executable command in pipeline stage 3")),
    ("wrong pipeline boolean", "{{.|true}}", Err("non executable command in pipeline stage 2")),
    ("wrong pipeline nil", "{{'c'|nil}}", Err("non executable command in pipeline stage 2")),
    ("empty pipeline", r#"{{printf "%d" ( ) }}"#, Err("missing value for parenthesized pipeline")),
    ("block without pipeline", r#"{{block "foo"}}hello{{end}}"#, Err("missing value for block clause")),
    // errorTests: messages with line numbers.
    ("unclosed1", "line1\n{{", Err("template: unclosed1:2: unclosed action")),
    ("unclosed2", "line1\n{{define `x`}}line2\n{{", Err("unclosed2:3: unclosed action")),
    ("unclosed3", "line1\n{{\"x\"\n\"y\"\n", Err("unclosed3:4: unclosed action started at unclosed3:2")),
    ("unclosed4", "{{\n\n\n\n\n", Err("unclosed4:6: unclosed action started at unclosed4:1")),
    ("var1", "line1\n{{\nx\n}}", Err(r#"var1:3: function "x" not defined"#)),
    ("function", "{{foo}}", Err(r#"template: function:1: function "foo" not defined"#)),
    ("comment1", "{{/*}}", Err("comment1:1: unclosed comment")),
    ("comment2", "{{/*\nhello\n}}", Err("comment2:1: unclosed comment")),
    ("comment3", "{{/* a */ 3}}", Err("comment ends before closing delimiter")),
    ("lparen", "{{.X (1 2 3}}", Err("unclosed left paren")),
    ("rparen", "{{.X 1 2 3 ) }}", Err("unexpected right paren")),
    ("rparen2", "{{(.X 1 2 3", Err("unclosed action")),
    ("space", "{{`x`3}}", Err("in operand")),
    ("idchar", "{{a#}}", Err("'#'")),
    ("charconst", "{{'a}}", Err("unterminated character constant")),
    ("stringconst", r#"{{"a}}"#, Err("unterminated quoted string")),
    ("rawstringconst", "{{`a}}", Err("unterminated raw quoted string")),
    (
        "rawstring line",
        "hello\n\n{{`unterminated\n\n\n\n}}\n some more\n\n",
        Err("X:3: unterminated raw quoted string"),
    ),
    ("number", "{{0xi}}", Err("number syntax")),
    ("multidefine", "{{define `a`}}a{{end}}{{define `a`}}b{{end}}", Err("multiple definition of template")),
    ("eof", "{{range .X}}", Err("unexpected EOF")),
    ("multidefine top", "{{define `multidefine top`}}a{{end}}b", Err("multiple definition of template")),
    ("variable", "{{$x := 23}}{{with $x.y := 3}}{{$x 23}}{{end}}", Err(r#"unexpected ":=""#)),
    ("multidecl", "{{$a,$b,$c := 23}}", Err("too many declarations")),
    ("undefvar", "{{$a}}", Err("undefined variable")),
    ("wrongdot", "{{true.any}}", Err("unexpected . after term")),
    ("wrongpipeline", "{{12|false}}", Err("non executable command in pipeline")),
    ("emptypipeline", "{{ ( ) }}", Err("missing value for parenthesized pipeline")),
    ("multilinerawstring", "{{ $v := `\n` }} {{", Err("multilinerawstring:2: unclosed action")),
    ("rangeundefvar", "{{range $k}}{{end}}", Err("undefined variable")),
    ("rangeundefvars", "{{range $k, $v}}{{end}}", Err("undefined variable")),
    ("rangemissingvalue1", "{{range $k,}}{{end}}", Err("missing value for range")),
    ("rangemissingvalue2", "{{range $k, $v := }}{{end}}", Err("missing value for range")),
    ("rangenotvariable1", "{{range $k, .}}{{end}}", Err("range can only initialize variables")),
    ("rangenotvariable2", "{{range $k, 123 := .}}{{end}}", Err("range can only initialize variables")),
    ("complex", "{{1+2i}}", Err("complex numbers are not supported")),
    ("integer overflow", "{{123456789012345678901234567890}}", Err("integer overflow")),
    ("bad escape", r#"{{"\q"}}"#, Err("invalid syntax")),
    ("unexpected in input", "{{define \"a\"}}", Err("unexpected EOF")),
    ("define name", "{{define a}}{{end}}", Err(r#"unexpected "a" in define clause"#)),
];

fn parse(name: &str, input: &str) -> Result<String, String> {
    let mut t = Template::new(name);
    let mut f = FuncMap::new();
    f.insert("contains", Func::pure(&[Param::String, Param::String], |_| Ok(Value::Bool(true))));
    t.funcs(&f);
    t.parse(input).map_err(|e| e.to_string())?;
    Ok(t.debug_tree().unwrap_or_default())
}

#[test]
fn parse_tests() {
    let mut failures = Vec::new();
    for (name, input, want) in PARSE {
        let tname = if *name == "rawstring line" { "X" } else { name };
        let got = parse(tname, input);
        let ok = match (&got, want) {
            (Ok(g), Ok(w)) => g == w,
            (Err(e), Err(w)) => e.contains(w),
            _ => false,
        };
        if !ok {
            failures.push(format!("{name}: want {want:?}, got {got:?}"));
        }
    }
    report("parse", &failures, PARSE.len());
}

#[test]
fn keywords_and_functions() {
    // Go's TestKeywordsAndFuncs: with a function named `break`, `break` is that function.
    let input = "{{range .X}}{{break 20}}{{end}}";
    assert!(Template::new("kw").parse(input).is_err());
    let mut t = Template::new("kw");
    let mut f = FuncMap::new();
    f.insert("break", Func::pure(&[Param::Any], |a| Ok(a[0].clone())));
    t.funcs(&f);
    t.parse(input).unwrap();
    assert_eq!(t.execute(&common::data(r#"{"X": [1, 2]}"#)).unwrap(), "2020");
}

#[test]
fn is_empty_tree() {
    // Go's isEmptyTests: an empty main template does not replace an existing one.
    for (input, empty) in [
        ("", true),
        ("hello", false),
        (" \t\n \t\n", true),
        ("{{/* comment */}}", true),
        (r#"{{define "x"}}something{{end}}"#, true),
        ("{{define `x`}}something{{end}}\n\n{{define `y`}}something{{end}}\n\n", true),
        ("{{define `x`}}something{{end}}\nx\n{{define `y`}}something{{end}}\ny\n", false),
        ("{{define `x`}}something{{end}}{{if 3}}foo{{end}}", false),
    ] {
        let mut t = Template::new("root");
        t.parse("ORIGINAL").unwrap();
        t.parse(input).unwrap();
        let out = t.execute(&Value::Nil).unwrap();
        assert_eq!(out == "ORIGINAL", empty, "{input:?} gave {out:?}");
    }
}
