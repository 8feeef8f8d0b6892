//! `telemetry keys create|list|revoke` as a user runs them, on a fresh database.

use crate::common::telemetry;
use telemetry_tests::TestDb;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test]
async fn keys_are_shown_once_listed_without_secrets_and_revoked() {
    let db = TestDb::new("cli_keys").await;
    let out = telemetry(
        &db,
        &[
            "keys",
            "create",
            "--project",
            "mimesis",
            "--remote",
            "git@github.com:user/mimesis.git",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let key = created["key"].as_str().expect("key").to_string();
    let project = created["project_id"].as_str().expect("project").to_string();
    assert!(project.starts_with("mimesis__") && project.len() == "mimesis__".len() + 8);
    assert!(key.starts_with("tk_"));

    let out = telemetry(
        &db,
        &[
            "keys",
            "create",
            "--project",
            &project,
            "--public",
            "--label",
            "shipped CLI",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("/p/tp_") && shown.contains("public ingest token"),
        "{shown}"
    );
    assert!(text(&out.stderr).contains("only time it is shown"));

    let out = telemetry(&db, &["keys", "list"]);
    let listing = text(&out.stdout);
    assert!(
        listing.contains(&project) && listing.contains("shipped CLI"),
        "{listing}"
    );
    assert!(!listing.contains(&key), "a key is never listed");
    assert!(listing.contains(&project));

    let prefix = created["prefix"].as_str().expect("prefix");
    let out = telemetry(&db, &["keys", "revoke", prefix]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = telemetry(&db, &["keys", "revoke", prefix]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no live key"));
    let out = telemetry(&db, &["keys", "list", "--json"]);
    let keys: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let revoked = keys
        .as_array()
        .expect("list")
        .iter()
        .find(|k| k["prefix"] == prefix)
        .expect("listed");
    assert!(revoked["revoked_at"].is_string());

    for remote in ["not a remote", "mimesis", ""] {
        let out = telemetry(
            &db,
            &["keys", "create", "--project", "mimesis", "--remote", remote],
        );
        assert_eq!(out.status.code(), Some(1), "{remote:?}");
        assert!(
            text(&out.stderr).contains("is not a git remote"),
            "{}",
            text(&out.stderr)
        );
    }

    let out = telemetry(&db, &["keys", "create", "--project", "not a project"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--remote"),
        "{}",
        text(&out.stderr)
    );
    db.drop_db().await;
}
