//! http-ingest: the API Gateway HTTP API (payload v2.0) Lambda. Wiring only: configuration,
//! the webhook secret (environment or Secrets Manager) and the database pool are built once
//! at cold start; every request goes to `telemetry_shared::http::HttpIngest`.

use std::sync::Arc;
use std::time::Duration;

use lambda_http::http::Method;
use lambda_http::{service_fn, Body, Error, Request, Response};
use telemetry_shared::config::Config;
use telemetry_shared::db::{make_pool, Workload};
use telemetry_shared::http::{respond, HttpConfig, HttpIngest};
use telemetry_shared::outbox::Relayer;
use telemetry_shared::secrets::{extension_url, read_secret};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry_shared::logging::init_lambda();

    let config = Config::load().await?;
    let mut http = HttpConfig::from_env()?;
    if let Ok(id) = std::env::var("GITHUB_WEBHOOK_SECRET_ARN") {
        if !id.is_empty() {
            http.webhook_secret = Some(read_secret(&extension_url(), &id, "webhook_secret").await?);
        }
    }
    // Connections are opened on first use, not here: a cold start does not wait for them.
    let pool = make_pool(&config.database_url, config.db_pool_size, Workload::Request)?;
    let relayer = Relayer::from_env(pool.clone(), None).await;
    let service = Arc::new(HttpIngest::new(pool, http)).service();
    let (service, relayer) = (&service, &relayer);

    lambda_http::run(service_fn(move |req: Request| async move {
        let (parts, body) = req.into_parts();
        let req = lambda_http::http::Request::from_parts(parts, body.to_vec());
        let write = req.method() == Method::POST;
        let resp = respond(service, req).await;
        // A stored write committed its outbox event: publish it before answering.
        if write && resp.status().is_success() {
            relayer.run(Duration::from_secs(2), None).await;
        }
        Ok::<Response<Body>, Error>(resp.map(Body::from))
    }))
    .await
}
