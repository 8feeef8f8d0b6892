//! Prune settings, from the environment.

use super::policy::RetentionPlan;
use crate::config::{parse_positive, ConfigError};
use crate::failure::Retryable;

/// Where archives go, how long tables keep rows, and batch sizes.
#[derive(Debug, Clone, PartialEq)]
pub struct PruneConfig {
    /// Retention per table (`PRUNE_RETENTION` overrides the defaults).
    pub plan: RetentionPlan,
    /// Bucket for archive objects (`ARCHIVE_BUCKET`); without it archived tables are not pruned.
    pub archive_bucket: Option<String>,
    /// Key prefix of archive objects (`ARCHIVE_PREFIX`, default `archive/`).
    pub archive_prefix: String,
    /// Rows per DELETE statement (`PRUNE_DELETE_BATCH`, default 5000).
    pub delete_batch: i64,
    /// Rows per archive object at most (`PRUNE_PART_ROWS`, default 1,000,000); a month with
    /// more is written in several parts.
    pub part_rows: i64,
}

/// Prune configuration errors.
#[derive(Debug, thiserror::Error)]
pub enum PruneConfigError {
    /// A number did not parse.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `PRUNE_RETENTION` did not parse.
    #[error("PRUNE_RETENTION: {0}")]
    Retention(String),
}

impl Retryable for PruneConfigError {
    /// A setting is wrong until someone changes it.
    fn is_retryable(&self) -> bool {
        false
    }

    fn boundary(&self) -> &'static str {
        "Config"
    }
}

impl PruneConfig {
    /// From the process environment.
    pub fn from_env() -> Result<Self, PruneConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// From variables read through `get`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, PruneConfigError> {
        let plan = RetentionPlan::parse(&get("PRUNE_RETENTION").unwrap_or_default())
            .map_err(PruneConfigError::Retention)?;
        Ok(Self {
            plan,
            archive_bucket: get("ARCHIVE_BUCKET").filter(|b| !b.trim().is_empty()),
            archive_prefix: archive_prefix(get("ARCHIVE_PREFIX")),
            delete_batch: parse_positive(&get, "PRUNE_DELETE_BATCH", 5_000)? as i64,
            part_rows: parse_positive(&get, "PRUNE_PART_ROWS", 1_000_000)? as i64,
        })
    }
}

/// `ARCHIVE_PREFIX` as a folder: `archive` means `archive/` (not keys like
/// `archivellm_calls/...`); empty means the bucket's root.
fn archive_prefix(set: Option<String>) -> String {
    match set.map(|p| p.trim().trim_start_matches('/').to_string()) {
        None => "archive/".into(),
        Some(p) if p.is_empty() || p.ends_with('/') => p,
        Some(p) => format!("{p}/"),
    }
}

#[cfg(test)]
mod tests {
    use super::archive_prefix;

    #[test]
    fn the_prefix_is_a_folder() {
        assert_eq!(archive_prefix(None), "archive/");
        assert_eq!(archive_prefix(Some("archive".into())), "archive/");
        assert_eq!(
            archive_prefix(Some("cold/archive/".into())),
            "cold/archive/"
        );
        assert_eq!(archive_prefix(Some(String::new())), "");
    }
}
