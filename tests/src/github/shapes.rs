//! What api.github.com answers look like: run objects, weak ETags, rate-limit and error
//! responses, `Link` URLs and `created=` values, for [`super::FakeGitHub`].

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{json, Value};
use std::hash::{Hash, Hasher};
use wiremock::ResponseTemplate;

use super::{FakeGitHub, REPO_ID};
/// When an attempt was created (the run's creation), started and last updated.
#[derive(Clone, Copy)]
pub(super) struct Times {
    pub(super) created: DateTime<Utc>,
    pub(super) started: DateTime<Utc>,
    pub(super) updated: DateTime<Utc>,
}

/// A run object shaped like `GET /repos/{owner}/{repo}/actions/runs/{id}` returns it.
pub(super) fn run_object(
    repo: &str,
    id: i64,
    attempt: i32,
    t: Times,
    status: &str,
    conclusion: Option<&str>,
) -> Value {
    let Times {
        created,
        started,
        updated,
    } = t;
    let ts = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let api = format!("https://api.github.com/repos/{repo}/actions/runs/{id}");
    json!({
        "id": id, "name": "CI", "node_id": format!("WFR_kwLOKjQ5aM8AAAAB{id}"),
        "head_branch": "main", "head_sha": format!("{:040x}", id),
        "path": ".github/workflows/ci.yml", "display_title": "Bump dependencies",
        "run_number": id % 10_000, "event": "push", "status": status, "conclusion": conclusion,
        "workflow_id": 66_612_345, "check_suite_id": id * 3, "check_suite_node_id": "CS_kwDOKjQ5aM8AAAAC",
        "url": api, "html_url": format!("https://github.com/{repo}/actions/runs/{id}"),
        "pull_requests": [], "created_at": ts(created), "updated_at": ts(updated),
        "actor": {"login": "octocat", "id": 583_231, "type": "User", "site_admin": false},
        "run_attempt": attempt, "referenced_workflows": [], "run_started_at": ts(started),
        "triggering_actor": {"login": "octocat", "id": 583_231, "type": "User", "site_admin": false},
        "jobs_url": format!("{api}/jobs"), "logs_url": format!("{api}/logs"),
        "check_suite_url": "https://api.github.com/repos/acme/api/check-suites/1",
        "artifacts_url": format!("{api}/artifacts"), "cancel_url": format!("{api}/cancel"),
        "rerun_url": format!("{api}/rerun"), "previous_attempt_url": if attempt > 1 {
            Value::String(format!("{api}/attempts/{}", attempt - 1)) } else { Value::Null },
        "workflow_url": "https://api.github.com/repos/acme/api/actions/workflows/66612345",
        "head_commit": {"id": format!("{:040x}", id), "message": "Bump dependencies",
            "timestamp": ts(created), "author": {"name": "Octo Cat", "email": "octocat@github.com"}},
        "repository": {"id": REPO_ID, "name": repo.split('/').nth(1), "full_name": repo, "private": false},
        "head_repository": {"id": REPO_ID, "name": repo.split('/').nth(1), "full_name": repo}
    })
}

pub(super) fn etag_of(body: &str) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut h);
    format!("W/\"{:016x}{:016x}\"", h.finish(), body.len())
}

pub(super) fn parse_instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
        })
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// `https://api.github.com`-style absolute URL; the host is filled in by the responder.
pub(super) fn reqwest_like_url(path: &str, params: &[(String, String)]) -> String {
    let q: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace(':', "%3A")))
        .collect();
    format!("{{BASE}}{path}?{}", q.join("&"))
}

impl FakeGitHub {
    /// A secondary rate limit as GitHub sends it: 403, `Retry-After`, no x-ratelimit headers.
    pub fn secondary_limit(retry_after_secs: u64) -> (u16, ResponseTemplate) {
        (
            403,
            ResponseTemplate::new(403)
                .insert_header("content-type", "application/json; charset=utf-8")
                .insert_header("retry-after", retry_after_secs.to_string().as_str())
                .set_body_json(json!({
                    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID B622:2C9777:B82985F:BA03798:65BB8A06.",
                    "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                    "status": "403"})),
        )
    }

    /// The primary rate limit spent: 403, `x-ratelimit-remaining: 0`, reset in `reset_in_secs`.
    pub fn primary_limit(reset_in_secs: i64) -> (u16, ResponseTemplate) {
        let reset = Utc::now().timestamp() + reset_in_secs;
        (
            403,
            ResponseTemplate::new(403)
                .insert_header("content-type", "application/json; charset=utf-8")
                .insert_header("x-ratelimit-limit", "5000")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str())
                .insert_header("x-ratelimit-used", "5000")
                .insert_header("x-ratelimit-resource", "core")
                .set_body_json(json!({
                    "message": "API rate limit exceeded for installation ID 41234567.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                    "status": "403"})),
        )
    }

    /// A server error page as GitHub's front end serves it.
    pub fn server_error(status: u16) -> (u16, ResponseTemplate) {
        (
            status,
            ResponseTemplate::new(status)
                .insert_header("content-type", "text/html")
                .set_body_string("<html><body><h1>502 Bad Gateway</h1></body></html>"),
        )
    }

    pub(super) fn headers(t: ResponseTemplate, remaining: u32) -> ResponseTemplate {
        t.insert_header("content-type", "application/json; charset=utf-8")
            .insert_header("cache-control", "private, max-age=60, s-maxage=60")
            .insert_header("x-github-media-type", "github.v3; format=json")
            .insert_header("x-github-api-version-selected", "2022-11-28")
            .insert_header("x-ratelimit-limit", "5000")
            .insert_header("x-ratelimit-remaining", remaining.to_string().as_str())
            .insert_header(
                "x-ratelimit-reset",
                (Utc::now().timestamp() + 3600).to_string().as_str(),
            )
            .insert_header("x-ratelimit-used", (5000 - remaining).to_string().as_str())
            .insert_header("x-ratelimit-resource", "core")
            .insert_header(
                "x-github-request-id",
                "B622:2C9777:B82985F:BA03798:65BB8A06",
            )
    }

    pub(super) fn not_found() -> ResponseTemplate {
        ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found",
            "documentation_url": "https://docs.github.com/rest/actions/workflow-runs", "status": "404"}))
    }
}
