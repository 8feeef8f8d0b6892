//! The API as an ordinary HTTP server (`telemetry serve`): the same router as on Lambda, over
//! TCP, for teams who run it on a VM or in a container, for the local cloud and for tests.
//! The outbox is published by a background task, not on the request path; in queued mode
//! another task consumes the ingest queue (`crate::http::queue::consume_forever`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::ServiceExt;
use http::Request;
use tokio::net::TcpListener;

use super::HttpIngest;
use crate::outbox::Relayer;

/// How often the background task publishes the outbox.
pub const RELAY_EVERY: Duration = Duration::from_secs(1);

/// Binds `addr` (port 0 picks one); returns the listener and the address it got.
pub async fn bind(addr: SocketAddr) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Serves `api` on `listener` until `shutdown` resolves, publishing the outbox through
/// `relayer` every [`RELAY_EVERY`] meanwhile (when it has a bus) and, when `api` has an
/// ingest queue, storing what it holds.
pub async fn serve(
    listener: TcpListener,
    api: Arc<HttpIngest>,
    relayer: Relayer,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let publisher = relayer.enabled().then(|| {
        tokio::spawn(async move {
            loop {
                relayer.run(Duration::from_secs(10), None).await;
                tokio::time::sleep(RELAY_EVERY).await;
            }
        })
    });
    let consumer = api
        .queue
        .clone()
        .map(|q| tokio::spawn(crate::http::queue::consume_forever(q, api.pool.clone())));
    let app = ServiceExt::<Request<axum::body::Body>>::into_make_service(api.service());
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    for task in [publisher, consumer].into_iter().flatten() {
        task.abort();
    }
    served
}
