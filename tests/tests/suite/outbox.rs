//! The transactional outbox on real PostgreSQL, published to EventBridge on a local
//! AWS-compatible server (moto) through the real SDK: events are written with their data (a
//! rollback takes both back), published once in order, retried after partial failures, and
//! replayable by cursor.

use chrono::{Duration, TimeZone, Utc};
use serde_json::{json, Value};
use telemetry_shared::github::store::upsert_workflow_runs;
use telemetry_shared::github::WorkflowRun;
use telemetry_shared::http::KeyKind;
use telemetry_shared::outbox::{after, relay};
use telemetry_tests::bus::{outbox_types, BusSink, FlakyBus};
use telemetry_tests::http_api::{seed_batch, Api};
use telemetry_tests::{Moto, TestDb};

fn run(id: i64, conclusion: &str, updated_min: i64) -> WorkflowRun {
    let start = Utc
        .with_ymd_and_hms(2026, 11, 29, 10, 0, 0)
        .single()
        .expect("valid");
    let updated = start + Duration::minutes(updated_min);
    WorkflowRun {
        github_run_id: id,
        run_attempt: 1,
        repository: "acme/api".into(),
        workflow_name: "CI".into(),
        branch: Some("main".into()),
        commit_sha: Some("a".repeat(40)),
        event_type: Some("push".into()),
        status: "completed".into(),
        conclusion: Some(conclusion.into()),
        started_at: Some(start),
        completed_at: Some(updated),
        duration_seconds: Some((updated - start).num_seconds() as i32),
        html_url: Some(format!("https://github.com/acme/api/actions/runs/{id}")),
        github_updated_at: updated,
        github_created_at: Some(start),
        repository_private: None,
    }
}

#[tokio::test]
async fn a_rolled_back_write_leaves_no_event_and_a_committed_one_has_exactly_one() {
    let db = TestDb::new("outbox_tx").await;
    let mut client = db.client().await;
    {
        let tx = tokio_postgres::Client::transaction(&mut client)
            .await
            .expect("tx");
        upsert_workflow_runs(&tx, &[run(1, "failure", 5)])
            .await
            .expect("upsert");
        let inside: i64 = tx
            .query_one("SELECT count(*) FROM outbox_events", &[])
            .await
            .expect("n")
            .get(0);
        assert_eq!(inside, 1, "the event is written by the same statement");
        tx.rollback().await.expect("rollback");
    }
    assert_eq!(db.count("workflow_runs").await, 0);
    assert_eq!(
        db.count("outbox_events").await,
        0,
        "the rollback took the event too"
    );

    upsert_workflow_runs(&**client, &[run(1, "failure", 5), run(2, "success", 5)])
        .await
        .expect("upsert");
    // A newer copy of the same failed attempt updates the row but is the same fact.
    upsert_workflow_runs(&**client, &[run(1, "failure", 9)])
        .await
        .expect("again");
    let mut client = db.client().await;
    let events = after(&mut **client, 0, None, 10).await.expect("outbox");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].kind, "workflow_run_failed");
    assert_eq!(events[0].payload["run_id"], 1);
    assert_eq!(events[0].payload["conclusion"], "failure");
}

#[tokio::test]
async fn a_failed_run_names_the_project_whose_remote_is_its_repository() {
    let api = Api::new("outbox_project").await;
    let key = api.key("api__0a1b2c3d", KeyKind::Secret).await;
    let client = api.db.client().await;
    client
        .execute(
            "UPDATE projects SET git_remote = 'git@github.com:Acme/api.git'",
            &[],
        )
        .await
        .expect("remote");
    upsert_workflow_runs(&**client, &[run(7, "timed_out", 5)])
        .await
        .expect("upsert");
    let page = api
        .call(
            "GET",
            "/events?after=0",
            &[("authorization", &format!("Bearer {key}"))],
            b"",
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body["events"][0]["type"], "workflow_run_failed");
    assert_eq!(page.body["events"][0]["project_id"], "api__0a1b2c3d");
}

