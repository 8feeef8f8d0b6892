//! `telemetry stats`.

use anyhow::Context;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use telemetry_shared::csv::parse_timestamp;
use telemetry_shared::stats::{compute, Stats};

use super::{hint_migrate, DbArgs};
use crate::output::{table, write_json};

/// Prints the figures since `since` (default 30 days ago).
pub async fn run(db: &DbArgs, since: Option<&str>, json: bool) -> anyhow::Result<()> {
    let since = match since {
        Some(s) => parse_since(s)?,
        None => Utc::now() - TimeDelta::days(30),
    };
    let pool = db.pool().await?;
    let client = pool.get().await.context("cannot reach the database")?;
    let stats = compute(&**client, since).await.map_err(hint_migrate)?;
    if json {
        write_json(&stats)
    } else {
        print!("{}", render(&stats));
        Ok(())
    }
}

/// A `--since` value: `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time.
pub fn parse_since(s: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(d) = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    parse_timestamp(s).map_err(|e| anyhow::anyhow!("--since: {e}"))
}

/// Dollars with four decimals.
pub fn usd(v: f64) -> String {
    format!("${v:.4}")
}

/// "unknown" when no call of the bucket has a price: never a silent $0.
fn bucket_cost(b: &telemetry_shared::stats::LlmBucket) -> String {
    match b.unpriced_calls {
        0 => usd(b.cost_usd),
        n if n == b.calls => "unknown".into(),
        _ => format!("{} + unknown", usd(b.cost_usd)),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |r| format!("{:.1}%", r * 100.0))
}

fn secs(v: Option<f64>) -> String {
    v.map_or("-".into(), |s| format!("{s:.0}s"))
}

