#!/usr/bin/env python3
"""Records Helm v4's --set family behaviour (the oracle: helm-python-sdk, Helm as a C library)
into cases.json, which crates/helm/tests/strvals.rs replays without Python.

Each case: {"mode": set|string|json|literal|file, "expr": str, "ok": {...}} or {"err": msg}.
Numbers lose int64/float64 in the binding's JSON round trip; the Rust test compares them as
numbers and checks the types separately (set: i64, json: f64).
File mode reads files created under /tmp/glidepath-strvals/ with the contents in FILES; the Rust
test's reader serves the same map and fails like Go's os.ReadFile for other paths.

Run: python3 record.py  (rewrites cases.json next to this script)
"""
import json, os, random
import helm_python as helm

HERE = os.path.dirname(os.path.abspath(__file__))
FDIR = "/tmp/glidepath-strvals"
FILES = {f"{FDIR}/one": "hello", f"{FDIR}/two": "a,b\nc", f"{FDIR}/empty": ""}

FUNCS = {
    "set": helm.parse_set_string,
    "string": helm.parse_set_string_values,
    "json": helm.parse_set_json,
    "literal": helm.parse_set_literal,
    "file": helm.parse_set_file,
}

HAND = {
    "set": [
        "a=1,b.c=two,ports={80,443}", "a", "a,", "a=", "a=,b=", "=1", "=", ",", "", ".", "[",
        "a.b=1,a.b[0]=x", "a=x,a.b=1", "a=null,a.b=1", "a[x]=1", "a[-1]=1", "a[70000]=1",
        "a[65536]=1", "a[65537]=1", "a[1].b=y", "a[0][1]=z", "a.=1", "a..b=1", "a=1,,b=2",
        "a={1,2", "a[0]x=1", "a[0", "a[0]", "a[0].b", "a[0][1]", "a.b[0]", "a\\.b=1",
        "a=b\\,c", "a=1.5", "a=0x10", "a=01", "a=TRUE", "a=Null", "a=+5", "a=-5", "a=-0",
        "a=0", "a=00", "a=1e3", "a=1_000", "a= 1", "a=1 ", "a=9223372036854775807",
        "a=9223372036854775808", "a=-9223372036854775808", "a=-9223372036854775809",
        "a=fAlSe", "a=nul", "a=truex", "a=yes", "a=~",
        "a[0]=1,a[0][0]=2", "a={}", "a={,}", "a={a}b,c=d", "name1.name2=,a=b",
        "a[99999999999999999999]=1", "a[]=1", "a[+1]=1", "a[ 1]=1", "a[1 ]=1",
        "a[1]=1,a[0].b=2", "a[0]=1,a[0].b=2", "a[0]=[],a[0][1]=x", "a.b=1,a.b.c=2",
        "a[1][0]=1,a[0][0]=2", "a={1,2}x", "a={1,2},b=3", "a={1,2}}", "a={{1}}", "a={1,{2}}",
        "a=b=c", "a\\", "a=\\", "a=x\\", "a.b", "a=1,b", "a[0]=1,a[1]={x,y}",
        "a.b.c=1,a.b.d=2", "a.b=", "a=\"q\"", "k\u00e9y\t=\\,", "a\\[0]=1", "a\\=b=c",
        "a[0].b[1].c=3", "a[0][0][0]=1", "a[2]=x,a[0]=y", "a.b[1]=x,a.b[0].c=y",
        "a={x, y ,z}", "a={true,null,0,01,-3}", "a= {1}", "a.b=1,a=2", "a=2,a=3",
        "a[0]=1,a=2", "a=2,a[0]=1", "a=[1,2]", "a=x,y", "a=x,y=", "a=\u00e9\u4e2d",
        "\u4e2d.\u00e9=1", "a[0]=null,a[0].b=1", "a[0]=null,a[0][0]=1", "a[1]=x,a[0][0]=y",
        "a.b=null,a.b.c=1", "a.b={},a.b.c=1", "a=ſalse", "a=\u212a",
        "a." * 29 + "x=1", "a." * 30 + "x=1", "a." * 31 + "x=1",
        "a[0]." * 31 + "x=1", "a.b[0].c.d[1].e=1", "a=b\\", "a={x\\,y,z\\}}", "a={x\\}",
        "a\\.b\\.c.d=1", ".a=1", "a.[0]=1", "a[0]]=1", "a[0]=1]", "a[[0]]=1",
        "x[0]=a,x[1]=b,x[0]=c", "x[3]=a", "a=\n", "a\n=1", "a=1\n,b=2",
    ],
    "string": [
        "a=1,b=true,c=null,d={1,null}", "a=0", "a=", "a", "a[0]=1,a[1].b=2", "a={}",
        "a.b=c,a.d=e", "a=x,a.b=1", "a[-2]=x", "a=1.0", "a\\,b=c",
    ],
    "json": [
        'a={"b":[1,2]}', "a=1x", "a=", "a= ,b=2", 'a=[1,2],b="x"', "a=tru", 'a={"b":}',
        'a="abc', "a=1e400", "a[0]=1,a[2]={}", "a=1 2", "a={}}", "a=\u0001", 'a="\\q"',
        "a.b=1.50", "a=nul", "a=null", "a=true", "a=false", "a=-", "a=-x", "a=1.", "a=1.x",
        "a=1e", "a=1e+", "a=1ex", "a=01", "a=-0", "a=0.5e-3", "a=[", "a=[1", "a=[1,", "a=[1 2]",
        "a={", 'a={"x"', 'a={"x":', 'a={"x":1', 'a={"x":1,', 'a={"x" 1}', 'a={"x":1 "y":2}',
        "a={1:2}", 'a="\\u00e9\\ud83d\\ude00"', 'a="\\ud800"', 'a="\\u12"', 'a="\\u12x4"',
        'a="tab\there"', "a=  [ 1 , 2 ]  ,b=3", "a=[1,2] x", "a=,b=1", "a=,", "a", "a,",
        "a=}", "a=]", "a=x", "a='x'", 'a={"k":{"k":[{"k":null}]}}', "a[0]=", "a[1]=2",
        "a[0]=[1],a[0][1]=2", "a.b={},a.b.c=1", "a=1,a.b=2", "a=[]", "a={}",
        'a={"x":1,"x":2}', "a=1e308", "a=-1e400", "a=123456789012345678901234567890",
        "a=trux", "a=fals", "a=nulx", "a=\"\\/\\b\\f\\n\\r\\t\"", 'a="\u00e9"', "a=\t1",
        "a=\u00a01", "a={\"a\":1}\u00a0,b=2", "a=1,\u00a0b=2",
    ],
    "literal": [
        "a=b,c=d", "a", "a.b[0]=x,y", "a[0].b=1", "=x", "a.=1", "a[1]=x", "a[x]=1", "a[0]x=1",
        "a\\.b=c", "a=", "a,b=c", "a=b=c", "a.b.c=1", "a[0][1]=x", "a[-1]=x", "a[70000]=x",
        "a[0]", "a[0", "", "a=null", "a=1", "a={1,2}", "a.b", "a=\\", "a[0].b.c[1]=x",
        "a." * 31 + "x=1", "a,b.c=1",
    ],
    "file": [
        f"a={FDIR}/one", f"a={FDIR}/nonexist", f"a={{{FDIR}/one,{FDIR}/two}}",
        f"a[0]={FDIR}/one", "a=", f"a={FDIR}/empty", f"a.b={FDIR}/two,c={FDIR}/one",
        "a=,b=x", f"a={{{FDIR}/one,}}", f"a={{{FDIR}/one", f"a={FDIR}/one,b",
        f"a[1].c={FDIR}/one",
    ],
}

