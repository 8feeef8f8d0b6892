//! Custom metrics in CloudWatch Embedded Metric Format (EMF). Code records through the
//! `metrics` facade, a no-op where no recorder is installed (the CLI, the tests' in-process
//! API); each function installs the EMF recorder at cold start ([`Emf::install`]) and writes
//! one JSON line per dimension set to stdout after each invocation ([`Emf::flush`]), which
//! CloudWatch Logs turns into metrics of the [`NAMESPACE`] namespace, by `function` (and
//! `kind` for records).

use metrics::Unit;
use metrics_cloudwatch_embedded::{Builder, Collector};

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "Telemetry";

/// Metric names.
pub mod name {
    /// Records stored new or changed, by `kind` (events, llm_calls, an object's format).
    pub const ACCEPTED: &str = "records_accepted";
    /// Records already stored, by `kind`.
    pub const DUPLICATE: &str = "records_duplicate";
    /// Records refused (validation or the database), by `kind`.
    pub const REJECTED: &str = "records_rejected";
    /// LLM calls with no price (their cost NULL, never $0) in the batches stored, a batch's
    /// duplicates included.
    pub const UNPRICED: &str = "llm_calls_unpriced";
    /// Rows an object's ingest read per second.
    pub const ROWS_PER_SECOND: &str = "rows_per_second";
    /// Requests made to GitHub, 304s and retries included.
    pub const GITHUB_REQUESTS: &str = "github_requests";
    /// Requests GitHub counted against the quota (not the 304s).
    pub const GITHUB_COUNTED: &str = "github_requests_counted";
    /// `x-ratelimit-remaining` at the end of the sync.
    pub const GITHUB_QUOTA_LEFT: &str = "github_quota_remaining";
    /// Age of the oldest outbox event not yet delivered (0 when none waits).
    pub const OUTBOX_LAG: &str = "outbox_lag_seconds";
    /// Outbox events delivered by one relay.
    pub const OUTBOX_PUBLISHED: &str = "outbox_published";
    /// Rows deleted by one prune.
    pub const ROWS_PRUNED: &str = "rows_pruned";
    /// Queued batches (SQS messages) the consumer read.
    pub const QUEUE_MESSAGES: &str = "queue_messages";
    /// Queued batches handed back to the queue to be delivered again (or, after the
    /// queue's `maxReceiveCount`, to its dead-letter queue).
    pub const QUEUE_FAILED: &str = "queue_messages_failed";
    /// Age of the oldest queued batch the consumer read (sent to read).
    pub const QUEUE_AGE: &str = "queue_message_age_seconds";
}

/// The installed recorder.
pub struct Emf(&'static Collector);

impl Emf {
    /// Installs the EMF recorder for `function` (once per process); `None` (logged) if a
    /// recorder is installed already.
    pub fn install(function: &'static str) -> Option<Emf> {
        let collector = Builder::new()
            .cloudwatch_namespace(NAMESPACE)
            .with_dimension("function", function)
            .init();
        match collector {
            Ok(c) => {
                describe();
                Some(Emf(c))
            }
            Err(e) => {
                tracing::warn!("custom metrics off: {e}");
                None
            }
        }
    }

    /// Writes what was recorded since the last flush to stdout, one line per dimension set.
    pub fn flush(&self) {
        if let Err(e) = self.0.flush(std::io::stdout().lock()) {
            tracing::warn!("custom metrics not written: {e}");
        }
    }
}

fn describe() {
    use name::*;
    for n in [
        ACCEPTED,
        DUPLICATE,
        REJECTED,
        UNPRICED,
        GITHUB_REQUESTS,
        GITHUB_COUNTED,
        OUTBOX_PUBLISHED,
        ROWS_PRUNED,
        QUEUE_MESSAGES,
        QUEUE_FAILED,
    ] {
        metrics::describe_counter!(n, Unit::Count, n);
    }
    metrics::describe_gauge!(ROWS_PER_SECOND, Unit::CountPerSecond, ROWS_PER_SECOND);
    metrics::describe_gauge!(GITHUB_QUOTA_LEFT, Unit::Count, GITHUB_QUOTA_LEFT);
    metrics::describe_gauge!(OUTBOX_LAG, Unit::Seconds, OUTBOX_LAG);
    metrics::describe_gauge!(QUEUE_AGE, Unit::Seconds, QUEUE_AGE);
}

/// Counts a delivery of queued batches: messages read, handed back, the oldest one's age.
pub fn queue(messages: usize, failed: usize, oldest_seconds: f64) {
    metrics::counter!(name::QUEUE_MESSAGES).increment(messages as u64);
    metrics::counter!(name::QUEUE_FAILED).increment(failed as u64);
    metrics::gauge!(name::QUEUE_AGE).set(oldest_seconds);
}

/// Counts a batch's records of `kind`: stored new or changed, already stored, refused.
pub fn records(kind: &'static str, accepted: usize, duplicate: usize, rejected: usize) {
    metrics::counter!(name::ACCEPTED, "kind" => kind).increment(accepted as u64);
    metrics::counter!(name::DUPLICATE, "kind" => kind).increment(duplicate as u64);
    metrics::counter!(name::REJECTED, "kind" => kind).increment(rejected as u64);
}
