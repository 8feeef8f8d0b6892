//! `infra/local/up` end to end: the local cloud starts (PostgreSQL database, moto with the
//! buckets and bus, the four functions under `cargo lambda watch`, the upload bridge); an
//! upload to the local bucket is ingested by s3-ingest, a POST to the local HTTP API stores a
//! batch, and firing the prune schedule by hand prunes and publishes to the bus.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use serde_json::{json, Value};
use telemetry_shared::db::connect_one;
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::create_key;
use telemetry_tests::{admin_url, free_port, with_database};

async fn wait_for(what: &str, timeout: Duration, mut check: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < timeout,
            "{what} did not happen within {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// A running `infra/local/up` in `mode` (direct or queued), once it printed that it is ready.
struct Cloud {
    up: std::process::Child,
    root: String,
    moto_port: u16,
    lambda_port: u16,
    db_name: String,
    state: std::path::PathBuf,
}

impl Cloud {
    fn start(mode: &str) -> Cloud {
        let root = format!("{}/..", env!("CARGO_MANIFEST_DIR"));
        let (moto_port, lambda_port) = (free_port(), free_port());
        let db_name = format!("t_local_cloud_{mode}_{}", std::process::id());
        let state = std::env::temp_dir().join(format!("local-cloud-{mode}-{}", std::process::id()));
        let mut up = Command::new("bash")
            .arg("infra/local/up")
            .current_dir(&root)
            .env("DATABASE_URL", admin_url())
            .env("LOCAL_MOTO_PORT", moto_port.to_string())
            .env("LOCAL_LAMBDA_PORT", lambda_port.to_string())
            .env("LOCAL_DB_NAME", &db_name)
            .env("LOCAL_STATE_DIR", &state)
            .env("LOCAL_INGEST_MODE", mode)
            .stdout(Stdio::piped())
            .spawn()
            .expect("infra/local/up");
        let stdout = up.stdout.take().expect("stdout");
        let ready = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .any(|l| l.contains("local cloud ready"))
        });
        let started = Instant::now();
        while !ready.is_finished() {
            assert!(
                started.elapsed() < Duration::from_secs(600),
                "the local cloud did not start"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        assert!(
            ready.join().expect("reader"),
            "infra/local/up ended before it was ready"
        );
        Cloud {
            up,
            root,
            moto_port,
            lambda_port,
            db_name,
            state,
        }
    }

    /// Ctrl-C: the script stops everything it started; then its database and state go.
    async fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.up.id().to_string()])
            .status();
        let _ = self.up.wait();
        if let Ok(admin) = connect_one(&admin_url()).await {
            let _ = admin
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.db_name
                ))
                .await;
        }
        let _ = std::fs::remove_dir_all(&self.state);
    }
}

