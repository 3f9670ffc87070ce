//! The objects templates see besides `.Values`: `.Files` (Helm's `engine.files` with `Get`,
//! `GetBytes`, `Glob`, `Lines`, `AsConfig`, `AsSecrets`), `.Capabilities` (`KubeVersion`,
//! `APIVersions.Has`, `HelmVersion`), `.Chart` (Helm 4 gives the metadata as a map keyed by Go
//! field names, plus `IsRoot`) and `.Release`.

use std::collections::BTreeMap;
use std::sync::Arc;

use glidepath_gotmpl::{Func, Opaque, Param, Value};

use crate::chart::{File, Metadata};

/// `.Files`: the chart's non-template files by path.
#[derive(Debug, Clone, Default)]
pub struct Files(pub Arc<BTreeMap<String, Arc<[u8]>>>);

impl Files {
    pub fn new(files: &[File]) -> Files {
        Files(Arc::new(files.iter().map(|f| (f.name.clone(), f.data.clone())).collect()))
    }

    fn get(&self, name: &str) -> Option<&Arc<[u8]>> {
        self.0.get(name)
    }

    fn as_map(&self) -> Value {
        Value::map(self.0.iter().map(|(k, v)| (k.clone(), Value::Bytes(v.clone()))).collect())
    }

    fn by_base_name(&self, f: impl Fn(&[u8]) -> String) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let m: serde_json::Map<String, serde_json::Value> = self
            .0
            .iter()
            .map(|(k, v)| (k.rsplit('/').next().unwrap_or(k).to_string(), serde_json::Value::String(f(v))))
            .collect();
        crate::funcs::to_yaml_text(&serde_json::Value::Object(m))
    }
}

