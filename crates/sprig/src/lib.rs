//! `glidepath-sprig`: Sprig's template functions (Masterminds/sprig v3 `TxtFuncMap`) as Helm
//! registers them, for [`glidepath_gotmpl`] templates.
//!
//! This crate owns the functions, not the language: [`funcs`] returns a [`FuncMap`] to add to
//! a [`glidepath_gotmpl::Template`]. Helm removes `env` and `expandenv`, so they are absent;
//! Helm's own functions (`include`, `tpl`, `required`, `toYaml`, `fromJson`...) belong to the
//! Helm crate. Semantics follow Sprig and the Go libraries it wraps (`strings`, goutils,
//! xstrings, `spf13/cast` conversions, mergo's merge rules, `encoding/json` output), and
//! error messages are theirs (a Sprig function that panics reports the panic's text, as Go's
//! template executor recovers it into `error calling NAME: ...`).
//!
//! Randomness (`rand*`, `shuffle`, `uuidv4`, `randBytes`, `encryptAES`'s IV, `bcrypt`'s
//! salt) comes from [`Options::rng`] (ChaCha20, keyed from the OS by default, or seeded for
//! tests), and time from [`Options::clock`], so tests are deterministic; random outputs can
//! not match Go's byte for byte.
//!
//! It depends on `glidepath-gotmpl`, `regex`, `sha2` and `getrandom` only.
//!
//! Keys and certificates (`genPrivateKey`, `genCA`, `genSignedCert`...) use aws-lc-rs keys
//! and OS randomness, not [`Options::rng`] (see `certs`). `randSeededNumeric` is not a
//! Sprig v3 function. `getHostByName` exists and refuses (no network I/O while rendering).
//!
//! Known differences from Go, from the value model:
//! - Values are immutable and shared ([`Value`] containers are reference counted), so `set`,
//!   `unset`, `merge` and `mergeOverwrite` return the changed map but do not change the map
//!   the caller passed in, where Go mutates it (`$_ := set $d "k" 1` leaves `$d` unchanged).
//! - There is one integer type: `int64`, `add`... give `int` (`typeOf` says `int`), and
//!   `duration`/`durationRound` accept it where Sprig only takes `int64`. String lists
//!   (`splitList`, `keys`, `regexFindAll`...) are `[]interface {}`, not `[]string`.
//! - Strings are UTF-8: `b64dec` of binary data replaces invalid sequences with U+FFFD.
//! - Every time is UTC: `Local` is UTC and named zones fall back to UTC (see `dates`).
//! - `keys` and `values` follow sorted key order (Go's map order is random).
//!
//! ```
//! use glidepath_gotmpl::{Template, Value};
//!
//! let mut t = Template::new("labels");
//! t.funcs(&glidepath_sprig::funcs(&glidepath_sprig::Options::fixed(0, 1)));
//! t.parse(r#"{{ .name | trunc 5 | upper | quote }} {{ semverCompare ">=1.19-0" .kube }} {{ dict "b" 2 "a" 1 | toJson }}"#)?;
//! let data = Value::from(serde_json::json!({"name": "webserver", "kube": "v1.29.3-gke.1"}));
//! assert_eq!(t.execute(&data)?, r#""WEBSE" true {"a":1,"b":2}"#);
//! # Ok::<(), glidepath_gotmpl::Error>(())
//! ```
//!
//! It must not depend on kube, tokio or Glidepath crates other than `glidepath-gotmpl`.

mod aes;
mod bcrypt;
mod certs;
mod conv;
mod dates;
mod derive;
mod dicts;
mod encoding;
mod json;
mod lists;
mod misc;
mod numeric;
mod regexp;
mod rng;
pub mod semver;
mod strings;
mod text;
mod timefmt;

use std::sync::{Arc, Mutex};

pub use dates::Time;
pub use glidepath_gotmpl::{Func, FuncMap, Param, Value};
pub use json::string as go_json_string;
pub use rng::Rng;

/// What `now` (and `ago`, `date` of a non-time...) reads: the system clock or a fixed
/// instant for tests.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Time + Send + Sync>);

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Clock").field(&self.now()).finish()
    }
}

impl Clock {
    /// The system clock, in UTC.
    pub fn system() -> Clock {
        Clock(Arc::new(|| {
            let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            Time { secs: d.as_secs() as i64, nanos: d.subsec_nanos(), offset: 0, zone: "UTC".into() }
        }))
    }

    /// A clock stopped at `secs` and `nanos` past the Unix epoch, in UTC.
    pub fn fixed(secs: i64, nanos: u32) -> Clock {
        Clock(Arc::new(move || Time { secs, nanos, offset: 0, zone: "UTC".into() }))
    }

    /// A clock reading `f`.
    pub fn from_fn(f: impl Fn() -> Time + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(f))
    }

    /// The current time.
    pub fn now(&self) -> Time {
        (self.0)()
    }
}

/// Options for the function set.
#[derive(Debug, Clone)]
pub struct Options {
    /// What `now` reads.
    pub clock: Clock,
    /// The random source shared by every random function of the set.
    pub rng: Arc<Mutex<Rng>>,
}

impl Default for Options {
    /// The system clock and a generator keyed from the OS random source.
    fn default() -> Self {
        Options { clock: Clock::system(), rng: Arc::new(Mutex::new(Rng::from_entropy())) }
    }
}

impl Options {
    /// Deterministic options: a clock fixed at `secs` past the epoch and a generator seeded
    /// with `seed`.
    pub fn fixed(secs: i64, seed: u64) -> Options {
        Options { clock: Clock::fixed(secs, 0), rng: Arc::new(Mutex::new(Rng::seeded(seed))) }
    }
}

/// Sprig's functions as Helm registers them.
pub fn funcs(options: &Options) -> FuncMap {
    let mut m = FuncMap::new();
    extend(&mut m, options);
    m
}

/// Adds Sprig's functions to `map`, replacing same-named ones.
pub fn extend(map: &mut FuncMap, options: &Options) {
    conv::register(map);
    strings::register(map);
    text::register(map, options);
    lists::register(map);
    dicts::register(map);
    numeric::register(map);
    encoding::register(map, options);
    json::register(map);
    regexp::register(map);
    semver::register(map);
    misc::register(map, options);
    dates::register(map, &options.clock);
    certs::register(map, &options.clock);
}
