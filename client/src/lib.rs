//! Telemetry for CLIs (design seed 001, the client side): events are spooled as JSON files in
//! a local directory, flushed in batches of up to 25 per invocation to `POST {endpoint}/ingest`
//! oldest first, deleted after a successful flush (or renamed to `.flushed.json` when kept),
//! and both kinds are removed after 2 days. Sending never fails the CLI: every failure is
//! logged at debug level only.
//!
//! ```no_run
//! # async fn demo() {
//! use telemetry_client::{flush, FlushConfig, HttpSender, RepoId, Spool};
//! let spool = Spool::new(".telemetry/spool");
//! let repo = RepoId::load_or_create(".telemetry/repo-id");
//! spool.record("cli_invocation", serde_json::json!({"command": "init", "exitCode": 0}));
//! let sender = HttpSender::new("https://telemetry.example.com/p/tp_...", None);
//! if let (Some(repo), Some(sender)) = (repo, sender) {
//!     flush(&spool, &sender, &FlushConfig::new(repo.as_str())).await;
//! }
//! spool.cleanup_older_than(telemetry_client::RETENTION);
//! # }
//! ```

mod calls;
mod repo_id;
mod sender;
mod spool;

pub use calls::{CallSender, CallsOutcome, MAX_CALLS};
pub use repo_id::RepoId;
pub use sender::{HttpSender, SendOutcome, TelemetrySender, TIMEOUT};
pub use spool::{Entry, Spool, MAX_KEPT_UNSENT, RETENTION};

/// Events sent per flush at most.
pub const BATCH_SIZE: usize = 25;

/// How a flush behaves.
#[derive(Debug, Clone)]
pub struct FlushConfig {
    /// The repository's stable id, sent as every event's `distinct_id`.
    pub distinct_id: String,
    /// Events per flush (default [`BATCH_SIZE`]).
    pub batch_size: usize,
    /// Rename sent files to `.flushed.json` instead of deleting them.
    pub keep_flushed: bool,
}

impl FlushConfig {
    /// Batches of 25, sent files deleted.
    pub fn new(distinct_id: &str) -> Self {
        Self {
            distinct_id: distinct_id.to_string(),
            batch_size: BATCH_SIZE,
            keep_flushed: false,
        }
    }
}

/// Sends the oldest unflushed events (one batch) and marks them flushed when the server
/// accepted the batch; returns how many were flushed. When the server refuses the batch's
/// content (400, 413), each event is sent alone, and one refused alone is set aside as
/// `.rejected.json` (removed with the rest after [`RETENTION`]), so a bad event never holds
/// back the ones behind it. A 429 is not a refusal: the events stay, and no batch is sent
/// before the server's `Retry-After` has passed (kept in the spool, so across invocations).
/// Never fails: problems are logged at debug level and the files stay for the next
/// invocation.
pub async fn flush(spool: &Spool, sender: &impl TelemetrySender, config: &FlushConfig) -> usize {
    // The server asked to wait: nothing is sent before then (the events stay spooled).
    if spool
        .throttled_until()
        .is_some_and(|until| until > chrono::Utc::now())
    {
        return 0;
    }
    let entries = spool.find_unflushed(config.batch_size);
    if entries.is_empty() {
        return 0;
    }
    match sender.send_batch(&entries, &config.distinct_id).await {
        SendOutcome::Stored => {
            spool.clear_throttle();
            for entry in &entries {
                spool.mark_flushed(entry, config.keep_flushed);
            }
            entries.len()
        }
        SendOutcome::Throttled { retry_after } => {
            spool.throttle(retry_after);
            0
        }
        SendOutcome::Failed => {
            tracing::debug!(
                events = entries.len(),
                "telemetry flush failed; will retry next run"
            );
            0
        }
        SendOutcome::Refused => {
            let mut sent = 0;
            for entry in &entries {
                match sender
                    .send_batch(std::slice::from_ref(entry), &config.distinct_id)
                    .await
                {
                    SendOutcome::Stored => {
                        spool.mark_flushed(entry, config.keep_flushed);
                        sent += 1;
                    }
                    SendOutcome::Refused => spool.mark_rejected(entry),
                    SendOutcome::Throttled { retry_after } => {
                        spool.throttle(retry_after);
                        break;
                    }
                    SendOutcome::Failed => break,
                }
            }
            sent
        }
    }
}
