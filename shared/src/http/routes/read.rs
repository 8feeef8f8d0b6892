//! The read API, `GET /api/v1/...`: the JSON the dashboard draws, for scripts and Grafana
//! too. A read key (or a project's secret key) reads its project; an admin read key reads
//! everything and may filter by `project`. Every route takes a bounded range and answers
//! within it; lists are paginated by `cursor`.

use chrono::Utc;
use http::{Request, StatusCode, Uri};
use serde_json::{json, Value};

use crate::db::{DbError, Pool};
use crate::http::response::{json_response, ApiError, HttpResponse};
use crate::read::{self, Cursor, QueryError, Range, Scope, TopBy};

/// The read routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ReadRoute {
    /// `/api/v1/whoami`: what the key reads.
    WhoAmI,
    /// `/api/v1/llm/cost-daily`.
    LlmCostDaily,
    /// `/api/v1/llm/calls`.
    LlmCalls,
    /// `/api/v1/llm/top`.
    LlmTop,
    /// `/api/v1/ci/runs-daily`.
    CiRunsDaily,
    /// `/api/v1/ci/workflows`.
    CiWorkflows,
    /// `/api/v1/ci/failures`.
    CiFailures,
}

impl ReadRoute {
    /// Every read route's path.
    pub(super) const PATHS: [(&'static str, ReadRoute); 7] = [
        ("/api/v1/whoami", ReadRoute::WhoAmI),
        ("/api/v1/llm/cost-daily", ReadRoute::LlmCostDaily),
        ("/api/v1/llm/calls", ReadRoute::LlmCalls),
        ("/api/v1/llm/top", ReadRoute::LlmTop),
        ("/api/v1/ci/runs-daily", ReadRoute::CiRunsDaily),
        ("/api/v1/ci/workflows", ReadRoute::CiWorkflows),
        ("/api/v1/ci/failures", ReadRoute::CiFailures),
    ];

    /// The query parameters the route takes.
    fn parameters(self) -> &'static [&'static str] {
        match self {
            ReadRoute::WhoAmI => &[],
            ReadRoute::LlmCostDaily => &["since", "until", "project"],
            ReadRoute::LlmCalls => &["since", "until", "project", "limit", "cursor"],
            ReadRoute::LlmTop => &["since", "until", "project", "by", "limit"],
            ReadRoute::CiRunsDaily | ReadRoute::CiWorkflows => {
                &["since", "until", "project", "repository"]
            }
            ReadRoute::CiFailures => {
                &["since", "until", "project", "repository", "limit", "cursor"]
            }
        }
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        let (status, code) = if e.forbidden {
            (StatusCode::FORBIDDEN, "forbidden")
        } else {
            (StatusCode::BAD_REQUEST, "invalid_query")
        };
        ApiError::new(status, code, e.to_string()).details(json!({"parameter": e.parameter}))
    }
}

/// A request's query parameters, percent-decoded, each allowed once.
struct Params(Vec<(String, String)>);

impl Params {
    fn of(uri: &Uri, allowed: &'static [&'static str]) -> Result<Params, ApiError> {
        let pairs: Vec<(String, String)> = axum::extract::Query::try_from_uri(uri)
            .map(|q| q.0)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))?;
        for (i, (name, value)) in pairs.iter().enumerate() {
            let Some(known) = allowed.iter().find(|a| **a == name) else {
                return Err(QueryError::bad(
                    "query",
                    format!("unknown parameter {name:?}; this route takes {allowed:?}"),
                )
                .into());
            };
            if pairs[..i].iter().any(|(n, _)| n == name) {
                return Err(QueryError::bad(known, "given twice").into());
            }
            if value.contains('\0') || value.len() > 200 {
                return Err(QueryError::bad(known, "NUL or over 200 bytes").into());
            }
        }
        Ok(Params(pairs))
    }

    fn get(&self, name: &str) -> Option<&str> {
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

/// Answers read route `route` for a caller reading `scope`.
pub(super) async fn answer(
    pool: &Pool,
    scope: &Scope,
    route: ReadRoute,
    req: &Request<Vec<u8>>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::of(req.uri(), route.parameters())?;
    if route == ReadRoute::WhoAmI {
        let body = match scope {
            Scope::Project(id) => json!({"scope": "project", "project_id": id}),
            Scope::AllProjects => json!({"scope": "all_projects", "project_id": null}),
        };
        return Ok(json_response(StatusCode::OK, &body));
    }
    let range = p.range()?;
    let project = scope.project(p.get("project"))?;
    let client = pool.get().await.map_err(DbError::from)?;
    let c = &**client;
    let head = json!({"range": range, "project": project});
    let body = match route {
        ReadRoute::WhoAmI => Value::Null,
        ReadRoute::LlmCostDaily => {
            let days = read::llm_cost_daily(c, &range, project.as_deref()).await?;
            with(head, json!({"days": days}))
        }
        ReadRoute::LlmCalls => {
            let limit = read::range::limit(p.get("limit"))?;
            let calls = read::llm_calls(c, &range, project.as_deref(), p.cursor()?, limit).await?;
            let next = (calls.len() as i64 == limit)
                .then(|| calls.last().map(|r| r.cursor().text()))
                .flatten();
            with(head, json!({"calls": calls, "next_cursor": next}))
        }
        ReadRoute::LlmTop => {
            let by = match p.get("by") {
                None => TopBy::Session,
                Some(b) => TopBy::parse(b)
                    .ok_or_else(|| QueryError::bad("by", "expected session or task"))?,
            };
            let limit = read::range::limit(p.get("limit").or(Some("10")))?;
            let top = read::llm_top(c, &range, project.as_deref(), by, limit).await?;
            let by = if by == TopBy::Session {
                "session"
            } else {
                "task"
            };
            with(head, json!({"by": by, "top": top}))
        }
        ReadRoute::CiRunsDaily | ReadRoute::CiWorkflows | ReadRoute::CiFailures => {
            let repository = match (&project, p.get("repository")) {
                (Some(project), asked) => {
                    let own = read::project_repository(c, project).await?;
                    if asked.is_some() && asked != own.as_deref() {
                        return Err(QueryError::forbidden(
                            "repository",
                            match &own {
                                Some(own) => format!("project {project} reads {own} only"),
                                None => format!("project {project} has no repository"),
                            },
                        )
                        .into());
                    }
                    // A project with no known repository has no CI rows it may read.
                    match own {
                        Some(own) => Some(own),
                        None => return Ok(json_response(StatusCode::OK, &empty(route, head))),
                    }
                }
                (None, asked) => asked.map(str::to_string),
            };
            let repo = repository.as_deref();
            let head = with(head, json!({"repository": repo}));
            match route {
                ReadRoute::CiRunsDaily => {
                    let days = read::ci_runs_daily(c, &range, repo).await?;
                    with(head, json!({"days": days}))
                }
                ReadRoute::CiWorkflows => {
                    let workflows = read::ci_workflows(c, &range, repo).await?;
                    with(head, json!({"workflows": workflows}))
                }
                _ => {
                    let limit = read::range::limit(p.get("limit"))?;
                    let failures = read::ci_failures(c, &range, repo, p.cursor()?, limit).await?;
                    let next = (failures.len() as i64 == limit)
                        .then(|| failures.last().map(|r| r.cursor().text()))
                        .flatten();
                    with(head, json!({"failures": failures, "next_cursor": next}))
                }
            }
        }
    };
    Ok(json_response(StatusCode::OK, &body))
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
        _ => with(head, json!({"failures": [], "next_cursor": null})),
    }
}
