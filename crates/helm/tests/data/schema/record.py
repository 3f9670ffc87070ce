#!/usr/bin/env python3
"""Records Helm v4's values.schema.json validation (the oracle: helm-python-sdk, Helm as a C
library) into cases.json, which crates/helm/tests/schema.rs replays without Python.

single: one chart "t" with the schema; expect[i] is Helm's message for values[i] ("t:\\n..."),
or null when valid. chart: a parent with subcharts (each with an optional schema); the binding
coalesces values first (every subchart gets its key and a "global" map), which the Rust test
reproduces before calling validate_chart. Go walks maps in random order, so the Rust test
compares messages with sibling lines sorted.

Run: python3 record.py  (rewrites cases.json next to this script)
"""
import json, os, random, shutil, tempfile
import helm_python as helm

HERE = os.path.dirname(os.path.abspath(__file__))
D4 = "http://json-schema.org/draft-04/schema#"
D6 = "http://json-schema.org/draft-06/schema#"
D7 = "http://json-schema.org/draft-07/schema#"
D19 = "https://json-schema.org/draft/2019-09/schema"
D20 = "https://json-schema.org/draft/2020-12/schema"

S = []  # (schema, [values])


def case(schema, *values):
    S.append((schema, list(values)))


# types
case({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"},
      "c": {"type": "number"}, "d": {"type": "boolean"}, "e": {"type": "array"},
      "f": {"type": "object"}, "g": {"type": "null"}}},
     {"a": 1, "b": "x", "c": "1", "d": 0, "e": {}, "f": [], "g": 0},
     {"a": "x", "b": 1, "c": 1.5, "d": True, "e": [], "f": {}, "g": None},
     {"b": 1.5}, {"b": 2.0}, {"b": 10**20}, {"b": -3})
case({"properties": {"a": {"type": ["string", "null"]}, "b": {"type": ["integer", "boolean", "object"]}}},
     {"a": 1, "b": 1.5}, {"a": None, "b": {}}, {"a": [], "b": "s"})
case({"type": "array"}, {})
case({"type": "string"}, {})
# required / additional / pattern properties
case({"required": ["name", "zz"], "properties": {"name": {"type": "string"}}},
     {}, {"name": "x"}, {"zz": 1}, {"name": 1, "zz": 1})
case({"properties": {"o": {"type": "object", "additionalProperties": False,
                           "properties": {"k": {"const": 3}}}}},
     {"o": {"k": 4, "x": 1, "y": 2}}, {"o": {"k": 3}}, {"o": {"x": {}}})
case({"additionalProperties": {"type": "string"}, "properties": {"a": {}}},
     {"a": 1, "b": 2, "c": "x"})
case({"patternProperties": {"^x-": {"type": "integer"}, "y$": {"minimum": 5}},
      "additionalProperties": False},
     {"x-a": "s", "zy": 1, "x-y": 2, "other": 1}, {"x-1": 1})
case({"minProperties": 2, "maxProperties": 3}, {}, {"a": 1, "b": 2}, {"a": 1, "b": 2, "c": 3, "d": 4})
case({"propertyNames": {"maxLength": 1, "pattern": "^a"}}, {"ab": 1, "b": 2, "a": 3})
case({"properties": {"p": {"propertyNames": {"enum": ["x"]}}}}, {"p": {"y": 1}})
case({"dependentRequired": {"a": ["b", "c"]}, "dependencies": {"x": ["y"], "z": {"required": ["w"]}}},
     {"a": 1, "x": 1, "z": 1}, {"a": 1, "b": 1, "c": 1})
case({"dependentSchemas": {"a": {"properties": {"b": {"type": "string"}}}}}, {"a": 1, "b": 2})
# enum / const
case({"properties": {"e": {"enum": ["a", "b", 1]}, "f": {"enum": [1.0, 1e2, 1000000, "x'y\"z\n", None, True]},
                     "g": {"enum": [[1], 2]}, "h": {"enum": ["only"]}, "i": {"const": {"a": 1}},
                     "j": {"const": "it's"}, "k": {"const": 12345678901234567890}, "l": {"const": None},
                     "m": {"const": [1, 2]}, "n": {"const": False}}},
     {"e": "c", "f": 3, "g": 1, "h": "x", "i": 1, "j": "x", "k": 1, "l": 0, "m": [2, 1], "n": 0},
     {"e": 1.0, "f": 100, "g": [1], "h": "only", "i": {"a": 1.0}, "j": "it's", "l": None, "m": [1, 2.0], "n": False})
