//! Counts of the API requests the sandbox served, by verb and resource, as kube-apiserver's
//! `apiserver_request_total` does: what benchmarks report as "API calls per step".

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::server::Shared;

/// Requests served so far: (verb, resource) → count. Verbs are Kubernetes' (`get`, `list`,
/// `watch`, `create`, `update`, `patch`, `delete`); the resource includes a subresource
/// (`canaries/status`).
#[derive(Debug, Default)]
pub struct RequestCounts(Mutex<BTreeMap<(String, String), u64>>);

impl RequestCounts {
    pub fn snapshot(&self) -> BTreeMap<(String, String), u64> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn add(&self, verb: &str, resource: String) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner).entry((verb.to_owned(), resource)).or_default() += 1;
    }
}

/// The Kubernetes verb and resource of a request to an API path; `None` for other paths
/// (discovery, health, metrics).
pub fn classify(method: &str, path: &str, query: &str) -> Option<(&'static str, String)> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    // /api/v1/... or /apis/<group>/<version>/...
    let rest = match segs.first() {
        Some(&"api") if segs.len() > 2 => &segs[2..],
        Some(&"apis") if segs.len() > 3 => &segs[3..],
        _ => return None,
    };
    let rest = match rest {
        ["namespaces", _ns, tail @ ..] if !tail.is_empty() => tail,
        other => other,
    };
    let (resource, named, sub) = match rest {
        [plural] => (*plural, false, None),
        [plural, _name] => (*plural, true, None),
        [plural, _name, sub, ..] => (*plural, true, Some(*sub)),
        [] => return None,
    };
    let watch = query.split('&').any(|kv| kv == "watch=true" || kv == "watch=1");
    let verb = match method {
        "GET" if watch => "watch",
        "GET" if named => "get",
        "GET" => "list",
        "POST" => "create",
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" if named => "delete",
        "DELETE" => "deletecollection",
        _ => return None,
    };
    Some((verb, sub.map_or_else(|| resource.to_owned(), |s| format!("{resource}/{s}"))))
}

pub(crate) async fn count(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let uri = request.uri();
    if let Some((verb, resource)) = classify(request.method().as_str(), uri.path(), uri.query().unwrap_or("")) {
        shared.requests.add(verb, resource);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::classify;

    #[test]
    fn paths_map_to_verbs_and_resources() {
        let c = |m, p, q| classify(m, p, q).map(|(v, r)| format!("{v} {r}"));
        assert_eq!(c("GET", "/apis/flagger.app/v1beta1/namespaces/test/canaries", ""), Some("list canaries".into()));
        assert_eq!(c("GET", "/apis/flagger.app/v1beta1/canaries", "watch=true&rv=1"), Some("watch canaries".into()));
        assert_eq!(c("GET", "/api/v1/namespaces/test/services/podinfo", ""), Some("get services".into()));
        assert_eq!(
            c("PATCH", "/apis/flagger.app/v1beta1/namespaces/test/canaries/podinfo/status", "fieldManager=x"),
            Some("patch canaries/status".into())
        );
        assert_eq!(c("POST", "/api/v1/namespaces/test/events", ""), Some("create events".into()));
        assert_eq!(c("GET", "/api/v1/namespaces/test", ""), Some("get namespaces".into()));
        assert_eq!(c("DELETE", "/api/v1/namespaces/test/pods", ""), Some("deletecollection pods".into()));
        assert_eq!(c("GET", "/apis/apps/v1", ""), None, "discovery");
        assert_eq!(c("GET", "/metrics", ""), None);
    }
}
