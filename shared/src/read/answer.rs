//! The read routes' answers as JSON, for whoever asks: the HTTP API (`GET /api/v1/...`) and
//! `telemetry report --html`, which inlines the same answers in the page. Each route takes
//! only its own parameters, once each.

use chrono::Utc;
use serde_json::{json, Value};
use tokio_postgres::GenericClient;

use super::agents::TaskCursor;
use super::range::limit;
use super::routes::ReadRoute;
use super::{Cursor, QueryError, Range, Scope, TopBy};
use crate::db::DbError;

/// Why a read was not answered.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A parameter is malformed, or names what the key may not read.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The object store holding a log failed.
    #[error(transparent)]
    Store(#[from] crate::objects::StoreError),
}

/// A request's query parameters, percent-decoded, each allowed once.
pub struct Params(Vec<(String, String)>);

impl Params {
    /// `pairs` (decoded), checked against what `route` takes.
    pub fn new(route: ReadRoute, pairs: Vec<(String, String)>) -> Result<Params, QueryError> {
        let allowed = route.parameters();
        for (i, (name, value)) in pairs.iter().enumerate() {
            let Some(known) = allowed.iter().find(|a| **a == name) else {
                return Err(QueryError::bad(
                    "query",
                    format!("unknown parameter {name:?}; this route takes {allowed:?}"),
                ));
            };
            if pairs[..i].iter().any(|(n, _)| n == name) {
                return Err(QueryError::bad(known, "given twice"));
            }
            if value.contains('\0') || value.len() > 200 {
                return Err(QueryError::bad(known, "NUL or over 200 bytes"));
            }
        }
        Ok(Params(pairs))
    }

    /// The value of parameter `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn range(&self) -> Result<Range, QueryError> {
        Range::parse(self.get("since"), self.get("until"), Utc::now())
    }

    fn cursor(&self) -> Result<Option<Cursor>, QueryError> {
        self.get("cursor").map(Cursor::parse).transpose()
    }
}

