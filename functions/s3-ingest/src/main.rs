//! s3-ingest: the S3-triggered Lambda (S3 notifications or EventBridge "Object Created").
//! Wiring only: configuration, the database pool and the S3 client are built once at cold
//! start; every notification goes to `telemetry_shared::s3::S3Ingest`, then the outbox is
//! relayed. A failed invocation is reported with its `Failure` type (`Retryable.S3Ingest`).

use std::time::Duration;

use lambda_runtime::{service_fn, Diagnostic, Error, LambdaEvent};
use serde_json::Value;
use telemetry_shared::config::{load_aws, Config};
use telemetry_shared::db::{make_pool, Workload};
use telemetry_shared::emf::Emf;
use telemetry_shared::failure::Failure;
use telemetry_shared::github::deadline_from_epoch_ms;
use telemetry_shared::outbox::Relayer;
use telemetry_shared::s3::{S3Ingest, S3IngestConfig, S3ObjectStore};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry_shared::logging::init_lambda();

    let config = Config::load().await?;
    let pool = make_pool(&config.database_url, config.db_pool_size, Workload::Ingest)?;
    let aws = load_aws().await;
    let relayer = Relayer::from_env(pool.clone(), Some(&aws)).await;
    let ingest = S3Ingest::new(
        pool,
        S3ObjectStore::from_config(&aws),
        S3IngestConfig::from_env(),
    );
    let emf = Emf::install("s3-ingest");
    let (ingest, relayer, emf) = (&ingest, &relayer, &emf);

    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let started = std::time::Instant::now();
        let outcome = ingest.handle(&event.payload).await;
        match &outcome {
            Ok(report) => report.record_metrics(started.elapsed()),
            Err(e) => e.report.record_metrics(started.elapsed()),
        }
        // The files' `file_ingested` events are committed: publish them now.
        let deadline = deadline_from_epoch_ms(event.context.deadline);
        relayer.run(Duration::from_secs(30), Some(deadline)).await;
        if let Some(emf) = emf {
            emf.flush();
        }
        let result = match outcome {
            Ok(report) => serde_json::to_value(report).map_err(|e| Failure::permanent("Report", e)),
            Err(e) => {
                tracing::warn!(report = ?e.report, "objects failed; Lambda will retry");
                Err(Failure::from(e))
            }
        };
        result.map_err(diagnostic)
    }))
    .await
}

/// The failure, logged, as Lambda reports it (`errorType` is `Retryable.S3Ingest`, ...).
fn diagnostic(f: Failure) -> Diagnostic {
    let f = f.logged();
    Diagnostic {
        error_type: f.error_type,
        error_message: f.message,
    }
}
