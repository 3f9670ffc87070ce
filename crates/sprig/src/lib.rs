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
//! Randomness (`rand*`, `shuffle`, `uuidv4`, `randBytes`) comes from [`Options::rng`], a
//! seedable generator, so tests are deterministic; outputs can not match Go's byte for byte.
//!
//! Not built (absent from the map, so templates using them fail to parse with Go's
//! `function "x" not defined`): dates (`now`, `date`, `toDate`...), certificate and
//! key generation, `htpasswd`/`bcrypt`, `derivePassword`, `encryptAES`/`decryptAES`,
//! `getHostByName`, `urlParse`/`urlJoin`.
//!
//! Values are immutable and shared ([`Value`] containers are reference counted), so `set`,
//! `unset`, `merge` and `mergeOverwrite` return the changed map but do not change the map
//! the caller passed in, where Go mutates it (`$_ := set $d "k" 1` leaves `$d` unchanged here).
//!
//! It must not depend on kube, tokio or Glidepath crates other than `glidepath-gotmpl`.

mod conv;
mod dicts;
mod encoding;
mod json;
mod lists;
mod numeric;
mod regexp;
mod rng;
mod semver;
mod strings;
mod text;

use std::sync::{Arc, Mutex};

pub use glidepath_gotmpl::{Func, FuncMap, Param, Value};
pub use rng::Rng;

/// Options for the function set.
#[derive(Debug, Clone)]
pub struct Options {
    /// The random source shared by every random function of the set.
    pub rng: Arc<Mutex<Rng>>,
}

impl Default for Options {
    /// A generator seeded from the process' hash randomness.
    fn default() -> Self {
        Options { rng: Arc::new(Mutex::new(Rng::from_entropy())) }
    }
}

impl Options {
    /// Options with a generator seeded with `seed` (deterministic output).
    pub fn seeded(seed: u64) -> Options {
        Options { rng: Arc::new(Mutex::new(Rng::seeded(seed))) }
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
}
