//! Queued mode (`IngestMode=queued`) on moto's SQS with the real `aws-sdk-sqs` client: the
//! API answers once a batch is on the queue, the consumer stores it, and every event ends up
//! counted once however often its message is delivered (`faults`: what cannot be read, a
//! database or a queue that is down, two consumers racing).

mod faults;

use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};
use telemetry_shared::db::Pool;
use telemetry_shared::http::queue::{
    bodies, consume, consume_once, ConsumeReport, Delivery, SqsQueue,
};
use telemetry_shared::http::store::events::TelemetryEvent;
use telemetry_shared::http::store::write::Refusals;
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::{config, within_one_minute, Api};
use telemetry_tests::queue::TestQueue;
use telemetry_tests::{Moto, TestDb};

pub(super) const PROJECT: &str = "swamp__1a2b3c4d";

/// `n` events of `who` numbered from `from`, with their own ids.
pub(super) fn events(who: &str, from: usize, n: usize, pad: usize) -> Vec<Value> {
    (from..from + n)
        .map(|i| {
            json!({"event": "cli_invocation", "distinct_id": who,
                   "insert_id": format!("{who}-{i}"), "timestamp": "2026-12-04T08:00:00.123456Z",
                   "properties": {"command": "init", "exitCode": 0, "pad": "x".repeat(pad)}})
        })
        .collect()
}

/// `batch` as http-ingest validates it before queueing.
pub(super) fn validated(batch: Vec<Value>) -> Vec<TelemetryEvent> {
    telemetry_shared::http::validate(&json!({ "batch": batch }), Utc::now(), &Default::default())
        .expect("batch")
        .events
        .into_iter()
        .map(|(_, e)| e)
        .collect()
}

/// Consumes until a receive finds nothing; the reports added up.
pub(super) async fn drain(queue: &SqsQueue, pool: &Pool) -> ConsumeReport {
    let mut total = ConsumeReport::default();
    loop {
        let r = consume_once(queue, pool, Duration::ZERO)
            .await
            .expect("consume");
        if r.messages == 0 {
            return total;
        }
        assert_eq!(
            r.events,
            r.accepted + r.duplicate + r.rejected + r.retried,
            "{r:?}"
        );
        total.messages += r.messages;
        total.events += r.events;
        total.accepted += r.accepted;
        total.duplicate += r.duplicate;
        total.rejected += r.rejected;
        total.retried += r.retried;
        total.unreadable += r.unreadable;
        total.failed.extend(r.failed);
    }
}

