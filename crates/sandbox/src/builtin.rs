//! Defaults and validation of the built-in kinds whose shape controllers depend on (workloads,
//! pods, services, secrets), following kube-apiserver's defaulting functions and validation
//! messages. Other built-in kinds are stored as sent.

use serde_json::{Map, Value, json};

use crate::error::Cause;
use crate::resource::ResourceInfo;

const REQUIRED: &str = "FieldValueRequired";
const INVALID: &str = "FieldValueInvalid";

fn obj_mut<'a>(v: &'a mut Value, key: &str) -> &'a mut Map<String, Value> {
    crate::meta::as_map(crate::meta::as_map(v).entry(key).or_insert_with(|| json!({})))
}

fn default_key(map: &mut Map<String, Value>, key: &str, value: Value) {
    if map.get(key).is_none_or(Value::is_null) {
        map.insert(key.to_owned(), value);
    }
}

/// Defaults a pod spec (`spec` of a Pod, `spec.template.spec` of a workload).
fn default_pod_spec(spec: &mut Value) {
    let m = crate::meta::as_map(spec);
    default_key(m, "restartPolicy", json!("Always"));
    default_key(m, "terminationGracePeriodSeconds", json!(30));
    default_key(m, "dnsPolicy", json!("ClusterFirst"));
    default_key(m, "schedulerName", json!("default-scheduler"));
    default_key(m, "securityContext", json!({}));
    for list in ["containers", "initContainers"] {
        let Some(Value::Array(containers)) = m.get_mut(list) else { continue };
        for c in containers.iter_mut() {
            let c = crate::meta::as_map(c);
            let image = c.get("image").and_then(Value::as_str).unwrap_or_default().to_owned();
            let tag = image.rsplit('/').next().and_then(|last| last.split_once(':')).map(|(_, t)| t.to_owned());
            let latest = !image.contains('@') && tag.as_deref().is_none_or(|t| t == "latest");
            default_key(c, "imagePullPolicy", json!(if latest { "Always" } else { "IfNotPresent" }));
            default_key(c, "terminationMessagePath", json!("/dev/termination-log"));
            default_key(c, "terminationMessagePolicy", json!("File"));
            default_key(c, "resources", json!({}));
            for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
                if let Some(Value::Object(p)) = c.get_mut(probe) {
                    default_key(p, "timeoutSeconds", json!(1));
                    default_key(p, "periodSeconds", json!(10));
                    default_key(p, "successThreshold", json!(1));
                    default_key(p, "failureThreshold", json!(3));
                }
            }
            if let Some(Value::Array(ports)) = c.get_mut("ports") {
                for p in ports.iter_mut() {
                    default_key(crate::meta::as_map(p), "protocol", json!("TCP"));
                }
            }
        }
    }
}

fn validate_pod_spec(spec: Option<&Value>, path: &str, out: &mut Vec<Cause>) {
    let containers = spec.and_then(|s| s.get("containers")).and_then(Value::as_array);
    match containers {
        None => out.push(Cause::new(REQUIRED, format!("{path}.containers"), "Required value")),
        Some(list) if list.is_empty() => out.push(Cause::new(REQUIRED, format!("{path}.containers"), "Required value")),
        Some(list) => {
            for (i, c) in list.iter().enumerate() {
                for key in ["name", "image"] {
                    if c.get(key).and_then(Value::as_str).is_none_or(str::is_empty) {
                        out.push(Cause::new(REQUIRED, format!("{path}.containers[{i}].{key}"), "Required value"));
                    }
                }
            }
        }
    }
}

fn selector_matches(selector: &Value, labels: &Value) -> bool {
    let sel = crate::selector::render_label_selector(selector);
    let obj = json!({"metadata": {"labels": labels}});
    crate::selector::LabelSelector::parse(&sel).is_ok_and(|s| s.matches(&obj))
}

fn workload(obj: &mut Value, old: Option<&Value>, kind: &str, out: &mut Vec<Cause>) {
    let spec = obj_mut(obj, "spec");
    if kind != "DaemonSet" {
        default_key(spec, "replicas", json!(1));
    }
    default_key(spec, "revisionHistoryLimit", json!(10));
    match kind {
        "Deployment" => {
            default_key(spec, "progressDeadlineSeconds", json!(600));
            default_key(spec, "strategy", json!({"type": "RollingUpdate"}));
        }
        "StatefulSet" => {
            default_key(spec, "podManagementPolicy", json!("OrderedReady"));
            default_key(spec, "updateStrategy", json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}));
        }
        "DaemonSet" => {
            default_key(
                spec,
                "updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}),
            );
        }
        _ => {}
    }
    if let Some(strategy) = spec.get_mut("strategy").and_then(Value::as_object_mut)
        && strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate")
    {
        default_key(strategy, "rollingUpdate", json!({"maxUnavailable": "25%", "maxSurge": "25%"}));
    }
    if let Some(template_spec) = spec.get_mut("template").and_then(|t| t.get_mut("spec")) {
        default_pod_spec(template_spec);
    }
    let spec = obj.get("spec").cloned().unwrap_or_default();
    match spec.get("selector") {
        None | Some(Value::Null) => out.push(Cause::new(REQUIRED, "spec.selector", "Required value")),
        Some(sel) => {
            let labels = spec.pointer("/template/metadata/labels").cloned().unwrap_or_else(|| json!({}));
            if !selector_matches(sel, &labels) {
                out.push(Cause::new(
                    INVALID,
                    "spec.template.metadata.labels",
                    format!("Invalid value: {labels}: `selector` does not match template `labels`"),
                ));
            }
            if let Some(old_sel) = old.and_then(|o| o.pointer("/spec/selector"))
                && old_sel != sel
            {
                out.push(Cause::new(INVALID, "spec.selector", format!("Invalid value: {sel}: field is immutable")));
            }
        }
    }
    if spec.get("replicas").and_then(Value::as_i64).is_some_and(|r| r < 0) {
        out.push(Cause::new(INVALID, "spec.replicas", "Invalid value: must be greater than or equal to 0"));
    }
    validate_pod_spec(spec.pointer("/template/spec"), "spec.template.spec", out);
}

