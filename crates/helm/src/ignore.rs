//! `.helmignore` (Helm's `pkg/ignore`): gitignore-like rules matched with Go's `path.Match`,
//! on the base name when the rule has no `/`, on the whole path otherwise; `!` negates, a
//! trailing `/` matches directories only; `**` is refused as Helm refuses it.

use crate::glob::path_match;

#[derive(Debug, Clone)]
struct Pattern {
    rule: String,
    negate: bool,
    must_dir: bool,
    anchored: bool,
    structural: bool,
}

/// Parsed ignore rules.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    patterns: Vec<Pattern>,
}

impl Rules {
    /// Parses a `.helmignore` file; the error names the rule.
    pub fn parse(text: &str) -> Result<Rules, String> {
        let mut r = Rules::default();
        for line in text.lines() {
            r.parse_rule(line)?;
        }
        Ok(r)
    }

    /// Helm's default rule: hidden files under templates/ are not templates.
    pub fn add_defaults(&mut self) {
        let _ = self.parse_rule("templates/.?*");
    }

    fn parse_rule(&mut self, rule: &str) -> Result<(), String> {
        let rule = rule.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err("double-star (**) syntax is not supported".into());
        }
        let mut rule = rule.to_string();
        let negate = rule.starts_with('!');
        if negate {
            rule.remove(0);
        }
        let must_dir = rule.ends_with('/');
        if must_dir {
            rule.pop();
        }
        let anchored = rule.starts_with('/');
        if anchored {
            rule.remove(0);
        }
        let structural = rule.contains('/');
        self.patterns.push(Pattern { rule, negate, must_dir, anchored, structural });
        Ok(())
    }

    fn matches(p: &Pattern, path: &str) -> bool {
        if p.anchored || p.structural {
            path_match(&p.rule, path)
        } else {
            path_match(&p.rule, path.rsplit('/').next().unwrap_or(path))
        }
    }

    /// Whether `path` (relative, `/`-separated) is ignored.
    pub fn ignore(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        for p in &self.patterns {
            if p.negate {
                if p.must_dir && !is_dir {
                    return true;
                }
                if !Self::matches(p, path) {
                    return true;
                }
                continue;
            }
            if p.must_dir && !is_dir {
                continue;
            }
            if Self::matches(p, path) {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_rules() {
        let r = Rules::parse("# c\n*.swp\n/ci/\nsecret/*\n.git/\n").unwrap_or_default();
        assert!(r.ignore("a.swp", false));
        assert!(r.ignore("d/a.swp", false));
        assert!(r.ignore("ci", true));
        assert!(!r.ignore("ci", false));
        assert!(r.ignore("secret/x", false));
        assert!(!r.ignore("templates/x.yaml", false));
        assert!(Rules::parse("a/**").is_err());
    }
}
