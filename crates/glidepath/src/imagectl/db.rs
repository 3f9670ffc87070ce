//! The tag database: each scanned repository's tags by canonical image name (as Flux keys
//! its Badger database), held compactly in memory and written to the storage directory, so a
//! restarted controller has its tags without rescanning every repository at once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use glidepath_image::TagSet;
use sha2::Digest;

#[derive(Debug)]
pub struct TagDb {
    dir: PathBuf,
    map: RwLock<HashMap<String, Arc<TagSet>>>,
}

impl TagDb {
    pub fn new(root: &Path) -> TagDb {
        TagDb { dir: root.join("imagerepository-tags"), map: RwLock::default() }
    }

    fn file(&self, canonical: &str) -> PathBuf {
        let hex = format!("{:x}", sha2::Sha256::digest(canonical.as_bytes()));
        self.dir.join(format!("{}.json", &hex[..32]))
    }

    /// The stored tags of `canonical`: from memory, else read back from disk; empty if none.
    pub fn get(&self, canonical: &str) -> Arc<TagSet> {
        if let Some(t) = self.map.read().ok().and_then(|m| m.get(canonical).cloned()) {
            return t;
        }
        let loaded = std::fs::read(self.file(canonical)).ok().and_then(|b| TagSet::from_json(&b).ok());
        let Some(tags) = loaded else { return Arc::default() };
        let tags = Arc::new(tags);
        if let Ok(mut m) = self.map.write() {
            m.insert(canonical.to_owned(), Arc::clone(&tags));
        }
        tags
    }

    /// Replace the tags of `canonical` (written to a temporary file, then renamed).
    pub fn set(&self, canonical: &str, tags: TagSet) -> std::io::Result<Arc<TagSet>> {
        std::fs::create_dir_all(&self.dir)?;
        let file = self.file(canonical);
        let tmp = file.with_extension("json.tmp");
        std::fs::write(&tmp, tags.to_json())?;
        std::fs::rename(&tmp, &file)?;
        let tags = Arc::new(tags);
        if let Ok(mut m) = self.map.write() {
            m.insert(canonical.to_owned(), Arc::clone(&tags));
        }
        Ok(tags)
    }
}

#[cfg(test)]
mod tests {
    use glidepath_image::Exclusions;

    use super::*;

    #[test]
    fn tags_survive_a_new_database_on_the_same_directory() {
        let dir = tempfile::tempdir().unwrap();
        let db = TagDb::new(dir.path());
        assert!(db.get("ghcr.io/org/app").is_empty());
        let tags = TagSet::new(["1.1.0", "1.0.0"], &Exclusions::default());
        db.set("ghcr.io/org/app", tags.clone()).unwrap();
        let again = TagDb::new(dir.path());
        assert_eq!(*again.get("ghcr.io/org/app"), tags);
        assert!(again.get("ghcr.io/org/other").is_empty());
    }
}
