//! `--state-dir` persistence: a snapshot (`snapshot.jsonl`) plus a write-ahead append log
//! (`log.jsonl`) of every committed change. At start the snapshot is loaded, the log replayed,
//! a fresh snapshot written and the log emptied; afterwards each commit appends one line
//! (written at once, not fsynced: the state survives a restart of the process, not of the
//! machine), and every 50,000 lines the log is folded into a new snapshot. The watch history is not kept: watches resuming from a version before the
//! restart get 410 Gone and relist, as after an etcd compaction.
//!
//! Line formats: snapshot header `{"rv":N}` then `{"res":ID,"obj":OBJECT}` per object
//! (CustomResourceDefinitions first); log `{"rv":N,"res":ID,"deleted":BOOL,"obj":OBJECT}`.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};

use crate::error::SandboxError;
use crate::meta;
use crate::resource::Registry;
use crate::store::{JsonCell, Store, json_of};

const SNAPSHOT: &str = "snapshot.jsonl";
const LOG: &str = "log.jsonl";
const CRDS: &str = "customresourcedefinitions.apiextensions.k8s.io";

/// Log lines after which the state is compacted into a new snapshot.
const COMPACT_AFTER: usize = 50_000;

/// The open append log.
#[derive(Debug)]
pub struct Log {
    file: File,
    path: PathBuf,
    /// Lines appended since the last snapshot.
    lines: usize,
}

impl Log {
    /// Whether the log has grown enough to be folded into a new snapshot.
    pub fn wants_compaction(&self) -> bool {
        self.lines >= COMPACT_AFTER
    }

