use super::*;
use crate::model::{CallSource, CostStatus};

fn fixture(name: &str) -> String {
    let path = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn lines(text: &str) -> Vec<Line> {
    JsonlReader::new(text.as_bytes())
        .collect::<std::io::Result<Vec<_>>>()
        .expect("no io error")
}

fn calls(lines: &[Line]) -> Vec<&LlmCall> {
    lines
        .iter()
        .filter_map(|l| match l {
            Line::Record {
                record: Record::Call(c),
                ..
            } => Some(c),
            _ => None,
        })
        .collect()
}

fn summary(lines: &[Line]) -> Vec<String> {
    lines
        .iter()
        .map(|l| match l {
            Line::Record { line, .. } => format!("{line}:record"),
            Line::Duplicate { line } => format!("{line}:dup"),
            Line::Skipped { line } => format!("{line}:skip"),
            Line::Reject { line, reason, .. } => format!("{line}:reject:{reason}"),
        })
        .collect()
}

#[test]
fn claude_code_one_call_per_response_keeping_the_largest_usage() {
    let got = lines(&fixture("claude_code.jsonl"));
    assert_eq!(
        summary(&got),
        vec![
            "1:skip",
            "2:skip",
            "3:record",
            "4:record",
            "5:dup",
            "6:skip",
            "7:record",
            "8:dup",
            "9:skip",
            "10:skip",
            "11:skip",
            "12:record"
        ]
    );
    let c = calls(&got);
    // msg_A twice (partial, then final with more output): same key, the later one wins.
    assert_eq!(c[0].dedup_key, c[1].dedup_key);
    assert_eq!(c[1].tokens.output, 180);
    assert_eq!(
        (
            c[1].tokens.input,
            c[1].tokens.cache_read,
            c[1].tokens.cache_write
        ),
        (12, 30000, 2000)
    );
    // The first line's time anchors the key, so every copy shares it.
    assert_eq!(c[1].timestamp.to_rfc3339(), "2026-11-20T09:00:03+00:00");
    assert_eq!(c[1].source, CallSource::ClaudeCode);
    assert_eq!(c[1].session_id.as_deref(), Some("sess-cc-1"));
    assert_eq!(
        c[1].cost.status,
        CostStatus::Priced,
        "dated model names are priced"
    );
    // The sidechain response is counted once and keeps its agent.
    assert_eq!(c[2].worker_id.as_deref(), Some("agent-7"));
    assert_eq!(c[3].model, "claude-opus-4-5");
}

#[test]
fn codex_turns_from_running_totals_with_cached_tokens_split_out() {
    let got = lines(&fixture("codex.jsonl"));
    assert_eq!(
        summary(&got),
        vec![
            "1:skip", "2:skip", "3:skip", "4:skip", "5:record", "6:dup", "7:skip", "8:record",
            "9:skip"
        ]
    );
    let c = calls(&got);
    assert_eq!(
        (
            c[0].tokens.input,
            c[0].tokens.cache_read,
            c[0].tokens.output
        ),
        (16000, 0, 80)
    );
    // Turn 2 = totals difference: 16150 input of which 15100 cached -> 1050 uncached.
    assert_eq!(
        (
            c[1].tokens.input,
            c[1].tokens.cache_read,
            c[1].tokens.output
        ),
        (1050, 15100, 46)
    );
    assert_eq!(c[1].model, "gpt-5");
    assert_eq!(c[1].session_id.as_deref(), Some("codex-sess-1"));
    // gpt-5: 1050 x 1.25 + 15100 x 0.125 + 46 x 10 per million.
    assert_eq!(c[1].cost.usd, Some(0.00366));
    assert_ne!(c[0].dedup_key, c[1].dedup_key);
}

#[test]
fn agent_records_and_their_rejects() {
    let got = lines(&fixture("agent.jsonl"));
    let s = summary(&got);
    assert_eq!(
        s.iter().filter(|x| x.ends_with(":record")).count(),
        11,
        "{s:?}"
    );
    assert_eq!(
        s[10],
        "11:reject:status: \"finished\" is not one of detected, active, completed, failed"
    );
    let c = calls(&got);
    assert_eq!(c.len(), 2);
    assert_eq!(c[0].cost.status, CostStatus::Priced);
    assert_eq!(c[0].duration_ms, Some(3201));
    assert_eq!(c[0].worker_id.as_deref(), Some("w-abc123"));
    // The record's own figure is kept beside the table's price of the same tokens.
    assert_eq!(c[1].cost.status, CostStatus::Priced);
    assert_eq!(c[1].source_cost_usd, Some(0.0045));
}

#[test]
fn bad_lines_are_rejected_with_their_raw_text_and_the_rest_read() {
    let text = "{\"kind\":\"event\",\"ts\":\"2026-11-20T08:00:00Z\",\"event_type\":\"x\",\"message\":\"m\"}\n\
                not json\n\
                [1,2]\n\
                \n\
                {\"kind\":\"event\",\"event_type\":\"x\",\"message\":\"m\"}\n\
                {\"hello\":1}\n\
                {\"kind\":\"event\",\"ts\":\"2026-11-20T08:00:00Z\",\"event_type\":\"x\",\"message\":\"m\"}\n";
    let got = lines(text);
    let s = summary(&got);
    assert_eq!(s[0], "1:record");
    assert!(
        s[1].starts_with("2:reject:invalid JSON: expected ident at line 1 column 2"),
        "{s:?}"
    );
    assert_eq!(s[2], "3:reject:not a JSON object");
    assert_eq!(s[3], "5:reject:missing ts or timestamp");
    assert!(s[4].starts_with("6:reject:unknown record"), "{s:?}");
    assert_eq!(s[5], "7:record");
    match &got[1] {
        Line::Reject { raw, .. } => assert_eq!(raw, "not json"),
        other => panic!("{other:?}"),
    }
    // Identical event lines are two events (occurrence 0 and 1), with stable keys.
    let key = |l: &Line| match l {
        Line::Record {
            record: Record::Agent(AgentRecord::Event(e)),
            ..
        } => e.key,
        other => panic!("{other:?}"),
    };
    assert_ne!(key(&got[0]), key(&got[5]));
    assert_eq!(key(&lines(text)[0]), key(&got[0]));
}
