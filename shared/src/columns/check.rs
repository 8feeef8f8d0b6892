//! Checking one value against its [`Column`]: the reasons read `column: what is wrong`, the
//! form every reject already uses (and that the HTTP API turns into a JSON path).

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use super::{Column, Kind};

/// A value its column would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{column}: {reason}")]
pub struct ValueError {
    /// The column (or field) at fault.
    pub column: String,
    /// Why, in words.
    pub reason: String,
}

impl ValueError {
    /// A refusal of `column` for `reason`.
    pub fn new(column: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            column: column.into(),
            reason: reason.into(),
        }
    }
}

/// The earliest instant PostgreSQL's `timestamptz` holds: 4714-11-24 00:00 UTC BC (chrono
/// counts 1 BC as year 0). The latest, in 294276 AD, is beyond what chrono represents.
fn earliest_timestamp() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(-4713, 11, 24)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl Column {
    fn refuse(&self, reason: impl Into<String>) -> ValueError {
        ValueError::new(self.name, reason)
    }

    /// A text value: no NUL character, and within `VARCHAR(n)`.
    pub fn check_str(&self, v: &str) -> Result<(), ValueError> {
        if v.as_bytes().contains(&0) {
            return Err(self.refuse("contains a NUL character (\\u0000)"));
        }
        if let Kind::Text(Some(max)) = self.kind {
            // Bytes bound characters from above: most values need no count.
            if v.len() > max as usize {
                let chars = v.chars().count();
                if chars > max as usize {
                    return Err(self.refuse(format!(
                        "{chars} characters; the column holds at most {max}"
                    )));
                }
            }
        }
        Ok(())
    }

    /// [`Column::check_str`] for an optional value.
    pub fn check_opt_str(&self, v: Option<&str>) -> Result<(), ValueError> {
        v.map_or(Ok(()), |v| self.check_str(v))
    }

    /// A whole number: within the column's integer type and its lower bound.
    pub fn check_int(&self, v: i64) -> Result<(), ValueError> {
        let (lo, hi) = match self.kind {
            Kind::Int4 => (i64::from(i32::MIN), i64::from(i32::MAX)),
            _ => (i64::MIN, i64::MAX),
        };
        if v < lo || v > hi {
            return Err(self.refuse(format!(
                "{v} is out of range for a 32-bit integer (at most {hi})"
            )));
        }
        match self.min {
            Some(min) if v < min => Err(self.refuse(format!("{v} is below {min}"))),
            _ => Ok(()),
        }
    }

    /// [`Column::check_int`] for an optional value.
    pub fn check_opt_int(&self, v: Option<i64>) -> Result<(), ValueError> {
        v.map_or(Ok(()), |v| self.check_int(v))
    }

    /// A decimal value: finite, and within `NUMERIC(p, s)` once rounded to `s` places.
    pub fn check_decimal(&self, v: f64) -> Result<(), ValueError> {
        if !v.is_finite() {
            return Err(self.refuse(format!("{v} is not a finite number")));
        }
        if let Kind::Numeric(precision, scale) = self.kind {
            let bound = 10f64.powi(precision as i32 - scale as i32);
            let rounded = (v * 10f64.powi(scale as i32)).round() / 10f64.powi(scale as i32);
            if rounded.abs() >= bound {
                return Err(self.refuse(format!(
                    "{v} does not fit NUMERIC({precision}, {scale}) (under {bound})"
                )));
            }
        }
        match self.min {
            Some(min) if v < min as f64 => Err(self.refuse(format!("{v} is below {min}"))),
            _ => Ok(()),
        }
    }

    /// [`Column::check_decimal`] for an optional value.
    pub fn check_opt_decimal(&self, v: Option<f64>) -> Result<(), ValueError> {
        v.map_or(Ok(()), |v| self.check_decimal(v))
    }

    /// A timestamp: within PostgreSQL's range.
    pub fn check_time(&self, t: DateTime<Utc>) -> Result<(), ValueError> {
        if t < earliest_timestamp() {
            return Err(self.refuse(format!(
                "{} is before the earliest timestamp PostgreSQL stores (4714 BC)",
                t.to_rfc3339()
            )));
        }
        Ok(())
    }

    /// [`Column::check_time`] for an optional value.
    pub fn check_opt_time(&self, t: Option<DateTime<Utc>>) -> Result<(), ValueError> {
        t.map_or(Ok(()), |t| self.check_time(t))
    }

    /// A JSON document for a `JSONB` column: no NUL in any string or key (PostgreSQL refuses
    /// `\u0000` in `jsonb`). The reason names the path inside the document.
    pub fn check_json(&self, v: &Value) -> Result<(), ValueError> {
        match nul_path(v, String::new()) {
            None => Ok(()),
            Some(at) => Err(ValueError::new(
                format!("{}{at}", self.name),
                "contains a NUL character (\\u0000)",
            )),
        }
    }

    /// [`Column::check_json`] for an optional value.
    pub fn check_opt_json(&self, v: Option<&Value>) -> Result<(), ValueError> {
        v.map_or(Ok(()), |v| self.check_json(v))
    }
}

