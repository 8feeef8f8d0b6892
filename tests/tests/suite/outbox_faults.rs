//! The relay against an EventBridge that misbehaves, through the real SDK client with the
//! timeouts the functions use: a bus that refuses connections, and one that accepts and
//! never answers. The relay returns within its budget, publishes nothing it cannot, keeps
//! every event with its `last_error`, and says it failed. An entry the bus always rejects is
//! parked so its source moves on; events go out in commit order.

use std::time::Duration;

use telemetry_shared::outbox::{
    bus_timeouts, list_parked, relay, unpark, EventBridgeBus, PARK_AFTER,
};
use telemetry_tests::bus::{BusSink, FlakyBus};
use telemetry_tests::fake_pg::FakePg;
use telemetry_tests::{free_port, Moto, TestDb};
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

async fn append(db: &TestDb, source: &str, n: i64) {
    db.client()
        .await
        .execute(
            "INSERT INTO outbox_events (type, source, payload)
             SELECT 'e', $1, jsonb_build_object('n', i) FROM generate_series(1, $2::int8) i",
            &[&source, &n],
        )
        .await
        .expect("events");
}

#[tokio::test]
async fn an_entry_the_bus_always_rejects_is_parked_and_its_source_moves_on() {
    let moto = Moto::start();
    let sink = BusSink::create(&moto, "telemetry-parking").await;
    let db = TestDb::new("outbox_parking").await;
    // One poison entry, 120 events of its source behind it, then 10 of another source.
    db.client()
        .await
        .execute(
            "INSERT INTO outbox_events (type, source, payload)
             VALUES ('file_ingested', 'telemetry.ingest', '{\"poison\": true}')",
            &[],
        )
        .await
        .expect("poison");
    append(&db, "telemetry.ingest", 120).await;
    append(&db, "telemetry.github", 10).await;
    let poisoned = FlakyBus::new(sink.bus(), vec!["\"poison\":true".into()], u32::MAX)
        .rejecting_with("MalformedDetail: Detail is malformed.");
    let mut published = 0;
    let mut parked = 0;
    for _ in 0..PARK_AFTER + 2 {
        let r = relay(&db.pool, &poisoned, None).await.expect("relay");
        published += r.published;
        parked += r.parked;
    }
    assert_eq!((published, parked), (130, 1), "the others went out");
    let got = sink.drain().await;
    assert_eq!(got.len(), 130);
    let c = db.client().await;
    let listed = list_parked(&**c).await.expect("parked");
    assert_eq!(listed.len(), 1);
    assert!(
        listed[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("MalformedDetail"),
        "{listed:?}"
    );
    // Fixed (here: the bus now takes it): retried by id, it goes out.
    assert_eq!(
        unpark(&**c, Some(&[listed[0].id])).await.expect("unpark"),
        1
    );
    let r = relay(&db.pool, &sink.bus(), None).await.expect("relay");
    assert_eq!((r.published, r.pending), (1, 0));
    assert!(list_parked(&**c).await.expect("parked").is_empty());
    drop(c);
    db.drop_db().await;
}

#[tokio::test]
async fn throttled_entries_are_never_parked() {
    let moto = Moto::start();
    let sink = BusSink::create(&moto, "telemetry-throttled").await;
    let db = TestDb::new("outbox_throttled").await;
    append(&db, "telemetry.ingest", 3).await;
    let throttled = FlakyBus::new(sink.bus(), vec!["\"n\":2".into()], u32::MAX);
    for _ in 0..PARK_AFTER + 2 {
        let r = relay(&db.pool, &throttled, None).await.expect("relay");
        assert_eq!(r.parked, 0);
    }
    let c = db.client().await;
    assert!(list_parked(&**c).await.expect("parked").is_empty());
    drop(c);
    db.drop_db().await;
}

#[tokio::test]
async fn events_reach_the_bus_in_commit_order_and_none_is_skipped() {
    let moto = Moto::start();
    let sink = BusSink::create(&moto, "telemetry-order").await;
    let db = TestDb::new("outbox_commit_order").await;
    let mut early = db.client().await;
    let late = db.client().await;
    // The first id is taken by a transaction that commits last.
    let tx = early.transaction().await.expect("tx");
    tx.execute(
        "INSERT INTO outbox_events (type, source, payload) VALUES ('e', 'telemetry.ingest', '{\"which\": \"first id\"}')",
        &[],
    )
    .await
    .expect("first");
    late.execute(
        "INSERT INTO outbox_events (type, source, payload) VALUES ('e', 'telemetry.ingest', '{\"which\": \"second id\"}')",
        &[],
    )
    .await
    .expect("second");
    let r = relay(&db.pool, &sink.bus(), None).await.expect("relay");
    assert_eq!(r.published, 1, "only what is committed");
    tx.commit().await.expect("commit");
    let r = relay(&db.pool, &sink.bus(), None).await.expect("relay");
    assert_eq!(
        (r.published, r.pending),
        (1, 0),
        "the late one is not skipped"
    );
    let got = sink.drain().await;
    let order: Vec<&str> = got
        .iter()
        .map(|e| e["detail"]["payload"]["which"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(order, ["second id", "first id"], "as they committed");
    let cursors: Vec<i64> = got
        .iter()
        .map(|e| e["detail"]["cursor"].as_i64().unwrap_or(0))
        .collect();
    assert!(cursors[0] < cursors[1], "{cursors:?}");
    drop((early, late));
    db.drop_db().await;
}
