//! Tag pages as Docker Hub serves them (`?n=&last=`, `Link: <…>; rel="next"`); distribution
//! 2.8 does not paginate, so a fake serves them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{Query, State};
use axum::http::header::LINK;
use axum::response::IntoResponse;
use axum::routing::get;
use glidepath_oci::{Cause, Credentials, Repository};
use serde::Deserialize;

use crate::support::{client, serve};

#[derive(Deserialize)]
struct Page {
    n: Option<usize>,
    last: Option<String>,
}

#[derive(Clone)]
struct Fake {
    tags: Arc<Vec<String>>,
    requests: Arc<AtomicUsize>,
    /// Link targets: "relative", "absolute" (this server) or "foreign" (another host).
    links: &'static str,
    base: Arc<std::sync::OnceLock<String>>,
}

async fn tags_page(State(fake): State<Fake>, Query(page): Query<Page>) -> impl IntoResponse {
    fake.requests.fetch_add(1, Ordering::SeqCst);
    let n = page.n.unwrap_or(100).min(1000);
    let start = page.last.map_or(0, |last| fake.tags.partition_point(|t| *t <= last));
    let slice = &fake.tags[start..(start + n).min(fake.tags.len())];
    let mut headers = axum::http::HeaderMap::new();
    if start + n < fake.tags.len() {
        let path = format!("/v2/x/tags/list?last={}&n={n}", slice[slice.len() - 1]);
        let target = match fake.links {
            "relative" => path,
            "absolute" => format!("http://{}{path}", fake.base.get().unwrap()),
            _ => format!("http://example.invalid{path}"),
        };
        headers.insert(LINK, format!("<{target}>; rel=\"next\"").parse().unwrap());
    }
    (headers, axum::Json(serde_json::json!({"name": "x", "tags": slice})))
}

async fn fake(links: &'static str) -> (Repository, Fake) {
    let tags: Vec<String> = (0..10_000).map(|i| format!("v{i:05}")).collect();
    let fake = Fake { tags: Arc::new(tags), requests: Arc::default(), links, base: Arc::default() };
    let router = axum::Router::new().route("/v2/x/tags/list", get(tags_page)).with_state(fake.clone());
    let addr = serve(router).await.to_string();
    fake.base.set(addr.clone()).unwrap();
    (Repository { registry: addr, name: "x".into() }, fake)
}

#[tokio::test]
async fn ten_thousand_tags_in_pages_of_the_requested_size() {
    let (repo, fake) = fake("relative").await;
    let tags = client(Credentials::Anonymous).list_tags(&repo, Some(1000)).await.unwrap();
    assert_eq!(tags, *fake.tags);
    assert_eq!(fake.requests.load(Ordering::SeqCst), 10);
}

#[tokio::test]
async fn absolute_links_and_the_servers_default_page_size() {
    let (repo, fake) = fake("absolute").await;
    let tags = client(Credentials::Anonymous).list_tags(&repo, None).await.unwrap();
    assert_eq!(tags.len(), 10_000);
    assert_eq!(tags, *fake.tags);
    assert_eq!(fake.requests.load(Ordering::SeqCst), 100);
}

#[tokio::test]
async fn a_next_page_on_another_host_is_not_followed() {
    let (repo, fake) = fake("foreign").await;
    let err = client(Credentials::Anonymous).list_tags(&repo, Some(10)).await.unwrap_err();
    assert!(matches!(err.cause(), Some(Cause::InvalidResponse(_))), "{err:?}");
    assert_eq!(fake.requests.load(Ordering::SeqCst), 1);
}
