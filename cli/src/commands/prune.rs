//! `telemetry prune [--dry-run]`, `telemetry relay`, `telemetry budget`: retention, the
//! outbox relay and the LLM cost budget, by hand.

use std::time::Duration;

use anyhow::{bail, Context};
use telemetry_shared::config::load_aws;
use telemetry_shared::outbox::{list_parked, unpark, Relayer};
use telemetry_shared::prune::{prune, PruneConfig, PruneReport, PruneRequest, RetentionPlan};
use telemetry_shared::s3::S3ObjectStore;
use telemetry_shared::store::{daily_budget, set_daily_budget};

use super::{hint_migrate, DbArgs};
use crate::output::{table, write_json};
use telemetry_shared::db::Workload;

/// Prunes (or counts, with `dry_run`) every table past its retention; `retain` overrides
/// `PRUNE_RETENTION` (`table=6mo`). Archives go to `ARCHIVE_BUCKET`.
pub async fn run(
    db: &DbArgs,
    dry_run: bool,
    retain: &[String],
    time_limit: u64,
    json: bool,
) -> anyhow::Result<()> {
    let mut cfg = PruneConfig::from_env()?;
    if !retain.is_empty() {
        let spec = std::env::var("PRUNE_RETENTION").unwrap_or_default() + "," + &retain.join(",");
        cfg.plan = RetentionPlan::parse(&spec).map_err(anyhow::Error::msg)?;
    }
    let pool = db.pool_for(Workload::Prune).await?;
    // A dry run only counts rows: it never loads an AWS configuration, whose region and
    // credential look-ups would query the instance metadata service.
    let aws = if dry_run {
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build()
    } else {
        load_aws().await
    };
    let store = S3ObjectStore::from_config(&aws);
    let req = PruneRequest {
        now: chrono::Utc::now(),
        deadline: Some(tokio::time::Instant::now() + Duration::from_secs(time_limit)),
        dry_run,
    };
    let report = prune(&pool, &store, &cfg, req)
        .await
        .map_err(hint_migrate)?;
    if json {
        write_json(&report)?;
    } else {
        print!("{}", render(&report));
    }
    if report.busy {
        bail!("another prune is running; nothing was done");
    }
    if !dry_run {
        Relayer::from_env(pool, Some(&aws))
            .await
            .run(Duration::from_secs(60), None)
            .await;
    }
    if let Some(e) = report.errors().first() {
        bail!("{e}");
    }
    Ok(())
}

fn render(r: &PruneReport) -> String {
    let rows: Vec<Vec<String>> = r
        .tables
        .iter()
        .map(|t| {
            vec![
                t.table.clone(),
                String::from(t.retention),
                t.cutoff
                    .map(|c| c.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_else(|| "-".into()),
                t.archived.to_string(),
                t.deleted.to_string(),
                t.kept.to_string(),
                t.remaining.to_string(),
            ]
        })
        .collect();
    let mut out = if r.dry_run {
        "dry run: nothing was changed; archived and deleted are what a prune would do now\n"
            .to_string()
    } else {
        format!(
            "prune {}: {}\n",
            r.id.map(|i| format!("#{i}")).unwrap_or_default(),
            if r.complete {
                "complete"
            } else {
                "incomplete (the next prune resumes)"
            }
        )
    };
    out += &table(
        &[
            "table",
            "retention",
            "cut-off (UTC)",
            "archived",
            "deleted",
            "kept",
            "remaining",
        ],
        &rows,
    );
    for t in &r.tables {
        for o in &t.objects {
            out += &format!("  archive: {o}\n");
        }
        if let Some(e) = &t.error {
            out += &format!("  {}: {e}\n", t.table);
        }
    }
    out
}

/// Lists parked outbox entries (the bus rejected them in every try of several relays).
pub async fn parked(db: &DbArgs, json: bool) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    let client = pool.get().await.context("database")?;
    let parked = list_parked(&**client).await.map_err(hint_migrate)?;
    if json {
        return write_json(&parked);
    }
    if parked.is_empty() {
        println!("no parked entries");
    }
    for p in &parked {
        println!(
            "{}  {}  {}  {} relays  parked {}  {}",
            p.id,
            p.source,
            p.kind,
            p.attempts,
            p.parked_at.format("%Y-%m-%d %H:%M:%SZ"),
            p.last_error.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

/// Publishes undelivered outbox events to `EVENT_BUS_NAME`, after unparking `retry` (or
/// every parked entry with `retry_all`).
pub async fn relay(db: &DbArgs, json: bool, retry: &[i64], retry_all: bool) -> anyhow::Result<()> {
    let pool = db.pool_for(Workload::Sync).await?;
    if retry_all || !retry.is_empty() {
        let client = pool.get().await.context("database")?;
        let ids = (!retry_all).then_some(retry);
        let n = unpark(&**client, ids).await.map_err(hint_migrate)?;
        eprintln!("unparked {n} entries");
    }
    let relayer = Relayer::from_env(pool, None).await;
    if !relayer.enabled() {
        bail!("EVENT_BUS_NAME is not set: no event bus to publish to");
    }
    let report = relayer
        .run(Duration::from_secs(300), None)
        .await
        .context("the relay failed (see the log above)")?;
    if json {
        write_json(&report)?;
    } else {
        println!(
            "published {}, pending {}{}",
            report.published,
            report.pending,
            report
                .error
                .as_deref()
                .map(|e| format!(" (last error: {e})"))
                .unwrap_or_default()
        );
    }
    // Events left behind by a bus that failed are a failed relay, whatever was published.
    if let Some(e) = &report.error {
        bail!(
            "the relay left {} events undelivered: {e} (they stay in the outbox; run it again)",
            report.pending
        );
    }
    Ok(())
}

/// Shows, sets (`usd`) or clears the daily LLM cost budget.
pub async fn budget(db: &DbArgs, usd: Option<f64>, clear: bool) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    let client = pool.get().await.context("database")?;
    if let Some(usd) = usd {
        if !(usd > 0.0 && usd.is_finite()) {
            bail!("the budget must be a positive amount of USD");
        }
        set_daily_budget(&**client, Some(usd))
            .await
            .map_err(hint_migrate)?;
    } else if clear {
        set_daily_budget(&**client, None)
            .await
            .map_err(hint_migrate)?;
    }
    match daily_budget(&**client).await.map_err(hint_migrate)? {
        Some(usd) => println!(
            "daily LLM budget: ${usd:.2} (an llm_budget_exceeded event once a day crosses it)"
        ),
        None => println!("no daily LLM budget set"),
    }
    Ok(())
}
