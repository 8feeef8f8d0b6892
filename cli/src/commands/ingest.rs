//! `telemetry ingest csv`.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use telemetry_shared::ingest::{
    ingest_usage_csv, IngestError, IngestOptions, IngestReport, SourceInfo,
};

use super::{hint_migrate, DbArgs};
use crate::output::{progress_bar, write_json};

/// Default location of the CSV log, as the seed defines it.
const DEFAULT_CSV_PATH: &str = ".telemetry/usage.csv";
/// Files above this size get a progress bar (on a terminal).
const PROGRESS_MIN_BYTES: u64 = 8 * 1024 * 1024;
/// Rejects listed on stderr; the JSON report lists more.
const REJECTS_ON_TERMINAL: usize = 20;

/// Ingests one usage.csv file and prints its report.
pub async fn csv(
    db: &DbArgs,
    path: Option<PathBuf>,
    json: bool,
    batch_rows: usize,
) -> anyhow::Result<()> {
    let path = path
        .or_else(|| std::env::var_os("TELEMETRY_CSV_PATH").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CSV_PATH));
    let file =
        std::fs::File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let pool = db.pool().await?;
    let source = SourceInfo {
        kind: "usage_csv".into(),
        uri: std::fs::canonicalize(&path)
            .unwrap_or(path.clone())
            .display()
            .to_string(),
        version: Some(format!("size={size}")),
    };
    let progress =
        (size >= PROGRESS_MIN_BYTES && std::io::stderr().is_terminal()).then(|| progress_bar(size));
    let reader = std::io::BufReader::with_capacity(256 * 1024, file);
    let result = ingest_usage_csv(
        &pool,
        reader,
        &source,
        IngestOptions {
            batch_rows,
            progress,
        },
    )
    .await;
    if progress_shown(size) {
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
    if json {
        write_json(&report)?;
    }
    Ok(())
}

fn progress_shown(size: u64) -> bool {
    size >= PROGRESS_MIN_BYTES && std::io::stderr().is_terminal()
}

fn print_summary(path: &str, r: &IngestReport) {
    eprintln!(
        "{path}: {} rows read: {} inserted, {} updated, {} duplicates, {} rejected",
        r.rows_read, r.inserted, r.updated, r.duplicates, r.rejected
    );
    eprintln!("estimated cost: ${:.4}", r.cost_usd);
    if r.unpriced_rows > 0 {
        eprintln!(
            "warning: {} rows have no price (cost unknown, not counted): model(s) {}",
            r.unpriced_rows,
            r.unknown_models.join(", ")
        );
    }
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
