//! http-ingest at the handler, event batches: the seed's batch, duplicates, mixed good and
//! bad events, gzip and limits, keys and public tokens. Real PostgreSQL; every answer is
//! checked against the OpenAPI document (see `telemetry_tests::http_api`).

use serde_json::json;
use telemetry_shared::http::store::keys::revoke_key;
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::{gzip, seed_batch, Api, REPO_ID};

#[tokio::test]
async fn the_seeds_batch_is_accepted_once_and_a_resend_reports_duplicates() {
    let t = Api::new("http_seed").await;
    let key = t.key("swamp__1a2b3c4d", KeyKind::Secret).await;
    let first = t.post("/ingest", &key, &seed_batch(25)).await;
    assert_eq!(first.status, 202, "{}", first.body);
    assert_eq!(
        (
            first.body["accepted"].as_u64(),
            first.body["duplicate"].as_u64()
        ),
        (Some(25), Some(0))
    );
    assert_eq!(t.events("swamp__1a2b3c4d").await, 25);

    let again = t.post("/ingest", &key, &seed_batch(25)).await;
    assert_eq!(again.status, 202);
    assert_eq!(again.body["duplicate"], 25);
    assert_eq!(again.body["results"][3]["status"], "duplicate");
    assert_eq!(
        again.body["results"][3]["insert_id"],
        first.body["results"][3]["insert_id"]
    );
    assert_eq!(t.events("swamp__1a2b3c4d").await, 25);
    let row =
        t.db.client()
            .await
            .query_one(
                "SELECT event, distinct_id, properties->>'command', received_at IS NOT NULL
             FROM telemetry_events LIMIT 1",
                &[],
            )
            .await
            .expect("row");
    assert_eq!(row.get::<_, String>(0), "cli_invocation");
    assert_eq!(row.get::<_, String>(1), REPO_ID);
    assert_eq!(row.get::<_, String>(2), "model method run");
    t.db.drop_db().await;
}

#[tokio::test]
async fn one_bad_event_is_rejected_with_its_path_and_the_others_land() {
    let t = Api::new("http_mixed").await;
    let key = t.key("swamp__1a2b3c4d", KeyKind::Secret).await;
    let mut body = seed_batch(3);
    body["batch"][1]["distinct_id"] = json!(42);
    body["sent_at"] = json!("2026-11-22T08:00:00Z");
    let a = t.post("/ingest", &key, &body).await;
    assert_eq!(a.status, 207, "{}", a.body);
    assert_eq!(a.body["accepted"], 2);
    assert_eq!(a.body["results"][1]["status"], "rejected");
    assert_eq!(a.body["results"][1]["path"], "$.batch[1].distinct_id");
    assert_eq!(t.events("swamp__1a2b3c4d").await, 2);

    let all_bad = json!({"batch": [{"event": ""}, {"distinct_id": "x"}]});
    let a = t.post("/ingest", &key, &all_bad).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.body["error"], "invalid_batch");
    assert_eq!(a.body["details"]["results"][0]["path"], "$.batch[0].event");

    let a = t
        .call(
            "POST",
            "/ingest",
            &[("authorization", &format!("Bearer {key}"))],
            b"{\"batch\": [\n  {\"event\": }]}",
        )
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.body["error"], "invalid_json");
    assert_eq!(
        (
            a.body["details"]["line"].as_u64(),
            a.body["details"]["column"].as_u64()
        ),
        (Some(2), Some(13))
    );
    t.db.drop_db().await;
}

