//! Transcript lines that cannot be calls, told by a few substring searches instead of a
//! parse: Claude Code user turns and tool results (a session line with no `"usage"`), and
//! Codex response items and events other than token counts. They are most of a transcript's
//! bytes. Such a line counts as skipped without being checked to be JSON: it carries no
//! telemetry, so a damaged one loses nothing. Agent, briefing, job and archived records never
//! take this path (they name a `"kind"`, or lack the transcripts' fixed fields: Codex's exact
//! key order, Claude Code's `sessionId` with a `uuid`).

use std::sync::LazyLock;

use memchr::memmem::Finder;

struct Needles {
    session_id: Finder<'static>,
    uuid: Finder<'static>,
    usage: Finder<'static>,
    kind: Finder<'static>,
}

static NEEDLES: LazyLock<Needles> = LazyLock::new(|| Needles {
    session_id: Finder::new(b"\"sessionId\":\""),
    uuid: Finder::new(b"\"uuid\":\""),
    usage: Finder::new(b"\"usage\""),
    kind: Finder::new(b"\"kind\""),
});

/// Codex writes every line as `{"timestamp":"<24 characters>","type":"…","payload":{…}}`,
/// keys in that order, and an event's payload starts with its own `"type"`.
const CODEX_START: &[u8] = b"{\"timestamp\":\"";
const TIMESTAMP_LEN: usize = 24;
const RESPONSE_ITEM: &[u8] = b"\",\"type\":\"response_item\",\"payload\":{";
const EVENT: &[u8] = b"\",\"type\":\"event_msg\",\"payload\":{\"type\":\"";
const TOKEN_COUNT: &[u8] = b"token_count\"";

/// True when `line` is a transcript line that cannot be a call nor change a parser's state.
pub(super) fn carries_nothing(line: &[u8]) -> bool {
    let line = line.trim_ascii();
    if line.last() != Some(&b'}') {
        return false;
    }
    if let Some(rest) = line.strip_prefix(CODEX_START) {
        // Only the fixed head is looked at: the rest of the line is never scanned.
        let Some(after) = rest.get(TIMESTAMP_LEN..) else {
            return false;
        };
        if after.starts_with(RESPONSE_ITEM) {
            return true;
        }
        return after
            .strip_prefix(EVENT)
            .is_some_and(|kind| !kind.starts_with(TOKEN_COUNT));
    }
    let n = &*NEEDLES;
    line.first() == Some(&b'{')
        && n.session_id.find(line).is_some()
        && n.uuid.find(line).is_some()
        && n.usage.find(line).is_none()
        && n.kind.find(line).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lines_that_hold_nothing_are_skipped_unparsed() {
        for line in [
            r#"{"parentUuid":null,"type":"user","uuid":"u1","sessionId":"s","message":{"role":"user","content":"hi"}}"#,
            r#"{"timestamp":"2026-08-20T11:16:46.358Z","type":"response_item","payload":{"type":"message","content":[]}}"#,
            r#"{"timestamp":"2026-08-20T11:16:46.358Z","type":"event_msg","payload":{"type":"agent_message","message":"m"}}"#,
            // Damaged, yet holding nothing: skipped all the same.
            r#"{"type":"user","uuid":"u1","sessionId":"s","message":{"content":"unterminated}"#,
        ] {
            assert!(carries_nothing(line.as_bytes()), "{line}");
        }
        for line in [
            r#"{"type":"assistant","uuid":"u2","sessionId":"s","message":{"id":"m","usage":{"input_tokens":1}}}"#,
            r#"{"timestamp":"2026-08-20T11:16:46.358Z","type":"event_msg","payload":{"type":"token_count","info":null}}"#,
            r#"{"timestamp":"2026-08-20T11:16:43.722Z","type":"session_meta","payload":{"id":"x"}}"#,
            r#"{"timestamp":"2026-08-20T11:16:43.722Z","type":"turn_context","payload":{"model":"gpt-5"}}"#,
            r#"{"kind":"event","event_type":"x","message":"m","ts":"2026-11-20T08:00:00Z","sessionId":"s","uuid":"u"}"#,
            r#"{"type":"user","sessionId":"s","message":{"content":"no uuid: parsed"}}"#,
            r#"{"type":"user","uuid":"u1","sessionId":"s""#,
        ] {
            assert!(!carries_nothing(line.as_bytes()), "{line}");
        }
    }
}