/// The answer of `route` with parameters `p` for a caller reading `scope`.
pub async fn answer(
    c: &impl GenericClient,
    scope: &Scope,
    route: ReadRoute,
    p: &Params,
) -> Result<Value, ReadError> {
    if route == ReadRoute::WhoAmI {
        return Ok(match scope {
            Scope::Project(id) => json!({"scope": "project", "project_id": id}),
            Scope::AllProjects => json!({"scope": "all_projects", "project_id": null}),
        });
    }
    if route == ReadRoute::Projects {
        let status = match p.get("status") {
            None | Some("active") => Some("active"),
            Some("archived") => Some("archived"),
            Some("all") => None,
            Some(_) => {
                return Err(QueryError::bad("status", "expected active, archived or all").into())
            }
        };
        let only = scope.project(None)?;
        let limit = limit(p.get("limit"))?;
        let list = super::projects(
            c,
            only.as_deref(),
            status,
            p.get("repo_root"),
            p.get("cursor"),
            limit,
        )
        .await?;
        let next = next_cursor(&list, limit, |r| r.project_id.clone());
        return Ok(json!({"projects": list, "next_cursor": next}));
    }
    if route == ReadRoute::AgentConversation {
        // Answered where the API holds its log store (the HTTP routes).
        return Err(QueryError::bad("worker", "a conversation is read through the API").into());
    }
    if matches!(route, ReadRoute::AgentTasks | ReadRoute::AgentTask) {
        return agents(c, scope, route, p).await;
    }
    let range = p.range()?;
    let project = scope.project(p.get("project"))?;
    let head = json!({"range": range, "project": project});
    let body = match route {
        ReadRoute::WhoAmI
        | ReadRoute::Projects
        | ReadRoute::AgentTasks
        | ReadRoute::AgentTask
        | ReadRoute::AgentConversation => Value::Null,
        ReadRoute::LlmCostDaily => {
            let days = super::llm_cost_daily(c, &range, project.as_deref()).await?;
            with(head, json!({"days": days}))
        }
        ReadRoute::LlmCalls => {
            let limit = limit(p.get("limit"))?;
            let calls = super::llm_calls(c, &range, project.as_deref(), p.cursor()?, limit).await?;
            let next = next_cursor(&calls, limit, |r| r.cursor().text());
            with(head, json!({"calls": calls, "next_cursor": next}))
        }
        ReadRoute::LlmTop => {
            let by = match p.get("by") {
                None => TopBy::Session,
                Some(b) => TopBy::parse(b).ok_or_else(|| {
                    let names: Vec<&str> = TopBy::ALL.iter().map(|t| t.as_str()).collect();
                    QueryError::bad("by", format!("expected one of {}", names.join(", ")))
                })?,
            };
            let limit = limit(p.get("limit").or(Some("10")))?;
            let top = super::llm_top(c, &range, project.as_deref(), by, limit).await?;
            with(head, json!({"by": by.as_str(), "top": top}))
        }
        ReadRoute::FleetBriefings => {
            let one_of = |name: &'static str, allowed: &[&str]| match p.get(name) {
                Some(v) if !allowed.contains(&v) => Err(QueryError::bad(
                    name,
                    format!("expected one of {}", allowed.join(", ")),
                )),
                v => Ok(v),
            };
            let filter = super::BriefingFilter {
                project: project.as_deref(),
                status: one_of(
                    "status",
                    &["completed", "blocked", "failed", "waiting_for_input"],
                )?,
                impact: one_of("impact", &["trivial", "minor", "moderate", "major"])?,
                drift: one_of("drift", &["low", "medium", "high"])?,
            };
            let limit = limit(p.get("limit"))?;
            let list = super::briefings(c, &range, &filter, p.cursor()?, limit).await?;
            let next = next_cursor(&list, limit, |r| r.cursor().text());
            with(head, json!({"briefings": list, "next_cursor": next}))
        }
        ReadRoute::FleetJobs => {
            let status = match p.get("status") {
                Some(s)
                    if !["queued", "running", "completed", "failed", "canceled"].contains(&s) =>
                {
                    return Err(QueryError::bad(
                        "status",
                        "expected queued, running, completed, failed or canceled",
                    )
                    .into())
                }
                s => s,
            };
            let pending = match p.get("pending") {
                None | Some("false") => false,
                Some("true") => true,
                Some(_) => return Err(QueryError::bad("pending", "expected true or false").into()),
            };
            let limit = limit(p.get("limit"))?;
            let list = super::jobs(
                c,
                &range,
                project.as_deref(),
                status,
                pending,
                p.cursor()?,
                limit,
            )
            .await?;
            let next = next_cursor(&list, limit, |r| r.cursor().text());
            with(head, json!({"jobs": list, "next_cursor": next}))
        }
        ReadRoute::Coverage => {
            let limit = limit(p.get("limit"))?;
            let repo = p.get("repository");
            let reports =
                super::coverage(c, &range, project.as_deref(), repo, p.cursor()?, limit).await?;
            let next = next_cursor(&reports, limit, |r| r.cursor().text());
            with(
                head,
                json!({"repository": repo, "reports": reports, "next_cursor": next}),
            )
        }
        ReadRoute::EventsDaily => {
            let days = super::events_daily(c, &range, project.as_deref()).await?;
            let property = p.get("property").filter(|v| !v.is_empty());
            let by_property = match property {
                Some(name) => {
                    super::events_by_property(c, &range, project.as_deref(), name).await?
                }
                None => Vec::new(),
            };
            with(
                head,
                json!({"days": days, "property": property, "by_property": by_property}),
            )
        }
        ReadRoute::CiRunsDaily
        | ReadRoute::CiWorkflows
        | ReadRoute::CiFailures
        | ReadRoute::CiJobs => {
            let repository = match (&project, p.get("repository")) {
                (Some(project), asked) => {
                    let own = super::project_repository(c, project).await?;
                    if asked.is_some() && asked != own.as_deref() {
                        return Err(ReadError::Query(QueryError::forbidden(
                            "repository",
                            match &own {
                                Some(own) => format!("project {project} reads {own} only"),
                                None => format!("project {project} has no repository"),
                            },
                        )));
                    }
                    // A project with no known repository has no CI rows it may read.
                    match own {
                        Some(own) => Some(own),
                        None => return Ok(empty(route, head)),
                    }
                }
                (None, asked) => asked.map(str::to_string),
            };
            let repo = repository.as_deref();
            let head = with(head, json!({"repository": repo}));
            match route {
                ReadRoute::CiRunsDaily => {
                    let days = super::ci_runs_daily(c, &range, repo).await?;
                    with(head, json!({"days": days}))
                }
                ReadRoute::CiWorkflows => {
                    let workflows = super::ci_workflows(c, &range, repo).await?;
                    with(head, json!({"workflows": workflows}))
                }
                ReadRoute::CiJobs => {
                    let scope = crate::stats::JobScope {
                        since: range.since,
                        until: Some(range.until),
                        repository: repo,
                    };
                    let jobs = crate::stats::job_stats(c, scope).await?;
                    with(head, json!({"jobs": jobs}))
                }
                _ => {
                    let limit = limit(p.get("limit"))?;
                    let failures = super::ci_failures(c, &range, repo, p.cursor()?, limit).await?;
                    let next = next_cursor(&failures, limit, |r| r.cursor().text());
                    with(head, json!({"failures": failures, "next_cursor": next}))
                }
            }
        }
    };
    Ok(body)
}

