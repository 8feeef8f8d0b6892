//! Coverage reports (seed 000's `coverage_snapshots`): lcov `.info`, Cobertura XML and
//! Istanbul `coverage-summary.json`, each reduced to totals (lines, branches, functions:
//! covered and total) and stored per repository, commit and format.

mod cobertura;
mod istanbul;
mod lcov;
mod store;

pub use store::{upsert_coverage, CoverageSnapshot};

use serde::Serialize;

/// Largest coverage report read (a report is parsed whole).
pub const MAX_REPORT_BYTES: usize = 64 * 1024 * 1024;

/// True for an abbreviated or full commit SHA: 7 to 40 hex digits.
pub fn is_commit_sha(s: &str) -> bool {
    (7..=40).contains(&s.len()) && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CoverageFormat {
    /// lcov tracefile (`lcov.info`).
    Lcov,
    /// Cobertura XML (`coverage.xml`, `cobertura.xml`).
    Cobertura,
    /// Istanbul / nyc / Jest `coverage-summary.json`.
    Istanbul,
}

impl CoverageFormat {
    /// From a file name: `*.info`, `*.xml`, `coverage-summary.json` (case-insensitive).
    pub fn from_name(name: &str) -> Option<CoverageFormat> {
        let file = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
        if file.ends_with(".info") || file == "lcov" {
            Some(CoverageFormat::Lcov)
        } else if file.ends_with(".xml") {
            Some(CoverageFormat::Cobertura)
        } else if file.ends_with("coverage-summary.json") {
            Some(CoverageFormat::Istanbul)
        } else {
            None
        }
    }

    /// The name stored in `coverage_snapshots.format`.
    pub fn as_str(&self) -> &'static str {
        match self {
            CoverageFormat::Lcov => "lcov",
            CoverageFormat::Cobertura => "cobertura",
            CoverageFormat::Istanbul => "istanbul",
        }
    }

    /// Parses `text` as this format.
    pub fn parse(&self, text: &str) -> Result<CoverageTotals, String> {
        let totals = match self {
            CoverageFormat::Lcov => lcov::parse(text)?,
            CoverageFormat::Cobertura => cobertura::parse(text)?,
            CoverageFormat::Istanbul => istanbul::parse(text)?,
        };
        totals.check()?;
        Ok(totals)
    }
}

/// Covered and total counts of a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CoverageTotals {
    /// Lines executed.
    pub lines_covered: i64,
    /// Executable lines.
    pub lines_total: i64,
    /// Branches taken, when the report has branch data.
    pub branches_covered: Option<i64>,
    /// Branches, when the report has branch data.
    pub branches_total: Option<i64>,
    /// Functions entered, when the report has function data.
    pub functions_covered: Option<i64>,
    /// Functions, when the report has function data.
    pub functions_total: Option<i64>,
}

impl CoverageTotals {
    /// Line coverage in percent (two decimals), `None` with no lines.
    pub fn line_percent(&self) -> Option<f64> {
        (self.lines_total > 0).then(|| {
            (10_000.0 * self.lines_covered as f64 / self.lines_total as f64).round() / 100.0
        })
    }

    fn check(&self) -> Result<(), String> {
        let pairs = [
            ("lines", Some(self.lines_covered), Some(self.lines_total)),
            ("branches", self.branches_covered, self.branches_total),
            ("functions", self.functions_covered, self.functions_total),
        ];
        for (what, covered, total) in pairs {
            if let (Some(c), Some(t)) = (covered, total) {
                if c < 0 || t < 0 || c > t || t > i64::from(i32::MAX) {
                    return Err(format!("{what}: {c} covered of {t} is impossible"));
                }
            }
        }
        Ok(())
    }
}
