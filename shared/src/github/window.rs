//! `created=` windows over a repository's runs list: one per UTC day, split in halves while
//! a window reaches GitHub's 1,000-result cap for filtered queries.

use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};

/// Filtered list queries return at most this many results (GitHub's documented cap).
pub const RESULT_CAP: i64 = 1_000;
/// Results per page (the maximum GitHub allows).
pub const PER_PAGE: u32 = 100;
/// Smallest window that is still split (`created=` has one-second resolution).
const MIN_SPLIT: Duration = Duration::minutes(2);

/// A half-open period `[start, end)` of run creation times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First instant included.
    pub start: DateTime<Utc>,
    /// First instant excluded.
    pub end: DateTime<Utc>,
}

impl Window {
    /// The whole UTC day `day`.
    pub fn day(day: NaiveDate) -> Self {
        let start = day.and_time(chrono::NaiveTime::MIN).and_utc();
        Self {
            start,
            end: start + Duration::days(1),
        }
    }

    /// The `created=` filter value: `YYYY-MM-DD` for a whole day, else an inclusive
    /// `start..end` range of seconds.
    pub fn created_filter(&self) -> String {
        if self.end - self.start == Duration::days(1) && self.start.time() == chrono::NaiveTime::MIN
        {
            return self.start.format("%Y-%m-%d").to_string();
        }
        let last = self.end - Duration::seconds(1);
        format!(
            "{}..{}",
            self.start.to_rfc3339_opts(SecondsFormat::Secs, true),
            last.to_rfc3339_opts(SecondsFormat::Secs, true)
        )
    }

    /// Two halves (split on a whole second), or `None` when the window is too small to split.
    pub fn split(&self) -> Option<(Window, Window)> {
        let len = self.end - self.start;
        if len < MIN_SPLIT {
            return None;
        }
        let mid = self.start + Duration::seconds(len.num_seconds() / 2);
        Some((
            Window {
                start: self.start,
                end: mid,
            },
            Window {
                start: mid,
                end: self.end,
            },
        ))
    }

    /// The first page's URL for `repository`'s runs created in this window.
    pub fn first_page_url(&self, api_url: &str, repository: &str) -> String {
        let base = format!("{api_url}/repos/{repository}/actions/runs");
        let params = [
            ("created", self.created_filter()),
            ("per_page", PER_PAGE.to_string()),
            ("exclude_pull_requests", "true".into()),
        ];
        match reqwest::Url::parse_with_params(&base, &params) {
            Ok(u) => u.to_string(),
            // Only a malformed GITHUB_API_URL gets here; the request then fails with its URL.
            Err(_) => base,
        }
    }
}

/// The UTC days from `since` through `today`, newest first.
pub fn days(since: NaiveDate, today: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut d = today;
    while d >= since {
        out.push(d);
        match d.pred_opt() {
            Some(p) => d = p,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn a_day_is_queried_by_date_and_its_halves_by_inclusive_ranges() {
        let w = Window::day(day("2026-11-03"));
        assert_eq!(w.created_filter(), "2026-11-03");
        let (a, b) = w.split().expect("splits");
        assert_eq!(
            a.created_filter(),
            "2026-11-03T00:00:00Z..2026-11-03T11:59:59Z"
        );
        assert_eq!(
            b.created_filter(),
            "2026-11-03T12:00:00Z..2026-11-03T23:59:59Z"
        );
        assert_eq!(a.end, b.start);
        let url = w.first_page_url("http://127.0.0.1:1", "acme/api");
        assert!(
            url.starts_with(
                "http://127.0.0.1:1/repos/acme/api/actions/runs?created=2026-11-03&per_page=100"
            ),
            "{url}"
        );
    }

    #[test]
    fn splitting_stops_at_two_minutes() {
        let mut w = Window::day(day("2026-11-03"));
        let mut n = 0;
        while let Some((a, _)) = w.split() {
            w = a;
            n += 1;
        }
        assert!(w.end - w.start < MIN_SPLIT && w.end - w.start >= Duration::minutes(1));
        assert_eq!(n, 10);
    }

    #[test]
    fn days_run_newest_first_and_include_both_ends() {
        assert_eq!(
            days(day("2026-10-30"), day("2026-11-01")),
            [day("2026-11-01"), day("2026-10-31"), day("2026-10-30")]
        );
        assert!(days(day("2026-11-02"), day("2026-11-01")).is_empty());
    }
}
