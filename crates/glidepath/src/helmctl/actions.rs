//! Helm's release actions on Glidepath's parts: render with the native engine, write through the
//! apply layer (server-side apply as `helm-controller`), record each revision in Helm's release
//! storage in Helm's order — `pending-*` first, `deployed`/`failed` after, the previous release
//! `superseded` — so an interrupted action leaves a record to unlock, never a silent half-install.

use std::sync::Arc;
use std::time::Duration;

use glidepath_apply::{ApplyOptions, Entry, HealthExpr, ObjMeta};
use glidepath_helm::storage::{HookRecord, RecordMeta, ReleaseRecord, Status};
use glidepath_helm::{Capabilities, Chart, Rendered, TemplateOptions};
use serde_json::{Map, Value};

use super::hooks::{self, Clock, entry};
use super::objects::{self, Marks};
use super::storage::Storage;
use crate::sync::Context;

/// `install.crds` / `upgrade.crds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrdPolicy {
    Skip,
    Create,
    CreateReplace,
}

impl CrdPolicy {
    pub fn parse(s: Option<&str>, default: CrdPolicy) -> CrdPolicy {
        match s {
            Some("Skip") => CrdPolicy::Skip,
            Some("Create") => CrdPolicy::Create,
            Some("CreateReplace") => CrdPolicy::CreateReplace,
            _ => default,
        }
    }
}

/// How an action runs.
#[derive(Clone, Debug)]
pub struct Options {
    pub timeout: Duration,
    pub wait: bool,
    pub hooks: bool,
    pub take_ownership: bool,
    pub crds: CrdPolicy,
    pub force: bool,
    pub skip_schema_validation: bool,
    pub max_history: usize,
    /// `install.createNamespace`.
    pub create_namespace: bool,
    /// Wait for Jobs to complete too (not `disableWaitForJobs`).
    pub wait_for_jobs: bool,
}

/// One release's context: where it is stored, how its objects are marked, the clock.
#[allow(missing_debug_implementations)] // holds the clock closures
pub struct Release<'a> {
    pub ctx: &'a Context,
    pub storage: Storage,
    pub marks: Marks,
    pub capabilities: Capabilities,
    pub health: &'a [HealthExpr],
    /// RFC3339Nano and Unix seconds of "now".
    pub now: Clock<'a>,
    pub unix: &'a (dyn Fn() -> i64 + Sync),
}

/// What to deploy: a chart and the user's values.
#[derive(Clone, Debug)]
pub struct Target {
    pub chart: Arc<Chart>,
    /// The chart artifact's digest.
    pub digest: String,
    pub config: Map<String, Value>,
}

/// A failed action: the record it left (when it got that far) and Helm's message.
#[derive(Debug)]
pub struct Failed {
    pub record: Option<Box<ReleaseRecord>>,
    pub message: String,
}

fn failed(message: impl Into<String>) -> Failed {
    Failed { record: None, message: message.into() }
}

