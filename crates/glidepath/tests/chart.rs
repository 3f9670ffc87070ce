//! The Helm chart in `charts/glidepath`, rendered by Glidepath's Helm engine (`chart_render`;
//! tests/chart_monitoring.rs checks it renders as Helm 4 itself does): every document must be
//! YAML the sandbox API server accepts under `apply --dry-run=server` (kube client and
//! `kubectl`, which is required), and the RBAC rules must grant exactly the API calls the
//! controller makes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::chart_render;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use chart_render::cluster::{dry_run, kubectl_dry_run, sandbox, stream};
use chart_render::{Chart, Doc, Release};
use serde_json::{Value, json};

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn chart() -> Chart {
    Chart::load(&repo().join("charts/glidepath")).unwrap()
}

fn release() -> Release {
    Release { name: "glidepath".into(), namespace: "glidepath-system".into() }
}

fn render(overrides: Value) -> Vec<Doc> {
    chart().render(&release(), &overrides).unwrap_or_else(|e| panic!("render with {overrides}: {e}"))
}

/// (group, resource, verb) triples.
type Grants = BTreeSet<(String, String, String)>;

fn triples(list: &[(&str, &str, &[&str])]) -> Grants {
    list.iter().flat_map(|(g, r, vs)| vs.iter().map(move |v| (g.to_string(), r.to_string(), v.to_string()))).collect()
}

/// Every API call of the canary controller, from grepping crates/glidepath/src/controller:
/// - caches.rs: one reflector (list + watch) per kind in `Caches::start`, and one per routing
///   kind in `Caches::dynamic` (HTTPRoute from the gatewayapi router);
/// - mod.rs `check_crds`: list of canaries, metrictemplates, alertproviders;
/// - execute.rs `Step::apply`: server-side apply (patch; create when the object is new) of
///   Services, ConfigMaps, Secrets, Deployments, DaemonSets, HPAs, ScaledObjects and routing
///   objects; `scale_target`: merge patch of Deployments/DaemonSets and of the target's
///   ScaledObject (pause); `owner()`: ownerReferences with
///   blockOwnerDeletion, which needs update on canaries/finalizers;
/// - finalizer.rs: merge patch of canaries (finalizer) and of the target (scale back);
/// - reconcile.rs: events create + patch (counting), canaries/status patch (apply);
/// - leader.rs: leases get, create, update (replace).
const CANARY_CONTROLLER: &[(&str, &str, &[&str])] = &[
    ("flagger.app", "canaries", &["list", "watch", "patch"]),
    ("flagger.app", "canaries/status", &["patch"]),
    ("flagger.app", "canaries/finalizers", &["update"]),
    ("flagger.app", "metrictemplates", &["list", "watch"]),
    ("flagger.app", "alertproviders", &["list", "watch"]),
    ("apps", "deployments", &["list", "watch", "create", "patch"]),
    ("apps", "daemonsets", &["list", "watch", "create", "patch"]),
    ("", "services", &["list", "watch", "create", "patch"]),
    ("", "configmaps", &["list", "watch", "create", "patch"]),
    ("", "secrets", &["list", "watch", "create", "patch"]),
    ("autoscaling", "horizontalpodautoscalers", &["list", "watch", "create", "patch"]),
    ("keda.sh", "scaledobjects", &["list", "watch", "create", "patch"]),
    ("gateway.networking.k8s.io", "httproutes", &["list", "watch", "create", "patch"]),
    ("networking.istio.io", "virtualservices", &["list", "watch", "create", "patch"]),
    ("networking.istio.io", "destinationrules", &["list", "watch", "create", "patch"]),
    ("networking.k8s.io", "ingresses", &["list", "watch", "create", "patch"]),
    ("split.smi-spec.io", "trafficsplits", &["list", "watch", "create", "patch"]),
    ("projectcontour.io", "httpproxies", &["list", "watch", "create", "patch"]),
    ("traefik.io", "traefikservices", &["list", "watch", "create", "patch"]),
    ("kuma.io", "trafficroutes", &["list", "watch", "create", "patch"]),
    ("apisix.apache.org", "apisixroutes", &["list", "watch", "create", "patch"]),
    ("gloo.solo.io", "upstreams", &["list", "watch", "create", "patch"]),
    ("gateway.solo.io", "routetables", &["list", "watch", "create", "patch"]),
    ("appmesh.k8s.aws", "virtualnodes", &["list", "watch", "create", "patch"]),
    ("appmesh.k8s.aws", "virtualrouters", &["list", "watch", "create", "patch"]),
    ("appmesh.k8s.aws", "virtualservices", &["list", "watch", "create", "patch"]),
    ("serving.knative.dev", "services", &["list", "watch", "create", "patch"]),
    ("serving.knative.dev", "revisions", &["list", "watch"]),
    ("", "events", &["create", "patch"]),
];

