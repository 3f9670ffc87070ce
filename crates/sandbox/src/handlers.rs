//! Resource endpoints: URL parsing (`/api/v1/...`, `/apis/<group>/<version>/...`) and the verb
//! dispatch onto the store.

use std::borrow::Cow;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::gc::{DeleteOptions, Propagation};
use crate::http::{Query, View, json_response, parse_body, parse_json, with_warnings};
use crate::meta;
use crate::resource::ResourceInfo;
use crate::server::Shared;
use crate::store::{JsonCell, Part, Written, json_of};

/// What a resource URL names.
#[derive(Debug, Clone)]
enum Target {
    Collection { info: Arc<ResourceInfo>, ns: Option<String> },
    Item { info: Arc<ResourceInfo>, ns: String, name: String, sub: Option<String> },
}

/// Entry point for every URL not served by a fixed route.
pub async fn dispatch(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let method = req.method().clone();
    let uri = req.uri().clone();
    match handle(shared, req).await {
        Ok(resp) => {
            tracing::debug!(%method, %uri, code = resp.status().as_u16(), "request");
            resp
        }
        Err(e) => {
            tracing::debug!(%method, %uri, code = e.code, reason = e.reason, message = %e.message, "request failed");
            e.into_response()
        }
    }
}

async fn handle(shared: Arc<Shared>, req: Request) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let query = Query::parse(parts.uri.query());
    let segs: Vec<&str> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    let (group, version, rest): (&str, &str, &[&str]) = match segs.as_slice() {
        ["api", "v1", rest @ ..] => ("", "v1", rest),
        ["apis", g] => {
            return if parts.method == Method::GET {
                crate::discovery::api_group(&shared, g)
            } else {
                Err(ApiError::method_not_allowed())
            };
        }
        ["apis", g, v, rest @ ..] => (g, v, rest),
        _ => return Err(ApiError::no_route()),
    };
    if rest.is_empty() {
        return if parts.method == Method::GET {
            crate::discovery::resource_list(&shared, group, version)
        } else {
            Err(ApiError::method_not_allowed())
        };
    }
    let target = resolve(&shared, group, version, rest)?;
    let limit = shared.config.max_body_bytes;
    let declared =
        parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::too_large(limit));
    }
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| ApiError::too_large(limit))?;
    if matches!(parts.method, Method::POST | Method::PUT) && !bytes.is_empty() {
        let ct = crate::http::content_type(&parts.headers);
        if !matches!(ct.as_str(), "application/json" | "application/yaml" | "application/vnd.kubernetes.protobuf" | "")
        {
            return Err(ApiError::unsupported_media_type(format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, \
                 application/yaml; got {ct:?}"
            )));
        }
    }
    let method = parts.method.clone();
    let headers = parts.headers;
    match target {
        Target::Collection { info, ns } => collection(&shared, &method, &headers, &query, &info, ns, &bytes).await,
        Target::Item { info, ns, name, sub } => {
            item(&shared, &method, &headers, &query, &info, &ns, &name, sub, &bytes)
        }
    }
}

fn resolve(shared: &Shared, group: &str, version: &str, rest: &[&str]) -> Result<Target, ApiError> {
    let store = shared.lock();
    let find = |plural: &str| store.registry.get(group, version, plural).ok_or_else(ApiError::no_route);
    let namespaced_path = rest.first() == Some(&"namespaces") && rest.len() >= 3;
    // `/namespaces/<ns>/status` and `/finalize` are subresources of the namespace itself.
    let namespace_sub = group.is_empty() && rest.len() == 3 && matches!(rest[2], "status" | "finalize");
    if namespaced_path && !namespace_sub {
        let ns = rest[1].to_owned();
        let info = find(rest[2])?;
        if !info.namespaced {
            return Err(ApiError::no_route());
        }
        return match &rest[3..] {
            [] => Ok(Target::Collection { info, ns: Some(ns) }),
            [name] => Ok(Target::Item { info, ns, name: (*name).to_owned(), sub: None }),
            [name, sub] => Ok(Target::Item { info, ns, name: (*name).to_owned(), sub: Some((*sub).to_owned()) }),
            _ => Err(ApiError::no_route()),
        };
    }
    let info = find(rest[0])?;
    match &rest[1..] {
        [] => Ok(Target::Collection { info, ns: None }),
        [name] if !info.namespaced => Ok(Target::Item { info, ns: String::new(), name: (*name).to_owned(), sub: None }),
        [name, sub] if !info.namespaced => {
            Ok(Target::Item { info, ns: String::new(), name: (*name).to_owned(), sub: Some((*sub).to_owned()) })
        }
        _ => Err(ApiError::no_route()),
    }
}