    /// Appends one committed change; a failed write is logged, never fails the request.
    pub fn append(&mut self, rv: u64, res: &str, deleted: bool, object: &[u8]) {
        self.lines += 1;
        let mut line = serde_json::to_vec(&json!({"rv": rv, "res": res, "deleted": deleted})).unwrap_or_default();
        line.pop();
        line.extend_from_slice(b",\"obj\":");
        line.extend_from_slice(object);
        line.extend_from_slice(b"}\n");
        if let Err(error) = self.file.write_all(&line) {
            tracing::warn!(path = %self.path.display(), %error, "appending to the sandbox state log failed");
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> SandboxError + '_ {
    move |source| SandboxError::State { path: path.to_path_buf(), source }
}

/// Loads the state in `dir` (created when missing) into `store`, compacts it into a fresh
/// snapshot and opens the log for the writes to come.
pub fn open(store: &mut Store, dir: &Path) -> Result<(), SandboxError> {
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let (snapshot, log) = (dir.join(SNAPSHOT), dir.join(LOG));
    let mut entries: Vec<(u64, String, bool, Value)> = Vec::new();
    let mut rv = 0;
    let mut found = false;
    if snapshot.exists() {
        found = true;
        for (i, line) in read_lines(&snapshot)?.into_iter().enumerate() {
            if i == 0 {
                rv = line.get("rv").and_then(Value::as_u64).unwrap_or(0);
                continue;
            }
            let (res, obj) = (line["res"].as_str().unwrap_or_default().to_owned(), line["obj"].clone());
            entries.push((0, res, false, obj));
        }
    }
    if log.exists() {
        found = true;
        for line in read_lines(&log)? {
            let entry_rv = line["rv"].as_u64().unwrap_or(0);
            // Lines already in the snapshot (a restart between snapshot and truncation).
            if entry_rv <= rv && rv > 0 && !entries.is_empty() {
                continue;
            }
            let res = line["res"].as_str().unwrap_or_default().to_owned();
            entries.push((entry_rv, res, line["deleted"].as_bool().unwrap_or(false), line["obj"].clone()));
        }
    }
    if found {
        restore(store, rv, entries);
        tracing::info!(dir = %dir.display(), rv = store.current_rv(), "sandbox state loaded");
    }
    write_snapshot(store, &snapshot)?;
    let file = File::create(&log).map_err(io_error(&log))?;
    store.log = Some(Log { file, path: log, lines: 0 });
    Ok(())
}

/// Folds the log into a new snapshot and empties it (the store lock is held: a pause of a
/// serialization of the changed objects, every COMPACT_AFTER writes).
pub fn compact(store: &mut Store) {
    let Some(log) = store.log.take() else { return };
    let dir = log.path.parent().map(Path::to_path_buf).unwrap_or_default();
    let snapshot = dir.join(SNAPSHOT);
    let result = write_snapshot(store, &snapshot).and_then(|()| File::create(&log.path).map_err(io_error(&log.path)));
    match result {
        Ok(file) => store.log = Some(Log { file, path: log.path, lines: 0 }),
        Err(error) => {
            tracing::warn!(%error, "compacting the sandbox state failed; the log keeps growing");
            store.log = Some(Log { lines: 0, ..log });
        }
    }
}

/// Parses a JSON-lines file; a torn last line (a write cut by a crash) is dropped.
fn read_lines(path: &Path) -> Result<Vec<Value>, SandboxError> {
    let file = File::open(path).map_err(io_error(path))?;
    let lines: Vec<String> = BufReader::new(file).lines().collect::<Result<_, _>>().map_err(io_error(path))?;
    let count = lines.len();
    let mut out = Vec::with_capacity(count);
    for (i, text) in lines.iter().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        match serde_json::from_str(text) {
            Ok(v) => out.push(v),
            Err(_) if i + 1 == count => {
                tracing::warn!(path = %path.display(), line = i + 1, "dropping a torn last line of the sandbox state");
            }
            Err(source) => return Err(SandboxError::ParseState { path: path.to_path_buf(), line: i + 1, source }),
        }
    }
    Ok(out)
}

/// Replaces the store's contents with the loaded objects.
fn restore(store: &mut Store, snapshot_rv: u64, entries: Vec<(u64, String, bool, Value)>) {
    store.objects.clear();
    store.by_uid.clear();
    store.owners.clear();
    store.ns_counts.clear();
    let mut rv = snapshot_rv;
    for (entry_rv, res, deleted, obj) in entries {
        rv = rv.max(entry_rv).max(meta::resource_version(&obj).parse().unwrap_or(0));
        store.place(&res, deleted, &Arc::new(obj), &JsonCell::default());
    }
    store.registry = Registry::with_builtins();
    let crds: Vec<Arc<Value>> = store.iter_resource(CRDS, None).cloned().collect();
    if let Some(info) = store.registry.any_version(CRDS) {
        for crd in crds {
            store.after_write(&info, &crd);
        }
    }
    // Cluster IPs continue after the highest one handed out.
    let services: Vec<Arc<Value>> = store.iter_resource("services", None).cloned().collect();
    store.next_ip = services
        .iter()
        .filter_map(|s| s.pointer("/spec/clusterIP").and_then(Value::as_str))
        .filter_map(|ip| ip.strip_prefix("10.96."))
        .filter_map(|rest| rest.split_once('.'))
        .filter_map(|(a, b)| Some((a.parse::<u32>().ok()? << 8) | b.parse::<u32>().ok()?))
        .max()
        .unwrap_or(0);
    store.restart_at(rv);
}

fn write_snapshot(store: &Store, path: &Path) -> Result<(), SandboxError> {
    let tmp = path.with_extension("jsonl.tmp");
    let file = File::create(&tmp).map_err(io_error(&tmp))?;
    let mut out = BufWriter::new(file);
    let mut ids: Vec<&String> = store.objects.keys().collect();
    // CRDs first: their kinds must be served before their objects are read back.
    ids.sort_by_key(|id| (id.as_str() != CRDS, id.as_str()));
    let mut text = format!("{{\"rv\":{}}}\n", store.current_rv()).into_bytes();
    for id in ids {
        for stored in store.iter_stored(id, None) {
            text.extend_from_slice(b"{\"res\":");
            text.extend_from_slice(&serde_json::to_vec(id).unwrap_or_default());
            text.extend_from_slice(b",\"obj\":");
            text.extend_from_slice(json_of(&stored.json, &stored.value));
            text.extend_from_slice(b"}\n");
            if text.len() > 1 << 20 {
                out.write_all(&text).map_err(io_error(&tmp))?;
                text.clear();
            }
        }
    }
    out.write_all(&text).map_err(io_error(&tmp))?;
    out.flush().map_err(io_error(&tmp))?;
    drop(out);
    std::fs::rename(&tmp, path).map_err(io_error(path))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::store::{Store, WriteOptions};

    #[test]
    fn a_long_log_is_folded_into_the_snapshot_and_reloads() {
        let dir = std::env::temp_dir().join(format!("glidepath-sandbox-compact-{}", std::process::id()));
        let _fresh = std::fs::remove_dir_all(&dir);
        let mut store = Store::new(100, 100);
        super::open(&mut store, &dir).unwrap();
        let info = store.registry.get("", "v1", "configmaps").unwrap();
        let cm = |name: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}});
        store.create(&info, "default", cm("before"), &WriteOptions::default()).unwrap();
        assert!(!std::fs::read_to_string(dir.join("log.jsonl")).unwrap().is_empty());
        if let Some(log) = &mut store.log {
            log.lines = super::COMPACT_AFTER;
        }
        store.create(&info, "default", cm("after"), &WriteOptions::default()).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("log.jsonl")).unwrap(), "", "log folded away");
        let snapshot = std::fs::read_to_string(dir.join("snapshot.jsonl")).unwrap();
        assert!(snapshot.contains("\"before\"") && snapshot.contains("\"after\""));
        store.create(&info, "default", cm("later"), &WriteOptions::default()).unwrap();
        let rv = store.current_rv();
        let mut reloaded = Store::new(100, 100);
        super::open(&mut reloaded, &dir).unwrap();
        assert_eq!(reloaded.current_rv(), rv);
        for name in ["before", "after", "later"] {
            assert!(reloaded.lookup("configmaps", "default", name).is_some(), "{name}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
