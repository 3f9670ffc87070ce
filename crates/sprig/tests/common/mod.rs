//! Table runner: each case is (template, expected output); `ERR:` expects an error whose
//! text contains the rest. Data is fixed, the RNG seeded.

use glidepath_gotmpl::{Template, Value};

pub fn data() -> Value {
    Value::from_json(
        &serde_json::json!({
            "s": "hello", "i": 3, "f": 1.5, "e": "", "z": 0, "n": null, "t": true,
            "l": [1, 2, 3], "sl": ["b", "a", "c"], "m": {"a": 1, "b": {"c": "d"}}, "em": {}, "el": [],
            "html": "<a href=\"x\">&</a>"
        }),
        glidepath_gotmpl::Numbers::PreserveInts,
    )
}

pub fn run(tpl: &str) -> Result<String, String> {
    let mut t = Template::new("t");
    t.funcs(&glidepath_sprig::funcs(&glidepath_sprig::Options::fixed(1_700_000_000, 42)));
    t.parse(tpl).map_err(|e| e.to_string())?;
    t.execute(&data()).map_err(|e| e.to_string())
}

pub fn table(name: &str, cases: &[(&str, &str)]) {
    let mut failed = 0;
    for (tpl, want) in cases {
        let got = run(tpl);
        let ok = match (want.strip_prefix("ERR:"), &got) {
            (Some(frag), Err(e)) => e.contains(frag),
            (None, Ok(out)) => out == want,
            _ => false,
        };
        if !ok {
            failed += 1;
            eprintln!("FAIL {name}: {tpl:?}\n  want {want:?}\n  got  {got:?}");
        }
    }
    println!("{name}: {} passed, {failed} failed", cases.len() - failed);
    assert_eq!(failed, 0, "{name}: {failed} cases failed");
}
