//! gix plumbing: URL checks, an isolated throw-away repository, transport options (credentials,
//! bearer header, CA bundle, timeouts, ssh program), ls-refs and fetch.

use std::any::Any;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gix::credentials::helper::Action;
use gix::credentials::protocol::Outcome;
use gix::protocol::transport::client::blocking_io::http;
use gix::remote::Direction;
use gix::remote::fetch::{Shallow, Tags};

use crate::error::{SourceError, redact_url};
use crate::fetch::FetchRequest;
use crate::refs::RemoteRef;

const SCHEMES: &[&str] = &["http", "https", "ssh", "file"];

/// Accept `http(s)://`, `ssh://` and `file://` URLs; reject scp-like `user@host:path` as Flux does.
pub(crate) fn validate_url(url: &str) -> Result<(), SourceError> {
    let invalid = |message: &str| SourceError::UrlInvalid { url: redact_url(url), message: message.to_owned() };
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(invalid(
            "must start with http://, https://, ssh:// or file:// (scp-like user@host:path is not accepted)",
        ));
    };
    if !SCHEMES.contains(&scheme) {
        return Err(invalid("unsupported scheme; use http, https, ssh or file"));
    }
    if rest.is_empty() || (scheme != "file" && rest.starts_with('/')) {
        return Err(invalid("missing host"));
    }
    gix::url::parse(gix::bstr::ByteSlice::as_bstr(url.as_bytes())).map_err(|_| invalid("not a valid Git URL"))?;
    Ok(())
}

pub(crate) fn is_ssh(url: &str) -> bool {
    url.starts_with("ssh://")
}

/// A bare repository that reads no user, system or environment configuration. For `ssh://`,
/// `ssh_program` (see `auth::write_ssh_files`) is run directly, without a shell.
pub(crate) fn init_repo(path: &Path, url: &str, ssh_program: Option<&Path>) -> Result<gix::Repository, SourceError> {
    let mut overrides = Vec::new();
    if let Some(program) = ssh_program {
        overrides.push(format!("gitoxide.ssh.commandWithoutShellFallback={}", program.display()));
        overrides.push("ssh.variant=ssh".to_owned());
    }
    gix::ThreadSafeRepository::init_opts(
        path,
        gix::create::Kind::Bare,
        gix::create::Options::default(),
        gix::open::Options::isolated().config_overrides(overrides),
    )
    .map(|r| r.to_thread_local())
    .map_err(|source| SourceError::Git { operation: "initialize a repository for", url: url.to_owned(), source })
}

/// Per-request transport configuration, applied to every connection.
pub(crate) struct Setup {
    url: String,
    display_url: String,
    auth_header: Option<String>,
    ca_pem: Option<Vec<u8>>,
    timeout: Duration,
}

impl Setup {
    pub(crate) fn new(req: &FetchRequest) -> Result<Self, SourceError> {
        Ok(Setup {
            url: req.url.clone(),
            display_url: redact_url(&req.url),
            auth_header: match req.credentials.basic_header()? {
                Some(h) => Some(h),
                None => req.credentials.bearer_header()?,
            },
            ca_pem: req.credentials.ca_pem.clone(),
            timeout: req.timeout,
        })
    }

    fn transport_options(&self, repo: &gix::Repository) -> Result<Option<Box<dyn Any>>, SourceError> {
        let mut opts =
            repo.transport_options(self.url.as_str(), None).map_err(|source| self.git_err("configure", source))?;
        if let Some(http) = opts.as_mut().and_then(|o| o.downcast_mut::<http::Options>()) {
            if let Some(h) = &self.auth_header {
                http.extra_headers.push(h.clone());
            }
            http.connect_timeout = Some(self.timeout);
            let ca = self.ca_pem.clone();
            let timeout = self.timeout;
            let configure = move |mut builder: reqwest::blocking::ClientBuilder| {
                builder = builder.timeout(timeout).connect_timeout(timeout.min(Duration::from_secs(30)));
                if let Some(pem) = &ca {
                    for cert in reqwest::Certificate::from_pem_bundle(pem).map_err(gix::Error::from_error)? {
                        builder = builder.add_root_certificate(cert);
                    }
                }
                Ok(builder)
            };
            let backend =
                http::reqwest::Options { configure_client: Some(Box::new(configure)), configure_request: None };
            let backend: Arc<Mutex<dyn Any + Send + Sync>> = Arc::new(Mutex::new(backend));
            http.backend = Some(backend);
        }
        Ok(opts)
    }