#[tokio::test]
async fn gzip_is_accepted_within_limits_and_bombs_and_oversize_bodies_are_413() {
    let t = Api::new("http_gzip").await;
    let key = t.key("swamp__1a2b3c4d", KeyKind::Secret).await;
    let auth = format!("Bearer {key}");
    let body = gzip(seed_batch(10).to_string().as_bytes());
    let a = t
        .call(
            "POST",
            "/ingest",
            &[("authorization", &auth), ("content-encoding", "gzip")],
            &body,
        )
        .await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(a.body["accepted"], 10);

    let a = t
        .call(
            "POST",
            "/ingest",
            &[("authorization", &auth), ("content-encoding", "br")],
            b"{}",
        )
        .await;
    assert_eq!(a.status, 415);

    // 50 MB of spaces compress to about 50 KB: far over the ratio cap.
    let bomb = gzip(&vec![b' '; 50 << 20]);
    let a = t
        .call(
            "POST",
            "/ingest",
            &[("authorization", &auth), ("content-encoding", "gzip")],
            &bomb,
        )
        .await;
    assert_eq!(a.status, 413, "{}", a.body);
    assert!(a.body["message"]
        .as_str()
        .unwrap_or_default()
        .contains("expands beyond"));

    let a = t.post("/ingest", &key, &seed_batch(101)).await;
    assert_eq!(a.status, 413, "{}", a.body);
    assert!(a.body["message"]
        .as_str()
        .unwrap_or_default()
        .contains("limit is 100"));

    let huge = vec![b' '; (1 << 20) + 1];
    let a = t
        .call("POST", "/ingest", &[("authorization", &auth)], &huge)
        .await;
    assert_eq!(a.status, 413);
    assert_eq!(a.body["details"]["max_body_bytes"], 1 << 20);

    let mut big = seed_batch(1);
    big["batch"][0]["properties"]["blob"] = json!("x".repeat(70_000));
    let a = t.post("/ingest", &key, &big).await;
    assert_eq!(a.status, 400);
    assert!(a.body["details"]["results"][0]["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("limit"));
    assert_eq!(t.events("swamp__1a2b3c4d").await, 10);
    t.db.drop_db().await;
}

#[tokio::test]
async fn keys_are_checked_revocable_and_confined_to_their_project() {
    let t = Api::new("http_keys").await;
    let mine = t.key("swamp__1a2b3c4d", KeyKind::Secret).await;
    let theirs = t.key("other__9f8e7d6c", KeyKind::Secret).await;

    let a = t
        .call("POST", "/ingest", &[], seed_batch(1).to_string().as_bytes())
        .await;
    assert_eq!(a.status, 401);
    assert_eq!(
        a.headers.get("www-authenticate").map(|v| v.as_bytes()),
        Some(&b"Bearer"[..])
    );
    let mut forged = mine.clone();
    forged.replace_range(forged.len() - 4.., "0000");
    assert_eq!(t.post("/ingest", &forged, &seed_batch(1)).await.status, 401);
    assert_eq!(
        t.post("/ingest", "not-a-key", &seed_batch(1)).await.status,
        401
    );

    assert_eq!(t.post("/ingest", &theirs, &seed_batch(2)).await.status, 202);
    assert_eq!(t.events("other__9f8e7d6c").await, 2);
    assert_eq!(
        t.events("swamp__1a2b3c4d").await,
        0,
        "a key writes only into its own project"
    );

    let prefix = telemetry_shared::http::parse_key(&mine)
        .expect("shape")
        .1
        .to_string();
    revoke_key(&**t.db.client().await, &prefix)
        .await
        .expect("revoke");
    let a = t.post("/ingest", &mine, &seed_batch(1)).await;
    assert_eq!(a.status, 401);
    assert!(a.body["message"]
        .as_str()
        .unwrap_or_default()
        .contains("revoked"));
    t.db.drop_db().await;
}

#[tokio::test]
async fn public_tokens_append_through_the_path_are_rate_limited_and_revocable() {
    let t = Api::new("http_public").await;
    let token = t.key("swamp__1a2b3c4d", KeyKind::Public).await;
    let secret = t.key("swamp__1a2b3c4d", KeyKind::Secret).await;
    telemetry_tests::http_api::within_one_minute().await;
    let path = format!("/p/{token}/ingest");
    // Exactly what the seed's client sends: no credentials, JSON body.
    let a = t
        .call(
            "POST",
            &path,
            &[("content-type", "application/json")],
            seed_batch(3).to_string().as_bytes(),
        )
        .await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(t.events("swamp__1a2b3c4d").await, 3);

    // The limit is 5 events a minute in this test's configuration; three new events pass
    // it (the same three again would be duplicates, which do not count).
    let mut more = seed_batch(3);
    for e in more["batch"].as_array_mut().expect("batch") {
        e["properties"]["command"] = json!("model method list");
    }
    let a = t
        .call("POST", &path, &[], more.to_string().as_bytes())
        .await;
    assert_eq!(a.status, 429, "{}", a.body);
    let wait: u64 = a.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait));
    assert_eq!(t.events("swamp__1a2b3c4d").await, 3);

    // A secret key is not a path token, and a token is not a bearer key.
    let a = t
        .call(
            "POST",
            &format!("/p/{secret}/ingest"),
            &[],
            seed_batch(1).to_string().as_bytes(),
        )
        .await;
    assert_eq!(a.status, 401);
    assert_eq!(t.post("/ingest", &token, &seed_batch(1)).await.status, 401);

    let prefix = telemetry_shared::http::parse_key(&token)
        .expect("shape")
        .1
        .to_string();
    revoke_key(&**t.db.client().await, &prefix)
        .await
        .expect("revoke");
    let a = t
        .call("POST", &path, &[], seed_batch(1).to_string().as_bytes())
        .await;
    assert_eq!(a.status, 401);
    t.db.drop_db().await;
}
