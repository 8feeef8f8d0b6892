//! `telemetry cost`, `telemetry task`, `telemetry events`: seed 002's query tool.

use anyhow::{anyhow, bail, Context};
use chrono::{DateTime, Duration, Utc};
use telemetry_shared::query::{self, CostBy, CostLine};

use super::stats::{parse_since, usd};
use super::{hint_migrate, DbArgs};
use crate::output::{table, write_json};

fn cost_row(label: String, l: &CostLine) -> Vec<String> {
    vec![
        label,
        l.calls.to_string(),
        l.unpriced_calls.to_string(),
        l.tokens.to_string(),
        usd(l.cost_usd),
    ]
}

/// `--today` or `--since`.
pub struct Period {
    /// Since midnight UTC.
    pub today: bool,
    /// Since this day or time.
    pub since: Option<String>,
}

impl Period {
    fn start(&self) -> anyhow::Result<DateTime<Utc>> {
        Ok(match (self.today, &self.since) {
            (true, None) => Utc::now()
                .date_naive()
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                .and_utc(),
            (false, Some(s)) => parse_since(s)?,
            _ => bail!("give exactly one of --today or --since DATE"),
        })
    }
}

/// `cost --today | --since DATE [--by DIM,...] [--with-ci] [--json]`.
pub async fn cost(
    db: &DbArgs,
    period: &Period,
    by: Option<&str>,
    with_ci: bool,
    json: bool,
) -> anyhow::Result<()> {
    let start = period.start()?;
    let by = CostBy::parse_list(by.unwrap_or("")).map_err(|e| anyhow!(e))?;
    if with_ci && by != [CostBy::Branch] {
        bail!("--with-ci shows branches: give it with --by branch");
    }
    let pool = db.pool().await?;
    let client = pool.get().await.context("database")?;
    if with_ci {
        return branch_ci(&**client, start, json).await;
    }
    let (total, lines) = query::cost(&**client, start, Utc::now(), &by)
        .await
        .map_err(hint_migrate)?;
    if json {
        return write_json(&serde_json::json!({"since": start, "total": total, "groups": lines}));
    }
    let mut rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| cost_row(l.key.clone().unwrap_or_default(), l))
        .collect();
    rows.push(cost_row("total".into(), &total));
    let names: Vec<&str> = by.iter().map(|b| b.as_str()).collect();
    let group = if names.is_empty() {
        "group".to_string()
    } else {
        names.join(" / ")
    };
    println!("LLM cost since {}\n", start.format("%Y-%m-%d %H:%M UTC"));
    print!(
        "{}",
        table(&[&group, "calls", "unpriced", "tokens", "cost"], &rows)
    );
    if total.unpriced_calls > 0 {
        println!(
            "\n{} calls have no price: their cost is unknown, not $0",
            total.unpriced_calls
        );
    }
    if total.sourced_calls > 0 {
        let diff = total.table_cost_of_sourced_usd - total.source_cost_usd;
        println!(
            "\n{} calls also carry their source's own cost: the source says {}, the price table {} \
             ({}{}, {})",
            total.sourced_calls,
            usd(total.source_cost_usd),
            usd(total.table_cost_of_sourced_usd),
            if diff >= 0.0 { "+" } else { "-" },
            usd(diff.abs()),
            if total.source_cost_usd > 0.0 {
                format!("{:+.1}%", 100.0 * diff / total.source_cost_usd)
            } else {
                "no source cost".to_string()
            }
        );
    }
    Ok(())
}

