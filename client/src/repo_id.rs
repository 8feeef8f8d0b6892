//! The repository's stable id: a random UUID generated once and kept in a file.

use std::path::Path;

/// A repository id (UUID v4 text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoId(String);

impl RepoId {
    /// The id stored at `path`, or a new one written there (directories created). `None`
    /// when neither works (read-only disk): telemetry is then skipped, silently.
    pub fn load_or_create(path: impl AsRef<Path>) -> Option<RepoId> {
        let path = path.as_ref();
        if let Ok(text) = std::fs::read_to_string(path) {
            let id = text.trim();
            if is_uuid(id) {
                return Some(RepoId(id.to_string()));
            }
        }
        let id = new_uuid()?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).ok()?;
        }
        std::fs::write(path, format!("{id}\n")).ok()?;
        Some(RepoId(id))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A random (version 4) UUID.
pub(crate) fn new_uuid() -> Option<String> {
    let mut b = [0_u8; 16];
    getrandom::fill(&mut b).ok()?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_then_read_back() {
        let dir = std::env::temp_dir().join(format!("repo-id-{}", std::process::id()));
        let path = dir.join("nested/repo-id");
        let first = RepoId::load_or_create(&path).expect("created");
        assert!(is_uuid(first.as_str()), "{first:?}");
        assert_eq!(&first.as_str()[14..15], "4");
        assert_eq!(RepoId::load_or_create(&path), Some(first.clone()));
        std::fs::write(&path, "not a uuid").expect("write");
        let replaced = RepoId::load_or_create(&path).expect("replaced");
        assert_ne!(replaced, first);
        let _ = std::fs::remove_dir_all(dir);
    }
}
