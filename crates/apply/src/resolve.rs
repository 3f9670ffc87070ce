//! `apiVersion` + `kind` → REST resource, from API discovery, cached per group-version and
//! refreshed on a miss (a CRD applied in an earlier stage serves a new kind).

use std::collections::HashMap;
use std::sync::Mutex;

use kube::Client;
use kube::api::ApiResource;

use crate::error::ApplyError;

/// A resolved kind: how to address it and whether it is namespaced.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub resource: ApiResource,
    pub namespaced: bool,
}

/// Discovery cache, shared by every apply of one [`crate::Applier`].
#[derive(Debug, Default)]
pub struct Resolver {
    cache: Mutex<HashMap<String, HashMap<String, Resolved>>>,
}

impl Resolver {
    fn cached(&self, api_version: &str, kind: &str) -> Option<Resolved> {
        let cache = self.cache.lock().ok()?;
        cache.get(api_version)?.get(kind).cloned()
    }

    /// Resolve a kind; `Ok(None)` when the API server does not serve it.
    pub async fn resolve(
        &self,
        client: &Client,
        api_version: &str,
        kind: &str,
    ) -> Result<Option<Resolved>, ApplyError> {
        if let Some(r) = self.cached(api_version, kind) {
            return Ok(Some(r));
        }
        let list = if api_version.contains('/') {
            client.list_api_group_resources(api_version).await
        } else {
            client.list_core_api_resources(api_version).await
        };
        let list = match list {
            Ok(list) => list,
            Err(kube::Error::Api(s)) if s.code == 404 => return Ok(None),
            Err(source) => return Err(ApplyError::Discover { api_version: api_version.to_owned(), source }),
        };
        let (group, version) = match api_version.rsplit_once('/') {
            Some((g, v)) => (g.to_owned(), v.to_owned()),
            None => (String::new(), api_version.to_owned()),
        };
        let kinds: HashMap<String, Resolved> = list
            .resources
            .iter()
            .filter(|r| !r.name.contains('/'))
            .map(|r| {
                let resource = ApiResource {
                    group: group.clone(),
                    version: version.clone(),
                    api_version: api_version.to_owned(),
                    kind: r.kind.clone(),
                    plural: r.name.clone(),
                };
                (r.kind.clone(), Resolved { resource, namespaced: r.namespaced })
            })
            .collect();
        let found = kinds.get(kind).cloned();
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(api_version.to_owned(), kinds);
        }
        Ok(found)
    }
}
