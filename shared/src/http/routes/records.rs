//! Briefings, jobs and coverage reports posted to `POST /ingest` (`{"briefings": [...],
//! "jobs": [...], "coverage": [...]}`), and
//! the outbox replay `GET /events?after=<cursor>`, both for the key's project.

use http::{Request, StatusCode};
use serde_json::{json, Value};

use crate::columns::Validate;
use crate::coverage::{is_commit_sha, upsert_coverage, CoverageFormat, CoverageSnapshot};
use crate::db::{DbError, Pool};
use crate::fleet::{parse_briefing, parse_job, upsert_briefings, upsert_jobs, Written};
use crate::http::response::{json_response, ApiError, HttpResponse};
use crate::http::results::{every_item_rejected, item_rejected, outcome_status};
use crate::outbox::after;

/// Records per request at most (as for events).
const MAX_RECORDS: usize = 100;
/// Events per replay page: default and largest.
const PAGE: i64 = 100;
const MAX_PAGE: i64 = 1_000;

/// True when the body carries briefings or jobs.
pub(super) fn has_records(body: &Value) -> bool {
    ["briefings", "jobs", "coverage"]
        .iter()
        .any(|k| body.get(*k).is_some())
}

fn records<'a>(body: &'a Value, name: &str) -> Result<&'a [Value], ApiError> {
    match body.get(name) {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_batch",
            format!("\"{name}\" must be an array"),
        )
        .details(json!({"path": format!("$.{name}")}))),
    }
}

/// Stores the briefings and jobs of `body` for `project` in one transaction (with their
/// outbox events); one result per record, like events.
pub(super) async fn store_records(
    pool: &Pool,
    project: &str,
    body: &Value,
) -> Result<HttpResponse, ApiError> {
    if body.get("batch").is_some() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_batch",
            "send events (\"batch\") and records (\"briefings\", \"jobs\", \"coverage\") in separate requests",
        ));
    }
    let (briefing_items, job_items) = (records(body, "briefings")?, records(body, "jobs")?);
    let coverage_items = records(body, "coverage")?;
    if briefing_items.len() + job_items.len() + coverage_items.len() > MAX_RECORDS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_records",
            format!("at most {MAX_RECORDS} briefings and jobs per request"),
        ));
    }
    let mut results: Vec<Value> = Vec::new();
    let mut briefings = Vec::new();
    let mut jobs = Vec::new();
    for (i, item) in briefing_items.iter().enumerate() {
        match parse_briefing(item, Some(project)).and_then(Validate::checked) {
            Ok(b) => briefings.push((i, b)),
            Err(reason) => results.push(item_rejected("briefings", i, &reason)),
        }
    }
    for (i, item) in job_items.iter().enumerate() {
        match parse_job(item, Some(project)).and_then(Validate::checked) {
            Ok(j) => jobs.push((i, j)),
            Err(reason) => results.push(item_rejected("jobs", i, &reason)),
        }
    }
    let mut reports = Vec::new();
    for (i, item) in coverage_items.iter().enumerate() {
        match parse_coverage(item, project).and_then(Validate::checked) {
            Ok(c) => reports.push((i, c)),
            Err(reason) => results.push(item_rejected("coverage", i, &reason)),
        }
    }
    let rejected_count = results.len();
    if briefings.is_empty() && jobs.is_empty() && reports.is_empty() {
        if rejected_count == 0 {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_batch",
                "\"briefings\", \"jobs\" and \"coverage\" are all empty",
            ));
        }
        return Err(every_item_rejected(&results));
    }
    let mut client = pool.get().await.map_err(DbError::from)?;
    let tx = tokio_postgres::Client::transaction(&mut client)
        .await
        .map_err(DbError::from)?;
    let b_records: Vec<_> = briefings.iter().map(|(_, b)| b.clone()).collect();
    let j_records: Vec<_> = jobs.iter().map(|(_, j)| j.clone()).collect();
    let b_written = upsert_briefings(&tx, &b_records).await?;
    let j_written = upsert_jobs(&tx, &j_records).await?;
    let mut c_written = Vec::new();
    for (_, c) in &reports {
        c_written.push(match upsert_coverage(&tx, c).await? {
            (false, false) => Written::Duplicate,
            (true, _) => Written::Inserted,
            (false, true) => Written::Updated,
        });
    }
    tx.commit().await.map_err(DbError::from)?;
    let mut accepted = 0;
    let written = briefings
        .iter()
        .map(|(i, _)| ("briefings", *i))
        .zip(b_written)
        .chain(jobs.iter().map(|(i, _)| ("jobs", *i)).zip(j_written))
        .chain(reports.iter().map(|(i, _)| ("coverage", *i)).zip(c_written));
    for ((name, i), w) in written {
        let status = if w == Written::Duplicate {
            "duplicate"
        } else {
            "accepted"
        };
        accepted += usize::from(w != Written::Duplicate);
        results.push(json!({"index": i, "status": status, "path": format!("$.{name}[{i}]")}));
    }
    let stored = results.len() - rejected_count;
    let summary = json!({
        "accepted": accepted,
        "duplicate": stored - accepted,
        "rejected": rejected_count,
        "results": results,
    });
    Ok(json_response(
        outcome_status(stored, rejected_count),
        &summary,
    ))
}

