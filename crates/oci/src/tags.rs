//! `GET /v2/<name>/tags/list`, following `Link: <…>; rel="next"` pages as
//! go-containerregistry's `remote.List` does (relative links resolved against the request URL).

use std::collections::HashSet;

use reqwest::StatusCode;
use reqwest::header::LINK;
use serde::Deserialize;
use tracing::Instrument as _;

use crate::client::{Action, Call, Client, read_limited, record_outcome};
use crate::error::{Cause, OciError};
use crate::reference::Repository;

/// Largest page read.
const MAX_PAGE: u64 = 32 << 20;
/// Most pages followed (a registry paging in circles or by one tag).
const MAX_PAGES: usize = 100_000;

#[derive(Deserialize)]
struct TagList {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

impl Client {
    /// Every tag of `repo`, in the registry's order, across all pages. `page_size` is sent as
    /// `n` (registries may ignore it; distribution 2.8 does).
    pub async fn list_tags(&self, repo: &Repository, page_size: Option<u32>) -> Result<Vec<String>, OciError> {
        let call = Call { action: Action::ListTags, repo, reference: "" };
        let span = call.span();
        let result = self.list_tags_inner(&call, page_size).instrument(span.clone()).await;
        record_outcome(&span, &result);
        result
    }

    async fn list_tags_inner(&self, call: &Call<'_>, page_size: Option<u32>) -> Result<Vec<String>, OciError> {
        let mut url = self.url(call, "tags/list")?;
        if let Some(n) = page_size {
            url.query_pairs_mut().append_pair("n", &n.to_string());
        }
        let mut tags = Vec::new();
        let mut seen = HashSet::new();
        loop {
            if !seen.insert(url.clone()) || seen.len() > MAX_PAGES {
                return Err(call.error(Cause::InvalidResponse("the tag pages do not end".into()), None));
            }
            let page_url = url.clone();
            let response = self.send(call, |http| http.get(page_url.clone())).await?;
            let response = Client::check(call, response, &[StatusCode::OK]).await?;
            let next = next_link(&response, &url).map_err(|what| call.error(Cause::InvalidResponse(what), None))?;
            let body = read_limited(response, MAX_PAGE).await.map_err(|(c, s)| call.error(c, s))?;
            let page: TagList = serde_json::from_slice(&body).map_err(|e| {
                call.error(Cause::InvalidResponse("the tag list is not JSON".into()), Some(Box::new(e)))
            })?;
            tags.extend(page.tags.unwrap_or_default());
            match next {
                Some(next) => url = next,
                None => return Ok(tags),
            }
        }
    }
}

/// The `rel="next"` target of the response's Link header, resolved against `base`; it must
/// stay on the same origin (the registry's credentials go with it).
fn next_link(response: &reqwest::Response, base: &url::Url) -> Result<Option<url::Url>, String> {
    let Some(header) = response.headers().get(LINK) else {
        return Ok(None);
    };
    let header = header.to_str().map_err(|_| "the Link header is not text".to_string())?;
    let Some(target) = parse_next(header) else {
        return Ok(None);
    };
    let next = base.join(target).map_err(|_| format!("the next-page link {target:?} is not a URL"))?;
    if next.origin() != base.origin() {
        return Err("the next-page link points at another host".into());
    }
    Ok(Some(next))
}

/// `<url>; rel="next"` among comma-separated links.
pub(crate) fn parse_next(header: &str) -> Option<&str> {
    header.split(',').find_map(|link| {
        let (target, params) = link.trim().split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let next = params.split(';').any(|p| {
            let p = p.trim().replace(' ', "");
            p == "rel=\"next\"" || p == "rel=next"
        });
        next.then_some(target)
    })
}

#[cfg(test)]
mod tests {
    use super::parse_next;

    #[test]
    fn finds_the_next_link() {
        assert_eq!(parse_next(r#"</v2/x/tags/list?last=b&n=2>; rel="next""#), Some("/v2/x/tags/list?last=b&n=2"));
        assert_eq!(parse_next(r#"<https://r/a>; rel="prev", <https://r/b>; rel="next""#), Some("https://r/b"));
        assert_eq!(parse_next(r#"</a>; rel="prev""#), None);
        assert_eq!(parse_next("garbage"), None);
    }
}