ALPHABET = {
    "set": list("ab..==,,[]{}01-x\\ ") + ["[0]", "[1]", "null", "true", "{1,2}"],
    "string": list("ab.=,[]{}01\\"),
    "json": list("ab.==,[]{}01\" :-e") + ['"x"', "null", "[1]", '{"k":1}', "1.5"],
    "literal": list("ab.=,[]{}01\\") + ["[0]"],
}


def fuzz(rng, mode, n):
    out = []
    alpha = ALPHABET[mode]
    while len(out) < n:
        s = "".join(rng.choice(alpha) for _ in range(rng.randint(1, 14)))
        if s not in out:
            out.append(s)
    return out


def main():
    os.makedirs(FDIR, exist_ok=True)
    for p, c in FILES.items():
        with open(p, "w") as f:
            f.write(c)
    rng = random.Random(20261207)
    cases = []
    for mode, exprs in HAND.items():
        exprs = list(exprs)
        if mode in ALPHABET:
            exprs += fuzz(rng, mode, {"set": 300, "json": 150}.get(mode, 100))
        for e in exprs:
            case = {"mode": mode, "expr": e}
            try:
                case["ok"] = FUNCS[mode](e)
            except helm.HelmValuesError as err:
                case["err"] = str(err)
            cases.append(case)
    with open(os.path.join(HERE, "cases.json"), "w") as f:
        # One case a line: diffs stay readable, the 65536-element list stays small.
        f.write('{"files": ' + json.dumps(FILES, ensure_ascii=False) + ', "cases": [\n')
        f.write(",\n".join(json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in cases))
        f.write("\n]}\n")
    print(len(cases), "cases")


if __name__ == "__main__":
    main()
