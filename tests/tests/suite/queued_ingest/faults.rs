//! Queued mode when things go wrong: messages that cannot be read or were tampered with,
//! the database down under the consumer, the queue down under the API, and two consumers
//! handed the same messages at once.

use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};
use telemetry_shared::db::{make_pool, Workload};
use telemetry_shared::http::queue::{bodies, consume, Delivery, SqsQueue};
use telemetry_shared::http::store::write::Refusals;
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::{config, within_one_minute, Api};
use telemetry_tests::queue::TestQueue;
use telemetry_tests::{Moto, TestDb};

use super::{drain, events, validated, PROJECT};

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
