//! Receivers (`notification.toolkit.fluxcd.io/v1`): the reconciler gives each one its secret
//! `status.webhookPath`, and a verified call to that path sets `reconcile.fluxcd.io/requestedAt`
//! on every resource it names (any change of the value is the trigger, as in Flux).

use std::collections::BTreeMap;

use glidepath_api::flux::notification::{Receiver, ReceiverResource, ReceiverStatus};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};

use super::verify::{self, VERIFIED_TYPES};

pub use crate::sync::git::REQUESTED_AT;

/// What a Receiver's status should say, decided from its spec and its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub ready: bool,
    pub reason: &'static str,
    pub message: String,
    pub webhook_path: Option<String>,
}

/// Decide a Receiver's status (pure): an unsupported type, a CEL expression that does not
/// compile or a missing token make it not Ready and clear its path.
pub fn decide(receiver: &Receiver, token: Option<&str>) -> Verdict {
    let not_ready = |reason, message: String| Verdict { ready: false, reason, message, webhook_path: None };
    let spec = &receiver.spec;
    if !VERIFIED_TYPES.contains(&spec.r#type.as_str()) {
        return not_ready(
            "UnsupportedType",
            format!(
                "spec.type: receiver type {:?} is not supported; supported: {}",
                spec.r#type,
                VERIFIED_TYPES.join(", ")
            ),
        );
    }
    let filters = spec.resource_filter.iter().map(|f| ("spec.resourceFilter".to_owned(), f)).chain(
        spec.resources
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.filter.as_ref().map(|f| (format!("spec.resources[{i}].filter"), f))),
    );
    for (field, text) in filters {
        if let Err(e) = glidepath_cel::Expr::compile(text) {
            return not_ready("InvalidCELExpression", format!("{field}: {e}"));
        }
    }
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        let name = spec.secret_ref.as_ref().map(|r| r.name.as_str()).unwrap_or_default();
        return not_ready("TokenNotFound", format!("unable to read token from secret '{name}': key 'token' not found"));
    };
    let path = verify::webhook_path(token, &receiver.name_any(), &receiver.namespace().unwrap_or_default());
    Verdict {
        ready: true,
        reason: "Succeeded",
        message: format!("Receiver initialized for path: {path}"),
        webhook_path: Some(path),
    }
}

/// The `token` of a Receiver's Secret, from the cache.
pub fn token(secrets: &Store<Secret>, receiver: &Receiver) -> Option<String> {
    let r = receiver.spec.secret_ref.as_ref()?;
    token_of(&*secrets.get(&ObjectRef::new(&r.name).within(&receiver.namespace().unwrap_or_default()))?)
}

/// The `token` key of a Secret, trimmed.
pub fn token_of(secret: &Secret) -> Option<String> {
    let bytes = secret.data.as_ref().and_then(|d| d.get("token"))?;
    Some(String::from_utf8_lossy(&bytes.0).trim().to_owned())
}

