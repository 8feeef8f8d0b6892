//! `telemetry ingest csv`, and one non-JSONL file of `ingest file` (usage.csv, coverage).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use telemetry_shared::ingest::{
    ingest_file, FileKind, Format, IngestError, IngestOptions, IngestReport, SourceInfo,
};

use super::{hint_migrate, DbArgs};
use crate::output::{progress_bar, write_json};

/// The default usage.csv: $TELEMETRY_CSV_PATH, else .telemetry/usage.csv.
pub(super) fn default_csv_path() -> PathBuf {
    std::env::var_os("TELEMETRY_CSV_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CSV_PATH))
}
use telemetry_shared::db::Workload;

/// Default location of the CSV log, as the seed defines it.
const DEFAULT_CSV_PATH: &str = ".telemetry/usage.csv";
/// Files above this size get a progress bar (on a terminal).
const PROGRESS_MIN_BYTES: u64 = 8 * 1024 * 1024;
/// Rejects listed on stderr; the JSON report lists more.
const REJECTS_ON_TERMINAL: usize = 20;

/// `ingest csv [PATH]`: the path defaults to $TELEMETRY_CSV_PATH, else .telemetry/usage.csv.
pub async fn csv(
    db: &DbArgs,
    path: Option<PathBuf>,
    json: bool,
    batch_rows: usize,
) -> anyhow::Result<()> {
    let path = path.unwrap_or_else(default_csv_path);
    let kind = FileKind {
        format: Format::UsageCsv,
        gzip: is_gz(&path),
    };
    let report = run(db, &path, kind, batch_rows).await?;
    if json {
        write_json(&report)?;
    }
    check(&path, &report)
}

pub(super) fn is_gz(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// Ingests the file at `path` as `kind` (its own run in `ingest_runs`), printing a summary
/// on stderr; the report, for [`check`] and the JSON output.
pub(super) async fn run(
    db: &DbArgs,
    path: &Path,
    kind: FileKind,
    batch_rows: usize,
) -> anyhow::Result<IngestReport> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let pool = db.pool_for(Workload::Ingest).await?;
    let source = SourceInfo {
        kind: kind.source_kind().into(),
        uri: std::fs::canonicalize(path)
            .unwrap_or(path.to_path_buf())
            .display()
            .to_string(),
        version: Some(format!("size={size}")),
    };
    let show_progress = size >= PROGRESS_MIN_BYTES && std::io::stderr().is_terminal() && !kind.gzip;
    let mut opts = IngestOptions::new(batch_rows);
    opts.max_line_bytes = telemetry_shared::csv::max_line_bytes_from_env();
    opts.progress = show_progress.then(|| progress_bar(size));
    let result = ingest_file(&pool, file, kind, &source, opts).await;
    if show_progress {
        eprintln!();
    }
    let report = match result {
        Ok(r) => r,
        Err(IngestError::Database { source, lines }) => {
            let e = hint_migrate(source);
            return Err(match lines {
                Some((a, b)) => e.context(format!(
                    "{}: batch of lines {a}-{b} was rolled back; earlier batches are stored and a re-run adds only what is missing",
                    path.display()
                )),
                None => e,
            });
        }
        Err(e) => return Err(anyhow::Error::new(e).context(path.display().to_string())),
    };
    print_summary(&path.display().to_string(), &report);
    Ok(report)
}

/// The exit status a file's report calls for: an error when it was cut short or when every
/// record was rejected.
pub(super) fn check(path: &Path, report: &IngestReport) -> anyhow::Result<()> {
    if let Some(cut) = &report.cut_short {
        bail!(
            "{}: the file is cut short: {cut}; they are stored ({} inserted, {} updated)",
            path.display(),
            report.inserted,
            report.updated
        );
    }
    if report.all_rejected() {
        bail!(
            "{}: every one of the {} records was rejected; nothing was stored",
            path.display(),
            report.rejected
        );
    }
    Ok(())
}

/// The cost line, and the calls it leaves out for want of a price.
pub(super) fn print_cost(r: &IngestReport) {
    eprintln!("estimated cost: ${:.4}", r.cost_usd);
    if r.unpriced_rows > 0 {
        eprintln!(
            "warning: {} calls have no price (cost unknown, not counted): model(s) {}",
            r.unpriced_rows,
            r.unknown_models.join(", ")
        );
    }
}

fn print_summary(path: &str, r: &IngestReport) {
    let skipped = if r.skipped > 0 {
        format!(", {} skipped (no telemetry)", r.skipped)
    } else {
        String::new()
    };
    eprintln!(
        "{path}: {} rows read: {} inserted, {} updated, {} duplicates, {} rejected{skipped}",
        r.rows_read, r.inserted, r.updated, r.duplicates, r.rejected
    );
    print_cost(r);
    for rej in r.rejects.iter().take(REJECTS_ON_TERMINAL) {
        eprintln!("warning: line {}: {}", rej.line, rej.reason);
    }
    if r.rejected as usize > REJECTS_ON_TERMINAL {
        eprintln!(
            "warning: ... and {} more rejected rows (all listed with --json, up to 1000)",
            r.rejected as usize - REJECTS_ON_TERMINAL
        );
    }
}
