//! Secrets read through the Parameters and Secrets extension's local endpoint (played by a
//! local HTTP server with the extension's answers): JSON and plain-text secrets, a missing
//! field, and a refusal, each with a message that names the secret and never its value.

use serde_json::json;
use telemetry_shared::failure::Retryable;
use telemetry_shared::secrets::{read_secret, SecretError};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn extension(id: &str, status: u16, body: serde_json::Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/secretsmanager/get"))
        .and(query_param("secretId", id))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn json_and_plain_secrets_are_read() {
    let s = extension(
        "gh",
        200,
        json!({"Name": "gh", "SecretString": "{\"token\":\"ghp_abc\"}"}),
    )
    .await;
    assert_eq!(
        read_secret(&s.uri(), "gh", "token").await.expect("read"),
        "ghp_abc"
    );
    let err = read_secret(&s.uri(), "gh", "password")
        .await
        .expect_err("no such field");
    assert!(matches!(err, SecretError::Malformed { .. }));
    assert!(
        err.to_string().contains("\"password\"") && !err.to_string().contains("ghp_abc"),
        "{err}"
    );

    let s = extension(
        "plain",
        200,
        json!({"Name": "plain", "SecretString": "ghp_plain"}),
    )
    .await;
    assert_eq!(
        read_secret(&s.uri(), "plain", "token").await.expect("read"),
        "ghp_plain"
    );
}

#[tokio::test]
async fn a_refusal_names_the_secret_and_the_status() {
    let s = extension(
        "missing",
        400,
        json!({"__type": "ResourceNotFoundException", "message": "Secrets Manager can't find the specified secret."}),
    )
    .await;
    let err = read_secret(&s.uri(), "missing", "token")
        .await
        .expect_err("refused");
    let msg = err.to_string();
    assert!(
        msg.contains("missing") && msg.contains("400") && msg.contains("can't find"),
        "{msg}"
    );
    assert!(!err.is_retryable());

    let err = read_secret("http://127.0.0.1:1", "any", "token")
        .await
        .expect_err("nothing listens");
    assert!(
        err.is_retryable() && err.to_string().contains("layer"),
        "{err}"
    );
}