#[tokio::test]
async fn batches_are_announced_and_replayed_by_cursor_per_project() {
    let api = Api::new("outbox_replay").await;
    let key = api.key("mimesis__607a7a7c", KeyKind::Secret).await;
    let other = api.key("other__00000000", KeyKind::Secret).await;
    let mut bad = seed_batch(3);
    bad["batch"][1]["event"] = json!("");
    assert_eq!(api.post("/ingest", &key, &bad).await.status, 207);
    assert_eq!(api.post("/ingest", &key, &seed_batch(2)).await.status, 202);
    assert_eq!(
        api.post("/ingest", &other, &seed_batch(1)).await.status,
        202
    );

    let auth = format!("Bearer {key}");
    let get = |q: String| {
        let auth = auth.clone();
        let api = &api;
        async move {
            api.call(
                "GET",
                &format!("/events{q}"),
                &[("authorization", &auth)],
                b"",
            )
            .await
        }
    };
    let all = get("?after=0".into()).await;
    assert_eq!(all.status, 200);
    let events = all.body["events"].as_array().expect("events").clone();
    assert_eq!(events.len(), 2, "only this project's events: {}", all.body);
    assert_eq!(events[0]["type"], "batch_ingested");
    assert_eq!(events[0]["payload"]["accepted"], 2);
    assert_eq!(events[0]["payload"]["rejected"], 1);
    assert_eq!(
        events[0]["payload"]["rejects"][0]["path"],
        "$.batch[1].event"
    );
    // The second batch repeats the first one's stored event: a duplicate.
    assert_eq!(
        (
            events[1]["payload"]["accepted"].as_i64(),
            events[1]["payload"]["duplicate"].as_i64()
        ),
        (Some(1), Some(1))
    );

    let first = events[0]["id"].as_i64().expect("id");
    let page = get(format!("?after={first}&limit=1")).await;
    assert_eq!(page.body["events"].as_array().map(Vec::len), Some(1));
    assert_eq!(page.body["events"][0]["id"], events[1]["id"]);
    assert_eq!(page.body["next_cursor"], events[1]["id"]);
    assert_eq!(page.body["more"], true);
    let end = get(format!("?after={}", events[1]["id"])).await;
    assert_eq!(end.body["events"], json!([]));
    assert_eq!(end.body["next_cursor"], events[1]["id"]);

    assert_eq!(get("?after=-1".into()).await.status, 400);
    assert_eq!(get("?since=3".into()).await.status, 400);
    assert_eq!(
        api.call("GET", "/events?after=0", &[], b"").await.status,
        401
    );
}

#[tokio::test]
async fn crossing_the_daily_budget_is_announced_once() {
    let api = Api::new("outbox_budget").await;
    let key = api.key("mimesis__607a7a7c", KeyKind::Secret).await;
    let client = api.db.client().await;
    telemetry_shared::store::set_daily_budget(&**client, Some(0.05))
        .await
        .expect("budget");
    let call = |id: &str, hour: u32| {
        json!({"timestamp": format!("2026-11-29T{hour:02}:00:00Z"), "model": "claude-sonnet-4-5",
               "tokens_input": 10_000, "tokens_output": 1_000, "call_id": id})
    };
    // 10k input + 1k output at Sonnet 4.5 prices is $0.045: under the budget alone.
    let r = api
        .post("/ingest/llm-calls", &key, &json!({"calls": [call("a", 1)]}))
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert!(!outbox_types(&api.db)
        .await
        .contains(&"llm_budget_exceeded".to_string()));
    api.post("/ingest/llm-calls", &key, &json!({"calls": [call("b", 2)]}))
        .await;
    api.post("/ingest/llm-calls", &key, &json!({"calls": [call("c", 3)]}))
        .await;
    let mut client = api.db.client().await;
    let events = after(&mut **client, 0, None, 100).await.expect("outbox");
    let budget: Vec<_> = events
        .iter()
        .filter(|e| e.kind == "llm_budget_exceeded")
        .collect();
    assert_eq!(budget.len(), 1, "{events:?}");
    assert_eq!(budget[0].payload["day"], "2026-11-29");
    assert_eq!(budget[0].payload["budget_usd"], 0.05);
    assert!(budget[0].payload["cost_usd"].as_f64().expect("cost") >= 0.05);
}

