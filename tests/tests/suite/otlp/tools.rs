//! Codex CLI and Gemini CLI exports: their usage events become calls with OpenAI's and
//! Google's cached tokens split out of input (and Gemini's thoughts counted as output), their
//! stream events skipped, the rest events, prompts without their text.

use serde_json::Value;
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::Api;
use telemetry_tests::otlp::{codex_turn, gemini_exchange, protobuf};

use super::{post, PROJECT, PROTO};

/// tool, model, input, cache read, output, success, error, session, user.
type CallRow = (
    String,
    String,
    i32,
    i32,
    i32,
    Option<bool>,
    Option<String>,
    Option<String>,
    Option<String>,
);

#[tokio::test]
async fn codex_and_gemini_usage_events_become_calls() {
    let t = Api::new("otlp_codex_gemini").await;
    let key = t.key(PROJECT, KeyKind::Secret).await;
    for export in [codex_turn("conv-1"), gemini_exchange("gem-1")] {
        let (status, _, body) = post(&t, &key, PROTO, &protobuf(&export), true).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }
    let c = t.db.client().await;
    let rows = c
        .query(
            "SELECT tool, model, input_tokens, cache_read_tokens, output_tokens, success,
                    error_message, session_id, user_id, app_version, estimated_cost IS NULL AS unpriced
             FROM llm_calls ORDER BY timestamp",
            &[],
        )
        .await
        .expect("calls");
    let got: Vec<CallRow> = rows
        .iter()
        .map(|r| {
            (
                r.get("tool"),
                r.get("model"),
                r.get("input_tokens"),
                r.get("cache_read_tokens"),
                r.get("output_tokens"),
                r.get("success"),
                r.get("error_message"),
                r.get("session_id"),
                r.get("user_id"),
            )
        })
        .collect();
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        got,
        [
            // Codex counts cached tokens inside input: split out.
            (
                "codex".into(),
                "gpt-5-codex".into(),
                4000,
                20000,
                900,
                Some(true),
                None,
                some("conv-1"),
                some("user-Zq81nB")
            ),
            // Gemini too; its thoughts are output, its tool prompt input.
            (
                "gemini_cli".into(),
                "gemini-2.5-pro".into(),
                3100,
                12000,
                2000,
                Some(true),
                None,
                some("gem-1"),
                some("inst-4d2c9e")
            ),
            (
                "gemini_cli".into(),
                "gemini-2.5-pro".into(),
                0,
                0,
                0,
                Some(false),
                some("HTTP 429: Resource has been exhausted"),
                some("gem-1"),
                some("inst-4d2c9e")
            ),
        ]
    );
    assert_eq!(
        rows[0].get::<_, Option<&str>>("app_version"),
        Some("0.146.0")
    );
    // The Codex stream's delta is skipped; its tool result and Gemini's prompt are events.
    let names: Vec<String> = c
        .query("SELECT event FROM telemetry_events ORDER BY timestamp", &[])
        .await
        .expect("events")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(names, ["codex.tool_result", "gemini_cli.user_prompt"]);
    let prompt: Value = c
        .query_one(
            "SELECT properties FROM telemetry_events WHERE event = 'gemini_cli.user_prompt'",
            &[],
        )
        .await
        .expect("prompt")
        .get(0);
    assert!(
        prompt.get("body").is_none(),
        "a prompt event's body is not kept: {prompt}"
    );
    t.db.drop_db().await;
}
