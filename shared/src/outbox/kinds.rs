//! The catalogue of outbox events: every type the pipeline writes, with the source (ordering
//! domain and EventBridge `Source`) it belongs to, and the broadcast levels. SQL that writes
//! events binds these as parameters, so no statement spells a type of its own.

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

crate::text_enum! {
    /// An outbox event type (the EventBridge `DetailType`), as `outbox_events.type`.
    pub enum EventKind {
        /// An attempt stored as completed with a failing conclusion.
        WorkflowRunFailed => "workflow_run_failed",
        /// A job attempt stored as completed with a failing conclusion.
        WorkflowJobFailed => "workflow_job_failed",
        /// An ingestion of a file finished.
        FileIngested => "file_ingested",
        /// A `POST /ingest` or `/ingest/llm-calls` batch was stored.
        BatchIngested => "batch_ingested",
        /// A write took the day's LLM cost over the budget.
        LlmBudgetExceeded => "llm_budget_exceeded",
        /// A prune finished.
        PruneCompleted => "prune_completed",
        /// A new briefing.
        BriefingAdded => "briefing_added",
        /// A briefing reported the session blocked.
        SessionBlocked => "session_blocked",
        /// A briefing reported a high doc drift risk.
        DocDriftWarning => "doc_drift_warning",
        /// A job reached completed, failed or canceled.
        JobCompleted => "job_completed",
    }
}

impl EventKind {
    /// The source this kind is published under (and ordered within).
    pub fn source(self) -> &'static str {
        match self {
            EventKind::WorkflowRunFailed | EventKind::WorkflowJobFailed => SOURCE_GITHUB,
            EventKind::FileIngested | EventKind::BatchIngested => SOURCE_INGEST,
            EventKind::LlmBudgetExceeded => SOURCE_LLM,
            EventKind::PruneCompleted => SOURCE_PRUNE,
            EventKind::BriefingAdded
            | EventKind::SessionBlocked
            | EventKind::DocDriftWarning
            | EventKind::JobCompleted => SOURCE_FLEET,
        }
    }
}

crate::text_enum! {
    /// How loudly consumers should announce an event (`outbox_events.broadcast_level`).
    pub enum BroadcastLevel {
        /// Recorded, not announced.
        Silent => "silent",
        /// Worth a line in a feed.
        Mention => "mention",
        /// Worth pointing out.
        Highlight => "highlight",
        /// Someone should act.
        Alert => "alert",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_source_and_reads_back_from_its_name() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(*k));
            assert!(k.source().starts_with("telemetry."));
        }
        assert_eq!(EventKind::parse("test_event"), None);
        assert_eq!(BroadcastLevel::parse("alert"), Some(BroadcastLevel::Alert));
        assert_eq!(BroadcastLevel::parse("loud"), None);
    }
}
