//! The catalogue of outbox events: every type the pipeline writes, with the source (ordering
//! domain and EventBridge `Source`) it belongs to, and the broadcast levels. SQL that writes
//! events binds these as parameters, so no statement spells a type of its own.

use std::error::Error;

use bytes::BytesMut;
use tokio_postgres::types::{accepts, to_sql_checked, IsNull, ToSql, Type};

/// `Source` of events about GitHub workflow runs.
pub const SOURCE_GITHUB: &str = "telemetry.github";
/// `Source` of events about files and batches ingested.
pub const SOURCE_INGEST: &str = "telemetry.ingest";
/// `Source` of events about LLM cost.
pub const SOURCE_LLM: &str = "telemetry.llm";
/// `Source` of prune events.
pub const SOURCE_PRUNE: &str = "telemetry.prune";
/// `Source` of briefing and job events.
pub const SOURCE_FLEET: &str = "telemetry.fleet";

/// An outbox event type (the EventBridge `DetailType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// An attempt stored as completed with a failing conclusion.
    WorkflowRunFailed,
    /// An ingestion of a file finished.
    FileIngested,
    /// A `POST /ingest` or `/ingest/llm-calls` batch was stored.
    BatchIngested,
    /// A write took the day's LLM cost over the budget.
    LlmBudgetExceeded,
    /// A prune finished.
    PruneCompleted,
    /// A new briefing.
    BriefingAdded,
    /// A briefing reported the session blocked.
    SessionBlocked,
    /// A briefing reported a high doc drift risk.
    DocDriftWarning,
    /// A job reached completed, failed or canceled.
    JobCompleted,
}

impl EventKind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [EventKind; 9] = [
        EventKind::WorkflowRunFailed,
        EventKind::FileIngested,
        EventKind::BatchIngested,
        EventKind::LlmBudgetExceeded,
        EventKind::PruneCompleted,
        EventKind::BriefingAdded,
        EventKind::SessionBlocked,
        EventKind::DocDriftWarning,
        EventKind::JobCompleted,
    ];

    /// The stored and published name, e.g. `workflow_run_failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::WorkflowRunFailed => "workflow_run_failed",
            EventKind::FileIngested => "file_ingested",
            EventKind::BatchIngested => "batch_ingested",
            EventKind::LlmBudgetExceeded => "llm_budget_exceeded",
            EventKind::PruneCompleted => "prune_completed",
            EventKind::BriefingAdded => "briefing_added",
            EventKind::SessionBlocked => "session_blocked",
            EventKind::DocDriftWarning => "doc_drift_warning",
            EventKind::JobCompleted => "job_completed",
        }
    }

    /// The source this kind is published under (and ordered within).
    pub fn source(self) -> &'static str {
        match self {
            EventKind::WorkflowRunFailed => SOURCE_GITHUB,
            EventKind::FileIngested | EventKind::BatchIngested => SOURCE_INGEST,
            EventKind::LlmBudgetExceeded => SOURCE_LLM,
            EventKind::PruneCompleted => SOURCE_PRUNE,
            EventKind::BriefingAdded
            | EventKind::SessionBlocked
            | EventKind::DocDriftWarning
            | EventKind::JobCompleted => SOURCE_FLEET,
        }
    }

    /// The kind named `s`, if it is one.
    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How loudly consumers should announce an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BroadcastLevel {
    /// Recorded, not announced.
    Silent,
    /// Worth a line in a feed.
    Mention,
    /// Worth pointing out.
    Highlight,
    /// Someone should act.
    Alert,
}

impl BroadcastLevel {
    /// The stored name, e.g. `mention`.
    pub fn as_str(self) -> &'static str {
        match self {
            BroadcastLevel::Silent => "silent",
            BroadcastLevel::Mention => "mention",
            BroadcastLevel::Highlight => "highlight",
            BroadcastLevel::Alert => "alert",
        }
    }

    /// The level named `s`, if it is one.
    pub fn parse(s: &str) -> Option<BroadcastLevel> {
        [
            BroadcastLevel::Silent,
            BroadcastLevel::Mention,
            BroadcastLevel::Highlight,
            BroadcastLevel::Alert,
        ]
        .into_iter()
        .find(|l| l.as_str() == s)
    }
}

/// Both bind as `TEXT`, the type of `outbox_events.type` and `broadcast_level`.
macro_rules! text_param {
    ($t:ty) => {
        impl ToSql for $t {
            fn to_sql(
                &self,
                ty: &Type,
                out: &mut BytesMut,
            ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
                self.as_str().to_sql(ty, out)
            }
            accepts!(TEXT, VARCHAR);
            to_sql_checked!();
        }
    };
}
text_param!(EventKind);
text_param!(BroadcastLevel);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
            assert!(k.source().starts_with("telemetry."));
        }
        assert_eq!(EventKind::parse("test_event"), None);
        assert_eq!(BroadcastLevel::parse("alert"), Some(BroadcastLevel::Alert));
        assert_eq!(BroadcastLevel::parse("loud"), None);
    }
}
