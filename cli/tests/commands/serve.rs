//! `telemetry serve` end to end over real TCP: the same routes, status codes and error bodies
//! as on Lambda, a body limit enforced while reading, `/healthz` following the database, and
//! a clean stop on SIGTERM.

use std::time::{Duration, Instant};

use crate::common::{telemetry, Server};
use serde_json::{json, Value};
use telemetry_tests::{free_port, TestDb};

fn batch(n: usize) -> Value {
    let events: Vec<Value> = (0..n)
        .map(|i| {
            json!({"event": "cli_invocation", "distinct_id": "repo-1", "properties": {
                "id": format!("0b6c3f0e-9d1a-4c7e-8a53-2f6f4b1e7d{i:02}"),
                "startedAt": format!("2026-11-22T07:{i:02}:00.000Z"), "exitCode": 0
            }})
        })
        .collect();
    json!({ "batch": events })
}

#[tokio::test]
async fn serve_answers_the_api_over_tcp_and_stops_on_sigterm() {
    let db = TestDb::new("cli_serve").await;
    let out = telemetry(
        &db,
        &["keys", "create", "--project", "repo_1__0123abcd", "--json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: Value = serde_json::from_slice(&out.stdout).expect("json");
    let key = created["key"].as_str().expect("key").to_string();
    let server = Server::start(&db.url, &[("HTTP_MAX_BODY_BYTES", "4096")]);
    let http = reqwest::Client::new();

    let health = http
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    assert_eq!(health.json::<Value>().await.expect("json")["status"], "ok");

    let post = |path: &'static str, body: Value| {
        http.post(server.url(path))
            .bearer_auth(&key)
            .json(&body)
            .send()
    };
    let first = post("/ingest", batch(2)).await.expect("post");
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.expect("json");
    assert_eq!(
        (first["accepted"].clone(), first["duplicate"].clone()),
        (json!(2), json!(0))
    );
    // The same batch again, with a trailing slash: duplicates, nothing stored twice.
    let again: Value = post("/ingest/", batch(2))
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(again["duplicate"], 2, "{again}");
    assert_eq!(db.count("telemetry_events").await, 2);

    // Errors keep their documented shape.
    let missing = http.get(server.url("/nope")).send().await.expect("404");
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.expect("json")["error"],
        "not_found"
    );
    let wrong = http
        .delete(server.url("/ingest"))
        .send()
        .await
        .expect("405");
    assert_eq!(wrong.status(), 405);
    assert_eq!(wrong.headers()["allow"], "POST");
    let unauthorized = http
        .post(server.url("/ingest"))
        .json(&batch(1))
        .send()
        .await
        .expect("401");
    assert_eq!(unauthorized.status(), 401);
    // A body over the limit is refused while it is read.
    let huge = http
        .post(server.url("/ingest"))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body(vec![b' '; 100_000])
        .send()
        .await
        .expect("413");
    assert_eq!(huge.status(), 413);
    assert_eq!(
        huge.json::<Value>().await.expect("json")["error"],
        "payload_too_large"
    );

    let status = server.stop();
    assert!(status.success(), "{status:?}");
    db.drop_db().await;
}

#[tokio::test]
async fn healthz_is_503_while_the_database_is_unreachable() {
    // Nothing listens on this port: every connection is refused at once.
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", free_port());
    let server = Server::start(&url, &[]);
    let started = Instant::now();
    let health = reqwest::get(server.url("/healthz")).await.expect("healthz");
    assert_eq!(health.status(), 503);
    assert!(health.headers().contains_key("retry-after"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    drop(server);
}

/// The keys `keys create --read` makes, used as a script would: a project's read key reads
/// its project's calls and may not write; an admin read key reads every project.
#[tokio::test]
async fn read_keys_made_by_the_cli_read_over_serve() {
    let db = TestDb::new("cli_read_keys").await;
    let create = |args: &[&str]| {
        let mut all = vec!["keys", "create"];
        all.extend_from_slice(args);
        all.push("--json");
        let out = telemetry(&db, &all);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).expect("json")
    };
    let secret = create(&["--project", "repo_1__0123abcd"]);
    let read = create(&["--project", "repo_1__0123abcd", "--read"]);
    let admin = create(&["--read", "--all-projects"]);
    assert!(read["key"].as_str().expect("key").starts_with("tr_"));
    assert_eq!(
        (admin["kind"].as_str(), &admin["project_id"]),
        (Some("read"), &Value::Null)
    );
    // --all-projects is for read keys only, and no other key may lack a project.
    for bad in [
        &["keys", "create", "--all-projects"][..],
        &[
            "keys",
            "create",
            "--public",
            "--read",
            "--project",
            "repo_1__0123abcd",
        ],
        &["keys", "create"],
    ] {
        let out = telemetry(&db, bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
    let out = telemetry(&db, &["keys", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("(all projects)"));

    let server = Server::start(&db.url, &[]);
    let http = reqwest::Client::new();
    let calls = json!({"calls": [{"call_id": "c1", "timestamp": "2026-11-22T08:00:00Z",
        "model": "claude-sonnet-4-5", "tokens_input": 1000, "tokens_output": 10}]});
    let key = |k: &Value| k["key"].as_str().expect("key").to_string();
    let posted = http
        .post(server.url("/ingest/llm-calls"))
        .bearer_auth(key(&secret))
        .json(&calls)
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), 202);
    let refused = http
        .post(server.url("/ingest/llm-calls"))
        .bearer_auth(key(&read))
        .json(&calls)
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 403);
    let url = server.url("/api/v1/llm/cost-daily?since=2026-11-22&until=2026-11-23");
    for k in [key(&read), key(&admin)] {
        let got: Value = http
            .get(&url)
            .bearer_auth(&k)
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(got["days"][0]["calls"], 1, "{got}");
        assert_eq!(got["days"][0]["input_tokens"], 1000, "{got}");
    }
    assert!(server.stop().success());
    db.drop_db().await;
}