fn list_kind(info: &ResourceInfo) -> String {
    format!("{}List", info.kind)
}

/// Sets `apiVersion` to the requested version (custom resources served in several versions).
pub(crate) fn present(info: &ResourceInfo, obj: &Value) -> Value {
    present_cow(info, obj).into_owned()
}

/// Like [`present`], without copying objects already in the requested version.
pub(crate) fn present_cow<'a>(info: &ResourceInfo, obj: &'a Value) -> Cow<'a, Value> {
    if let Some(converted) = crate::convert::from_storage(info, obj) {
        return Cow::Owned(converted);
    }
    let want = info.api_version();
    if obj.get("apiVersion").and_then(Value::as_str) == Some(want.as_str()) {
        return Cow::Borrowed(obj);
    }
    let mut v = obj.clone();
    if let Some(m) = v.as_object_mut() {
        m.insert("apiVersion".to_owned(), json!(want));
    }
    Cow::Owned(v)
}

/// A list response: the items' shared JSON (`json`, parallel to `items`, may be empty) is
/// concatenated, so a LIST serializes only objects that changed since they were last sent.
fn list_response(info: &ResourceInfo, metadata: Value, items: &[Arc<Value>], json: &[JsonCell]) -> Response {
    let encoded: Vec<Cow<'_, [u8]>> = items
        .iter()
        .enumerate()
        .map(|(i, obj)| match (present_cow(info, obj), json.get(i)) {
            (Cow::Borrowed(_), Some(cell)) => Cow::Borrowed(&json_of(cell, obj)[..]),
            (view, _) => Cow::Owned(serde_json::to_vec(&*view).unwrap_or_default()),
        })
        .collect();
    let head = json!({"kind": list_kind(info), "apiVersion": info.api_version(), "metadata": metadata});
    let mut out = serde_json::to_vec(&head).unwrap_or_default();
    out.pop(); // the closing brace; `items` follows
    out.reserve(encoded.iter().map(|e| e.len() + 1).sum::<usize>() + 16);
    out.extend_from_slice(b",\"items\":[");
    for (i, e) in encoded.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(e);
    }
    out.extend_from_slice(b"]}");
    bytes_response(StatusCode::OK, Bytes::from(out))
}

