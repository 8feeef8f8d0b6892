//! The ingestion report shown to users (and stored in `ingest_runs`).

use serde::Serialize;

use crate::store::UpsertCounts;

/// Rejects listed individually in a report; all of them are counted in `rejected`.
pub const MAX_REPORTED_REJECTS: usize = 1_000;

/// A rejected record.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RejectedRow {
    /// 1-based line where the record starts.
    pub line: u64,
    /// Why it was rejected.
    pub reason: String,
    /// The line as read (JSONL: its first 4 KiB; CSV: the fields joined by commas).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

/// Counts of one ingestion.
/// `rows_read == inserted + updated + duplicates + rejected + skipped`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestReport {
    /// Data records read (header excluded).
    pub rows_read: u64,
    /// New rows stored.
    pub inserted: u64,
    /// Stored rows whose values changed.
    pub updated: u64,
    /// Rows already stored unchanged.
    pub duplicates: u64,
    /// Records rejected as invalid.
    pub rejected: u64,
    /// Valid lines that carry no telemetry (JSONL user turns, summaries; never CSV rows).
    pub skipped: u64,
    /// The first [`MAX_REPORTED_REJECTS`] rejects.
    pub rejects: Vec<RejectedRow>,
    /// True when more rejects exist than are listed.
    pub rejects_truncated: bool,
    /// Estimated cost of the valid records priced from the table (USD).
    pub cost_usd: f64,
    /// Valid records whose model has no price (cost unknown, not counted as $0).
    pub unpriced_rows: u64,
    /// Distinct model names without a price.
    pub unknown_models: Vec<String>,
    /// Row id in `ingest_runs`.
    pub ingest_run_id: Option<i64>,
    /// Set when the file ends in damage (a gzip stream cut mid-file, corrupt bytes): the
    /// rows read before it are stored and counted, and this says what was wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut_short: Option<String>,
}

impl IngestReport {
    /// Adds a batch's upsert counts.
    pub fn add_counts(&mut self, c: UpsertCounts) {
        self.inserted += c.inserted;
        self.updated += c.updated;
        self.duplicates += c.duplicates;
        self.rows_read += c.inserted + c.updated + c.duplicates;
    }

    /// Records a rejected record. A NUL in its text is shown as U+FFFD: the report is stored
    /// as JSONB, which refuses `\u0000`, and a bad line must not fail its own report.
    pub fn add_reject(&mut self, mut reject: RejectedRow) {
        for text in [Some(&mut reject.reason), reject.raw.as_mut()]
            .into_iter()
            .flatten()
        {
            if text.contains('\0') {
                *text = text.replace('\0', "\u{FFFD}");
            }
        }
        self.rejected += 1;
        self.rows_read += 1;
        if self.rejects.len() < MAX_REPORTED_REJECTS {
            self.rejects.push(reject);
        } else {
            self.rejects_truncated = true;
        }
    }

    /// Records lines the parser itself found to repeat earlier ones, and lines skipped.
    pub fn add_parser_counts(&mut self, duplicates: u64, skipped: u64) {
        self.duplicates += duplicates;
        self.skipped += skipped;
        self.rows_read += duplicates + skipped;
    }

    /// True when records were read and every one was rejected: nothing of the file landed.
    pub fn all_rejected(&self) -> bool {
        self.rejected > 0 && self.rejected == self.rows_read
    }

    /// True when the counts add up.
    pub fn is_balanced(&self) -> bool {
        self.rows_read
            == self.inserted + self.updated + self.duplicates + self.rejected + self.skipped
    }
}
