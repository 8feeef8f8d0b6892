//! s3-ingest reads exactly the object version a notification names (moto_server with the
//! real aws-sdk-s3 client, real PostgreSQL): in a versioned bucket every version's rows land
//! even when a newer upload replaced the object before the first notification was handled;
//! in an unversioned bucket a notification whose object was overwritten since is refused
//! (`If-Match` on its ETag) instead of reading the newer upload in its place.

use telemetry_tests::s3::{put, record, s3_env as env, s3_event, statuses, BUCKET};

const HEADER: &str =
    "timestamp,model,prompt_tokens,completion_tokens,task_success,task_type,duration_ms,notes\n";

fn rows(from: u32, to: u32) -> String {
    let mut body = HEADER.to_string();
    for i in from..to {
        body.push_str(&format!(
            "2026-11-21T10:00:{i:02}Z,gpt-4o,100,10,true,plan,5,row {i}\n"
        ));
    }
    body
}

#[tokio::test]
async fn every_version_of_a_versioned_object_lands() {
    let e = env("s3_versions").await;
    e.s3.put_bucket_versioning()
        .bucket(BUCKET)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning");
    let key = "uploads/usage.csv";
    let mut notices = Vec::new();
    // Two different files under one key, both uploaded before either notification is handled.
    for (from, to) in [(0, 3), (10, 12)] {
        let body = rows(from, to);
        let out =
            e.s3.put_object()
                .bucket(BUCKET)
                .key(key)
                .body(body.clone().into_bytes().into())
                .send()
                .await
                .expect("put");
        let etag = out
            .e_tag()
            .unwrap_or_default()
            .trim_matches('"')
            .to_string();
        let version = out.version_id().expect("a version id").to_string();
        let mut r = record("ObjectCreated:Put", key, &etag, body.len());
        r["s3"]["object"]["versionId"] = version.into();
        notices.push(r);
    }
    let report = e.ingest.handle(&s3_event(notices)).await.expect("handled");
    assert_eq!(statuses(&report), vec!["ingested", "ingested"]);
    assert_eq!(e.db.count("llm_calls").await, 5, "3 rows of v1 and 2 of v2");
    e.db.drop_db().await;
}

#[tokio::test]
async fn an_object_overwritten_since_its_notification_is_not_read_in_its_place() {
    let e = env("s3_overwritten").await;
    let key = "uploads/usage.csv";
    let first = rows(0, 3);
    let old_etag = put(&e.s3, key, first.clone().into_bytes()).await;
    let second = rows(20, 22);
    let new_etag = put(&e.s3, key, second.clone().into_bytes()).await;
    assert_ne!(old_etag, new_etag);
    let report = e
        .ingest
        .handle(&s3_event(vec![record(
            "ObjectCreated:Put",
            key,
            &old_etag,
            first.len(),
        )]))
        .await
        .expect("a changed object does not fail the invocation");
    assert_eq!(statuses(&report), vec!["rejected"]);
    let reason = report.objects[0].reason.as_deref().unwrap_or("");
    assert!(
        reason.contains("changed since the notification"),
        "{reason}"
    );
    assert_eq!(
        e.db.count("llm_calls").await,
        0,
        "the newer upload is not read as the old one"
    );
    // The newer upload's own notification reads it.
    let report = e
        .ingest
        .handle(&s3_event(vec![record(
            "ObjectCreated:Put",
            key,
            &new_etag,
            second.len(),
        )]))
        .await
        .expect("handled");
    assert_eq!(statuses(&report), vec!["ingested"]);
    assert_eq!(e.db.count("llm_calls").await, 2);
    e.db.drop_db().await;
}
