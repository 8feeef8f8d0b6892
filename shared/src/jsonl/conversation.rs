//! A Claude Code transcript (or any JSONL log of `user` / `assistant` lines) as readable
//! turns: who said what, tool calls and their results shortened, for `telemetry worker ID
//! --show-conversation`. Lines of other kinds (summaries, snapshots, agent records) are left
//! out; a line that is not JSON is shown as such, never dropped silently.

use std::io::BufRead;

use serde::Serialize;
use serde_json::Value;

/// Characters of a tool result or tool input kept.
const SHORT: usize = 300;

/// One readable turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Turn {
    /// 1-based line of the log.
    pub line: u64,
    /// The line's timestamp as written.
    pub at: Option<String>,
    /// `user`, `assistant`, `tool` (a tool call), `result` (a tool's result) or `unreadable`.
    pub role: &'static str,
    /// What was said, or the tool and its input, shortened.
    pub text: String,
}

/// The turns of `input`, in order. Read errors end the list with an `unreadable` turn.
pub fn conversation(input: impl BufRead) -> Vec<Turn> {
    let mut turns = Vec::new();
    for (i, line) in input.split(b'\n').enumerate() {
        let n = i as u64 + 1;
        let bytes = match line {
            Ok(b) => b,
            Err(e) => {
                turns.push(unreadable(n, format!("cannot read on: {e}")));
                break;
            }
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let v: Value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => {
                turns.push(unreadable(n, format!("not JSON: {e}")));
                continue;
            }
        };
        let role = match v.get("type").and_then(Value::as_str) {
            Some("user") => "user",
            Some("assistant") => "assistant",
            _ => continue,
        };
        let at = v
            .get("timestamp")
            .and_then(Value::as_str)
            .map(str::to_string);
        let content = &v["message"]["content"];
        let mut push = |role: &'static str, text: String| {
            if !text.trim().is_empty() {
                turns.push(Turn {
                    line: n,
                    at: at.clone(),
                    role,
                    text,
                });
            }
        };
        match content {
            Value::String(s) => push(role, s.clone()),
            Value::Array(blocks) => {
                for b in blocks {
                    match b.get("type").and_then(Value::as_str) {
                        Some("text") => push(role, text_of(&b["text"])),
                        Some("tool_use") => push(
                            "tool",
                            format!(
                                "{}: {}",
                                b["name"].as_str().unwrap_or("?"),
                                short(&compact(&b["input"]))
                            ),
                        ),
                        Some("tool_result") => push("result", short(&result_text(&b["content"]))),
                        // Thinking is the model's own; images carry no text.
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    turns
}

fn unreadable(line: u64, text: String) -> Turn {
    Turn {
        line,
        at: None,
        role: "unreadable",
        text,
    }
}

fn text_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A tool result: its text, or its text blocks joined.
fn result_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// The first [`SHORT`] characters, with how many more there were.
fn short(s: &str) -> String {
    let s = s.trim();
    let total = s.chars().count();
    if total <= SHORT {
        return s.to_string();
    }
    let kept: String = s.chars().take(SHORT).collect();
    format!("{kept}… ({} more characters)", total - SHORT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turns_are_readable_and_nothing_is_dropped_silently() {
        let log = concat!(
            r#"{"type":"summary","summary":"s"}"#,
            "\n",
            r#"{"type":"user","timestamp":"2026-11-20T08:00:00Z","message":{"role":"user","content":"Fix the flaky test"}}"#,
            "\n",
            r#"{"type":"assistant","timestamp":"2026-11-20T08:00:05Z","message":{"content":[{"type":"thinking","thinking":"hmm"},{"type":"text","text":"Looking at it."},{"type":"tool_use","name":"Bash","input":{"command":"cargo test"}}]}}"#,
            "\n",
            "\n",
            "not json\n",
        );
        let long = "x".repeat(500);
        let log = format!(
            "{log}{}\n",
            serde_json::json!({"type":"user","message":{"content":[{"type":"tool_result","content":[{"type":"text","text":long}]}]}})
        );
        let turns = conversation(log.as_bytes());
        let seen: Vec<(u64, &str)> = turns.iter().map(|t| (t.line, t.role)).collect();
        assert_eq!(
            seen,
            [
                (2, "user"),
                (3, "assistant"),
                (3, "tool"),
                (5, "unreadable"),
                (6, "result")
            ]
        );
        assert_eq!(turns[0].text, "Fix the flaky test");
        assert_eq!(turns[2].text, r#"Bash: {"command":"cargo test"}"#);
        assert!(
            turns[4].text.ends_with("(200 more characters)"),
            "{}",
            turns[4].text
        );
    }
}
