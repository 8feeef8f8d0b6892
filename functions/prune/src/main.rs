//! prune: the nightly retention Lambda (archive to S3, then batched deletes) that also relays
//! the outbox to EventBridge every minute and applies migrations on deploy. Wiring only:
//! configuration, the pool, the S3 and EventBridge clients are built once at cold start; the
//! work is in `telemetry_shared::prune`, `outbox` and `db`. A failed invocation is reported
//! with its `Failure` type (`Retryable.ObjectStore`, `Retryable.EventBus`, ...).

use std::time::Duration;

use lambda_runtime::{service_fn, Diagnostic, Error, LambdaEvent};
use serde_json::{json, Value};
use telemetry_shared::config::{load_aws, Config};
use telemetry_shared::db::{make_pool, migrate, CustomResourceRequest, DbError, Pool, Workload};
use telemetry_shared::emf::Emf;
use telemetry_shared::failure::Failure;
use telemetry_shared::github::deadline_from_epoch_ms;
use telemetry_shared::outbox::Relayer;
use telemetry_shared::prune::{prune, Action, PruneConfig, PruneRequest};
use telemetry_shared::s3::S3ObjectStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry_shared::logging::init_lambda();

    let config = Config::load().await?;
    let prune_cfg = PruneConfig::from_env()?;
    let pool = make_pool(&config.database_url, config.db_pool_size, Workload::Prune)?;
    let aws = load_aws().await;
    let store = S3ObjectStore::from_config(&aws);
    let relayer = Relayer::from_env(pool.clone(), Some(&aws)).await;
    let emf = Emf::install("prune");
    let (pool, store, prune_cfg, relayer, emf) = (&pool, &store, &prune_cfg, &relayer, &emf);

    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // Boxed: the handler's future is deep, and its layout inline in main's overflows
        // the compiler's query depth on a cold build.
        let result = Box::pin(handle(event, pool, store, prune_cfg, relayer)).await;
        if let Some(emf) = emf {
            emf.flush();
        }
        result.map_err(diagnostic)
    }))
    .await
}

/// One invocation: the migration custom resource, a migrate, a relay or a prune.
async fn handle(
    event: LambdaEvent<Value>,
    pool: &Pool,
    store: &S3ObjectStore,
    prune_cfg: &PruneConfig,
    relayer: &Relayer,
) -> Result<Value, Failure> {
    // The stack's migration step (a CloudFormation custom resource) comes here too.
    if let Some(request) = CustomResourceRequest::from_event(&event.payload) {
        let sent = request.handle(pool).await;
        return sent.map_err(|e| Failure::new("CloudFormation", true, e));
    }
    let deadline = deadline_from_epoch_ms(event.context.deadline);
    let action =
        Action::from_event(&event.payload).map_err(|e| Failure::permanent("Payload", e))?;
    let (key, report) = match action {
        Action::Migrate => {
            let mut client = pool.get().await.map_err(DbError::from)?;
            ("migrated", json!(migrate(&mut client).await?))
        }
        Action::Relay => ("prune", Value::Null),
        Action::Prune { dry_run } => {
            let req = PruneRequest {
                now: chrono::Utc::now(),
                deadline: Some(deadline),
                dry_run,
            };
            let report = prune(pool, store, prune_cfg, req).await?;
            report.record_metrics();
            let line = serde_json::to_string(&report).unwrap_or_default();
            tracing::info!(report = %line, "prune finished");
            // An archive that could not be written fails the invocation (the alarm
            // fires); a prune stopped by its deadline resumes the next night.
            if let Some(e) = report.errors().first() {
                return Err(Failure::new("Archive", true, e));
            }
            ("prune", json!(report))
        }
    };
    let relay = relayer.run(Duration::from_secs(60), Some(deadline)).await;
    // A relay-only invocation that left events behind failed: say so to Lambda.
    if report.is_null() {
        if let Some(e) = relay.as_ref().and_then(|r| r.error.as_ref()) {
            let why = format!("the relay left events undelivered: {e}");
            return Err(Failure::new("EventBus", true, why));
        }
    }
    Ok(json!({key: report, "relay": relay}))
}

/// The failure, logged, as Lambda reports it (`errorType` is `Retryable.EventBus`, ...).
fn diagnostic(f: Failure) -> Diagnostic {
    let f = f.logged();
    Diagnostic {
        error_type: f.error_type,
        error_message: f.message,
    }
}
