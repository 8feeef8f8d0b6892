//! `telemetry ingest jsonl|file PATH...`: files, directories and patterns (and the agents'
//! default trees) as one run with one report.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use telemetry_shared::db::Workload;
use telemetry_shared::ingest::{
    default_trees, expand, ingest_tree, FileKind, FileReport, Format, IngestError, IngestReport,
    TreeOptions, TreeReport,
};

use super::ingest::{check, is_gz, print_cost, run};
use super::{hint_migrate, DbArgs};
use crate::args::TreeArgs;
use crate::output::write_json;

/// Rejects listed on stderr per file; `--json` lists more.
const REJECTS_ON_TERMINAL: usize = 5;

/// `ingest jsonl PATH... [--claude] [--codex]`: every file read as JSONL.
pub async fn jsonl(db: &DbArgs, paths: &[PathBuf], args: &TreeArgs) -> anyhow::Result<()> {
    let files = collect(paths, args)?;
    let report = tree(db, &files, paths, args).await?;
    finish(&report, args.json)
}

/// `ingest file PATH...`: JSONL files as one run, any other (usage.csv, coverage) each as
/// its own, all in one report.
pub async fn file(db: &DbArgs, paths: &[PathBuf], args: &TreeArgs) -> anyhow::Result<()> {
    let mut jsonl = Vec::new();
    let mut other = Vec::new();
    for f in collect(paths, args)? {
        let kind = FileKind::from_name(&f.to_string_lossy()).map_err(anyhow::Error::msg)?;
        match kind.format {
            Format::Jsonl => jsonl.push(f),
            _ => other.push((f, kind)),
        }
    }
    let mut report = if jsonl.is_empty() {
        TreeReport::from_files(IngestReport::default(), Vec::new())
    } else {
        tree(db, &jsonl, paths, args).await?
    };
    let mut failed = None;
    for (path, kind) in other {
        let one = run(db, &path, kind, args.batch_rows).await?;
        if let Err(e) = check(&path, &one) {
            failed.get_or_insert(e);
        }
        report.add_file(path.display().to_string(), one);
    }
    if let Some(e) = failed {
        if args.json {
            write_json(&report)?;
        }
        return Err(e);
    }
    finish(&report, args.json)
}

/// The files `paths` name plus the default trees asked for; an error when there is none.
fn collect(paths: &[PathBuf], args: &TreeArgs) -> anyhow::Result<Vec<PathBuf>> {
    let mut all = paths.to_vec();
    if args.claude || args.codex {
        let trees = default_trees(args.claude, args.codex, |k| std::env::var(k).ok());
        let found: Vec<_> = trees.iter().filter(|t| t.exists).collect();
        for (agent, asked) in [("Claude Code", args.claude), ("Codex", args.codex)] {
            if asked && !found.iter().any(|t| t.agent == agent) {
                let looked: Vec<String> = trees
                    .iter()
                    .filter(|t| t.agent == agent)
                    .map(|t| t.path.display().to_string())
                    .collect();
                bail!(
                    "no {agent} transcripts: none of {} exists",
                    looked.join(", ")
                );
            }
        }
        all.extend(found.into_iter().map(|t| t.path.clone()));
    }
    if all.is_empty() {
        bail!("nothing to read: give files, directories or patterns, or --claude / --codex");
    }
    let files = expand(&all)?;
    if files.is_empty() {
        bail!(
            "no *.jsonl, *.jsonl.gz or *.ndjson files under {}",
            all.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(files)
}

/// One run over `files`, summarised on stderr.
pub(super) async fn tree(
    db: &DbArgs,
    files: &[PathBuf],
    asked: &[PathBuf],
    args: &TreeArgs,
) -> anyhow::Result<TreeReport> {
    let pool = db.pool_for(Workload::Ingest).await?;
    let mut opts = TreeOptions::new(args.batch_rows);
    if let Some(t) = args.threads {
        opts.threads = t.max(1);
    }
    opts.incremental = !args.full;
    let uri = match asked {
        [one] => one.display().to_string(),
        _ => format!("{} files", files.len()),
    };
    let report = ingest_tree(&pool, files, &uri, opts)
        .await
        .map_err(|e| match e {
            IngestError::Database { source, .. } => hint_migrate(source).context(
                "batches committed before it are stored, and a re-run adds only what is missing",
            ),
            other => anyhow!(other),
        })?;
    print_summary(&report);
    Ok(report)
}

/// Prints the JSON report when asked, and fails when a file could not be read or was cut
/// short, or when every record was rejected.
pub(super) fn finish(report: &TreeReport, json: bool) -> anyhow::Result<()> {
    if json {
        write_json(report)?;
    }
    problem(report).map_or(Ok(()), |p| Err(anyhow!(p)))
}

/// What makes the run fail, if anything.
pub(super) fn problem(report: &TreeReport) -> Option<String> {
    let bad: Vec<&FileReport> = report
        .files
        .iter()
        .filter(|f| f.error.is_some() || f.cut_short.is_some())
        .collect();
    if let Some(f) = bad.first() {
        return Some(format!(
            "{} of {} files could not be read whole (first: {}: {})",
            bad.len(),
            report.files.len(),
            f.path,
            f.error.as_deref().or(f.cut_short.as_deref()).unwrap_or("")
        ));
    }
    report.total.all_rejected().then(|| {
        format!(
            "every one of the {} records was rejected; nothing was stored",
            report.total.rejected
        )
    })
}

fn print_summary(report: &TreeReport) {
    for f in &report.files {
        if let Some(e) = &f.error {
            eprintln!("error: {}: {e}", f.path);
        }
        if let Some(c) = &f.cut_short {
            eprintln!(
                "warning: {}: cut short: {c}; what came before is stored",
                f.path
            );
        }
        for r in f.rejects.iter().take(REJECTS_ON_TERMINAL) {
            eprintln!("warning: {}:{}: {}", f.path, r.line, r.reason);
        }
        if f.rejected as usize > REJECTS_ON_TERMINAL.min(f.rejects.len()) {
            eprintln!(
                "warning: {}: ... {} rejected in all (listed with --json)",
                f.path, f.rejected
            );
        }
    }
    let r = &report.total;
    eprintln!(
        "{} files: {} read, {} appended to, {} unchanged, {} rewritten, {} unreadable",
        report.files.len(),
        report.files_read,
        report.files_appended,
        report.files_unchanged,
        report.files_rewritten,
        report.files_unreadable
    );
    eprintln!(
        "{} lines read: {} inserted, {} updated, {} duplicates, {} rejected, {} skipped (no telemetry)",
        r.rows_read, r.inserted, r.updated, r.duplicates, r.rejected, r.skipped
    );
    print_cost(r);
}

/// Used by `ingest all` for the CSV it finds: gzip by name.
pub(super) fn csv_kind(path: &Path) -> FileKind {
    FileKind {
        format: Format::UsageCsv,
        gzip: is_gz(path),
    }
}
