//! Parsing of Go `text/template` source into a tree, for exactly the subset the chart uses:
//! text, `{{ pipeline }}`, `if`/`else`/`end`, `with`, `range`, `define`, comments, and the
//! `{{-`/`-}}` trim markers. Anything else (`else if`, `template`, `block`, variables) is an
//! error naming it, so the chart cannot drift outside what this renderer checks.

/// One parsed node.
#[derive(Clone, Debug)]
pub enum Node {
    Text(String),
    Out(Pipeline),
    If(Pipeline, Vec<Node>, Vec<Node>),
    With(Pipeline, Vec<Node>, Vec<Node>),
    Range(Pipeline, Vec<Node>, Vec<Node>),
}

/// Named templates (`define`) and their bodies.
pub type Defines = Vec<(String, Vec<Node>)>;

/// Commands separated by `|`; each command's value is passed as the last argument of the next.
pub type Pipeline = Vec<Vec<Arg>>;

#[derive(Clone, Debug)]
pub enum Arg {
    /// `.`, `.a.b`, `$`, `$.a.b` (root: started from `$`).
    Field {
        root: bool,
        path: Vec<String>,
    },
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Func(String),
    Sub(Pipeline),
}

enum Tok {
    Text(String),
    Action(String),
}

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let mut toks = Vec::new();
    let mut rest = src;
    let mut trim_next = false;
    let push_text = |toks: &mut Vec<Tok>, text: &str, trim: bool| {
        let t = if trim { text.trim_start() } else { text };
        toks.push(Tok::Text(t.to_owned()));
    };
    while let Some(open) = rest.find("{{") {
        push_text(&mut toks, &rest[..open], trim_next);
        let mut body = &rest[open + 2..];
        if body.starts_with('-') && body[1..].starts_with(char::is_whitespace) {
            if let Some(Tok::Text(t)) = toks.last_mut() {
                *t = t.trim_end().to_owned();
            }
            body = &body[1..];
        }
        let close = find_close(body).ok_or_else(|| format!("unclosed action at byte {}", src.len() - rest.len()))?;
        let mut action = &body[..close];
        trim_next = false;
        if action.ends_with('-') && action[..action.len() - 1].ends_with(char::is_whitespace) {
            trim_next = true;
            action = &action[..action.len() - 1];
        }
        let action = action.trim();
        if !(action.starts_with("/*") && action.ends_with("*/")) {
            toks.push(Tok::Action(action.to_owned()));
        }
        rest = &body[close + 2..];
    }
    push_text(&mut toks, rest, trim_next);
    Ok(toks)
}

/// The `}}` that closes an action, skipping quoted strings and comments.
fn find_close(body: &str) -> Option<usize> {
    if body.trim_start().starts_with("/*") {
        return body.find("*/").and_then(|c| body[c..].find("}}").map(|e| c + e));
    }
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        match (quote, bytes[i]) {
            (Some(b'"'), b'\\') => i += 1,
            (Some(q), c) if c == q => quote = None,
            (None, b'"' | b'`') => quote = Some(bytes[i]),
            (None, b'}') if bytes.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Split an action into words, strings, `|`, `(` and `)`.
fn words(action: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = action.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if matches!(c, '|' | '(' | ')') {
            out.push(c.to_string());
            i += 1;
        } else if c == '"' || c == '`' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != c {
                if c == '"' && chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            if i >= chars.len() {
                return Err(format!("unterminated string in {{{{ {action} }}}}"));
            }
            i += 1;
            out.push(chars[start..i].iter().collect());
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && !matches!(chars[i], '|' | '(' | ')') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        }
    }
    Ok(out)
}

fn arg(word: &str, action: &str) -> Result<Arg, String> {
    if let Some(s) = word.strip_prefix('`') {
        return Ok(Arg::Str(s.trim_end_matches('`').to_owned()));
    }
    if word.starts_with('"') {
        return serde_json::from_str(word).map(Arg::Str).map_err(|e| format!("bad string {word}: {e}"));
    }
    let path = |p: &str| p.split('.').filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>();
    if let Some(p) = word.strip_prefix('$') {
        if !(p.is_empty() || p.starts_with('.')) {
            return Err(format!("variables are outside the supported subset: {word} in {{{{ {action} }}}}"));
        }
        return Ok(Arg::Field { root: true, path: path(p) });
    }
    if word.starts_with('.') {
        return Ok(Arg::Field { root: false, path: path(word) });
    }
    match word {
        "true" => return Ok(Arg::Bool(true)),
        "false" => return Ok(Arg::Bool(false)),
        _ => {}
    }
    if word.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
        if word.contains('.') {
            return word.parse().map(Arg::Float).map_err(|e| format!("bad number {word}: {e}"));
        }
        return word.parse().map(Arg::Int).map_err(|e| format!("bad number {word}: {e}"));
    }
    if word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Ok(Arg::Func(word.to_owned()));
    }
    Err(format!("unsupported token {word:?} in {{{{ {action} }}}}"))
}

