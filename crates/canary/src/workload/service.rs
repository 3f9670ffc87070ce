//! Service targets (a `v1` Service, not Knative): there are no pods to clone, so
//! `<svc>-primary` and `<svc>-canary` are copies of the target Service (typically one without
//! a selector, fronting external or multi-cluster backends), and a promotion copies the
//! target's spec to the primary. The router then splits traffic between the two copies.

use glidepath_api::k8s_openapi::api::core::v1::Service;

use super::primary::{PrimarySettings, copy_meta};

/// A copy of `target` named `name`. Fields the API server allocates per Service (cluster IPs,
/// node ports, the health-check node port) are left out, so each copy gets its own and an
/// update never asks to change them.
pub fn service_copy(target: &Service, name: &str, s: &PrimarySettings<'_>) -> Service {
    let mut spec = target.spec.clone().unwrap_or_default();
    spec.cluster_ip = None;
    spec.cluster_ips = None;
    spec.health_check_node_port = None;
    for port in spec.ports.iter_mut().flatten() {
        port.node_port = None;
    }
    Service { metadata: copy_meta(&target.metadata, name, s), spec: Some(spec), status: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::configs::ConfigRefs;

    #[test]
    fn copies_keep_the_spec_but_not_what_the_server_allocates() {
        let target: Service = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "backend", "namespace": "test",
                "labels": {"app": "backend", "kustomize.toolkit.fluxcd.io/name": "apps"},
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "team": "web"}},
            "spec": {"type": "NodePort", "clusterIP": "10.0.0.7", "clusterIPs": ["10.0.0.7"],
                "ports": [{"port": 80, "nodePort": 30080, "targetPort": 8080}],
                "externalName": null, "sessionAffinity": "ClientIP"}
        }))
        .unwrap();
        let tracked = ConfigRefs::default();
        let prefixes = vec!["app".to_owned()];
        let settings = PrimarySettings {
            selector_labels: &[],
            include_label_prefixes: &prefixes,
            tracked: &tracked,
            has_autoscaler: false,
            owner: None,
        };
        let copy = serde_json::to_value(service_copy(&target, "backend-canary", &settings)).unwrap();
        assert_eq!(copy["metadata"]["name"], "backend-canary");
        assert_eq!(copy["metadata"]["labels"], serde_json::json!({"app": "backend"}), "only included prefixes");
        assert_eq!(copy["metadata"]["annotations"], serde_json::json!({"team": "web"}));
        assert_eq!(
            copy["spec"],
            serde_json::json!({"type": "NodePort", "ports": [{"port": 80, "targetPort": 8080}], "sessionAffinity": "ClientIP"})
        );
    }
}