/// leader.rs, only with replicas > 1, in the release namespace.
const LEADER_ELECTION: &[(&str, &str, &[&str])] = &[("coordination.k8s.io", "leases", &["get", "create", "update"])];

/// The Flux-style controllers: Flux's own controller RBAC for these kinds.
const GIT_CONTROLLER: &[(&str, &str, &[&str])] = &[
    ("source.toolkit.fluxcd.io", "gitrepositories", &["get", "list", "watch", "patch", "update"]),
    ("source.toolkit.fluxcd.io", "gitrepositories/status", &["get", "patch", "update"]),
    ("source.toolkit.fluxcd.io", "gitrepositories/finalizers", &["get", "patch", "update"]),
    ("source.toolkit.fluxcd.io", "ocirepositories", &["get", "list", "watch", "patch", "update"]),
    ("source.toolkit.fluxcd.io", "ocirepositories/status", &["get", "patch", "update"]),
    ("source.toolkit.fluxcd.io", "ocirepositories/finalizers", &["get", "patch", "update"]),
    ("", "secrets", &["get", "list", "watch"]),
    ("", "serviceaccounts", &["get", "list", "watch"]),
    ("", "events", &["create", "patch"]),
];
const KUSTOMIZE_CONTROLLER: &[(&str, &str, &[&str])] = &[
    ("kustomize.toolkit.fluxcd.io", "kustomizations", &["get", "list", "watch", "patch", "update"]),
    ("kustomize.toolkit.fluxcd.io", "kustomizations/status", &["get", "patch", "update"]),
    ("kustomize.toolkit.fluxcd.io", "kustomizations/finalizers", &["get", "patch", "update"]),
    ("source.toolkit.fluxcd.io", "gitrepositories", &["get", "list", "watch"]),
    ("source.toolkit.fluxcd.io", "ocirepositories", &["get"]),
    ("source.toolkit.fluxcd.io", "buckets", &["get"]),
    ("source.toolkit.fluxcd.io", "externalartifacts", &["get"]),
    ("", "events", &["create", "patch"]),
];

/// notification: Alerts/Providers/Receivers, the Secrets they name, and the Flux objects a
/// Receiver annotates (`requestedAt`) or an Alert reads labels of.
const NOTIFICATION_CONTROLLER: &[(&str, &str, &[&str])] = &[
    ("notification.toolkit.fluxcd.io", "alerts", &["list", "watch"]),
    ("notification.toolkit.fluxcd.io", "providers", &["list", "watch"]),
    ("notification.toolkit.fluxcd.io", "receivers", &["list", "watch"]),
    ("notification.toolkit.fluxcd.io", "receivers/status", &["patch"]),
    ("", "secrets", &["get", "list", "watch"]),
    ("source.toolkit.fluxcd.io", "gitrepositories", &["get", "list", "patch"]),
    ("source.toolkit.fluxcd.io", "ocirepositories", &["get", "list", "patch"]),
    ("source.toolkit.fluxcd.io", "buckets", &["get", "list", "patch"]),
    ("source.toolkit.fluxcd.io", "helmrepositories", &["get", "list", "patch"]),
    ("source.toolkit.fluxcd.io", "helmcharts", &["get", "list", "patch"]),
    ("kustomize.toolkit.fluxcd.io", "kustomizations", &["get", "list", "patch"]),
    ("helm.toolkit.fluxcd.io", "helmreleases", &["get", "list", "patch"]),
    ("image.toolkit.fluxcd.io", "imagerepositories", &["get", "list", "patch"]),
    ("image.toolkit.fluxcd.io", "imagepolicies", &["get", "list", "patch"]),
    ("image.toolkit.fluxcd.io", "imageupdateautomations", &["get", "list", "patch"]),
    ("", "events", &["create", "patch"]),
];

