//! `telemetry serve`: the HTTP API as an ordinary server (the router http-ingest runs on
//! Lambda), with the outbox published in the background and, with `INGEST_QUEUE_URL` set,
//! the ingest queue consumed in the background (queued mode). Stops on Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use telemetry_shared::db::{make_pool, Workload};
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
    if let Some(url) = &config.ingest_queue_url {
        eprintln!("telemetry serve: queued mode: event batches go to {url}, consumed here");
    }
    let api = Arc::new(HttpIngest::new(pool, config).with_aws_clients().await);
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
