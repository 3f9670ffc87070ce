//! YAML stream parsing (serde-saphyr) and a kustomize-style emitter for `serde_json::Value`.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Map, Value};

use crate::BuildError;
use crate::yaml_style::{Style, block_allowed, escape_double, style_of};

/// Parses a `---`-separated YAML stream; empty documents are dropped and duplicate mapping keys
/// are an error. `path` names the source in errors.
pub fn parse_yaml_stream(text: &str, path: &Path) -> Result<Vec<Value>, BuildError> {
    parse_with(text, path, serde_saphyr::DuplicateKeyPolicy::Error)
}

/// Parses resource or patch documents like kustomize reads them: unquoted timestamps become RFC
/// 3339 strings (see [`crate::yaml_time::quote_timestamps`]).
pub(crate) fn parse_objects(text: &str, path: &Path) -> Result<Vec<Value>, BuildError> {
    parse_yaml_stream(&crate::yaml_time::quote_timestamps(text), path)
}

/// Like [`parse_yaml_stream`] but the last of duplicate keys wins (kustomization files).
pub(crate) fn parse_yaml_stream_lenient(text: &str, path: &Path) -> Result<Vec<Value>, BuildError> {
    parse_with(text, path, serde_saphyr::DuplicateKeyPolicy::LastWins)
}

fn parse_with(text: &str, path: &Path, duplicates: serde_saphyr::DuplicateKeyPolicy) -> Result<Vec<Value>, BuildError> {
    // kustomization files go through sigs.k8s.io/yaml (YAML 1.1: `yes`, `on` are booleans);
    // resources through go-yaml v3 (only true/false).
    let kustomization = matches!(duplicates, serde_saphyr::DuplicateKeyPolicy::LastWins);
    let options = serde_saphyr::options! {
        duplicate_keys: duplicates,
        strict_booleans: !kustomization,
        // go-yaml v3 still reads YAML 1.1 octals (`017` is 15).
        legacy_octal_numbers: true,
    };
    let docs: Vec<Value> = serde_saphyr::from_multiple_with_options(text, options)
        .map_err(|source| BuildError::ParseYaml { path: path.to_path_buf(), source: Box::new(source) })?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// Prints objects as a `---`-separated YAML stream in kustomize's style: keys sorted, block style,
/// lists of maps not indented under their key, multi-line strings as literal blocks.
pub fn to_yaml_stream(objects: &[Value]) -> Result<String, BuildError> {
    let mut out = String::new();
    for (i, obj) in objects.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        match obj {
            Value::Object(map) if !map.is_empty() => emit_map(&mut out, map, 0, true),
            other => {
                emit_scalar_line(&mut out, other, 0, false);
            }
        }
    }
    Ok(out)
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Emits the entries of `map` at `level` spaces; the caller has already indented the first line
/// when `first_inline` is false.
fn emit_map(out: &mut String, map: &Map<String, Value>, level: usize, top: bool) {
    emit_map_entries(out, map, level, top, false);
}

fn emit_map_entries(out: &mut String, map: &Map<String, Value>, level: usize, top: bool, first_inline: bool) {
    // kubectl kustomize prints every mapping with its keys in go-yaml's order.
    let _ = top;
    let mut keys: Vec<&String> = map.keys().collect();
    crate::yaml_style::sort_keys(&mut keys);
    for (i, key) in keys.into_iter().enumerate() {
        if !(first_inline && i == 0) {
            indent(out, level);
        }
        out.push_str(&key_string(key));
        out.push(':');
        let Some(value) = map.get(key) else { continue };
        emit_value_after_key(out, value, level, key == "metadata" && top);
    }
}

fn emit_value_after_key(out: &mut String, value: &Value, level: usize, _meta: bool) {
    match value {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            emit_map_entries(out, m, level + 2, false, false);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            emit_list(out, items, level);
        }
        other => {
            out.push(' ');
            emit_scalar_line(out, other, level, true);
        }
    }
}

fn emit_list(out: &mut String, items: &[Value], level: usize) {
    emit_list_from(out, items, level, false);
}

/// A block sequence at `level`; with `first_inline` the first `-` follows the caller's `- ` (go-yaml
/// writes nested sequences as `- - x`).
fn emit_list_from(out: &mut String, items: &[Value], level: usize, first_inline: bool) {
    for (i, item) in items.iter().enumerate() {
        if !(first_inline && i == 0) {
            indent(out, level);
        }
        out.push('-');
        match item {
            Value::Object(m) if !m.is_empty() => {
                out.push(' ');
                emit_map_entries(out, m, level + 2, false, true);
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push(' ');
                emit_list_from(out, inner, level + 2, true);
            }
            other => {
                out.push(' ');
                // Literal blocks and folded lines of an item are indented past its `- `.
                emit_scalar_line(out, other, level, true);
            }
        }
    }
}