fn bytes_response(code: StatusCode, bytes: Bytes) -> Response {
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = code;
    resp.headers_mut().insert(header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"));
    resp
}

async fn collection(
    shared: &Arc<Shared>,
    method: &Method,
    headers: &HeaderMap,
    query: &Query,
    info: &Arc<ResourceInfo>,
    ns: Option<String>,
    body: &[u8],
) -> Result<Response, ApiError> {
    let view = crate::http::view(headers, query);
    match *method {
        Method::GET if query.flag("watch") => crate::watch::serve(shared.clone(), info.clone(), ns, query, view).await,
        Method::GET => {
            let sel = query.selectors(info)?;
            let limit = query.number("limit")?.and_then(|n| usize::try_from(n).ok());
            let result = shared.lock().list(info, ns.as_deref(), &sel, limit, query.get("continue"))?;
            let mut list_meta = json!({"resourceVersion": result.rv.to_string()});
            if let (Some(token), Some(m)) = (&result.continue_token, list_meta.as_object_mut()) {
                m.insert("continue".to_owned(), json!(token));
                m.insert("remainingItemCount".to_owned(), json!(result.remaining.unwrap_or(0)));
            }
            match view {
                View::Table(include) => {
                    Ok(json_response(StatusCode::OK, &crate::table::render(info, &result.items, include, list_meta)))
                }
                View::Metadata => {
                    let items: Vec<Value> = result.items.iter().map(|o| crate::table::partial_metadata(o)).collect();
                    let list = json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                        "metadata": list_meta, "items": items});
                    Ok(json_response(StatusCode::OK, &list))
                }
                View::Object => Ok(list_response(info, list_meta, &result.items, &result.json)),
            }
        }
        Method::POST => {
            let Some(ns) = ns.or_else(|| (!info.namespaced).then(String::new)) else {
                return Err(ApiError::method_not_allowed());
            };
            let mut obj = parse_body(headers, body)?;
            let (manager, api_version, time) = (field_manager(query, headers), info.api_version(), now());
            crate::patch::record_update(info, None, &mut obj, &writer(&manager, &api_version, &time, None));
            let obj = crate::convert::to_storage(info, obj);
            let opts = query.write_options()?;
            let mut store = shared.lock();
            let storage = store.registry.storage_of(info);
            let created = store.create(&storage, &ns, obj, &opts)?;
            drop(store);
            Ok(respond_written(StatusCode::CREATED, info, &created, view))
        }
        Method::DELETE if info.verbs.iter().any(|v| v == "deletecollection") => {
            let sel = query.selectors(info)?;
            let opts = delete_options(query, body)?;
            let deleted = shared.lock().delete_collection(info, ns.as_deref(), &sel, &opts)?;
            let rv = shared.lock().current_rv();
            Ok(list_response(info, json!({"resourceVersion": rv.to_string()}), &deleted, &[]))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// The answer to a write: the committed object's shared JSON when it needs no conversion.
fn respond_written(code: StatusCode, info: &ResourceInfo, written: &Written, view: View) -> Response {
    let response = match (&written.json, view) {
        (Some(cell), View::Object) if matches!(present_cow(info, &written.object), Cow::Borrowed(_)) => {
            bytes_response(code, json_of(cell, &written.object).clone())
        }
        _ => respond(code, info, &written.object, view),
    };
    with_warnings(response, &written.warnings)
}

fn respond(code: StatusCode, info: &ResourceInfo, obj: &Value, view: View) -> Response {
    match view {
        View::Table(include) => {
            let rv = meta::resource_version(obj).to_owned();
            let t = crate::table::render(info, &[Arc::new(obj.clone())], include, json!({"resourceVersion": rv}));
            json_response(code, &t)
        }
        View::Metadata => json_response(code, &crate::table::partial_metadata(obj)),
        View::Object => json_response(code, &present(info, obj)),
    }
}

#[allow(clippy::too_many_arguments)]
fn item(
    shared: &Arc<Shared>,
    method: &Method,
    headers: &HeaderMap,
    query: &Query,
    info: &Arc<ResourceInfo>,
    ns: &str,
    name: &str,
    sub: Option<String>,
    body: &[u8],
) -> Result<Response, ApiError> {
    let view = crate::http::view(headers, query);
    let part = match sub.as_deref() {
        None => Part::Main,
        Some("status") if info.status => Part::Status,
        Some("scale") if info.scale.is_some() => {
            return crate::scale::handle(shared, method, headers, query, info, ns, name, body);
        }
        Some(_) => return Err(ApiError::no_route()),
    };
    match *method {
        Method::GET => {
            let obj = shared.lock().get(info, ns, name)?;
            Ok(respond(StatusCode::OK, info, &obj, view))
        }
        Method::PUT => {
            let obj = parse_body(headers, body)?;
            let opts = query.write_options()?;
            let (manager, api_version, time) = (field_manager(query, headers), info.api_version(), now());
            let prepare = |current: Option<&Arc<Value>>| {
                let mut obj = obj.clone();
                if matches!(part, Part::Main | Part::Status)
                    && let Some(current) = current
                {
                    let w = writer(&manager, &api_version, &time, (part == Part::Status).then_some("status"));
                    crate::patch::record_update(info, Some(&present_cow(info, current)), &mut obj, &w);
                }
                Ok(crate::convert::to_storage(info, obj))
            };
            let updated = write_prepared(shared, info, ns, name, prepare, |store, obj| {
                let storage = store.registry.storage_of(info);
                store.update(&storage, ns, name, obj, part, &opts)
            })?;
            Ok(respond_written(StatusCode::OK, info, &updated, view))
        }
        Method::PATCH => {
            let opts = query.write_options()?;
            let content_type = crate::http::content_type(headers);
            let patch = crate::patch::Patch::parse(&content_type, body)?;
            if let crate::patch::Patch::Apply(config) = &patch {
                return apply_patch(shared, query, info, ns, name, part, config, view);
            }
            if info.custom && matches!(patch, crate::patch::Patch::Strategic(_)) {
                return Err(ApiError::unsupported_media_type(
                    "the body of the request was in an unknown format - accepted media types include: \
                     application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml \
                     (strategic merge patch is not supported for custom resources)",
                ));
            }
            let (manager, api_version, time) = (field_manager(query, headers), info.api_version(), now());
            let prepare = |stored: Option<&Arc<Value>>| {
                let Some(stored) = stored else { return Err(ApiError::not_found(&info.group, &info.plural, name)) };
                let current = present_cow(info, stored);
                let mut patched = patch.apply(&current)?;
                if matches!(part, Part::Main | Part::Status) {
                    let w = writer(&manager, &api_version, &time, (part == Part::Status).then_some("status"));
                    crate::patch::record_update(info, Some(&current), &mut patched, &w);
                }
                Ok(crate::convert::to_storage(info, patched))
            };
            let updated = write_prepared(shared, info, ns, name, prepare, |store, patched| {
                let storage = store.registry.storage_of(info);
                store.update(&storage, ns, name, patched, part, &opts)
            })?;
            Ok(respond_written(StatusCode::OK, info, &updated, view))
        }
        Method::DELETE if part == Part::Main => {
            let opts = delete_options(query, body)?;
            let mut store = shared.lock();
            let deleted = store.delete(info, ns, name, &opts)?;
            let pending = store.lookup(&info.id(), ns, name).is_some_and(|o| meta::uid(&o) == meta::uid(&deleted));
            drop(store);
            Ok(delete_response(info, &deleted, pending && !opts.dry_run, &opts))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// An update in two steps: `prepare` (patching, managedFields: the costly part) runs on the
/// current object outside the store lock, `write` commits under it if the object is still the
/// one prepared against. After a few lost races the last attempt prepares under the lock, so a
/// hot object never starves a writer.
fn write_prepared<T>(
    shared: &Shared,
    info: &ResourceInfo,
    ns: &str,
    name: &str,
    prepare: impl Fn(Option<&Arc<Value>>) -> Result<T, ApiError>,
    write: impl FnOnce(&mut crate::store::Store, T) -> Result<Written, ApiError>,
) -> Result<Written, ApiError> {
    for _ in 0..3 {
        let before = shared.lock().get(info, ns, name).ok();
        let prepared = prepare(before.as_ref())?;
        let mut store = shared.lock();
        let after = store.get(info, ns, name).ok();
        let unchanged = match (&before, &after) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        if unchanged {
            return write(&mut store, prepared);
        }
    }
    let mut store = shared.lock();
    let current = store.get(info, ns, name).ok();
    let prepared = prepare(current.as_ref())?;
    write(&mut store, prepared)
}

/// The manager of a write: `fieldManager`, else the client's User-Agent product, as
/// kube-apiserver does.
fn field_manager(query: &Query, headers: &HeaderMap) -> String {
    if let Some(m) = query.get("fieldManager").filter(|m| !m.is_empty()) {
        return m.to_owned();
    }
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .and_then(|ua| ua.split('/').next())
        .filter(|p| !p.is_empty())
        .unwrap_or("unknown")
        .to_owned()
}

fn now() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn writer<'a>(
    manager: &'a str,
    api_version: &'a str,
    time: &'a str,
    subresource: Option<&'a str>,
) -> glidepath_ssa::Writer<'a> {
    glidepath_ssa::Writer { manager, api_version, time, subresource }
}

/// `application/apply-patch+yaml`: server-side apply; creates the object when it is missing.
#[allow(clippy::too_many_arguments)]
fn apply_patch(
    shared: &Arc<Shared>,
    query: &Query,
    info: &Arc<ResourceInfo>,
    ns: &str,
    name: &str,
    part: Part,
    config: &Value,
    view: View,
) -> Result<Response, ApiError> {
    let Some(manager) = query.get("fieldManager").filter(|m| !m.is_empty()).map(str::to_owned) else {
        return Err(ApiError::unprocessable("PATCH: fieldManager is required for apply requests"));
    };
    let force = query.flag("force");
    let opts = query.write_options()?;
    let (api_version, time) = (info.api_version(), now());
    let sub = (part == Part::Status).then_some("status");
    let w = writer(&manager, &api_version, &time, sub);
    let mut store = shared.lock();
    let current = store.get(info, ns, name).ok().map(|c| present(info, &c));
    let mut merged = crate::patch::server_side_apply(info, current.as_ref(), config, &w, force, name)?;
    if let Some(meta) = merged.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("name".into(), json!(name));
        if info.namespaced {
            meta.insert("namespace".into(), json!(ns));
        }
    }
    let storage = store.registry.storage_of(info);
    let (code, written) = if current.is_some() {
        (StatusCode::OK, store.update(&storage, ns, name, crate::convert::to_storage(info, merged), part, &opts)?)
    } else {
        if part == Part::Status {
            return Err(ApiError::not_found(&info.group, &info.plural, name));
        }
        (StatusCode::CREATED, store.create(&storage, ns, crate::convert::to_storage(info, merged), &opts)?)
    };
    drop(store);
    Ok(respond_written(code, info, &written, view))
}

/// kube-apiserver's DELETE answer: 202 with the object when deletion waits (finalizers or
/// foreground) and a propagation policy was given, 200 otherwise; an object removed at once is
/// returned for custom resources and as a `Status` success for built-in kinds.
fn delete_response(info: &ResourceInfo, deleted: &Value, pending: bool, opts: &DeleteOptions) -> Response {
    let explicit = matches!(opts.propagation, Some(Propagation::Foreground | Propagation::Background));
    if pending {
        let code = if explicit { StatusCode::ACCEPTED } else { StatusCode::OK };
        return json_response(code, &present(info, deleted));
    }
    if info.custom || opts.dry_run {
        return json_response(StatusCode::OK, &present(info, deleted));
    }
    let mut details = json!({"name": meta::name(deleted), "kind": info.plural, "uid": meta::uid(deleted)});
    if !info.group.is_empty()
        && let Some(m) = details.as_object_mut()
    {
        m.insert("group".to_owned(), json!(info.group));
    }
    let status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details});
    json_response(StatusCode::OK, &status)
}

