//! Billable minutes of a job, as GitHub bills GitHub-hosted runners: each job rounded up to
//! the whole minute, at its runner's per-minute rate (GitHub's "Actions runner pricing"
//! reference, two versions: the rates until 2026-01-01 and from then on). Standard runners are
//! free for public repositories. The runner is read from the job's labels; a self-hosted
//! runner, a larger runner (its labels are the organisation's own names) or a job of a
//! repository whose visibility is unknown has minutes but no price: NULL, never $0.

use chrono::{DateTime, TimeZone, Utc};

/// A rate table's version and the day it took effect.
struct RateTable {
    version: &'static str,
    from: Option<(i32, u32, u32)>,
    /// (billing SKU, USD per minute).
    rates: &'static [(&'static str, f64)],
}

/// Newest first.
const TABLES: [RateTable; 2] = [
    RateTable {
        version: "github-2026-01",
        from: Some((2026, 1, 1)),
        rates: &[
            ("linux_slim", 0.002),
            ("linux", 0.006),
            ("windows", 0.010),
            ("macos", 0.062),
            ("linux_2_core_arm", 0.005),
            ("windows_2_core_arm", 0.008),
            ("macos_l", 0.077),
            ("macos_xl", 0.102),
        ],
    },
    RateTable {
        version: "github-2025",
        from: None,
        rates: &[
            ("linux_slim", 0.002),
            ("linux", 0.008),
            ("windows", 0.016),
            ("macos", 0.080),
            ("linux_2_core_arm", 0.005),
            ("windows_2_core_arm", 0.010),
            ("macos_l", 0.12),
            ("macos_xl", 0.16),
        ],
    },
];

/// A job's bill.
#[derive(Debug, Clone, PartialEq)]
pub struct Bill {
    /// Minutes, each job rounded up.
    pub minutes: i32,
    /// The runner's billing SKU, when its labels name a GitHub-hosted standard runner
    /// (`self-hosted` for one of the team's own).
    pub sku: Option<&'static str>,
    /// USD, `None` when the runner or the repository's visibility is not known.
    pub cost_usd: Option<f64>,
    /// The rate table used.
    pub rate_version: Option<&'static str>,
}

/// The billing SKU of a job that ran with `labels`.
pub fn sku_of(labels: &[String]) -> Option<&'static str> {
    let lower: Vec<String> = labels.iter().map(|l| l.to_ascii_lowercase()).collect();
    if lower.iter().any(|l| l == "self-hosted") {
        return Some("self-hosted");
    }
    lower.iter().find_map(|l| {
        let arm = l.ends_with("-arm");
        if l == "ubuntu-slim" {
            Some("linux_slim")
        } else if l.starts_with("ubuntu-") {
            Some(if arm { "linux_2_core_arm" } else { "linux" })
        } else if l.starts_with("windows-") {
            Some(if arm { "windows_2_core_arm" } else { "windows" })
        } else if l.starts_with("macos-") {
            Some(if l.ends_with("-xlarge") {
                "macos_xl"
            } else if l.ends_with("-large") {
                "macos_l"
            } else {
                "macos"
            })
        } else {
            None
        }
    })
}

/// The bill of a job that ran `seconds` with `labels`, completed at `at`, in a repository
/// that is `private` (when known).
pub fn bill(seconds: i32, labels: &[String], at: DateTime<Utc>, private: Option<bool>) -> Bill {
    let minutes = (seconds.max(0) + 59) / 60;
    let sku = sku_of(labels);
    let table = TABLES
        .iter()
        .find(|t| {
            t.from.is_none_or(|(y, m, d)| {
                Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
                    .single()
                    .is_some_and(|from| at >= from)
            })
        })
        .unwrap_or(&TABLES[TABLES.len() - 1]);
    let rate = sku.and_then(|s| table.rates.iter().find(|(k, _)| *k == s).map(|(_, r)| *r));
    let cost_usd = match (rate, private) {
        (Some(_), Some(false)) => Some(0.0),
        (Some(r), Some(true)) => Some((f64::from(minutes) * r * 1e6).round() / 1e6),
        _ => None,
    };
    Bill {
        minutes,
        sku,
        rate_version: rate.map(|_| table.version),
        cost_usd,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn labels(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn jobs_round_up_and_take_the_rate_in_force() {
        // 61 s is 2 minutes; Linux at $0.008 before 2026, $0.006 after.
        let before = bill(
            61,
            &labels(&["ubuntu-latest"]),
            at("2025-12-31T23:59:00Z"),
            Some(true),
        );
        assert_eq!(
            (before.minutes, before.sku, before.cost_usd),
            (2, Some("linux"), Some(0.016))
        );
        assert_eq!(before.rate_version, Some("github-2025"));
        let after = bill(
            61,
            &labels(&["ubuntu-24.04"]),
            at("2026-01-01T00:00:00Z"),
            Some(true),
        );
        assert_eq!(
            (after.cost_usd, after.rate_version),
            (Some(0.012), Some("github-2026-01"))
        );
        let mac = bill(
            600,
            &labels(&["macos-14-xlarge"]),
            at("2026-06-01T00:00:00Z"),
            Some(true),
        );
        assert_eq!((mac.sku, mac.cost_usd), (Some("macos_xl"), Some(1.02)));
        let win_arm = bill(
            60,
            &labels(&["windows-11-arm"]),
            at("2026-06-01T00:00:00Z"),
            Some(true),
        );
        assert_eq!(win_arm.cost_usd, Some(0.008));
        assert_eq!(
            bill(
                0,
                &labels(&["ubuntu-latest"]),
                at("2026-06-01T00:00:00Z"),
                Some(true)
            )
            .minutes,
            0
        );
    }

    #[test]
    fn public_is_free_and_the_unknown_is_unpriced() {
        let public = bill(
            300,
            &labels(&["ubuntu-latest"]),
            at("2026-06-01T00:00:00Z"),
            Some(false),
        );
        assert_eq!((public.minutes, public.cost_usd), (5, Some(0.0)));
        for (l, private) in [
            (vec!["self-hosted", "linux"], Some(true)),
            (vec!["acme-16-core"], Some(true)),
            (vec!["ubuntu-latest"], None),
        ] {
            let b = bill(300, &labels(&l), at("2026-06-01T00:00:00Z"), private);
            assert_eq!((b.minutes, b.cost_usd), (5, None), "{l:?} {private:?}");
        }
        assert_eq!(
            sku_of(&labels(&["self-hosted", "linux"])),
            Some("self-hosted")
        );
    }
}