impl Opaque for Files {
    fn type_name(&self) -> String {
        "engine.files".into()
    }
    fn display(&self) -> String {
        self.as_map().to_string()
    }
    fn truth(&self) -> bool {
        !self.0.is_empty()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn elements(&self) -> Option<Value> {
        Some(self.as_map())
    }
    fn method(&self, name: &str) -> Option<Func> {
        let files = self.clone();
        let text = |v: &Arc<[u8]>| String::from_utf8_lossy(v).into_owned();
        Some(match name {
            "Get" => Func::pure(&[Param::String], move |a| {
                Ok(Value::str(files.get(a[0].as_str().unwrap_or("")).map(text).unwrap_or_default()))
            }),
            "GetBytes" => Func::pure(&[Param::String], move |a| {
                Ok(Value::Bytes(files.get(a[0].as_str().unwrap_or("")).cloned().unwrap_or_else(|| Arc::from(&[][..]))))
            }),
            "Glob" => Func::pure(&[Param::String], move |a| {
                let pattern = a[0].as_str().unwrap_or("");
                let hits = files
                    .0
                    .iter()
                    .filter(|(k, _)| crate::glob::glob_match(pattern, k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Ok(Value::Opaque(Arc::new(Files(Arc::new(hits)))))
            }),
            "Lines" => Func::pure(&[Param::String], move |a| {
                let s = files.get(a[0].as_str().unwrap_or("")).map(text).unwrap_or_default();
                if s.is_empty() {
                    return Ok(Value::list(Vec::new()));
                }
                let s = s.strip_suffix('\n').unwrap_or(&s);
                Ok(Value::list(s.split('\n').map(Value::from).collect()))
            }),
            "AsConfig" => Func::pure(&[], move |_| {
                Ok(Value::str(files.by_base_name(|d| String::from_utf8_lossy(d).into_owned())))
            }),
            "AsSecrets" => Func::pure(&[], move |_| Ok(Value::str(files.by_base_name(glidepath_gotmpl::base64)))),
            _ => return None,
        })
    }
}

/// What `.Capabilities` reports: the cluster's version and API versions, and Helm's build.
#[derive(Debug, Clone)]
pub struct Capabilities {
    pub kube_version: KubeVersion,
    pub api_versions: Vec<String>,
}

/// `.Capabilities.KubeVersion`.
#[derive(Debug, Clone)]
pub struct KubeVersion {
    pub version: String,
    pub major: String,
    pub minor: String,
}

impl KubeVersion {
    /// `--kube-version` as Helm 4.2 takes it: a semantic version, kept as written with a `v`
    /// in front (`1.25` stays `v1.25`, as the oracle shows).
    pub fn parse(s: &str) -> Result<KubeVersion, String> {
        let v = glidepath_sprig::semver::Version::parse(s).map_err(|e| format!("invalid kube version {s:?}: {e}"))?;
        let shown = s.strip_prefix('v').unwrap_or(s);
        Ok(KubeVersion { version: format!("v{shown}"), major: v.major.to_string(), minor: v.minor.to_string() })
    }
}

/// Helm 4.2's defaults, as its library build reports them.
pub const DEFAULT_KUBE_VERSION: &str = "v1.36.0";
pub const HELM_VERSION: [&str; 5] = ["v4.2", "", "", "go1.26.6", "v1.36"];

/// Helm's `DefaultVersionSet` (the API group versions client-go knows), in Helm's order.
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha2",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            kube_version: KubeVersion { version: DEFAULT_KUBE_VERSION.into(), major: "1".into(), minor: "36".into() },
            api_versions: DEFAULT_API_VERSIONS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

#[derive(Debug)]
struct Kube(KubeVersion);

impl Opaque for Kube {
    fn type_name(&self) -> String {
        "common.KubeVersion".into()
    }
    fn display(&self) -> String {
        self.0.version.clone()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" => Some(Value::str(self.0.version.as_str())),
            "Major" => Some(Value::str(self.0.major.as_str())),
            "Minor" => Some(Value::str(self.0.minor.as_str())),
            _ => None,
        }
    }
    fn method(&self, name: &str) -> Option<Func> {
        let v = self.0.version.clone();
        matches!(name, "String" | "GitVersion").then(|| Func::pure(&[], move |_| Ok(Value::str(v.as_str()))))
    }
}

#[derive(Debug)]
struct VersionSet(Vec<String>);

impl Opaque for VersionSet {
    fn type_name(&self) -> String {
        "common.VersionSet".into()
    }
    fn display(&self) -> String {
        format!("[{}]", self.0.join(" "))
    }
    fn truth(&self) -> bool {
        !self.0.is_empty()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn elements(&self) -> Option<Value> {
        Some(Value::list(self.0.iter().map(|s| Value::str(s.as_str())).collect()))
    }
    fn method(&self, name: &str) -> Option<Func> {
        let set = self.0.clone();
        (name == "Has").then(|| {
            Func::pure(&[Param::String], move |a| {
                Ok(Value::Bool(set.iter().any(|v| Some(v.as_str()) == a[0].as_str())))
            })
        })
    }
}

#[derive(Debug)]
struct HelmVersion;

impl Opaque for HelmVersion {
    fn type_name(&self) -> String {
        "version.BuildInfo".into()
    }
    fn display(&self) -> String {
        format!("{{{}}}", HELM_VERSION.join(" "))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn field(&self, name: &str) -> Option<Value> {
        let i = ["Version", "GitCommit", "GitTreeState", "GoVersion", "KubeClientVersion"]
            .iter()
            .position(|f| *f == name)?;
        Some(Value::str(HELM_VERSION[i]))
    }
}

#[derive(Debug)]
struct Caps(Capabilities);

impl Opaque for Caps {
    fn type_name(&self) -> String {
        "*common.Capabilities".into()
    }
    fn display(&self) -> String {
        // Go's %v of the struct: KubeVersion's fields are Version, its normalized copy, Major
        // and Minor.
        let k = &self.0.kube_version;
        format!(
            "{{{{{} {} {} {}}} {} {}}}",
            k.version,
            k.version,
            k.major,
            k.minor,
            VersionSet(self.0.api_versions.clone()).display(),
            HelmVersion.display()
        )
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "KubeVersion" => Value::Opaque(Arc::new(Kube(self.0.kube_version.clone()))),
            "APIVersions" => Value::Opaque(Arc::new(VersionSet(self.0.api_versions.clone()))),
            "HelmVersion" => Value::Opaque(Arc::new(HelmVersion)),
            _ => return None,
        })
    }
}

impl Capabilities {
    pub fn value(&self) -> Value {
        Value::Opaque(Arc::new(Caps(self.clone())))
    }
}

fn s(v: &str) -> Value {
    Value::str(v)
}

fn strs(v: &[String]) -> Value {
    Value::list(v.iter().map(|x| s(x)).collect())
}

/// `.Chart`: Helm 4's map of the metadata's Go field names, plus `IsRoot`.
pub fn chart_value(md: &Metadata, is_root: bool) -> Value {
    let mut m = BTreeMap::new();
    m.insert("APIVersion".into(), s(&md.api_version));
    m.insert("Annotations".into(), Value::map(md.annotations.iter().map(|(k, v)| (k.clone(), s(v))).collect()));
    m.insert("AppVersion".into(), s(&md.app_version));
    m.insert("Condition".into(), s(&md.condition));
    let deps = md
        .dependencies
        .iter()
        .map(|d| {
            let mut e = BTreeMap::new();
            e.insert("Alias".into(), s(&d.alias));
            e.insert("Condition".into(), s(&d.condition));
            e.insert("Enabled".into(), Value::Bool(d.enabled));
            e.insert(
                "ImportValues".into(),
                Value::list(d.import_values.iter().map(|v| Value::from(v.clone())).collect()),
            );
            e.insert("Name".into(), s(&d.name));
            e.insert("Repository".into(), s(&d.repository));
            e.insert("Tags".into(), strs(&d.tags));
            e.insert("Version".into(), s(&d.version));
            Value::map(e)
        })
        .collect();
    m.insert("Dependencies".into(), Value::list(deps));
    m.insert("Deprecated".into(), Value::Bool(md.deprecated));
    m.insert("Description".into(), s(&md.description));
    m.insert("Home".into(), s(&md.home));
    m.insert("Icon".into(), s(&md.icon));
    m.insert("IsRoot".into(), Value::Bool(is_root));
    m.insert("Keywords".into(), strs(&md.keywords));
    m.insert("KubeVersion".into(), s(&md.kube_version));
    let maint = md
        .maintainers
        .iter()
        .map(|x| {
            let mut e = BTreeMap::new();
            e.insert("Email".into(), s(&x.email));
            e.insert("Name".into(), s(&x.name));
            e.insert("URL".into(), s(&x.url));
            Value::map(e)
        })
        .collect();
    m.insert("Maintainers".into(), Value::list(maint));
    m.insert("Name".into(), s(&md.name));
    m.insert("Sources".into(), strs(&md.sources));
    m.insert("Tags".into(), s(&md.tags));
    m.insert("Type".into(), s(&md.chart_type));
    m.insert("Version".into(), s(&md.version));
    Value::map(m)
}

/// The release a render is for.
#[derive(Debug, Clone)]
pub struct Release {
    pub name: String,
    pub namespace: String,
    pub revision: i64,
    pub is_install: bool,
    pub is_upgrade: bool,
}

impl Default for Release {
    fn default() -> Self {
        Release {
            name: "release-name".into(),
            namespace: "default".into(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
        }
    }
}

impl Release {
    pub fn value(&self) -> Value {
        let mut m = BTreeMap::new();
        m.insert("IsInstall".into(), Value::Bool(self.is_install));
        m.insert("IsUpgrade".into(), Value::Bool(self.is_upgrade));
        m.insert("Name".into(), s(&self.name));
        m.insert("Namespace".into(), s(&self.namespace));
        m.insert("Revision".into(), Value::Int(self.revision));
        m.insert("Service".into(), s("Helm"));
        Value::map(m)
    }
}
