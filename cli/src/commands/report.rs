//! `telemetry report --html FILE [--since] [--until] [--project]`: the dashboard's page with
//! the answers of its views inlined, readable offline (a file to attach to a weekly mail).

use std::path::Path;

use anyhow::{anyhow, Context};
use telemetry_shared::dashboard::{offline_page, report_answers};
use telemetry_shared::read::{Range, ReadError};

use super::{hint_migrate, DbArgs};

/// Writes the report of the range to `out`.
pub async fn html(
    db: &DbArgs,
    out: &Path,
    since: Option<&str>,
    until: Option<&str>,
    project: Option<&str>,
) -> anyhow::Result<()> {
    let range = Range::parse(since, until, chrono::Utc::now())
        .map_err(|e| anyhow!("--{}", e.to_string().replacen(": ", " ", 1)))?;
    let pool = db.pool().await?;
    let client = pool.get().await.context("database")?;
    let report = report_answers(&**client, &range, project)
        .await
        .map_err(|e| match e {
            ReadError::Db(e) => hint_migrate(e),
            other => anyhow!(other),
        })?;
    let page = offline_page(&report);
    std::fs::write(out, &page).with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!(
        "wrote {} ({} KB): {} to {}",
        out.display(),
        page.len() / 1024,
        report["range"]["since"].as_str().unwrap_or_default(),
        report["range"]["until"].as_str().unwrap_or_default()
    );
    Ok(())
}