/// `task ID [--json]`: the task, its workers with their calls and cost, and its timeline.
pub async fn task(db: &DbArgs, id: &str, json: bool) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    let client = pool.get().await.context("database")?;
    let view = query::task(&**client, id)
        .await
        .map_err(hint_migrate)?
        .ok_or_else(|| anyhow!("no task {id:?}"))?;
    if json {
        return write_json(&view);
    }
    println!(
        "{} {}  [{}]{}",
        view.task_id,
        view.title.as_deref().unwrap_or(""),
        view.status,
        view.pr_number
            .map(|p| format!("  PR #{p}"))
            .unwrap_or_default()
    );
    println!(
        "{} calls, {} tokens, {}{}\n",
        view.total.calls,
        view.total.tokens,
        usd(view.total.cost_usd),
        if view.total.unpriced_calls > 0 {
            format!(" (+{} unpriced)", view.total.unpriced_calls)
        } else {
            String::new()
        }
    );
    let rows: Vec<Vec<String>> = view
        .workers
        .iter()
        .map(|w| {
            vec![
                w.worker_id.clone(),
                w.status.clone(),
                w.calls.to_string(),
                w.tokens.to_string(),
                usd(w.cost_usd),
                w.log_file.clone().unwrap_or_default(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["worker", "status", "calls", "tokens", "cost", "log"],
            &rows
        )
    );
    println!();
    for e in &view.timeline {
        println!(
            "  {}  {:<9} {}",
            e.at.format("%Y-%m-%d %H:%M:%S"),
            e.kind,
            e.message
        );
    }
    Ok(())
}

/// A `--last` period: `90m`, `24h`, `7d`.
fn parse_last(s: &str) -> anyhow::Result<Duration> {
    let (n, unit) = s.trim().split_at(s.trim().len().saturating_sub(1));
    let n: i64 = n
        .parse()
        .map_err(|_| anyhow!("--last {s:?}: expected a number and m, h or d (e.g. 24h)"))?;
    match unit {
        "m" => Ok(Duration::minutes(n)),
        "h" => Ok(Duration::hours(n)),
        "d" => Ok(Duration::days(n)),
        _ => bail!("--last {s:?}: expected a number and m, h or d (e.g. 24h)"),
    }
}

/// `events [--type T] [--last 24h] [--json]`.
pub async fn events(
    db: &DbArgs,
    event_type: Option<&str>,
    last: &str,
    json: bool,
) -> anyhow::Result<()> {
    let since: DateTime<Utc> = Utc::now() - parse_last(last)?;
    let pool = db.pool().await?;
    let client = pool.get().await.context("database")?;
    let events = query::events(&**client, event_type, since)
        .await
        .map_err(hint_migrate)?;
    if json {
        return write_json(&events);
    }
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            vec![
                e.timestamp.format("%Y-%m-%d %H:%M:%S").to_string(),
                e.event_type.clone(),
                e.severity.clone().unwrap_or_default(),
                e.context_id.clone().unwrap_or_default(),
                e.message.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(&["time", "type", "severity", "context", "message"], &rows)
    );
    Ok(())
}

/// `events --after N [--project P] [--limit N] [--json]`: outbox events after cursor `N`.
pub async fn outbox(
    db: &DbArgs,
    after: i64,
    project: Option<&str>,
    limit: i64,
    json: bool,
) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    let mut client = pool.get().await.context("database")?;
    let events = telemetry_shared::outbox::after(&mut **client, after, project, limit)
        .await
        .map_err(hint_migrate)?;
    if json {
        return write_json(&events);
    }
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            vec![
                e.cursor.unwrap_or(e.id).to_string(),
                e.ts.format("%Y-%m-%d %H:%M:%S").to_string(),
                e.kind.clone(),
                e.project_id.clone().unwrap_or_default(),
                if e.delivered_at.is_some() {
                    "yes"
                } else {
                    "no"
                }
                .into(),
                e.payload.to_string().chars().take(100).collect(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["cursor", "time", "type", "project", "published", "payload"],
            &rows
        )
    );
    if let Some(last) = events.last() {
        println!(
            "next: telemetry events --after {}",
            last.cursor.unwrap_or(last.id)
        );
    }
    Ok(())
}

/// `cost --by branch --with-ci`: per repository and branch, the calls beside the runs.
async fn branch_ci(
    client: &impl tokio_postgres::GenericClient,
    start: DateTime<Utc>,
    json: bool,
) -> anyhow::Result<()> {
    let lines = query::cost_with_ci(client, start, Utc::now())
        .await
        .map_err(hint_migrate)?;
    if json {
        return write_json(&serde_json::json!({"since": start, "branches": lines}));
    }
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|b| {
            vec![
                b.llm.keys.first().cloned().unwrap_or_default(),
                b.llm.keys.get(1).cloned().unwrap_or_default(),
                b.llm.calls.to_string(),
                usd(b.llm.cost_usd),
                b.runs.to_string(),
                b.failed_runs.to_string(),
                format!("{:.1}", b.run_minutes),
            ]
        })
        .collect();
    println!(
        "LLM cost and CI per branch since {}\n",
        start.format("%Y-%m-%d %H:%M UTC")
    );
    print!(
        "{}",
        table(
            &[
                "repository",
                "branch",
                "calls",
                "cost",
                "runs",
                "failed",
                "run min"
            ],
            &rows
        )
    );
    if lines.is_empty() {
        println!("no calls name a repository and branch in this period");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_last;

    #[test]
    fn periods_parse() {
        assert_eq!(parse_last("24h").expect("ok").num_hours(), 24);
        assert_eq!(parse_last("90m").expect("ok").num_minutes(), 90);
        assert_eq!(parse_last("7d").expect("ok").num_days(), 7);
        assert!(parse_last("soon").is_err());
        assert!(parse_last("5y").is_err());
    }
}
