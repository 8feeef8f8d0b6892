//! Parsers for single CSV fields; each error is the reason text shown to the user.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

const TIMESTAMP_FORMS: &str =
    "expected RFC 3339, YYYY-MM-DD HH:MM:SS[.fff] (UTC) or epoch seconds/milliseconds";

/// Accepts RFC 3339 with an offset or `Z`, naive `YYYY-MM-DD[ T]HH:MM:SS[.fff]` (taken as UTC),
/// and epoch seconds or milliseconds (values of 10^11 and above are milliseconds). Years
/// outside 2000..=2100 are refused: they are almost always a mis-typed column.
pub fn parse_timestamp(raw: &str) -> Result<DateTime<Utc>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("timestamp is empty".into());
    }
    let ts = if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        parse_epoch(s)
    } else if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        Some(dt.with_timezone(&Utc))
    } else {
        ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
            .map(|n| Utc.from_utc_datetime(&n))
    };
    let ts = ts.ok_or_else(|| format!("bad timestamp {s:?}: {TIMESTAMP_FORMS}"))?;
    let year = chrono::Datelike::year(&ts);
    if !(2000..=2100).contains(&year) {
        return Err(format!("timestamp {s:?} is out of range (year {year})"));
    }
    Ok(ts)
}

fn parse_epoch(s: &str) -> Option<DateTime<Utc>> {
    let value: f64 = s.parse().ok()?;
    let millis = if value >= 1e11 { value } else { value * 1000.0 };
    // Whole microseconds: what PostgreSQL keeps.
    let micros = (millis * 1000.0).round() as i64;
    DateTime::from_timestamp_micros(micros)
}

/// true/false/1/0/yes/no in any case; empty is `None`.
pub fn parse_bool(column: &str, raw: &str) -> Result<Option<bool>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "t" | "y" => Ok(Some(true)),
        "false" | "0" | "no" | "f" | "n" => Ok(Some(false)),
        _ => Err(format!(
            "{column}: {s:?} is not a boolean (true/false/1/0/yes/no)"
        )),
    }
}

/// A non-negative count that fits the 32-bit column. `required` makes empty an error.
pub fn parse_count(column: &str, raw: &str, required: bool) -> Result<Option<u32>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return if required {
            Err(format!("{column} is empty"))
        } else {
            Ok(None)
        };
    }
    // Some loggers write counts as floats ("1200.0"); a fractional part is refused.
    let digits = s.strip_suffix(".0").unwrap_or(s);
    match digits.parse::<i64>() {
        Ok(n) if n < 0 => Err(format!("{column}: negative value {s}")),
        Ok(n) => u32::try_from(n)
            .ok()
            .filter(|n| *n <= i32::MAX as u32)
            .map(Some)
            .ok_or_else(|| format!("{column}: {s} is too large")),
        Err(_) => Err(format!("{column}: {s:?} is not a whole number")),
    }
}

/// A timestamp field of a JSON record (RFC 3339 string or epoch number), the first of
/// `names` present, parsed like CSV timestamps.
pub(crate) fn time_field(v: &Value, names: &[&str]) -> Result<DateTime<Utc>, String> {
    for name in names {
        match v.get(*name) {
            Some(Value::String(s)) => {
                return parse_timestamp(s).map_err(|e| format!("{name}: {e}"))
            }
            Some(Value::Number(n)) => {
                return parse_timestamp(&n.to_string()).map_err(|e| format!("{name}: {e}"))
            }
            _ => {}
        }
    }
    Err(format!("missing {}", names.join(" or ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> String {
        parse_timestamp(s)
            .map(|t| t.to_rfc3339())
            .unwrap_or_else(|e| e)
    }

    #[test]
    fn timestamp_forms() {
        assert_eq!(ts("2026-03-01T12:00:00Z"), "2026-03-01T12:00:00+00:00");
        assert_eq!(ts("2026-03-01T14:00:00+02:00"), "2026-03-01T12:00:00+00:00");
        assert_eq!(ts("2026-03-01 12:00:00"), "2026-03-01T12:00:00+00:00");
        assert_eq!(
            ts("2026-03-01 12:00:00.250"),
            "2026-03-01T12:00:00.250+00:00"
        );
        assert_eq!(ts("2026-03-01T12:00:00.5"), "2026-03-01T12:00:00.500+00:00");
        assert_eq!(ts("1772366400"), "2026-03-01T12:00:00+00:00");
        assert_eq!(ts("1772366400123"), "2026-03-01T12:00:00.123+00:00");
        assert_eq!(ts(" 1772366400.5 "), "2026-03-01T12:00:00.500+00:00");
    }

    #[test]
    fn timestamp_errors_say_why() {
        assert!(ts("yesterday").starts_with("bad timestamp \"yesterday\""));
        assert_eq!(ts(""), "timestamp is empty");
        assert!(ts("12345").contains("out of range"));
        assert!(ts("2026-13-01 00:00:00").starts_with("bad timestamp"));
    }

    #[test]
    fn booleans_any_case() {
        for s in ["true", "TRUE", "1", "Yes", "y"] {
            assert_eq!(parse_bool("task_success", s), Ok(Some(true)), "{s}");
        }
        for s in ["false", "False", "0", "NO"] {
            assert_eq!(parse_bool("task_success", s), Ok(Some(false)), "{s}");
        }
        assert_eq!(parse_bool("task_success", " "), Ok(None));
        assert!(parse_bool("task_success", "maybe").is_err());
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count("prompt_tokens", "1200", true), Ok(Some(1200)));
        assert_eq!(parse_count("prompt_tokens", "1200.0", true), Ok(Some(1200)));
        assert_eq!(parse_count("duration_ms", "", false), Ok(None));
        assert_eq!(
            parse_count("prompt_tokens", "-5", true),
            Err("prompt_tokens: negative value -5".into())
        );
        assert_eq!(
            parse_count("prompt_tokens", "abc", true),
            Err("prompt_tokens: \"abc\" is not a whole number".into())
        );
        assert_eq!(
            parse_count("prompt_tokens", "", true),
            Err("prompt_tokens is empty".into())
        );
        assert!(parse_count("prompt_tokens", "99999999999", true).is_err());
    }
}
