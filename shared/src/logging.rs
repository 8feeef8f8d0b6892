//! Logging for the Lambda functions: one JSON object per line (CloudWatch's JSON log
//! format), filtered by `RUST_LOG` (default `info`).

/// Installs the JSON subscriber; call once at cold start.
pub fn init_lambda() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_current_span(false)
        .init();
}
