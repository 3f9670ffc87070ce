//! CustomResourceDefinitions: served kinds, schema pruning/defaulting/validation with the
//! upstream Flagger and Flux CRDs, printer columns, subresources.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{TIMEOUT, apply_crds, client, raw, raw_accept, start, yaml_docs};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::core::GroupVersionKind;
use kube::{Api, Client};
use serde_json::{Value, json};

const CONFORMANCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/conformance");

fn dynamic(c: &Client, ns: &str, group: &str, version: &str, kind: &str, plural: &str) -> Api<DynamicObject> {
    let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
    Api::namespaced_with(c.clone(), ns, &ar)
}

fn invalid_fields(e: kube::Error) -> Vec<String> {
    match e {
        kube::Error::Api(s) => {
            assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"), "{}", s.message);
            match s.details.map(|d| d.causes) {
                Some(causes) => causes.into_iter().map(|c| c.field).collect(),
                None => panic!("no causes in {}", s.message),
            }
        }
        other => panic!("expected 422, got {other:?}"),
    }
}

async fn create_ns(c: &Client, name: &str) {
    let nss: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(c.clone());
    nss.create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": name}})).unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn flagger_examples_accepted_and_broken_canaries_rejected() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        apply_crds(&c, &format!("{CONFORMANCE}/flagger/crd.yaml")).await;
        create_ns(&c, "test").await;
        let canaries = dynamic(&c, "test", "flagger.app", "v1beta1", "Canary", "canaries");
        let mut examples = Vec::new();
        for entry in std::fs::read_dir(format!("{CONFORMANCE}/flagger/examples")).unwrap() {
            let path = entry.unwrap().path();
            for doc in yaml_docs(&std::fs::read_to_string(&path).unwrap()) {
                if doc["kind"] == "Canary" {
                    examples.push((path.display().to_string(), doc));
                }
            }
        }
        assert!(examples.len() >= 5);
        for (path, doc) in &examples {
            let obj: DynamicObject = serde_json::from_value(doc.clone()).unwrap();
            let created = canaries.create(&PostParams::default(), &obj).await.unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(created.metadata.generation, Some(1));
            canaries.delete("podinfo", &DeleteParams::default()).await.unwrap();
        }
        let base = examples.iter().find(|(p, _)| p.ends_with("linkerd-canary.yaml")).unwrap().1.clone();

        let mut no_target = base.clone();
        no_target["spec"].as_object_mut().unwrap().remove("targetRef");
        let e = canaries.create(&PostParams::default(), &serde_json::from_value(no_target).unwrap()).await.unwrap_err();
        assert_eq!(invalid_fields(e), ["spec.targetRef"]);

        let mut both = base.clone();
        both["spec"]["analysis"]["iterations"] = json!(10);
        both["spec"]["analysis"]["stepWeight"] = json!(5);
        let e = canaries.create(&PostParams::default(), &serde_json::from_value(both).unwrap()).await.unwrap_err();
        assert_eq!(invalid_fields(e), ["spec.analysis"]);

        let mut bad_interval = base.clone();
        bad_interval["spec"]["analysis"]["interval"] = json!("5x");
        let e =
            canaries.create(&PostParams::default(), &serde_json::from_value(bad_interval).unwrap()).await.unwrap_err();
        assert_eq!(invalid_fields(e), ["spec.analysis.interval"]);

        // Unknown fields are pruned; status is a subresource.
        let mut extra = base.clone();
        extra["spec"]["bogusField"] = json!(true);
        extra["status"] = json!({"phase": "Succeeded"});
        let created = canaries.create(&PostParams::default(), &serde_json::from_value(extra).unwrap()).await.unwrap();
        assert!(created.data["spec"].get("bogusField").is_none());
        assert!(created.data.get("status").is_none());
        // Validation applies to patches too.
        let e = canaries
            .patch("podinfo", &PatchParams::default(), &Patch::Merge(json!({"spec": {"analysis": {"interval": "5x"}}})))
            .await
            .unwrap_err();
        assert_eq!(invalid_fields(e), ["spec.analysis.interval"]);
        let st = canaries
            .patch_status(
                "podinfo",
                &PatchParams::default(),
                &Patch::Merge(json!({"status": {"phase": "Progressing"}})),
            )
            .await
            .unwrap();
        assert_eq!(st.data["status"]["phase"], "Progressing");
        assert_eq!(st.metadata.generation, Some(1));

        // Printer columns through the Table format kubectl asks for.
        let accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
        let (code, table) =
            raw_accept(&sb, "GET", "/apis/flagger.app/v1beta1/namespaces/test/canaries", "", accept, vec![]).await;
        assert_eq!(code, 200);
        assert_eq!(table["kind"], "Table");
        let names: Vec<&str> =
            table["columnDefinitions"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
        assert_eq!(names.first(), Some(&"Name"));
        assert!(names.contains(&"Status"), "{names:?}");
        let row = &table["rows"][0];
        let status_idx = names.iter().position(|n| *n == "Status").unwrap();
        assert_eq!(row["cells"][0], "podinfo");
        assert_eq!(row["cells"][status_idx], "Progressing");
        assert_eq!(row["object"]["kind"], "PartialObjectMetadata");
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn flux_crds_default_and_validate() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        apply_crds(&c, &format!("{CONFORMANCE}/flux/gitrepositories.yaml")).await;
        apply_crds(&c, &format!("{CONFORMANCE}/flux/kustomizations.yaml")).await;
        let repos = dynamic(&c, "default", "source.toolkit.fluxcd.io", "v1", "GitRepository", "gitrepositories");
        let repo = json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "podinfo"},
            "spec": {"interval": "1m", "url": "https://github.com/stefanprodan/podinfo", "ref": {"branch": "master"}}
        });
        let created = repos.create(&PostParams::default(), &serde_json::from_value(repo.clone()).unwrap()).await.unwrap();
        assert_eq!(created.data["spec"]["timeout"], "60s", "default applied: {}", created.data["spec"]);
        let mut bad = repo.clone();
        bad["metadata"]["name"] = json!("bad");
        bad["spec"]["interval"] = json!(5);
        let e = repos.create(&PostParams::default(), &serde_json::from_value(bad).unwrap()).await.unwrap_err();
        assert_eq!(invalid_fields(e), ["spec.interval"]);
        let ks = dynamic(&c, "default", "kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations");
        let k = json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "app"},
            "spec": {"interval": "5m", "prune": true, "path": "./kustomize", "sourceRef": {"kind": "GitRepository", "name": "podinfo"}}
        });
        ks.create(&PostParams::default(), &serde_json::from_value(k.clone()).unwrap()).await.unwrap();
        let mut bad = k.clone();
        bad["metadata"]["name"] = json!("bad");
        bad["spec"]["sourceRef"]["kind"] = json!("Nope");
        let e = ks.create(&PostParams::default(), &serde_json::from_value(bad).unwrap()).await.unwrap_err();
        assert_eq!(invalid_fields(e), ["spec.sourceRef.kind"]);
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