case('{"properties":{"a":{"enum":[1.50, 2E3, -0, 1e-7]},"b":{"const":1.0}}}', {"a": 3, "b": 2}, {"a": 1.5, "b": 1})
# numbers
case({"properties": {"a": {"minimum": 1000000}, "b": {"maximum": 1.5e3}, "c": {"exclusiveMinimum": 0.000001},
                     "d": {"multipleOf": 0.1}, "e": {"exclusiveMaximum": 10}, "f": {"multipleOf": 3}}},
     {"a": 5, "b": 2000, "c": 0, "d": 0.35, "e": 10, "f": 7},
     {"a": 123456.5, "b": 1e20, "c": 1e-6, "d": 0.3, "e": 9.99, "f": 9},
     {"a": -1e-7, "b": 1500, "d": 7, "f": 1.5},
     {"a": 1234567, "b": 123456789.25, "d": 1e-5},
     {"a": -2000, "b": 12345.678}, {"a": 0.0001}, {"a": -1e21}, {"a": -100000}, {"a": -0.5}, {"a": 999999.5})
case({"properties": {"a": {"minimum": 5, "exclusiveMinimum": True}, "b": {"maximum": 5, "exclusiveMaximum": True},
                     "c": {"minimum": 5}}, "$schema": D4},
     {"a": 5, "b": 5, "c": 4}, {"a": 6, "b": 4})
case({"properties": {"a": {"type": "integer", "minimum": 5}}}, {"a": "x"}, {"a": 4})
# strings
case({"properties": {"g": {"minLength": 1000}, "h": {"maxLength": 2}, "i": {"pattern": "^x"},
                     "j": {"pattern": "\\d+"}, "k": {"pattern": "é+"}, "l": {"minLength": 2, "maxLength": 1}}},
     {"g": "abc", "h": "héllo", "i": "abc", "j": "abc", "k": "x'y\"\\", "l": "ab"},
     {"g": "x" * 1000, "h": "hé", "i": "xa", "j": "a1", "k": "é", "l": "a"}, {"j": "٣"})
# arrays
case({"properties": {"tags": {"type": "array", "items": {"type": "string"}, "maxItems": 1, "minItems": 1},
                     "u": {"uniqueItems": True}}},
     {"tags": [1, "a"], "u": [1, 2, {"a": 1}, 2, 1]}, {"tags": [], "u": [1, 1.0]},
     {"u": [{"a": [1]}, {"a": [1.0]}]}, {"u": [[1, 2], [2, 1]]}, {"u": ["1", 1]}, {"u": [1, "1"]},
     {"u": ["a", "b", "1.50", 1.5]}, {"u": [["1"], [1]]}, {"u": [[1], ["1"]]}, {"u": [True, "true"]})
case({"properties": {"c": {"const": "5"}, "d": {"const": 5}, "e": {"enum": ["5"]}, "f": {"enum": [["5"]]}}},
     {"c": 5, "d": "5", "e": 5, "f": [5]}, {"c": 5.0, "f": ["5"]})
case({"properties": {"a": {"contains": {"type": "string"}}, "b": {"contains": {"type": "string"},
                                                                 "minContains": 2, "maxContains": 1}}},
     {"a": [1, 2], "b": ["x", 1, "y", "z"]}, {"b": [1]}, {"a": [], "b": ["x", "y"]})
case({"$schema": D7, "properties": {"a": {"contains": {"type": "string"}, "minContains": 2}}}, {"a": [1, "x"]})
case({"$schema": D4, "properties": {"b": {"items": [{"type": "string"}], "additionalItems": False}}},
     {"b": ["x", 1, 2]}, {"b": [1]})
case({"$schema": D7, "properties": {"b": {"items": [{"type": "string"}, {"type": "integer"}],
                                          "additionalItems": {"type": "string"}}}},
     {"b": ["x", 1, 2, "y", 3]})
case({"properties": {"a": {"prefixItems": [{"type": "string"}], "items": False}}}, {"a": ["x", 1, 2]}, {"a": [1]})
case({"properties": {"a": {"prefixItems": [{"type": "string"}], "items": {"type": "integer"}}}}, {"a": ["x", 1, "y"]})
case({"$schema": D19, "properties": {"a": {"items": [{"type": "string"}], "additionalItems": {"type": "integer"}}}},
     {"a": [1, "x"]})
