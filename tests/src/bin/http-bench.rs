//! http-ingest benchmark (`scripts/bench http`): warm handler throughput and latency for
//! batches of 25 events on real PostgreSQL over loopback, against the bare database write of
//! the same batches measured in the same run; POSTs of LLM calls (each commits an outbox event)
//! answered at commit, as http-ingest does now, against the same POSTs answered only after
//! publishing the outbox to EventBridge (the old Lambda request path), on a local
//! `moto_server` bus in the same run; the release binary's cold-start initialisation
//! (process start to its first call to the Runtime API, no database connection made); and
//! the binary's size, raw and zipped.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{json, Value};
use telemetry_shared::http::store::events::{insert_events, TelemetryEvent};
use telemetry_shared::http::store::keys::{ensure_project, insert_key};
use telemetry_shared::http::{generate, respond, HttpConfig, HttpIngest, KeyKind, ProjectId};
use telemetry_shared::outbox::relay;
use telemetry_tests::bus::BusSink;
use telemetry_tests::{apigw, Moto, TestDb};

const BATCH: usize = 25;
/// Records in one OTLP export.
const OTLP_RECORDS: usize = 100;

/// Export `n`: 100 api_request records of one session, as Claude Code sends them.
fn otlp_export(n: usize) -> Vec<u8> {
    use telemetry_tests::otlp::{claude_resource, export, i, protobuf, record, s};
    let records = (0..OTLP_RECORDS)
        .map(|k| {
            let ts = format!("2026-12-02T08:{:02}:{:02}.{k:03}Z", (n / 60) % 60, n % 60);
            record(
                &ts,
                "claude_code.api_request",
                vec![
                    s("event.name", "api_request"),
                    s("event.timestamp", &ts),
                    i("event.sequence", k as i64),
                    s("session.id", &format!("bench-{n}")),
                    s("user.account_uuid", "acct-bench"),
                    s("model", "claude-sonnet-4-5-20250929"),
                    s("input_tokens", "1200"),
                    s("output_tokens", "350"),
                    s("cache_read_tokens", "30000"),
                    s("cache_creation_tokens", "2000"),
                    s("cost_usd", "0.0213"),
                    s("duration_ms", "4100"),
                ],
            )
        })
        .collect();
    protobuf(&export(
        claude_resource(),
        "com.anthropic.claude_code.events",
        records,
    ))
}

/// The baseline: export `n`'s rows, written with one bare INSERT (no decode, checks, price,
/// dedup or outbox).
async fn bare_insert(c: &impl tokio_postgres::GenericClient, n: usize) {
    let keys: Vec<Vec<u8>> = (0..OTLP_RECORDS)
        .map(|k| {
            let mut key = vec![0u8; 16];
            key[..8].copy_from_slice(&(n as u64).to_be_bytes());
            key[8..].copy_from_slice(&(k as u64).to_be_bytes());
            key
        })
        .collect();
    c.execute(
        "INSERT INTO llm_calls (dedup_key, content_hash, source, timestamp, model, input_tokens,
             cache_read_tokens, cache_write_tokens, output_tokens, estimated_cost, cost_status,
             source_cost_usd, duration_ms, session_id, tool, user_id)
         SELECT k, 0, 'bare', now(), 'claude-sonnet-4-5-20250929', 1200, 30000, 2000, 350,
                0.0213, 'priced', 0.0213, 4100, 'bare', 'claude_code', 'acct-bench'
         FROM UNNEST($1::bytea[]) AS k",
        &[&keys],
    )
    .await
    .expect("bare insert");
}

fn batch(n: usize, run: &str) -> Value {
    let events: Vec<Value> = (0..BATCH)
        .map(|i| json!({"event": "cli_invocation", "distinct_id": "550e8400-e29b-41d4-a716-446655440000",
            "properties": {"id": format!("{run}-{n}-{i}"), "command": "model method run", "exitCode": 0,
                           "durationMs": 1200 + i, "os": "linux", "arch": "x86_64"}}))
        .collect();
    json!({"batch": events, "sent_at": Utc::now().to_rfc3339()})
}

fn llm_calls(n: usize, publish: bool) -> Vec<u8> {
    let calls: Vec<Value> = (0..10)
        .map(|i| json!({"timestamp": Utc::now().to_rfc3339(), "model": "claude-sonnet-4-5",
            "session_id": format!("bench-{publish}-{n}"), "call_id": format!("req-{publish}-{n}-{i}"),
            "tokens_input": 1200 + i, "tokens_output": 300, "tokens_cache_read": 20_000}))
        .collect();
    json!({"calls": calls}).to_string().into_bytes()
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(format!("{}/../target", env!("CARGO_MANIFEST_DIR"))))
}

