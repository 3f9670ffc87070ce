//! Test fixtures: real Git repositories made with the `git` CLI, and `git http-backend` behind a tiny
//! HTTP/1.1 server on 127.0.0.1 (optionally demanding an `Authorization` header).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub fn write(root: &Path, rel: &str, content: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

/// A repository with history, tags and a pull-request ref.
pub struct Fixture {
    pub _tmp: tempfile::TempDir,
    /// Directory served by `git http-backend` (GIT_PROJECT_ROOT).
    pub root: PathBuf,
    /// The (non-bare) repository `root/repo`.
    pub repo: PathBuf,
    pub c1: String,
    pub c2: String,
    pub c3: String,
    pub dev: String,
    pub pr: String,
}

impl Fixture {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_owned();
        let repo = root.join("repo");
        std::fs::create_dir(&repo).unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        git(&repo, &["config", "user.name", "t"]);
        git(&repo, &["config", "user.email", "t@example.invalid"]);
        git(&repo, &["config", "uploadpack.allowAnySHA1InWant", "true"]);
        write(&repo, "deploy/app.yaml", "kind: ConfigMap\nname: v1\n");
        write(&repo, "README.md", "# demo\n");
        write(&repo, "logo.png", "not really a png");
        write(&repo, "bin/run.sh", "#!/bin/sh\necho hi\n");
        std::fs::set_permissions(repo.join("bin/run.sh"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "one"]);
        let c1 = git(&repo, &["rev-parse", "HEAD"]);
        git(&repo, &["tag", "-a", "v1.0.0", "-m", "release 1.0.0"]);

        write(&repo, "deploy/app.yaml", "kind: ConfigMap\nname: v2\n");
        git(&repo, &["commit", "-q", "-am", "two"]);
        let c2 = git(&repo, &["rev-parse", "HEAD"]);
        git(&repo, &["tag", "v1.2.0"]);

        write(&repo, "deploy/app.yaml", "kind: ConfigMap\nname: v3\n");
        git(&repo, &["commit", "-q", "-am", "three"]);
        let c3 = git(&repo, &["rev-parse", "HEAD"]);
        git(&repo, &["tag", "-a", "v2.0.0-rc.1", "-m", "rc"]);

        git(&repo, &["checkout", "-q", "-b", "dev", &c1]);
        write(&repo, "deploy/dev.yaml", "kind: ConfigMap\nname: dev\n");
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "dev"]);
        let dev = git(&repo, &["rev-parse", "HEAD"]);

        git(&repo, &["checkout", "-q", "--detach", &c2]);
        write(&repo, "deploy/pr.yaml", "kind: ConfigMap\nname: pr\n");
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "pr"]);
        let pr = git(&repo, &["rev-parse", "HEAD"]);
        git(&repo, &["update-ref", "refs/pull/1/head", &pr]);
        git(&repo, &["checkout", "-q", "main"]);
        Fixture { _tmp: tmp, root, repo, c1, c2, c3, dev, pr }
    }

    pub fn file_url(&self) -> String {
        format!("file://{}", self.repo.display())
    }

    /// Add a commit on `main` and return its id.
    pub fn commit_on_main(&self, rel: &str, content: &str) -> String {
        git(&self.repo, &["checkout", "-q", "main"]);
        write(&self.repo, rel, content);
        git(&self.repo, &["add", "-A"]);
        git(&self.repo, &["commit", "-q", "-m", "more"]);
        git(&self.repo, &["rev-parse", "HEAD"])
    }
}

/// One request the server handled: method, path+query, and the decoded body.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn is_fetch_command(&self) -> bool {
        self.body.windows(13).any(|w| w == b"command=fetch")
    }
}

/// `git http-backend` over HTTP/1.1 on 127.0.0.1; stops when dropped.
pub struct GitHttpServer {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
}

impl GitHttpServer {
    /// Serve `project_root`; when `required_auth` is set, requests must carry exactly that
    /// `Authorization` header value, or get a 401 with a Basic challenge.
    pub fn start(project_root: &Path, required_auth: Option<String>) -> Self {
        Self::start_inner(project_root, required_auth, None)
    }

    /// Like [`Self::start`], over TLS with the given PEM certificate chain and key.
    pub fn start_tls(project_root: &Path, cert_pem: &[u8], key_pem: &[u8]) -> Self {
        use rustls::pki_types::pem::PemObject;
        let certs = rustls::pki_types::CertificateDer::pem_slice_iter(cert_pem).collect::<Result<Vec<_>, _>>().unwrap();
        let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(key_pem).unwrap();
        let config =
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .unwrap();
        Self::start_inner(project_root, None, Some(Arc::new(config)))
    }