/// The agent routes: tasks in a range, or one task's timeline. Agent records carry no
/// project yet, so a project's key may not read them.
async fn agents(
    c: &impl GenericClient,
    scope: &Scope,
    route: ReadRoute,
    p: &Params,
) -> Result<Value, ReadError> {
    scope.agent_records()?;
    if route == ReadRoute::AgentTask {
        let id = p
            .get("id")
            .filter(|id| !id.is_empty())
            .ok_or_else(|| QueryError::bad("id", "required: the task's id"))?;
        let task = crate::query::task(c, id).await?;
        return match task {
            Some(t) => Ok(json!({"task": t})),
            None => Err(QueryError::bad("id", format!("no task {id:?}")).into()),
        };
    }
    let range = p.range()?;
    let limit = limit(p.get("limit"))?;
    let cursor = p.get("cursor").map(TaskCursor::parse).transpose()?;
    let counts = super::agents::task_counts(c, &range).await?;
    let list = super::agents::tasks(c, &range, cursor.as_ref(), limit).await?;
    let next = next_cursor(&list, limit, |t| {
        TaskCursor {
            at: t.detected_at,
            task_id: t.task_id.clone(),
        }
        .text()
    });
    let counts: serde_json::Map<String, Value> =
        counts.into_iter().map(|(s, n)| (s, json!(n))).collect();
    Ok(json!({"range": range, "by_status": counts, "tasks": list, "next_cursor": next}))
}

/// The cursor after a full page (`cursor` of its last row), `None` after the last page.
fn next_cursor<T>(page: &[T], limit: i64, cursor: impl Fn(&T) -> String) -> Option<String> {
    (page.len() as i64 == limit)
        .then(|| page.last().map(cursor))
        .flatten()
}

/// `head`'s fields and `tail`'s in one object.
fn with(mut head: Value, tail: Value) -> Value {
    if let (Some(h), Value::Object(t)) = (head.as_object_mut(), tail) {
        h.extend(t);
    }
    head
}

/// The answer of a CI route for a project with no known repository.
fn empty(route: ReadRoute, head: Value) -> Value {
    let head = with(head, json!({"repository": null}));
    match route {
        ReadRoute::CiRunsDaily => with(head, json!({"days": []})),
        ReadRoute::CiWorkflows => with(head, json!({"workflows": []})),
        ReadRoute::CiJobs => with(head, json!({"jobs": crate::stats::JobStats::default()})),
        _ => with(head, json!({"failures": [], "next_cursor": null})),
    }
}