fn of_kind<'a>(docs: &'a [Doc], kind: &str) -> Vec<&'a Value> {
    docs.iter().map(|d| &d.obj).filter(|o| o["kind"] == kind).collect()
}

fn kinds(docs: &[Doc]) -> Vec<String> {
    docs.iter().map(|d| d.obj["kind"].as_str().unwrap().to_owned()).collect()
}

/// What the Roles/ClusterRoles bound to the controller's ServiceAccount grant, with the scope
/// ("" cluster-wide, else the namespace). Fails on a wildcard or a rule bound to nobody.
fn granted(docs: &[Doc]) -> BTreeSet<(String, String, String, String)> {
    let sa = json!({"kind": "ServiceAccount", "name": "glidepath", "namespace": "glidepath-system"});
    let mut out = BTreeSet::new();
    for role in docs.iter().map(|d| &d.obj).filter(|o| o["kind"] == "Role" || o["kind"] == "ClusterRole") {
        let name = &role["metadata"]["name"];
        let bound = docs.iter().map(|d| &d.obj).any(|b| {
            b["kind"].as_str().is_some_and(|k| k.ends_with("RoleBinding"))
                && b["roleRef"]["kind"] == role["kind"]
                && b["roleRef"]["name"] == *name
                && b["subjects"].as_array().unwrap().contains(&sa)
        });
        assert!(bound, "{name} is bound to no binding of the controller's ServiceAccount");
        let scope = role["metadata"]["namespace"].as_str().unwrap_or_default().to_owned();
        for rule in role["rules"].as_array().into_iter().flatten() {
            let list = |k: &str| {
                rule[k].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect::<Vec<_>>()
            };
            for g in list("apiGroups") {
                for r in list("resources") {
                    for v in list("verbs") {
                        assert!(g != "*" && r != "*" && v != "*", "wildcard rule in {name}: {rule}");
                        out.insert((scope.clone(), g.clone(), r.clone(), v));
                    }
                }
            }
        }
    }
    out
}

/// The grants without their scope.
fn unscoped(g: &BTreeSet<(String, String, String, String)>) -> Grants {
    g.iter().map(|(_, a, b, c)| (a.clone(), b.clone(), c.clone())).collect()
}

