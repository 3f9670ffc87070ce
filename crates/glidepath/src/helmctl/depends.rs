//! `dependsOn` of HelmReleases, as helm-controller checks it: each named HelmRelease is Ready at
//! its current generation, or, with `readyExpr`, that CEL expression over `self` and `dep` holds
//! (it replaces the built-in rule, as in kustomize-controller).

use glidepath_api::flux::HelmRelease;
use kube::api::Api;
use kube::{Resource, ResourceExt};

use crate::sync::Context;

pub async fn ready(ctx: &Context, hr: &HelmRelease) -> Result<(), String> {
    let ns = hr.namespace().unwrap_or_default();
    for (i, dep) in hr.spec.depends_on.iter().flatten().enumerate() {
        let dns = dep.namespace.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| ns.clone());
        if ctx.settings.no_cross_namespace_refs && dns != ns {
            return Err(format!(
                "cannot access HelmRelease/{dns}/{}, cross-namespace references are disabled",
                dep.name
            ));
        }
        let not_ready = |why: &str| format!("dependency 'HelmRelease/{dns}/{}' is not ready: {why}", dep.name);
        let api: Api<HelmRelease> = Api::namespaced(ctx.client.clone(), &dns);
        let d = match api.get_opt(&dep.name).await {
            Ok(Some(d)) => d,
            Ok(None) => return Err(not_ready("not found")),
            Err(e) => return Err(not_ready(&e.to_string())),
        };
        if let Some(text) = dep.ready_expr.as_deref().filter(|e| !e.trim().is_empty()) {
            let expr = glidepath_cel::Expr::compile(text).map_err(|e| format!("spec.dependsOn[{i}].readyExpr: {e}"))?;
            let (me, them) =
                (serde_json::to_value(hr).unwrap_or_default(), serde_json::to_value(&d).unwrap_or_default());
            match glidepath_cel::Env::new().eval_bool(&expr, &[("self", &me), ("dep", &them)]) {
                Ok(true) => continue,
                Ok(false) => return Err(not_ready(&format!("readyExpr '{text}' is false"))),
                Err(e) => return Err(not_ready(&e.to_string())),
            }
        }
        let status = d.status.clone().unwrap_or_default();
        let is_ready = status.conditions.iter().flatten().any(|c| c.type_ == "Ready" && c.status == "True");
        if !is_ready {
            return Err(not_ready("Ready is not True"));
        }
        if status.observed_generation != d.meta().generation {
            return Err(not_ready("generation not observed yet"));
        }
    }
    Ok(())
}
