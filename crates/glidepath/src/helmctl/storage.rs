//! Release history in the cluster, as Helm's Secrets driver keeps it: one Secret
//! `sh.helm.release.v1.<name>.v<N>` of type `helm.sh/release.v1` per revision in the storage
//! namespace, labelled `owner=helm,name=<release>,status,version`, so `helm list`, `helm
//! history` and `helm rollback` read what Glidepath writes, and Glidepath reads what Helm (or
//! Flux's helm-controller) wrote.

use std::collections::BTreeMap;

use glidepath_helm::storage::{ReleaseRecord, SECRET_TYPE, Stamp, decode, encode, secret_labels, secret_name};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::{Client, ResourceExt};

/// Kubernetes refuses larger Secrets; the check here names the release instead.
const MAX_SECRET_BYTES: usize = 1 << 20;

#[derive(Clone, Debug)]
pub struct Storage {
    api: Api<Secret>,
    namespace: String,
}

impl Storage {
    pub fn new(client: &Client, namespace: &str) -> Storage {
        Storage { api: Api::namespaced(client.clone(), namespace), namespace: namespace.to_owned() }
    }

    /// Every revision of `release`, oldest first. A Secret that does not decode fails the read,
    /// naming it (nothing is decided on a partial history).
    pub async fn history(&self, release: &str) -> Result<Vec<ReleaseRecord>, String> {
        let lp = ListParams::default().labels(&format!("owner=helm,name={release}"));
        let list =
            self.api.list(&lp).await.map_err(|e| format!("list release history in '{}': {e}", self.namespace))?;
        let mut out = Vec::new();
        for s in list.items {
            if s.type_.as_deref() != Some(SECRET_TYPE) {
                continue;
            }
            let name = s.name_any();
            let data = s.data.as_ref().and_then(|d| d.get("release")).map(|b| b.0.as_slice()).unwrap_or_default();
            let rec = decode(data).map_err(|e| format!("decode release Secret '{}/{name}': {e}", self.namespace))?;
            out.push(rec);
        }
        out.sort_by_key(|r| r.version);
        Ok(out)
    }

    fn secret(&self, rec: &ReleaseRecord, stamp: Stamp, unix_secs: i64) -> Result<Secret, String> {
        let data = encode(rec).map_err(|e| format!("encode release {}.v{}: {e}", rec.name, rec.version))?;
        if data.len() > MAX_SECRET_BYTES {
            return Err(format!(
                "release {}/{}.v{} is {} bytes encoded, over the 1 MiB a Secret may hold",
                self.namespace,
                rec.name,
                rec.version,
                data.len()
            ));
        }
        Ok(Secret {
            metadata: ObjectMeta {
                name: Some(secret_name(&rec.name, rec.version)),
                namespace: Some(self.namespace.clone()),
                labels: Some(secret_labels(rec, stamp, unix_secs)),
                ..ObjectMeta::default()
            },
            type_: Some(SECRET_TYPE.into()),
            data: Some(BTreeMap::from([("release".to_owned(), ByteString(data))])),
            ..Secret::default()
        })
    }

    /// Record a new revision (Helm's `Create`: refused when it exists, as Helm refuses).
    pub async fn create(&self, rec: &ReleaseRecord, unix_secs: i64) -> Result<(), String> {
        let secret = self.secret(rec, Stamp::Created, unix_secs)?;
        self.api
            .create(&PostParams::default(), &secret)
            .await
            .map(|_| ())
            .map_err(|e| format!("create release Secret {}: {e}", secret.name_any()))
    }

    /// Rewrite a revision (Helm's `Update`).
    pub async fn update(&self, rec: &ReleaseRecord, unix_secs: i64) -> Result<(), String> {
        let secret = self.secret(rec, Stamp::Modified, unix_secs)?;
        let name = secret.name_any();
        self.api
            .replace(&name, &PostParams::default(), &secret)
            .await
            .map(|_| ())
            .map_err(|e| format!("update release Secret {name}: {e}"))
    }

    pub async fn delete(&self, release: &str, version: i64) -> Result<(), String> {
        let name = secret_name(release, version);
        match self.api.delete(&name, &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(format!("delete release Secret {name}: {e}")),
        }
    }
}
