#!/usr/bin/env python3
"""Records the expected outputs of the YAML tests from Helm itself (helm-python-sdk 0.2.2,
Helm v4.2.3 as a C library), into cases.json next to this script.

    python3 crates/helm/tests/data/yaml/record.py

to_yaml / to_yaml_pretty: the value is passed to a chart as JSON (so every number is a Go
float64) and rendered with `{{ toYaml .Values.v }}` / `{{ toYamlPretty .Values.v }}`; the
template's own trailing newline puts back the one the function trims, so the rendered text is
Marshal's output. from_yaml: `helm.values_from_yaml` (Helm's values-file reader,
sigs.k8s.io/yaml.Unmarshal into a map), and `{{ fromYamlArray }}` for arrays.
"""
import json
import random
import os
import tempfile

import helm_python as helm
from helm_python import _native

HERE = os.path.dirname(os.path.abspath(__file__))
CFG = helm.Config(namespace="default")


def chart(template):
    d = tempfile.mkdtemp()
    os.makedirs(os.path.join(d, "templates"))
    with open(os.path.join(d, "Chart.yaml"), "w") as f:
        f.write("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    with open(os.path.join(d, "templates", "t.yaml"), "w") as f:
        f.write(template + "\n")
    return helm.Chart.load(d)


CHARTS = {}


def render(template, value):
    ch = CHARTS.setdefault(template, None) or chart(template)
    CHARTS[template] = ch
    out = _native.call_string(
        "helm_render_with_config", CFG._raw(), ch._raw(),
        json.dumps({"v": value}), json.dumps({"name": "rel", "namespace": "default"}))
    return json.loads(out)["c/templates/t.yaml"]


SPECIAL = [
    "", " ", "  ", "a", "abc", "hello world", "a  b", " lead", "trail ", " both ", "\ttab", "a\tb",
    "tab\t", "y", "Y", "yes", "Yes", "YES", "yES", "n", "N", "no", "No", "NO", "on", "On", "ON",
    "off", "Off", "OFF", "true", "True", "TRUE", "tRUE", "false", "False", "FALSE", "null", "Null",
    "NULL", "nULL", "~", "~a", "nil", "none", "None", ".nan", ".NaN", ".NAN", ".inf", ".Inf",
    ".INF", "+.inf", "-.inf", "-.Inf", ".infinity", "inf", "nan", "NaN", "Infinity", "<<", "<",
    "=", "0", "1", "-1", "+1", "01", "0777", "0o17", "0O17", "0x1F", "0X1F", "0xg", "0b101",
    "-0b101", "0b2", "1_000", "1__0", "_1", "1_", "1.0", "1.", ".5", "-.5", "+.5", "1e3", "1E3",
    "1e+3", "1e-3", "1.5e3", "1e", "e3", "1.2.3", "1,000", "1:20", "-1:20", "1:20:30.5", "1:60",
    "12:5", "1:2a", "190:20:30", "0.1", "123456789012345678901234567890", "9223372036854775807",
    "9223372036854775808", "18446744073709551615", "18446744073709551616", "-9223372036854775808",
    "-9223372036854775809", "2020-01-01", "2020-1-1", "2020-01-01T10:00:00Z",
    "2020-01-01t10:00:00Z", "2020-01-01 10:00:00", "2020-01-01 10:00:00.123",
    "2020-01-01T10:00:00.5+02:00", "2020-01-01T10:00:00+0200", "2020-02-30", "2020-02-29",
    "2019-02-29", "2020-13-01", "20200101", "2020-01-01x", "2020-01-01T25:00:00Z", "1999-12-31",
    "- x", "-x", "-", "--", "---", "--- x", "...", "....", "?", "? x", "?x", ":", ": x", ":x",
    "a:", "a: b", "a:b", "a :b", "http://x.y/z", "#", "# c", "a#b", "a #b", "a# b", "a #", ",",
    ",a", "a,b", "[", "[a]", "a[b]", "]", "{", "{a}", "a{b}", "}", "&", "&a", "a&b", "*", "*a",
    "a*b", "!", "!a", "!!str", "a!b", "|", "|a", "a|b", ">", ">a", "a>b", "'", "'a", "a'b",
    "a'", "''", "\"", "\"a", "a\"b", "%", "%a", "a%b", "@", "@a", "a@b", "`", "`a", "a`b",
    "\\", "a\\b", "\\n", "é", "日本語", "Ünïcödé", "😀", "a😀b", "\u00a0", "a\u00a0b", "\u0085",
    "a\u0085b", "a \u0085 b", "a\u0085\u0085b", "\u0085a", "\u2028", "a\u2028b", "\u2029",
    "\ufeff", "\ufeffx", "x\ufeff", "\ufffd", "\ue000", "\x00", "a\x00b", "\x01", "\x07",
    "\x08", "\x0b", "\x0c", "\r", "a\rb", "\x1b", "\x1f", "\x7f", "\x80", "\x9f", "\ufffe",
    "\n", "\n\n", "a\n", "a\nb", "a\nb\n", "a\nb\n\n", "a\n\n", "a\n\n\n", "\na", "\na\n",
    " a\nb", "a\n b", "a \nb", "a\n\tb", "a\tb\nc", "a\n\nb", "a\r\nb", "a\nb ", "a\n ",
    "line1\nline2\nline3\n", "# not a comment\nx", "key: value\nother: 1\n", "- a\n- b\n",
    "a\u0085\nb", "a\u2028\nb", "a\n\u00e9", "x\n😀", "\x7f\n",
]

LONG = [
    "word " * 20, ("word " * 20).strip(), "a" * 100, "a" * 79 + " b", "a" * 80 + " b",
    "a" * 81 + " b", "a " * 50, "ab  " * 30, ("lorem ipsum dolor sit amet " * 6).strip(),
    "yes " * 25, ("yes " * 25).strip(), "- " + "x " * 50, ("x\t" * 50).strip(),
    ("a: b " * 20).strip(), "x" * 200 + " " + "y" * 10, ("short " * 30) + "\nsecond line",
    ("a " * 45) + "\n" + ("b " * 45), ("word " * 20).strip() + "\u0085end",
    ("quote'd " * 15).strip() + " '", ("é " * 60).strip(), "😀 " * 30,
]

NUMBERS = [
    0, 1, -1, 7, 42, 1000, 1000000, 1e6 + 0.5, 123456789, 1e15, 1e16, 1e17, 1e20, 1e21, 1e22,
    1.5e300, 1.7976931348623157e308, 9007199254740993, 12345678901234567890, 2 ** 63, 2 ** 64,
    -(2 ** 63), 0.1, 0.5, 1.5, -1.5, 3.14159, 2.5e-5, 1e-6, 1e-7, 0.000001, 0.0000012, 5e-324,
    123456.789, 1234567.891, 100000.5, 999999.5, -0.0, 0.30000000000000004, 1 / 3, 2 / 3,
]


def to_yaml_values():
    vals = []
    for s in SPECIAL + LONG:
        vals.append(s)
        vals.append({"k": s})
    for s in SPECIAL[:200]:
        vals.append({s: 1})
        vals.append([s])
    for s in LONG:
        vals.append({"a": {"b": [{"c": s}]}})
        vals.append({s: "v"})
    vals += NUMBERS + [{"n": n} for n in NUMBERS] + [True, False, None, {"t": True, "f": False}]
    vals += [
        {}, [], {"a": {}}, {"a": []}, [{}], [[]], [[], {}], {"a": None}, [None], [[1, [2, 3]]],
        {"a": [1, 2], "b": {"c": [3, {"d": 4}]}}, [{"a": 1, "b": 2}, {"c": [1, 2]}],
        [[{"a": [[1]]}]], {"b": 1, "a": 2, "c": 3}, {"a10": 1, "a2": 2, "a1": 3, "a01": 4},
        {"B": 1, "a": 2, "_": 3, "1": 4, "-": 5, "é": 6},
        {"a": 1, "A": 2, "ab": 3, "a b": 4, "a1": 5, "a-": 6, "": 7}, {"v1.10": 1, "v1.9": 2, "v1.09": 3},
        {"k": [{"a": "x\ny"}, "z"]}, {"k": {"l": "multi\nline\n"}}, [["a\nb"]],
        {"k": [[{"a": 1}]]}, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
            "name": "x", "labels": {"app.kubernetes.io/name": "x"}}, "data": {"a.conf": "k=v\n"}},
    ]
    return vals


