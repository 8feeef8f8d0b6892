//! `telemetry push` and `telemetry login`: a developer's transcripts to the HTTP API with a
//! project's key, no database or AWS credentials. Each file is read from where the last
//! delivered push left it (the marks `ingest jsonl` keeps in the database, kept here in a
//! local file), its calls attributed (the branch and version the transcript says, the
//! repository, project and user its directory's git says) and posted in batches of at most
//! 100 by `telemetry_client::CallSender`, which follows `Retry-After`. Offline, nothing moves:
//! the next push sends it. Silent unless `-v`; it exits 0 when the API cannot be reached, so
//! it is safe in a Claude Code `Stop` hook.

mod config;
mod git;
mod state;
mod wire;

pub use config::login;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Context};
use serde::Serialize;
use telemetry_client::{CallSender, CallsOutcome, MAX_CALLS};
use telemetry_shared::ingest::{default_trees, expand, read_new_calls, FileStatus};

use crate::args::PushArgs;
use crate::output::write_json;

/// How long one request may take.
const TIMEOUT: Duration = Duration::from_secs(15);

/// What a push did.
#[derive(Debug, Default, Serialize)]
pub struct PushReport {
    /// Files read (new, appended to, rewritten).
    pub files_read: usize,
    /// Files unchanged since the last delivered push.
    pub files_unchanged: usize,
    /// Files that could not be read.
    pub files_unreadable: usize,
    /// Calls posted.
    pub calls_sent: u64,
    /// Of those, new rows.
    pub inserted: u64,
    /// Changed rows.
    pub updated: u64,
    /// Already stored (a file rewritten, or pushed from elsewhere).
    pub duplicate: u64,
    /// Refused by the API, with why (the first few).
    pub rejected: u64,
    /// Lines the reader refused.
    pub rejected_lines: u64,
    /// Files left for the next push, because the API could not be reached.
    pub files_pending: usize,
    /// Why the API could not be reached, when it could not.
    pub offline: Option<String>,
    /// Another push was running: this one did nothing.
    pub busy: bool,
    /// Reasons of refused calls and lines, the first 10.
    pub reasons: Vec<String>,
}

