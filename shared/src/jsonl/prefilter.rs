//! Transcript lines that cannot be calls, told by a few substring searches instead of a
//! parse: Claude Code user turns and tool results (a session line with no `"usage"`), and
//! Codex response items and events other than token counts. They are most of a transcript's
//! bytes. Such a line counts as skipped without being checked to be JSON: it carries no
//! telemetry, so a damaged one loses nothing. Agent, briefing, job and archived records never
//! take this path (they name a `"kind"`, or lack the transcripts' fixed fields).

use std::sync::LazyLock;

use memchr::memmem::Finder;

struct Needles {
    session_id: Finder<'static>,
    uuid: Finder<'static>,
    usage: Finder<'static>,
    kind: Finder<'static>,
    token_count: Finder<'static>,
}

static NEEDLES: LazyLock<Needles> = LazyLock::new(|| Needles {
    session_id: Finder::new(b"\"sessionId\":\""),
    uuid: Finder::new(b"\"uuid\":\""),
    usage: Finder::new(b"\"usage\""),
    kind: Finder::new(b"\"kind\""),
    token_count: Finder::new(b"\"token_count\""),
});

/// Codex writes every line as `{"timestamp":"…","type":"…","payload":…}`, in that order.
const CODEX_START: &[u8] = b"{\"timestamp\":\"";
/// Codex line types that hold nothing a parser reads (token counts are `event_msg`s).
const CODEX_NOTHING: [&[u8]; 2] = [b"\"type\":\"response_item\"", b"\"type\":\"event_msg\""];

/// True when `line` is a transcript line that cannot be a call nor change a parser's state.
pub(super) fn carries_nothing(line: &[u8]) -> bool {
    let n = &*NEEDLES;
    let line = line.trim_ascii();
    if line.last() != Some(&b'}') || n.kind.find(line).is_some() {
        return false;
    }
    if let Some(rest) = line.strip_prefix(CODEX_START) {
        // The type follows the 24-character timestamp.
        let head = &rest[..rest.len().min(64)];
        let nothing = CODEX_NOTHING
            .iter()
            .any(|t| memchr::memmem::find(head, t).is_some());
        return nothing && n.token_count.find(line).is_none();
    }
    line.first() == Some(&b'{')
        && n.session_id.find(line).is_some()
        && n.uuid.find(line).is_some()
        && n.usage.find(line).is_none()
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
