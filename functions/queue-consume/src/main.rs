//! queue-consume: the SQS-triggered Lambda of `IngestMode=queued`. Wiring only: the
//! configuration and the database pool are built once at cold start (the pool sized by
//! `DB_POOL_SIZE`, the connections capped by the function's reserved concurrency); every
//! delivery goes to `telemetry_shared::http::queue::consume`, and the messages it hands back are
//! answered as a partial batch response (`ReportBatchItemFailures`), so only they are
//! delivered again, and after the queue's `maxReceiveCount` dead-lettered.
//!
//! The outbox is not published here: the prune function's one-minute relay publishes it.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use telemetry_shared::config::Config;
use telemetry_shared::db::{make_pool, Workload};
use telemetry_shared::emf::Emf;
use telemetry_shared::http::queue::{consume, Delivery};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry_shared::logging::init_lambda();

    let config = Config::load().await?;
    let pool = make_pool(&config.database_url, config.db_pool_size, Workload::Ingest)?;
    let emf = Emf::install("queue-consume");
    let (pool, emf) = (&pool, &emf);

    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let deliveries: Vec<Delivery> = event
            .payload
            .records
            .into_iter()
            .map(|m| Delivery {
                sent_at_ms: m
                    .attributes
                    .get("SentTimestamp")
                    .and_then(|t| t.parse().ok()),
                id: m.message_id.unwrap_or_default(),
                body: m.body.unwrap_or_default(),
            })
            .collect();
        let report = consume(pool, &deliveries, chrono::Utc::now()).await;
        tracing::info!(?report, "queued batches consumed");
        if let Some(emf) = emf {
            emf.flush();
        }
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = report
            .failed
            .into_iter()
            .map(|id| {
                let mut f = BatchItemFailure::default();
                f.item_identifier = id;
                f
            })
            .collect();
        Ok::<_, Error>(response)
    }))
    .await
}