fn widget_crd() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com", "scope": "Cluster",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas", "labelSelectorPath": ".status.selector"}},
                "additionalPrinterColumns": [{"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"}],
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {
                        "spec": {
                            "type": "object", "required": ["size"],
                            "properties": {
                                "replicas": {"type": "integer", "minimum": 0, "maximum": 10, "default": 1},
                                "size": {"type": "string", "enum": ["small", "large"]},
                                "port": {"x-kubernetes-int-or-string": true},
                                "name": {"type": "string", "maxLength": 5, "nullable": true},
                                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                                "items": {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "string", "default": "x"}}}}
                            }
                        },
                        "status": {"type": "object", "properties": {"replicas": {"type": "integer"}, "selector": {"type": "string"}}}
                    }
                }}
            }]
        }
    })
}

#[tokio::test]
async fn custom_schema_keywords_scale_and_crd_removal() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let crds: Api<CustomResourceDefinition> = Api::all(c.clone());
        crds.create(&PostParams::default(), &serde_json::from_value(widget_crd()).unwrap()).await.unwrap();
        let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("example.com", "v1", "Widget"), "widgets");
        let widgets: Api<DynamicObject> = Api::all_with(c.clone(), &ar);
        let w = |spec: Value| -> DynamicObject {
            serde_json::from_value(json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec})).unwrap()
        };
        let created = widgets
            .create(&PostParams::default(), &w(json!({"size": "small", "port": "http", "name": null, "free": {"any": {"thing": 1}}, "items": [{}]})))
            .await
            .unwrap();
        assert_eq!(created.data["spec"]["replicas"], 1);
        assert_eq!(created.data["spec"]["items"][0]["a"], "x");
        assert_eq!(created.data["spec"]["free"]["any"]["thing"], 1);
        assert!(created.data["spec"].get("name").is_some());
        for (spec, field) in [
            (json!({"size": "medium"}), "spec.size"),
            (json!({"size": "small", "replicas": 11}), "spec.replicas"),
            (json!({"size": "small", "port": 1.5}), "spec.port"),
            (json!({"size": "small", "name": "toolong"}), "spec.name"),
            (json!({"replicas": 1}), "spec.size"),
            (json!({"size": "small", "items": [{"a": 3}]}), "spec.items[0].a"),
        ] {
            let mut o = w(spec);
            o.metadata.name = Some("bad".to_owned());
            let e = widgets.create(&PostParams::default(), &o).await.unwrap_err();
            assert_eq!(invalid_fields(e), [field]);
        }
        let scaled = widgets.patch_scale("w", &PatchParams::default(), &Patch::Merge(json!({"spec": {"replicas": 4}}))).await.unwrap();
        assert_eq!(scaled.spec.and_then(|s| s.replicas), Some(4));
        assert_eq!(widgets.get("w").await.unwrap().data["spec"]["replicas"], 4);
        // Discovery lists the new kind with its subresources.
        let (code, v) = raw(&sb, "GET", "/apis/example.com/v1", "", vec![]).await;
        assert_eq!(code, 200);
        let names: Vec<&str> = v["resources"].as_array().unwrap().iter().filter_map(|r| r["name"].as_str()).collect();
        assert_eq!(names, ["widgets", "widgets/status", "widgets/scale"]);
        // Deleting the CRD stops serving it and removes its objects.
        crds.delete("widgets.example.com", &DeleteParams::default()).await.unwrap();
        assert!(widgets.list(&ListParams::default()).await.is_err());
        let (code, _) = raw(&sb, "GET", "/apis/example.com/v1", "", vec![]).await;
        assert_eq!(code, 404);
        // A CRD whose name does not match is rejected.
        let mut wrong = widget_crd();
        wrong["metadata"]["name"] = json!("gadgets.example.com");
        let e = crds.create(&PostParams::default(), &serde_json::from_value(wrong).unwrap()).await.unwrap_err();
        assert_eq!(invalid_fields(e), ["metadata.name"]);
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn every_conformance_crd_is_served() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let mut files = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(format!("{CONFORMANCE}/crds"))];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "yaml") {
                    files.push(p);
                }
            }
        }
        files.sort();
        let crds: Api<CustomResourceDefinition> = Api::all(c.clone());
        let mut served = 0;
        for f in &files {
            for doc in yaml_docs(&std::fs::read_to_string(f).unwrap()) {
                if doc["kind"] != "CustomResourceDefinition" {
                    continue;
                }
                let crd: CustomResourceDefinition = serde_json::from_value(doc).unwrap();
                match crds.create(&PostParams::default(), &crd).await {
                    Ok(_) => served += 1,
                    // Two SMI files define the same CRD.
                    Err(kube::Error::Api(s)) if s.code == 409 => {}
                    Err(e) => panic!("{}: {e}", f.display()),
                }
            }
        }
        assert!(served >= 10, "{served}");
        let discovery = kube::Discovery::new(c.clone()).run().await.unwrap();
        assert!(discovery.has_group("gateway.networking.k8s.io"));
        assert!(discovery.has_group("networking.istio.io"));
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn field_validation_modes_for_unknown_fields() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let crds: Api<CustomResourceDefinition> = Api::all(c.clone());
        crds.create(&PostParams::default(), &serde_json::from_value(widget_crd()).unwrap()).await.unwrap();
        let body = |name: &str| {
            serde_json::to_vec(&json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name},
                "spec": {"size": "small", "bogus": 1}}))
            .unwrap()
        };
        let p = "/apis/example.com/v1/widgets";
        let (code, v) = raw(&sb, "POST", &format!("{p}?fieldValidation=Strict"), "application/json", body("a")).await;
        assert_eq!((code, v["reason"].as_str()), (400, Some("BadRequest")), "{v}");
        assert!(v["message"].as_str().unwrap().contains("unknown field \"spec.bogus\""), "{v}");
        let (code, v) = raw(&sb, "POST", &format!("{p}?fieldValidation=Ignore"), "application/json", body("b")).await;
        assert_eq!(code, 201);
        assert!(v["spec"].get("bogus").is_none());
        let (code, _) = raw(&sb, "POST", &format!("{p}?fieldValidation=Nope"), "application/json", body("c")).await;
        assert_eq!(code, 400);
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}
