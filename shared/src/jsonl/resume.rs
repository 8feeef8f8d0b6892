//! A reader's state between runs, so that a grown file is read from where the last run
//! stopped and still gives the same records as a read from the start: the Claude Code
//! responses seen (a later line of one keeps its first line's time), the Codex session,
//! model and running total, and the agent records' occurrence counts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::codex::{CodexState, SessionPlace, Usage};
use super::JsonlReader;
use crate::csv::occurrence::Occurrences;

/// What [`JsonlReader::resume`] needs to go on reading a file after its first bytes.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReaderState {
    /// Lines before the resume point: numbering goes on from here.
    pub line: u64,
    /// Claude Code responses: key (hex), first time (µs since the epoch), largest usage.
    claude: Vec<(String, i64, u64)>,
    codex_session: Option<String>,
    codex_model: Option<String>,
    /// The last Codex running total: input, cached, cache writes, output, total.
    codex_previous: Option<[u32; 5]>,
    /// Where the Codex session ran (absent in states saved before it was kept).
    #[serde(default)]
    codex_place: SessionPlace,
    /// Agent record identities: key (hex), sightings, time (µs), row last seen.
    occurrences: Vec<(String, u32, i64, u64)>,
    occurrence_rows: u64,
}

impl<R: std::io::BufRead> JsonlReader<R> {
    /// A reader over `input` that goes on from `state` (`input` starts at the byte after
    /// the lines the state counts).
    pub fn resume(input: R, state: &ReaderState) -> Result<Self, String> {
        let mut r = JsonlReader::new(input);
        r.line = state.line;
        r.complete_line = state.line;
        for (key, micros, max) in &state.claude {
            r.claude.seen.insert(unhex(key)?, (time(*micros)?, *max));
        }
        r.codex = CodexState {
            session: state.codex_session.clone(),
            model: state.codex_model.clone(),
            previous: state
                .codex_previous
                .map(|[input, cached, cache_write, output, total]| Usage {
                    input,
                    cached,
                    cache_write,
                    output,
                    total,
                }),
            place: state.codex_place.clone(),
        };
        let mut seen = Vec::with_capacity(state.occurrences.len());
        for (key, n, micros, row) in &state.occurrences {
            seen.push((unhex(key)?, (*n, time(*micros)?, *row)));
        }
        r.agent.occurrences = Occurrences::restore(seen, state.occurrence_rows);
        Ok(r)
    }

    /// The state to resume from after the last complete line read (see [`Self::resume`]).
    pub fn state(&self) -> ReaderState {
        let mut claude: Vec<_> = self
            .claude
            .seen
            .iter()
            .map(|(k, (t, max))| (hex(k), t.timestamp_micros(), *max))
            .collect();
        claude.sort();
        let (seen, rows) = self.agent.occurrences.snapshot();
        let mut occurrences: Vec<_> = seen
            .into_iter()
            .map(|(k, (n, t, row))| (hex(&k), n, t.timestamp_micros(), row))
            .collect();
        occurrences.sort();
        ReaderState {
            line: self.complete_line,
            claude,
            codex_session: self.codex.session.clone(),
            codex_model: self.codex.model.clone(),
            codex_previous: self
                .codex
                .previous
                .map(|u| [u.input, u.cached, u.cache_write, u.output, u.total]),
            codex_place: self.codex.place.clone(),
            occurrences,
            occurrence_rows: rows,
        }
    }
}

fn hex(key: &[u8; 16]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Result<[u8; 16], String> {
    let mut out = [0u8; 16];
    if s.len() != 32 {
        return Err(format!("bad key {s:?} in a saved reader state"));
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16)
            .map_err(|_| format!("bad key {s:?} in a saved reader state"))?;
    }
    Ok(out)
}

fn time(micros: i64) -> Result<DateTime<Utc>, String> {
    DateTime::from_timestamp_micros(micros).ok_or_else(|| format!("bad time {micros}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonl::{Line, Record};

    /// Every line's outcome and, for calls, the stored key and usage.
    fn outcomes<R: std::io::BufRead>(r: &mut JsonlReader<R>) -> Vec<String> {
        r.map(|l| match l.expect("read") {
            Line::Record {
                line,
                record: Record::Call(c),
            } => format!("{line} call {:?} {}", c.dedup_key, c.tokens.total()),
            Line::Record { line, .. } => format!("{line} record"),
            Line::Duplicate { line } => format!("{line} dup"),
            Line::Skipped { line } => format!("{line} skip"),
            Line::Reject { line, reason, .. } => format!("{line} reject {reason}"),
        })
        .collect()
    }

    #[test]
    fn a_resumed_read_gives_what_a_whole_read_gives() {
        let text = concat!(
            r#"{"type":"assistant","sessionId":"s","requestId":"r1","timestamp":"2026-11-20T08:00:00Z","message":{"id":"m1","model":"claude-sonnet-4-5","usage":{"input_tokens":1,"output_tokens":1}}}"#,
            "\n",
            r#"{"timestamp":"2026-11-20T08:00:00Z","type":"session_meta","payload":{"id":"cx"}}"#,
            "\n",
            r#"{"timestamp":"2026-11-20T08:00:01Z","type":"turn_context","payload":{"model":"gpt-5"}}"#,
            "\n",
            r#"{"timestamp":"2026-11-20T08:00:02Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":10,"output_tokens":2,"total_tokens":12}}}}"#,
            "\n",
            r#"{"kind":"api_call","model":"claude-sonnet-4-5","ts":"2026-11-20T08:00:03Z","tokens_input":5}"#,
            "\n",
            // The rest comes after the resume point.
            r#"{"type":"assistant","sessionId":"s","requestId":"r1","timestamp":"2026-11-20T08:00:09Z","message":{"id":"m1","model":"claude-sonnet-4-5","usage":{"input_tokens":1,"output_tokens":7}}}"#,
            "\n",
            r#"{"timestamp":"2026-11-20T08:00:10Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":30,"output_tokens":4,"total_tokens":34}}}}"#,
            "\n",
            r#"{"kind":"api_call","model":"claude-sonnet-4-5","ts":"2026-11-20T08:00:03Z","tokens_input":5}"#,
            "\n",
        );
        let whole = outcomes(&mut JsonlReader::new(text.as_bytes()));
        let cut = text.match_indices('\n').nth(4).expect("5 lines").0 + 1;
        let mut first = JsonlReader::new(&text.as_bytes()[..cut]);
        let mut got = outcomes(&mut first);
        let state: ReaderState =
            serde_json::from_value(serde_json::to_value(first.state()).expect("ser")).expect("de");
        assert_eq!(state.line, 5);
        let mut rest = JsonlReader::resume(&text.as_bytes()[cut..], &state).expect("resume");
        got.extend(outcomes(&mut rest));
        assert_eq!(got, whole);
        // And the resumed part is not what a fresh read of it gives.
        assert_ne!(
            outcomes(&mut JsonlReader::new(&text.as_bytes()[cut..])),
            whole[5..]
        );
    }
}