/// Allocates service cluster IPs from 10.96.0.0/12.
fn cluster_ip(n: u32) -> String {
    let n = n + 10;
    format!("10.96.{}.{}", (n >> 8) & 0xff, n & 0xff)
}

fn service(obj: &mut Value, old: Option<&Value>, next_ip: &mut u32) {
    let spec = obj_mut(obj, "spec");
    default_key(spec, "type", json!("ClusterIP"));
    default_key(spec, "sessionAffinity", json!("None"));
    default_key(spec, "internalTrafficPolicy", json!("Cluster"));
    default_key(spec, "ipFamilies", json!(["IPv4"]));
    default_key(spec, "ipFamilyPolicy", json!("SingleStack"));
    let old_ip = old.and_then(|o| o.pointer("/spec/clusterIP")).cloned();
    match old_ip {
        Some(ip) if spec.get("clusterIP").is_none_or(|v| v.is_null() || v == "") => {
            spec.insert("clusterIP".to_owned(), ip);
        }
        _ => {}
    }
    if spec.get("clusterIP").is_none_or(|v| v.is_null() || v == "") {
        *next_ip += 1;
        spec.insert("clusterIP".to_owned(), json!(cluster_ip(*next_ip)));
    }
    let ip = spec.get("clusterIP").cloned().unwrap_or_default();
    default_key(spec, "clusterIPs", json!([ip]));
    if let Some(Value::Array(ports)) = spec.get_mut("ports") {
        for p in ports.iter_mut() {
            let p = crate::meta::as_map(p);
            default_key(p, "protocol", json!("TCP"));
            if let Some(port) = p.get("port").cloned() {
                default_key(p, "targetPort", port);
            }
        }
    }
}

/// A Secret as kube-apiserver stores it: the write-only `stringData` merged into `data`
/// (base64-encoded, winning over a `data` key of the same name), `type` defaulted to `Opaque`,
/// `data` values required to be base64 as Go's `encoding/json` reads `[]byte`: line breaks are
/// ignored (kustomize's secretGenerator wraps long values) and the stored value is the canonical
/// encoding of the decoded bytes, as kube-apiserver serves it.
fn secret(obj: &mut Value, out: &mut Vec<Cause>) {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let m = crate::meta::as_map(obj);
    default_key(m, "type", json!("Opaque"));
    if let Some(Value::Object(data)) = m.get_mut("data") {
        for (k, v) in data.iter_mut() {
            if v.is_null() {
                continue;
            }
            match v.as_str().and_then(go_base64_decode) {
                Some(bytes) => *v = json!(engine.encode(bytes)),
                None => out.push(Cause::new(INVALID, format!("data[{k}]"), "Invalid value: illegal base64 data")),
            }
        }
    }
    match m.remove("stringData") {
        None | Some(Value::Null) => {}
        Some(Value::Object(strings)) => {
            let data = m.entry("data").or_insert_with(|| json!({}));
            if !data.is_object() {
                *data = json!({});
            }
            let data = crate::meta::as_map(data);
            for (k, v) in strings {
                match v.as_str() {
                    Some(s) => {
                        data.insert(k, json!(engine.encode(s)));
                    }
                    None => {
                        out.push(Cause::new(INVALID, format!("stringData[{k}]"), "Invalid value: must be a string"))
                    }
                }
            }
        }
        Some(_) => out.push(Cause::new(INVALID, "stringData", "Invalid value: must be an object")),
    }
}

/// Go's `base64.StdEncoding` decoding: padding required, `\r` and `\n` skipped, non-zero
/// trailing bits accepted.
fn go_base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let config = base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true);
    let engine = base64::engine::GeneralPurpose::new(&base64::alphabet::STANDARD, config);
    let compact: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    engine.decode(compact).ok()
}

/// Applies defaults to a built-in object and validates it; `old` is set on updates.
pub fn admit(info: &ResourceInfo, obj: &mut Value, old: Option<&Value>, next_ip: &mut u32) -> Vec<Cause> {
    let mut out = Vec::new();
    match (info.group.as_str(), info.kind.as_str()) {
        ("apps", kind @ ("Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet")) => {
            workload(obj, old, kind, &mut out);
        }
        ("", "Pod") => {
            if let Some(spec) = crate::meta::as_map(obj).get_mut("spec") {
                default_pod_spec(spec);
            }
            if old.is_none() {
                let status = obj_mut(obj, "status");
                default_key(status, "phase", json!("Pending"));
                default_key(status, "qosClass", json!("BestEffort"));
            }
            validate_pod_spec(obj.get("spec"), "spec", &mut out);
        }
        ("", "Service") => service(obj, old, next_ip),
        ("", "Secret") => secret(obj, &mut out),
        _ => {}
    }
    out
}
