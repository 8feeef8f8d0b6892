//! Queued mode (`IngestMode=queued`) on moto's SQS with the real `aws-sdk-sqs` client: the
//! API answers once a batch is on the queue, the consumer stores it, and every event ends up
//! counted once however often its message is delivered; what cannot be read is handed back
//! and dead-lettered, a database that is down costs a retry and no event, and a queue that is
//! down is a 503 the client retries.

use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};
use telemetry_shared::db::{make_pool, Pool, Workload};
use telemetry_shared::http::queue::{
    bodies, consume, consume_once, ConsumeReport, Delivery, SqsQueue,
};
use telemetry_shared::http::store::events::TelemetryEvent;
use telemetry_shared::http::store::write::Refusals;
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::{config, within_one_minute, Api};
use telemetry_tests::queue::TestQueue;
use telemetry_tests::{Moto, TestDb};

const PROJECT: &str = "swamp__1a2b3c4d";

/// `n` events of `who` numbered from `from`, with their own ids.
fn events(who: &str, from: usize, n: usize, pad: usize) -> Vec<Value> {
    (from..from + n)
        .map(|i| {
            json!({"event": "cli_invocation", "distinct_id": who,
                   "insert_id": format!("{who}-{i}"), "timestamp": "2026-12-04T08:00:00.123456Z",
                   "properties": {"command": "init", "exitCode": 0, "pad": "x".repeat(pad)}})
        })
        .collect()
}

/// `batch` as http-ingest validates it before queueing.
fn validated(batch: Vec<Value>) -> Vec<TelemetryEvent> {
    telemetry_shared::http::validate(&json!({ "batch": batch }), Utc::now(), &Default::default())
        .expect("batch")
        .events
        .into_iter()
        .map(|(_, e)| e)
        .collect()
}

/// Consumes until a receive finds nothing; the reports added up.
async fn drain(queue: &SqsQueue, pool: &Pool) -> ConsumeReport {
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

fn statuses(body: &Value) -> Vec<&str> {
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
async fn two_consumers_given_the_same_messages_in_other_orders_store_each_event_once() {
    let db = TestDb::new("queued_race").await;
    telemetry_tests::http_api::create_key(&**db.client().await, PROJECT, KeyKind::Secret).await;
    // SQS may hand one message to two consumers (a visibility timeout passed mid-write), each
    // in a delivery of its own order.
    let deliveries: Vec<Delivery> = (0..8)
        .map(|m| Delivery {
            id: format!("m{m}"),
            body: bodies(
                PROJECT,
                &validated(events("install-r", m * 25, 25, 0)),
                Refusals::default(),
            )
            .expect("bodies")
            .remove(0),
            sent_at_ms: None,
        })
        .collect();
    let mut reversed = deliveries.clone();
    reversed.reverse();
    // A third writer holds one key in the middle, so that both consumers are half-way when it
    // lets go: in opposite orders they would now wait on each other (a deadlock).
    let mut blocker = db.client().await;
    let tx = blocker.transaction().await.expect("tx");
    tx.execute(
        "INSERT INTO telemetry_events (project_id, insert_id, event, distinct_id, properties,
             timestamp, received_at) VALUES ($1, 'install-r-100', 'e', 'd', '{}', now(), now())",
        &[&PROJECT],
    )
    .await
    .expect("hold a key");
    let (pool_a, pool_b) = (db.pool.clone(), db.pool.clone());
    let a = tokio::spawn(async move { consume(&pool_a, &deliveries, Utc::now()).await });
    let b = tokio::spawn(async move { consume(&pool_b, &reversed, Utc::now()).await });
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let waiting: i64 = db
            .client()
            .await
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .await
            .expect("activity")
            .get(0);
        if waiting >= 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the consumers never waited"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tx.rollback().await.expect("let go");
    let (a, b) = (a.await.expect("a"), b.await.expect("b"));
    assert!(a.failed.is_empty() && b.failed.is_empty(), "{a:?} {b:?}");
    assert_eq!(a.accepted + b.accepted, 200, "{a:?} {b:?}");
    assert_eq!(a.duplicate + b.duplicate, 200, "{a:?} {b:?}");
    assert_eq!(db.count("telemetry_events").await, 200);
}

#[tokio::test]
async fn unreadable_and_tampered_messages_cost_no_other_event_and_end_in_the_dead_letter_queue() {
    let moto = Moto::start();
    let q = TestQueue::create(&moto, "ingest-poison").await;
    let db = TestDb::new("queued_poison").await;
    telemetry_tests::http_api::create_key(&**db.client().await, PROJECT, KeyKind::Secret).await;
    let good = validated(events("install-c", 0, 1, 0));
    // Something with sqs:SendMessage writes what http-ingest never would: a NUL in a name,
    // a NUL in a property (jsonb cannot hold one), beside a good event; and bodies that are
    // not messages.
    let mut tampered = good.clone();
    tampered[0].insert_id = "tampered-0".into();
    tampered.push(good[0].clone());
    tampered[1].insert_id = "tampered-1".into();
    tampered[1].event = "cli\u{0}invocation".into();
    tampered.push(good[0].clone());
    tampered[2].insert_id = "tampered-2".into();
    tampered[2].properties = json!({"note": "a\u{0}b"});
    let tampered = bodies(PROJECT, &tampered, Refusals::default()).expect("bodies");
    q.send_raw(&tampered[0]).await;
    let garbage = q.send_raw("{\"format\": 1, \"project_id\": ").await;
    let future = q
        .send_raw(&json!({"format": 99, "project_id": PROJECT, "events": []}).to_string())
        .await;

    let r = drain(&q.queue(), &db.pool).await;
    let mut failed = r.failed.clone();
    failed.sort();
    let mut want = vec![garbage.clone(), future.clone()];
    want.sort();
    assert_eq!(failed, want, "{r:?}");
    assert_eq!((r.unreadable, r.accepted, r.rejected), (2, 1, 2), "{r:?}");
    assert_eq!(db.count("telemetry_events").await, 1);
    let reason: Value = db
        .client()
        .await
        .query_one(
            "SELECT payload FROM outbox_events WHERE type = 'batch_ingested'",
            &[],
        )
        .await
        .expect("outbox")
        .get(0);
    assert_eq!(reason["rejected"], 2, "{reason}");
    assert_eq!(reason["rejects"][0]["path"], "$.events[1].event");

    // Handed back, they come back after the visibility timeout; on the third receive SQS
    // moves them to the dead-letter queue, and nothing else was lost meanwhile.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while q.dead_letters().await.len() < 2 {
        assert!(std::time::Instant::now() < deadline, "never dead-lettered");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let again = drain(&q.queue(), &db.pool).await;
        assert_eq!(again.accepted + again.duplicate, 0, "{again:?}");
    }
    assert_eq!(q.depth(&q.url).await, 0);
    assert_eq!(db.count("telemetry_events").await, 1);
}

