//! Project identity and credentials: `{repo_name}__{8-char-hash}` project ids (seed 003),
//! secret write keys (`tk_...`, sent as `Authorization: Bearer`), public ingest tokens
//! (`tp_...`, carried in the path) and read keys (`tr_...`, bearer, for the read API). Keys
//! are random, shown once, stored as SHA-256 only and compared in constant time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use crate::project::ProjectId;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    /// Bearer key: every write route of its project.
    Secret,
    /// Path token: appends events to its project, rate limited.
    Public,
    /// Bearer key: reads its project's data (or every project's), writes nothing.
    Read,
}

impl KeyKind {
    /// Stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Secret => "secret",
            KeyKind::Public => "public",
            KeyKind::Read => "read",
        }
    }

    fn tag(self) -> &'static str {
        match self {
            KeyKind::Secret => "tk_",
            KeyKind::Public => "tp_",
            KeyKind::Read => "tr_",
        }
    }
}

/// A freshly generated key: `key` is shown once and never stored.
pub struct NewKey {
    /// The whole key.
    pub key: String,
    /// Its first part, stored to find it (not secret).
    pub prefix: String,
    /// SHA-256 of the key.
    pub hash: [u8; 32],
    /// Kind.
    pub kind: KeyKind,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a presented key.
pub fn key_hash(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Generates a key of `kind`: 6 random bytes of prefix, 24 of secret.
pub fn generate(kind: KeyKind) -> Result<NewKey, String> {
    let mut bytes = [0u8; 30];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness available: {e}"))?;
    let prefix = format!("{}{}", kind.tag(), hex(&bytes[..6]));
    let key = format!("{prefix}_{}", hex(&bytes[6..]));
    Ok(NewKey {
        hash: key_hash(&key),
        key,
        prefix,
        kind,
    })
}

/// The prefix and kind of a presented key, if it has a key's shape.
pub fn parse_key(key: &str) -> Option<(KeyKind, &str)> {
    let kind = if key.starts_with("tk_") {
        KeyKind::Secret
    } else if key.starts_with("tp_") {
        KeyKind::Public
    } else if key.starts_with("tr_") {
        KeyKind::Read
    } else {
        return None;
    };
    let (prefix, secret) = key.split_once('_').and_then(|(_, rest)| {
        let (p, s) = rest.split_once('_')?;
        Some((&key[..3 + p.len()], s))
    })?;
    let hexy = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_hexdigit());
    (hexy(&prefix[3..], 12) && hexy(secret, 48)).then_some((kind, prefix))
}

/// Constant-time comparison of a presented key's hash with the stored one.
pub fn hash_matches(presented: &str, stored: &[u8]) -> bool {
    key_hash(presented).ct_eq(stored).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_only_their_hash_matches() {
        for kind in [KeyKind::Secret, KeyKind::Public, KeyKind::Read] {
            let k = generate(kind).expect("key");
            assert_eq!(parse_key(&k.key), Some((kind, k.prefix.as_str())));
            assert!(hash_matches(&k.key, &k.hash));
            let mut wrong = k.key.clone();
            wrong.pop();
            wrong.push('x');
            assert!(!hash_matches(&wrong, &k.hash));
        }
        assert_ne!(
            generate(KeyKind::Secret).expect("a").key,
            generate(KeyKind::Secret).expect("b").key
        );
        assert_eq!(parse_key("tk_short_abc"), None);
        assert_eq!(parse_key("Bearer xyz"), None);
    }
}
