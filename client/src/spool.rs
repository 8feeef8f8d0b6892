//! The local spool: one JSON file per event, `telemetry-{date}-{id}.json`; sent ones are
//! deleted or renamed `….flushed.json`; events the server refused for good are renamed
//! `….rejected.json`. Every operation is silent on failure.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::repo_id::new_uuid;

/// Files (sent or not) are removed after this long; unsent events are kept past it while the
/// server answers 429 (it asked to wait, it did not refuse them), up to [`MAX_KEPT_UNSENT`].
pub const RETENTION: Duration = Duration::from_secs(2 * 24 * 3600);
/// Unsent events a throttled spool keeps past [`RETENTION`] at most (the newest).
pub const MAX_KEPT_UNSENT: usize = 10_000;
/// When the server last answered 429, and until when it asked to wait.
const THROTTLED: &str = "throttled.json";

const FLUSHED: &str = ".flushed.json";
const REJECTED: &str = ".rejected.json";

/// One spooled event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Unique id, sent as the event's `insert_id` so a resend is stored once.
    pub id: String,
    /// Event name.
    pub event: String,
    /// When it happened.
    pub started_at: DateTime<Utc>,
    /// Its properties.
    pub properties: Value,
    /// The file it is in.
    #[serde(skip)]
    pub path: PathBuf,
}

/// A 429 as the spool remembers it.
#[derive(Debug, Serialize, Deserialize)]
struct Throttle {
    until: DateTime<Utc>,
    last: DateTime<Utc>,
}

/// A spool directory.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
}

impl Spool {
    /// The spool in `dir` (created when the first event is recorded).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Spools an event that happens now; its file, or `None` when it could not be written.
    pub fn record(&self, event: &str, properties: Value) -> Option<PathBuf> {
        self.record_at(event, properties, Utc::now())
    }

    /// Spools an event with its time.
    pub fn record_at(&self, event: &str, properties: Value, at: DateTime<Utc>) -> Option<PathBuf> {
        let id = new_uuid()?;
        let path = self
            .dir
            .join(format!("telemetry-{}-{id}.json", at.format("%Y-%m-%d")));
        let entry = Entry {
            id,
            event: event.to_string(),
            started_at: at,
            properties,
            path: path.clone(),
        };
        let text = serde_json::to_vec(&entry).ok()?;
        let written = std::fs::create_dir_all(&self.dir).and_then(|_| std::fs::write(&path, text));
        if let Err(e) = written {
            tracing::debug!(error = %e, path = %path.display(), "telemetry event not spooled");
            return None;
        }
        Some(path)
    }

    fn files(&self) -> Vec<PathBuf> {
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        dir.filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                name.starts_with("telemetry-") && name.ends_with(".json")
            })
            .collect()
    }

    fn read(path: &Path) -> Option<Entry> {
        let text = std::fs::read(path).ok()?;
        let mut entry: Entry = serde_json::from_slice(&text).ok()?;
        entry.path = path.to_path_buf();
        Some(entry)
    }

    /// Up to `limit` events not sent yet, oldest first.
    pub fn find_unflushed(&self, limit: usize) -> Vec<Entry> {
        let mut entries: Vec<Entry> = self
            .files()
            .iter()
            .filter(|p| {
                let name = p.to_string_lossy();
                !name.ends_with(FLUSHED) && !name.ends_with(REJECTED)
            })
            .filter_map(|p| Self::read(p))
            .collect();
        entries.sort_by(|a, b| {
            a.started_at
                .cmp(&b.started_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        entries.truncate(limit);
        entries
    }

    fn rename_with(entry: &Entry, suffix: &str) -> std::io::Result<()> {
        let name = entry.path.to_string_lossy();
        let kept = format!("{}{suffix}", name.strip_suffix(".json").unwrap_or(&name));
        std::fs::rename(&entry.path, kept)
    }

    /// Sets aside an event the server refused for good: renamed `.rejected.json`, never sent
    /// again, removed after [`RETENTION`] like the rest.
    pub fn mark_rejected(&self, entry: &Entry) {
        if let Err(e) = Self::rename_with(entry, REJECTED) {
            tracing::debug!(error = %e, path = %entry.path.display(), "telemetry file not set aside");
        }
    }

    /// Deletes a sent event's file, or renames it to `.flushed.json` when `keep`.
    pub fn mark_flushed(&self, entry: &Entry, keep: bool) {
        let done = if keep {
            Self::rename_with(entry, FLUSHED)
        } else {
            std::fs::remove_file(&entry.path)
        };
        if let Err(e) = done {
            tracing::debug!(error = %e, path = %entry.path.display(), "telemetry file not marked flushed");
        }
    }

    /// Removes files, sent or not, whose event is older than `age` (the file's modification
    /// time when it cannot be read); returns how many. While the server has answered 429
    /// within `age`, unsent events are kept instead, the newest [`MAX_KEPT_UNSENT`] of them.
    pub fn cleanup_older_than(&self, age: Duration) -> usize {
        let now = SystemTime::now();
        let throttled = self
            .read_throttle()
            .is_some_and(|t| (Utc::now() - t.last).to_std().is_ok_and(|d| d <= age));
        let mut old_unsent: Vec<(SystemTime, PathBuf)> = Vec::new();
        let (mut recent_unsent, mut removed) = (0, 0);
        for path in self.files() {
            let at: Option<SystemTime> = Self::read(&path)
                .map(|e| e.started_at.into())
                .or_else(|| std::fs::metadata(&path).and_then(|m| m.modified()).ok());
            let old = at.is_some_and(|t| now.duration_since(t).is_ok_and(|d| d > age));
            let name = path.to_string_lossy();
            let unsent = !name.ends_with(FLUSHED) && !name.ends_with(REJECTED);
            if !old {
                recent_unsent += usize::from(unsent);
            } else if throttled && unsent {
                old_unsent.push((at.unwrap_or(now), path));
            } else if std::fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        }
        let room = MAX_KEPT_UNSENT.saturating_sub(recent_unsent);
        old_unsent.sort();
        let drop = old_unsent.len().saturating_sub(room);
        for (_, path) in old_unsent.iter().take(drop) {
            if std::fs::remove_file(path).is_ok() {
                removed += 1;
            }
        }
        removed
    }

    fn read_throttle(&self) -> Option<Throttle> {
        serde_json::from_slice(&std::fs::read(self.dir.join(THROTTLED)).ok()?).ok()
    }

    /// Until when the server asked to wait (its last 429's `Retry-After`), if it did.
    pub fn throttled_until(&self) -> Option<DateTime<Utc>> {
        self.read_throttle().map(|t| t.until)
    }

    /// Records a 429 answered now, asking to wait `retry_after`.
    pub fn throttle(&self, retry_after: Duration) {
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(retry_after).unwrap_or(chrono::Duration::MAX);
        let text = serde_json::to_vec(&Throttle { until, last: now }).unwrap_or_default();
        let written = std::fs::create_dir_all(&self.dir)
            .and_then(|_| std::fs::write(self.dir.join(THROTTLED), text));
        if let Err(e) = written {
            tracing::debug!(error = %e, "telemetry throttle not recorded");
        }
    }

    /// Forgets the last 429 (a batch was taken since).
    pub fn clear_throttle(&self) {
        let _ = std::fs::remove_file(self.dir.join(THROTTLED));
    }
}
