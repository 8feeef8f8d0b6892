//! Replay by cursor under concurrent writers: an event whose transaction commits after a
//! higher id was read is still returned to a consumer following `next_cursor`, and every
//! event is returned exactly once. Real PostgreSQL, concurrent transactions.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::json;
use telemetry_shared::outbox::{after, append, EventKind, NewEvent};
use telemetry_tests::TestDb;

fn event(n: u64) -> NewEvent<'static> {
    NewEvent {
        kind: EventKind::BatchIngested,
        project_id: None,
        broadcast_level: None,
        payload: json!({"n": n}),
        dedup_key: None,
    }
}

#[tokio::test]
async fn an_event_that_commits_late_is_not_skipped() {
    let db = TestDb::new("replay_late").await;
    let mut late = db.client().await;
    let tx = tokio_postgres::Client::transaction(&mut late)
        .await
        .expect("begin");
    let early_id = append(&tx, &event(1)).await.expect("append").expect("id");
    // A later transaction takes a higher id and commits first.
    let other = db.client().await;
    let later_id = append(&**other, &event(2))
        .await
        .expect("append")
        .expect("id");
    assert!(later_id > early_id);

    let mut reader = db.client().await;
    let first = after(&mut **reader, 0, None, 100).await.expect("read");
    assert_eq!(first.iter().map(|e| e.id).collect::<Vec<_>>(), [later_id]);
    let cursor = first[0].cursor.expect("cursor");

    tx.commit().await.expect("commit");
    let next = after(&mut **reader, cursor, None, 100).await.expect("read");
    assert_eq!(
        next.iter().map(|e| e.id).collect::<Vec<_>>(),
        [early_id],
        "the late event follows the cursor"
    );
    let end = after(&mut **reader, next[0].cursor.expect("cursor"), None, 100)
        .await
        .expect("read");
    assert!(end.is_empty());
    db.drop_db().await;
}

#[tokio::test]
async fn a_consumer_following_the_cursor_gets_every_event_once_under_concurrent_writers() {
    let db = TestDb::new("replay_concurrent").await;
    const WRITERS: u64 = 6;
    const EACH: u64 = 40;
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let pool = db.pool.clone();
        writers.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..EACH {
                let mut client = pool.get().await.expect("client");
                let tx = tokio_postgres::Client::transaction(&mut client)
                    .await
                    .expect("begin");
                let id = append(&tx, &event(w * 1000 + i))
                    .await
                    .expect("append")
                    .expect("id");
                // Hold the transaction open a varying while, so commits interleave out of
                // id order.
                tokio::time::sleep(Duration::from_millis((w * 7 + i * 3) % 11)).await;
                tx.commit().await.expect("commit");
                ids.push(id);
            }
            ids
        }));
    }
    let mut reader = db.client().await;
    let (mut cursor, mut seen) = (0_i64, Vec::new());
    let started = std::time::Instant::now();
    loop {
        let done = writers.iter().all(|w| w.is_finished());
        let page = after(&mut **reader, cursor, None, 7).await.expect("read");
        if let Some(last) = page.last() {
            cursor = last.cursor.expect("cursor");
        }
        let empty = page.is_empty();
        seen.extend(page.iter().map(|e| e.id));
        if done && empty {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "bounded");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut written = BTreeSet::new();
    for w in writers {
        written.extend(w.await.expect("writer"));
    }
    assert_eq!(written.len() as u64, WRITERS * EACH);
    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no event twice");
    assert_eq!(unique, written, "no event skipped");
    db.drop_db().await;
}
