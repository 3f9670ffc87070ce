//! Go's `path.Match` (used by `.helmignore`) and gobwas/glob with `/` as separator (used by
//! `.Files.Glob`): `*` never crosses `/`; gobwas adds `**` (anything) and `{a,b}`.

/// Go's `path.Match(pattern, name)`; a malformed pattern matches nothing.
pub fn path_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    matches(&p, &n, false)
}

/// gobwas/glob `Compile(pattern, '/')` matching.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    expand_braces(pattern).iter().any(|p| {
        let p: Vec<char> = p.chars().collect();
        let n: Vec<char> = name.chars().collect();
        matches(&p, &n, true)
    })
}

/// `{a,b}` alternatives, expanded (nesting allowed; bounded by the pattern's length).
fn expand_braces(pattern: &str) -> Vec<String> {
    let Some(open) = pattern.find('{') else { return vec![pattern.to_string()] };
    let bytes = pattern.as_bytes();
    let mut depth = 0;
    let mut parts = Vec::new();
    let mut start = open + 1;
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    parts.push(&pattern[start..i]);
                    let (head, tail) = (&pattern[..open], &pattern[i + 1..]);
                    let mut out = Vec::new();
                    for part in parts {
                        for rest in expand_braces(&format!("{part}{tail}")) {
                            out.push(format!("{head}{rest}"));
                        }
                    }
                    return out;
                }
            }
            b',' if depth == 1 => {
                parts.push(&pattern[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    vec![pattern.to_string()]
}

fn matches(p: &[char], n: &[char], super_star: bool) -> bool {
    // Iterative backtracking over the last star, as Go's Match does per segment.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize, bool)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    let double = super_star && p.get(pi + 1) == Some(&'*');
                    pi += if double { 2 } else { 1 };
                    star = Some((pi, ni, double));
                    continue;
                }
                '?' if n[ni] != '/' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' => {
                    if let Some((ok, len)) = class(&p[pi..], n[ni])
                        && ok
                        && n[ni] != '/'
                    {
                        pi += len;
                        ni += 1;
                        continue;
                    }
                }
                '\\' if !super_star && pi + 1 < p.len() && p[pi + 1] == n[ni] => {
                    pi += 2;
                    ni += 1;
                    continue;
                }
                c if c == n[ni] && c != '\\' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn, double)) if double || n[sn] != '/' => {
                star = Some((sp, sn + 1, double));
                pi = sp;
                ni = sn + 1;
            }
            _ => return false,
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// A `[...]` class at the start of `p`: whether `c` is in it, and the class's length.
fn class(p: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(p.get(1), Some('^' | '!'));
    if negate {
        i += 1;
    }
    let mut found = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((found != negate, i + 1));
        }
        first = false;
        let mut lo = p[i];
        if lo == '\\' {
            i += 1;
            lo = *p.get(i)?;
        }
        let mut hi = lo;
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|&x| x != ']') {
            hi = p[i + 2];
            i += 2;
        }
        if lo <= c && c <= hi {
            found = true;
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_path_match() {
        assert!(path_match("*.txt", "a.txt"));
        assert!(!path_match("*.txt", "d/a.txt"));
        assert!(path_match("templates/.?*", "templates/.hidden"));
        assert!(!path_match("templates/.?*", "templates/x.yaml"));
        assert!(path_match("[a-c]?", "bz"));
        assert!(path_match("secrets/*", "secrets/a"));
    }

    #[test]
    fn gobwas_glob() {
        assert!(glob_match("files/**", "files/conf/a.txt"));
        assert!(!glob_match("files/*", "files/conf/a.txt"));
        assert!(glob_match("files/*.{txt,yaml}", "files/a.yaml"));
        assert!(glob_match("**.toml", "a/b.toml"));
    }
}
