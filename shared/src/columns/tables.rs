//! The columns the pipeline writes, one constant each, `table::COLUMN`. They mirror the
//! migrations; `tests/tests/suite/columns.rs` compares every one with the migrated schema.

#![allow(missing_docs)]

use super::Kind::{Int4, Int8, Jsonb, Numeric, Text, Timestamptz};
use super::{Column, Kind};

/// Every declared column, for the schema test.
pub const ALL: &[&[Column]] = &[
    llm_calls::ALL,
    workflow_runs::ALL,
    workflow_jobs::ALL,
    coverage_snapshots::ALL,
    sessions::ALL,
    tasks::ALL,
    workers::ALL,
    events::ALL,
    telemetry_events::ALL,
    briefings::ALL,
    jobs::ALL,
];

/// `table!(name { CONST "column": kind [>= min]; ... })`: a module of column constants.
macro_rules! table {
    ($table:ident { $($name:ident $col:literal : $kind:expr $(, >= $min:literal)? ;)* }) => {
        pub mod $table {
            use super::*;
            $(
                pub const $name: Column = Column::new(stringify!($table), $col, $kind)
                    $(.at_least($min))?;
            )*
            /// Every column above.
            pub const ALL: &[Column] = &[$($name),*];
        }
    };
}

const TEXT: Kind = Text(None);
const fn varchar(n: u32) -> Kind {
    Text(Some(n))
}

table!(llm_calls {
    SOURCE "source": varchar(32);
    TIMESTAMP "timestamp": Timestamptz;
    PHASE "phase": varchar(50);
    PROMPT_NAME "prompt_name": varchar(255);
    MODEL "model": varchar(100);
    INPUT_TOKENS "input_tokens": Int4, >= 0;
    CACHE_READ_TOKENS "cache_read_tokens": Int4, >= 0;
    CACHE_WRITE_TOKENS "cache_write_tokens": Int4, >= 0;
    OUTPUT_TOKENS "output_tokens": Int4, >= 0;
    ESTIMATED_COST "estimated_cost": Numeric(14, 8);
    PRICE_VERSION "price_version": varchar(32);
    ERROR_MESSAGE "error_message": TEXT;
    DURATION_MS "duration_ms": Int4, >= 0;
    SESSION_ID "session_id": varchar(255);
    NOTES "notes": TEXT;
    WORKER_ID "worker_id": TEXT;
    TASK_ID "task_id": TEXT;
    PROJECT_ID "project_id": TEXT;
    CACHE_WRITE_1H_TOKENS "cache_write_1h_tokens": Int4, >= 0;
    SOURCE_COST_USD "source_cost_usd": Numeric(14, 8);
    REPOSITORY "repository": varchar(255);
    GIT_BRANCH "git_branch": varchar(255);
    USER_ID "user_id": varchar(255);
    TOOL "tool": varchar(32);
    APP_VERSION "app_version": varchar(64);
});

table!(workflow_jobs {
    GITHUB_JOB_ID "github_job_id": Int8;
    RUN_ATTEMPT "run_attempt": Int4, >= 1;
    GITHUB_RUN_ID "github_run_id": Int8;
    REPOSITORY "repository": TEXT;
    WORKFLOW_NAME "workflow_name": varchar(255);
    JOB_NAME "job_name": varchar(255);
    HEAD_BRANCH "head_branch": varchar(255);
    HEAD_SHA "head_sha": varchar(40);
    STATUS "status": varchar(20);
    CONCLUSION "conclusion": varchar(20);
    GITHUB_CREATED_AT "github_created_at": Timestamptz;
    STARTED_AT "started_at": Timestamptz;
    COMPLETED_AT "completed_at": Timestamptz;
    QUEUE_SECONDS "queue_seconds": Int4, >= 0;
    DURATION_SECONDS "duration_seconds": Int4, >= 0;
    RUNNER_NAME "runner_name": varchar(255);
    RUNNER_GROUP_NAME "runner_group_name": varchar(255);
    LABELS "labels": Jsonb;
    STEPS "steps": Jsonb;
    HTML_URL "html_url": TEXT;
    BILLABLE_MINUTES "billable_minutes": Int4, >= 0;
    BILLING_SKU "billing_sku": varchar(32);
    ESTIMATED_COST_USD "estimated_cost_usd": Numeric(12, 6);
    RATE_VERSION "rate_version": varchar(32);
});

