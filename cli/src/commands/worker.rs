//! `telemetry worker ID [--show-conversation] [--json]`: one worker, its calls and their cost,
//! and with `--show-conversation` its log read as turns (seed 002's `worker w-abc123`).

use std::path::Path;

use anyhow::{anyhow, bail, Context};
use telemetry_shared::ingest::{FileKind, Format};
use telemetry_shared::jsonl::{conversation, Turn};
use telemetry_shared::objects::{read_capped, S3ObjectStore};
use telemetry_shared::query::{self, WorkerView};

use super::stats::usd;
use super::{hint_migrate, DbArgs};
use crate::output::{table, write_json};

/// Turns printed at most; `--json` gives them all.
const TURNS_ON_TERMINAL: usize = 500;

/// See the module docs.
pub async fn worker(
    db: &DbArgs,
    id: &str,
    show_conversation: bool,
    json: bool,
) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    let client = pool.get().await.context("database")?;
    let view = query::worker(&**client, id)
        .await
        .map_err(hint_migrate)?
        .ok_or_else(|| anyhow!("no worker {id:?}"))?;
    let turns = if show_conversation {
        Some(read_log(&view).await?)
    } else {
        None
    };
    if json {
        return write_json(&serde_json::json!({ "worker": view, "conversation": turns }));
    }
    print_worker(&view);
    if let Some(turns) = turns {
        println!();
        for t in turns.iter().take(TURNS_ON_TERMINAL) {
            println!(
                "[{}] {:<9} {}",
                t.at.clone().unwrap_or_else(|| format!("line {}", t.line)),
                t.role,
                t.text
                    .replace('\n', "\n                                     ")
            );
        }
        if turns.len() > TURNS_ON_TERMINAL {
            println!(
                "... {} more turns (all with --json)",
                turns.len() - TURNS_ON_TERMINAL
            );
        }
    }
    Ok(())
}

/// The largest log read from S3 (it is held in memory to be read as turns).
const MAX_S3_LOG_BYTES: u64 = 256 * 1024 * 1024;

/// The worker's log as turns: `s3://BUCKET/KEY` (the upload bucket; AWS credentials, region
/// and `AWS_ENDPOINT_URL` from the environment) or a local path (relative to the current
/// directory); `.gz` either way.
async fn read_log(view: &WorkerView) -> anyhow::Result<Vec<Turn>> {
    let Some(log) = view.log_file.as_deref().filter(|l| !l.trim().is_empty()) else {
        bail!("worker {} has no log_file to show", view.worker_id);
    };
    let kind = FileKind {
        format: Format::Jsonl,
        gzip: log.ends_with(".gz"),
    };
    if log.starts_with("s3://") {
        let (bucket, key) = super::s3::parse_uri(log)?;
        let store = S3ObjectStore::from_config(&telemetry_shared::config::load_aws().await);
        let Some(bytes) = read_capped(&store, bucket, key, MAX_S3_LOG_BYTES)
            .await
            .with_context(|| format!("cannot read {log}"))?
        else {
            bail!(
                "{log} is over {} MiB: copy it here (aws s3 cp) and point log_file at it",
                MAX_S3_LOG_BYTES >> 20
            );
        };
        return Ok(conversation(kind.reader(std::io::Cursor::new(bytes))));
    }
    let file = std::fs::File::open(Path::new(log)).with_context(|| format!("cannot open {log}"))?;
    Ok(conversation(kind.reader(file)))
}

fn print_worker(v: &WorkerView) {
    println!(
        "{}  [{}]  task {}  session {}",
        v.worker_id,
        v.status,
        v.task_id.as_deref().unwrap_or("-"),
        v.session_id.as_deref().unwrap_or("-")
    );
    println!(
        "spawned {}{}{}",
        v.spawned_at.format("%Y-%m-%d %H:%M:%S"),
        v.completed_at
            .map(|t| format!(", finished {}", t.format("%Y-%m-%d %H:%M:%S")))
            .unwrap_or_default(),
        v.exit_code
            .map(|c| format!(", exit code {c}"))
            .unwrap_or_default()
    );
    println!(
        "{} calls, {} tokens, {}{}",
        v.calls,
        v.tokens,
        usd(v.cost_usd),
        if v.unpriced_calls > 0 {
            format!(" (+{} unpriced)", v.unpriced_calls)
        } else {
            String::new()
        }
    );
    if let Some(log) = &v.log_file {
        println!("log: {log}");
    }
    if v.recent_calls.is_empty() {
        return;
    }
    let rows: Vec<Vec<String>> = v
        .recent_calls
        .iter()
        .map(|c| {
            vec![
                c.timestamp.format("%Y-%m-%d %H:%M:%S").to_string(),
                c.model.clone(),
                c.tokens.to_string(),
                c.cost_usd.map(usd).unwrap_or_else(|| "unpriced".into()),
            ]
        })
        .collect();
    println!();
    print!("{}", table(&["time", "model", "tokens", "cost"], &rows));
}
