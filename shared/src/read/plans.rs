//! The plans PostgreSQL chooses for the read queries, with the parameters a request passes:
//! `EXPLAIN (FORMAT JSON)` of each, for the test that checks they are served by indexes and
//! for an operator asking why a dashboard is slow.

use serde_json::Value;
use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;

use super::{agents, ci, events, llm, params, Range, TopBy};
use crate::db::DbError;

/// Each read query's name and plan for `range`, filtered by `project` (the LLM queries) and
/// `repository` (the CI ones) when given.
pub async fn plans(
    client: &impl GenericClient,
    range: &Range,
    project: Option<&str>,
    repository: Option<&str>,
) -> Result<Vec<(&'static str, Value)>, DbError> {
    let (p, r) = (project.is_some(), repository.is_some());
    let queries = [
        ("llm cost-daily", llm::cost_daily_sql(p), 0, project),
        ("llm calls", llm::calls_sql(p), 3, project),
        (
            "llm top by session",
            llm::top_sql(p, TopBy::Session),
            1,
            project,
        ),
        ("llm top by task", llm::top_sql(p, TopBy::Task), 1, project),
        ("llm top by user", llm::top_sql(p, TopBy::User), 1, project),
        (
            "llm top by branch",
            llm::top_sql(p, TopBy::Branch),
            1,
            project,
        ),
        ("ci runs-daily", ci::runs_daily_sql(r), 0, repository),
        ("ci workflows", ci::workflows_sql(r), 0, repository),
        ("ci failures", ci::failures_sql(r), 3, repository),
        ("events daily", events::events_daily_sql(p), 0, project),
    ];
    let (at, id, limit) = (range.until, i64::MAX, 100_i64);
    let no_task = "";
    let mut out = Vec::new();
    for (name, sql, extra, filter) in queries {
        let mut args = params(range, &filter);
        let page: [&(dyn ToSql + Sync); 3] = [&at, &id, &limit];
        match extra {
            3 => args.extend(page),
            1 => args.push(&limit),
            _ => {}
        }
        let row = client
            .query_one(&format!("EXPLAIN (FORMAT JSON) {sql}"), &args)
            .await?;
        out.push((name, row.get::<_, Value>(0)));
    }
    let row = client
        .query_one(
            &format!("EXPLAIN (FORMAT JSON) {}", agents::TASKS_SQL),
            &[&range.since, &range.until, &at, &no_task, &limit],
        )
        .await?;
    out.push(("agents tasks", row.get::<_, Value>(0)));
    let property = "os";
    let mut args = params(range, &project);
    args.push(&property);
    let row = client
        .query_one(
            &format!("EXPLAIN (FORMAT JSON) {}", events::by_property_sql(p)),
            &args,
        )
        .await?;
    out.push(("events by property", row.get::<_, Value>(0)));
    let none: Option<&str> = None;
    let row = client
        .query_one(
            &format!(
                "EXPLAIN (FORMAT JSON) {}",
                super::coverage::coverage_sql(p, false)
            ),
            &[
                &range.since,
                &range.until,
                &project,
                &none,
                &at,
                &id,
                &limit,
            ],
        )
        .await?;
    out.push(("coverage", row.get::<_, Value>(0)));
    Ok(out)
}
