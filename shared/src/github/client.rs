//! The GitHub REST port (`GitHubApi`: fetch one page, conditionally) and its reqwest adapter,
//! which waits out rate limits and retries server errors with jittered exponential backoff,
//! but never sleeps past the caller's deadline.

use crate::failure::Retryable;
use std::future::Future;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::limits::{classify, Verdict};

/// API version requested (the one the recorded responses use).
const API_VERSION: &str = "2022-11-28";
/// Attempts per request for server errors and timeouts.
const MAX_ATTEMPTS: u32 = 5;
/// Longest wait for one response.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// First backoff; doubled each attempt, with up to 50% jitter.
const BASE_BACKOFF: Duration = Duration::from_millis(500);
/// Rate-limit waits per request before the sync stops and resumes at the next run: a limit
/// that does not lift after that (`Retry-After: 0` forever, a reset in the past) is not
/// hammered.
const MAX_LIMIT_WAITS: u32 = 3;
/// Shortest wait on a rate limit, whatever `Retry-After` or the reset time say.
const MIN_LIMIT_WAIT: Duration = Duration::from_secs(1);

/// One fetched page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The JSON body; `None` for 304 Not Modified.
    pub body: Option<Value>,
    /// `ETag` to send back as `If-None-Match` next time.
    pub etag: Option<String>,
    /// The `Link: rel="next"` URL, as given.
    pub next: Option<String>,
    /// Counted against the quota (GitHub does not count 304s).
    pub counted: bool,
    /// Rate-limit waits this fetch sat through.
    pub waits: u32,
    /// `x-ratelimit-remaining`, when GitHub sent it.
    pub remaining: Option<u64>,
}

/// Errors at the GitHub boundary.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// 401: the token is missing, wrong or expired.
    #[error("GitHub rejected the token ({0}): check GITHUB_TOKEN / GITHUB_PERSONAL_TOKEN")]
    BadToken(String),
    /// The quota is spent and resets after the deadline: stop, resume next run.
    #[error("GitHub rate limit exhausted until {reset}; stopping before the deadline")]
    RateLimited {
        /// When the quota resets (RFC 3339), or "unknown".
        reset: String,
    },
    /// Waiting or retrying would pass the deadline.
    #[error("deadline reached while {0}")]
    Deadline(String),
    /// Server errors or timeouts outlasted the retries.
    #[error("GitHub unavailable after {MAX_ATTEMPTS} attempts: {0}")]
    Unavailable(String),
    /// 404: the repository, run or attempt does not exist (any more).
    #[error("GitHub has no such resource: {0}")]
    NotFound(String),
    /// Anything else (403 without limits, 422, bad JSON).
    #[error("GitHub request failed: {0}")]
    Failed(String),
}

impl Retryable for GitHubError {
    /// True when the same request may succeed at a later run.
    fn is_retryable(&self) -> bool {
        matches!(
            self,
            GitHubError::RateLimited { .. }
                | GitHubError::Deadline(_)
                | GitHubError::Unavailable(_)
        )
    }

    fn boundary(&self) -> &'static str {
        "GitHub"
    }
}

/// What the sync needs from GitHub.
pub trait GitHubApi: Send + Sync {
    /// GETs `url` (absolute), with `If-None-Match: etag` when given, finishing before `deadline`.
    fn get(
        &self,
        url: &str,
        etag: Option<&str>,
        deadline: Instant,
    ) -> impl Future<Output = Result<Page, GitHubError>> + Send;

    /// HTTP requests made so far, retries and rate-limit retries included.
    fn requests_made(&self) -> u64;
}

/// [`GitHubApi`] over HTTPS with reqwest (rustls).
#[derive(Clone)]
pub struct ReqwestGitHub {
    http: reqwest::Client,
    token: String,
    made: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl ReqwestGitHub {
    /// A client sending `token` as a bearer token. The token is never logged.
    pub fn new(token: &str) -> Result<Self, GitHubError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("telemetry-github-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GitHubError::Failed(e.to_string()))?;
        Ok(Self {
            http,
            token: token.to_string(),
            made: Default::default(),
        })
    }
}

/// The `rel="next"` target of a `Link` header.
pub fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == r#"rel="next""#)
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

fn jittered(attempt: u32) -> Duration {
    let base = BASE_BACKOFF * 2u32.pow(attempt.min(6));
    // Cheap jitter from the clock: spreads retries of concurrent syncs apart.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    base + base.mul_f64(f64::from(nanos % 1000) / 2000.0)
}

/// Counts a rate-limit wait; past [`MAX_LIMIT_WAITS`] the limit is reported instead.
fn limit_wait(waits: &mut u32, reset: &str) -> Result<(), GitHubError> {
    *waits += 1;
    if *waits > MAX_LIMIT_WAITS {
        return Err(GitHubError::RateLimited {
            reset: reset.to_string(),
        });
    }
    Ok(())
}

async fn sleep_before(wait: Duration, deadline: Instant, what: &str) -> Result<(), GitHubError> {
    if Instant::now() + wait >= deadline {
        return Err(GitHubError::Deadline(what.to_string()));
    }
    tokio::time::sleep(wait).await;
    Ok(())
}

impl GitHubApi for ReqwestGitHub {
    fn requests_made(&self) -> u64 {
        self.made.load(std::sync::atomic::Ordering::Relaxed)
    }

