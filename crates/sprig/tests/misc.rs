//! Paths, URLs, `randInt`, `getHostByName`: cases from Sprig's `paths_test.go`,
//! `url_test.go`, `network_test.go`, `numeric_test.go` and Go's `path` package tests.

use crate::common;
use common::table;

#[test]
fn paths() {
    table(
        "paths",
        &[
            (r#"{{ base "foo/bar" }}"#, "bar"),
            (r#"{{ base "/foo/bar/" }}"#, "bar"),
            (r#"{{ base "" }}"#, "."),
            (r#"{{ base "///" }}"#, "/"),
            (r#"{{ dir "foo/bar/baz" }}"#, "foo/bar"),
            (r#"{{ dir "/foo" }}"#, "/"),
            (r#"{{ dir "foo" }}"#, "."),
            (r#"{{ dir "" }}"#, "."),
            (r#"{{ clean "/foo/../bar" }}"#, "/bar"),
            (r#"{{ clean "foo//bar/./baz/.." }}"#, "foo/bar"),
            (r#"{{ clean "../../a" }}"#, "../../a"),
            (r#"{{ clean "/../a" }}"#, "/a"),
            (r#"{{ clean "" }}"#, "."),
            (r#"{{ clean "a/.." }}"#, "."),
            (r#"{{ ext "/foo/bar/baz.txt" }}"#, ".txt"),
            (r#"{{ ext "/foo.d/bar" }}"#, ""),
            (r#"{{ ext "a.tar.gz" }}"#, ".gz"),
            (r#"{{ isAbs "/foo" }}"#, "true"),
            (r#"{{ isAbs "foo" }}"#, "false"),
            (r#"{{ osBase "foo/bar" }}"#, "bar"),
            (r#"{{ osDir "foo/bar" }}"#, "foo"),
            (r#"{{ osClean "a//b" }}"#, "a/b"),
            (r#"{{ osExt "x.yaml" }}"#, ".yaml"),
            (r#"{{ osIsAbs "/x" }}"#, "true"),
        ],
    );
}

#[test]
fn urls() {
    table(
        "urls",
        &[
            (
                r#"{{ urlParse "proto://auth@host:80/path?query#fragment" }}"#,
                "map[fragment:fragment host:host:80 hostname:host opaque: path:/path query:query scheme:proto userinfo:auth]",
            ),
            (
                r#"{{ urlParse "http://host:80/path?query#fragment" }}"#,
                "map[fragment:fragment host:host:80 hostname:host opaque: path:/path query:query scheme:http userinfo:]",
            ),
            (r#"{{ (urlParse "https://example.com/a%20b").path }}"#, "/a b"),
            (r#"{{ (urlParse "mailto:joe@example.com").opaque }}"#, "joe@example.com"),
            (r#"{{ (urlParse "/relative/path?x=1").path }}"#, "/relative/path"),
            (r#"{{ (urlParse "http://[::1]:8080/").hostname }}"#, "::1"),
            (r#"{{ urlParse "http://x/%zz" }}"#, "ERR:unable to parse url"),
            (
                r#"{{ urlJoin (dict "fragment" "fragment" "host" "host:80" "path" "/path" "query" "query" "scheme" "proto") }}"#,
                "proto://host:80/path?query#fragment",
            ),
            (
                r#"{{ urlJoin (dict "fragment" "fragment" "host" "host:80" "path" "/path" "scheme" "proto" "userinfo" "ASDJKJSD") }}"#,
                "proto://ASDJKJSD@host:80/path#fragment",
            ),
            (r#"{{ urlJoin (dict "scheme" "https" "host" "x" "path" "a b") }}"#, "https://x/a%20b"),
            (r#"{{ urlJoin (dict "scheme" "mailto" "opaque" "joe@example.com") }}"#, "mailto:joe@example.com"),
            (r#"{{ urlParse "https://u@h:1/p?q#f" | urlJoin }}"#, "https://u@h:1/p?q#f"),
            (r#"{{ urlJoin (dict "host" 1) }}"#, "ERR:interface conversion"),
        ],
    );
}

#[test]
fn random_and_network() {
    table(
        "random_and_network",
        &[
            (r#"{{ $n := randInt 5 10 }}{{ and (ge $n 5) (lt $n 10) }}"#, "true"),
            (r#"{{ randInt 3 4 }}"#, "3"),
            (r#"{{ randInt 5 5 }}"#, "ERR:invalid argument to Intn"),
            (r#"{{ getHostByName "example.com" }}"#, "ERR:DNS lookups are disabled"),
        ],
    );
}
