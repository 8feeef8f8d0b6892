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

    /// 404 as the REST API answers it.
    pub fn not_found() -> (u16, ResponseTemplate) {
        (404, Self::not_found_page())
    }

    pub(super) fn not_found_page() -> ResponseTemplate {
        ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found",
            "documentation_url": "https://docs.github.com/rest/actions/workflow-runs", "status": "404"}))
    }
}

/// The job GitHub lists for a run attempt when a test set none: one `build` job on
/// `ubuntu-latest` following the attempt (queued 5 s before it starts; steps with the
/// `.000Z` milliseconds GitHub writes), its id new for every attempt.
pub(super) fn default_job(repo: &str, attempt: &Value) -> Value {
    let id = attempt["id"].as_i64().unwrap_or_default();
    let n = attempt["run_attempt"].as_i64().unwrap_or(1);
    let status = attempt["status"].as_str().unwrap_or("queued");
    let started = parse_instant(attempt["run_started_at"].as_str().unwrap_or_default());
    let updated = parse_instant(attempt["updated_at"].as_str().unwrap_or_default());
    let done = status == "completed";
    let ms = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    let s = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let steps = if status == "queued" {
        json!([])
    } else {
        json!([
            {"name": "Set up job", "status": "completed", "conclusion": "success", "number": 1,
             "started_at": ms(started), "completed_at": ms(started)},
            {"name": "Run tests", "status": if done { "completed" } else { "in_progress" },
             "conclusion": if done { attempt["conclusion"].clone() } else { Value::Null },
             "number": 2, "started_at": ms(started),
             "completed_at": if done { json!(ms(updated)) } else { Value::Null }}
        ])
    };
    job_object(
        repo,
        attempt,
        JobSpec {
            id: id * 100 + n,
            name: "build",
            status,
            conclusion: attempt["conclusion"].as_str(),
            created: s(started - chrono::Duration::seconds(5)),
            started: (status != "queued").then(|| s(started)),
            completed: done.then(|| s(updated)),
            labels: &["ubuntu-latest"],
            steps,
        },
    )
}

/// What a test says of one job.
pub struct JobSpec<'a> {
    /// Job id.
    pub id: i64,
    /// Job name.
    pub name: &'a str,
    /// queued, in_progress, completed, waiting.
    pub status: &'a str,
    /// success, failure, ...
    pub conclusion: Option<&'a str>,
    /// `created_at` as GitHub writes it.
    pub created: String,
    /// `started_at`.
    pub started: Option<String>,
    /// `completed_at`.
    pub completed: Option<String>,
    /// `runs-on` labels.
    pub labels: &'a [&'a str],
    /// The steps, as sent.
    pub steps: Value,
}

/// A job object shaped like `GET /repos/{owner}/{repo}/actions/jobs/{id}` returns it, of the
/// run attempt `attempt` (a run object).
pub fn job_object(repo: &str, attempt: &Value, j: JobSpec<'_>) -> Value {
    let run_id = attempt["id"].as_i64().unwrap_or_default();
    let hosted = !j.labels.contains(&"self-hosted");
    let picked = j.started.is_some();
    json!({
        "id": j.id, "run_id": run_id, "workflow_name": attempt["name"],
        "head_branch": attempt["head_branch"],
        "run_url": format!("https://api.github.com/repos/{repo}/actions/runs/{run_id}"),
        "run_attempt": attempt["run_attempt"], "node_id": format!("CR_kwDOADYVqs8AAAAM{}", j.id),
        "head_sha": attempt["head_sha"],
        "url": format!("https://api.github.com/repos/{repo}/actions/jobs/{}", j.id),
        "html_url": format!("https://github.com/{repo}/actions/runs/{run_id}/job/{}", j.id),
        "status": j.status, "conclusion": j.conclusion, "created_at": j.created,
        "started_at": j.started.clone().unwrap_or(j.created.clone()),
        "completed_at": j.completed, "name": j.name, "steps": j.steps,
        "check_run_url": format!("https://api.github.com/repos/{repo}/check-runs/{}", j.id),
        "labels": j.labels,
        "runner_id": if picked { json!(1_000_007_875) } else { Value::Null },
        "runner_name": if !picked { Value::Null } else if hosted { json!("GitHub Actions 1000007875") } else { json!("ci-box-3") },
        "runner_group_id": if picked { json!(if hosted { 0 } else { 1 }) } else { Value::Null },
        "runner_group_name": if !picked { Value::Null } else if hosted { json!("GitHub Actions") } else { json!("Default") }
    })
}