#[tokio::test]
async fn the_database_down_hands_every_message_back_and_the_next_delivery_stores_them() {
    let db = TestDb::new("queued_db_down").await;
    telemetry_tests::http_api::create_key(&**db.client().await, PROJECT, KeyKind::Secret).await;
    let valid = validated(events("install-d", 0, 3, 0));
    let deliveries: Vec<Delivery> = bodies(PROJECT, &valid, Refusals::default())
        .expect("bodies")
        .into_iter()
        .map(|body| Delivery {
            id: "m-down".into(),
            body,
            sent_at_ms: None,
        })
        .collect();
    let port = telemetry_tests::free_port();
    let down = make_pool(
        &format!("postgres://postgres@127.0.0.1:{port}/nowhere"),
        1,
        Workload::Ingest,
    )
    .expect("pool");
    let r = consume(&down, &deliveries, Utc::now()).await;
    assert_eq!(r.failed, ["m-down"]);
    assert_eq!((r.retried, r.accepted, r.events), (3, 0, 3), "{r:?}");
    let r = consume(&db.pool, &deliveries, Utc::now()).await;
    assert_eq!((r.accepted, r.failed.len()), (3, 0));
    assert_eq!(db.count("telemetry_events").await, 3);
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
async fn a_queue_that_is_down_is_a_503_to_retry_and_costs_the_install_nothing() {
    let sqs = {
        let conf = aws_sdk_sqs::config::Builder::new()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(aws_sdk_sqs::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_sqs::config::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .endpoint_url(format!("http://127.0.0.1:{}", telemetry_tests::free_port()))
            .build();
        aws_sdk_sqs::Client::from_conf(conf)
    };
    let t = Api::with_queue(
        "queued_down",
        config(),
        SqsQueue::new(sqs, "http://127.0.0.1:1/000000000000/ingest"),
    )
    .await;
    within_one_minute().await;
    let token = t.key(PROJECT, KeyKind::Public).await;
    let path = format!("/p/{token}/ingest");
    let body = json!({"batch": events("install-f", 0, 5, 0)});
    let a = t.post_public(&path, &body).await;
    assert_eq!(a.status, 503, "{}", a.body);
    assert_eq!(a.body["error"], "unavailable", "{}", a.body);
    assert!(a.headers.contains_key("retry-after"));
    // The install's 5 events a minute were given back: the retry is not throttled.
    let used: i64 =
        t.db.client()
            .await
            .query_one(
                "SELECT coalesce(sum(events), 0)::bigint FROM api_install_usage",
                &[],
            )
            .await
            .expect("usage")
            .get(0);
    assert_eq!(used, 0);
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
