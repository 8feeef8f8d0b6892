//! `telemetry ingest all`: the GitHub sync, the default usage.csv and the agents' default
//! transcript trees in one command with one report. A source that is not there (no GitHub
//! token, no CSV file, no tree) is skipped with a note; one that fails fails the command,
//! after the others have run.

use serde::Serialize;
use telemetry_shared::github::SyncReport;
use telemetry_shared::ingest::{default_trees, expand, IngestReport, TreeReport};

use super::ingest::{check, default_csv_path, run};
use super::ingest_many::{csv_kind, problem, tree};
use super::DbArgs;
use crate::args::TreeArgs;
use crate::output::write_json;

/// What `ingest all` did, source by source.
#[derive(Serialize, Default)]
struct AllReport {
    github: Option<SyncReport>,
    csv: Option<IngestReport>,
    transcripts: Option<TreeReport>,
    /// Sources not there, each with why.
    skipped: Vec<String>,
    /// Sources that failed, each with the error.
    failed: Vec<String>,
}

/// Runs every source; see the module docs.
pub async fn run_all(
    db: &DbArgs,
    claude: bool,
    codex: bool,
    json: bool,
    time_limit: u64,
    batch_rows: usize,
) -> anyhow::Result<()> {
    let mut all = AllReport::default();
    let token_vars = [
        "GITHUB_TOKEN",
        "GITHUB_PERSONAL_TOKEN",
        "GITHUB_TOKEN_SECRET_ARN",
    ];
    if token_vars
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|t| !t.trim().is_empty()))
    {
        eprintln!("== GitHub Actions runs");
        match super::github::sync(db, &[], None, time_limit).await {
            Ok(r) => {
                eprint!("{}", super::github::render_report(&r));
                if let Some(why) = &r.stopped {
                    all.failed.push(format!(
                        "github: stopped early ({why}); run again to resume"
                    ));
                }
                if let Some(f) = r.failures().first() {
                    all.failed.push(format!(
                        "github: {}: {}",
                        f.repository,
                        f.error.as_deref().unwrap_or_default()
                    ));
                }
                all.github = Some(r);
            }
            Err(e) => all.failed.push(format!("github: {e:#}")),
        }
    } else {
        all.skipped
            .push("github: no token (set GITHUB_TOKEN or GITHUB_TOKEN_SECRET_ARN)".into());
    }

    let csv = default_csv_path();
    if csv.is_file() {
        eprintln!("== usage.csv");
        match run(db, &csv, csv_kind(&csv), batch_rows).await {
            Ok(r) => {
                if let Err(e) = check(&csv, &r) {
                    all.failed.push(format!("csv: {e:#}"));
                }
                all.csv = Some(r);
            }
            Err(e) => all.failed.push(format!("csv: {e:#}")),
        }
    } else {
        all.skipped.push(format!(
            "csv: no file at {} (set TELEMETRY_CSV_PATH)",
            csv.display()
        ));
    }

    let trees = default_trees(claude, codex, |k| std::env::var(k).ok());
    for t in trees.iter().filter(|t| !t.exists) {
        all.skipped.push(format!(
            "{}: no transcripts at {}",
            t.agent,
            t.path.display()
        ));
    }
    let found: Vec<_> = trees
        .iter()
        .filter(|t| t.exists)
        .map(|t| t.path.clone())
        .collect();
    if !found.is_empty() {
        eprintln!("== transcripts");
        let args = TreeArgs {
            claude: false,
            codex: false,
            json: false,
            batch_rows,
            threads: None,
            full: false,
        };
        match expand(&found) {
            Ok(files) if files.is_empty() => all
                .skipped
                .push("transcripts: the trees hold no *.jsonl files".into()),
            Ok(files) => match tree(db, &files, &found, &args).await {
                Ok(r) => {
                    if let Some(p) = problem(&r) {
                        all.failed.push(format!("transcripts: {p}"));
                    }
                    all.transcripts = Some(r);
                }
                Err(e) => all.failed.push(format!("transcripts: {e:#}")),
            },
            Err(e) => all.failed.push(format!("transcripts: {e}")),
        }
    }

    for note in &all.skipped {
        eprintln!("note: skipped {note}");
    }
    if json {
        write_json(&all)?;
    }
    match all.failed.as_slice() {
        [] => Ok(()),
        failed => anyhow::bail!("{}", failed.join("; ")),
    }
}
