//! The fake's routes: the runs list with its `created=` filter and pages, an attempt, an
//! attempt's jobs, with ETags and the quota as api.github.com keeps them.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use wiremock::{Request, ResponseTemplate};

use super::shapes::{default_job, etag_of, parse_instant, reqwest_like_url};
use super::{FakeGitHub, FakeRun, State, CAP, REPO_ID, TOKEN};

impl FakeGitHub {
    pub(super) fn answer(s: &mut State, req: &Request) -> (u16, ResponseTemplate) {
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if auth != format!("Bearer {TOKEN}") {
            return (
                401,
                ResponseTemplate::new(401)
                    .insert_header("content-type", "application/json; charset=utf-8")
                    .set_body_json(json!({"message": "Bad credentials",
                        "documentation_url": "https://docs.github.com/rest", "status": "401"})),
            );
        }
        let path = req.url.path().to_string();
        let query: HashMap<String, String> = req.url.query_pairs().into_owned().collect();
        let by_name = format!("/repos/{}/actions/runs", s.repo);
        let by_id = format!("/repositories/{REPO_ID}/actions/runs");
        let body = if path == by_name || path == by_id {
            Self::list(s, &query)
        } else if let Some(rest) = path
            .strip_prefix(&format!("{by_name}/"))
            .or_else(|| path.strip_prefix(&format!("{by_id}/")))
        {
            match Self::attempt(s, rest, &query) {
                Some(v) => v,
                None => return (404, Self::not_found_page()),
            }
        } else {
            return (404, Self::not_found_page());
        };
        let (body, link) = body;
        let text = body.to_string();
        let etag = etag_of(&text);
        let inm = req
            .headers
            .get("if-none-match")
            .and_then(|v| v.to_str().ok());
        if inm == Some(etag.as_str()) {
            return (
                304,
                Self::headers(ResponseTemplate::new(304), s.remaining)
                    .insert_header("etag", etag.as_str()),
            );
        }
        match s.budget {
            Some(0) => return Self::primary_limit(3600),
            Some(n) => s.budget = Some(n - 1),
            None => {}
        }
        s.remaining = s.remaining.saturating_sub(1);
        let mut t = Self::headers(ResponseTemplate::new(200), s.remaining)
            .insert_header("etag", etag.as_str())
            .set_body_raw(text, "application/json; charset=utf-8");
        if let Some(link) = link {
            t = t.insert_header("link", link.replace("{BASE}", &s.base).as_str());
        }
        (200, t)
    }

    fn attempt(
        s: &State,
        rest: &str,
        q: &HashMap<String, String>,
    ) -> Option<(Value, Option<String>)> {
        let mut parts = rest.split('/');
        let id: i64 = parts.next()?.parse().ok()?;
        let run = s.runs.iter().find(|r| r.id == id)?;
        match (parts.next(), parts.next(), parts.next()) {
            (None, _, _) => run.attempts.last().cloned().map(|a| (a, None)),
            (Some("attempts"), Some(n), tail) => {
                let n: usize = n.parse().ok()?;
                let attempt = run
                    .attempts
                    .get(n.checked_sub(1)?)
                    .filter(|a| !a.is_null())?;
                match tail {
                    None => Some((attempt.clone(), None)),
                    Some("jobs") => {
                        let jobs = run
                            .jobs
                            .get(&n)
                            .cloned()
                            .unwrap_or_else(|| vec![default_job(&s.repo, attempt)]);
                        let path =
                            format!("/repositories/{REPO_ID}/actions/runs/{id}/attempts/{n}/jobs");
                        let (items, link) = Self::paged(&jobs, jobs.len(), q, &path);
                        Some((json!({"total_count": jobs.len(), "jobs": items}), link))
                    }
                    Some(_) => None,
                }
            }
            _ => None,
        }
    }

    /// One page of `items` (`listed` of them can be listed) as `per_page`/`page` ask, with the
    /// `Link` to the next and last pages under `path`.
    fn paged(
        items: &[Value],
        listed: usize,
        q: &HashMap<String, String>,
        path: &str,
    ) -> (Vec<Value>, Option<String>) {
        let per_page: usize = q
            .get("per_page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(30)
            .clamp(1, 100);
        let page: usize = q
            .get("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
            .max(1);
        let out: Vec<Value> = items
            .iter()
            .take(listed)
            .skip((page - 1) * per_page)
            .take(per_page)
            .cloned()
            .collect();
        let pages = listed.div_ceil(per_page).max(1);
        let link = (page < pages).then(|| {
            let mut params: Vec<(String, String)> = q
                .iter()
                .filter(|(k, _)| k.as_str() != "page")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            params.sort();
            let url = |p: usize| {
                let mut all = params.clone();
                all.push(("page".into(), p.to_string()));
                reqwest_like_url(path, &all)
            };
            format!(
                r#"<{}>; rel="next", <{}>; rel="last""#,
                url(page + 1),
                url(pages)
            )
        });
        (out, link)
    }

    fn list(s: &State, q: &HashMap<String, String>) -> (Value, Option<String>) {
        let (from, to) = match q.get("created").map(String::as_str) {
            None => (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC),
            Some(c) => match c.split_once("..") {
                Some((a, b)) => (parse_instant(a), parse_instant(b) + Duration::seconds(1)),
                None => {
                    let start = parse_instant(c);
                    (start, start + Duration::days(1))
                }
            },
        };
        let mut matching: Vec<&FakeRun> = s
            .runs
            .iter()
            .filter(|r| r.created_at >= from && r.created_at < to)
            .collect();
        matching.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
        let total = matching.len();
        let runs: Vec<Value> = matching
            .iter()
            .filter_map(|r| r.attempts.last().cloned())
            .collect();
        let path = format!("/repositories/{REPO_ID}/actions/runs");
        let (items, link) = Self::paged(&runs, total.min(CAP), q, &path);
        let total = s.total_count.unwrap_or(total as i64);
        (json!({"total_count": total, "workflow_runs": items}), link)
    }
}