    fn start_inner(project_root: &Path, required_auth: Option<String>, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (root, seen2, stop2) = (project_root.to_owned(), seen.clone(), stop.clone());
        std::thread::spawn(move || {
            // A safeguard only: dropping the server stops it; benchmarks run for minutes.
            let deadline = std::time::Instant::now() + Duration::from_secs(900);
            while !stop2.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (root, seen, auth, tls) = (root.clone(), seen2.clone(), required_auth.clone(), tls.clone());
                        std::thread::spawn(move || {
                            let _ = handle(stream, tls, &root, &seen, auth.as_deref());
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        GitHttpServer { port, seen, stop }
    }

    pub fn url(&self, repo: &str) -> String {
        format!("http://127.0.0.1:{}/{repo}", self.port)
    }

    pub fn https_url(&self, repo: &str) -> String {
        format!("https://127.0.0.1:{}/{repo}", self.port)
    }

    pub fn fetch_commands(&self) -> usize {
        self.seen.lock().unwrap().iter().filter(|s| s.is_fetch_command()).count()
    }

    pub fn fetch_bodies(&self) -> Vec<String> {
        let seen = self.seen.lock().unwrap();
        seen.iter().filter(|s| s.is_fetch_command()).map(|s| String::from_utf8_lossy(&s.body).into_owned()).collect()
    }
}

impl Drop for GitHttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn handle(
    stream: TcpStream,
    tls: Option<Arc<rustls::ServerConfig>>,
    root: &Path,
    seen: &Mutex<Vec<Seen>>,
    auth: Option<&str>,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    match tls {
        Some(config) => {
            let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
            let mut tls_stream = rustls::StreamOwned::new(conn, stream);
            serve(&mut tls_stream, root, seen, auth)?;
            tls_stream.conn.send_close_notify();
            tls_stream.flush()
        }
        None => serve(stream, root, seen, auth),
    }
}

fn serve<S: Read + Write>(stream: S, root: &Path, seen: &Mutex<Vec<Seen>>, auth: Option<&str>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let body = if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        read_chunked(&mut reader)?
    } else {
        let len: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut b = vec![0; len];
        reader.read_exact(&mut b)?;
        b
    };
    let body = if header("content-encoding").as_deref() == Some("gzip") {
        let mut d = Vec::new();
        flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut d)?;
        d
    } else {
        body
    };
    seen.lock().unwrap().push(Seen { method: method.clone(), target: target.clone(), body: body.clone() });
    let mut out = reader.into_inner();
    if let Some(expected) = auth
        && header("authorization").as_deref() != Some(expected)
    {
        let msg = "authentication required\n";
        write!(
            out,
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{msg}",
            msg.len()
        )?;
        return out.flush();
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut child = Command::new("git")
        .arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("REQUEST_METHOD", &method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("CONTENT_TYPE", header("content-type").unwrap_or_default())
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("GIT_PROTOCOL", header("git-protocol").unwrap_or_default())
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&body);
    });
    let mut cgi = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut cgi)?;
    let _ = writer.join();
    child.wait()?;
    let split = cgi.windows(4).position(|w| w == b"\r\n\r\n").map(|p| (p, 4));
    let split = split.or_else(|| cgi.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2)));
    let (head, payload) = match split {
        Some((p, n)) => (String::from_utf8_lossy(&cgi[..p]).into_owned(), &cgi[p + n..]),
        None => (String::new(), &cgi[..]),
    };
    let mut status = "200 OK".to_owned();
    let mut response = Vec::new();
    for h in head.lines() {
        match h.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("status") => status = v.trim().to_owned(),
            Some(_) => response.extend_from_slice(format!("{h}\r\n").as_bytes()),
            None => {}
        }
    }
    write!(out, "HTTP/1.1 {status}\r\n")?;
    out.write_all(&response)?;
    write!(out, "Content-Length: {}\r\nConnection: close\r\n\r\n", payload.len())?;
    out.write_all(payload)?;
    out.flush()
}

fn read_chunked(reader: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size)?;
        let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
        let mut chunk = vec![0; n + 2];
        reader.read_exact(&mut chunk)?;
        if n == 0 {
            return Ok(body);
        }
        body.extend_from_slice(&chunk[..n]);
    }
}

/// A CA and a server certificate for 127.0.0.1, made with the `openssl` CLI: (ca.crt, chain, key).
pub fn test_pki(dir: &Path) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl").args(args).current_dir(dir).output().expect("run openssl");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    std::fs::write(
        dir.join("ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2"]
        .into_iter()
        .chain(["-subj", "/CN=glidepath-test-ca", "-addext", "basicConstraints=critical,CA:TRUE"])
        .chain(["-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        .collect::<Vec<_>>());
    run(&["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=127.0.0.1"]);
    run(&["x509", "-req", "-in", "srv.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "srv.crt"]
        .into_iter()
        .chain(["-days", "2", "-extfile", "ext"])
        .collect::<Vec<_>>());
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
    (read("ca.crt"), read("srv.crt"), read("srv.key"))
}

pub fn basic(user: &str, pass: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{pass}").into_bytes();
    let mut s = String::new();
    for c in input.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= c.len() {
                s.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    format!("Basic {s}")
}

/// Files (relative, sorted) under `dir`.
pub fn files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}
