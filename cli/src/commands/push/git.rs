//! What a session's directory says about where the work happened, asked of `git` once per
//! directory: the repository (`owner/name` of `origin`), the project id derived as seed 003
//! does (`{repo_name}__{8 hex}` of the remote, else of the root), and the user (the hash of
//! `user.email`, never the address).

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};

use telemetry_shared::http::ProjectId;
use telemetry_shared::model::{repository_of_remote, user_id_of_email};

/// A directory's repository, as far as git knows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Place {
    /// `owner/name`.
    pub repository: Option<String>,
    /// The project id.
    pub project: Option<String>,
    /// `sha256:` of `user.email`.
    pub user_id: Option<String>,
}

/// Places by directory, each asked once.
#[derive(Default)]
pub struct Places(HashMap<String, Place>);

impl Places {
    /// The place of `cwd` (nothing known when it is gone, not a repository, or git is
    /// missing).
    pub fn of(&mut self, cwd: &str) -> &Place {
        self.0
            .entry(cwd.to_string())
            .or_insert_with(|| lookup(Path::new(cwd)))
    }
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn lookup(dir: &Path) -> Place {
    if !dir.is_dir() {
        return Place::default();
    }
    let Some(root) = git(dir, &["rev-parse", "--show-toplevel"]) else {
        return Place::default();
    };
    let remote = git(dir, &["config", "--get", "remote.origin.url"]);
    let name: String = Path::new(&root)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    Place {
        repository: remote.as_deref().and_then(repository_of_remote),
        project: ProjectId::derive(&name, remote.as_deref().unwrap_or(&root))
            .ok()
            .map(|p| p.as_str().to_string()),
        user_id: git(dir, &["config", "user.email"]).and_then(|e| user_id_of_email(&e, false)),
    }
}