fn args(docs: &[Doc]) -> Vec<String> {
    let d = of_kind(docs, "Deployment")[0];
    d["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn chart_crds_are_exactly_the_generated_ones() {
    let list = |dir: &str| {
        let mut files: Vec<_> = std::fs::read_dir(repo().join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        files
    };
    let (chart, generated) = (list("charts/glidepath/crds"), list("crds"));
    assert_eq!(
        chart, generated,
        "charts/glidepath/crds must hold the files of crds/ (cp crds/*.yaml charts/glidepath/crds/)"
    );
    for f in &generated {
        let a = std::fs::read(repo().join("crds").join(f)).unwrap();
        let b = std::fs::read(repo().join("charts/glidepath/crds").join(f)).unwrap();
        assert!(a == b, "charts/glidepath/crds/{f} differs from crds/{f}: copy it again");
    }
    // And both are what the types generate today (`glidepath crds --check`, in-process).
    let drift = glidepath::crds::drift(&repo().join("charts/glidepath/crds")).unwrap();
    assert!(
        drift.is_empty(),
        "charts/glidepath/crds is stale: {drift:?}; run `glidepath crds --out-dir crds` and copy"
    );
}

#[test]
fn default_values_install_the_canary_controller_with_least_privilege() {
    let docs = render(json!({}));
    assert_eq!(kinds(&docs), ["Deployment", "ClusterRole", "ClusterRoleBinding", "Service", "ServiceAccount"]);
    assert_eq!(
        unscoped(&granted(&docs)),
        triples(CANARY_CONTROLLER),
        "granted rules must be exactly what the controller uses"
    );
    assert_eq!(
        args(&docs),
        [
            "controller",
            "--controllers=canary",
            "--mesh-provider=kubernetes",
            "--metrics-server=http://prometheus.monitoring:9090",
            "--listen=0.0.0.0:8080",
            "--log-format=json"
        ]
    );
    let d = of_kind(&docs, "Deployment")[0];
    let pod = &d["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(c["securityContext"]["capabilities"]["drop"], json!(["ALL"]));
    assert_eq!(c["resources"], json!({"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}));
    assert_eq!(c["ports"][0], json!({"name": "http-metrics", "containerPort": 8080, "protocol": "TCP"}));
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(d["spec"]["replicas"], 1);
    assert_eq!(pod["serviceAccountName"], "glidepath");
    let annotations = &d["spec"]["template"]["metadata"]["annotations"];
    assert_eq!(annotations["prometheus.io/scrape"], "true");
    assert_eq!(annotations["prometheus.io/port"], "8080");
    let svc = of_kind(&docs, "Service")[0];
    assert_eq!(svc["spec"]["ports"][0]["name"], "http-metrics");
    assert_eq!(svc["spec"]["selector"], d["spec"]["selector"]["matchLabels"]);
    assert_eq!(
        d["spec"]["selector"]["matchLabels"],
        json!({"app.kubernetes.io/name": "glidepath", "app.kubernetes.io/instance": "glidepath"})
    );
    for doc in &docs {
        let ns = &doc.obj["metadata"]["namespace"];
        let cluster_scoped = doc.obj["kind"].as_str().unwrap().starts_with("Cluster");
        assert_eq!(ns.is_null(), cluster_scoped, "{}: namespace {ns}", doc.file);
    }
}

/// The rendered container args are what the real binary's parser accepts, with the meaning
/// the values intend.
#[test]
fn rendered_args_parse_as_the_binary_parses_them() {
    use clap::Parser;
    use glidepath::cli::{Cli, Command};
    let cases = [
        (json!({}), None, false, vec!["canary"]),
        (json!({"namespace": "team-a", "replicas": 2}), Some("team-a"), true, vec!["canary"]),
        (json!({"controllers": {"git": true, "kustomize": true}}), None, false, vec!["canary", "git", "kustomize"]),
        (json!({"controllers": {"notification": true}}), None, false, vec!["canary", "notification"]),
    ];
    for (overrides, namespace, leader, controllers) in cases {
        let args = args(&render(overrides.clone()));
        let cli = Cli::try_parse_from(std::iter::once("glidepath".to_owned()).chain(args.clone()))
            .unwrap_or_else(|e| panic!("{overrides}: {args:?}: {e}"));
        let Command::Controller(c) = cli.command else { panic!("{args:?}: not the controller command") };
        assert_eq!(c.namespace.as_deref(), namespace, "{overrides}");
        assert_eq!(c.leader_elect, leader, "{overrides}");
        assert_eq!(c.leader_election_namespace.is_some(), leader, "{overrides}");
        assert_eq!(c.controllers, controllers, "{overrides}");
        assert_eq!(c.mesh_provider, "kubernetes");
        assert_eq!(c.metrics_server, "http://prometheus.monitoring:9090");
        assert_eq!(c.listen.port(), 8080);
        assert_eq!(c.log_format, "json");
    }
}

#[test]
fn the_notification_controller_gets_its_rules_ports_and_services() {
    let docs = render(json!({"controllers": {"canary": false, "notification": true}}));
    let a = args(&docs);
    for want in ["--controllers=notification", "--notification-addr=0.0.0.0:9090", "--receiver-addr=0.0.0.0:9292"] {
        assert!(a.contains(&want.to_owned()), "{want}: {a:?}");
    }
    assert_eq!(unscoped(&granted(&docs)), triples(NOTIFICATION_CONTROLLER));
    let services: Vec<&str> =
        of_kind(&docs, "Service").iter().map(|s| s["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(services, ["glidepath", "glidepath-notification", "glidepath-webhook-receiver"]);
}

#[test]
fn namespace_scoping_switches_cluster_roles_to_roles() {
    let docs = render(json!({"namespace": "team-a"}));
    assert_eq!(kinds(&docs), ["Deployment", "Role", "RoleBinding", "Service", "ServiceAccount"]);
    let g = granted(&docs);
    assert!(g.iter().all(|(scope, ..)| scope == "team-a"), "{g:?}");
    assert_eq!(unscoped(&g), triples(CANARY_CONTROLLER));
    assert!(args(&docs).contains(&"--namespace=team-a".to_owned()));
    assert_eq!(of_kind(&docs, "RoleBinding")[0]["subjects"][0]["namespace"], "glidepath-system");
}

#[test]
fn more_than_one_replica_elects_a_leader_in_the_release_namespace() {
    let docs = render(json!({"replicas": 2}));
    let a = args(&docs);
    assert!(
        a.contains(&"--leader-elect".to_owned())
            && a.contains(&"--leader-election-namespace=glidepath-system".to_owned()),
        "{a:?}"
    );
    let g = granted(&docs);
    let leases: BTreeSet<_> = g.iter().filter(|(scope, ..)| scope == "glidepath-system").cloned().collect();
    assert_eq!(unscoped(&leases), triples(LEADER_ELECTION));
    assert_eq!(unscoped(&g), &triples(CANARY_CONTROLLER) | &triples(LEADER_ELECTION));
    let c = &of_kind(&docs, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz", "a standby replica answers its probes too");
    // Helm passes `--set replicas=2` as an int64, values.yaml gives float64: both work.
    assert!(!args(&render(json!({"replicas": 1}))).contains(&"--leader-elect".to_owned()));
}

/// helmctl: HelmRepositories/HelmCharts/HelmReleases with status and finalizers (Flux's
/// controller verbs); the templated HelmCharts created (server-side apply) and deleted; release
/// storage Secrets created, replaced, deleted; repository and valuesFrom Secrets and ConfigMaps
/// read.
const HELM_CONTROLLER: &[(&str, &str, &[&str])] = &[
    ("source.toolkit.fluxcd.io", "helmrepositories", &["get", "list", "watch", "patch", "update"]),
    ("source.toolkit.fluxcd.io", "helmrepositories/status", &["get", "patch", "update"]),
    ("source.toolkit.fluxcd.io", "helmrepositories/finalizers", &["get", "patch", "update"]),
    ("source.toolkit.fluxcd.io", "helmcharts", &["get", "list", "watch", "create", "patch", "update", "delete"]),
    ("source.toolkit.fluxcd.io", "helmcharts/status", &["get", "patch", "update"]),
    ("source.toolkit.fluxcd.io", "helmcharts/finalizers", &["get", "patch", "update"]),
    ("helm.toolkit.fluxcd.io", "helmreleases", &["get", "list", "watch", "patch", "update"]),
    ("helm.toolkit.fluxcd.io", "helmreleases/status", &["get", "patch", "update"]),
    ("helm.toolkit.fluxcd.io", "helmreleases/finalizers", &["get", "patch", "update"]),
    ("", "secrets", &["get", "list", "watch", "create", "update", "delete"]),
    ("", "configmaps", &["get"]),
    ("", "events", &["create", "patch"]),
];

const IMAGE_REFLECTOR: &[(&str, &str, &[&str])] = &[
    ("image.toolkit.fluxcd.io", "imagerepositories", &["get", "list", "watch", "patch", "update"]),
    ("image.toolkit.fluxcd.io", "imagerepositories/status", &["get", "patch", "update"]),
    ("image.toolkit.fluxcd.io", "imagerepositories/finalizers", &["get", "patch", "update"]),
    ("image.toolkit.fluxcd.io", "imagepolicies", &["get", "list", "watch", "patch", "update"]),
    ("image.toolkit.fluxcd.io", "imagepolicies/status", &["get", "patch", "update"]),
    ("image.toolkit.fluxcd.io", "imagepolicies/finalizers", &["get", "patch", "update"]),
    ("", "secrets", &["get", "list", "watch"]),
    ("", "serviceaccounts", &["get", "list", "watch"]),
    ("", "namespaces", &["get"]),
    ("", "events", &["create", "patch"]),
];

const IMAGE_AUTOMATION: &[(&str, &str, &[&str])] = &[
    ("image.toolkit.fluxcd.io", "imageupdateautomations", &["get", "list", "watch", "patch", "update"]),
    ("image.toolkit.fluxcd.io", "imageupdateautomations/status", &["get", "patch", "update"]),
    ("image.toolkit.fluxcd.io", "imageupdateautomations/finalizers", &["get", "patch", "update"]),
    ("image.toolkit.fluxcd.io", "imagepolicies", &["get", "list", "watch"]),
    ("source.toolkit.fluxcd.io", "gitrepositories", &["get", "list", "watch"]),
    ("", "secrets", &["get"]),
    ("", "events", &["create", "patch"]),
];

#[test]
fn the_image_automation_gets_only_its_own_rules() {
    let docs = render(json!({"controllers": {"canary": false, "imageAutomation": true}}));
    assert!(args(&docs).contains(&"--controllers=image-automation".to_owned()));
    assert_eq!(unscoped(&granted(&docs)), triples(IMAGE_AUTOMATION));
}

#[test]
fn the_image_reflector_gets_only_its_own_rules() {
    let docs = render(json!({"controllers": {"canary": false, "imageReflector": true}}));
    assert!(args(&docs).contains(&"--controllers=image-reflector".to_owned()));
    assert_eq!(unscoped(&granted(&docs)), triples(IMAGE_REFLECTOR));
}

#[test]
fn the_helm_controllers_get_their_rules_and_the_documented_apply_role() {
    let docs = render(json!({"controllers": {"canary": false, "helm": true}}));
    assert!(args(&docs).contains(&"--controllers=helm".to_owned()));
    assert_eq!(unscoped(&granted(&docs)), triples(HELM_CONTROLLER));
    let apply = of_kind(&docs, "ClusterRoleBinding")
        .into_iter()
        .find(|b| b["metadata"]["name"] == "glidepath-helm-apply")
        .unwrap();
    assert_eq!(apply["roleRef"]["name"], "cluster-admin");
    let docs = render(json!({"controllers": {"canary": true}}));
    assert!(!of_kind(&docs, "ClusterRoleBinding").iter().any(|b| b["metadata"]["name"] == "glidepath-helm-apply"));
}

#[test]
fn flux_controllers_get_their_own_rules_and_the_documented_apply_role() {
    let docs = render(json!({"controllers": {"canary": false, "git": true, "kustomize": true}}));
    let a = args(&docs);
    assert!(a.contains(&"--controllers=git".to_owned()) && a.contains(&"--controllers=kustomize".to_owned()), "{a:?}");
    assert!(!a.contains(&"--controllers=canary".to_owned()));
    assert_eq!(unscoped(&granted(&docs)), &triples(GIT_CONTROLLER) | &triples(KUSTOMIZE_CONTROLLER));
    let apply = of_kind(&docs, "ClusterRoleBinding")
        .into_iter()
        .find(|b| b["metadata"]["name"] == "glidepath-kustomize-apply")
        .unwrap();
    assert_eq!(
        apply["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"})
    );
    // Namespace-scoped, the broad role is bound inside that namespace only.
    let docs = render(json!({"namespace": "team-a", "controllers": {"kustomize": true}}));
    let b = of_kind(&docs, "RoleBinding")
        .into_iter()
        .find(|b| b["metadata"]["name"] == "glidepath-kustomize-apply")
        .unwrap();
    assert_eq!(b["metadata"]["namespace"], "team-a");
    assert!(of_kind(&docs, "ClusterRoleBinding").is_empty());
}

#[test]
fn pod_monitor_is_optional_and_selects_the_controller_pods() {
    assert!(of_kind(&render(json!({})), "PodMonitor").is_empty());
    let docs = render(
        json!({"podMonitor": {"enabled": true, "additionalLabels": {"release": "prometheus"}}, "prometheusScrapeAnnotations": false, "podAnnotations": {"a": "b"}}),
    );
    let pm = of_kind(&docs, "PodMonitor")[0];
    let d = of_kind(&docs, "Deployment")[0];
    assert_eq!(pm["spec"]["selector"]["matchLabels"], d["spec"]["selector"]["matchLabels"]);
    assert_eq!(
        pm["spec"]["podMetricsEndpoints"][0]["port"],
        d["spec"]["template"]["spec"]["containers"][0]["ports"][0]["name"]
    );
    assert_eq!(pm["metadata"]["labels"]["release"], "prometheus");
    assert_eq!(d["spec"]["template"]["metadata"]["annotations"], json!({"a": "b"}));
}

/// `a` and `b` hold the same data (numbers compared as numbers: YAML 1 and 1.0 alike).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same_json(v, w)),
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Through the typed Kubernetes struct and back: a misspelt or misplaced field is dropped and
/// shows up as a difference (the sandbox does not reject unknown fields of built-in kinds).
fn typed_round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(doc: &Doc) {
    let typed: T = serde_json::from_value(doc.obj.clone()).unwrap_or_else(|e| panic!("{}: {e}", doc.file));
    let back = serde_json::to_value(&typed).unwrap();
    assert!(
        same_json(&doc.obj, &back),
        "{}: fields lost in the typed round trip:\n{:#}\n---\n{back:#}",
        doc.file,
        doc.obj
    );
}

#[test]
fn every_rendered_object_has_only_fields_its_kind_defines() {
    use k8s_openapi::api::{apps::v1 as apps, core::v1 as core, rbac::v1 as rbac};
    let scenarios = [
        json!({}),
        json!({"namespace": "team-a", "replicas": 3, "controllers": {"git": true, "kustomize": true}}),
        json!({"nodeSelector": {"a": "b"}, "tolerations": [{"key": "k", "operator": "Exists"}], "affinity": {"nodeAffinity": {}},
            "priorityClassName": "high", "podLabels": {"x": "y"}, "serviceAccount": {"annotations": {"a": "b"}}, "extraArgs": ["--cluster-name=c"]}),
    ];
    for overrides in scenarios {
        for doc in render(overrides) {
            match doc.obj["kind"].as_str().unwrap() {
                "Deployment" => typed_round_trip::<apps::Deployment>(&doc),
                "Service" => typed_round_trip::<core::Service>(&doc),
                "ServiceAccount" => typed_round_trip::<core::ServiceAccount>(&doc),
                "ClusterRole" => typed_round_trip::<rbac::ClusterRole>(&doc),
                "Role" => typed_round_trip::<rbac::Role>(&doc),
                "ClusterRoleBinding" => typed_round_trip::<rbac::ClusterRoleBinding>(&doc),
                "RoleBinding" => typed_round_trip::<rbac::RoleBinding>(&doc),
                other => panic!("{}: no typed check for {other}", doc.file),
            }
        }
    }
}

fn plural(kind: &str) -> String {
    let k = kind.to_lowercase();
    if let Some(stem) = k.strip_suffix('y') {
        format!("{stem}ies")
    } else if k.ends_with('s') || k.ends_with('x') {
        format!("{k}es")
    } else {
        format!("{k}s")
    }
}

/// The list above cannot silently fall behind the code: every cached kind and every kind a
/// router writes must be in it.
#[test]
fn rbac_list_covers_every_cached_kind_and_every_router_kind() {
    let used = triples(CANARY_CONTROLLER);
    let src = std::fs::read_to_string(repo().join("crates/glidepath/src/controller/caches.rs")).unwrap();
    let cached: Vec<&str> = src.split("cache!(").skip(1).map(|s| s.split('"').nth(1).unwrap()).collect();
    assert!(cached.len() >= 9, "caches.rs changed shape: {cached:?}");
    let group_of = |kind: &str| match kind {
        "Canary" | "MetricTemplate" | "AlertProvider" => "flagger.app",
        "Deployment" | "DaemonSet" => "apps",
        "Service" | "ConfigMap" | "Secret" => "",
        "HorizontalPodAutoscaler" => "autoscaling",
        other => panic!("caches.rs watches {other}: add it to CANARY_CONTROLLER and the chart's ClusterRole"),
    };
    for kind in cached {
        for verb in ["list", "watch"] {
            let t = (group_of(kind).to_owned(), plural(kind).replace("canarys", "canaries"), verb.to_owned());
            assert!(used.contains(&t), "{t:?} (cached in caches.rs) missing from the RBAC list");
        }
    }
    let providers = [
        "kubernetes",
        "gatewayapi:v1",
        "gatewayapi:v1beta1",
        "istio",
        "linkerd",
        "nginx",
        "contour",
        "gloo",
        "skipper",
        "traefik",
        "apisix",
        "appmesh",
        "appmesh:v1beta2",
        "kuma",
        "osm",
        "knative",
        "smi:v1alpha3",
    ];
    let mut routed = 0;
    for name in providers {
        let provider = glidepath_api::flagger::defaults::Provider::parse(name).unwrap();
        let router = glidepath_router::for_provider(provider);
        for (api_version, kind) in router.kinds() {
            let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
            for verb in ["list", "watch", "create", "patch"] {
                let t = (group.to_owned(), plural(kind), verb.to_owned());
                assert!(
                    used.contains(&t),
                    "router {name} writes {kind}: {t:?} missing from the RBAC list and the chart"
                );
            }
            routed += 1;
        }
    }
    assert!(routed >= 2, "no router kinds found");
}

async fn dry_run_scenarios() {
    let sb = sandbox().await;
    let scenarios = [
        ("default", json!({})),
        ("namespaced", json!({"namespace": "team-a"})),
        ("replicas-2", json!({"replicas": 2})),
        ("flux", json!({"controllers": {"git": true, "kustomize": true}})),
        (
            "podmonitor",
            json!({"podMonitor": {"enabled": true}, "serviceAccount": {"annotations": {"x": "y"}}, "nodeSelector": {"kubernetes.io/os": "linux"}}),
        ),
        (
            "monitoring",
            json!({"grafanaDashboards": {"enabled": true}, "prometheusRule": {"enabled": true}, "metrics": {"resourceInfo": "kube-state-metrics"}}),
        ),
    ];
    for (label, overrides) in scenarios {
        let docs = render(overrides);
        // No prometheus-operator CRDs are available here: the PodMonitor and PrometheusRule are
        // checked by shape (pod_monitor_is_optional_and_selects_the_controller_pods,
        // chart_monitoring.rs) only.
        let docs: Vec<Doc> =
            docs.into_iter().filter(|d| d.obj["kind"] != "PodMonitor" && d.obj["kind"] != "PrometheusRule").collect();
        for doc in &docs {
            dry_run(&sb.client, &doc.obj)
                .await
                .unwrap_or_else(|e| panic!("{label}: {} rejected: {e}\n{:#}", doc.file, doc.obj));
        }
        let (kc, text) = (sb.handle.kubeconfig_yaml(), stream(&docs));
        let label2 = label.to_owned();
        let out = tokio::task::spawn_blocking(move || kubectl_dry_run(&kc, &text, &label2)).await.unwrap();
        assert_eq!(out.matches("(server dry run)").count(), docs.len(), "{label}: {out}");
    }
    // A dry run writes nothing.
    let deployments: kube::Api<k8s_openapi::api::apps::v1::Deployment> = kube::Api::all(sb.client.clone());
    assert!(deployments.list(&Default::default()).await.unwrap().items.is_empty());
    sb.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rendered_chart_passes_server_dry_run_on_the_sandbox() {
    tokio::time::timeout(Duration::from_secs(90), dry_run_scenarios()).await.expect("dry runs must finish in 90s");
}
