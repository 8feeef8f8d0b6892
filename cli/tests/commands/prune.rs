//! `telemetry prune`, `relay`, `outbox` and `budget` against a fresh database, with
//! archives and the event bus on a local AWS-compatible server (moto).

use std::process::Output;

use crate::common::{telemetry, telemetry_with};
use chrono::Utc;
use telemetry_tests::bus::BusSink;
use telemetry_tests::prune::{seed, PruneEnv, ARCHIVE};

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn prune_reports_then_archives_and_the_outbox_replays_and_relays() {
    let env = PruneEnv::start("cli_prune").await;
    let sink = BusSink::create(&env.moto, "telemetry-cli").await;
    seed(&env.db, Utc::now(), &[250, 10], 10).await;
    let moto = env.moto.env();
    let mut vars: Vec<(&str, &str)> = moto.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.push(("ARCHIVE_BUCKET", ARCHIVE));
    let db = &env.db;

    // A dry run never contacts AWS: an instance metadata service that only records
    // connections sees none, and nothing is logged about it.
    let imds = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    imds.set_nonblocking(true).expect("nonblocking");
    let imds_url = format!("http://{}", imds.local_addr().expect("addr"));
    let mut dry_vars: Vec<(&str, &str)> = vars
        .iter()
        .copied()
        .filter(|(k, _)| !k.starts_with("AWS_"))
        .collect();
    dry_vars.push(("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds_url));
    let dry_out = telemetry_with(db, &["prune", "--dry-run"], &dry_vars);
    let dry = ok(&dry_out);
    assert!(dry.starts_with("dry run: nothing was changed"), "{dry}");
    assert!(
        imds.accept().is_err(),
        "the dry run contacted the metadata service"
    );
    assert_eq!(
        String::from_utf8_lossy(&dry_out.stderr),
        "",
        "nothing logged"
    );
    let line = dry
        .lines()
        .find(|l| l.trim_start().starts_with("llm_calls"))
        .expect("llm_calls row");
    let cells: Vec<&str> = line.split_whitespace().collect();
    // table, retention, cut-off (date and time), archived, deleted, kept, remaining
    assert_eq!(
        (cells[1], cells[4], cells[5], cells[6]),
        ("6mo", "10", "10", "10"),
        "{line}"
    );
    assert_eq!(db.count("llm_calls").await, 20);

    let refused = telemetry_with(db, &["prune", "--retain", "projects=1d"], &vars);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("cannot be pruned"));

    let json: serde_json::Value = serde_json::from_str(&ok(&telemetry_with(
        db,
        &["prune", "--json", "--retain", "llm_calls=12mo"],
        &vars,
    )))
    .expect("json");
    assert_eq!(json["complete"], true);
    assert_eq!(db.count("llm_calls").await, 20, "12 months kept them");
    assert_eq!(db.count("workflow_runs").await, 10);
    let text = ok(&telemetry_with(db, &["prune"], &vars));
    assert!(text.contains("complete"), "{text}");
    assert!(
        text.contains("archive: s3://telemetry-archive/archive/llm_calls/"),
        "{text}"
    );
    assert_eq!(db.count("llm_calls").await, 10);

    // Without a bucket the archived tables are refused, with the reason.
    let no_bucket: Vec<(&str, &str)> = moto.iter().map(|(k, v)| (*k, v.as_str())).collect();
    seed(db, Utc::now(), &[300], 1).await;
    let out = telemetry_with(db, &["prune"], &no_bucket);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ARCHIVE_BUCKET is not set"));

    let events = ok(&telemetry(db, &["outbox"]));
    assert!(
        events.contains("prune_completed") && events.contains("file_ingested"),
        "{events}"
    );
    let replay: serde_json::Value = serde_json::from_str(&ok(&telemetry(
        db,
        &["outbox", "--after", "0", "--json", "--limit", "2"],
    )))
    .expect("json");
    assert_eq!(replay.as_array().map(Vec::len), Some(2));
    let cursor = replay[0]["id"].as_i64().expect("id");
    let rest: serde_json::Value = serde_json::from_str(&ok(&telemetry(
        db,
        &[
            "outbox",
            "--after",
            &cursor.to_string(),
            "--json",
            "--limit",
            "1",
        ],
    )))
    .expect("json");
    assert_eq!(rest[0]["id"], replay[1]["id"], "the cursor moves on by one");
    // The old spelling says where the command went instead of listing agent events.
    let moved = telemetry(db, &["events", "--after", "0"]);
    assert!(!moved.status.success());
    assert!(
        String::from_utf8_lossy(&moved.stderr).contains("telemetry outbox --after 0"),
        "{}",
        String::from_utf8_lossy(&moved.stderr)
    );

    let refused = telemetry(db, &["relay"]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("EVENT_BUS_NAME is not set"));
    let mut with_bus = no_bucket.clone();
    with_bus.push(("EVENT_BUS_NAME", "telemetry-cli"));
    let relayed = ok(&telemetry_with(db, &["relay"], &with_bus));
    assert!(relayed.starts_with("published "), "{relayed}");
    assert!(relayed.contains("pending 0"), "{relayed}");
    assert!(!sink.drain().await.is_empty());

    assert!(ok(&telemetry(db, &["budget"])).contains("no daily LLM budget"));
    assert!(ok(&telemetry(db, &["budget", "--daily", "25"])).contains("$25.00"));
    assert!(!telemetry(db, &["budget", "--daily", "-1"]).status.success());
    assert!(ok(&telemetry(db, &["budget", "--clear"])).contains("no daily LLM budget"));
}

#[tokio::test]
async fn a_relay_to_a_bus_that_is_down_says_so_and_exits_1() {
    let db = telemetry_tests::TestDb::new("cli_relay_down").await;
    db.client()
        .await
        .batch_execute(
            "INSERT INTO outbox_events (type, source, payload)
             VALUES ('file_ingested', 'telemetry.ingest', '{}')",
        )
        .await
        .expect("event");
    let endpoint = format!("http://127.0.0.1:{}", telemetry_tests::free_port());
    let env = bus_that_is_down(&endpoint);
    let t0 = std::time::Instant::now();
    let out = telemetry_with(&db, &["relay"], &env);
    assert!(t0.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("published 0, pending 1"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("left 1 events undelivered"), "{stderr}");
    db.drop_db().await;
}

#[tokio::test]
async fn parked_entries_are_listed_and_unparked_by_hand() {
    let db = telemetry_tests::TestDb::new("cli_relay_parked").await;
    db.client()
        .await
        .batch_execute(
            "INSERT INTO outbox_events (type, source, payload, attempts, last_error, parked_at)
             VALUES ('file_ingested', 'telemetry.ingest', '{}', 3,
                     'MalformedDetail: Detail is malformed.', now())",
        )
        .await
        .expect("parked event");
    let listed = telemetry(&db, &["relay", "--parked"]);
    assert!(listed.status.success());
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(
        text.contains("telemetry.ingest") && text.contains("MalformedDetail"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&telemetry(&db, &["relay", "--parked", "--json"]).stdout)
            .expect("json");
    assert_eq!(json[0]["attempts"], 3);
    // Unparked, then relayed to a bus that is down: the entry waits again, unparked.
    let endpoint = format!("http://127.0.0.1:{}", telemetry_tests::free_port());
    let env = bus_that_is_down(&endpoint);
    let out = telemetry_with(&db, &["relay", "--retry-all"], &env);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unparked 1 entries"));
    let after = telemetry(&db, &["relay", "--parked"]);
    assert!(String::from_utf8_lossy(&after.stdout).contains("no parked entries"));
    db.drop_db().await;
}

/// The environment of a relay to an event bus at `endpoint`, where nothing listens.
fn bus_that_is_down(endpoint: &str) -> [(&'static str, &str); 6] {
    [
        ("EVENT_BUS_NAME", "telemetry-cli"),
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
}
