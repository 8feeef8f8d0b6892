//! The client against the real http-ingest handler, run by `cargo lambda watch` behind its
//! function URL with a fresh PostgreSQL database: batches of 25 oldest first, sent files
//! deleted or kept as `.flushed.json`, 2-day retention, and silence when the server is down.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use telemetry_client::{flush, FlushConfig, HttpSender, RepoId, Spool, RETENTION};
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::create_key;
use telemetry_tests::lambda::Watch;
use telemetry_tests::{free_port, TestDb};

fn temp_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("telemetry-client-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[tokio::test]
async fn flushes_oldest_first_in_batches_keeps_or_deletes_and_expires() {
    let db = TestDb::new("client_flush").await;
    let token = create_key(&**db.client().await, "swamp__1a2b3c4d", KeyKind::Public).await;
    // Warmed up first: the client's 5-second timeout must not include building the function.
    let watch = Watch::start_http(&[("DATABASE_URL", &db.url)], "http-ingest", "/healthz");
    let endpoint = format!(
        "http://127.0.0.1:{}/lambda-url/http-ingest/p/{}",
        watch.port, token
    );
    let dir = temp_dir("flush");
    let spool_dir = dir.join("spool");
    let spool = Spool::new(&spool_dir);
    let repo = RepoId::load_or_create(dir.join("repo-id")).expect("repo id");
    let start = Utc::now() - chrono::Duration::minutes(40);
    for i in 0..30 {
        spool
            .record_at(
                "cli_invocation",
                json!({"command": "init", "n": i}),
                start + chrono::Duration::minutes(i),
            )
            .expect("spooled");
    }
    let sender = HttpSender::new(&endpoint, None).expect("sender");
    let config = FlushConfig::new(repo.as_str());

    assert_eq!(flush(&spool, &sender, &config).await, 25);
    assert_eq!(db.count("telemetry_events").await, 25);
    let left = spool.find_unflushed(100);
    let ns: Vec<i64> = left
        .iter()
        .map(|e| e.properties["n"].as_i64().expect("n"))
        .collect();
    assert_eq!(ns, vec![25, 26, 27, 28, 29], "the oldest 25 went first");
    let client = db.client().await;
    let distinct: String = client
        .query_one("SELECT DISTINCT distinct_id FROM telemetry_events", &[])
        .await
        .expect("row")
        .get(0);
    assert_eq!(distinct, repo.as_str());

    // Kept: renamed, and not sent again.
    let keep = FlushConfig {
        keep_flushed: true,
        ..config.clone()
    };
    assert_eq!(flush(&spool, &sender, &keep).await, 5);
    assert_eq!(db.count("telemetry_events").await, 30);
    let files = names(&spool_dir);
    assert_eq!(files.len(), 5);
    assert!(
        files.iter().all(|f| f.ends_with(".flushed.json")),
        "{files:?}"
    );
    assert_eq!(
        flush(&spool, &sender, &keep).await,
        0,
        "nothing left to send"
    );

    // Two-day retention removes old files of both kinds and keeps recent ones.
    spool
        .record_at(
            "cli_invocation",
            json!({"old": true}),
            Utc::now() - chrono::Duration::days(3),
        )
        .expect("old");
    spool
        .record("cli_invocation", json!({"new": true}))
        .expect("new");
    let old_flushed = spool_dir.join(&files[0]);
    let mut text: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&old_flushed).expect("read")).expect("json");
    text["startedAt"] = json!(Utc::now() - chrono::Duration::days(3));
    std::fs::write(&old_flushed, text.to_string()).expect("age");
    assert_eq!(spool.cleanup_older_than(RETENTION), 2);
    assert_eq!(names(&spool_dir).len(), 5);
    drop(watch);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_server_that_is_down_changes_nothing_and_says_nothing() {
    let dir = temp_dir("down");
    let spool = Spool::new(&dir);
    spool
        .record("cli_invocation", json!({"command": "init"}))
        .expect("spooled");
    let nobody = format!("http://127.0.0.1:{}", free_port());
    let sender = HttpSender::new(&nobody, None).expect("sender");
    let started = std::time::Instant::now();
    let config = FlushConfig::new("550e8400-e29b-41d4-a716-446655440000");
    assert_eq!(flush(&spool, &sender, &config).await, 0);
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "the 5 s timeout bounds it"
    );
    assert_eq!(spool.find_unflushed(25).len(), 1, "kept for the next run");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_event_the_server_refuses_is_set_aside_and_never_blocks_the_rest() {
    let db = TestDb::new("client_refused").await;
    let token = create_key(&**db.client().await, "swamp__1a2b3c4d", KeyKind::Public).await;
    let watch = Watch::start_http(&[("DATABASE_URL", &db.url)], "http-ingest", "/healthz");
    let endpoint = format!(
        "http://127.0.0.1:{}/lambda-url/http-ingest/p/{}",
        watch.port, token
    );
    let dir = temp_dir("refused");
    let spool = Spool::new(&dir);
    let start = Utc::now() - chrono::Duration::minutes(10);
    // The oldest event holds a NUL, which the server refuses for good (400 when alone).
    spool
        .record_at("cli_invocation", json!({"note": "a\u{0}b"}), start)
        .expect("bad");
    for i in 1..=2 {
        spool
            .record_at(
                "cli_invocation",
                json!({"n": i}),
                start + chrono::Duration::minutes(i),
            )
            .expect("good");
    }
    let sender = HttpSender::new(&endpoint, None).expect("sender");
    let one_at_a_time = FlushConfig {
        batch_size: 1,
        ..FlushConfig::new("550e8400-e29b-41d4-a716-446655440000")
    };
    assert_eq!(flush(&spool, &sender, &one_at_a_time).await, 0, "refused");
    let files = names(&dir);
    assert_eq!(
        files
            .iter()
            .filter(|f| f.ends_with(".rejected.json"))
            .count(),
        1,
        "{files:?}"
    );
    assert_eq!(flush(&spool, &sender, &one_at_a_time).await, 1);
    assert_eq!(flush(&spool, &sender, &one_at_a_time).await, 1);
    assert_eq!(
        flush(&spool, &sender, &one_at_a_time).await,
        0,
        "nothing left"
    );
    assert_eq!(db.count("telemetry_events").await, 2);

    // In a batch with good events, the refused one is set aside and the others land.
    spool
        .record_at("cli_invocation", json!({"k\u{0}": 1}), start)
        .expect("bad");
    spool
        .record("cli_invocation", json!({"n": 3}))
        .expect("good");
    assert_eq!(
        flush(
            &spool,
            &sender,
            &FlushConfig::new(one_at_a_time.distinct_id.as_str())
        )
        .await,
        2,
        "207: the good one stored, the bad one rejected for good"
    );
    assert_eq!(db.count("telemetry_events").await, 3);
    assert!(spool.find_unflushed(100).is_empty());
    drop(watch);
    let _ = std::fs::remove_dir_all(dir);
}
