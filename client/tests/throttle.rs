//! A 429 is not a reason to give up: the client keeps the batch spooled, sends nothing before
//! the server's `Retry-After` (remembered in the spool, so across invocations), keeps unsent
//! events past the 2-day retention while the server keeps throttling, and flushes them once
//! it takes batches again. The server is a local HTTP server answering as http-ingest does
//! (its own 429s are tested against the real handler in the suite).

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use telemetry_client::{flush, FlushConfig, HttpSender, Spool, RETENTION};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn temp_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("telemetry-client-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn unsent(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    n.starts_with("telemetry-")
                        && !n.contains(".flushed")
                        && !n.contains(".rejected")
                })
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn a_throttled_client_waits_keeps_its_spool_and_flushes_later() {
    let server = MockServer::start().await;
    let route = "/p/tp_0123456789abcdef0123456789abcdef/ingest";
    Mock::given(method("POST"))
        .and(path(route))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "2")
                .set_body_json(json!({"error": "rate_limited",
                    "message": "each install may post 600 events per minute with this public token",
                    "details": {"limit_per_minute": 600, "scope": "install"}})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(route))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"accepted": 25})))
        .with_priority(2)
        .mount(&server)
        .await;
    let dir = temp_dir("throttle");
    let spool = Spool::new(&dir);
    // Thirty events from three days ago: past the 2-day retention.
    let start = Utc::now() - chrono::Duration::days(3);
    for i in 0..30 {
        spool
            .record_at(
                "cli_invocation",
                json!({"n": i}),
                start + chrono::Duration::minutes(i),
            )
            .expect("spooled");
    }
    let sender = HttpSender::new(
        &format!("{}{}", server.uri(), route.trim_end_matches("/ingest")),
        None,
    )
    .expect("sender");
    let config = FlushConfig::new("7f9c2ba4-e88f-4d5e-9a0e-0c1d2e3f4a5b");

    assert_eq!(flush(&spool, &sender, &config).await, 0, "throttled");
    assert_eq!(unsent(&dir), 30, "nothing dropped");
    let until = spool.throttled_until().expect("remembered");
    assert!(until > Utc::now() && until <= Utc::now() + chrono::Duration::seconds(2));
    // Another invocation before Retry-After has passed sends nothing at all.
    let other = Spool::new(&dir);
    assert_eq!(flush(&other, &sender, &config).await, 0);
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        1
    );
    // The 2-day cleanup keeps what the server only asked to wait for.
    assert_eq!(other.cleanup_older_than(RETENTION), 0);
    assert_eq!(unsent(&dir), 30);

    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert_eq!(flush(&other, &sender, &config).await, 25);
    assert_eq!(other.throttled_until(), None, "a batch taken clears it");
    assert_eq!(flush(&other, &sender, &config).await, 5);
    assert_eq!(unsent(&dir), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn without_a_recent_429_the_two_day_retention_applies() {
    let dir = temp_dir("retention");
    let spool = Spool::new(&dir);
    let old = Utc::now() - chrono::Duration::days(3);
    spool
        .record_at("cli_invocation", json!({}), old)
        .expect("spooled");
    spool.record("cli_invocation", json!({})).expect("spooled");
    // A 429 three days ago is not a reason to keep an old event now.
    spool.throttle(Duration::from_secs(1));
    let marker = dir.join("throttled.json");
    let text = std::fs::read_to_string(&marker).expect("marker");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["last"] = json!(old);
    v["until"] = json!(old);
    std::fs::write(&marker, v.to_string()).expect("rewrite");
    assert_eq!(spool.cleanup_older_than(RETENTION), 1);
    assert_eq!(unsent(&dir), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_throttled_cleanup_keeps_unreadable_old_files() {
    let dir = temp_dir("unreadable");
    let spool = Spool::new(&dir);
    // Two files cut short by a crash, last written three days ago: their age is their mtime,
    // and no readable event is beside them.
    let three_days = std::time::SystemTime::now() - Duration::from_secs(3 * 24 * 3600);
    let broken: Vec<PathBuf> = (0..2)
        .map(|i| dir.join(format!("telemetry-2026-12-01-broken{i}.json")))
        .collect();
    std::fs::create_dir_all(&dir).expect("dir");
    for path in &broken {
        std::fs::write(path, b"{\"id\": \"cut").expect("write");
        std::fs::File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_modified(three_days))
            .expect("mtime");
    }
    spool.throttle(Duration::from_secs(30));
    assert_eq!(
        spool.cleanup_older_than(RETENTION),
        0,
        "kept while throttled"
    );
    assert!(broken.iter().all(|p| p.exists()));
    let _ = std::fs::remove_dir_all(&dir);
}