/// Merges `DeleteOptions` from the query and an optional JSON body.
fn delete_options(query: &Query, body: &[u8]) -> Result<DeleteOptions, ApiError> {
    let mut opts = DeleteOptions { dry_run: query.dry_run()?, ..DeleteOptions::default() };
    if let Some(p) = query.get("propagationPolicy").filter(|p| !p.is_empty()) {
        opts.propagation = Some(Propagation::parse(p)?);
    }
    if query.get("orphanDependents") == Some("true") {
        opts.propagation = Some(Propagation::Orphan);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(opts);
    }
    let v = parse_json(body)?;
    if let Some(p) = v.get("propagationPolicy").and_then(Value::as_str) {
        opts.propagation = Some(Propagation::parse(p)?);
    }
    if v.get("orphanDependents").and_then(Value::as_bool) == Some(true) {
        opts.propagation = Some(Propagation::Orphan);
    }
    if let Some(dry) = v.get("dryRun").and_then(Value::as_array) {
        opts.dry_run |= dry.iter().any(|d| d.as_str() == Some("All"));
    }
    opts.precondition_uid = v.pointer("/preconditions/uid").and_then(Value::as_str).map(str::to_owned);
    opts.precondition_rv = v.pointer("/preconditions/resourceVersion").and_then(Value::as_str).map(str::to_owned);
    Ok(opts)
}

pub(crate) fn empty_ok() -> Response {
    let mut r = Response::new(Body::from("ok"));
    *r.status_mut() = StatusCode::OK;
    r
}
