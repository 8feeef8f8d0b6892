//! Project identity (seed 003): `{repo_name}__{8-char-hash}`, derived from the repository's
//! git remote. Every posted record, key and outbox event belongs to one.

use std::fmt;

use sha2::{Digest, Sha256};

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

/// The `owner/name` a git remote's path ends with (`.git` dropped), as GitHub names the
/// repository in workflow runs; `None` when the path has fewer than two parts.
pub fn repository_of_remote(remote: &str) -> Option<String> {
    if !ProjectId::is_git_remote(remote) {
        return None;
    }
    let path = remote.split_once("://").map_or_else(
        || remote.split_once(':').map_or("", |(_, p)| p),
        |(_, rest)| rest.split_once('/').map_or("", |(_, p)| p),
    );
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let mut parts = path.rsplit('/');
    let (name, owner) = (parts.next()?, parts.next()?);
    (!name.is_empty() && !owner.is_empty()).then(|| format!("{owner}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_name_their_repository() {
        for (remote, repo) in [
            ("git@github.com:user/mimesis.git", Some("user/mimesis")),
            ("https://github.com/user/mimesis", Some("user/mimesis")),
            ("https://github.com/user/mimesis.git/", Some("user/mimesis")),
            ("ssh://git@host:22/team/sub/repo.git", Some("sub/repo")),
            ("host:repo", None),
            ("not a remote", None),
        ] {
            assert_eq!(repository_of_remote(remote).as_deref(), repo, "{remote}");
        }
    }

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
}