/// The path (`.a[2].b`) of the first string or key holding a NUL, if any.
fn nul_path(v: &Value, at: String) -> Option<String> {
    match v {
        Value::String(s) => s.as_bytes().contains(&0).then_some(at),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_path(item, format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            let here = format!("{at}.{k}");
            if k.as_bytes().contains(&0) {
                Some(format!("{at}.{}", k.replace('\0', "\\u0000")))
            } else {
                nul_path(item, here)
            }
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_refuses_nul_and_overlong_by_characters() {
        let c = Column::varchar("t", "model", 3);
        assert!(c.check_str("abc").is_ok());
        // Three characters, six bytes: within VARCHAR(3).
        assert!(c.check_str("äöü").is_ok());
        assert_eq!(
            c.check_str("abcd").expect_err("long").to_string(),
            "model: 4 characters; the column holds at most 3"
        );
        assert!(c.check_str("a\0").is_err());
        assert!(Column::text("t", "notes").check_str("x\0y").is_err());
        assert!(Column::text("t", "notes")
            .check_str(&"x".repeat(100_000))
            .is_ok());
    }

    #[test]
    fn numbers_fit_their_type_and_bounds() {
        let i = Column::new("t", "input_tokens", Kind::Int4).at_least(0);
        assert!(i.check_int(i64::from(i32::MAX)).is_ok());
        assert!(i.check_int(i64::from(i32::MAX) + 1).is_err());
        assert!(i.check_int(-1).is_err());
        let cost = Column::new("t", "estimated_cost", Kind::Numeric(14, 8));
        assert!(cost.check_decimal(999_999.999_999_99).is_ok());
        assert!(cost.check_decimal(1_000_000.0).is_err());
        // Rounds up to 10^6 at eight places.
        assert!(cost.check_decimal(999_999.999_999_999).is_err());
        assert!(cost.check_decimal(f64::NAN).is_err());
        assert!(cost.check_decimal(f64::INFINITY).is_err());
    }

    #[test]
    fn timestamps_and_json() {
        let t = Column::new("t", "timestamp", Kind::Timestamptz);
        assert!(t.check_time(earliest_timestamp()).is_ok());
        assert!(t
            .check_time(earliest_timestamp() - chrono::TimeDelta::seconds(1))
            .is_err());
        let j = Column::new("t", "properties", Kind::Jsonb);
        assert!(j.check_json(&json!({"a": [1, "b"]})).is_ok());
        assert_eq!(
            j.check_json(&json!({"a": [1, "b\u{0}"]}))
                .expect_err("nul")
                .column,
            "properties.a[1]"
        );
        assert!(j.check_json(&json!({"k\u{0}": 1})).is_err());
    }
}