table!(workflow_runs {
    GITHUB_RUN_ID "github_run_id": Int8;
    RUN_ATTEMPT "run_attempt": Int4, >= 1;
    REPOSITORY "repository": TEXT;
    WORKFLOW_NAME "workflow_name": varchar(255);
    BRANCH "branch": varchar(255);
    COMMIT_SHA "commit_sha": varchar(40);
    EVENT_TYPE "event_type": varchar(50);
    STATUS "status": varchar(20);
    CONCLUSION "conclusion": varchar(20);
    STARTED_AT "started_at": Timestamptz;
    COMPLETED_AT "completed_at": Timestamptz;
    DURATION_SECONDS "duration_seconds": Int4, >= 0;
    HTML_URL "html_url": TEXT;
    GITHUB_UPDATED_AT "github_updated_at": Timestamptz;
    GITHUB_CREATED_AT "github_created_at": Timestamptz;
});

table!(coverage_snapshots {
    REPOSITORY "repository": TEXT;
    BRANCH "branch": varchar(255);
    COMMIT_SHA "commit_sha": varchar(40);
    FORMAT "format": varchar(16);
    LINES_COVERED "lines_covered": Int4, >= 0;
    LINES_TOTAL "lines_total": Int4, >= 0;
    BRANCHES_COVERED "branches_covered": Int4, >= 0;
    BRANCHES_TOTAL "branches_total": Int4, >= 0;
    FUNCTIONS_COVERED "functions_covered": Int4, >= 0;
    FUNCTIONS_TOTAL "functions_total": Int4, >= 0;
    CAPTURED_AT "captured_at": Timestamptz;
    PROJECT_ID "project_id": TEXT;
});

table!(sessions {
    SESSION_ID "session_id": TEXT;
    STARTED_AT "started_at": Timestamptz;
    ENDED_AT "ended_at": Timestamptz;
    GIT_COMMIT "git_commit": TEXT;
    EXIT_REASON "exit_reason": TEXT;
    CONFIG "config": Jsonb;
});

table!(tasks {
    TASK_ID "task_id": TEXT;
    SESSION_ID "session_id": TEXT;
    ISSUE_NUMBER "issue_number": Int4;
    TITLE "title": TEXT;
    DETECTED_AT "detected_at": Timestamptz;
    STATUS "status": varchar(16);
    PR_NUMBER "pr_number": Int4;
});

table!(workers {
    WORKER_ID "worker_id": TEXT;
    SESSION_ID "session_id": TEXT;
    TASK_ID "task_id": TEXT;
    SPAWNED_AT "spawned_at": Timestamptz;
    PID "pid": Int4;
    STATUS "status": varchar(16);
    EXIT_CODE "exit_code": Int4;
    LOG_FILE "log_file": TEXT;
});

table!(events {
    SESSION_ID "session_id": TEXT;
    TIMESTAMP "timestamp": Timestamptz;
    EVENT_TYPE "event_type": TEXT;
    CONTEXT_TYPE "context_type": TEXT;
    CONTEXT_ID "context_id": TEXT;
    SEVERITY "severity": TEXT;
    MESSAGE "message": TEXT;
    DETAILS "details": Jsonb;
});

table!(telemetry_events {
    INSERT_ID "insert_id": TEXT;
    EVENT "event": TEXT;
    DISTINCT_ID "distinct_id": TEXT;
    PROPERTIES "properties": Jsonb;
    CLIENT_TIMESTAMP "client_timestamp": Timestamptz;
    TIMESTAMP "timestamp": Timestamptz;
    SENT_AT "sent_at": Timestamptz;
});

table!(briefings {
    SESSION_ID "session_id": TEXT;
    TASK_ID "task_id": TEXT;
    STATUS "status": TEXT;
    STARTED_AT "started_at": Timestamptz;
    ENDED_AT "ended_at": Timestamptz;
    IMPACT_LEVEL "impact_level": TEXT;
    BROADCAST_LEVEL "broadcast_level": TEXT;
    DOC_DRIFT_RISK "doc_drift_risk": TEXT;
    BASE_COMMIT "base_commit": TEXT;
    HEAD_COMMIT "head_commit": TEXT;
    BRANCH "branch": TEXT;
    BLOCKERS "blockers": Jsonb;
    NEXT_STEPS "next_steps": Jsonb;
    DOCS_TOUCHED "docs_touched": Jsonb;
    FILES_TOUCHED "files_touched": Jsonb;
    RAW_MARKDOWN "raw_markdown": TEXT;
});

table!(jobs {
    JOB_ID "job_id": TEXT;
    TYPE "type": TEXT;
    MODEL "model": TEXT;
    STATUS "status": TEXT;
    TS_CREATED "ts_created": Timestamptz;
    TS_STARTED "ts_started": Timestamptz;
    TS_FINISHED "ts_finished": Timestamptz;
    REPO_ROOT "repo_root": TEXT;
    REQUEST "request": Jsonb;
    STREAM_CHUNKS "stream_chunks": Jsonb;
    RESULT "result": Jsonb;
    ERROR "error": TEXT;
});
