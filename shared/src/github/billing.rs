//! Billable minutes of a job, as GitHub bills GitHub-hosted runners: each job rounded up to
//! the whole minute, at its runner's per-minute rate (GitHub's "Actions runner pricing"
//! reference, two versions: the rates until 2026-01-01 and from then on). Standard runners are
//! free for public repositories; larger runners are billed whatever the visibility. The
//! runner is read from the job's labels: GitHub's standard labels, a label that is a billing
//! SKU itself, or an organisation's larger-runner label mapped to its SKU in
//! `GITHUB_RUNNER_SKUS`. A self-hosted runner, an unmapped larger runner or a standard job of
//! a repository whose visibility is unknown has minutes but no price: NULL, never $0.

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
            ("linux_2_core_advanced", 0.006),
            ("linux_4_core", 0.012),
            ("linux_8_core", 0.022),
            ("linux_16_core", 0.042),
            ("linux_32_core", 0.082),
            ("linux_64_core", 0.162),
            ("linux_96_core", 0.252),
            ("windows_4_core", 0.022),
            ("windows_8_core", 0.042),
            ("windows_16_core", 0.082),
            ("windows_32_core", 0.162),
            ("windows_64_core", 0.322),
            ("windows_96_core", 0.552),
            ("linux_2_core_arm", 0.005),
            ("linux_4_core_arm", 0.008),
            ("linux_8_core_arm", 0.014),
            ("linux_16_core_arm", 0.026),
            ("linux_32_core_arm", 0.050),
            ("linux_64_core_arm", 0.098),
            ("windows_2_core_arm", 0.008),
            ("windows_4_core_arm", 0.014),
            ("windows_8_core_arm", 0.026),
            ("windows_16_core_arm", 0.050),
            ("windows_32_core_arm", 0.098),
            ("windows_64_core_arm", 0.194),
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
            ("linux_2_core_advanced", 0.008),
            ("linux_4_core", 0.016),
            ("linux_8_core", 0.032),
            ("linux_16_core", 0.064),
            ("linux_32_core", 0.128),
            ("linux_64_core", 0.256),
            ("linux_96_core", 0.384),
            ("windows_4_core", 0.032),
            ("windows_8_core", 0.064),
            ("windows_16_core", 0.128),
            ("windows_32_core", 0.256),
            ("windows_64_core", 0.512),
            ("windows_96_core", 0.768),
            ("linux_2_core_arm", 0.005),
            ("linux_4_core_arm", 0.010),
            ("linux_8_core_arm", 0.020),
            ("linux_16_core_arm", 0.040),
            ("linux_32_core_arm", 0.080),
            ("linux_64_core_arm", 0.160),
            ("windows_2_core_arm", 0.010),
            ("windows_4_core_arm", 0.020),
            ("windows_8_core_arm", 0.040),
            ("windows_16_core_arm", 0.080),
            ("windows_32_core_arm", 0.160),
            ("windows_64_core_arm", 0.320),
            ("linux_4_core_gpu", 0.070),
            ("windows_4_core_gpu", 0.140),
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

/// The standard runners: free for public repositories.
const STANDARD: [&str; 6] = [
    "linux_slim",
    "linux",
    "windows",
    "macos",
    "linux_2_core_arm",
    "windows_2_core_arm",
];

/// A billing SKU some rate table knows, as the table spells it.
fn known_sku(name: &str) -> Option<&'static str> {
    TABLES
        .iter()
        .flat_map(|t| t.rates.iter())
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(k, _)| *k)
}

/// An organisation's larger-runner labels and the billing SKU each runs as, from
/// `GITHUB_RUNNER_SKUS` (`label=sku`, comma separated, e.g.
/// `ubuntu-16-core=linux_16_core,win-gpu=windows_4_core_gpu`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunnerSkus(Vec<(String, &'static str)>);

impl RunnerSkus {
    /// Reads the setting; the error names the entry that is not `label=sku` with a SKU the
    /// rate tables know.
    pub fn parse(value: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (label, sku) = entry
                .split_once('=')
                .ok_or_else(|| format!("{entry:?} is not label=sku"))?;
            let sku = known_sku(sku.trim()).ok_or_else(|| {
                format!("{entry:?}: {:?} is not a billing SKU of GitHub's runner pricing (e.g. linux_16_core)", sku.trim())
            })?;
            out.push((label.trim().to_ascii_lowercase(), sku));
        }
        Ok(Self(out))
    }

    fn get(&self, label: &str) -> Option<&'static str> {
        self.0.iter().find(|(l, _)| l == label).map(|(_, s)| *s)
    }
}