/// `telemetry push [--claude] [--codex] [PATH...] [-v] [--json]`.
pub async fn run(args: &PushArgs) -> anyhow::Result<()> {
    let config = config::load(&config::config_path()?)?;
    let endpoint = config.endpoint.clone().ok_or_else(|| {
        anyhow!("no endpoint: run telemetry login --endpoint URL --key tk_... first")
    })?;
    let files = files(args)?;
    let state_path = state::state_path()?;
    let Some(_lock) = state::Lock::take(&state_path)? else {
        return finish(
            args,
            &PushReport {
                busy: true,
                ..PushReport::default()
            },
        );
    };
    let mut pushed = state::PushState::load(&state_path);
    let mut places = git::Places::default();
    let mut senders: BTreeMap<String, CallSender> = BTreeMap::new();
    let mut report = PushReport::default();
    for (n, path) in files.iter().enumerate() {
        let name = path.to_string_lossy().into_owned();
        let read = match read_new_calls(path, pushed.files.get(&name)) {
            Ok(r) => r,
            Err(e) => {
                report.files_unreadable += 1;
                note(&mut report, format!("{name}: {e}"));
                continue;
            }
        };
        if read.status == FileStatus::Unchanged {
            report.files_unchanged += 1;
            continue;
        }
        report.files_read += 1;
        report.rejected_lines += read.rejected.len() as u64;
        for (line, why) in &read.rejected {
            note(&mut report, format!("{name}:{line}: {why}"));
        }
        // A streamed Claude Code response is read as several calls of growing usage with one
        // key: only its last (largest) goes out, in its first one's place.
        let mut calls: Vec<telemetry_shared::model::LlmCall> = Vec::with_capacity(read.calls.len());
        let mut at: std::collections::HashMap<[u8; 16], usize> = std::collections::HashMap::new();
        for (_, call) in read.calls {
            match at.get(&call.dedup_key.0) {
                Some(&i) => calls[i] = call,
                None => {
                    at.insert(call.dedup_key.0, calls.len());
                    calls.push(call);
                }
            }
        }
        // Each call to its project's key, else the default one.
        let mut by_key: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
        for mut call in calls {
            let place = call
                .attribution
                .cwd
                .as_deref()
                .map(|cwd| places.of(cwd).clone())
                .unwrap_or_default();
            let a = &mut call.attribution;
            a.repository = a.repository.take().or(place.repository);
            a.user_id = a.user_id.take().or(place.user_id);
            let key = place
                .project
                .and_then(|p| config.keys.get(&p).cloned())
                .or_else(|| config.key.clone())
                .ok_or_else(|| {
                    anyhow!("no key: run telemetry login --endpoint URL --key tk_... first")
                })?;
            by_key.entry(key).or_default().push(wire::call_json(&call));
        }
        let mut delivered = true;
        'send: for (key, calls) in &by_key {
            if !senders.contains_key(key) {
                let s = CallSender::new(&endpoint, key, TIMEOUT)
                    .ok_or_else(|| anyhow!("no HTTP client"))?;
                senders.insert(key.clone(), s);
            }
            let sender = &senders[key];
            for chunk in calls.chunks(MAX_CALLS) {
                match sender.send(chunk).await {
                    CallsOutcome::Delivered {
                        inserted,
                        updated,
                        duplicate,
                        rejected,
                    } => {
                        report.calls_sent += chunk.len() as u64;
                        report.inserted += inserted;
                        report.updated += updated;
                        report.duplicate += duplicate;
                        report.rejected += rejected.len() as u64;
                        for (i, why) in rejected {
                            note(&mut report, format!("{name}: call {i}: {why}"));
                        }
                    }
                    CallsOutcome::Failed(why) => {
                        report.offline = Some(why);
                        delivered = false;
                        break 'send;
                    }
                }
            }
        }
        if !delivered {
            report.files_pending = files.len() - n;
            break;
        }
        if let Some(mark) = read.mark {
            pushed.files.insert(name.clone(), mark);
            pushed.save(&state_path)?;
        }
        if args.verbose && !args.json {
            eprintln!(
                "{name}: {} calls sent",
                by_key.values().map(Vec::len).sum::<usize>()
            );
        }
    }
    finish(args, &report)
}

fn note(report: &mut PushReport, reason: String) {
    if report.reasons.len() < 10 {
        report.reasons.push(reason);
    }
}

/// The files to push: the paths given, and the default trees asked for (both when nothing
/// is given).
fn files(args: &PushArgs) -> anyhow::Result<Vec<PathBuf>> {
    let none = args.paths.is_empty() && !args.claude && !args.codex;
    let (claude, codex) = (args.claude || none, args.codex || none);
    let mut paths = args.paths.clone();
    for tree in default_trees(claude, codex, |k| std::env::var(k).ok()) {
        if tree.exists {
            paths.push(tree.path);
        }
    }
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let mut files = expand(&paths).context("listing the files to push")?;
    for f in &mut files {
        if let Ok(abs) = std::fs::canonicalize(&*f) {
            *f = abs;
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn finish(args: &PushArgs, report: &PushReport) -> anyhow::Result<()> {
    if args.json {
        return write_json(report);
    }
    if args.verbose {
        if report.busy {
            eprintln!("another telemetry push is running; nothing done");
            return Ok(());
        }
        eprintln!(
            "{} files read ({} unchanged, {} unreadable); {} calls sent: {} new, {} updated, {} already stored, {} refused",
            report.files_read,
            report.files_unchanged,
            report.files_unreadable,
            report.calls_sent,
            report.inserted,
            report.updated,
            report.duplicate,
            report.rejected
        );
        if let Some(why) = &report.offline {
            eprintln!(
                "the API could not be reached ({why}): {} files kept for the next push",
                report.files_pending
            );
        }
        for r in &report.reasons {
            eprintln!("  {r}");
        }
    }
    Ok(())
}
