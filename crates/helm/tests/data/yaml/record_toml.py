#!/usr/bin/env python3
"""Records toToml / fromToml outputs from Helm v4.2.3 (helm-python-sdk) into toml_cases.json.

    python3 crates/helm/tests/data/yaml/record_toml.py

toToml: `{{ toToml .Values.v }}` (the encoder's error text is the output on failure);
fromToml: `{{ fromToml .Values.v | toJson }}` (a parse error lands in the map's "Error" key).
"""
import json
import os
import random

import record

HERE = os.path.dirname(os.path.abspath(__file__))

TO = [
    {}, {"a": 1}, {"b": 1, "a": "x", "c": {"z": 1, "y": [1, 2]}}, {"d": [{"p": 1}, {"q": 2}]},
    {"e": 1.5, "f": 1e6, "g": 1e21, "h": 0.000001, "i": True, "j": None, "k": [], "l": {}},
    {"m": "q\"\\\n\té😀\x01\x7f\x08\x0c\r"}, {"n key": 1, "": 2, "a.b": 3, "é": 4, "A-_9": 5},
    {"m2": [[1, 2], ["a"]], "mix": [1, "a"], "neg": -0.0, "big": 12345678901234567890},
    {"n2": {"deep": {"x": 1}, "arr": [{"a": {"b": 1}}]}}, [1, 2], "str", 1.5, True, None,
    {"x": [None]}, {"x": [{"a": 1}, 2]}, [{"a": 1}], {"x": [[{"a": 1}]]}, {"x": [{}]},
    {"t": {"a": {"b": {"c": {"d": 1}}}, "e": 2}}, {"x": {"y": None, "z": 1}},
    {"x": [{"a": [{"b": 1}], "c": 2}]}, {"a": 123456789.0, "b": 0.1, "c": 100000.5, "d": 1e-7},
    {"x": [1, [2, [3]]], "y": [{"a": {"b": [1]}}, "s"]},
    {"z": {"inline": [{"k": {"deep": 1}, "v": [1]}, 3]}},
]

FROM = [
    "", "a = 1", "a = 1.5\nb = true\nc = \"s\"\nd = 's'", "[t]\nx = 1\n[t.u]\ny = 2",
    "[[a]]\nx = 1\n[[a]]\nx = 2", "a = [1, 2, 3]\nb = [\"x\", 'y']\nc = [[1], [2]]",
    "a = {x = 1, y = {z = 2}}", "a.b.c = 1\na.d = 2", "\"q k\" = 1\n'l k' = 2",
    "a = 0x1F\nb = 0o17\nc = 0b101\nd = 1_000\ne = -17\nf = +3", "a = 1e3\nb = -2.5E-3\nc = 6.626e-34",
    "a = \"\"\"\nmulti\nline\"\"\"\nb = '''\nraw\\n'''", "a = \"esc \\t \\n \\\" \\\\ \\u00e9 \\U0001F600\"",
    "a = \"\"\"x \\\n   y\"\"\"", "# comment\na = 1 # trailing\n\n[b] # c\n", "a = [\n  1,\n  2, # c\n]",
    "d = 1979-05-27T07:32:00Z\ne = 1979-05-27\nf = 07:32:00\ng = 1979-05-27 07:32:00",
    "a = 9223372036854775807", "a = 1\na = 2", "[t]\n[t]", "a = ", "a = 1 2", "= 1", "a = [1,",
    "a = \"unterminated", "a = {x = 1", "a = tru", "a = 01", "a = 1__0", "[a\nb = 1",
    "a = \"\\q\"", "a = inf\nb = -inf\nc = nan", "a.b = 1\n[a]\nc = 2", "a = 1\n[a]\nb = 2",
    "[[t]]\na = 1\n[t.sub]\nb = 2", "x = [{a = 1}, {b = 2}]", "k = 'it''s'", "k = \"\"",
]


MORE_FROM = [
    "a = [1 2]", "a = {x = 1 y = 2}", "a = 1.", "a = .5", "a = 1e", "a = 0x", "a = +0x1",
    "[a.b]\nc = 1\n[a]\nd = 2", "a = \"x\\uZZZZ\"", "[t]\nx = 1\nx = 2", "a.b = 1\na.b = 2",
    "a = [1, \"x\", {y = 1}]", "a = 1979-05-27T07:32:00.999999-07:00", "a = true\nb = false",
    "a = 'lit\\n'", "[ spaced . key ]\nv = 1", "\"\" = 1", "a = -0.0\nb = +1.5e+3",
    "a = 1\r\nb = 2\r\n", "a = [\n  [1, 2],\n  [\"x\"],\n]", "[[a]]\n[[a.b]]\nc = 1\n[[a]]",
    "a = \"\"\"\none\\\n  two\"\"\"", "a = '''\nx'''y'''", "a =", "a = # c", "1 = 2\n1.5 = 3",
]


def main():
    cases = {"to_toml": [], "from_toml": []}
    for v in TO:
        try:
            cases["to_toml"].append({"in": v, "out": record.render("{{ toToml .Values.v }}", v)})
        except Exception as e:  # Helm itself fails (e.g. toToml of null panics inside reflect)
            cases["to_toml"].append({"in": v, "helm_failed": str(e)})
    for text in FROM + MORE_FROM:
        out = record.render("{{ fromToml .Values.v | toJson }}", text)
        try:
            cases["from_toml"].append({"in": text, "out": json.loads(out)})
        except ValueError:  # toJson failed (NaN, infinities): Helm renders nothing
            cases["from_toml"].append({"in": text, "rendered": out})
    with open(os.path.join(HERE, "toml_cases.json"), "w") as f:
        json.dump(cases, f, indent=1, ensure_ascii=True)
        f.write("\n")
    print({k: len(v) for k, v in cases.items()})


if __name__ == "__main__":
    main()