/// `{"repository", "branch"?, "commit", "format"? | "filename"?, "report": "<text>"}`.
fn parse_coverage(item: &Value, project: &str) -> Result<CoverageSnapshot, String> {
    let text = |k: &str| item.get(k).and_then(Value::as_str);
    let repository = text("repository")
        .filter(|r| r.split('/').count() == 2)
        .ok_or("repository: expected owner/name")?;
    let commit = text("commit")
        .filter(|c| is_commit_sha(c))
        .ok_or("commit: expected a commit SHA (7 to 40 hex digits)")?;
    let format = match (text("format"), text("filename")) {
        (Some("lcov"), _) => CoverageFormat::Lcov,
        (Some("cobertura"), _) => CoverageFormat::Cobertura,
        (Some("istanbul"), _) => CoverageFormat::Istanbul,
        (Some(other), _) => {
            return Err(format!(
                "format: {other:?} is not one of lcov, cobertura, istanbul"
            ))
        }
        (None, Some(name)) => CoverageFormat::from_name(name)
            .ok_or("filename: not a coverage report name (.info, .xml, coverage-summary.json)")?,
        (None, None) => return Err("format: required (or filename)".into()),
    };
    let report = text("report").ok_or("report: required (the report's text)")?;
    let totals = format.parse(report).map_err(|e| format!("report: {e}"))?;
    Ok(CoverageSnapshot {
        repository: repository.to_string(),
        branch: text("branch").map(str::to_string),
        commit_sha: commit.to_ascii_lowercase(),
        format,
        totals,
        captured_at: chrono::Utc::now(),
        project_id: Some(project.to_string()),
    })
}

/// `GET /events?after=N&limit=M`: the project's outbox events after cursor `N` (every
/// project's for an admin read key).
pub(super) async fn replay(
    pool: &Pool,
    project: Option<&str>,
    req: &Request<Vec<u8>>,
) -> Result<HttpResponse, ApiError> {
    let mut cursor = 0_i64;
    let mut limit = PAGE;
    for pair in req
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let bad = |what: &str| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("{name}: {what}"),
            )
            .details(json!({"parameter": name}))
        };
        match name {
            "after" => {
                cursor = value
                    .parse()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| bad("expected a cursor (a non-negative integer)"))?
            }
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE).contains(n))
                    .ok_or_else(|| bad("expected 1 to 1000"))?
            }
            _ => return Err(bad("unknown parameter; expected after and limit")),
        }
    }
    let mut client = pool.get().await.map_err(DbError::from)?;
    let events = after(&mut **client, cursor, project, limit).await?;
    let next = events.last().and_then(|e| e.cursor).unwrap_or(cursor);
    Ok(json_response(
        StatusCode::OK,
        &json!({"events": events, "next_cursor": next, "more": events.len() as i64 == limit}),
    ))
}
