//! `telemetry briefings`, `jobs` and `projects list|archive`: seed 003's repository queries,
//! answered as the read API answers an admin read key (the same parameters, checks and
//! JSON), printed as tables.

use anyhow::{anyhow, bail, Context};
use serde_json::Value;
use telemetry_shared::read::{answer, archive_project, Params, ReadError, ReadRoute, Scope};

use super::{hint_migrate, DbArgs};
use crate::output::{table, write_json};

/// The answer of `route` with `pairs`, as the read API gives it.
async fn read(
    db: &DbArgs,
    route: ReadRoute,
    pairs: Vec<(String, String)>,
) -> anyhow::Result<Value> {
    let params = Params::new(route, pairs).map_err(|e| anyhow!("--{e}"))?;
    let pool = db.pool().await?;
    let client = pool.get().await.context("database")?;
    answer(&**client, &Scope::AllProjects, route, &params)
        .await
        .map_err(|e| match e {
            ReadError::Db(e) => hint_migrate(e),
            ReadError::Query(e) => anyhow!("--{e}"),
            ReadError::Store(e) => anyhow!(e),
        })
}

fn pairs(filters: &[(&str, Option<String>)], since: &str, limit: u32) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = filters
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k.to_string(), v.clone())))
        .collect();
    p.push(("since".into(), since.into()));
    p.push(("limit".into(), limit.to_string()));
    p
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn print(items: &Value, columns: &[&str]) {
    let rows: Vec<Vec<String>> = items
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| columns.iter().map(|c| text(&i[*c])).collect())
                .collect()
        })
        .unwrap_or_default();
    print!("{}", table(columns, &rows));
}

/// What `briefings` and `jobs` list: the route, the answer's list and the columns shown.
pub struct Listing {
    /// The read route.
    pub route: ReadRoute,
    /// The answer's field holding the rows.
    pub field: &'static str,
    /// The columns of the table.
    pub columns: &'static [&'static str],
}

/// `briefings [--project] [--status] [--impact] [--drift] [--since] [--limit] [--json]`.
pub const BRIEFINGS: Listing = Listing {
    route: ReadRoute::FleetBriefings,
    field: "briefings",
    columns: &[
        "at",
        "project_id",
        "task_id",
        "status",
        "impact_level",
        "doc_drift_risk",
        "branch",
    ],
};

/// `jobs [--project] [--status | --pending] [--since] [--limit] [--json]`.
pub const JOBS: Listing = Listing {
    route: ReadRoute::FleetJobs,
    field: "jobs",
    columns: &[
        "ts_created",
        "project_id",
        "job_id",
        "type",
        "model",
        "status",
        "error",
    ],
};

/// Lists what `what` names, filtered, since `since`, at most `limit`.
pub async fn list(
    db: &DbArgs,
    what: &Listing,
    filters: &[(&str, Option<String>)],
    since: &str,
    limit: u32,
    json: bool,
) -> anyhow::Result<()> {
    let a = read(db, what.route, pairs(filters, since, limit)).await?;
    if json {
        return write_json(&a[what.field]);
    }
    print(&a[what.field], what.columns);
    Ok(())
}

/// `projects list [--archived | --all] [--repo-root PATH] [--json]`.
pub async fn projects(
    db: &DbArgs,
    status: &str,
    repo_root: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let mut p = vec![
        ("status".to_string(), status.to_string()),
        ("limit".to_string(), "1000".to_string()),
    ];
    if let Some(root) = repo_root {
        p.push(("repo_root".into(), root.into()));
    }
    let a = read(db, ReadRoute::Projects, p).await?;
    if json {
        return write_json(&a["projects"]);
    }
    if repo_root.is_some() && a["projects"].as_array().is_some_and(Vec::is_empty) {
        bail!(
            "no {status} project has repository root {:?}",
            repo_root.unwrap_or_default()
        );
    }
    print(
        &a["projects"],
        &[
            "project_id",
            "repo_name",
            "git_remote",
            "repo_root",
            "status",
            "created_at",
        ],
    );
    Ok(())
}

/// `projects archive ID`.
pub async fn archive(db: &DbArgs, id: &str) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    let client = pool.get().await.context("database")?;
    if !archive_project(&**client, id).await.map_err(hint_migrate)? {
        bail!("no project {id} (see `telemetry projects list --all`)");
    }
    println!("{id} archived: it leaves `projects list`; its rows and keys stay");
    Ok(())
}
