//! `POST /`: run the command in the hook's metadata.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::process::Stdio;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use tokio::process::Command;
use tracing::{info, warn};

use super::{HookPayload, LoadTester};

pub async fn run(State(s): State<Arc<LoadTester>>, Json(p): Json<HookPayload>) -> (StatusCode, String) {
    if let Some(re) = &s.config.namespace_regexp
        && !re.is_match(&p.namespace)
    {
        return (StatusCode::FORBIDDEN, format!("namespace {} is not allowed", p.namespace));
    }
    let Some(meta) = p.metadata.clone() else {
        return (StatusCode::BAD_REQUEST, "metadata not found in payload".into());
    };
    let kind = meta.get("type").map_or("cmd", String::as_str).to_owned();
    let Some(cmd) = meta.get("cmd").filter(|c| !c.is_empty()).cloned() else {
        return (StatusCode::BAD_REQUEST, "cmd not found in metadata".into());
    };
    let flag = |k: &str| meta.get(k).is_some_and(|v| v == "true");
    match kind.as_str() {
        "cmd" => start_async(s, &p, cmd, flag("logCmdOutput")),
        "bash" => run_sync(&s, cmd, flag("returnCmdOutput"), flag("logCmdOutput")).await,
        other => (
            StatusCode::BAD_REQUEST,
            format!(
                "type {other:?} is not supported (supported: cmd, bash; helm, kubectl, concord and ngrinder are not)"
            ),
        ),
    }
}

/// `cmd`: start in the background unless the same command for the same canary is running.
fn start_async(s: Arc<LoadTester>, p: &HookPayload, cmd: String, log_output: bool) -> (StatusCode, String) {
    let mut h = DefaultHasher::new();
    (&p.name, &p.namespace, &cmd).hash(&mut h);
    let key = format!("{:x}", h.finish());
    let started = s.running.lock().map(|mut r| r.insert(key.clone())).unwrap_or(false);
    if !started {
        return (StatusCode::ACCEPTED, "command already running".into());
    }
    s.count("cmd", "started");
    let canary = format!("{}.{}", p.name, p.namespace);
    tokio::spawn(async move {
        let result = execute("sh", &cmd, s.config.timeout).await;
        match &result {
            Ok(out) => {
                s.count("cmd", "succeeded");
                info!(%canary, "command finished");
                if log_output {
                    info!(%canary, output = %out, "command output");
                }
            }
            Err(e) => {
                s.count("cmd", "failed");
                warn!(%canary, error = %e, "command failed");
            }
        }
        if let Ok(mut r) = s.running.lock() {
            r.remove(&key);
        }
    });
    (StatusCode::ACCEPTED, "command started".into())
}

/// `bash`: run now; 200 on success, 500 with the error otherwise.
async fn run_sync(s: &LoadTester, cmd: String, return_output: bool, log_output: bool) -> (StatusCode, String) {
    match execute("bash", &cmd, s.config.timeout).await {
        Ok(out) => {
            s.count("bash", "succeeded");
            if log_output {
                info!(output = %out, "command output");
            }
            (StatusCode::OK, if return_output { out } else { String::new() })
        }
        Err(e) => {
            s.count("bash", "failed");
            (StatusCode::INTERNAL_SERVER_ERROR, e)
        }
    }
}

/// Run `<shell> -c <cmd>` with a time limit; the combined output, or an error text.
async fn execute(shell: &str, cmd: &str, timeout: std::time::Duration) -> Result<String, String> {
    let child = Command::new(shell)
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("start {shell}: {e}"))?;
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Err(_) => Err(format!("command timed out after {timeout:?}")),
        Ok(Err(e)) => Err(format!("run {shell}: {e}")),
        Ok(Ok(out)) => {
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stderr));
            if out.status.success() {
                Ok(text)
            } else {
                Err(format!("command failed ({}): {}", out.status, text.trim()))
            }
        }
    }
}