/// The billing SKU of a job that ran with `labels`.
pub fn sku_of(labels: &[String], skus: &RunnerSkus) -> Option<&'static str> {
    let lower: Vec<String> = labels.iter().map(|l| l.to_ascii_lowercase()).collect();
    if lower.iter().any(|l| l == "self-hosted") {
        return Some("self-hosted");
    }
    if let Some(sku) = lower
        .iter()
        .find_map(|l| skus.get(l).or_else(|| known_sku(l)))
    {
        return Some(sku);
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
pub fn bill(
    seconds: i32,
    labels: &[String],
    at: DateTime<Utc>,
    private: Option<bool>,
    skus: &RunnerSkus,
) -> Bill {
    let minutes = (seconds.max(0) + 59) / 60;
    let sku = sku_of(labels, skus);
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
    let standard = sku.is_some_and(|s| STANDARD.contains(&s));
    let cost_usd = match (rate, private) {
        (Some(_), Some(false)) if standard => Some(0.0),
        (Some(r), Some(true)) => Some((f64::from(minutes) * r * 1e6).round() / 1e6),
        (Some(r), _) if !standard => Some((f64::from(minutes) * r * 1e6).round() / 1e6),
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
            &RunnerSkus::default(),
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
            &RunnerSkus::default(),
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
            &RunnerSkus::default(),
        );
        assert_eq!((mac.sku, mac.cost_usd), (Some("macos_xl"), Some(1.02)));
        let win_arm = bill(
            60,
            &labels(&["windows-11-arm"]),
            at("2026-06-01T00:00:00Z"),
            Some(true),
            &RunnerSkus::default(),
        );
        assert_eq!(win_arm.cost_usd, Some(0.008));
        assert_eq!(
            bill(
                0,
                &labels(&["ubuntu-latest"]),
                at("2026-06-01T00:00:00Z"),
                Some(true),
                &RunnerSkus::default()
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
            &RunnerSkus::default(),
        );
        assert_eq!((public.minutes, public.cost_usd), (5, Some(0.0)));
        for (l, private) in [
            (vec!["self-hosted", "linux"], Some(true)),
            (vec!["acme-16-core"], Some(true)),
            (vec!["ubuntu-latest"], None),
        ] {
            let b = bill(
                300,
                &labels(&l),
                at("2026-06-01T00:00:00Z"),
                private,
                &RunnerSkus::default(),
            );
            assert_eq!((b.minutes, b.cost_usd), (5, None), "{l:?} {private:?}");
        }
        assert_eq!(
            sku_of(&labels(&["self-hosted", "linux"]), &RunnerSkus::default()),
            Some("self-hosted")
        );
    }

    #[test]
    fn larger_runners_are_billed_at_their_rate_even_in_public_repositories() {
        let skus = RunnerSkus::parse("Acme-16-Core = linux_16_core, acme-gpu=linux_4_core_gpu")
            .expect("valid");
        let june = at("2026-06-01T00:00:00Z");
        // 10 minutes on the org's 16-core runner: $0.042 a minute from 2026, public or not.
        for private in [Some(true), Some(false), None] {
            let b = bill(541, &labels(&["acme-16-core"]), june, private, &skus);
            assert_eq!(
                (b.minutes, b.sku, b.cost_usd),
                (10, Some("linux_16_core"), Some(0.42)),
                "{private:?}"
            );
        }
        // A label that is the SKU itself needs no mapping; 2025 had its own rate.
        let old = bill(
            60,
            &labels(&["windows_8_core"]),
            at("2025-06-01T00:00:00Z"),
            Some(false),
            &RunnerSkus::default(),
        );
        assert_eq!(
            (old.cost_usd, old.rate_version),
            (Some(0.064), Some("github-2025"))
        );
        // GPU runners have no 2026 rate in the table: unpriced, never $0.
        let gpu = bill(60, &labels(&["acme-gpu"]), june, Some(true), &skus);
        assert_eq!((gpu.sku, gpu.cost_usd), (Some("linux_4_core_gpu"), None));
        let mac_public = bill(60, &labels(&["macos-15-xlarge"]), june, Some(false), &skus);
        assert_eq!(
            mac_public.cost_usd,
            Some(0.102),
            "macOS larger runners are billed"
        );
        assert!(RunnerSkus::parse("acme=linux_7_core").is_err());
        assert!(RunnerSkus::parse("acme").is_err());
        assert_eq!(RunnerSkus::parse(" "), Ok(RunnerSkus::default()));
    }
}
