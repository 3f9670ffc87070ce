//! Placeholder until the TOML module lands.

use serde_json::Value as Json;

pub fn to_toml(_v: &Json) -> Result<String, String> {
    Err("toToml is not available yet".into())
}

pub fn from_toml(_text: &str) -> Result<Json, String> {
    Err("fromToml is not available yet".into())
}
