//! `telemetry serve`: the HTTP API as an ordinary server (the router http-ingest runs on
//! Lambda), with the outbox published in the background and, with `INGEST_QUEUE_URL` set,
//! the ingest queue consumed in the background (queued mode). Stops on Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use telemetry_shared::db::{make_pool, Workload};
use telemetry_shared::http::queue::SqsQueue;
use telemetry_shared::http::serve::{bind, serve};
use telemetry_shared::http::{HttpConfig, HttpIngest};
use telemetry_shared::outbox::Relayer;

use super::DbArgs;

/// Serves on `listen` with a pool of `pool_size` connections.
pub async fn run(db: &DbArgs, listen: SocketAddr, pool_size: usize) -> anyhow::Result<()> {
    let config = HttpConfig::from_env()?;
    let pool = make_pool(db.url()?, pool_size, Workload::Request)?;
    let relayer = Relayer::from_env(pool.clone(), None).await;
    let (listener, addr) = bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    // The address on stdout (port 0 picks one), so a script or a test can read it.
    println!("listening on http://{addr}");
    eprintln!(
        "telemetry serve: http://{addr} (GET /healthz, GET /openapi.json); the dashboard: http://{addr}/dashboard (a read key: telemetry keys create --read); outbox {}",
        if relayer.enabled() {
            "published every second"
        } else {
            "not published (EVENT_BUS_NAME unset)"
        }
    );
    let (logs, queue) = (config.log_bucket.is_some(), config.ingest_queue_url.clone());
    let mut api = HttpIngest::new(pool, config);
    if logs || queue.is_some() {
        let aws = telemetry_shared::config::load_aws().await;
        if logs {
            api = api.with_log_store(telemetry_shared::objects::S3ObjectStore::from_config(&aws));
        }
        if let Some(url) = queue {
            eprintln!("telemetry serve: queued mode: event batches go to {url}, consumed here");
            api = api.with_queue(SqsQueue::from_config(&aws, url));
        }
    }
    let api = Arc::new(api);
    serve(listener, api, relayer, shutdown()).await?;
    eprintln!("telemetry serve: stopped");
    Ok(())
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
