//! The report of a tree ingestion: the run's counts, and each file's under it.

use serde::Serialize;

use super::read::FileStatus;
use crate::ingest::{IngestReport, RejectedRow};

/// Rejects listed per file; all are counted.
pub const MAX_REJECTS_PER_FILE: usize = 100;

/// One file's part of a run. `rows_read == stored + duplicates + skipped + rejected`.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The file (as canonical a path as could be had).
    pub path: String,
    /// How it was read.
    pub status: FileStatus,
    /// Bytes read this time.
    pub bytes: u64,
    /// Lines read this time (blank lines aside).
    pub rows_read: u64,
    /// Records that reached the database (inserted, updated or already stored: the run's
    /// counts split them).
    pub stored: u64,
    /// Lines repeating an earlier line of the file (streamed copies, unmoved totals).
    pub duplicates: u64,
    /// Lines with no telemetry.
    pub skipped: u64,
    /// Invalid lines, and records the database refused.
    pub rejected: u64,
    /// The first rejects, by line.
    pub rejects: Vec<RejectedRow>,
    /// Damage that ended the file early; what came before is stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut_short: Option<String>,
    /// Why the file could not be read at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl FileReport {
    pub(super) fn new(path: String) -> Self {
        FileReport {
            path,
            status: FileStatus::Read,
            bytes: 0,
            rows_read: 0,
            stored: 0,
            duplicates: 0,
            skipped: 0,
            rejected: 0,
            rejects: Vec::new(),
            cut_short: None,
            error: None,
        }
    }

    pub(super) fn add_reject(&mut self, reject: RejectedRow) {
        self.rejected += 1;
        self.rows_read += 1;
        if self.rejects.len() < MAX_REJECTS_PER_FILE {
            self.rejects.push(reject);
        }
    }

    /// True when the file's counts add up.
    pub fn is_balanced(&self) -> bool {
        self.rows_read == self.stored + self.duplicates + self.skipped + self.rejected
    }
}

/// A run over many files: the totals (as for one file; rejects are listed per file) and
/// each file's counts.
#[derive(Debug, Clone, Serialize)]
pub struct TreeReport {
    /// Totals over every file.
    #[serde(flatten)]
    pub total: IngestReport,
    /// Files read whole for the first time, appended to, unchanged, rewritten, unreadable.
    pub files_read: u64,
    /// See `files_read`.
    pub files_appended: u64,
    /// See `files_read`.
    pub files_unchanged: u64,
    /// See `files_read`.
    pub files_rewritten: u64,
    /// See `files_read`.
    pub files_unreadable: u64,
    /// Each file, in the order given.
    pub files: Vec<FileReport>,
}

impl TreeReport {
    /// The report of `files`, with `total` their sum.
    pub fn from_files(total: IngestReport, files: Vec<FileReport>) -> Self {
        let count = |s: FileStatus| files.iter().filter(|f| f.status == s).count() as u64;
        TreeReport {
            files_read: count(FileStatus::Read),
            files_appended: count(FileStatus::Appended),
            files_unchanged: count(FileStatus::Unchanged),
            files_rewritten: count(FileStatus::Rewritten),
            files_unreadable: count(FileStatus::Unreadable),
            total,
            files,
        }
    }

    /// Adds a file ingested on its own (usage.csv, a coverage report) to the report.
    pub fn add_file(&mut self, path: String, r: IngestReport) {
        let mut f = FileReport::new(path);
        f.rows_read = r.rows_read;
        f.stored = r.inserted + r.updated + r.duplicates;
        f.skipped = r.skipped;
        f.rejected = r.rejected;
        f.rejects = r
            .rejects
            .iter()
            .take(MAX_REJECTS_PER_FILE)
            .cloned()
            .collect();
        f.cut_short = r.cut_short.clone();
        let t = &mut self.total;
        if let (None, Some(cut)) = (&t.cut_short, &r.cut_short) {
            t.cut_short = Some(format!("{}: {cut}", f.path));
        }
        t.ingest_run_id = t.ingest_run_id.or(r.ingest_run_id);
        t.rows_read += r.rows_read;
        t.inserted += r.inserted;
        t.updated += r.updated;
        t.duplicates += r.duplicates;
        t.rejected += r.rejected;
        t.skipped += r.skipped;
        t.cost_usd += r.cost_usd;
        t.unpriced_rows += r.unpriced_rows;
        for m in r.unknown_models {
            if !t.unknown_models.contains(&m) {
                t.unknown_models.push(m);
            }
        }
        self.files_read += 1;
        self.files.push(f);
    }

    /// True when the run's and every file's counts add up, and the files make the run.
    pub fn is_balanced(&self) -> bool {
        let rows: u64 = self.files.iter().map(|f| f.rows_read).sum();
        self.total.is_balanced()
            && self.files.iter().all(FileReport::is_balanced)
            && rows == self.total.rows_read
    }
}