FROM_YAML = [
    "", "# only a comment\n", "---\n", "~\n", "null\n", "a: 1\n", "a: 1", "a: yes\nb: no\n",
    "a: y\nb: n\nc: Y\nd: N\n", "a: on\nb: off\nc: ON\nd: Off\n", "a: True\nb: FALSE\nc: tRUE\n",
    "a: null\nb: ~\nc: Null\nd:\ne: NULL\n", "a: 0777\nb: 0o17\nc: 0x1F\nd: 0b101\ne: -0b11\n",
    "a: 1_000\nb: 1e3\nc: 1.5\nd: .5\ne: -1.5e-3\nf: 1.\ng: +1\n", "a: 12345678901234567890\n",
    "a: 9223372036854775807\nb: -9223372036854775808\nc: 18446744073709551616\n",
    "a: 2020-01-01\nb: 2020-01-01T10:00:00Z\nc: 2020-02-30\n", "a: 1:20\nb: 190:20:30\n",
    "a: .inf\n", "a: -.inf\n", "a: .nan\n", "a: .5e3\nb: .e3\n", "a: 0x\nb: 0b\nc: 08\n",
    "a: '1'\nb: \"yes\"\nc: 'null'\n", "a: !!str 1\nb: !!str yes\nc: !!int \"3\"\n",
    "a: !!float 1\nb: !!float '2.5'\n", "a: !!int abc\n", "a: !!bool 1\n", "a: !!binary aGk=\n",
    "a: !!binary aGk\n", "a: !foo bar\nb: !foo 1\n", "a: !!null ''\n", "a: !!timestamp 2020-01-01\n",
    "1: a\n2.5: b\ntrue: c\nyes: d\nno: e\n", "0.1: a\n1e10: b\n1.0: c\n", "~: a\n", "null: a\n",
    "[1]: a\n", "{a: 1}: b\n", "? [1, 2]\n: x\n", "? a\n: b\n", "18446744073709551615: a\n",
    ".inf: a\n-.inf: b\n", "0777: a\n0x10: b\n", "'1': a\n1: b\n",
    "x: 1\nx: 2\n", "x: {a: 1}\nx: {b: 2}\n", "a: &x 1\nb: *x\n", "a: &x {k: v}\nb: *x\n",
    "a: &x [1, 2]\nb: *x\nc: *x\n", "a: *y\n", "base: &b {x: 1, y: 2}\nder:\n  <<: *b\n  y: 3\n",
    "base: &b {x: 1, y: 2}\nder:\n  y: 3\n  <<: *b\n", "a: {x: 1, <<: {y: 2}}\n",
    "a: {x: 1, <<: {z: 2}}\n", "a: &a {p: 1}\nb: &b {p: 2, q: 2}\nc:\n  <<: [*a, *b]\n",
    "a:\n  <<: 1\n", "a:\n  '<<': {x: 1}\n", "a:\n  <<: [1]\n",
    "s: |\n  line1\n  line2\n", "s: |-\n  line1\n  line2\n", "s: |+\n  line1\n\n\nt: 1\n",
    "s: >\n  folded\n  text\n\n  para\n", "s: >-\n  a\n  b\n", "s: |2\n   indented\n",
    "s: 'it''s'\n", "s: \"esc \\t \\n \\u00e9 \\x41 \\\\ \\\"\"\n", "s: \"line\n  folded\"\n",
    "s: plain\n  continued\n", "s: a # comment\n", "s: a#b\n", "s: 'a' # c\n",
    "l:\n- 1\n- two\n- [3, 4]\n- {five: 5}\n", "l: [1, 'a', \"b\", yes, ~, 1.5]\n",
    "m: {a: 1, b: [x, y], c: {d: e}}\n", "- a\n- b\n", "[1, 2]\n", "just a string\n", "42\n",
    "a:\n  b:\n    c:\n      d: deep\n", "a:\n  - b: 1\n    c: 2\n  - d: 3\n",
    "a: 1\n---\nb: 2\n", "---\na: 1\n...\n", "%YAML 1.1\n---\na: 1\n", "a: \t1\n", "a\tb: 1\n",
    "\ufeffa: 1\n", "a: b\r\nc: d\r\n", "a: \"\\u263A\"\n", "a: 'x\n\n  y'\n",
    "a: b: c\n", "a:\n  b: 1\n c: 2\n", "a: [1, 2\n", "a: {x: 1\n", "a: \"x\n", "a: 'x\n",
    "a:\n- 1\nb", "key: value\n  bad: indent\n", "a: 1\n b: 2\n", "- a\nb: 1\n", "a: 1\n- b\n",
    "a: @x\n", "a: `x\n", "a: %x\n", "a: \"\\q\"\n", "a: [1, 2]]\n", "a: }\n", "a: &\n",
    "a: *\n", "{{ .Values.x }}\n", "a: {{ x }}\n", "x:\n  - a\n  b: 1\n", "a: |\n b\n c\n",
    "a:\n\tb: 1\n", "? |\n  x\n: 1\n", "a: !!binary a\n", "[a, b]: c\n", "a: b\n\nc\n",
    "foo: bar\nbaz\n", "'a': 1\n'b' 2\n", "a: \"abc\"def\n", "a: -\n", "- - - x\n",
    "- a: 1\n  b: 2\n- c\n", "a:\n  - 1\n  -2\n", "a: 'b' c\n", "a:  b  \n", "a: [b, c, ]\n",
    "a: {b: , c: }\n", "a: [?x]\n", "? a\n? b\n", "a: !<tag:yaml.org,2002:str> 1\n",
    "%TAG !e! tag:example.com,2000:\n---\na: !e!foo 1\n", "a: !e!foo 1\n",
    "x: &a\n  y: *a\n", "x: &a [*a]\n", "a: &x 1\nb: &x 2\nc: *x\n",
]