/// The human-readable report.
pub fn render(s: &Stats) -> String {
    let l = &s.llm;
    let mut out = format!(
        "Telemetry since {}\n\nLLM calls\n",
        s.since.format("%Y-%m-%d %H:%M UTC")
    );
    out += &table(
        &[
            "calls",
            "input",
            "cache read",
            "cache write",
            "output",
            "cost",
            "unpriced",
            "success",
        ],
        &[vec![
            l.calls.to_string(),
            l.input_tokens.to_string(),
            l.cache_read_tokens.to_string(),
            l.cache_write_tokens.to_string(),
            l.output_tokens.to_string(),
            usd(l.cost_usd),
            l.unpriced_calls.to_string(),
            pct(l.success_rate),
        ]],
    );
    let buckets = |rows: &[telemetry_shared::stats::LlmBucket]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|b| {
                vec![
                    b.key.clone(),
                    b.calls.to_string(),
                    b.tokens.to_string(),
                    bucket_cost(b),
                    b.unpriced_calls.to_string(),
                ]
            })
            .collect()
    };
    out += "\nBy day (UTC)\n";
    out += &table(
        &["day", "calls", "tokens", "cost", "unpriced"],
        &buckets(&s.llm_by_day),
    );
    out += "\nBy model\n";
    out += &table(
        &["model", "calls", "tokens", "cost", "unpriced"],
        &buckets(&s.llm_by_model),
    );
    if l.unpriced_calls > 0 {
        out += &format!(
            "\nnote: {} calls use models without a price; their cost is unknown and not in the totals\n",
            l.unpriced_calls
        );
    }
    out += "\nWorkflow runs\n";
    if s.workflows.is_empty() {
        out += "  (none yet: run `telemetry ingest github`)\n";
    } else {
        let rows: Vec<Vec<String>> = s
            .workflows
            .iter()
            .map(|w| {
                vec![
                    w.repository.clone(),
                    w.workflow.clone(),
                    w.runs.to_string(),
                    w.completed.to_string(),
                    pct(w.success_rate),
                    secs(w.p50_seconds),
                    secs(w.p95_seconds),
                ]
            })
            .collect();
        out += &table(
            &[
                "repository",
                "workflow",
                "runs",
                "completed",
                "success",
                "p50",
                "p95",
            ],
            &rows,
        );
    }
    out += &render_jobs(&s.jobs);
    out += "\nCoverage by branch (line %, change since the branch's previous report)\n";
    if s.coverage.is_empty() {
        out += "  (none yet: upload lcov.info, coverage.xml or coverage-summary.json under uploads/coverage/OWNER/REPO/[BRANCH/]COMMIT/)\n";
    } else {
        let percent = |v: Option<f64>| v.map_or("-".into(), |p| format!("{p:.2}%"));
        let rows: Vec<Vec<String>> = s
            .coverage
            .iter()
            .map(|c| {
                vec![
                    c.repository.clone(),
                    c.branch.clone().unwrap_or_else(|| "-".into()),
                    c.captured_at.format("%Y-%m-%d %H:%M").to_string(),
                    c.commit_sha.chars().take(8).collect(),
                    c.format.clone(),
                    percent(c.line_percent),
                    c.line_change.map_or("".into(), |d| format!("{d:+.2}")),
                    percent(c.branch_percent),
                    c.run_conclusion.clone().unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        out += &table(
            &[
                "repository",
                "branch",
                "when (UTC)",
                "commit",
                "format",
                "lines",
                "change",
                "branches",
                "run",
            ],
            &rows,
        );
    }
    out
}

/// The jobs' part: queue time per label, the slowest jobs and steps, failing and flaky jobs.
fn render_jobs(j: &telemetry_shared::stats::JobStats) -> String {
    let mut out = String::from("\nJobs: queue time by runner label\n");
    if j.queue_by_label.is_empty() {
        return out + "  (none yet: subscribe the GitHub webhook to workflow_job events)\n";
    }
    let rows: Vec<Vec<String>> = j
        .queue_by_label
        .iter()
        .map(|q| {
            vec![
                q.label.clone(),
                q.jobs.to_string(),
                secs(q.p50_seconds),
                secs(q.p95_seconds),
            ]
        })
        .collect();
    out += &table(&["label", "jobs", "p50 wait", "p95 wait"], &rows);
    let durations = |lines: &[telemetry_shared::stats::DurationLine]| -> Vec<Vec<String>> {
        lines
            .iter()
            .map(|d| {
                let mut row = vec![d.repository.clone(), d.job.clone()];
                if let Some(step) = &d.step {
                    row.push(step.clone());
                }
                row.extend([
                    d.completed.to_string(),
                    secs(d.p50_seconds),
                    secs(d.p95_seconds),
                ]);
                row
            })
            .collect()
    };
    out += "\nSlowest jobs (p95)\n";
    out += &table(
        &["repository", "job", "completed", "p50", "p95"],
        &durations(&j.slowest_jobs),
    );
    out += "\nSlowest steps (p95)\n";
    out += &table(
        &["repository", "job", "step", "completed", "p50", "p95"],
        &durations(&j.slowest_steps),
    );
    out += "\nFailing jobs (flaky: failed, then passed on the next attempt of the run)\n";
    let rows: Vec<Vec<String>> = j
        .failing_jobs
        .iter()
        .map(|f| {
            vec![
                f.repository.clone(),
                f.job.clone(),
                f.completed.to_string(),
                f.failed.to_string(),
                pct(f.failure_rate),
                f.flaky.to_string(),
            ]
        })
        .collect();
    out += &table(
        &[
            "repository",
            "job",
            "completed",
            "failed",
            "failure rate",
            "flaky",
        ],
        &rows,
    );
    out += "\nBillable minutes (jobs rounded up; estimated at GitHub's rates, unpriced: not $0)\n";
    let rows: Vec<Vec<String>> = j
        .billing
        .iter()
        .map(|b| {
            vec![
                b.day.to_string(),
                b.repository.clone(),
                b.workflow.clone().unwrap_or_default(),
                b.jobs.to_string(),
                b.billable_minutes.to_string(),
                usd(b.cost_usd),
                b.unpriced_jobs.to_string(),
            ]
        })
        .collect();
    out += &table(
        &[
            "day",
            "repository",
            "workflow",
            "jobs",
            "minutes",
            "estimate",
            "unpriced",
        ],
        &rows,
    );
    out
}
