//! A loopback HTTP server that records every request and answers per path with a canned
//! status, content type and body (404 for unknown paths); `{request_body}` in a canned body is
//! replaced by the request's body, for servers that echo what they were sent.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use glidepath_analysis::AnalysisError;

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: String,
}

impl Recorded {
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A numeric query parameter.
    pub fn number(&self, key: &str) -> u128 {
        self.param(key).unwrap_or_else(|| panic!("no {key} in {:?}", self.query)).parse().unwrap()
    }
}

#[derive(Default)]
struct Inner {
    requests: Vec<Recorded>,
    answers: BTreeMap<String, (u16, String, String)>,
}

#[derive(Clone)]
pub struct Mock {
    pub address: String,
    inner: Arc<Mutex<Inner>>,
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query = url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let path = uri.path().to_owned();
    let mut inner = inner.lock().unwrap();
    let request_body = String::from_utf8_lossy(&body).into_owned();
    inner.requests.push(Recorded { method, path: path.clone(), query, headers, body: request_body.clone() });
    match inner.answers.get(&path) {
        Some((status, content_type, body)) => {
            let status = StatusCode::from_u16(*status).unwrap();
            let body = body.replace("{request_body}", &request_body);
            (status, [("content-type", content_type.clone())], body).into_response()
        }
        None => (StatusCode::NOT_FOUND, "no answer configured").into_response(),
    }
}

impl Mock {
    pub async fn start() -> Self {
        let inner: Arc<Mutex<Inner>> = Arc::default();
        let app = Router::new().fallback(handle).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { address: format!("http://{addr}"), inner }
    }

    pub fn answer(&self, path: &str, status: u16, content_type: &str, body: &str) {
        self.inner.lock().unwrap().answers.insert(path.into(), (status, content_type.into(), body.into()));
    }

    pub fn json(&self, path: &str, body: &str) {
        self.answer(path, 200, "application/json", body);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().requests.clone()
    }

    pub fn last(&self) -> Recorded {
        self.requests().pop().expect("no request recorded")
    }
}

/// No secret value in the error's message, its described causes nor its `Debug`.
pub fn assert_no_secret(err: &AnalysisError, secrets: &[&str]) {
    for text in [err.to_string(), err.describe(), format!("{err:?}")] {
        for s in secrets {
            assert!(!text.contains(s), "secret {s:?} leaked in {text:?}");
        }
    }
}

/// A 401 and a 500 whose bodies echo the secrets are `QueryHttpStatus` errors without them.
pub async fn assert_http_errors<F, Fut>(mock: &Mock, path: &str, secrets: &[&str], run: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<f64, AnalysisError>>,
{
    for status in [401u16, 500] {
        let body = format!("{{\"error\":\"rejected credentials {}\"}}", secrets.join(" "));
        mock.answer(path, status, "application/json", &body);
        let err = run().await.unwrap_err();
        assert!(matches!(err, AnalysisError::QueryHttpStatus { status: s, .. } if s == status), "{status}: {err:?}");
        assert!(err.to_string().contains(&status.to_string()), "{err}");
        assert_no_secret(&err, secrets);
    }
}