/// Writes a scalar (or empty collection) and the newline; block literals are indented under `level`.
fn emit_scalar_line(out: &mut String, value: &Value, level: usize, map_value: bool) {
    match value {
        Value::Null => out.push_str("null\n"),
        Value::Bool(b) => {
            let _ = writeln!(out, "{b}");
        }
        Value::Number(n) => {
            let _ = writeln!(out, "{}", crate::yaml_style::number(n));
        }
        Value::Object(_) => out.push_str("{}\n"),
        Value::Array(_) => out.push_str("[]\n"),
        Value::String(s) => {
            if let Some(block) = literal_block(s, level + 2, map_value) {
                out.push_str(&block);
            } else {
                write_folded(out, s, if map_value { level + 2 } else { level });
                out.push('\n');
            }
        }
    }
}

/// A literal block scalar for `s` with content at `level`; `indicator` allows an explicit
/// indentation indicator (`|2`, as go-yaml writes) for text starting with a blank line or a space.
fn literal_block(s: &str, level: usize, indicator: bool) -> Option<String> {
    if !s.contains('\n') {
        return None;
    }
    let needs_indicator = s.starts_with(' ') || s.starts_with('\n');
    if needs_indicator && !indicator {
        return None;
    }
    if !block_allowed(s) {
        return None;
    }
    let trailing = s.len() - s.trim_end_matches('\n').len();
    // go-yaml keeps (`+`) when the text ends in two breaks or is a single break.
    let chomp = match trailing {
        0 => "-",
        1 if s.len() > 1 => "",
        _ => "+",
    };
    let body = s.trim_end_matches('\n');
    let mut out = format!("|{}{chomp}\n", if needs_indicator { "2" } else { "" });
    for line in body.split('\n') {
        if !line.is_empty() {
            indent(&mut out, level);
            out.push_str(line);
        }
        out.push('\n');
    }
    for _ in 1..trailing {
        out.push('\n');
    }
    Some(out)
}

/// The style of a string that is not written as a literal block: go-yaml asks for a literal
/// block for text with a line break and falls back to double quotes (also for keys, where we
/// write a simple key rather than go-yaml's `? ` form).
fn scalar_style(s: &str) -> Style {
    if s.contains('\n') { Style::Double } else { style_of(s) }
}

/// Line width past which go-yaml folds long scalars at spaces.
const WIDTH: usize = 80;

/// Writes a value scalar like go-yaml v3: plain, single- or double-quoted, folded at a space once
/// the line is longer than 80 columns; continuation lines are indented by `indent`.
fn write_folded(out: &mut String, s: &str, indent: usize) {
    let style = scalar_style(s);
    let line_start = out.rfind('\n').map_or(0, |i| i + 1);
    let mut column = out[line_start..].chars().count();
    let chars: Vec<char> = s.chars().collect();
    let last = chars.len().saturating_sub(1);
    let push = |out: &mut String, text: &str, column: &mut usize| {
        out.push_str(text);
        *column += text.chars().count();
    };
    match style {
        Style::Single => push(out, "'", &mut column),
        Style::Double => push(out, "\"", &mut column),
        Style::Plain => {}
    }
    let all_escaped = s.starts_with('\u{feff}');
    let mut spaces = false;
    for (i, &c) in chars.iter().enumerate() {
        let next_is_space = chars.get(i + 1) == Some(&' ');
        if c == ' ' {
            let inner = i != 0 && i != last;
            let fold = !spaces
                && column > WIDTH
                && match style {
                    Style::Plain => !next_is_space,
                    Style::Single => inner && !next_is_space,
                    Style::Double => inner,
                };
            if fold {
                out.push('\n');
                out.extend(std::iter::repeat_n(' ', indent));
                column = indent;
                if style == Style::Double && next_is_space {
                    push(out, "\\", &mut column);
                }
            } else {
                push(out, " ", &mut column);
            }
            spaces = true;
            continue;
        }
        spaces = false;
        let mut buf = [0u8; 4];
        let text: String = match (style, c) {
            (Style::Single, '\'') => "''".into(),
            (Style::Double, _) => escape_double(c, all_escaped).unwrap_or_else(|| c.to_string()),
            _ => c.encode_utf8(&mut buf).to_string(),
        };
        push(out, &text, &mut column);
    }
    match style {
        Style::Single => push(out, "'", &mut column),
        Style::Double => push(out, "\"", &mut column),
        Style::Plain => {}
    }
}

/// A mapping key: keys are never folded. A plain `<<` key would read back as a merge key (go-yaml
/// writes it plain; we quote it so that our output parses to the same object).
fn key_string(s: &str) -> String {
    match scalar_style(s) {
        Style::Plain if s == "<<" => "\"<<\"".into(),
        Style::Plain => s.to_string(),
        Style::Single => format!("'{}'", s.replace('\'', "''")),
        Style::Double => {
            let all_escaped = s.starts_with('\u{feff}');
            let escaped: String =
                s.chars().map(|c| escape_double(c, all_escaped).unwrap_or_else(|| c.to_string())).collect();
            format!("\"{escaped}\"")
        }
    }
}