case({"items": {"type": "string"}}, {})
# applicators
case({"properties": {"a": {"not": {"type": "string"}}, "b": {"allOf": [{"type": "string"}, {"minimum": 3}]},
                     "c": {"anyOf": [{"type": "string"}, {"minimum": 3}]},
                     "d": {"oneOf": [{"type": "number"}, {"minimum": 3}]},
                     "e": {"oneOf": [{"type": "string"}, {"type": "boolean"}]}}},
     {"a": "x", "b": 1, "c": 1, "d": 5, "e": 1}, {"a": 1, "b": "x", "c": "x", "d": 1, "e": "s"},
     {"b": 5, "d": "x"})
case({"properties": {"a": {"if": {"type": "string"}, "then": {"minLength": 3}, "else": {"minimum": 3}},
                     "b": {"if": True, "then": {"type": "string"}}, "c": {"if": False, "else": {"type": "string"}},
                     "d": {"then": {"type": "string"}}}},
     {"a": "x", "b": 1, "c": 1, "d": 1}, {"a": 1}, {"a": "xxx"}, {"a": 5})
case({"$schema": D6, "properties": {"a": {"if": {"type": "string"}, "then": {"minLength": 3}}}}, {"a": "x"})
case({"allOf": [{"required": ["a"]}, {"required": ["b"]}], "anyOf": [{"required": ["c"]}]}, {})
case({"oneOf": [{"properties": {"k": {"const": 1}}, "required": ["k"]},
                {"properties": {"k": {"const": 2}}, "required": ["k"]}]}, {"k": 3}, {"k": 1}, {})
# boolean schemas
case({"properties": {"a": False, "b": True}}, {"a": 1, "b": 2})
case(False, {})
case(True, {"a": 1})
case({"not": {}}, {})
# $ref
case({"$ref": "#/$defs/x", "$defs": {"x": {"type": "string"}}}, {})
for draft in (D4, D6, D7):
    case({"$schema": draft, "$ref": "#/definitions/d", "const": True, "type": "string", "if": {}, "then": False,
          "definitions": {"d": {"minProperties": 2}}}, {}, {"a": 1, "b": 2})
case({"properties": {"e": {"enum": [1000, "1", [1]]}, "f": {"enum": ["1"]}, "g": {"enum": [[1], ["2"]]}}},
     {"e": 1, "f": 1, "g": [2]}, {"e": "1000", "g": ["1"]})
case({"properties": {"a": {"$ref": "#/$defs/s", "minLength": 5}}, "$defs": {"s": {"type": "string", "maxLength": 1}}},
     {"a": "zz"}, {"a": "zzzzzz"}, {"a": 1})
case({"$schema": D7, "$ref": "#/definitions/x", "definitions": {"x": {"required": ["q", "r"], "minProperties": 3}}},
     {}, {"q": 1})
case({"$schema": D7, "properties": {"a": {"$ref": "#/definitions/s", "minLength": 5}},
      "definitions": {"s": {"type": "string"}}}, {"a": "x"}, {"a": 1})
case({"$schema": D19, "$ref": "#/$defs/x", "$defs": {"x": {"type": "object", "required": ["q"]}},
      "properties": {"a": {"type": "string"}}}, {"a": 1})
case({"properties": {"a": {"$ref": "#/properties/b"}, "b": {"type": "integer"}}}, {"a": "x", "b": "y"})
case({"$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}, "v": {"type": "integer"}}}},
      "$ref": "#/$defs/node"}, {"v": 1, "next": {"v": "x", "next": {"v": 2.5}}})