#[tokio::test]
async fn upload_post_and_fired_schedule_work_as_deployed() {
    let cloud = Cloud::start("direct");
    let (root, moto_port, lambda_port) = (cloud.root.clone(), cloud.moto_port, cloud.lambda_port);
    let (db_name, state) = (cloud.db_name.clone(), cloud.state.clone());

    // infra/local/env prints what this cloud really uses, without being told the ports.
    let env_out = Command::new("bash")
        .arg("infra/local/env")
        .current_dir(&root)
        .env("LOCAL_STATE_DIR", &state)
        .env_remove("LOCAL_MOTO_PORT")
        .env_remove("LOCAL_LAMBDA_PORT")
        .output()
        .expect("infra/local/env");
    let printed = String::from_utf8_lossy(&env_out.stdout);
    for want in [
        format!("/{db_name}"),
        format!("LOCAL_MOTO_PORT={moto_port}"),
        format!("127.0.0.1:{lambda_port}/lambda-url/http-ingest"),
    ] {
        assert!(printed.contains(&want), "{want} in {printed}");
    }

    let url = with_database(&admin_url(), &db_name);
    let db = connect_one(&url).await.expect("the local database");
    let count = |table: &'static str| {
        let db = &db;
        async move {
            db.query_one(&format!("SELECT count(*) FROM {table}"), &[])
                .await
                .expect("count")
                .get::<_, i64>(0)
        }
    };

    // An upload to the local bucket reaches s3-ingest through the bridge.
    let moto = format!("http://127.0.0.1:{moto_port}");
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "local", "local", None, None, "test",
        ))
        .endpoint_url(&moto)
        .force_path_style(true)
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(conf);
    let csv = std::fs::read(format!("{root}/examples/usage.csv")).expect("example");
    s3.put_object()
        .bucket("telemetry-local-uploads")
        .key("uploads/team/usage.csv")
        .body(ByteStream::from(csv))
        .send()
        .await
        .expect("upload");
    wait_for(
        "s3-ingest of the upload",
        Duration::from_secs(300),
        async || count("llm_calls").await > 0,
    )
    .await;
    assert_eq!(count("ingest_runs").await, 1);

    // A batch posted to the local HTTP API.
    let key = create_key(&db, "demo__00000000", KeyKind::Secret).await;
    let resp = reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{lambda_port}/lambda-url/http-ingest/ingest"
        ))
        .bearer_auth(&key)
        .json(&json!({"batch": [{"event": "hello", "distinct_id": "me"}]}))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 202);
    assert_eq!(count("telemetry_events").await, 1);

    // The dashboard through the function URL (its links are relative to it), and the
    // uploaded file's calls read by an admin read key, as a new user opens them.
    let api = format!("http://127.0.0.1:{lambda_port}/lambda-url/http-ingest");
    let http = reqwest::Client::new();
    for (path, kind) in [
        ("/dashboard", "text/html"),
        ("/dashboard/uPlot.iife.min.js", "text/javascript"),
    ] {
        let resp = http
            .get(format!("{api}{path}"))
            .send()
            .await
            .expect("dashboard");
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        let ct = resp.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .to_string();
        assert!(ct.starts_with(kind), "{path}: {ct}");
        assert!(
            resp.headers().contains_key("content-security-policy"),
            "{path}"
        );
    }
    let admin = {
        let key = telemetry_shared::http::generate(KeyKind::Read).expect("key");
        telemetry_shared::http::store::keys::insert_key(&db, None, &key, None)
            .await
            .expect("admin read key");
        key.key
    };
    let daily: Value = http
        .get(format!(
            "{api}/api/v1/llm/cost-daily?since=2026-01-01&until=2027-01-01"
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("read")
        .json()
        .await
        .expect("json");
    let calls: i64 = daily["days"]
        .as_array()
        .unwrap_or_else(|| panic!("{daily}"))
        .iter()
        .map(|d| d["calls"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(calls, count("llm_calls").await, "{daily}");

    // The nightly schedule, fired by hand, prunes and relays the outbox to the bus.
    let fired = Command::new("bash")
        .args(["infra/local/fire", "prune"])
        .current_dir(&root)
        .env("LOCAL_LAMBDA_PORT", lambda_port.to_string())
        .output()
        .expect("fire");
    assert!(
        fired.status.success(),
        "{}",
        String::from_utf8_lossy(&fired.stderr)
    );
    let out: Value = serde_json::from_slice(&fired.stdout).expect("json");
    assert_eq!(out["prune"]["complete"], true, "{out}");
    let undelivered: i64 = db
        .query_one(
            "SELECT count(*) FROM outbox_events WHERE delivered_at IS NULL",
            &[],
        )
        .await
        .expect("n")
        .get(0);
    assert_eq!(
        undelivered, 0,
        "every event was published to the local bus: {out}"
    );

    drop(db);
    cloud.stop().await;
}

#[tokio::test]
async fn in_queued_mode_a_post_goes_through_the_local_queue_to_queue_consume() {
    let cloud = Cloud::start("queued");
    let url = with_database(&admin_url(), &cloud.db_name);
    let db = connect_one(&url).await.expect("the local database");
    let count = async || -> i64 {
        db.query_one("SELECT count(*) FROM telemetry_events", &[])
            .await
            .expect("count")
            .get(0)
    };
    let key = create_key(&db, "demo__00000000", KeyKind::Secret).await;
    let resp = reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{}/lambda-url/http-ingest/ingest",
            cloud.lambda_port
        ))
        .bearer_auth(&key)
        .json(
            &json!({"batch": [{"event": "hello", "distinct_id": "me", "insert_id": "q-1"},
                                {"event": "hello", "distinct_id": "me", "insert_id": "q-2"}]}),
        )
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 202);
    let answer: Value = resp.json().await.expect("json");
    assert_eq!(answer["queued"], 2, "{answer}");
    // The bridge, as the queue's event source, hands the message to queue-consume.
    wait_for(
        "queue-consume storing the queued batch",
        Duration::from_secs(600),
        async || count().await == 2,
    )
    .await;
    drop(db);
    cloud.stop().await;
}

#[tokio::test]
async fn up_fails_loudly_when_moto_cannot_start() {
    let root = format!("{}/..", env!("CARGO_MANIFEST_DIR"));
    // Somebody else holds the port moto should listen on.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let moto_port = taken.local_addr().expect("addr").port();
    let state = std::env::temp_dir().join(format!("local-cloud-fail-{}", std::process::id()));
    let db_name = format!("t_local_fail_{}", std::process::id());
    let mut up = Command::new("bash")
        .arg("infra/local/up")
        .current_dir(&root)
        .env("DATABASE_URL", admin_url())
        .env("LOCAL_MOTO_PORT", moto_port.to_string())
        .env("LOCAL_LAMBDA_PORT", free_port().to_string())
        .env("LOCAL_DB_NAME", &db_name)
        .env("LOCAL_STATE_DIR", &state)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("infra/local/up");
    // It must give up by itself; a hang fails the test instead of stalling it.
    let started = Instant::now();
    while up.try_wait().expect("wait").is_none() {
        if started.elapsed() > Duration::from_secs(300) {
            let _ = up.kill();
            panic!("infra/local/up did not stop when moto could not start");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = up.wait_with_output().expect("output");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(!out.status.success(), "{stdout}");
    assert!(!stdout.contains("ready"), "{stdout}");
    assert!(stderr.contains("moto_server did not start"), "{stderr}");
    drop(taken);
    let _ = std::fs::remove_dir_all(state);
    let admin = connect_one(&admin_url()).await.expect("admin");
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db_name}"))
        .await
        .expect("drop");
}
