//! Who, where and with what a call was made: the repository, branch, user, tool and its
//! version, as far as the source says. Filled by each reader; stored beside the call.

use sha2::{Digest, Sha256};

use super::CallSource;

crate::text_enum! {
    /// The program that made a call, stored in `llm_calls.tool`.
    pub enum Tool {
        /// Anthropic's Claude Code (transcripts or its OpenTelemetry export).
        ClaudeCode => "claude_code",
        /// OpenAI's Codex CLI.
        Codex => "codex",
        /// Google's Gemini CLI.
        GeminiCli => "gemini_cli",
        /// A row of a usage.csv.
        Csv => "csv",
        /// An agent lifecycle log's `api_call` (or a posted call in that shape).
        Agent => "agent",
        /// Another program exporting OpenTelemetry logs.
        Otlp => "otlp",
    }
}

impl Tool {
    /// The tool a source implies when the record names none.
    pub fn of_source(source: CallSource) -> Tool {
        match source {
            CallSource::UsageCsv => Tool::Csv,
            CallSource::AgentLog => Tool::Agent,
            CallSource::ClaudeCode => Tool::ClaudeCode,
            CallSource::Codex => Tool::Codex,
            CallSource::Otlp => Tool::Otlp,
        }
    }
}

/// Attribution of one call; every part optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attribution {
    /// The tool, when the source names it (else [`Tool::of_source`]).
    pub tool: Option<Tool>,
    /// `owner/name`.
    pub repository: Option<String>,
    /// The git branch the session was on.
    pub git_branch: Option<String>,
    /// A user id (never an email in the clear; see [`user_id_of_email`]).
    pub user_id: Option<String>,
    /// The tool's version.
    pub app_version: Option<String>,
    /// The session's working directory: not stored, read by whoever can resolve it to a
    /// repository (the CLI, on the machine the session ran on).
    pub cwd: Option<String>,
}

impl Attribution {
    /// True when nothing is known but (perhaps) the tool.
    pub fn is_empty(&self) -> bool {
        self.repository.is_none()
            && self.git_branch.is_none()
            && self.user_id.is_none()
            && self.app_version.is_none()
    }
}

/// A branch name as a source wrote it, or `None` for none: a detached HEAD (Claude Code
/// writes `HEAD`) or an empty name is no branch.
pub fn branch_name(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s.strip_prefix("refs/heads/").unwrap_or(s);
    (!s.is_empty() && s != "HEAD").then(|| s.to_string())
}

/// The id stored for a user known only by email: `sha256:` and the first 16 hex digits of
/// the SHA-256 of the lower-cased address, so one person is one id and the address is not
/// stored. (`keep_emails` stores the address itself, for deployments that chose to.)
pub fn user_id_of_email(email: &str, keep_emails: bool) -> Option<String> {
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return None;
    }
    if keep_emails {
        return Some(email);
    }
    let d = Sha256::digest(email.as_bytes());
    Some(format!(
        "sha256:{}",
        d[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    ))
}

/// `owner/name`, as `workflow_runs.repository` checks it.
pub fn is_repository(s: &str) -> bool {
    matches!(s.split_once('/'), Some((o, n)) if repo_part(o) && repo_part(n))
}

fn repo_part(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// `owner/name` of a git remote on any host (`git@github.com:o/n.git`,
/// `https://github.com/o/n`, `ssh://git@host/o/n.git`), or `None` when it has no two-part
/// path. The form `workflow_runs.repository` uses, so calls join to runs.
pub fn repository_of_remote(remote: &str) -> Option<String> {
    let r = remote.trim().trim_end_matches('/');
    let path = match r.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map(|(_, p)| p)?,
        None => r.split_once(':').map(|(_, p)| p)?,
    };
    let path = path.strip_suffix(".git").unwrap_or(path);
    let mut parts = path.rsplit('/');
    let (name, owner) = (parts.next()?, parts.next()?);
    (repo_part(owner) && repo_part(name)).then(|| format!("{owner}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_become_owner_and_name() {
        for r in [
            "git@github.com:acme/api.git",
            "https://github.com/acme/api",
            "https://github.com/acme/api.git/",
            "ssh://git@github.com/acme/api.git",
            "https://user:tok@gitlab.example.com/group/acme/api.git",
        ] {
            assert_eq!(repository_of_remote(r).as_deref(), Some("acme/api"), "{r}");
        }
        for r in [
            "",
            "api",
            "https://github.com/",
            "git@host:api",
            "https://h/a b/c",
        ] {
            assert_eq!(repository_of_remote(r), None, "{r}");
        }
    }

    #[test]
    fn detached_heads_are_no_branch_and_emails_are_hashed() {
        assert_eq!(branch_name("HEAD"), None);
        assert_eq!(branch_name(" "), None);
        assert_eq!(branch_name("refs/heads/fix/x").as_deref(), Some("fix/x"));
        let a = user_id_of_email("Dev@Example.com", false).expect("id");
        assert_eq!(a, user_id_of_email("dev@example.com ", false).expect("id"));
        assert!(a.starts_with("sha256:") && a.len() == 23 && !a.contains('@'));
        assert_eq!(
            user_id_of_email("Dev@Example.com", true).as_deref(),
            Some("dev@example.com")
        );
        assert_eq!(user_id_of_email("", false), None);
    }
}
