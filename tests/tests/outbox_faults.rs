//! The relay against an EventBridge that misbehaves, through the real SDK client with the
//! timeouts the functions use: a bus that refuses connections, and one that accepts and
//! never answers. The relay returns within its budget, publishes nothing it cannot, keeps
//! every event with its `last_error`, and says it failed.

use std::time::Duration;

use telemetry_shared::outbox::{bus_timeouts, relay, EventBridgeBus};
use telemetry_tests::fake_pg::FakePg;
use telemetry_tests::{free_port, TestDb};
use tokio::time::Instant;

fn bus_at(endpoint: &str) -> EventBridgeBus {
    let conf = aws_sdk_eventbridge::config::Builder::new()
        .behavior_version(aws_sdk_eventbridge::config::BehaviorVersion::latest())
        .region(aws_sdk_eventbridge::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_eventbridge::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .endpoint_url(endpoint)
        .timeout_config(bus_timeouts())
        .build();
    EventBridgeBus::new(aws_sdk_eventbridge::Client::from_conf(conf), "telemetry")
}

async fn seed(db: &TestDb, n: i64) {
    db.client()
        .await
        .execute(
            "INSERT INTO outbox_events (type, source, payload)
             SELECT 'file_ingested', 'telemetry.ingest', jsonb_build_object('n', i)
             FROM generate_series(1, $1::int8) i",
            &[&n],
        )
        .await
        .expect("events");
}

async fn undelivered_with_error(db: &TestDb) -> (i64, i64) {
    let r = db
        .client()
        .await
        .query_one(
            "SELECT count(*) FILTER (WHERE delivered_at IS NULL),
                    count(*) FILTER (WHERE last_error IS NOT NULL)
             FROM outbox_events",
            &[],
        )
        .await
        .expect("counts");
    (r.get(0), r.get(1))
}

#[tokio::test]
async fn a_bus_that_never_answers_costs_the_relay_its_deadline_and_no_more() {
    let db = TestDb::new("outbox_silent_bus").await;
    seed(&db, 23).await;
    let silent = FakePg::silent();
    let bus = bus_at(&format!("http://127.0.0.1:{}", silent.port));
    let t0 = Instant::now();
    let report = relay(&db.pool, &bus, Some(t0 + Duration::from_secs(2)))
        .await
        .expect("a report");
    let took = t0.elapsed();
    assert!(took < Duration::from_secs(4), "{took:?}");
    assert_eq!((report.published, report.pending), (0, 23), "{report:?}");
    assert!(
        report
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("did not answer"),
        "{report:?}"
    );
    let (undelivered, with_error) = undelivered_with_error(&db).await;
    assert_eq!(undelivered, 23);
    assert!(with_error >= 1, "the error is kept on the events");
    db.drop_db().await;
}

#[tokio::test]
async fn a_bus_that_refuses_connections_fails_fast_and_keeps_every_event() {
    let db = TestDb::new("outbox_refusing_bus").await;
    seed(&db, 23).await;
    let bus = bus_at(&format!("http://127.0.0.1:{}", free_port()));
    let t0 = Instant::now();
    // No deadline of its own: the SDK's timeouts and one failed call bound it.
    let report = relay(&db.pool, &bus, None).await.expect("a report");
    let took = t0.elapsed();
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!((report.published, report.pending), (0, 23), "{report:?}");
    assert!(
        report
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("PutEvents"),
        "{report:?}"
    );
    assert_eq!(undelivered_with_error(&db).await.0, 23);
    db.drop_db().await;
}
