//! What `telemetry push` has delivered, per file: the file's mark after its last delivered
//! call (`$TELEMETRY_PUSH_STATE`, else `$XDG_STATE_HOME/telemetry/push-state.json`, else
//! `~/.local/state/telemetry/`). A file's mark moves only once every call before it was
//! delivered, so what could not be sent is read and sent again next time. One push at a
//! time: a second (two sessions stopping together) leaves it to the first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use telemetry_shared::ingest::ReadMark;

use super::config::{home, write_private};

/// A lock older than this was left by a push that died.
const STALE_LOCK: Duration = Duration::from_secs(600);

/// Marks by absolute path.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PushState {
    /// The files delivered so far.
    #[serde(default)]
    pub files: BTreeMap<String, ReadMark>,
}

/// Where the state lives.
pub fn state_path() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("TELEMETRY_PUSH_STATE").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let base = match std::env::var_os("XDG_STATE_HOME").filter(|p| !p.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => home()?.join(".local/state"),
    };
    Ok(base.join("telemetry/push-state.json"))
}

impl PushState {
    /// The state at `path`; an unreadable one starts over (the server's keys make the
    /// re-send harmless).
    pub fn load(path: &Path) -> PushState {
        std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Writes it whole.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_vec(self).context("encoding the push state")?;
        write_private(path, &text)
    }
}

/// The one push running, released when dropped.
pub struct Lock(PathBuf);

impl Lock {
    /// The lock beside `state`, or `None` while another push holds it.
    pub fn take(state: &Path) -> anyhow::Result<Option<Lock>> {
        let path = state.with_extension("lock");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return Ok(Some(Lock(path))),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let age = std::fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| SystemTime::now().duration_since(t).ok());
                    if age.is_some_and(|a| a > STALE_LOCK) {
                        std::fs::remove_file(&path).ok();
                        continue;
                    }
                    return Ok(None);
                }
                Err(e) => return Err(e).with_context(|| format!("locking {}", path.display())),
            }
        }
        Ok(None)
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        std::fs::remove_file(&self.0).ok();
    }
}
