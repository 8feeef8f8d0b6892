//! A small tree like ~/.claude/projects plus ~/.codex/sessions, written by the tests.

use std::io::Write;
use std::path::Path;

/// A Claude Code response: `parts` lines sharing its ids, the usage growing to the last.
pub fn claude_response(
    session: &str,
    n: u32,
    minute: u32,
    parts: u32,
    sidechain: bool,
) -> Vec<String> {
    (1..=parts)
        .map(|p| {
            format!(
                r#"{{"type":"assistant","sessionId":"{session}","requestId":"req_{session}_{n}","isSidechain":{sidechain},{agent}"timestamp":"2026-11-20T{h:02}:{m:02}:{p:02}.000Z","message":{{"id":"msg_{session}_{n}","model":"{model}","role":"assistant","content":[{{"type":"text","text":"{text}"}}],"usage":{{"input_tokens":{i},"cache_read_input_tokens":{r},"cache_creation_input_tokens":{w},"output_tokens":{o},"cache_creation":{{"ephemeral_1h_input_tokens":{w1}}}}}}}}}"#,
                agent = if sidechain { r#""agentId":"agent-7","# } else { "" },
                h = 8 + minute / 60,
                m = minute % 60,
                model = if n.is_multiple_of(3) { "claude-opus-4-6" } else { "claude-sonnet-4-5" },
                text = "word ".repeat(20 * p as usize),
                i = 3 + n,
                r = 1000 * n,
                w = 200 + n,
                w1 = (200 + n) / 2,
                o = 10 * p + n,
            )
        })
        .collect()
}

fn user_turn(session: &str, minute: u32) -> String {
    format!(
        r#"{{"type":"user","sessionId":"{session}","timestamp":"2026-11-20T{:02}:{:02}:00.000Z","message":{{"role":"user","content":[{{"type":"tool_result","content":"{}"}}]}}}}"#,
        8 + minute / 60,
        minute % 60,
        "x\\n".repeat(3000)
    )
}

/// A Claude Code session of `responses` responses, with user turns, a summary, and a
/// sidechain copy of one response.
pub fn claude_session(session: &str, responses: u32) -> Vec<String> {
    let mut lines = vec![format!(
        r#"{{"type":"summary","summary":"s","leafUuid":"{session}"}}"#
    )];
    for n in 0..responses {
        lines.push(user_turn(session, n));
        lines.extend(claude_response(session, n, n, 1 + n % 3, false));
        if n == 2 {
            lines.extend(claude_response(session, n, n, 3, true));
        }
    }
    lines
}

/// A Codex session: running totals, one that did not move, turns on two models.
pub fn codex_session(id: &str, turns: u32) -> Vec<String> {
    let mut lines = vec![format!(
        r#"{{"timestamp":"2026-11-21T08:00:00.000Z","type":"session_meta","payload":{{"id":"{id}","base_instructions":{{"text":"{}"}}}}}}"#,
        "long ".repeat(500)
    )];
    let (mut input, mut cached, mut output) = (0u32, 0u32, 0u32);
    for t in 0..turns {
        if t.is_multiple_of(4) {
            let model = if t.is_multiple_of(8) {
                "gpt-5"
            } else {
                "gpt-5-codex"
            };
            lines.push(format!(
                r#"{{"timestamp":"2026-11-21T08:{t:02}:00.000Z","type":"turn_context","payload":{{"model":"{model}"}}}}"#
            ));
        }
        input += 1000 + t;
        cached += 500;
        output += 40 + t;
        let total = input + output;
        let count = format!(
            r#"{{"timestamp":"2026-11-21T08:{t:02}:30.000Z","type":"event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{{"input_tokens":{input},"cached_input_tokens":{cached},"output_tokens":{output},"total_tokens":{total}}},"last_token_usage":{{"input_tokens":{input},"cached_input_tokens":{cached},"output_tokens":{output},"total_tokens":{total}}}}}}}}}"#
        );
        lines.push(count.clone());
        if t % 5 == 1 {
            lines.push(count);
        }
        lines.push(format!(
            r#"{{"timestamp":"2026-11-21T08:{t:02}:40.000Z","type":"response_item","payload":{{"type":"message","role":"assistant","content":[{{"type":"output_text","text":"{}"}}]}}}}"#,
            "out ".repeat(200)
        ));
    }
    lines
}

pub fn write(path: &Path, lines: &[String]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, lines.join("\n") + "\n").expect("write");
}

/// A tree like ~/.claude/projects plus ~/.codex/sessions: sessions, a resumed session
/// copying another's lines, a gzip file, an agent log, a line that is rejected.
pub fn make_tree(root: &Path) {
    let _ = std::fs::remove_dir_all(root);
    for s in 0..6 {
        let project = root.join(format!("claude/projects/-work-p{}", s % 2));
        write(
            &project.join(format!("s{s}.jsonl")),
            &claude_session(&format!("s{s}"), 5 + s),
        );
    }
    // Resumed: the first lines of s1 copied, then its own responses.
    let mut resumed: Vec<String> = claude_session("s1", 6).into_iter().take(8).collect();
    resumed.extend(claude_session("r1", 3));
    resumed.push(r#"{"type":"assistant","sessionId":"r1","timestamp":"2026-11-20T09:00:00Z","message":{"id":"bad","model":"claude-sonnet-4-5","usage":{"input_tokens":-5}}}"#.into());
    write(
        &root.join("claude/projects/-work-p1/resumed.jsonl"),
        &resumed,
    );
    for c in 0..4 {
        write(
            &root.join(format!("codex/sessions/2026/11/21/rollout-{c}.jsonl")),
            &codex_session(&format!("cx{c}"), 6 + 3 * c),
        );
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all((claude_session("g1", 4).join("\n") + "\n").as_bytes())
        .expect("gz");
    let gz_path = root.join("claude/projects/-work-p0/old.jsonl.gz");
    std::fs::write(gz_path, gz.finish().expect("gz")).expect("write gz");
    let agent = std::fs::read_to_string(format!(
        "{}/fixtures/agent.jsonl",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("agent fixture");
    std::fs::write(root.join("agent.ndjson"), agent).expect("agent");
    // Not a log: a directory walk leaves it alone.
    std::fs::write(root.join("claude/notes.txt"), "not json").expect("txt");
}
