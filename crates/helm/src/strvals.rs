//! Placeholder; filled by its own branch.

use serde_json::{Map, Value as Json};

pub fn parse(_e: &str, _m: &mut Map<String, Json>) -> Result<(), String> {
    Err("--set is not available yet".into())
}
pub fn parse_string(_e: &str, _m: &mut Map<String, Json>) -> Result<(), String> {
    Err("--set-string is not available yet".into())
}
pub fn parse_json(_e: &str, _m: &mut Map<String, Json>) -> Result<(), String> {
    Err("--set-json is not available yet".into())
}
pub fn parse_literal(_e: &str, _m: &mut Map<String, Json>) -> Result<(), String> {
    Err("--set-literal is not available yet".into())
}
pub fn parse_file(
    _e: &str,
    _m: &mut Map<String, Json>,
    _read: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<(), String> {
    Err("--set-file is not available yet".into())
}