    async fn get(
        &self,
        url: &str,
        etag: Option<&str>,
        deadline: Instant,
    ) -> Result<Page, GitHubError> {
        let mut waits: u32 = 0;
        let mut attempt = 0;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(GitHubError::Deadline(format!("requesting {url}")));
            }
            let mut req = self
                .http
                .get(url)
                // A slow answer must not carry the caller past its deadline either.
                .timeout(remaining.min(REQUEST_TIMEOUT))
                .bearer_auth(&self.token)
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", API_VERSION);
            if let Some(e) = etag {
                req = req.header("If-None-Match", e);
            }
            self.made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut span = crate::xray::http("GitHub", "GET", url);
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    attempt += 1;
                    if attempt >= MAX_ATTEMPTS {
                        return Err(GitHubError::Unavailable(e.to_string()));
                    }
                    sleep_before(jittered(attempt), deadline, "retrying a failed connection")
                        .await?;
                    continue;
                }
            };
            let status = resp.status().as_u16();
            span.status(status);
            let headers: Vec<(String, String)> = resp
                .headers()
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect();
            let find = |name: &str| {
                headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
            };
            // A body that breaks off or stalls (bounded by the request timeout) is the
            // network's fault: retried like a failed connection, not read as bad JSON.
            let text = match resp.text().await {
                Ok(t) => t,
                Err(e) => {
                    attempt += 1;
                    if attempt >= MAX_ATTEMPTS {
                        return Err(GitHubError::Unavailable(format!(
                            "{url}: the response body broke off: {e}"
                        )));
                    }
                    sleep_before(jittered(attempt), deadline, "retrying a broken response").await?;
                    continue;
                }
            };
            match classify(status, &headers, &text) {
                Verdict::Ok { remaining } => {
                    let body =
                        if status == 304 {
                            None
                        } else {
                            Some(serde_json::from_str(&text).map_err(|e| {
                                GitHubError::Failed(format!("{url}: bad JSON: {e}"))
                            })?)
                        };
                    return Ok(Page {
                        body,
                        etag: find("etag"),
                        next: find("link").as_deref().and_then(next_link),
                        counted: status != 304,
                        waits,
                        remaining,
                    });
                }
                Verdict::SecondaryLimit { wait } => {
                    limit_wait(&mut waits, "unknown (a secondary limit that did not lift)")?;
                    sleep_before(
                        wait.max(MIN_LIMIT_WAIT),
                        deadline,
                        "waiting out a secondary rate limit",
                    )
                    .await?;
                }
                Verdict::PrimaryLimit { reset } => {
                    let until = reset.map(|r| {
                        (r - chrono::Utc::now())
                            .to_std()
                            .unwrap_or_default()
                            .max(MIN_LIMIT_WAIT)
                    });
                    let reset_text = reset.map_or("unknown".into(), |r| r.to_rfc3339());
                    match until {
                        Some(wait) if Instant::now() + wait < deadline => {
                            limit_wait(&mut waits, &reset_text)?;
                            tokio::time::sleep(wait).await;
                        }
                        _ => {
                            return Err(GitHubError::RateLimited {
                                reset: reset.map_or("unknown".into(), |r| r.to_rfc3339()),
                            })
                        }
                    }
                }
                Verdict::ServerError => {
                    attempt += 1;
                    if attempt >= MAX_ATTEMPTS {
                        return Err(GitHubError::Unavailable(format!(
                            "HTTP {status} from {url}"
                        )));
                    }
                    sleep_before(jittered(attempt), deadline, "retrying a server error").await?;
                }
                Verdict::BadToken(msg) => return Err(GitHubError::BadToken(msg)),
                Verdict::Failed(msg) if status == 404 => {
                    return Err(GitHubError::NotFound(format!("{url}: {msg}")))
                }
                Verdict::Failed(msg) => return Err(GitHubError::Failed(format!("{url}: {msg}"))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::next_link;

    #[test]
    fn next_link_is_taken_as_given() {
        let link = r#"<https://api.github.com/repositories/136124802/actions/runs?per_page=100&page=2>; rel="next", <https://api.github.com/repositories/136124802/actions/runs?per_page=100&page=6>; rel="last""#;
        assert_eq!(
            next_link(link).as_deref(),
            Some("https://api.github.com/repositories/136124802/actions/runs?per_page=100&page=2")
        );
        assert_eq!(
            next_link(r#"<https://x/p1>; rel="prev", <https://x/p1>; rel="first""#),
            None
        );
    }
}
