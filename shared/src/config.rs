//! Typed configuration loaded once from the environment (at cold start or CLI start-up).

use crate::failure::Retryable;
use std::fmt;

use crate::failure::Failure;
use crate::secrets::{SecretError, SecretSource};

/// Everything the shared code needs from the environment.
#[derive(Clone)]
pub struct Config {
    /// PostgreSQL connection string (URL or `key=value` form); may carry a password.
    pub database_url: String,
    /// Largest number of pooled connections.
    pub db_pool_size: usize,
    /// Rows written per transaction by batch ingests.
    pub ingest_batch_rows: usize,
}

/// A required variable is missing or a value does not parse.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The variable is not set.
    #[error("{0} is not set")]
    Missing(&'static str),
    /// The variable is set to something unusable.
    #[error("{name} has an invalid value {value:?}: {reason}")]
    Invalid {
        /// Variable name.
        name: &'static str,
        /// The value found.
        value: String,
        /// Why it was refused.
        reason: &'static str,
    },
}

impl Retryable for ConfigError {
    /// A setting is wrong until someone changes it.
    fn is_retryable(&self) -> bool {
        false
    }

    fn boundary(&self) -> &'static str {
        "Config"
    }
}

/// Default rows per ingest transaction: large enough to amortise a round trip, small enough
/// that a failed batch is cheap to retry and memory stays flat.
pub const DEFAULT_BATCH_ROWS: usize = 5_000;

impl Config {
    /// Loads `DATABASE_URL`, `DB_POOL_SIZE` (default 4) and `INGEST_BATCH_ROWS` (default 5000).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// [`Config::from_env`], except that without `DATABASE_URL` the connection string is read
    /// at cold start from the Secrets Manager secret `DATABASE_SECRET_ARN` through the
    /// Parameters and Secrets extension (`DATABASE_SSLMODE`, default `verify-full`, and
    /// `DATABASE_HOST`, an RDS Proxy endpoint, apply to a URL built from an RDS secret). The
    /// functions call this.
    pub async fn load() -> Result<Self, Failure> {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let source =
            SecretSource::from_lookup(&get, &["DATABASE_URL"], "DATABASE_SECRET_ARN", None).ok_or(
                ConfigError::Missing("DATABASE_URL (or DATABASE_SECRET_ARN)"),
            )?;
        let url = match &source {
            SecretSource::Env { value, .. } => value.clone(),
            SecretSource::Manager { id, .. } => {
                let secret = source.resolve().await?;
                crate::db::url_from_secret(
                    &secret,
                    get("DATABASE_SSLMODE").as_deref(),
                    get("DATABASE_HOST").as_deref(),
                )
                .map_err(|reason| SecretError::Malformed {
                    id: id.clone(),
                    reason,
                })?
            }
        };
        Ok(Self::from_lookup(|k| {
            if k == "DATABASE_URL" {
                Some(url.clone())
            } else {
                get(k)
            }
        })?)
    }

    /// Same as [`Config::from_env`], reading variables through `get` (testable).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let database_url = get("DATABASE_URL")
            .filter(|v| !v.trim().is_empty())
            .ok_or(ConfigError::Missing("DATABASE_URL"))?;
        Ok(Self {
            database_url,
            db_pool_size: parse_positive(&get, "DB_POOL_SIZE", 4)?,
            ingest_batch_rows: parse_positive(&get, "INGEST_BATCH_ROWS", DEFAULT_BATCH_ROWS)?,
        })
    }
}

/// The AWS SDK configuration from the environment (credentials, region, `AWS_ENDPOINT_URL`):
/// load it once per process and build every client from it.
/// Every call is bounded: 3 s to connect, a minute per attempt (an archive part of a million
/// rows uploads well within it), 3 minutes per operation with its retries; a streamed
/// object body is read after the operation returns and is bounded by its reader.
pub async fn load_aws() -> aws_config::SdkConfig {
    use std::time::Duration;
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(60))
        .operation_timeout(Duration::from_secs(180))
        .build();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(timeouts)
        .load()
        .await
}

/// `name` as a positive integer, `default` when unset; the error names the variable.
pub(crate) fn parse_positive(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: usize,
) -> Result<usize, ConfigError> {
    match get(name) {
        None => Ok(default),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(ConfigError::Invalid {
                name,
                value: v,
                reason: "expected a positive integer",
            }),
        },
    }
}

/// `name` as a switch: `1`/`true`/`yes` on, `0`/`false`/`no` or unset off.
pub(crate) fn flag(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<bool, ConfigError> {
    match get(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) => match v.as_str() {
            "" | "0" | "false" | "no" => Ok(false),
            "1" | "true" | "yes" => Ok(true),
            _ => Err(ConfigError::Invalid {
                name,
                value: v,
                reason: "expected 1 or 0",
            }),
        },
    }
}

// Hand-written so the connection string (and its password) never reaches a log line.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &"<redacted>")
            .field("db_pool_size", &self.db_pool_size)
            .field("ingest_batch_rows", &self.ingest_batch_rows)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn missing_database_url_is_named() {
        let err = Config::from_lookup(lookup(&[])).expect_err("must fail");
        assert_eq!(err.to_string(), "DATABASE_URL is not set");
    }

    #[test]
    fn debug_output_hides_the_password() {
        let cfg = Config::from_lookup(lookup(&[("DATABASE_URL", "postgres://u:s3cret@h/db")]))
            .expect("valid");
        assert!(!format!("{cfg:?}").contains("s3cret"));
        assert_eq!(cfg.ingest_batch_rows, DEFAULT_BATCH_ROWS);
    }

    #[test]
    fn bad_pool_size_is_refused() {
        let err = Config::from_lookup(lookup(&[("DATABASE_URL", "x"), ("DB_POOL_SIZE", "0")]))
            .expect_err("must fail");
        assert!(err.to_string().contains("DB_POOL_SIZE"));
    }
}