MORE_ERRORS = [
    "a:\n  b: 1\n   c: 2\n", "a: 1\nb: 2\n  c: 3\n", "a:\n  - 1\n - 2\n", "- a\n - b\n",
    "a: x: y\n", "a: 'x' y: z\n", "image: repo:tag\n", "url: http://x:80/y\n",
    "a: b\nc: d: e\n", "list:\n- a\n-b\n", "x: [\n", "x: {\n", "x: ]\n", "x: [a, b}\n",
    "x: {a: b]\n", "x: \"a\\\"\n", "x: 'a''\n", "x: |\n  a\n b\n", "x: >\n  a\n b: c\n",
    "x:\n  y: 1\n\tz: 2\n", "a: !!int 1.5\n", "a: !!float abc\n", "a: !!bool yes\n",
    "a: !!bool maybe\n", "a: !!null x\n", "a: !!map x\n", "a: &x\nb: *x\n",
    "a: &anchor\n  k: v\nb:\n  <<: *anchor\n  k2: v2\n", "a: *\n", "a: &x [*x]\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n    a: b\n   c: d\n",
    "spec:\n  containers:\n  - name: x\n    image: y\n   ports: []\n",
    "data:\n  key: {{ .Values.x }}\n", "env:\n- name: A\n  value: {{ x }}\n",
    "a: 1\n# comment\nb: 2 # trailing\n", "a: \"\\u00e9\\U0001F600\\x41\\N\\_\\L\\P\\0\\a\\e\"\n",
    "a: \"\\xZZ\"\n", "a: \"\\uD800\"\n", "'a\n  b': c\n", "a: 'multi\n\n  line'\n",
    "a: \"x\\\n  y\"\n", "a: b\n...\nc: d\n", "---\n---\na: 1\n", "--- |\n  text\n",
    "--- >-\n  folded\n", "--- [1, 2]\n", "a: !!seq [1]\nb: !!map {c: d}\n",
    "a:\n  ? b\n  : c\n", "? - a\n  - b\n: c\n", "a: [b, {c: d}, [e]]\n", "a: {b: [c, d]}\n",
    "a: {b: c, b: d}\n", "{a: 1, a: 2}\n", "a: [a: 1, b: 2]\n", "a: {? b: c}\n", "a: {b}\n",
    "a: [b,\n  c]\n", "a: {b: c,\n  d: e}\n", "a:\n  - b\n  -\n  - c\n", "a: -1\nb: - 1\n",
    "a: 'x'\n  b: 1\n", "a:\n\n\n  b: 1\n", "  a: 1\n  b: 2\n", "  a: 1\n b: 2\n",
    "a: 1\r\nb:\r\n  c: 2\r\n", "a: |-\n\n  x\n\n", "a: |+\n  x\n", "a: >+\n  x\n\n",
    "a: |1\n  x\n", "a: |0\n  x\n", "a: |x\n  y\n", "a: >2-\n    x\n", "a: |\n\tx\n",
    "a: b # c: d\n", "a: 'b # c'\n", "a: b#c\n", "#a: b\nc: d\n", "a: ~x\n", "a: ~ \n",
    "a: 0.\nb: -0\nc: +0\nd: -0.0\ne: 00\nf: 0_1\ng: 0x_1\nh: 1_0.5\n",
    "a: 1e400\n", "a: -1e400\n", "a: 4.9e-324\n", "a: 0x7FFFFFFFFFFFFFFF\nb: 0xFFFFFFFFFFFFFFFF\n",
    "a: 0o777\nb: 0O7\nc: 0B1\nd: 0X1\n", "a: 1:2:3\nb: 1:2.5\n", "a: 2001-12-14t21:59:43.10-05:00\n",
    "a: 2001-12-14 21:59:43.10 -5\n", "a: 2002-12-14\nb: '2002-12-14'\n",
    "y: 1\nn: 2\nyes: 3\nno: 4\non: 5\noff: 6\n", "1: a\n01: b\n1.0: c\n", "-1: a\n-1.5: b\n",
    "3.14159265358979: pi\n1e100: big\n123456789: n\n1234567890123: m\n",
    ".nan: a\n", "0.30000000000000004: a\n", "[a, [b, [c, [d]]]]\n",
]


