//! s3-ingest: the S3-triggered Lambda (S3 notifications or EventBridge "Object Created").
//! Wiring only: configuration, the database pool and the S3 client are built once at cold
//! start; every event goes to `telemetry_shared::s3::S3Ingest`.

use aws_config::BehaviorVersion;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use telemetry_shared::config::Config;
use telemetry_shared::db::make_pool;
use telemetry_shared::s3::{S3Ingest, S3IngestConfig, S3ObjectStore};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry_shared::logging::init_lambda();

    let config = Config::from_env()?;
    let pool = make_pool(&config.database_url, config.db_pool_size)?;
    let aws = aws_config::load_defaults(BehaviorVersion::latest()).await;
    // Path-style addressing for S3-compatible servers (local stand-ins).
    let path_style = std::env::var("S3_FORCE_PATH_STYLE").is_ok_and(|v| v == "true");
    let s3 = aws_sdk_s3::config::Builder::from(&aws)
        .force_path_style(path_style)
        .build();
    let ingest = S3Ingest::new(
        pool,
        S3ObjectStore::new(aws_sdk_s3::Client::from_conf(s3)),
        S3IngestConfig::from_env(),
    );
    let ingest = &ingest;

    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        match ingest.handle(&event.payload).await {
            Ok(report) => Ok::<Value, Error>(serde_json::to_value(report)?),
            Err(e) => {
                tracing::error!(error = %e, report = ?e.report, "invocation failed; Lambda will retry");
                Err(e.into())
            }
        }
    }))
    .await
}
