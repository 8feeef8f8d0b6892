//! Reading a GitHub REST response for rate limits, as GitHub documents them: `Retry-After`
//! wins when present; otherwise `x-ratelimit-remaining: 0` is the primary limit (wait until
//! `x-ratelimit-reset`); otherwise a 403/429 whose message or documentation URL names the
//! secondary (or older "abuse") limit, and any bare 429, waits at least a minute. Header names
//! are matched case-insensitively (HTTP/2 sends them lower-case).

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Wait when a secondary limit gives no `Retry-After`.
pub const SECONDARY_DEFAULT_WAIT: Duration = Duration::from_secs(60);

/// What to do with a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Usable (2xx, 304); the quota left, when the headers say.
    Ok {
        /// `x-ratelimit-remaining`.
        remaining: Option<u64>,
    },
    /// The hourly quota is spent: wait until `reset` (or stop and resume later).
    PrimaryLimit {
        /// `x-ratelimit-reset`, when sent.
        reset: Option<DateTime<Utc>>,
    },
    /// A secondary limit: wait `wait`, then retry.
    SecondaryLimit {
        /// `Retry-After`, else one minute.
        wait: Duration,
    },
    /// A server error: retry with backoff.
    ServerError,
    /// The token is missing, wrong or expired (401).
    BadToken(String),
    /// Anything else: not retryable (403 without limits, 404, 422, ...).
    Failed(String),
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

fn mentions_secondary(body: &serde_json::Value) -> bool {
    let text = |k: &str| {
        body.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let (message, doc) = (text("message"), text("documentation_url"));
    message.contains("secondary rate limit")
        || message.contains("abuse detection")
        || doc.contains("secondary-rate-limits")
        || doc.contains("abuse-rate-limits")
}

/// Classifies a response from its status, headers and body.
pub fn classify(status: u16, headers: &[(String, String)], body: &str) -> Verdict {
    let remaining = header(headers, "x-ratelimit-remaining").and_then(|v| v.parse::<u64>().ok());
    if (200..300).contains(&status) || status == 304 {
        return Verdict::Ok { remaining };
    }
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let message = json
        .get("message")
        .and_then(|m| m.as_str())
        .unwrap_or(body)
        .chars()
        .take(300)
        .collect::<String>();
    if status >= 500 {
        return Verdict::ServerError;
    }
    if status == 401 {
        return Verdict::BadToken(message);
    }
    if status == 403 || status == 429 {
        if let Some(secs) = header(headers, "retry-after").and_then(|v| v.parse::<u64>().ok()) {
            return Verdict::SecondaryLimit {
                wait: Duration::from_secs(secs),
            };
        }
        if remaining == Some(0) {
            let reset = header(headers, "x-ratelimit-reset")
                .and_then(|v| v.parse::<i64>().ok())
                .and_then(|s| DateTime::from_timestamp(s, 0));
            return Verdict::PrimaryLimit { reset };
        }
        if status == 429 || mentions_secondary(&json) {
            return Verdict::SecondaryLimit {
                wait: SECONDARY_DEFAULT_WAIT,
            };
        }
    }
    Verdict::Failed(format!("HTTP {status}: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn ok_responses_report_the_quota_left() {
        let headers = h(&[
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", "4321"),
        ]);
        assert_eq!(
            classify(200, &headers, "{}"),
            Verdict::Ok {
                remaining: Some(4321)
            }
        );
        assert_eq!(classify(304, &h(&[]), ""), Verdict::Ok { remaining: None });
    }

    #[test]
    fn primary_limit_waits_for_the_reset_whatever_the_header_case() {
        let headers = h(&[
            ("X-Ratelimit-Limit", "60"),
            ("X-Ratelimit-Remaining", "0"),
            ("X-Ratelimit-Reset", "1795000000"),
        ]);
        let body = r#"{"message":"API rate limit exceeded for 203.0.113.7.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}"#;
        assert_eq!(
            classify(403, &headers, body),
            Verdict::PrimaryLimit {
                reset: DateTime::from_timestamp(1_795_000_000, 0)
            }
        );
        let old = h(&[("x-ratelimit-limit", "60"), ("x-ratelimit-remaining", "0")]);
        assert_eq!(
            classify(403, &old, r#"{"message":"API Rate Limit Exceeded"}"#),
            Verdict::PrimaryLimit { reset: None }
        );
        assert_eq!(
            classify(429, &headers, "{}"),
            Verdict::PrimaryLimit {
                reset: DateTime::from_timestamp(1_795_000_000, 0)
            }
        );
    }

    #[test]
    fn secondary_limits_by_retry_after_message_or_documentation_url() {
        let after = h(&[("Retry-After", "30")]);
        assert_eq!(
            classify(
                403,
                &after,
                r#"{"message":"You have triggered an abuse detection mechanism."}"#
            ),
            Verdict::SecondaryLimit {
                wait: Duration::from_secs(30)
            }
        );
        assert_eq!(
            classify(429, &after, r#"{"message":"m"}"#),
            Verdict::SecondaryLimit {
                wait: Duration::from_secs(30)
            }
        );
        // No Retry-After, and quota left: the message decides, and the wait is a minute.
        let quota_left = h(&[
            ("x-ratelimit-remaining", "14"),
            ("x-ratelimit-resource", "search"),
        ]);
        let by_message = r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#;
        assert_eq!(
            classify(403, &quota_left, by_message),
            Verdict::SecondaryLimit {
                wait: SECONDARY_DEFAULT_WAIT
            }
        );
        for doc in [
            "https://docs.github.com/rest/overview/resources-in-the-rest-api#secondary-rate-limits",
            "https://docs.github.com/en/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
            "https://developer.github.com/v3/#abuse-rate-limits",
        ] {
            let body = format!(r#"{{"message":"slow down","documentation_url":"{doc}"}}"#);
            assert_eq!(classify(403, &h(&[]), &body), Verdict::SecondaryLimit { wait: SECONDARY_DEFAULT_WAIT }, "{doc}");
        }
        assert_eq!(
            classify(429, &h(&[]), ""),
            Verdict::SecondaryLimit {
                wait: SECONDARY_DEFAULT_WAIT
            }
        );
    }

    #[test]
    fn other_failures_are_named() {
        assert_eq!(
            classify(502, &h(&[]), "<html>bad gateway</html>"),
            Verdict::ServerError
        );
        assert_eq!(
            classify(401, &h(&[]), r#"{"message":"Bad credentials"}"#),
            Verdict::BadToken("Bad credentials".into())
        );
        let forbidden = classify(
            403,
            &h(&[("x-ratelimit-remaining", "4999")]),
            r#"{"message":"Resource not accessible by integration"}"#,
        );
        assert_eq!(
            forbidden,
            Verdict::Failed("HTTP 403: Resource not accessible by integration".into())
        );
        assert_eq!(
            classify(404, &h(&[]), r#"{"message":"Not Found"}"#),
            Verdict::Failed("HTTP 404: Not Found".into())
        );
    }
}
