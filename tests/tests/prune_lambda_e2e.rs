//! prune end to end through the real Lambda Runtime API: `cargo lambda watch` runs the
//! function against a fresh PostgreSQL database, S3 and EventBridge on a local
//! AWS-compatible server (moto); `cargo lambda invoke` delivers the nightly scheduled event,
//! then the 5-minute relay's input.

use chrono::Utc;
use serde_json::{json, Value};
use telemetry_tests::bus::BusSink;
use telemetry_tests::lambda::{Watch, XrayDaemon};
use telemetry_tests::prune::{seed, PruneEnv, ARCHIVE};

fn scheduled_event() -> Value {
    let path = format!(
        "{}/fixtures/events/prune_schedule.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

#[tokio::test]
async fn the_nightly_event_archives_deletes_and_publishes() {
    let env = PruneEnv::start("prune_lambda").await;
    let sink = BusSink::create(&env.moto, "telemetry-e2e").await;
    seed(&env.db, Utc::now(), &[250, 120, 10], 25).await;

    let moto_env = env.moto.env();
    let mut vars: Vec<(&str, &str)> = moto_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.extend([
        ("DATABASE_URL", env.db.url.as_str()),
        ("ARCHIVE_BUCKET", ARCHIVE),
        ("EVENT_BUS_NAME", "telemetry-e2e"),
        ("PRUNE_DELETE_BATCH", "10"),
    ]);
    let daemon = XrayDaemon::start();
    let daemon_addr = daemon.address();
    vars.push(("AWS_XRAY_DAEMON_ADDRESS", &daemon_addr));
    let watch = Watch::start(&vars);
    // First, a dry run: it also waits out the emulator's build of the function.
    let dry = watch
        .invoke("prune", &json!({"dry_run": true}))
        .expect("dry run");
    let llm = dry["prune"]["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .find(|t| t["table"] == "llm_calls")
        .cloned()
        .expect("llm");
    assert_eq!(
        (llm["deleted"].as_u64(), llm["kept"].as_u64()),
        (Some(25), Some(50)),
        "{dry}"
    );
    assert_eq!(env.db.count("llm_calls").await, 75);
    assert_eq!(
        dry["relay"]["published"], 1,
        "the seed ingest's file_ingested: {dry}"
    );

    let out = watch
        .invoke("prune", &scheduled_event())
        .expect("the prune succeeds");
    assert_eq!(out["prune"]["complete"], true, "{out}");
    assert_eq!(env.db.count("llm_calls").await, 50);
    assert_eq!(env.db.count("events").await, 25);
    let keys = env.archive_keys().await;
    // 250 days: all four archived tables; 120 days: the two with 90 days of retention.
    assert_eq!(keys.len(), 4 + 2, "{keys:?}");
    assert_eq!(out["relay"]["published"], 1, "prune_completed: {out}");

    let delivered = sink.drain().await;
    let types: Vec<&str> = delivered
        .iter()
        .map(|e| e["detail-type"].as_str().unwrap_or(""))
        .collect();
    assert!(types.contains(&"prune_completed"), "{types:?}");
    assert!(types.contains(&"file_ingested"), "{types:?}");
    assert_eq!(delivered.len(), 2, "{types:?}");
    let done = delivered
        .iter()
        .find(|e| e["detail-type"] == "prune_completed")
        .expect("event");
    assert_eq!(done["source"], "telemetry.prune");
    assert_eq!(done["detail"]["payload"]["complete"], true);

    // The 5-minute relay finds nothing left.
    let relay = watch
        .invoke("prune", &json!({"action": "relay"}))
        .expect("relay");
    assert_eq!(relay["relay"]["published"], 0, "{relay}");
    assert_eq!(relay["prune"], Value::Null);
    assert!(watch.invoke("prune", &json!({"action": "vacuum"})).is_err());
    // The prune's archive parts and plain deletes were subsegments of its trace.
    let docs = daemon.documents();
    let archived = daemon.ended(&docs, "PostgreSQL archive llm_calls").len();
    assert!(archived >= 1, "{} documents", docs.len());
    assert_eq!(
        daemon
            .ended(&docs, "PostgreSQL delete archived llm_calls")
            .len(),
        archived
    );
    // One upload per archive object, as an AWS subsegment.
    let uploads = daemon.ended(&docs, "S3");
    assert_eq!(uploads.len(), keys.len(), "{uploads:?}");
    assert!(
        uploads.iter().all(|u| u["aws"]["operation"] == "PutObject"),
        "{uploads:?}"
    );
    assert!(
        docs.iter().any(|d| d["end_time"].is_number()
            && d["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("PostgreSQL delete "))),
        "{} documents",
        docs.len()
    );
    drop(watch);
}

/// CloudFormation's request to the stack's `DatabaseMigrations` custom resource.
fn custom_resource_event(request_type: &str, response_url: &str) -> Value {
    json!({
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:telemetry-prod-PruneFunction-AbC123",
        "ResponseURL": response_url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/telemetry-prod/5b6f1a20-ce3a-11ef-9b1c-0e1f2a3b4c5d",
        "RequestId": "a3b4c5d6-7e8f-4a1b-9c2d-3e4f5a6b7c8d",
        "ResourceType": "Custom::DatabaseMigrations",
        "LogicalResourceId": "DatabaseMigrations",
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:telemetry-prod-PruneFunction-AbC123",
            "FunctionVersion": "7"
        }
    })
}

#[tokio::test]
async fn a_deploy_migrates_an_empty_database_reading_its_url_from_secrets_manager() {
    use wiremock::matchers::{header, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    // An empty database, as a new stack's RDS instance is.
    let name = format!("t_deploy_{}", std::process::id());
    let admin = telemetry_shared::db::connect_one(&telemetry_tests::admin_url())
        .await
        .expect("admin");
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        admin.batch_execute(&sql).await.expect("create");
    }
    let url = telemetry_tests::with_database(&telemetry_tests::admin_url(), &name);

    // The Parameters and Secrets extension, and CloudFormation's pre-signed response URL.
    let aws = MockServer::start().await;
    let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:telemetry/db-AbCdEf";
    Mock::given(method("GET"))
        .and(path("/secretsmanager/get"))
        .and(query_param("secretId", arn))
        .and(header(
            "x-aws-parameters-secrets-token",
            "session-token-deploy",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ARN": arn, "Name": "telemetry/db", "SecretString": json!({"url": url}).to_string(),
            "VersionId": "b1c2d3e4-5678-90ab-cdef-EXAMPLE22222", "VersionStages": ["AWSCURRENT"]
        })))
        .mount(&aws)
        .await;
    Mock::given(method("PUT"))
        .and(path("/cfn-response"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&aws)
        .await;
    let port = aws.address().port().to_string();
    let watch = Watch::start(&[
        ("DATABASE_SECRET_ARN", arn),
        ("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", &port),
        ("AWS_SESSION_TOKEN", "session-token-deploy"),
    ]);
    let response_url = format!("http://127.0.0.1:{port}/cfn-response");
    let out = watch
        .invoke("prune", &custom_resource_event("Create", &response_url))
        .expect("create");
    assert_eq!(out["Status"], "SUCCESS", "{out}");
    let sent = aws.received_requests().await.expect("requests");
    let put = sent
        .iter()
        .find(|r| r.method.as_str() == "PUT")
        .expect("the response was PUT");
    let body: Value = serde_json::from_slice(&put.body).expect("json");
    assert_eq!(body["Status"], "SUCCESS");
    assert_eq!(body["LogicalResourceId"], "DatabaseMigrations");
    assert!(
        body["Data"]["Applied"]
            .as_str()
            .unwrap_or("")
            .contains("V5__outbox_prune_briefings"),
        "{body}"
    );

    let client = telemetry_shared::db::connect_one(&url)
        .await
        .expect("connect");
    let tables: i64 = client
        .query_one("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'outbox_events'", &[])
        .await
        .expect("tables")
        .get(0);
    assert_eq!(tables, 1, "migrated");
    // An update with nothing new applies nothing; a delete leaves the data alone.
    let again = watch
        .invoke("prune", &custom_resource_event("Update", &response_url))
        .expect("update");
    assert_eq!(again["Data"]["Applied"], "");
    let delete = watch
        .invoke("prune", &custom_resource_event("Delete", &response_url))
        .expect("delete");
    assert_eq!(delete["Status"], "SUCCESS");
    // By hand: up to date.
    let by_hand = watch
        .invoke("prune", &json!({"action": "migrate"}))
        .expect("migrate");
    assert_eq!(by_hand["migrated"], json!([]), "{by_hand}");
    drop(watch);
    drop(client);
    let _ = admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await;
}
