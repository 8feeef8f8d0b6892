//! AWS X-Ray subsegments for the calls a function waits on: PostgreSQL writes and GitHub
//! requests. On Lambda with `Tracing: Active`, the runtime sets `_X_AMZN_TRACE_ID` for each
//! invocation and the X-Ray daemon's address in `AWS_XRAY_DAEMON_ADDRESS`; a subsegment is
//! sent to the daemon (UDP, `xray-lite`) when it begins and when it is dropped. Elsewhere
//! (the CLI, `telemetry serve`, tests) or for an unsampled trace, nothing is sent.

use std::sync::OnceLock;

use xray_lite::{
    AwsNamespace, Context, CustomNamespace, DaemonClient, RemoteNamespace, SubsegmentContext,
    SubsegmentSession,
};

fn context() -> Option<SubsegmentContext<DaemonClient>> {
    static CLIENT: OnceLock<Option<DaemonClient>> = OnceLock::new();
    let client = CLIENT
        .get_or_init(|| DaemonClient::from_lambda_env().ok())
        .as_ref()?;
    // Unsampled, Lambda records no segment for the invocation: its subsegments would dangle.
    let header = std::env::var("_X_AMZN_TRACE_ID").ok()?;
    if !header.contains("Sampled=1") {
        return None;
    }
    SubsegmentContext::from_lambda_env(client.clone()).ok()
}

/// A database subsegment in progress, ended when dropped.
pub struct DbSpan {
    _session: Option<SubsegmentSession<DaemonClient, CustomNamespace>>,
}

/// Begins the subsegment `PostgreSQL <operation>`.
pub fn database(operation: impl std::fmt::Display) -> DbSpan {
    // The name is formatted only for a sampled trace: the writes call this on every batch.
    DbSpan {
        _session: context()
            .map(|c| c.enter_subsegment(CustomNamespace::new(format!("PostgreSQL {operation}")))),
    }
}

/// A remote HTTP call's subsegment in progress, ended when dropped.
pub struct HttpSpan(Option<SubsegmentSession<DaemonClient, RemoteNamespace>>);

impl HttpSpan {
    /// Records the answer's status.
    pub fn status(&mut self, status: u16) {
        if let Some(ns) = self.0.as_mut().and_then(|s| s.namespace_mut()) {
            ns.response_status(status);
        }
    }
}

/// Begins the subsegment `service` for `method url` (no query string: it may hold a cursor).
pub fn http(service: &str, method: &str, url: &str) -> HttpSpan {
    let url = url.split('?').next().unwrap_or_default();
    HttpSpan(context().map(|c| c.enter_subsegment(RemoteNamespace::new(service, method, url))))
}

/// An AWS call's subsegment in progress, ended when dropped.
pub struct AwsSpan {
    _session: Option<SubsegmentSession<DaemonClient, AwsNamespace>>,
}

/// Begins the subsegment of `service`'s `operation` (`S3`, `PutObject`).
pub fn aws(service: &str, operation: &str) -> AwsSpan {
    AwsSpan {
        _session: context().map(|c| c.enter_subsegment(AwsNamespace::new(service, operation))),
    }
}