impl Release<'_> {
    fn name(&self) -> &str {
        &self.marks.release
    }

    /// Render `target` as revision `version` (off the runtime; `lookup` reads the cluster).
    async fn render(&self, target: &Target, version: i64, upgrade: bool, opts: &Options) -> Result<Rendered, Failed> {
        let client = self.ctx.client.clone();
        let handle = tokio::runtime::Handle::current();
        let lookup: glidepath_helm::Lookup = Arc::new(move |api_version: &str, kind: &str, ns: &str, name: &str| {
            handle.block_on(super::lookup::lookup(&client, api_version, kind, ns, name))
        });
        let options = TemplateOptions {
            release: glidepath_helm::Release {
                name: self.name().to_owned(),
                namespace: self.marks.namespace.clone(),
                revision: version,
                is_install: !upgrade,
                is_upgrade: upgrade,
            },
            capabilities: self.capabilities.clone(),
            values: target.config.clone(),
            skip_schema_validation: opts.skip_schema_validation,
            lookup: Some(lookup),
            ..TemplateOptions::default()
        };
        let chart = Arc::clone(&target.chart);
        tokio::task::spawn_blocking(move || glidepath_helm::render_release(&chart, &options))
            .await
            .map_err(|e| failed(format!("render task failed: {e}")))?
            .map_err(|e| failed(crate::error_chain(&e)))
    }

    fn record(
        &self,
        target: &Target,
        rendered: &Rendered,
        version: i64,
        status: Status,
        description: &str,
        first: Option<String>,
    ) -> Result<ReleaseRecord, Failed> {
        let meta = RecordMeta {
            name: self.name().to_owned(),
            namespace: self.marks.namespace.clone(),
            version,
            now: (self.now)(),
            first_deployed: first,
            status,
            description: description.to_owned(),
            ..RecordMeta::default()
        };
        ReleaseRecord::new(&target.chart, target.config.clone(), rendered, meta)
            .map_err(|e| failed(crate::error_chain(&e)))
    }

    /// Refuse objects another release owns (and unowned ones without take-ownership), with
    /// Helm's message, before anything is written.
    async fn check_ownership(&self, objs: &[Value], known: &[ObjMeta], take: bool, action: &str) -> Result<(), Failed> {
        for obj in objs {
            let meta = ObjMeta::of(obj).map_err(|e| failed(e.to_string()))?;
            if known.contains(&meta) {
                continue;
            }
            let live = self.ctx.helm.applier.live(obj).await.map_err(|e| failed(e.to_string()))?;
            if let Some(live) = live
                && let Some(why) = objects::ownership_conflict(&live, self.name(), &self.marks.namespace, take)
            {
                return Err(failed(format!(
                    "Unable to continue with {action}: {} \"{}\" in namespace \"{}\" exists and cannot be imported into the current release: {why}",
                    meta.kind, meta.name, meta.namespace
                )));
            }
        }
        Ok(())
    }

    async fn write(&self, rec: &ReleaseRecord, create: bool) -> Result<(), Failed> {
        let r = if create {
            self.storage.create(rec, (self.unix)()).await
        } else {
            self.storage.update(rec, (self.unix)()).await
        };
        r.map_err(failed)
    }

    /// Mark `rec` with its final status and store it.
    async fn finish(
        &self,
        mut rec: ReleaseRecord,
        status: Status,
        description: String,
    ) -> Result<ReleaseRecord, Failed> {
        rec.info.status = status;
        rec.info.description = description;
        rec.info.last_deployed = Some((self.now)());
        self.write(&rec, false).await?;
        Ok(rec)
    }

    /// Install `target` as the next revision.
    pub async fn install(
        &self,
        target: &Target,
        history: &[ReleaseRecord],
        opts: &Options,
    ) -> Result<ReleaseRecord, Failed> {
        let version = history.last().map_or(1, |r| r.version + 1);
        let rendered = self.render(target, version, false, opts).await?;
        let manifest = glidepath_helm::release_manifest(&rendered);
        let objs = objects::parse_manifest(&manifest, &self.marks).map_err(failed)?;
        self.check_ownership(&objs, &[], opts.take_ownership, "install").await?;
        if opts.create_namespace {
            self.create_namespace(opts).await.map_err(failed)?;
        }
        let rec = self.record(target, &rendered, version, Status::PendingInstall, "Initial install underway", None)?;
        self.write(&rec, true).await?;
        let mut rec = rec;
        match self.deploy(&mut rec, &rendered, objs, &[], "install", opts).await {
            Ok(()) => self.finish(rec, Status::Deployed, "Install complete".into()).await,
            Err(e) => {
                let message = format!("Release \"{}\" failed: {e}", self.name());
                let record = self.finish(rec, Status::Failed, message).await.ok().map(Box::new);
                Err(Failed { record, message: e })
            }
        }
    }

    /// Upgrade to `target` as the next revision; `current` is the release it replaces.
    pub async fn upgrade(
        &self,
        target: &Target,
        history: &[ReleaseRecord],
        current: &ReleaseRecord,
        opts: &Options,
    ) -> Result<ReleaseRecord, Failed> {
        let version = history.last().map_or(1, |r| r.version + 1);
        let rendered = self.render(target, version, true, opts).await?;
        let manifest = glidepath_helm::release_manifest(&rendered);
        let objs = objects::parse_manifest(&manifest, &self.marks).map_err(failed)?;
        let old = objects::parse_manifest(&current.manifest, &self.marks).map_err(failed)?;
        let known: Vec<ObjMeta> = old.iter().filter_map(|o| ObjMeta::of(o).ok()).collect();
        self.check_ownership(&objs, &known, opts.take_ownership, "upgrade").await?;
        let first = history.first().and_then(|r| r.info.first_deployed.clone());
        let mut rec = self.record(target, &rendered, version, Status::PendingUpgrade, "Preparing upgrade", first)?;
        self.write(&rec, true).await?;
        match self.deploy(&mut rec, &rendered, objs, &old, "upgrade", opts).await {
            Ok(()) => {
                self.supersede(history).await?;
                let rec = self.finish(rec, Status::Deployed, "Upgrade complete".into()).await?;
                self.prune_history(opts.max_history).await;
                Ok(rec)
            }
            Err(e) => {
                let message = format!("Upgrade \"{}\" failed: {e}", self.name());
                let record = self.finish(rec, Status::Failed, message).await.ok().map(Box::new);
                Err(Failed { record, message: e })
            }
        }
    }

    /// Roll back to revision `to` as the next revision.
    pub async fn rollback(
        &self,
        history: &[ReleaseRecord],
        to: &ReleaseRecord,
        opts: &Options,
    ) -> Result<ReleaseRecord, Failed> {
        let version = history.last().map_or(1, |r| r.version + 1);
        let objs = objects::parse_manifest(&to.manifest, &self.marks).map_err(failed)?;
        let current = history.last().map(|r| r.manifest.as_str()).unwrap_or_default();
        let old = objects::parse_manifest(current, &self.marks).map_err(failed)?;
        let mut rec = to.clone();
        rec.version = version;
        rec.info.status = Status::PendingRollback;
        rec.info.description = format!("Rollback to {}", to.version);
        rec.info.last_deployed = Some((self.now)());
        for h in &mut rec.hooks {
            h.last_run = Default::default();
        }
        self.write(&rec, true).await?;
        let rendered = Rendered { manifests: Vec::new(), hooks: Vec::new(), ..Rendered::default() };
        match self.deploy(&mut rec, &rendered, objs, &old, "rollback", opts).await {
            Ok(()) => {
                self.supersede(history).await?;
                let description = format!("Rollback to {}", to.version);
                let rec = self.finish(rec, Status::Deployed, description).await?;
                self.prune_history(opts.max_history).await;
                Ok(rec)
            }
            Err(e) => {
                let message = format!("Rollback \"{}\" failed: {e}", self.name());
                let record = self.finish(rec, Status::Failed, message).await.ok().map(Box::new);
                Err(Failed { record, message: e })
            }
        }
    }

    /// Uninstall: pre-delete hooks, the release's objects deleted (not those Helm keeps), post-delete
    /// hooks, then the history removed (or kept, marked `uninstalled`).
    pub async fn uninstall(&self, history: &[ReleaseRecord], keep_history: bool, opts: &Options) -> Result<(), String> {
        let Some(latest) = history.last() else { return Ok(()) };
        let mut rec = latest.clone();
        rec.info.status = Status::Uninstalling;
        self.write(&rec, false).await.map_err(|f| f.message)?;
        if opts.hooks {
            hooks::run(self.ctx, &mut rec, "pre-delete", &self.marks.namespace, opts.timeout, self.now).await?;
        }
        let objs = objects::parse_manifest(&rec.manifest, &self.marks)?;
        let entries: Vec<Entry> = objs.iter().filter(|o| !objects::kept(o)).filter_map(|o| entry(o).ok()).collect();
        self.delete_owned(&entries).await?;
        if opts.hooks {
            hooks::run(self.ctx, &mut rec, "post-delete", &self.marks.namespace, opts.timeout, self.now).await?;
        }
        if keep_history {
            rec.info.status = Status::Uninstalled;
            rec.info.deleted = Some((self.now)());
            rec.info.description = "Uninstallation complete".into();
            return self.write(&rec, false).await.map_err(|f| f.message);
        }
        for r in history {
            self.storage.delete(self.name(), r.version).await?;
        }
        Ok(())
    }

    /// `helm test`: the release's test hooks `select` accepts, their runs recorded in its revision.
    pub async fn test(
        &self,
        rec: &ReleaseRecord,
        timeout: Duration,
        select: &(dyn Fn(&HookRecord) -> bool + Sync),
    ) -> Result<usize, String> {
        let mut rec = rec.clone();
        let ran =
            hooks::run_selected(self.ctx, &mut rec, "test", &self.marks.namespace, timeout, self.now, select).await;
        self.write(&rec, false).await.map_err(|f| f.message)?;
        ran
    }

    /// helm-controller's unlock: a release stuck in `pending-*` is marked failed.
    pub async fn unlock(&self, rec: &ReleaseRecord) -> Result<ReleaseRecord, String> {
        let mut rec = rec.clone();
        let was = rec.info.status.as_str().to_owned();
        rec.info.status = Status::Failed;
        rec.info.description = format!("Release unlocked from stale '{was}' state");
        self.write(&rec, false).await.map_err(|f| f.message)?;
        Ok(rec)
    }

    /// CRDs, pre hooks, the objects, the objects `old` had that are gone now, health, post hooks.
    async fn deploy(
        &self,
        rec: &mut ReleaseRecord,
        rendered: &Rendered,
        objs: Vec<Value>,
        old: &[Value],
        action: &str,
        opts: &Options,
    ) -> Result<(), String> {
        self.crds(rendered, opts).await?;
        let ns = self.marks.namespace.clone();
        if opts.hooks {
            hooks::run(self.ctx, rec, &format!("pre-{action}"), &ns, opts.timeout, self.now).await?;
        }
        let applier = &self.ctx.helm.applier;
        let apply = ApplyOptions { force: opts.force, wait_timeout: opts.timeout };
        let changes = applier.apply_all_staged(objs.clone(), &apply).await.map_err(|e| e.to_string())?;
        let now: Vec<Entry> = changes.entries();
        let stale: Vec<Entry> = old
            .iter()
            .filter(|o| !objects::kept(o))
            .filter_map(|o| entry(o).ok())
            .filter(|e| !now.iter().any(|n| n.meta == e.meta))
            .collect();
        self.delete_owned(&stale).await?;
        if opts.wait {
            let waited: Vec<Entry> =
                now.iter().filter(|e| opts.wait_for_jobs || e.meta.kind != "Job").cloned().collect();
            applier.wait(&waited, opts.timeout, true, self.health).await.map_err(|e| e.to_string())?;
        }
        if opts.hooks {
            hooks::run(self.ctx, rec, &format!("post-{action}"), &ns, opts.timeout, self.now).await?;
        }
        Ok(())
    }

    /// Delete what this release owns among `entries` (by Helm's ownership annotations).
    async fn delete_owned(&self, entries: &[Entry]) -> Result<(), String> {
        let (release, ns) = (self.name().to_owned(), self.marks.namespace.clone());
        let owns = move |live: &Value| {
            glidepath_apply::object::annotation(live, objects::RELEASE_NAME) == Some(release.as_str())
                && glidepath_apply::object::annotation(live, objects::RELEASE_NAMESPACE) == Some(ns.as_str())
                && !objects::kept(live)
        };
        let out = self.ctx.helm.applier.prune_if(entries, &owns).await;
        match out.failed.first() {
            Some((_, e)) => Err(e.to_string()),
            None => Ok(()),
        }
    }

    /// The chart's CRDs (`crds/`) per policy: created when missing, or also replaced.
    async fn crds(&self, rendered: &Rendered, opts: &Options) -> Result<(), String> {
        if opts.crds == CrdPolicy::Skip || rendered.crds.is_empty() {
            return Ok(());
        }
        let mut objs = Vec::new();
        for (path, text) in &rendered.crds {
            for doc in glidepath_helm::manifest::split_manifests(text) {
                let v: Value = serde_norway::from_str(&doc).map_err(|e| format!("{path}: invalid YAML: {e}"))?;
                if v.is_object() {
                    objs.push(v);
                }
            }
        }
        let applier = &self.ctx.helm.applier;
        let mut wanted = Vec::new();
        for o in objs {
            if opts.crds == CrdPolicy::CreateReplace || applier.live(&o).await.map_err(|e| e.to_string())?.is_none() {
                wanted.push(o);
            }
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let apply = ApplyOptions { force: false, wait_timeout: opts.timeout };
        applier.apply_all_staged(wanted, &apply).await.map(|_| ()).map_err(|e| e.to_string())
    }

    /// `createNamespace`: the release namespace, made when missing (Helm's `--create-namespace`).
    async fn create_namespace(&self, opts: &Options) -> Result<(), String> {
        let ns =
            serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.marks.namespace}});
        let applier = &self.ctx.helm.applier;
        if applier.live(&ns).await.map_err(|e| e.to_string())?.is_some() {
            return Ok(());
        }
        let apply = ApplyOptions { force: false, wait_timeout: opts.timeout };
        applier.apply_all_staged(vec![ns], &apply).await.map(|_| ()).map_err(|e| e.to_string())
    }

    /// Every `deployed` revision becomes `superseded` (the new one is about to be deployed).
    async fn supersede(&self, history: &[ReleaseRecord]) -> Result<(), Failed> {
        for r in history.iter().filter(|r| r.info.status == Status::Deployed) {
            let mut r = r.clone();
            r.info.status = Status::Superseded;
            self.write(&r, false).await?;
        }
        Ok(())
    }

    /// `maxHistory`: the oldest revisions beyond it go (0: all kept).
    async fn prune_history(&self, max: usize) {
        let Ok(history) = self.storage.history(self.name()).await else { return };
        for v in glidepath_helm::storage::prune(&history, max) {
            if let Err(e) = self.storage.delete(self.name(), v).await {
                tracing::warn!(release = self.name(), error = %e, "prune release history");
            }
        }
    }
}
