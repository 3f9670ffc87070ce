//! `derivePassword`: Sprig's `crypto_test.go` expectations (scrypt with N=32768 is slow in
//! debug builds, ~4 s a case, so the table is short: Sprig's other five expectations —
//! counter 2 `Fovi2@JifpTupx`, medium `ZedJuz8$`, basic `pIS54PLs`, short `Zed5`, pin
//! `6685` — also matched when run once, and are left out for time).

use crate::common;
use common::table;

#[test]
fn derive_password() {
    table(
        "derivePassword",
        &[
            (r#"{{ derivePassword 1 "long" "password" "user" "example.com" }}"#, "ZedaFaxcZaso9*"),
            (r#"{{ derivePassword 1 "maximum" "password" "user" "example.com" }}"#, "pf4zS1LjCg&LjhsZ7T2~"),
            (r#"{{ derivePassword 1 "nope" "password" "user" "example.com" }}"#, "cannot find password template nope"),
        ],
    );
}
