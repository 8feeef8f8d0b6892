//! Load benchmark (`scripts/bench load`): N simulated CLIs, each with its own `distinct_id`,
//! posting batches of 1-25 events (a fixed pseudo-random sequence, unique `insert_id`s) in a
//! closed loop to `telemetry serve` (the router http-ingest runs) with a public token, over
//! loopback, at 1, 10 and 100 concurrent clients, in direct mode and in queued mode (the same
//! server with `INGEST_QUEUE_URL` on moto's SQS, consumed by its background task). Reported
//! per level: events/s answered and stored (queued: until the consumer stored the last one),
//! request p50/p99, the most PostgreSQL connections seen (sampled from `pg_stat_activity`
//! every 50 ms), and the events stored at the end against those sent (all of them, exactly
//! once). The baseline, measured in the same run: the same batches written by one bare
//! `insert_events` stream, no HTTP, auth or validation.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{json, Value};
use telemetry_shared::http::queue::{bodies, consume, Delivery};
use telemetry_shared::http::store::events::{insert_events, TelemetryEvent};
use telemetry_shared::http::store::write::Refusals;
use telemetry_shared::http::{validate, KeyKind, Limits};
use telemetry_tests::http_api::create_key;
use telemetry_tests::queue::TestQueue;
use telemetry_tests::{Moto, TestDb};

const PROJECT: &str = "swamp__1a2b3c4d";

/// Batch sizes 1-25 from a fixed xorshift sequence.
struct Sizes(u64);

impl Sizes {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 25) as usize + 1
    }
}

fn batch(client: usize, first: usize, n: usize) -> Value {
    let events: Vec<Value> = (first..first + n)
        .map(|i| {
            json!({"event": "cli_invocation", "distinct_id": format!("install-{client:04}"),
                   "insert_id": format!("c{client}-e{i}"), "timestamp": Utc::now(),
                   "properties": {"command": "model method run", "args": ["deploy"],
                                  "exitCode": 0, "durationMs": 1240 + i % 500,
                                  "os": "linux", "arch": "x86_64"}})
        })
        .collect();
    json!({"batch": events, "sent_at": Utc::now()})
}

struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(url: &str, pool: usize, env: &[(&str, String)]) -> Server {
    use std::io::BufRead;
    let bin = std::env::var("TELEMETRY_BIN").unwrap_or_else(|_| "target/release/telemetry".into());
    let mut child = Command::new(bin)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--pool-size",
            &pool.to_string(),
        ])
        .env("DATABASE_URL", url)
        .env_remove("EVENT_BUS_NAME")
        // Throughput, not the limits: every simulated install posts far more than a person.
        .env("PUBLIC_INSTALL_EVENTS_PER_MINUTE", "100000000")
        .env("PUBLIC_TOKEN_EVENTS_PER_MINUTE", "1000000000")
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("telemetry serve (scripts/bench load builds it)");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("address");
    let base = line.trim().trim_start_matches("listening on ").to_string();
    Server(child, base)
}

struct Level {
    clients: usize,
    requests: usize,
    sent: i64,
    accepted: i64,
    secs: f64,
    /// Until every event was stored (the queued mode's consumer included).
    stored_secs: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_connections: i64,
    stored: i64,
}

