//! http-ingest settings from the environment: request limits, the public tokens' rate
//! limit, and the GitHub webhook secret (never logged).

use std::fmt;

use crate::config::{flag, parse_positive, ConfigError};
use crate::failure::Failure;
use crate::github::billing::RunnerSkus;
use crate::secrets::SecretSource;

/// Size and count limits of one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Body as received (`HTTP_MAX_BODY_BYTES`, default 1 MiB).
    pub max_body_bytes: usize,
    /// Body after gzip decompression (`HTTP_MAX_DECOMPRESSED_BYTES`, default 5 MiB).
    pub max_decompressed_bytes: usize,
    /// Decompressed / compressed size (`HTTP_MAX_GZIP_RATIO`, default 100).
    pub max_ratio: usize,
    /// Events per batch (`HTTP_MAX_EVENTS`, default 100; the seed's client sends up to 25).
    pub max_events: usize,
    /// One event, serialised (`HTTP_MAX_EVENT_BYTES`, default 64 KiB).
    pub max_event_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1 << 20,
            max_decompressed_bytes: 5 << 20,
            max_ratio: 100,
            max_events: 100,
            max_event_bytes: 64 << 10,
        }
    }
}

/// Everything http-ingest reads from the environment besides the database.
#[derive(Clone)]
pub struct HttpConfig {
    /// Request limits.
    pub limits: Limits,
    /// Events a public token may post per minute across all its installs
    /// (`PUBLIC_TOKEN_EVENTS_PER_MINUTE`, default 60,000).
    pub public_events_per_minute: u32,
    /// Events one install (an event's `distinct_id`) may post per minute with a public token
    /// (`PUBLIC_INSTALL_EVENTS_PER_MINUTE`, default 600).
    pub install_events_per_minute: u32,
    /// `GITHUB_WEBHOOK_SECRET`; without it the webhook route answers 404.
    pub webhook_secret: Option<String>,
    /// The bucket workers' logs are read from for the dashboard's conversation view
    /// (`CONVERSATION_LOG_BUCKET`, the upload bucket); unset, the API reads no logs.
    pub log_bucket: Option<String>,
    /// Keep prompt text an OTLP exporter sent (`OTLP_KEEP_PROMPTS=1`; default: dropped).
    pub keep_prompts: bool,
    /// Store users' emails as sent (`TELEMETRY_KEEP_EMAILS=1`; default: only their hash).
    pub keep_emails: bool,
    /// Log records in one OTLP export at most (`OTLP_MAX_RECORDS`, default 2048: the
    /// SDKs' batch processors export 512 at a time).
    pub max_otlp_records: usize,
    /// Larger-runner labels and their billing SKUs for `workflow_job` deliveries
    /// (`GITHUB_RUNNER_SKUS`).
    pub runner_skus: RunnerSkus,
    /// The SQS queue event batches go to in queued mode (`INGEST_QUEUE_URL`; unset or
    /// empty: direct mode, each batch stored before the answer).
    pub ingest_queue_url: Option<String>,
}

impl HttpConfig {
    /// The function's loader: [`HttpConfig::from_env`], with the webhook secret from
    /// `GITHUB_WEBHOOK_SECRET` or, in AWS, read at cold start from the Secrets Manager secret
    /// `GITHUB_WEBHOOK_SECRET_ARN` (plain, or JSON `{"webhook_secret": ...}`).
    pub async fn load() -> Result<Self, Failure> {
        let get = |k: &str| std::env::var(k).ok();
        let mut config = Self::from_lookup(get)?;
        let source = SecretSource::from_lookup(
            &get,
            &["GITHUB_WEBHOOK_SECRET"],
            "GITHUB_WEBHOOK_SECRET_ARN",
            Some("webhook_secret"),
        );
        if let Some(source) = source {
            config.webhook_secret = Some(source.resolve().await?);
        }
        Ok(config)
    }

    /// Loads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Same, reading variables through `get`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let d = Limits::default();
        let num = |name: &'static str, default: usize| parse_positive(&get, name, default);
        Ok(Self {
            limits: Limits {
                max_body_bytes: num("HTTP_MAX_BODY_BYTES", d.max_body_bytes)?,
                max_decompressed_bytes: num(
                    "HTTP_MAX_DECOMPRESSED_BYTES",
                    d.max_decompressed_bytes,
                )?,
                max_ratio: num("HTTP_MAX_GZIP_RATIO", d.max_ratio)?,
                max_events: num("HTTP_MAX_EVENTS", d.max_events)?,
                max_event_bytes: num("HTTP_MAX_EVENT_BYTES", d.max_event_bytes)?,
            },
            public_events_per_minute: u32::try_from(num("PUBLIC_TOKEN_EVENTS_PER_MINUTE", 60_000)?)
                .unwrap_or(u32::MAX),
            install_events_per_minute: u32::try_from(num("PUBLIC_INSTALL_EVENTS_PER_MINUTE", 600)?)
                .unwrap_or(u32::MAX),
            webhook_secret: get("GITHUB_WEBHOOK_SECRET").filter(|s| !s.is_empty()),
            log_bucket: get("CONVERSATION_LOG_BUCKET").filter(|s| !s.is_empty()),
            keep_prompts: flag(&get, "OTLP_KEEP_PROMPTS")?,
            keep_emails: flag(&get, "TELEMETRY_KEEP_EMAILS")?,
            max_otlp_records: num("OTLP_MAX_RECORDS", 2048)?,
            runner_skus: crate::github::runner_skus(&get)?,
            ingest_queue_url: get("INGEST_QUEUE_URL").filter(|s| !s.trim().is_empty()),
        })
    }
}

impl fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpConfig")
            .field("limits", &self.limits)
            .field("public_events_per_minute", &self.public_events_per_minute)
            .field("install_events_per_minute", &self.install_events_per_minute)
            .field("log_bucket", &self.log_bucket)
            .field("keep_prompts", &self.keep_prompts)
            .field("keep_emails", &self.keep_emails)
            .field("max_otlp_records", &self.max_otlp_records)
            .field("runner_skus", &self.runner_skus)
            .field("ingest_queue_url", &self.ingest_queue_url)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}
