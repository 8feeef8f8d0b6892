//! The answers `telemetry report --html` inlines: the read routes the page's views ask for,
//! each answered as the API would answer an admin read key for the report's range.

use chrono::{SecondsFormat, Utc};
use serde_json::{json, Map, Value};
use tokio_postgres::GenericClient;

use crate::read::{answer, Params, Range, ReadError, ReadRoute, Scope};

/// An answer a view loads: the name `load` looks it up by (the route, plus what the view asks
/// besides the range and page size), the route, and its parameters besides the range.
pub type ReportRoute = (
    &'static str,
    ReadRoute,
    &'static [(&'static str, &'static str)],
);

/// The answers the page's views load.
pub const REPORT_ROUTES: [ReportRoute; 18] = [
    ("/api/v1/whoami", ReadRoute::WhoAmI, &[]),
    ("/api/v1/llm/cost-daily", ReadRoute::LlmCostDaily, &[]),
    (
        "/api/v1/llm/top?by=session",
        ReadRoute::LlmTop,
        &[("by", "session")],
    ),
    (
        "/api/v1/llm/top?by=task",
        ReadRoute::LlmTop,
        &[("by", "task")],
    ),
    (
        "/api/v1/llm/top?by=user",
        ReadRoute::LlmTop,
        &[("by", "user")],
    ),
    (
        "/api/v1/llm/top?by=branch",
        ReadRoute::LlmTop,
        &[("by", "branch")],
    ),
    (
        "/api/v1/llm/top?by=tool",
        ReadRoute::LlmTop,
        &[("by", "tool")],
    ),
    ("/api/v1/ci/runs-daily", ReadRoute::CiRunsDaily, &[]),
    ("/api/v1/ci/workflows", ReadRoute::CiWorkflows, &[]),
    (
        "/api/v1/ci/failures",
        ReadRoute::CiFailures,
        &[("limit", "20")],
    ),
    ("/api/v1/ci/jobs", ReadRoute::CiJobs, &[]),
    (
        "/api/v1/agents/tasks",
        ReadRoute::AgentTasks,
        &[("limit", "50")],
    ),
    ("/api/v1/coverage", ReadRoute::Coverage, &[("limit", "500")]),
    ("/api/v1/events/daily", ReadRoute::EventsDaily, &[]),
    (
        "/api/v1/fleet/briefings",
        ReadRoute::FleetBriefings,
        &[("limit", "50")],
    ),
    (
        "/api/v1/fleet/jobs?pending=true",
        ReadRoute::FleetJobs,
        &[("pending", "true"), ("limit", "50")],
    ),
    (
        "/api/v1/fleet/jobs",
        ReadRoute::FleetJobs,
        &[("limit", "50")],
    ),
    (
        "/api/v1/projects?status=all",
        ReadRoute::Projects,
        &[("status", "all")],
    ),
];

/// The report of `range` (of `project`, or every project): `{range, generated_at, answers}`.
pub async fn report_answers(
    client: &impl GenericClient,
    range: &Range,
    project: Option<&str>,
) -> Result<Value, ReadError> {
    let scope = match project {
        Some(p) => Scope::Project(p.to_string()),
        None => Scope::AllProjects,
    };
    let at = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut answers = Map::new();
    for (name, route, extra) in REPORT_ROUTES {
        let mut pairs: Vec<(String, String)> = Vec::new();
        if !matches!(route, ReadRoute::WhoAmI | ReadRoute::Projects) {
            pairs.push(("since".into(), at(range.since)));
            pairs.push(("until".into(), at(range.until)));
        }
        pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let params = Params::new(route, pairs)?;
        let answered = match answer(client, &scope, route, &params).await {
            // What the scope may not read is said in the page, as the API says it (403).
            Err(ReadError::Query(e)) if e.forbidden => {
                json!({"refused": {"status": 403, "message": e.to_string()}})
            }
            other => other?,
        };
        answers.insert(name.into(), answered);
    }
    Ok(json!({
        "range": {"since": at(range.since), "until": at(range.until)},
        "project": project,
        "generated_at": at(Utc::now()),
        "answers": answers,
    }))
}
