//! http-ingest: the API Gateway HTTP API (payload v2.0) Lambda. Wiring only: configuration,
//! the webhook secret (environment or Secrets Manager), the database pool and (when it may
//! read workers' logs) the S3 client and (in queued mode) the SQS client are built once at
//! cold start; every request goes to `telemetry_shared::http::HttpIngest`.
//!
//! The outbox is not published here: a request answers as soon as its transaction commits,
//! and the prune function's one-minute relay schedule publishes what it wrote.

use std::sync::Arc;

use lambda_http::{service_fn, Body, Error, Request, Response};
use telemetry_shared::config::Config;
use telemetry_shared::db::{make_pool, Workload};
use telemetry_shared::emf::Emf;
use telemetry_shared::http::{respond, HttpConfig, HttpIngest};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry_shared::logging::init_lambda();

    let config = Config::load().await?;
    let http = HttpConfig::load().await?;
    // Connections are opened on first use, not here: a cold start does not wait for them.
    let pool = make_pool(&config.database_url, config.db_pool_size, Workload::Request)?;
    // The AWS clients too are built once, and only those the configuration asks for.
    let api = HttpIngest::new(pool, http).with_aws_clients().await;
    let service = Arc::new(api).service();
    let emf = Emf::install("http-ingest");
    let (service, emf) = (&service, &emf);

    lambda_http::run(service_fn(move |req: Request| async move {
        let (parts, body) = req.into_parts();
        let req = lambda_http::http::Request::from_parts(parts, body.to_vec());
        let resp = respond(service, req).await;
        if let Some(emf) = emf {
            emf.flush();
        }
        Ok::<Response<Body>, Error>(resp.map(Body::from))
    }))
    .await
}