pub(super) fn statuses(body: &Value) -> Vec<&str> {
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["status"].as_str().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn a_queued_batch_is_answered_at_once_and_stored_once_however_often_it_is_sent() {
    let moto = Moto::start();
    let q = TestQueue::create(&moto, "ingest-once").await;
    let t = Api::with_queue("queued_once", config(), q.queue()).await;
    let key = t.key(PROJECT, KeyKind::Secret).await;
    let mut batch = events("install-a", 0, 3, 0);
    batch.push(json!({"event": "cli_invocation", "properties": {}}));
    let body = json!({"batch": batch, "sent_at": Utc::now()});

    let a = t.post("/ingest", &key, &body).await;
    assert_eq!(a.status, 207, "{}", a.body);
    assert_eq!(
        statuses(&a.body),
        ["queued", "queued", "queued", "rejected"]
    );
    assert_eq!(
        (a.body["queued"].as_u64(), a.body["rejected"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(a.body["results"][3]["path"], "$.batch[3].distinct_id");
    assert_eq!(t.events(PROJECT).await, 0, "answered before it is stored");
    assert_eq!(q.depth(&q.url).await, 1);

    let r = drain(&q.queue(), &t.db.pool).await;
    assert_eq!((r.accepted, r.duplicate, r.rejected), (3, 0, 1), "{r:?}");
    assert!(r.failed.is_empty());
    assert_eq!(t.events(PROJECT).await, 3);

    // The client sends it again (its answer was lost): queued again, stored once.
    let again = t.post("/ingest", &key, &body).await;
    assert_eq!(again.status, 207);
    let r = drain(&q.queue(), &t.db.pool).await;
    assert_eq!((r.accepted, r.duplicate, r.rejected), (0, 3, 1), "{r:?}");
    assert_eq!(t.events(PROJECT).await, 3);
    assert_eq!(q.depth(&q.url).await, 0, "stored messages are deleted");

    // Each stored message wrote its batch's outbox event, the API's refusal counted in it.
    let rows =
        t.db.client()
            .await
            .query(
                "SELECT payload FROM outbox_events WHERE type = 'batch_ingested' ORDER BY event_id",
                &[],
            )
            .await
            .expect("outbox");
    let payloads: Vec<Value> = rows.iter().map(|r| r.get("payload")).collect();
    assert_eq!(payloads.len(), 2, "{payloads:?}");
    assert_eq!(
        (&payloads[0]["accepted"], &payloads[0]["rejected"]),
        (&json!(3), &json!(1))
    );
    assert_eq!(payloads[0]["rejects"][0]["path"], "$.batch[3].distinct_id");
    assert_eq!(payloads[1]["duplicate"], 3);
    // Microseconds survive the queue.
    let ts: String =
        t.db.client()
            .await
            .query_one(
                "SELECT min(client_timestamp)::text FROM telemetry_events",
                &[],
            )
            .await
            .expect("ts")
            .get(0);
    assert!(ts.contains("08:00:00.123456"), "{ts}");
}

#[tokio::test]
async fn a_queued_request_with_an_event_twice_and_a_nul_stores_one_and_says_why_not_the_other() {
    let moto = Moto::start();
    let q = TestQueue::create(&moto, "ingest-hostile").await;
    let t = Api::with_queue("queued_hostile", config(), q.queue()).await;
    let key = t.key(PROJECT, KeyKind::Secret).await;
    let mut batch = events("install-h", 0, 1, 0);
    batch.push(batch[0].clone());
    let mut nul = events("install-h", 1, 1, 0).remove(0);
    nul["properties"]["note"] = json!("a\u{0}b");
    batch.push(nul);
    let a = t.post("/ingest", &key, &json!({ "batch": batch })).await;
    assert_eq!(a.status, 207, "{}", a.body);
    assert_eq!(statuses(&a.body), ["queued", "queued", "rejected"]);
    assert_eq!(a.body["results"][2]["path"], "$.batch[2].properties.note");
    let r = drain(&q.queue(), &t.db.pool).await;
    assert_eq!((r.accepted, r.duplicate, r.rejected), (1, 1, 1), "{r:?}");
    assert_eq!(t.events(PROJECT).await, 1);
}

#[tokio::test]
async fn one_message_delivered_twice_in_one_delivery_and_again_later_stores_once() {
    let db = TestDb::new("queued_twice").await;
    telemetry_tests::http_api::create_key(&**db.client().await, PROJECT, KeyKind::Secret).await;
    let valid = validated(events("install-b", 0, 4, 0));
    let message = bodies(PROJECT, &valid, Refusals::default()).expect("bodies");
    assert_eq!(message.len(), 1);
    let delivery = |id: &str| Delivery {
        id: id.into(),
        body: message[0].clone(),
        sent_at_ms: Some(Utc::now().timestamp_millis() - 3_000),
    };
    let r = consume(
        &db.pool,
        &[delivery("m1"), delivery("m1-again")],
        Utc::now(),
    )
    .await;
    assert_eq!((r.accepted, r.duplicate, r.events), (4, 4, 8), "{r:?}");
    assert!(r.failed.is_empty());
    assert!(r.oldest_seconds >= 3.0, "{r:?}");
    let later = consume(&db.pool, &[delivery("m1")], Utc::now()).await;
    assert_eq!((later.accepted, later.duplicate), (0, 4));
    assert_eq!(db.count("telemetry_events").await, 4);
}

#[tokio::test]
async fn a_batch_too_large_for_one_message_is_split_and_stored_whole() {
    let moto = Moto::start();
    let q = TestQueue::create(&moto, "ingest-split").await;
    let t = Api::with_queue("queued_split", config(), q.queue()).await;
    let key = t.key(PROJECT, KeyKind::Secret).await;
    // 15 events of 60 kB: under the request's 1 MiB, four times SQS's 256 KiB.
    let a = t
        .post(
            "/ingest",
            &key,
            &json!({"batch": events("install-e", 0, 15, 60_000)}),
        )
        .await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert!(q.depth(&q.url).await >= 4);
    let r = drain(&q.queue(), &t.db.pool).await;
    assert_eq!((r.accepted, r.messages), (15, r.messages), "{r:?}");
    assert!(r.messages >= 4);
    assert_eq!(t.events(PROJECT).await, 15);
}

#[tokio::test]
async fn a_public_token_in_queued_mode_keeps_its_per_install_limit() {
    let moto = Moto::start();
    let q = TestQueue::create(&moto, "ingest-public").await;
    let mut cfg = telemetry_tests::http_api::config();
    cfg.public_events_per_minute = 100;
    let t = Api::with_queue("queued_public", cfg, q.queue()).await;
    within_one_minute().await;
    let token = t.key(PROJECT, KeyKind::Public).await;
    let path = format!("/p/{token}/ingest");
    let five = json!({"batch": events("install-g", 0, 5, 0)});
    assert_eq!(t.post_public(&path, &five).await.status, 202);
    let over = t
        .post_public(&path, &json!({"batch": events("install-g", 5, 1, 0)}))
        .await;
    assert_eq!(over.status, 429, "{}", over.body);
    assert_eq!(over.body["details"]["scope"], "install");
    // Stored, the same five sent again are known, and cost nothing.
    drain(&q.queue(), &t.db.pool).await;
    assert_eq!(t.post_public(&path, &five).await.status, 202);
    assert_eq!(t.events(PROJECT).await, 5);
}