async fn level(
    db: &TestDb,
    base: &str,
    token: &str,
    clients: usize,
    per_client: usize,
    queue: Option<&TestQueue>,
) -> Level {
    db.client()
        .await
        .batch_execute("TRUNCATE telemetry_events, api_key_usage, api_install_usage, outbox_events")
        .await
        .expect("truncate");
    let http = reqwest::Client::new();
    let url = format!("{base}/p/{token}/ingest");
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicI64::new(0));
    let sampler = {
        let (done, peak) = (done.clone(), peak.clone());
        let db_url = db.url.clone();
        tokio::spawn(async move {
            let (c, conn) = tokio_postgres::connect(&db_url, tokio_postgres::NoTls)
                .await
                .expect("sampler");
            tokio::spawn(conn);
            let name = db_url
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .split('?')
                .next()
                .unwrap_or_default()
                .to_string();
            while !done.load(Ordering::Relaxed) {
                if let Ok(r) = c
                    .query_one(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                        &[&name],
                    )
                    .await
                {
                    peak.fetch_max(r.get::<_, i64>(0), Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients {
        let (http, url) = (http.clone(), url.clone());
        tasks.spawn(async move {
            let mut sizes = Sizes(0x9E37_79B9_7F4A_7C15 ^ (client as u64 + 1));
            let (mut next, mut sent, mut accepted) = (0, 0i64, 0i64);
            let mut latencies = Vec::with_capacity(per_client);
            for _ in 0..per_client {
                let n = sizes.next();
                let body = batch(client, next, n);
                next += n;
                let t = Instant::now();
                let resp = http.post(&url).json(&body).send().await.expect("post");
                let status = resp.status().as_u16();
                let answer: Value = resp.json().await.unwrap_or_default();
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                assert_eq!(status, 202, "{answer}");
                sent += n as i64;
                // Queued, an event is answered `queued`: the consumer finds duplicates later.
                accepted += answer["accepted"]
                    .as_i64()
                    .or(answer["queued"].as_i64())
                    .unwrap_or(0);
            }
            (sent, accepted, latencies)
        });
    }
    let (mut sent, mut accepted, mut lat) = (0, 0, Vec::new());
    while let Some(r) = tasks.join_next().await {
        let (s, a, l) = r.expect("client");
        sent += s;
        accepted += a;
        lat.extend(l);
    }
    let secs = started.elapsed().as_secs_f64();
    if let Some(q) = queue {
        let deadline = Instant::now() + Duration::from_secs(900);
        while db.count("telemetry_events").await < sent {
            assert!(
                Instant::now() < deadline,
                "the consumer did not store every event"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // The next level truncates: nothing of this one may come back after that.
        while q.depth(&q.url).await > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let stored_secs = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    lat.sort_by(|a, b| a.total_cmp(b));
    let pick = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
    Level {
        clients,
        requests: lat.len(),
        sent,
        accepted,
        secs,
        stored_secs,
        p50_ms: pick(0.50),
        p99_ms: pick(0.99),
        max_connections: peak.load(Ordering::Relaxed),
        stored: db.count("telemetry_events").await,
    }
}

/// The queued mode's consumer alone, no SQS: the same batches validated and written as
/// http-ingest queues them, handed to `consume` 100 messages at a time (what Lambda's event
/// source delivers at most); events/s, and the events stored.
async fn consumer_alone(db: &TestDb, batches: usize) -> (f64, i64) {
    db.client()
        .await
        .batch_execute("TRUNCATE telemetry_events, outbox_events")
        .await
        .expect("truncate");
    let mut sizes = Sizes(0x9E37_79B9_7F4A_7C15 ^ 1);
    let (mut next, mut n_events) = (0, 0usize);
    let mut deliveries = Vec::with_capacity(batches);
    for m in 0..batches {
        let n = sizes.next();
        let body = batch(0, next, n);
        next += n;
        n_events += n;
        let valid: Vec<_> = validate(&body, Utc::now(), &Limits::default())
            .expect("batch")
            .events
            .into_iter()
            .map(|(_, e)| e)
            .collect();
        for b in bodies(PROJECT, &valid, Refusals::default()).expect("bodies") {
            deliveries.push(Delivery {
                id: format!("m{m}"),
                body: b,
                sent_at_ms: None,
            });
        }
    }
    let started = Instant::now();
    for chunk in deliveries.chunks(100) {
        let r = consume(&db.pool, chunk, Utc::now()).await;
        assert!(r.failed.is_empty(), "{r:?}");
    }
    let rate = n_events as f64 / started.elapsed().as_secs_f64();
    (rate, db.count("telemetry_events").await)
}

/// The same batches through one bare `insert_events` stream: events/s.
async fn baseline(db: &TestDb, batches: usize) -> f64 {
    db.client()
        .await
        .batch_execute("TRUNCATE telemetry_events")
        .await
        .expect("truncate");
    let c = db.client().await;
    let mut sizes = Sizes(0x9E37_79B9_7F4A_7C15 ^ 1);
    let (mut next, mut n_events) = (0, 0usize);
    let started = Instant::now();
    for _ in 0..batches {
        let n = sizes.next();
        let now = Utc::now();
        let events: Vec<TelemetryEvent> = (next..next + n)
            .map(|i| TelemetryEvent {
                insert_id: format!("b-e{i}"),
                event: "cli_invocation".into(),
                distinct_id: "install-0000".into(),
                properties: json!({"command": "model method run", "args": ["deploy"], "exitCode": 0,
                                   "durationMs": 1240 + i % 500, "os": "linux", "arch": "x86_64"}),
                client_timestamp: Some(now),
                timestamp: now,
                sent_at: Some(now),
                received_at: now,
            })
            .collect();
        next += n;
        n_events += n;
        insert_events(&**c, PROJECT, &events).await.expect("insert");
    }
    n_events as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let arg = |name: &str, default: usize| -> usize {
        std::env::args()
            .skip_while(|a| a != name)
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let requests = arg("--requests", 3_000);
    let pool = arg("--pool-size", 8);
    let db = TestDb::new("load_bench").await;
    let token = create_key(&**db.client().await, PROJECT, KeyKind::Public).await;
    let moto = Moto::start();
    let queue = TestQueue::with_visibility(&moto, "load-bench", 120).await;
    let mut queued_env = moto.env();
    queued_env.push(("INGEST_QUEUE_URL", queue.url.clone()));
    println!(
        "http-ingest load: `telemetry serve --pool-size {pool}` (release), a public token, batches of 1-25 events \
         (mean 13), about {requests} requests per level split among the clients; PostgreSQL on loopback; {} cores. \
         Queued: the same server with INGEST_QUEUE_URL on moto_server's SQS (one Python process) and its one \
         background consumer\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("| run | mode | clients | requests | events/s answered | events/s stored | stored vs bare INSERT | p50 ms | p99 ms | PG connections (max) | stored / sent |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for run in 1..=2 {
        let base = baseline(&db, requests).await;
        println!("| {run} | baseline: bare INSERT, 1 stream | | {requests} | | {base:.0} | 1.00x | | | 1 | |");
        let (rate, stored) = consumer_alone(&db, requests).await;
        println!(
            "| {run} | queued consumer alone (no SQS), deliveries of 100 | | {requests} | | {rate:.0} | {:.2}x | | | 1 | {stored} stored |",
            rate / base
        );
        for (mode, env, q) in [
            ("direct", &[][..], None),
            ("queued", &queued_env[..], Some(&queue)),
        ] {
            // One server at a time: the connections counted are this mode's alone.
            let server = serve(&db.url, pool, env);
            for clients in [1, 10, 100] {
                let per_client = (requests / clients).max(1);
                let l = level(&db, &server.1, &token, clients, per_client, q).await;
                assert_eq!(l.accepted, l.sent, "every event accepted once");
                assert_eq!(l.stored, l.sent, "every event stored, exactly once");
                let stored_rate = l.sent as f64 / l.stored_secs;
                println!(
                    "| {run} | {mode} | {} | {} | {:.0} | {stored_rate:.0} | {:.2}x | {:.2} | {:.2} | {} | {} / {} |",
                    l.clients,
                    l.requests,
                    l.accepted as f64 / l.secs,
                    stored_rate / base,
                    l.p50_ms,
                    l.p99_ms,
                    l.max_connections,
                    l.stored,
                    l.sent
                );
            }
            drop(server);
        }
    }
    db.drop_db().await;
}
