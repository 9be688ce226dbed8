//! Temporary directories for configs, sockets and pidfiles, removed on drop (kept when
//! `HAPROXIDE_KEEP_TMP` is set, to inspect a failing scenario).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static SEQ: AtomicU64 = AtomicU64::new(0);

#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// A fresh, empty directory under the system temp dir. Paths stay short: unix socket paths
    /// made inside it must fit in `sun_path` (108 bytes).
    pub fn new(prefix: &str) -> TempDir {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("hx-{prefix}-{}-{seq}-{nanos:x}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `<dir>/<name>`, without creating anything.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Write `contents` to `<dir>/<name>` and return the full path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("creating {}: {e}", parent.display()));
        }
        std::fs::write(&p, contents).unwrap_or_else(|e| panic!("writing {}: {e}", p.display()));
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("HAPROXIDE_KEEP_TMP").is_none() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tempdir_is_created_and_removed() {
        let kept;
        {
            let d = TempDir::new("selftest");
            let f = d.write("sub/a.cfg", "global\n");
            assert_eq!(std::fs::read_to_string(&f).unwrap(), "global\n");
            kept = d.path().to_path_buf();
        }
        if std::env::var_os("HAPROXIDE_KEEP_TMP").is_none() {
            assert!(!kept.exists());
        }
    }
}