fn pipeline(ws: &[String], pos: &mut usize, action: &str) -> Result<Pipeline, String> {
    let mut cmds = vec![Vec::new()];
    while *pos < ws.len() {
        let w = ws[*pos].as_str();
        *pos += 1;
        match w {
            "|" => cmds.push(Vec::new()),
            ")" => {
                *pos -= 1;
                break;
            }
            "(" => {
                let sub = pipeline(ws, pos, action)?;
                if ws.get(*pos).map(String::as_str) != Some(")") {
                    return Err(format!("unclosed ( in {{{{ {action} }}}}"));
                }
                *pos += 1;
                cmds.last_mut().ok_or("empty pipeline")?.push(Arg::Sub(sub));
            }
            _ if w.contains(":=") || w == "=" => {
                return Err(format!("variables are outside the supported subset: {{{{ {action} }}}}"));
            }
            _ => cmds.last_mut().ok_or("empty pipeline")?.push(arg(w, action)?),
        }
    }
    if cmds.iter().any(Vec::is_empty) {
        return Err(format!("empty command in {{{{ {action} }}}}"));
    }
    Ok(cmds)
}

fn parse_pipeline(src: &str) -> Result<Pipeline, String> {
    let ws = words(src)?;
    let mut pos = 0;
    let p = pipeline(&ws, &mut pos, src)?;
    if pos != ws.len() {
        return Err(format!("unexpected ) in {{{{ {src} }}}}"));
    }
    Ok(p)
}

/// How a block ended.
#[derive(PartialEq, Eq)]
enum Stop {
    Eof,
    Else,
    End,
}

struct Parser {
    toks: std::vec::IntoIter<Tok>,
    defines: Defines,
}

impl Parser {
    fn block(&mut self, top: bool) -> Result<(Vec<Node>, Stop), String> {
        let mut nodes = Vec::new();
        while let Some(tok) = self.toks.next() {
            let action = match tok {
                Tok::Text(t) => {
                    if !t.is_empty() {
                        nodes.push(Node::Text(t));
                    }
                    continue;
                }
                Tok::Action(a) => a,
            };
            let (keyword, rest) = action.split_once(char::is_whitespace).unwrap_or((action.as_str(), ""));
            match keyword {
                "end" => return Ok((nodes, Stop::End)),
                "else" if rest.trim().is_empty() => return Ok((nodes, Stop::Else)),
                "else" => return Err(format!("{{{{ {action} }}}} (else-if chains) is outside the supported subset")),
                "if" | "with" | "range" => {
                    let p = parse_pipeline(rest)?;
                    let (then, stop) = self.block(false)?;
                    let otherwise = match stop {
                        Stop::Else => match self.block(false)? {
                            (nodes, Stop::End) => nodes,
                            _ => return Err(format!("{{{{ {action} }}}}: missing end after else")),
                        },
                        Stop::End => Vec::new(),
                        Stop::Eof => return Err(format!("{{{{ {action} }}}}: missing end")),
                    };
                    nodes.push(match keyword {
                        "if" => Node::If(p, then, otherwise),
                        "with" => Node::With(p, then, otherwise),
                        _ => Node::Range(p, then, otherwise),
                    });
                }
                "define" => {
                    if !top {
                        return Err(format!("{{{{ {action} }}}} must be at the top level"));
                    }
                    let name: String =
                        serde_json::from_str(rest.trim()).map_err(|e| format!("define name {rest}: {e}"))?;
                    match self.block(false)? {
                        (body, Stop::End) => self.defines.push((name, body)),
                        _ => return Err(format!("{{{{ {action} }}}}: missing end")),
                    }
                }
                "template" | "block" | "break" | "continue" => {
                    return Err(format!("{{{{ {action} }}}} is outside the supported subset"));
                }
                _ => nodes.push(Node::Out(parse_pipeline(&action)?)),
            }
        }
        Ok((nodes, Stop::Eof))
    }
}

/// Parse one template file: its output nodes and the templates it defines.
pub fn parse(src: &str) -> Result<(Vec<Node>, Defines), String> {
    let mut p = Parser { toks: lex(src)?.into_iter(), defines: Vec::new() };
    match p.block(true)? {
        (nodes, Stop::Eof) => Ok((nodes, p.defines)),
        _ => Err("unexpected {{ end }} or {{ else }} at the top level".into()),
    }
}
