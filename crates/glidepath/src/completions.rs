//! `glidepath completion bash|zsh|fish`: shell completion scripts generated from the clap
//! command tree (`clap_complete` is not a dependency): subcommands at every level, and each
//! command's long and short flags. zsh reuses the bash function through `bashcompinit`.

use clap::{Command, CommandFactory};

use crate::cli::Cli;

/// The script for `shell` (`bash`, `zsh` or `fish`).
pub fn script(shell: &str) -> anyhow::Result<String> {
    let mut cmd = Cli::command();
    // Building adds clap's own `--help`/`--version` and `help` subcommand, so they complete too.
    cmd.build();
    let nodes = walk(&cmd, "glidepath", Vec::new());
    match shell {
        "bash" => Ok(bash(&nodes)),
        "zsh" => Ok(format!("#compdef glidepath\n\nautoload -U +X bashcompinit && bashcompinit\n\n{}", bash(&nodes))),
        "fish" => Ok(fish(&nodes)),
        other => anyhow::bail!("completion: unsupported shell {other:?} (bash, zsh, fish)"),
    }
}

/// One command of the tree: its words from the root, its subcommands and its flags.
struct Node {
    /// `glidepath__get`: the bash case label.
    id: String,
    /// The subcommand words leading here (empty for the root).
    words: Vec<String>,
    subcommands: Vec<(String, String)>,
    /// The fixed values its positional arguments take (`completion bash|zsh|fish`).
    values: Vec<String>,
    /// `(long, short, help)`.
    flags: Vec<(Option<String>, Option<char>, String)>,
}

fn about(c: &Command) -> String {
    c.get_about().map(|a| a.to_string()).unwrap_or_default().lines().next().unwrap_or_default().to_owned()
}

fn walk(cmd: &Command, id: &str, words: Vec<String>) -> Vec<Node> {
    let visible: Vec<&Command> = cmd.get_subcommands().filter(|c| !c.is_hide_set()).collect();
    let flags = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
        .map(|a| {
            let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
            (a.get_long().map(str::to_owned), a.get_short(), help.lines().next().unwrap_or_default().to_owned())
        })
        .collect();
    let values = cmd
        .get_arguments()
        .filter(|a| a.is_positional())
        .flat_map(|a| a.get_possible_values())
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_owned())
        .collect();
    let mut nodes = vec![Node {
        id: id.to_owned(),
        words: words.clone(),
        subcommands: visible.iter().map(|c| (c.get_name().to_owned(), about(c))).collect(),
        values,
        flags,
    }];
    for sub in visible {
        let mut w = words.clone();
        w.push(sub.get_name().to_owned());
        nodes.extend(walk(sub, &format!("{id}__{}", sub.get_name()), w));
    }
    nodes
}

fn flag_words(node: &Node) -> Vec<String> {
    let mut out = Vec::new();
    for (long, short, _) in &node.flags {
        out.extend(long.iter().map(|l| format!("--{l}")));
        out.extend(short.iter().map(|s| format!("-{s}")));
    }
    out
}

/// A bash function that follows the subcommand words typed so far, then offers that command's
/// subcommands, or its flags when the word starts with `-`.
fn bash(nodes: &[Node]) -> String {
    let ids: Vec<&str> = nodes.iter().skip(1).map(|n| n.id.as_str()).collect();
    let mut out = String::from(
        "# glidepath bash completion: source it, or put it in /etc/bash_completion.d/glidepath\n\
         _glidepath() {\n    local cur=\"${COMP_WORDS[COMP_CWORD]}\" cmd=\"glidepath\" i subs flags\n    \
         for ((i = 1; i < COMP_CWORD; i++)); do\n        case \"${cmd}__${COMP_WORDS[i]}\" in\n",
    );
    if !ids.is_empty() {
        out.push_str(&format!("            {}) cmd=\"${{cmd}}__${{COMP_WORDS[i]}}\" ;;\n", ids.join("|")));
    }
    out.push_str("        esac\n    done\n    case \"$cmd\" in\n");
    for n in nodes {
        let subs: Vec<&str> =
            n.subcommands.iter().map(|(s, _)| s.as_str()).chain(n.values.iter().map(String::as_str)).collect();
        out.push_str(&format!(
            "        {}) subs=\"{}\"; flags=\"{}\" ;;\n",
            n.id,
            subs.join(" "),
            flag_words(n).join(" ")
        ));
    }
    out.push_str(
        "    esac\n    if [[ \"$cur\" == -* ]]; then\n        COMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"))\n    \
         else\n        COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n    fi\n}\n\
         complete -o default -F _glidepath glidepath\n",
    );
    out
}

fn fish_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// `complete -c glidepath` lines: subcommands under the condition that their parent's words were
/// typed (and none of its subcommands yet), flags once their command's words were typed.
fn fish(nodes: &[Node]) -> String {
    let mut out = String::from("# glidepath fish completion\ncomplete -c glidepath -f\n");
    for n in nodes {
        let here = match n.words.as_slice() {
            [] => "__fish_use_subcommand".to_owned(),
            words => format!("__fish_seen_subcommand_from {}", words.join(" ")),
        };
        let subs: Vec<&str> = n.subcommands.iter().map(|(s, _)| s.as_str()).collect();
        for (sub, about) in &n.subcommands {
            let cond = if n.words.is_empty() {
                here.clone()
            } else {
                format!("{here}; and not __fish_seen_subcommand_from {}", subs.join(" "))
            };
            out.push_str(&format!(
                "complete -c glidepath -n {} -a {sub} -d {}\n",
                fish_quote(&cond),
                fish_quote(about)
            ));
        }
        if !n.values.is_empty() {
            out.push_str(&format!(
                "complete -c glidepath -n {} -a {}\n",
                fish_quote(&here),
                fish_quote(&n.values.join(" "))
            ));
        }
        for (long, short, help) in &n.flags {
            let mut line = format!("complete -c glidepath -n {}", fish_quote(&here));
            if let Some(l) = long {
                line.push_str(&format!(" -l {l}"));
            }
            if let Some(s) = short {
                line.push_str(&format!(" -s {s}"));
            }
            out.push_str(&format!("{line} -d {}\n", fish_quote(help)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_top_level_subcommand_is_offered() {
        let fish = script("fish").unwrap();
        for sub in Cli::command().get_subcommands() {
            let line = format!("-n '__fish_use_subcommand' -a {} -d", sub.get_name());
            assert!(fish.contains(&line), "{} missing", sub.get_name());
        }
        assert!(fish.contains("-n '__fish_seen_subcommand_from diff' -l path"), "{fish}");
        let bash = script("bash").unwrap();
        assert!(bash.contains("glidepath__trace) subs=\"\"; flags=\""), "{bash}");
        assert!(bash.contains("glidepath__completion) subs=\"bash zsh fish\""), "{bash}");
        assert!(fish.contains("-n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'\n"), "{fish}");
        assert!(script("zsh").unwrap().starts_with("#compdef glidepath\n"));
    }
}
