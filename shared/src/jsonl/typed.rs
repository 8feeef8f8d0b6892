//! The typed view of a Claude Code or Codex line: only the fields the parsers use, borrowed
//! from the line where no escape forces a copy. Everything else (message content, tool
//! results, instructions) is skipped while the line is checked to be JSON, so a
//! transcript's large lines cost a scan and no allocation.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

/// The routing fields of any line, and the fields of the Claude Code and Codex formats.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct Probe<'a> {
    #[serde(borrow, default)]
    pub kind: Option<Text<'a>>,
    #[serde(borrow, default, rename = "type")]
    pub ty: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub timestamp: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub session_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub request_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub agent_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub attribution_agent: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub git_branch: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub cwd: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub version: Option<Text<'a>>,
    /// Only `true` counts, as Claude Code writes it; any other value is not an error line.
    #[serde(default)]
    pub is_api_error_message: Maybe<bool>,
    #[serde(borrow, default)]
    pub message: Maybe<Message<'a>>,
    #[serde(borrow, default)]
    pub payload: Maybe<Payload<'a>>,
}

impl Probe<'_> {
    /// `kind`, else `type`, else empty: how a line names its record.
    pub fn kind(&self) -> &str {
        self.kind.as_deref().or(self.ty.as_deref()).unwrap_or("")
    }
}

/// Claude Code's `message`.
#[derive(Deserialize, Default)]
pub(super) struct Message<'a> {
    #[serde(borrow, default)]
    pub id: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub model: Option<Text<'a>>,
    #[serde(default)]
    pub usage: Maybe<ClaudeUsage>,
}

/// Claude Code's `message.usage`.
#[derive(Deserialize, Default)]
pub(super) struct ClaudeUsage {
    #[serde(default)]
    pub input_tokens: Count,
    #[serde(default)]
    pub cache_read_input_tokens: Count,
    #[serde(default)]
    pub cache_creation_input_tokens: Count,
    #[serde(default)]
    pub output_tokens: Count,
    #[serde(default)]
    pub cache_creation: Maybe<CacheCreation>,
}

/// Claude Code's split of cache writes by lifetime.
#[derive(Deserialize, Default)]
pub(super) struct CacheCreation {
    #[serde(default)]
    pub ephemeral_1h_input_tokens: Count,
}

/// A Codex line's `payload`.
#[derive(Deserialize, Default)]
pub(super) struct Payload<'a> {
    #[serde(borrow, default, rename = "type")]
    pub ty: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub id: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub session_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub model: Option<Text<'a>>,
    #[serde(default)]
    pub info: Maybe<Info>,
    #[serde(borrow, default)]
    pub cwd: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub cli_version: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub git: Maybe<Git<'a>>,
}

/// A Codex `session_meta`'s `git` (newer versions): where the session ran.
#[derive(Deserialize, Default)]
pub(super) struct Git<'a> {
    #[serde(borrow, default)]
    pub branch: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub repository_url: Option<Text<'a>>,
}

/// A Codex `token_count` event's `info`.
#[derive(Deserialize, Default)]
pub(super) struct Info {
    #[serde(default)]
    pub total_token_usage: Maybe<CodexUsage>,
    #[serde(default)]
    pub last_token_usage: Maybe<CodexUsage>,
}

/// Codex token counts (cached tokens are inside input).
#[derive(Deserialize, Default, Clone, Copy)]
pub(super) struct CodexUsage {
    #[serde(default)]
    pub input_tokens: Count,
    #[serde(default)]
    pub cached_input_tokens: Count,
    #[serde(default)]
    pub cache_write_input_tokens: Count,
    #[serde(default)]
    pub output_tokens: Count,
    #[serde(default)]
    pub total_tokens: Count,
}

