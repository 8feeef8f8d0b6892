//! The bounds every read query takes: a time range (RFC 3339 instants, `YYYY-MM-DD` days or
//! `24h`/`7d` before now), a page size and an opaque keyset cursor. A bad parameter is a
//! [`QueryError`] naming it.

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// The longest range one request may ask for.
pub const MAX_RANGE_DAYS: i64 = 400;
/// Rows per page: default and largest.
pub const PAGE: i64 = 100;
/// Rows per page at most.
pub const MAX_PAGE: i64 = 1_000;

/// A refused read request: the parameter and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{parameter}: {message}")]
pub struct QueryError {
    /// The query parameter at fault.
    pub parameter: &'static str,
    /// What is wrong with it.
    pub message: String,
    /// True when the key may not read what was asked (403), not a malformed request (400).
    pub forbidden: bool,
}

impl QueryError {
    /// A malformed parameter.
    pub fn bad(parameter: &'static str, message: impl Into<String>) -> Self {
        Self {
            parameter,
            message: message.into(),
            forbidden: false,
        }
    }

    /// A parameter naming what the key may not read.
    pub fn forbidden(parameter: &'static str, message: impl Into<String>) -> Self {
        Self {
            forbidden: true,
            ..Self::bad(parameter, message)
        }
    }
}

/// `[since, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Range {
    /// First instant included.
    pub since: DateTime<Utc>,
    /// First instant excluded.
    pub until: DateTime<Utc>,
}

impl Range {
    /// The range `since`..`until` (defaults: the 7 days before `now`, and `now`).
    pub fn parse(
        since: Option<&str>,
        until: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Range, QueryError> {
        let until = match until {
            Some(u) => instant("until", u, now)?,
            None => now,
        };
        let since = match since {
            Some(s) => instant("since", s, now)?,
            None => until - Duration::days(7),
        };
        if since >= until {
            return Err(QueryError::bad("since", "must be before until"));
        }
        if until - since > Duration::days(MAX_RANGE_DAYS) {
            return Err(QueryError::bad(
                "since",
                format!("the range is over {MAX_RANGE_DAYS} days; ask for less"),
            ));
        }
        Ok(Range { since, until })
    }
}

/// An RFC 3339 instant, a UTC day (its start) or `N` hours/days (`24h`, `7d`) before `now`.
fn instant(
    parameter: &'static str,
    text: &str,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, QueryError> {
    let bad = || {
        QueryError::bad(
            parameter,
            "expected an RFC 3339 time, a YYYY-MM-DD day, or a span before now (24h, 7d)",
        )
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).ok_or_else(bad);
    }
    let count = |n: &str| {
        n.parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_RANGE_DAYS * 24).contains(n))
            .ok_or_else(bad)
    };
    if let Some(hours) = text.strip_suffix('h') {
        Ok(now - Duration::hours(count(hours)?))
    } else if let Some(days) = text.strip_suffix('d') {
        Ok(now - Duration::days(count(days)?))
    } else {
        Err(bad())
    }
}

/// A position in a list ordered by (time, id) descending: the last row of the previous page.
/// Sent as `<microseconds since 1970>.<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The row's time.
    pub at: DateTime<Utc>,
    /// The row's id (ties broken by it).
    pub id: i64,
}

impl Cursor {
    /// Parses a cursor a previous page returned.
    pub fn parse(text: &str) -> Result<Cursor, QueryError> {
        let (at, id) = split_cursor(text)?;
        Ok(Cursor {
            at,
            id: id.parse().map_err(|_| not_a_cursor())?,
        })
    }

    /// The cursor's text.
    pub fn text(&self) -> String {
        format!("{}.{}", self.at.timestamp_micros(), self.id)
    }
}

fn not_a_cursor() -> QueryError {
    QueryError::bad("cursor", "not a cursor this API returned")
}

/// A cursor's time and the rest (`<microseconds since 1970>.<rest>`).
pub(super) fn split_cursor(text: &str) -> Result<(DateTime<Utc>, &str), QueryError> {
    let (micros, rest) = text.split_once('.').ok_or_else(not_a_cursor)?;
    let at = micros
        .parse()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(not_a_cursor)?;
    Ok((at, rest))
}

/// The page size asked for (default [`PAGE`]).
pub fn limit(text: Option<&str>) -> Result<i64, QueryError> {
    text.map_or(Ok(PAGE), |t| {
        t.parse()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| QueryError::bad("limit", format!("expected 1 to {MAX_PAGE}")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z")
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn ranges_read_instants_days_and_spans_and_refuse_the_unbounded() {
        let r = Range::parse(None, None, now()).expect("default");
        assert_eq!((r.until - r.since).num_days(), 7);
        let r = Range::parse(Some("2026-11-01"), Some("2026-11-02T06:00:00+02:00"), now())
            .expect("day and instant");
        assert_eq!(r.since.to_rfc3339(), "2026-11-01T00:00:00+00:00");
        assert_eq!(r.until.to_rfc3339(), "2026-11-02T04:00:00+00:00");
        let r = Range::parse(Some("24h"), None, now()).expect("span");
        assert_eq!((r.until - r.since).num_hours(), 24);
        for (since, until, parameter) in [
            (Some("2026-11-02"), Some("2026-11-01"), "since"),
            (Some("2020-01-01"), None, "since"),
            (Some("401d"), None, "since"),
            (Some("7w"), None, "since"),
            (Some("yesterday"), None, "since"),
            (None, Some("2026-13-01"), "until"),
            (Some("\u{0}"), None, "since"),
            (Some("7\u{e9}"), None, "since"),
            (Some("\u{e9}"), None, "since"),
        ] {
            let e = Range::parse(since, until, now()).expect_err("refused");
            assert_eq!(e.parameter, parameter, "{since:?} {until:?}");
        }
    }

    #[test]
    fn cursors_round_trip_and_limits_are_bounded() {
        let c = Cursor { at: now(), id: 42 };
        assert_eq!(Cursor::parse(&c.text()), Ok(c));
        for bad in ["", "1.", ".1", "x.1", "1.x", "99999999999999999999.1"] {
            assert!(Cursor::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(limit(None), Ok(PAGE));
        assert_eq!(limit(Some("1000")), Ok(1000));
        for bad in ["0", "1001", "-1", "ten"] {
            assert!(limit(Some(bad)).is_err(), "{bad}");
        }
    }
}