#[tokio::test]
async fn only_a_write_that_crosses_the_budget_announces_it() {
    let api = Api::new("outbox_budget_cross").await;
    let key = api.key("mimesis__607a7a7c", KeyKind::Secret).await;
    // $0.045 each (see above).
    let call = |id: &str, day: u32| {
        json!({"timestamp": format!("2026-11-{day:02}T01:00:00Z"), "model": "claude-sonnet-4-5",
               "tokens_input": 10_000, "tokens_output": 1_000, "call_id": id})
    };
    let budget_events = || async {
        let mut client = api.db.client().await;
        after(&mut **client, 0, None, 1000)
            .await
            .expect("outbox")
            .into_iter()
            .filter(|e| e.kind == "llm_budget_exceeded")
            .map(|e| e.payload["day"].as_str().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    // Two days of old data, $0.09 each, stored before any budget was set.
    let old = json!({"calls": [call("a", 10), call("b", 10), call("c", 11), call("d", 11)]});
    assert_eq!(api.post("/ingest/llm-calls", &key, &old).await.status, 202);
    let client = api.db.client().await;
    telemetry_shared::store::set_daily_budget(&**client, Some(0.05))
        .await
        .expect("budget");
    // Re-sending the old data changes no day's total: nothing is announced.
    let again = api.post("/ingest/llm-calls", &key, &old).await;
    assert_eq!(again.body["duplicate"], 4, "{}", again.body);
    // A call more on a day that was already over the budget: it crossed nothing.
    let more = json!({"calls": [call("a", 10), call("e", 11)]});
    api.post("/ingest/llm-calls", &key, &more).await;
    assert_eq!(budget_events().await, Vec::<String>::new());
    // A new day that this write takes over the budget: announced, once.
    let cross = json!({"calls": [call("f", 12), call("g", 12)]});
    api.post("/ingest/llm-calls", &key, &cross).await;
    api.post(
        "/ingest/llm-calls",
        &key,
        &json!({"calls": [call("h", 12)]}),
    )
    .await;
    assert_eq!(budget_events().await, vec!["2026-11-12".to_string()]);
}

#[tokio::test]
async fn the_relay_publishes_each_event_once_in_order_to_eventbridge() {
    let moto = Moto::start();
    let sink = BusSink::create(&moto, "telemetry-test").await;
    let db = TestDb::new("outbox_relay").await;
    let client = db.client().await;
    let runs: Vec<WorkflowRun> = (1..=23).map(|i| run(i, "failure", 5)).collect();
    upsert_workflow_runs(&**client, &runs)
        .await
        .expect("upsert");

    let report = relay(&db.pool, &sink.bus(), None).await.expect("relay");
    assert_eq!(
        (report.published, report.pending, report.failed_tries),
        (23, 0, 0)
    );
    let got = sink.drain().await;
    assert_eq!(got.len(), 23);
    let ids: Vec<i64> = got
        .iter()
        .map(|e| e["detail"]["id"].as_i64().expect("id"))
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "published in id order");
    assert_eq!(got[0]["source"], "telemetry.github");
    assert_eq!(got[0]["detail-type"], "workflow_run_failed");
    assert_eq!(got[0]["detail"]["payload"]["repository"], "acme/api");

    let again = relay(&db.pool, &sink.bus(), None).await.expect("relay");
    assert_eq!(again.published, 0);
    assert!(
        sink.drain().await.is_empty(),
        "delivered events are not published again"
    );
    let undelivered: i64 = client
        .query_one(
            "SELECT count(*) FROM outbox_events WHERE delivered_at IS NULL",
            &[],
        )
        .await
        .expect("n")
        .get(0);
    assert_eq!(undelivered, 0);
}

#[tokio::test]
async fn failed_entries_are_retried_and_hold_back_only_their_source() {
    let moto = Moto::start();
    let sink = BusSink::create(&moto, "telemetry-flaky").await;
    let db = TestDb::new("outbox_flaky").await;
    let client = db.client().await;
    upsert_workflow_runs(
        &**client,
        &(1..=4).map(|i| run(i, "failure", 5)).collect::<Vec<_>>(),
    )
    .await
    .expect("runs");

    // Run 2's event fails twice, then goes through: the same relay retries it.
    let flaky = FlakyBus::new(sink.bus(), vec!["\"run_id\":2,".into()], 2);
    let report = relay(&db.pool, &flaky, None).await.expect("relay");
    assert_eq!(
        (report.published, report.failed_tries, report.pending),
        (4, 2, 0),
        "{report:?}"
    );
    let got: Vec<Value> = sink.drain().await;
    assert_eq!(got.len(), 4);

    // Run 6's event always fails: it holds back its source, not another one.
    upsert_workflow_runs(&**client, &[run(6, "failure", 5)])
        .await
        .expect("run");
    telemetry_shared::outbox::append(
        &**client,
        &telemetry_shared::outbox::NewEvent {
            kind: telemetry_shared::outbox::EventKind::PruneCompleted,
            project_id: None,
            broadcast_level: None,
            payload: json!({"complete": true}),
            dedup_key: None,
        },
    )
    .await
    .expect("append");
    let stuck = FlakyBus::new(sink.bus(), vec!["\"run_id\":6,".into()], u32::MAX);
    let report = relay(&db.pool, &stuck, None).await.expect("relay");
    assert_eq!((report.published, report.pending), (1, 1), "{report:?}");
    assert!(report
        .error
        .as_deref()
        .unwrap_or("")
        .contains("ThrottlingException"));
    let got = sink.drain().await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["source"], "telemetry.prune");
    let last_error: Option<String> = client
        .query_one(
            "SELECT last_error FROM outbox_events WHERE payload->>'run_id' = '6'",
            &[],
        )
        .await
        .expect("row")
        .get(0);
    assert!(last_error.is_some_and(|e| e.contains("Throttling")));

    // Run 7 comes after the stuck run 6 of the same source: it waits.
    upsert_workflow_runs(&**client, &[run(7, "failure", 5)])
        .await
        .expect("run");
    let report = relay(&db.pool, &stuck, None).await.expect("relay");
    assert_eq!((report.published, report.pending), (0, 2), "{report:?}");
    assert!(sink.drain().await.is_empty());

    // The bus recovers: both go out, in order.
    let report = relay(&db.pool, &sink.bus(), None).await.expect("relay");
    assert_eq!((report.published, report.pending), (2, 0));
    let runs: Vec<i64> = sink
        .drain()
        .await
        .iter()
        .map(|e| e["detail"]["payload"]["run_id"].as_i64().expect("run"))
        .collect();
    assert_eq!(runs, vec![6, 7]);
}