/// A string, borrowed from the line unless it holds an escape. (serde borrows a `Cow` only
/// as a field's own type, not inside an `Option`.)
#[derive(Debug)]
pub(super) struct Text<'a>(pub Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// A token count: a whole number from 0 to 2^31-1 (the 32-bit columns); null or absent is 0.
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct Count(pub u32);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Option::<u64>::deserialize(d)? {
            None => Ok(Count(0)),
            Some(n) if n <= i32::MAX as u64 => Ok(Count(n as u32)),
            Some(n) => Err(de::Error::custom(format_args!(
                "token count {n} does not fit a 32-bit column"
            ))),
        }
    }
}

/// A field that may be absent, an object (or value) of the expected shape, or something else
/// (null, a string where an object was expected): only the first two are read, and no other
/// shape is an error, as the untyped reader never made it one.
#[derive(Default)]
pub(super) enum Maybe<T> {
    #[default]
    Absent,
    Is(T),
    Other,
}

impl<T> Maybe<T> {
    /// Present in any shape.
    pub fn present(&self) -> bool {
        !matches!(self, Maybe::Absent)
    }

    /// The value when it has the expected shape.
    pub fn get(&self) -> Option<&T> {
        match self {
            Maybe::Is(t) => Some(t),
            _ => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Maybe<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MaybeVisitor(PhantomData))
    }
}

struct MaybeVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for MaybeVisitor<T> {
    type Value = Maybe<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Maybe::Is)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        // Only `Maybe<bool>` takes a bool; for any other T it is the "other" shape.
        Ok(T::deserialize(de::value::BoolDeserializer::<E>::new(v))
            .map(Maybe::Is)
            .unwrap_or(Maybe::Other))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Maybe::Other)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Maybe::Other)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Maybe::Other)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Maybe::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Maybe::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Maybe::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(s: &str) -> Result<Probe<'_>, serde_json::Error> {
        serde_json::from_str(s)
    }

    #[test]
    fn reads_only_what_it_needs_and_borrows() {
        let p = probe(
            r#"{"type":"assistant","sessionId":"s1","message":{"id":"m","model":"x","content":[{"type":"text","text":"big"}],"usage":{"input_tokens":3,"output_tokens":null,"cache_creation":{"ephemeral_1h_input_tokens":2}}}}"#,
        )
        .expect("parse");
        assert_eq!(p.kind(), "assistant");
        assert!(matches!(p.session_id, Some(Text(Cow::Borrowed("s1")))));
        let e = probe(r#"{"sessionId":"a\nb"}"#).expect("escaped");
        assert!(matches!(e.session_id.as_ref().map(|t| &t.0), Some(Cow::Owned(s)) if s == "a\nb"));
        let m = p.message.get().expect("message");
        let u = m.usage.get().expect("usage");
        assert_eq!((u.input_tokens, u.output_tokens), (Count(3), Count(0)));
        assert_eq!(
            u.cache_creation.get().map(|c| c.ephemeral_1h_input_tokens),
            Some(Count(2))
        );
    }

    #[test]
    fn other_shapes_are_not_errors_but_bad_counts_are() {
        let p =
            probe(r#"{"message":"text","payload":null,"isApiErrorMessage":"yes"}"#).expect("parse");
        assert!(p.message.present() && p.message.get().is_none());
        assert!(p.payload.present() && p.payload.get().is_none());
        assert!(p.is_api_error_message.get().is_none());
        let p = probe(r#"{"message":5,"isApiErrorMessage":true}"#).expect("parse");
        assert!(p.message.present());
        assert_eq!(p.is_api_error_message.get(), Some(&true));
        for bad in [
            r#"{"message":{"usage":{"input_tokens":-1}}}"#,
            r#"{"message":{"usage":{"input_tokens":"7"}}}"#,
            r#"{"message":{"usage":{"input_tokens":4294967296}}}"#,
            r#"{"message":{"usage":{"input_tokens":1.5}}}"#,
            r#"{"message":{"usage":{"input_tokens":1}"#,
        ] {
            assert!(probe(bad).is_err(), "{bad}");
        }
    }
}
