//! Which files a run reads: paths given as files, directories (walked for `*.jsonl`,
//! `*.jsonl.gz`, `*.ndjson`, `*.ndjson.gz`) or glob patterns, and the agents' default
//! transcript trees.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A path that names nothing readable.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    /// Neither a file, a directory nor a pattern matching anything.
    #[error("{0}: no such file or directory, and no file matches it as a pattern")]
    NotFound(String),
    /// A pattern that is not a valid glob.
    #[error("{pattern}: not a valid pattern: {reason}")]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// Why.
        reason: String,
    },
    /// A directory could not be listed.
    #[error("{path}: {reason}")]
    Unlistable {
        /// The directory or entry.
        path: String,
        /// Why.
        reason: String,
    },
}

/// True for the names a directory walk takes.
pub fn is_log_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let stem = lower.strip_suffix(".gz").unwrap_or(&lower);
    stem.ends_with(".jsonl") || stem.ends_with(".ndjson")
}

/// The files `paths` name, each once (by canonical path), sorted. A file given by name is
/// taken whatever its name; directories, including those a pattern matches, are walked.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, WalkError> {
    let mut out = BTreeSet::new();
    for p in paths {
        if p.is_file() {
            out.insert(canonical(p));
        } else if p.is_dir() {
            walk(p, &mut out)?;
        } else {
            let pattern = p.to_string_lossy();
            if !pattern.contains(['*', '?', '[']) {
                return Err(WalkError::NotFound(pattern.into_owned()));
            }
            let matches = glob::glob(&pattern).map_err(|e| WalkError::BadPattern {
                pattern: pattern.to_string(),
                reason: e.to_string(),
            })?;
            let before = out.len();
            for m in matches {
                let m = m.map_err(|e| WalkError::Unlistable {
                    path: e.path().display().to_string(),
                    reason: e.error().to_string(),
                })?;
                if m.is_dir() {
                    walk(&m, &mut out)?;
                } else if m.is_file() {
                    out.insert(canonical(&m));
                }
            }
            if out.len() == before {
                return Err(WalkError::NotFound(pattern.into_owned()));
            }
        }
    }
    Ok(out.into_iter().collect())
}

fn walk(dir: &Path, out: &mut BTreeSet<PathBuf>) -> Result<(), WalkError> {
    for entry in walkdir::WalkDir::new(dir).follow_links(true) {
        let entry = entry.map_err(|e| WalkError::Unlistable {
            path: e.path().unwrap_or(dir).display().to_string(),
            reason: e.to_string(),
        })?;
        if entry.file_type().is_file() && is_log_name(&entry.file_name().to_string_lossy()) {
            out.insert(canonical(entry.path()));
        }
    }
    Ok(())
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// A default transcript tree of a coding agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    /// "Claude Code" or "Codex".
    pub agent: &'static str,
    /// Where it would be.
    pub path: PathBuf,
    /// Whether it is a directory now.
    pub exists: bool,
}

/// The default trees: Claude Code's `projects/` under each of `$CLAUDE_CONFIG_DIR` (a
/// comma-separated list), `~/.claude` and `~/.config/claude`; Codex's `sessions/` under
/// `$CODEX_HOME` and `~/.codex`. Each place once.
pub fn default_trees(claude: bool, codex: bool, env: impl Fn(&str) -> Option<String>) -> Vec<Tree> {
    let home = env("HOME").map(PathBuf::from);
    let mut places: Vec<(&'static str, PathBuf)> = Vec::new();
    if claude {
        for dir in env("CLAUDE_CONFIG_DIR").iter().flat_map(|v| v.split(',')) {
            if !dir.trim().is_empty() {
                places.push(("Claude Code", PathBuf::from(dir.trim()).join("projects")));
            }
        }
        if let Some(h) = &home {
            places.push(("Claude Code", h.join(".claude/projects")));
            places.push(("Claude Code", h.join(".config/claude/projects")));
        }
    }
    if codex {
        if let Some(dir) = env("CODEX_HOME").filter(|d| !d.trim().is_empty()) {
            places.push(("Codex", PathBuf::from(dir).join("sessions")));
        }
        if let Some(h) = &home {
            places.push(("Codex", h.join(".codex/sessions")));
        }
    }
    let mut seen = BTreeSet::new();
    places
        .into_iter()
        .filter(|(_, p)| seen.insert(canonical(p)))
        .map(|(agent, path)| Tree {
            agent,
            exists: path.is_dir(),
            path,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_a_walk_takes() {
        for yes in ["a.jsonl", "A.JSONL.GZ", "x.ndjson", "x.ndjson.gz"] {
            assert!(is_log_name(yes), "{yes}");
        }
        for no in ["a.json", "a.jsonl.bak", "usage.csv", "jsonl", "a.gz"] {
            assert!(!is_log_name(no), "{no}");
        }
    }

    #[test]
    fn default_trees_follow_the_environment() {
        let env = |k: &str| match k {
            "HOME" => Some("/home/u".to_string()),
            "CLAUDE_CONFIG_DIR" => Some("/a, /b".to_string()),
            "CODEX_HOME" => Some("/c".to_string()),
            _ => None,
        };
        let paths: Vec<String> = default_trees(true, true, env)
            .into_iter()
            .map(|t| format!("{} {}", t.agent, t.path.display()))
            .collect();
        assert_eq!(
            paths,
            [
                "Claude Code /a/projects",
                "Claude Code /b/projects",
                "Claude Code /home/u/.claude/projects",
                "Claude Code /home/u/.config/claude/projects",
                "Codex /c/sessions",
                "Codex /home/u/.codex/sessions",
            ]
        );
        assert!(default_trees(false, false, env).is_empty());
    }
}