/// Write the status for `verdict`, keeping the condition's transition time when unchanged.
pub async fn write_status(client: &Client, receiver: &Receiver, verdict: &Verdict, now: Timestamp) -> kube::Result<()> {
    let status = receiver.status.clone().unwrap_or_default();
    let generation = receiver.metadata.generation.unwrap_or(0);
    let old = status.conditions.iter().flatten().find(|c| c.type_ == "Ready");
    let value = if verdict.ready { "True" } else { "False" };
    let same = old.is_some_and(|c| c.status == value && c.reason == verdict.reason && c.message == verdict.message);
    if same && status.observed_generation == Some(generation) && status.webhook_path == verdict.webhook_path {
        return Ok(());
    }
    let condition = Condition {
        type_: "Ready".into(),
        status: value.into(),
        reason: verdict.reason.into(),
        message: verdict.message.clone(),
        observed_generation: Some(generation),
        last_transition_time: old.filter(|c| c.status == value).map_or(Time(now), |c| c.last_transition_time.clone()),
    };
    let next = ReceiverStatus {
        conditions: Some(vec![condition]),
        observed_generation: Some(generation),
        webhook_path: verdict.webhook_path.clone(),
        ..status
    };
    let api: Api<Receiver> = Api::namespaced(client.clone(), &receiver.namespace().unwrap_or_default());
    let patch = json!({"apiVersion": "notification.toolkit.fluxcd.io/v1", "kind": "Receiver", "status": next});
    api.patch_status(
        &receiver.name_any(),
        &PatchParams::apply(crate::sync::STATUS_MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await?;
    Ok(())
}

/// The apiVersion of a resource reference: explicit, or the served version of the kind.
/// (Flux knows no default for Kustomization and HelmRelease; their v1 and v2 are the only
/// versions served, so Glidepath defaults them too.)
pub fn api_version(r: &ReceiverResource) -> Option<String> {
    if let Some(v) = r.api_version.as_ref().filter(|v| !v.is_empty()) {
        return Some(v.clone());
    }
    Some(
        match r.kind.as_str() {
            "GitRepository" | "Bucket" | "HelmChart" | "HelmRepository" | "OCIRepository" => {
                "source.toolkit.fluxcd.io/v1"
            }
            "ExternalArtifact" | "ArtifactGenerator" => "source.toolkit.fluxcd.io/v1",
            "ImageRepository" | "ImagePolicy" | "ImageUpdateAutomation" => "image.toolkit.fluxcd.io/v1",
            "Kustomization" => "kustomize.toolkit.fluxcd.io/v1",
            "HelmRelease" => "helm.toolkit.fluxcd.io/v2",
            _ => return None,
        }
        .to_owned(),
    )
}

/// Request a reconcile of every resource of `receiver` that passes its filters; returns the
/// objects annotated, or the first failure.
pub async fn request_reconciles(
    client: &Client,
    receiver: &Receiver,
    body: &Value,
    now: Timestamp,
) -> Result<Vec<String>, String> {
    let env = glidepath_cel::Env::new();
    let compile = |t: &Option<String>| t.as_deref().map(glidepath_cel::Expr::compile).transpose();
    let global = compile(&receiver.spec.resource_filter).map_err(|e| e.to_string())?;
    let receiver_ns = receiver.namespace().unwrap_or_default();
    let mut done = Vec::new();
    for r in &receiver.spec.resources {
        let own = compile(&r.filter).map_err(|e| e.to_string())?;
        let version = api_version(r).ok_or_else(|| format!("{}: no apiVersion known; set it", r.kind))?;
        let (group, ver) = version.rsplit_once('/').unwrap_or(("", &version));
        let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(group, ver, &r.kind));
        let ns = r.namespace.clone().unwrap_or_else(|| receiver_ns.clone());
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &resource);
        let objects = if r.name == "*" {
            let labels: Vec<String> = r.match_labels.iter().flatten().map(|(k, v)| format!("{k}={v}")).collect();
            let lp = ListParams::default().labels(&labels.join(","));
            api.list(&lp).await.map_err(|e| format!("list {}: {e}", r.kind))?.items
        } else {
            match api.get_opt(&r.name).await.map_err(|e| format!("get {}: {e}", r.kind))? {
                Some(o) => vec![o],
                None => return Err(format!("{} {ns}/{} not found", r.kind, r.name)),
            }
        };
        for obj in objects {
            let res = json!({"metadata": serde_json::to_value(&obj.metadata).unwrap_or_default(),
                "kind": r.kind, "apiVersion": version});
            let vars: [(&str, &Value); 2] = [("res", &res), ("req", body)];
            // A filter that does not evaluate to true (false, or an error such as a missing
            // key in the body) skips the resource.
            let passes = global.iter().chain(own.iter()).all(|e| env.eval_bool(e, &vars).unwrap_or(false));
            if !passes {
                continue;
            }
            let name = obj.name_any();
            let patch = json!({"metadata": {"annotations": {REQUESTED_AT: now.to_string()}}});
            api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map_err(|e| format!("annotate {} {ns}/{name}: {e}", r.kind))?;
            done.push(format!("{}/{ns}/{name}", r.kind));
        }
    }
    Ok(done)
}

/// The Receivers by webhook path: path → (namespace, name).
pub fn index(receivers: &Store<Receiver>) -> BTreeMap<String, (String, String)> {
    receivers
        .state()
        .iter()
        .filter_map(|r| {
            let path = r.status.as_ref()?.webhook_path.clone().filter(|p| !p.is_empty())?;
            Some((path, (r.namespace().unwrap_or_default(), r.name_any())))
        })
        .collect()
}