/// Spawns the binary against a fake Runtime API and times its first `invocation/next` call.
fn cold_start(bin: &PathBuf) -> Duration {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    let addr = listener.local_addr().expect("addr");
    let start = Instant::now();
    let mut child = Command::new(bin)
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "http-ingest")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/http-ingest")
        .env(
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:1/none?sslmode=disable",
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the release binary");
    let (mut conn, _) = listener.accept().expect("the runtime calls in");
    let mut buf = [0u8; 512];
    let n = conn.read(&mut buf).unwrap_or(0);
    let took = start.elapsed();
    assert!(String::from_utf8_lossy(&buf[..n]).contains("/runtime/invocation/next"));
    let _ = conn.write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n");
    let _ = child.kill();
    let _ = child.wait();
    took
}

#[tokio::main]
async fn main() {
    let requests: usize = std::env::args()
        .skip_while(|a| a != "--requests")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let db = TestDb::new("http_bench").await;
    let project = ProjectId::parse("bench__0a1b2c3d").expect("id");
    let key = generate(KeyKind::Secret).expect("key");
    {
        let c = db.client().await;
        ensure_project(&**c, &project, None).await.expect("project");
        insert_key(&**c, Some(&project), &key, None)
            .await
            .expect("key");
    }
    let api = std::sync::Arc::new(HttpIngest::new(
        db.pool.clone(),
        HttpConfig::from_lookup(|_| None).expect("config"),
    ));
    // Built once, as the Lambda does at cold start.
    let service = api.service();
    let auth = format!("Bearer {}", key.key);

    // Warm-up, then the measured handler run.
    for n in 0..50 {
        let e = apigw::event(
            "POST",
            "/ingest",
            &[("authorization", &auth)],
            batch(n, "warm").to_string().as_bytes(),
        );
        assert_eq!(
            respond(&service, apigw::request(&e))
                .await
                .status()
                .as_u16(),
            202
        );
    }
    let bodies: Vec<Vec<u8>> = (0..requests)
        .map(|n| batch(n, "run").to_string().into_bytes())
        .collect();
    let mut lat = Vec::with_capacity(requests);
    let t = Instant::now();
    for body in &bodies {
        let s = Instant::now();
        let e = apigw::event("POST", "/ingest", &[("authorization", &auth)], body);
        let resp = respond(&service, apigw::request(&e)).await;
        lat.push(s.elapsed());
        assert_eq!(resp.status().as_u16(), 202);
    }
    let handler_secs = t.elapsed().as_secs_f64();
    lat.sort();

    // Baseline: the same batches written straight to the table, no HTTP, auth or validation.
    let c = db.client().await;
    let mut base = Vec::with_capacity(requests);
    let t = Instant::now();
    for n in 0..requests {
        let s = Instant::now();
        let events: Vec<TelemetryEvent> = (0..BATCH)
            .map(|i| TelemetryEvent {
                insert_id: format!("base-{n}-{i}"),
                event: "cli_invocation".into(),
                distinct_id: "550e8400-e29b-41d4-a716-446655440000".into(),
                properties: json!({"id": format!("base-{n}-{i}"), "command": "model method run"}),
                client_timestamp: None,
                timestamp: Utc::now(),
                sent_at: None,
                received_at: Utc::now(),
            })
            .collect();
        insert_events(&**c, project.as_str(), &events)
            .await
            .expect("insert");
        base.push(s.elapsed());
    }
    let base_secs = t.elapsed().as_secs_f64();
    base.sort();
    drop(c);

    // Outbox: LLM-call POSTs answered at commit (now) and after publishing (before), in turns.
    let moto = Moto::start();
    let sink = BusSink::create(&moto, "telemetry-bench").await;
    let bus = sink.bus();
    // The event batches above wrote their own outbox events: publish that backlog first, so
    // each measured request publishes only what it wrote, as on the old request path.
    loop {
        let r = relay(&db.pool, &bus, None).await.expect("relay");
        if r.pending == 0 {
            break;
        }
    }
    let calls = requests.min(1_000);
    let (mut at_commit, mut after_publish) = (Vec::new(), Vec::new());
    for n in 0..calls {
        for publish in [false, true] {
            let body = llm_calls(n, publish);
            let s = Instant::now();
            let e = apigw::event(
                "POST",
                "/ingest/llm-calls",
                &[("authorization", &auth)],
                &body,
            );
            let resp = respond(&service, apigw::request(&e)).await;
            if publish {
                // What http-ingest did after a stored write: relay for up to 2 s, then answer.
                let until = tokio::time::Instant::now() + Duration::from_secs(2);
                let r = relay(&db.pool, &bus, Some(until)).await.expect("relay");
                assert!(r.error.is_none(), "{r:?}");
                after_publish.push(s.elapsed());
            } else {
                at_commit.push(s.elapsed());
            }
            assert_eq!(resp.status().as_u16(), 202);
        }
    }
    at_commit.sort();
    after_publish.sort();

    // OTLP: 100-record Claude Code exports (protobuf) against a bare INSERT of 100 calls,
    // in turns, so both see the same table size.
    let exports = requests.min(500);
    let (mut otlp, mut bare) = (Vec::new(), Vec::new());
    let c = db.client().await;
    let (mut t_otlp, mut t_bare) = (Duration::ZERO, Duration::ZERO);
    for n in 0..exports {
        let body = otlp_export(n);
        let s = Instant::now();
        let e = apigw::event(
            "POST",
            "/v1/logs",
            &[
                ("authorization", &auth),
                ("content-type", "application/x-protobuf"),
            ],
            &body,
        );
        let resp = respond(&service, apigw::request(&e)).await;
        let took = s.elapsed();
        assert_eq!(resp.status().as_u16(), 200);
        assert!(resp.body().is_empty(), "every record stored");
        otlp.push(took);
        t_otlp += took;
        let s = Instant::now();
        bare_insert(&**c, n).await;
        let took = s.elapsed();
        bare.push(took);
        t_bare += took;
    }
    let stored: i64 = c
        .query_one("SELECT count(*) FROM llm_calls WHERE source = 'otlp'", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(
        stored as usize,
        exports * OTLP_RECORDS,
        "every call stored once"
    );
    otlp.sort();
    bare.sort();
    drop(c);
    db.drop_db().await;

    let events = (requests * BATCH) as f64;
    println!("http-ingest: {requests} requests of {BATCH} events, sequential, PostgreSQL over loopback\n");
    println!("| run | events/s | p50 ms | p99 ms | max ms | vs baseline |");
    println!("|---|---:|---:|---:|---:|---:|");
    println!(
        "| baseline: INSERT of the batch only | {:.0} | {:.2} | {:.2} | {:.2} | 1.00x |",
        events / base_secs,
        pct(&base, 0.5),
        pct(&base, 0.99),
        pct(&base, 1.0)
    );
    println!(
        "| handler: API Gateway v2 event to response | {:.0} | {:.2} | {:.2} | {:.2} | {:.2}x |",
        events / handler_secs,
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 1.0),
        base_secs / handler_secs
    );

    println!("\nPOST /ingest/llm-calls, 10 calls each, {calls} of each kind interleaved, outbox to a local moto_server bus\n");
    println!("| request path | p50 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|");
    for (name, lat) in [
        ("answered at commit (http-ingest now)", &at_commit),
        (
            "answered after publishing the outbox (before)",
            &after_publish,
        ),
    ] {
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} |",
            pct(lat, 0.5),
            pct(lat, 0.99),
            pct(lat, 1.0)
        );
    }

    println!("\nPOST /v1/logs, {exports} OTLP protobuf exports of {OTLP_RECORDS} Claude Code api_request records, against a bare INSERT of {OTLP_RECORDS} rows into llm_calls, in turns\n");
    println!("| run | calls/s | p50 ms | p99 ms | max ms | time vs baseline |");
    println!("|---|---:|---:|---:|---:|---:|");
    let calls_total = (exports * OTLP_RECORDS) as f64;
    for (name, lat, secs) in [
        (
            "baseline: bare INSERT of the rows",
            &bare,
            t_bare.as_secs_f64(),
        ),
        (
            "POST /v1/logs: decode, map, price, upsert, outbox",
            &otlp,
            t_otlp.as_secs_f64(),
        ),
    ] {
        println!(
            "| {name} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2}x |",
            calls_total / secs,
            pct(lat, 0.5),
            pct(lat, 0.99),
            pct(lat, 1.0),
            secs / t_bare.as_secs_f64()
        );
    }

    let bin = target_dir().join("release/http-ingest");
    let mut starts: Vec<Duration> = (0..20).map(|_| cold_start(&bin)).collect();
    starts.sort();
    let size = std::fs::metadata(&bin).map(|m| m.len()).unwrap_or(0);
    let zipped = Command::new("python3")
        .args(["-c", "import io,sys,zipfile;b=io.BytesIO();z=zipfile.ZipFile(b,'w',zipfile.ZIP_DEFLATED);z.write(sys.argv[1],'bootstrap');z.close();print(len(b.getvalue()))"])
        .arg(&bin)
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse::<u64>().ok())
        .unwrap_or(0);
    println!(
        "\ncold start (release binary, process start to first Runtime API call, 20 runs): p50 {:.1} ms, max {:.1} ms",
        pct(&starts, 0.5),
        pct(&starts, 1.0)
    );
    println!(
        "binary {} (host build): {:.1} MB, zipped as bootstrap {:.1} MB",
        bin.display(),
        size as f64 / 1e6,
        zipped as f64 / 1e6
    );
}
