//! Project identity and credentials: `{repo_name}__{8-char-hash}` project ids (seed 003),
//! secret write keys (`tk_...`, sent as `Authorization: Bearer`) and public ingest tokens
//! (`tp_...`, carried in the path). Keys are random, shown once, stored as SHA-256 only and
//! compared in constant time.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A project id, `{repo_name}__{8 hex}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct ProjectId(String);

impl ProjectId {
    /// Derives the id of repository `repo_name` from its git remote (or, without one, its
    /// root path): the first 8 hex digits of SHA-256 of that string.
    pub fn derive(repo_name: &str, remote_or_root: &str) -> Result<Self, String> {
        let digest = Sha256::digest(remote_or_root.trim().as_bytes());
        let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        Self::parse(&format!("{}__{hash}", repo_name.trim()))
    }

    /// True when `s` reads as a git remote: a URL (`https://`, `http://`, `ssh://`,
    /// `git://`, `git+ssh://`, `file://`) with a path, or scp-like `[user@]host:path`.
    pub fn is_git_remote(s: &str) -> bool {
        if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return false;
        }
        let schemes = [
            "https://",
            "http://",
            "ssh://",
            "git://",
            "git+ssh://",
            "file://",
        ];
        if let Some(rest) = schemes.iter().find_map(|p| s.strip_prefix(p)) {
            // file:///path has an empty host; the others need one.
            let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
            return (!host.is_empty() || s.starts_with("file://")) && !path.is_empty();
        }
        match s.split_once(':') {
            Some((host, path)) => {
                let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
                !host.is_empty() && !host.contains('/') && !path.is_empty()
            }
            None => false,
        }
    }

    /// Checks an id's shape.
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = s.rsplit_once("__").is_some_and(|(name, hash)| {
            (1..=100).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                && hash.len() == 8
                && hash.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
        });
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(format!(
                "{s:?} is not a project id (repo_name__8 hex digits, e.g. mimesis__607a7a7c)"
            ))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The repository name part.
    pub fn repo_name(&self) -> &str {
        self.0.rsplit_once("__").map_or(&self.0, |(n, _)| n)
    }
}

impl fmt::Display for ProjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    /// Bearer key: every write route of its project.
    Secret,
    /// Path token: appends events to its project, rate limited.
    Public,
}

impl KeyKind {
    /// Stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Secret => "secret",
            KeyKind::Public => "public",
        }
    }

    fn tag(self) -> &'static str {
        match self {
            KeyKind::Secret => "tk_",
            KeyKind::Public => "tp_",
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
    fn git_remotes() {
        for ok in [
            "git@github.com:user/mimesis.git",
            "https://github.com/user/mimesis.git",
            "ssh://git@host:22/team/repo",
            "file:///srv/git/repo.git",
            "host:repo",
        ] {
            assert!(ProjectId::is_git_remote(ok), "{ok}");
        }
        for bad in [
            "",
            "mimesis",
            "not a remote",
            "https://",
            "https://host",
            "/a:b/c",
            "a\nb:c",
        ] {
            assert!(!ProjectId::is_git_remote(bad), "{bad}");
        }
    }

    #[test]
    fn project_ids_follow_the_seed_format() {
        let id = ProjectId::derive("mimesis", "git@github.com:user/mimesis.git").expect("id");
        assert!(id.as_str().starts_with("mimesis__"));
        assert_eq!(id.as_str().len(), "mimesis__".len() + 8);
        assert_eq!(id.repo_name(), "mimesis");
        let fork = ProjectId::derive("mimesis", "git@github.com:other/mimesis.git").expect("id");
        assert_ne!(id, fork, "same-named repositories stay apart");
        assert!(ProjectId::parse("mimesis__607a7a7c").is_ok());
        assert!(ProjectId::parse("mimesis__607A7A7C").is_err());
        assert!(ProjectId::parse("mimesis").is_err());
        assert!(ProjectId::parse("a b__607a7a7c").is_err());
    }

    #[test]
    fn keys_round_trip_and_only_their_hash_matches() {
        for kind in [KeyKind::Secret, KeyKind::Public] {
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