case({"$ref": "#/$defs/x", "$defs": {"x": {"$ref": "#/$defs/x"}}}, {})
case({"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}}, {})
case({"$ref": "#/definitions/missing"}, {})
case({"$ref": "#foo", "$defs": {"x": {"$anchor": "foo", "type": "string"}}}, {})
case({"$schema": D7, "$ref": "#foo", "definitions": {"x": {"$id": "#foo", "type": "string"}}}, {})
case({"properties": {"a/b~c": {"type": "string"}, "q": {"items": {"type": "string"}}, "it's": {"type": "string"}}},
     {"a/b~c": 1, "q": [1], "it's": 1})
case({"properties": {"a b": {"$ref": "#/$defs/a%20b"}}, "$defs": {"a b": {"type": "string"}}}, {"a b": 1})
case({"$ref": "urn:example:thing"}, {})
# $id resources
case({"$id": "https://example.com/values.schema.json", "$ref": "#/definitions/x",
      "definitions": {"x": {"type": "object", "properties": {"a": {"$ref": "#/definitions/y"}}}, "y": {"type": "string"}}},
     {"a": 1}, {"a": "x"})
case({"$id": "https://example.com/v.json", "$ref": "#/$defs/x", "$defs": {"x": {"$ref": "#/$defs/x"}}}, {})
case({"$id": "https://example.com/v.json", "properties": {"a": {"type": "strin"}}}, {})
case({"$id": "https://example.com/v.json", "properties": {"a": {"$ref": "other.json"}}}, {})
case({"$id": "https://example.com/v.json", "properties": {"a": {"$ref": "v.json#/$defs/s"}}, "$defs": {"s": {"type": "string"}}},
     {"a": 1})
case({"$defs": {"s": {"$id": "https://example.com/s.json", "type": "string"}}, "properties": {"a": {"$ref": "https://example.com/s.json"}}},
     {"a": 1})
case({"$defs": {"s": {"$id": "s.json", "$defs": {"t": {"type": "integer"}}}}, "properties": {"a": {"$ref": "s.json#/$defs/t"}}},
     {"a": "x"})
case({"required": ["it's", "a\"b", "c\\d", "e\nf", "é"]}, {})
# unevaluated
case({"unevaluatedProperties": False, "properties": {"a": {}}}, {"a": 1, "b": 2, "c": 3})
case({"unevaluatedProperties": False, "allOf": [{"properties": {"a": {}}}], "anyOf": [{"properties": {"b": {}}}]},
     {"a": 1, "b": 2, "c": 3})
case({"properties": {"l": {"unevaluatedItems": False, "prefixItems": [{}]}}}, {"l": [1, 2]})
case({"properties": {"l": {"unevaluatedItems": {"type": "string"}, "prefixItems": [{}], "contains": {"type": "integer"}}}},
     {"l": [1, 2, "x", True]})
# formats (asserted before 2019-09)
FMT = {"a": "ipv4", "b": "date-time", "c": "email", "d": "hostname", "e": "date", "f": "time", "g": "uuid",
       "h": "duration", "i": "json-pointer", "j": "relative-json-pointer", "k": "uri", "l": "uri-reference",
       "m": "period", "n": "unknown-format", "o": "ipv6", "p": "regex"}
for draft in (D7, D20, D4):
    case({"$schema": draft, "properties": {k: {"format": v} for k, v in FMT.items()}},
         {"a": "x", "b": "y", "c": "z", "d": "-a", "e": "2020-13-01", "f": "25:00:00Z", "g": "1234",
          "h": "P1Y2D3M", "i": "a/b", "j": "x", "k": "rel/x", "l": "%zz", "m": "x", "n": "?", "o": "1.2.3.4",
          "p": "ok"},
         {"a": "1.2.3.4", "b": "2020-01-01T10:00:00Z", "c": "a@b.com", "d": "a.b", "e": "2020-02-29",
          "f": "23:59:60Z", "g": "12345678-1234-1234-1234-123456789abc", "h": "P1W", "i": "/a~1b",
          "j": "0#", "k": "http://x/y", "l": "x/y", "m": "P1D/2020-01-01T00:00:00Z", "o": "::1"})
case({"$schema": D7, "properties": {"a": {"format": "ipv4"}}},
     {"a": "01.2.3.4"}, {"a": "1.2.3.256"}, {"a": "1.2.3.a"}, {"a": "1.2.3."}, {"a": "-1.2.3.4"}, {"a": 5})
case({"$schema": D7, "properties": {"e": {"format": "date"}}},
     {"e": "2021-02-29"}, {"e": "20x0-01-01"}, {"e": "2020/01/01"}, {"e": "2020-1-01"}, {"e": "2020-01-011"},
     {"e": "2020-01-00"}, {"e": "2020-00-10"}, {"e": "2020-04-31"}, {"e": "é"}, {"e": "2020-01"})
case({"$schema": D7, "properties": {"f": {"format": "time"}, "b": {"format": "date-time"}}},
     {"f": "12:00:00"}, {"f": "12:00:00.Z"}, {"f": "12:00:00+0100"}, {"f": "12:00:00*01:00"}, {"f": "12-00-00Z"},
     {"f": "12:60:00Z"}, {"f": "12:00:60Z"}, {"f": "23:59:60+01:00"}, {"f": "aa:00:00Z"}, {"f": "12:00:00+25:00"},
     {"b": "2020-01-01 10:00:00Z"}, {"b": "2020-13-01T10:00:00Z"}, {"b": "2020-01-01T10:00:00"})
case({"$schema": D7, "properties": {"c": {"format": "email"}, "d": {"format": "hostname"}}},
     {"c": ".a@b"}, {"c": "a.@b"}, {"c": "a..b@c"}, {"c": "a b@c"}, {"c": "\"a\\b\"@c"}, {"c": "a@[1.2.3]"},
     {"c": "a@[IPv6:zz]"}, {"c": "a@-b"}, {"d": "a-"}, {"d": "a..b"}, {"d": "a_b"}, {"d": "x" * 64},
     {"d": "é.com"}, {"c": "a@b.c."})
case({"$schema": D7, "properties": {"g": {"format": "uuid"}, "h": {"format": "duration"}}},
     {"g": "1-2-3-4-5"}, {"g": "1234567g-1234-1234-1234-123456789abc"}, {"h": "1D"}, {"h": "P"}, {"h": "PW"},
     {"h": "P1xW"}, {"h": "PT"}, {"h": "P1DT"}, {"h": "P1D1Y"}, {"h": "P1X"}, {"h": "PD"}, {"h": "P1"},
     {"h": "P1DT1HT"}, {"h": "PT1H1M1S"})
case({"$schema": D7, "properties": {"i": {"format": "json-pointer"}, "j": {"format": "relative-json-pointer"}}},
     {"i": "/a~2"}, {"i": "/a~"}, {"j": "01/a"}, {"j": "1/a~"}, {"i": ""}, {"j": "2"})
# nesting and many errors
case({"properties": {"a": {"properties": {"b": {"properties": {"c": {"type": "string", "minLength": 3}}}}}}},
     {"a": {"b": {"c": 1}}}, {"a": {"b": {"c": "x"}}})
case({"type": "object", "required": ["replicas"], "properties": {
        "replicas": {"type": "integer", "minimum": 1},
        "image": {"type": "object", "required": ["repository"], "properties": {
            "repository": {"type": "string", "minLength": 1}, "tag": {"type": "string"},
            "pullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]}}},
        "service": {"type": "object", "properties": {"port": {"type": "integer", "maximum": 65535},
                                                     "type": {"enum": ["ClusterIP", "NodePort"]}}},
        "resources": {"type": "object", "additionalProperties": False,
                      "properties": {"limits": {"type": "object"}, "requests": {"type": "object"}}}}},
     {"replicas": 0, "image": {"tag": 1, "pullPolicy": "Sometimes"}, "service": {"port": 70000, "type": "X"},
      "resources": {"limit": {}}},
     {"replicas": 2, "image": {"repository": "nginx"}, "service": {"port": 80}})
# documents
case("{bad", {})
case("", {})
case("{} {}", {})
case("[]", {})
case("null", {})
case('{"type":"string",}', {})
case({"$schema": "http://example.com/custom-meta"}, {})
for url in ["http://json-schema.org/schema#", "https://json-schema.org/schema", "http://json-schema.org/draft-07/schema",
            "https://json-schema.org/draft-07/schema#", "http://json-schema.org/draft/2020-12/schema",
            "http://json-schema.org/draft-03/schema#", "https://json-schema.org/draft/next/schema"]:
    case({"$schema": url, "properties": {"a": {"type": "string", "format": "ipv4"}, "b": {"type": "strin"}}},
         {"a": "x"})
    case({"$schema": url, "properties": {"a": {"type": "string", "format": "ipv4"}}}, {"a": "x"}, {"a": 1})
case({"$ref": "http://example.com/x.json"}, {})
case({"$ref": "other.json"}, {})
case({"properties": {"a": {"pattern": "[a-z]{2,}"}}}, {"a": "a"}, {"a": "ab"})
case({"properties": {"a": {"minLength": 2.0}}}, {"a": "x"})

# metaschema violations (the library checks the schema itself while compiling)
for draft in (None, D4, D6, D7, D19):
    extra = {"$schema": draft} if draft else {}
    case({**extra, "properties": {"a": {"type": "strin"}}}, {})
    case({**extra, "properties": {"a": {"pattern": "("}}}, {})
    case({**extra, "required": True}, {})
    case({**extra, "properties": {"a": {"required": True, "minimum": "x"}}}, {})
    case({**extra, "enum": [1, 1]}, {})
    case({**extra, "definitions": {"x": {"type": "strin"}}}, {})
    case({**extra, "$ref": "#/$defs/x", "$defs": {"x": {"type": "strin"}}}, {})
    case({**extra, "properties": {"q": {"$ref": "#/$defs/x"}}, "$defs": {"x": {"properties": {"z": {"maxLength": -1}}}}}, {})
    case({**extra, "items": [{"type": 1}], "allOf": []}, {})
    case({**extra, "properties": {"a": {"minLength": 2.0}, "b": {"maxItems": 1.5}}}, {"a": "x"})
case({"properties": {"a": {"pattern": "a)"}, "b": {"pattern": "[a"}, "c": {"pattern": "a**"}}}, {})
case({"patternProperties": {"(": {}}}, {})
case({"$schema": D7, "properties": {"r": {"format": "regex"}}},
     *[{"r": x} for x in ["\\E", "a\\E", "\\x{110000}", "\\x{}", "\\x{12g}", "\\x{41", "\\Z", "\\x{41}"]])
case({"$schema": D7, "properties": {"r": {"format": "regex"}}},
     *[{"r": x} for x in ["[[:foo:]]", "[[:^alpha:]]", "[[:alpha:]", "[a[:digit:]b]", "[[:word:]]", "[[:alpha]]",
                         "[:alpha:]", "12Y[f[::1]:", "a(?i)*", "x{2}(?i)?", "\\Qa.b\\E", "\\101", "[\\d-z]"]])
case({"$defs": {"x": {"type": "strin"}}}, {})

case({"$schema": D4, "not": {"$ref": 1}}, {})
# references to the built-in metaschemas resolve without fetching
case({"properties": {"s": {"$ref": "http://json-schema.org/draft-07/schema#"}}},
     {"s": {"type": "strin"}}, {"s": {"type": "string"}}, {"s": 5})
case({"properties": {"s": {"$ref": "https://json-schema.org/draft/2020-12/schema"}}}, {"s": {"type": "strin"}}, {"s": 5})
case({"properties": {"s": {"$ref": "https://json-schema.org/draft/2020-12/meta/validation#/$defs/simpleTypes"}}},
     {"s": "x"}, {"s": "string"})
case({"$schema": D7, "properties": {"s": {"$ref": "https://json-schema.org/draft/2019-09/schema"}}}, {"s": {"minimum": "x"}})
case({"$schema": D4, "$ref": "#/$defs/x", "$defs": {"x": {"$ref": 0}}}, {})

# Seeded random schemas (well-formed, with some broken keywords) and values.
RNG = random.Random(20261207)
DRAFTS = [None, None, "http://json-schema.org/draft-07/schema#", "http://json-schema.org/draft-04/schema#",
          "https://json-schema.org/draft/2019-09/schema", "http://json-schema.org/draft-06/schema#"]
TYPES = ["null","boolean","number","integer","string","array","object"]
NAMES = ["a","b","c","x-y","d"]
def num(): return RNG.choice([0, 1, -1, 2.5, 3, 10, 0.1, 1000, 1e6, -0.5, 7, RNG.uniform(-1e7, 1e7), RNG.uniform(-1, 1), 10**RNG.randint(-8, 25), RNG.randint(-10**6, 10**6), 123456789.125, 1e-5, 0.3])
def lit(d=0):
    r = RNG.random()
    if r < 0.15: return None
    if r < 0.3: return RNG.choice([True, False])
    if r < 0.55: return num()
    if r < 0.8: return RNG.choice(["a","b","","1","x y","é"])
    if d > 1: return 1
    if r < 0.9: return [lit(d+1) for _ in range(RNG.randint(0,3))]
    return {RNG.choice(NAMES): lit(d+1) for _ in range(RNG.randint(0,2))}
def schema(d, draft):
    if d > 2 or RNG.random() < 0.15:
        if draft and "draft-04" in draft: return {}
        return RNG.choice([True, False, {}])
    s = {}
    for _ in range(RNG.randint(1, 4)):
        k = RNG.choice(["type","type","properties","properties","required","enum","const","minimum","maximum",
            "exclusiveMinimum","exclusiveMaximum","multipleOf","minLength","maxLength","pattern","items","items",
            "prefixItems","additionalProperties","minItems","maxItems","uniqueItems","contains","minContains",
            "maxContains","allOf","anyOf","oneOf","not","if","dependentRequired","dependencies","propertyNames",
            "minProperties","maxProperties","patternProperties","unevaluatedProperties","additionalItems","$ref","format"])
        if k == "type": s[k] = RNG.choice(TYPES) if RNG.random() < 0.6 else RNG.sample(TYPES, RNG.randint(1,3))
        elif k == "properties": s[k] = {RNG.choice(NAMES): schema(d+1, draft) for _ in range(RNG.randint(1,3))}
        elif k == "patternProperties": s[k] = {RNG.choice(["^a", "y$", "[0-9]", "."]): schema(d+1, draft)}
        elif k == "required": s[k] = RNG.sample(NAMES, RNG.randint(1,3))
        elif k == "enum": s[k] = [lit() for _ in range(RNG.randint(1,4))]
        elif k == "const": s[k] = lit()
        elif k in ("minimum","maximum","multipleOf"): s[k] = abs(num()) or 1 if k == "multipleOf" else num()
        elif k in ("exclusiveMinimum","exclusiveMaximum"):
            if draft and "draft-04" in draft:
                s[k] = True; s[k.replace("exclusiveM","m")] = num()
            else: s[k] = num()
        elif k in ("minLength","maxLength","minItems","maxItems","minContains","maxContains","minProperties","maxProperties"): s[k] = RNG.randint(0,3)
        elif k == "pattern": s[k] = RNG.choice(["^a", "b", "^[0-9]+$", "\\d", "x|y", "^$"])
        elif k in ("items","additionalProperties","contains","not","if","propertyNames","unevaluatedProperties","additionalItems"):
            s[k] = schema(d+1, draft)
            if k == "if":
                s["then"] = schema(d+1, draft)
                if RNG.random() < 0.5: s["else"] = schema(d+1, draft)
        elif k == "prefixItems": s[k] = [schema(d+1, draft) for _ in range(RNG.randint(1,2))]
        elif k in ("allOf","anyOf","oneOf"): s[k] = [schema(d+1, draft) for _ in range(RNG.randint(1,3))]
        elif k == "uniqueItems": s[k] = True
        elif k == "dependentRequired": s[k] = {RNG.choice(NAMES): RNG.sample(NAMES, 2)}
        elif k == "dependencies": s[k] = {RNG.choice(NAMES): RNG.sample(NAMES, 2) if RNG.random()<0.5 else schema(d+1, draft)}
        elif k == "$ref": s[k] = "#/$defs/d0"
        elif k == "format": s[k] = RNG.choice(["ipv4","date","email","hostname","uuid","date-time","time","duration"])
    if RNG.random() < 0.12:
        k = RNG.choice(["minimum","minLength","required","pattern","type","enum","items","properties","additionalProperties","multipleOf","uniqueItems","$ref","format","maxItems","const","dependencies","allOf"])
        s[k] = RNG.choice(["x", -1, True, {"a": 1}, [1, 1], 1.5, None, "(", [], 0, {"type": "strin"}, [{"type": 1}]])
    return s
def value(d=0):
    r = RNG.random()
    if d < 3 and r < 0.35:
        return {RNG.choice(NAMES): value(d+1) for _ in range(RNG.randint(0,4))}
    if d < 3 and r < 0.5:
        return [value(d+1) for _ in range(RNG.randint(0,4))]
    return RNG.choice([lit(), RNG.choice(["1.2.3.4","2020-01-01","a@b.c","P1D","12:00:00Z","ab","a1"]), num()])


for _ in range(150):
    draft = RNG.choice(DRAFTS)
    s = schema(0, draft)
    if not isinstance(s, dict):
        s = {"allOf": [s]}
    s["$defs"] = {"d0": schema(1, draft)}
    if draft:
        s["$schema"] = draft
    vals = [value() for _ in range(3)]
    case(s, *[v if isinstance(v, dict) else {"a": v} for v in vals])

# Seeded random strings against every asserted format (draft 7), and random Go regexps.
FMTS = ["semver", "ipv4", "ipv6", "hostname", "email", "date", "time", "date-time", "uuid", "duration", "period",
        "json-pointer", "relative-json-pointer", "uri", "uri-reference", "iri", "iri-reference", "uri-template",
        "regex"]
PIECES = ["1", "12", "255", "256", "0", "01", ".", ":", "::", "a", "Z", "z", "-", "T", "t", "@", "/", "~0", "~1",
          "~", "#", "%20", "%zz", "P", "Y", "M", "D", "W", "H", "S", "2020", "-01", "-31", "12:00:00", "+01:00",
          "http://", "x.com", "[", "]", "{", "}", "?", " ", "é", "\\", "(", ")", "*", "e", "f", "g", "_", "\"",
          "1.2.3.4", "::1", "fe80::1%eth0", "[::1]", "mailto:", ":80"]
FRNG = random.Random(7)
vals = []
for _ in range(400):
    f = FRNG.choice(FMTS)
    vals.append({f: "".join(FRNG.choice(PIECES) for _ in range(FRNG.randint(1, 6)))})
case({"$schema": D7, "properties": {f: {"format": f} for f in FMTS}}, *vals)
SV = ["1", "0", "01", "10", ".", "-", "+", "a", "Z", "é", "_", "1.2.3", "0.0.0", "rc", ".."]
vals = [{"v": "".join(FRNG.choice(SV) for _ in range(FRNG.randint(1, 6)))} for _ in range(200)]
case({"$schema": D7, "properties": {"v": {"format": "semver"}}}, *vals, {"v": "1.2.3-rc.1+b.5"})
RE = list("ab.*+?|()[]{}^$\\-,:=!<>0123") + [
    "\\d", "\\w", "\\s", "\\b", "\\x4", "\\x41", "\\x{41}", "\\1", "\\0", "\\8", "\\q", "\\.", "[a-z]",
    "[^a]", "(?i)", "(?:", "(?P<n>", "(?=", "{2}", "{2,}", "{2,3}", "{1001}", "{3,2}", "[[:alpha:]]", "\\pL",
    "\\pX", "\\p{Greek}", "é"]
vals = [{"r": "".join(FRNG.choice(RE) for _ in range(FRNG.randint(1, 6)))} for _ in range(400)]
case({"$schema": D7, "properties": {"r": {"format": "regex"}}}, *vals)

CHARTS = [
    # (parent schema, {sub: schema or None}, [values])
    ({"properties": {"age": {"type": "integer", "minimum": 0}}},
     {"sub": {"properties": {"p": {"type": "string"}}}},
     [{"age": -5, "sub": {"p": 1}}, {"age": 1, "sub": {"p": "x"}}, {"age": "x", "sub": {}}]),
    (None, {"a": {"required": ["r"]}, "b": {"properties": {"q": {"enum": [1]}}}},
     [{"a": {}, "b": {"q": 2}}, {"a": {"r": 1}, "b": {}}]),
    ({"additionalProperties": False}, {"sub": {"additionalProperties": False, "required": ["r"]}},
     [{}, {"sub": {"r": 1}}, {"global": {"a": 1}, "sub": {"r": 1}}]),
    ("{bad", {"sub": "{also bad"}, [{"sub": {}}]),
    ({"required": ["x"]}, {"sub": None, "other": {"type": "object", "required": ["y"]}},
     [{"sub": {}, "other": {}}]),
]


def write_chart(root, name, schema):
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "Chart.yaml"), "w") as f:
        f.write(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
    if schema is not None:
        with open(os.path.join(root, "values.schema.json"), "w") as f:
            f.write(schema if isinstance(schema, str) else json.dumps(schema))


def oracle(chart_dir, values):
    ch = helm.Chart.load(chart_dir)
    out = []
    for v in values:
        try:
            ch.validate_schema(v)
            out.append(None)
        except helm.HelmValuesError as e:
            out.append(str(e))
    return out


def main():
    tmp = tempfile.mkdtemp()
    single = []
    for i, (schema, values) in enumerate(S):
        d = os.path.join(tmp, f"s{i}")
        write_chart(d, "t", schema)
        single.append({"schema": schema if isinstance(schema, str) else json.dumps(schema),
                       "values": values, "expect": oracle(d, values)})
    charts = []
    for i, (parent, subs, values) in enumerate(CHARTS):
        d = os.path.join(tmp, f"c{i}")
        write_chart(d, "parent", parent)
        for name, schema in subs.items():
            write_chart(os.path.join(d, "charts", name), name, schema)
        enc = lambda s: None if s is None else (s if isinstance(s, str) else json.dumps(s))
        charts.append({"parent": enc(parent), "subs": [[n, enc(s)] for n, s in subs.items()],
                       "values": values, "expect": oracle(d, values)})
    shutil.rmtree(tmp)
    with open(os.path.join(HERE, "cases.json"), "w") as f:
        # One case a line, so diffs stay readable.
        dump = lambda xs: ",\n".join(json.dumps(x, ensure_ascii=False, separators=(",", ":")) for x in xs)
        f.write('{"single": [\n' + dump(single) + '\n],\n"charts": [\n' + dump(charts) + "\n]}\n")
    n = sum(len(c["values"]) for c in single) + sum(len(c["values"]) for c in charts)
    print(len(single), "schemas,", len(charts), "charts,", n, "validations")


if __name__ == "__main__":
    main()