ALPHABET = list("ab yno01.e+-:#?,[]{}&*!|>'\"%@`~\\\t\n") + ["é", "😀", "\u0085", "\r", "\u00a0",
                                                          "\u2028", "\ufeff", "\x1b", "  ", "\n\n"]


def fuzz_string(rng):
    if rng.random() < 0.25:  # long prose, for line folding
        words = ["w" * rng.randint(1, 12) for _ in range(rng.randint(5, 40))]
        seps = [rng.choice([" ", " ", " ", "  ", "\n", " \n", "\t"]) for _ in words]
        return "".join(w + sep for w, sep in zip(words, seps)).rstrip(rng.choice(["", " ", "\n"]))
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12)))


def fuzz_value(rng, depth=0):
    r = rng.random()
    if depth > 3 or r < 0.45:
        return rng.choice([
            lambda: fuzz_string(rng), lambda: fuzz_string(rng), lambda: rng.randint(-10**6, 10**6),
            lambda: rng.uniform(-1e6, 1e6), lambda: 10 ** rng.uniform(-12, 25), lambda: None,
            lambda: rng.random() < 0.5])()
    if r < 0.7:
        return [fuzz_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {fuzz_string(rng): fuzz_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


BASES = [
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    app: web\n"
    "spec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: web\n"
    "        image: \"nginx:1.25\"\n        args: [\"--port\", \"80\"]\n        env:\n"
    "        - name: MODE\n          value: 'prod'\n        ports:\n        - containerPort: 80\n",
    "replicaCount: 1\nimage:\n  repository: nginx\n  tag: \"\"\nservice:\n  type: ClusterIP\n"
    "  port: 80\ningress:\n  enabled: false\n  hosts:\n    - host: chart.local\n      paths: []\n"
    "resources: {}\nnodeSelector: {}\ntolerations: []\nconfig: |\n  key=value\n  other=1\n",
    "data:\n  a.conf: |-\n    line one\n    line two\n  b: >\n    folded\n    text\n"
    "list:\n- {a: 1, b: [x, y]}\n- 'quoted'\n- \"dq\"\n# comment\nanchors:\n  base: &b {k: v}\n"
    "  der:\n    <<: *b\n",
]


def mutate(rng, text):
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    op = rng.randrange(9)
    line = lines[i]
    if op == 0:
        lines[i] = " " + line
    elif op == 1 and line.startswith(" "):
        lines[i] = line[1:]
    elif op == 2:
        lines[i] = "\t" + line.lstrip(" ")
    elif op == 3 and line:
        j = rng.randrange(len(line))
        lines[i] = line[:j] + line[j + 1:]
    elif op == 4:
        j = rng.randrange(len(line) + 1)
        lines[i] = line[:j] + rng.choice([":", ": ", "\"", "'", "[", "]", "{", "}", "-", "- ", "#",
                                          "&", "*", "!", "|", ">", "?", ",", "%", "@"]) + line[j:]
    elif op == 5:
        lines.insert(i, rng.choice(["x", "  y", "bad", "- item", "key value", "{{ .Values.x }}"]))
    elif op == 6:
        lines[i] = line + rng.choice([" x", ": y", " #c", "  ", "'", "\""])
    elif op == 7:
        del lines[i]
    else:
        lines[i] = line.replace(": ", ":", 1)
    return "\n".join(lines)


SCALARS = ["plain", "two words", "yes", "No", "on", "~", "null", "", "0777", "0x1f", "1e3", "1.5",
           "-2", "+3", ".inf", "2020-01-02", "1:30", "a: b", "#x", "x #y", "it's", 'say "hi"',
           "tab\there", "é", "<<", "=", "-", "?", "*star", "&amp", "!bang", "%pct", "@at", "`bt",
           "line\nbreak", "trail ", " lead", "a,b", "[x]", "{y}", "0.1e-2", "1_000", "0b11", "12:00:00"]


def yaml_scalar(rng, s, indent):
    """One of YAML's scalar styles for s (where that style can hold it)."""
    styles = ["double"]
    if "\n" not in s and "\t" not in s:
        styles.append("single")
        styles.append("plain")
    if "\n" in s or rng.random() < 0.2:
        styles.append("literal")
    style = rng.choice(styles)
    if style == "double":
        return json.dumps(s)
    if style == "single":
        return "'" + s.replace("'", "''") + "'"
    if style == "plain":
        return s  # may well not be a plain scalar: then it errors or resolves, as in Go
    pad = " " * (indent + 2)
    chomp = rng.choice(["", "-", "+"])
    body = "\n".join(pad + line if line else "" for line in s.split("\n"))
    return "|" + chomp + "\n" + body


def yaml_doc(rng, depth=0, indent=0):
    pad = " " * indent
    r = rng.random()
    if depth > 2 or r < 0.3:
        return None
    if r < 0.6:
        lines = []
        for _ in range(rng.randint(1, 4)):
            key = rng.choice(SCALARS[:20])
            key = json.dumps(key) if rng.random() < 0.3 else key
            sub = yaml_doc(rng, depth + 1, indent + 2)
            if sub is None:
                val = rng.choice([yaml_scalar(rng, rng.choice(SCALARS), indent),
                                  "[" + ", ".join(json.dumps(rng.choice(SCALARS)) for _ in range(2)) + "]",
                                  "{a: 1, b: [x, y]}", "&anc " + json.dumps(rng.choice(SCALARS)), "*anc",
                                  "# only comment", ""])
                if val == "*anc":
                    val = "&anc2 v2"
                lines.append(pad + key + ": " + val)
            else:
                lines.append(pad + key + ":" + rng.choice(["", " # c"]))
                lines.append(sub)
        return "\n".join(lines)
    items = []
    for _ in range(rng.randint(1, 3)):
        sub = yaml_doc(rng, depth + 1, indent + 2)
        if sub is None:
            items.append(pad + "- " + yaml_scalar(rng, rng.choice(SCALARS), indent))
        else:
            items.append(pad + "-\n" + sub)
    return "\n".join(items)


def record():
    cases = {"to_yaml": [], "to_yaml_pretty": [], "from_yaml": [], "from_yaml_array": []}
    rng = random.Random(20261207)
    fuzz = [fuzz_value(rng) for _ in range(1500)]
    for v in to_yaml_values() + fuzz:
        cases["to_yaml"].append({"in": v, "out": render("{{ toYaml .Values.v }}", v)})
        cases["to_yaml_pretty"].append(
            {"in": v, "out": render("{{ toYamlPretty .Values.v }}", v)})
    # yaml.v2's key order is not transitive for these (x10y < x1y < x2y < x10y): Go's result
    # follows its random map order, so they are checked with toYamlPretty (yaml.v3) only.
    for v in [{"x1y": 1, "x10y": 2, "x2y": 3}, {"10": 1, "9": 2, "010": 3, "1": 4, "1a": 5, "a": 6}]:
        cases["to_yaml_pretty"].append({"in": v, "out": render("{{ toYamlPretty .Values.v }}", v)})
    docs = FROM_YAML + MORE_ERRORS
    for sp in SPECIAL + LONG:
        if "\n" not in sp and "\r" not in sp:
            docs.append("k: " + sp + "\n")
            docs.append(sp + ": v\n")
        docs.append(render("{{ toYaml .Values.v }}", {"k": sp, sp: "v"}))
    docs.append(render("{{ toYaml .Values.v }}", to_yaml_values()[-60:]))
    for v in fuzz[:600]:
        docs.append(render("{{ toYaml .Values.v }}", {"k": v}))
    mrng = random.Random(7)
    for _ in range(700):
        doc = rng.choice(BASES) if False else mrng.choice(BASES)
        for _ in range(mrng.randint(1, 2)):
            doc = mutate(mrng, doc)
        docs.append(doc)
    vrng = random.Random(11)
    for _ in range(800):
        d = yaml_doc(vrng)
        if d:
            docs.append(("---\n" if vrng.random() < 0.2 else "") + d + vrng.choice(["\n", "", "\n\n# end\n"]))
    for t in ["a: {x:1}\n", "a: [http://x.y, b]\n", "a: {url: http://x}\n", "a: [a:b]\n",
              "a: [x: 1]\n", "a: {x: 1, y}\n", "a: [{x: 1}, [2]]\n"]:
        docs.append(t)
    for text in docs:
        try:
            cases["from_yaml"].append({"in": text, "out": json.loads(helm.values_from_yaml(text))
                                       if isinstance(helm.values_from_yaml(text), str)
                                       else helm.values_from_yaml(text)})
        except Exception as e:  # Helm's message, as the Go error's text
            cases["from_yaml"].append({"in": text, "err": str(e)})
    for text in ["- a\n- 1\n", "[1, yes, ~]\n", "a: 1\n", "", "x\n", "- a: [1]\n", "- &a 1\n- *a\n"]:
        out = render("{{ fromYamlArray .Values.v | toJson }}", text)
        cases["from_yaml_array"].append({"in": text, "out": json.loads(out)})
    with open(os.path.join(HERE, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1, ensure_ascii=True)
        f.write("\n")
    print({k: len(v) for k, v in cases.items()})


if __name__ == "__main__":
    record()