    /// Never prompt and never run git credential helpers: credentials come from the Secret only
    /// and are sent as headers, so a challenge means they were missing or rejected.
    fn credentials(&self) -> impl FnMut(Action) -> gix::Result<Option<Outcome>> + 'static {
        |_action| Ok(None)
    }

    fn remote<'r>(&self, repo: &'r gix::Repository, refspecs: &[String]) -> Result<gix::Remote<'r>, SourceError> {
        repo.remote_at(self.url.as_str())
            .and_then(|r| {
                r.with_fetch_tags(Tags::None).with_refspecs(refspecs.iter().map(String::as_str), Direction::Fetch)
            })
            .map_err(|source| SourceError::UrlInvalid { url: self.display_url.clone(), message: source.to_string() })
    }

    fn git_err(&self, operation: &'static str, source: gix::Error) -> SourceError {
        if is_auth_error(&source) {
            SourceError::AuthenticationFailed { url: self.display_url.clone(), source }
        } else {
            SourceError::Git { operation, url: self.display_url.clone(), source }
        }
    }
}

/// ls-refs: the advertised refs matching `refspecs`, with peeled commit ids. Fetches no objects.
pub(crate) fn list(repo: &gix::Repository, setup: &Setup, refspecs: &[String]) -> Result<Vec<RemoteRef>, SourceError> {
    let remote = setup.remote(repo, refspecs)?;
    let conn = remote.connect(Direction::Fetch).map_err(|e| setup.git_err("connect to", e))?;
    let conn = conn.with_credentials(setup.credentials()).with_transport_options_opt(setup.transport_options(repo)?);
    let (ref_map, _handshake) = conn
        .ref_map(gix::progress::Discard, gix::remote::ref_map::Options::default())
        .map_err(|e| setup.git_err("list references of", e))?;
    Ok(ref_map.remote_refs.iter().filter_map(remote_ref_from).collect())
}

/// Fetch `refspecs` (depth 1 when `shallow`); returns the refs as advertised during the fetch.
pub(crate) fn fetch(
    repo: &gix::Repository,
    setup: &Setup,
    refspecs: &[String],
    shallow: bool,
    interrupt: &AtomicBool,
) -> Result<Vec<RemoteRef>, SourceError> {
    let remote = setup.remote(repo, refspecs)?;
    let conn = remote.connect(Direction::Fetch).map_err(|e| setup.git_err("connect to", e))?;
    let conn = conn.with_credentials(setup.credentials()).with_transport_options_opt(setup.transport_options(repo)?);
    let mut prepare = conn
        .prepare_fetch(gix::progress::Discard, gix::remote::ref_map::Options::default())
        .map_err(|e| setup.git_err("list references of", e))?;
    if shallow {
        prepare = prepare.with_shallow(Shallow::DepthAtRemote(std::num::NonZeroU32::MIN));
    }
    let outcome = prepare.receive(gix::progress::Discard, interrupt).map_err(|e| setup.git_err("fetch from", e))?;
    Ok(outcome.ref_map.remote_refs.iter().filter_map(remote_ref_from).collect())
}

fn remote_ref_from(r: &gix::protocol::handshake::Ref) -> Option<RemoteRef> {
    let (name, target, peeled) = r.unpack();
    let id = peeled.or(target)?;
    Some(RemoteRef { name: name.to_string(), commit: id.to_string() })
}

/// gix reports HTTP 401/403 and rejected credentials as "unauthenticated"/permission errors.
fn is_auth_error(e: &gix::Error) -> bool {
    if e.classify().is_unauthenticated() || e.classify().is_permission_denied() {
        return true;
    }
    e.iter_errors().any(|err| {
        err.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied) || {
            let msg = err.to_string().to_ascii_lowercase();
            msg.contains("authentication") || msg.contains("credentials")
        }
    })
}

trait WithTransportOptionsOpt {
    fn with_transport_options_opt(self, opts: Option<Box<dyn Any>>) -> Self;
}

impl<T: gix::protocol::transport::client::blocking_io::Transport> WithTransportOptionsOpt
    for gix::remote::Connection<'_, '_, '_, T>
{
    fn with_transport_options_opt(self, opts: Option<Box<dyn Any>>) -> Self {
        match opts {
            Some(o) => self.with_transport_options(o),
            None => self,
        }
    }
}
