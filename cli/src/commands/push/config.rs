//! `~/.config/telemetry/config.toml` (`$TELEMETRY_CONFIG`, else under `$XDG_CONFIG_HOME`):
//! the API endpoint and secret keys `telemetry push` sends with, written by `telemetry login`
//! with mode 0600, since it holds keys.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use serde::{Deserialize, Serialize};
use telemetry_shared::http::{parse_key, KeyKind, ProjectId};

/// What `login` keeps.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct PushConfig {
    /// The API base.
    pub endpoint: Option<String>,
    /// The key for every session whose project has none of its own.
    pub key: Option<String>,
    /// Keys by project id, for sessions in that project's repository.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub keys: BTreeMap<String, String>,
}

/// Where the configuration lives.
pub fn config_path() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("TELEMETRY_CONFIG").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|p| !p.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => home()?.join(".config"),
    };
    Ok(base.join("telemetry/config.toml"))
}

pub(super) fn home() -> anyhow::Result<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| anyhow!("HOME is not set"))
}

/// The configuration at `path` (empty when there is none).
pub fn load(path: &Path) -> anyhow::Result<PushConfig> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(PushConfig::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes `text` to `path` readable by its owner only, replacing it whole (a temporary file
/// renamed over it, so a crash never leaves half a file).
pub(super) fn write_private(path: &Path, text: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(text)?;
    f.sync_all()?;
    #[cfg(unix)]
    std::fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}

/// `telemetry login --endpoint URL --key tk_... [--project ID]`.
pub fn login(endpoint: &str, key: &str, project: Option<&str>) -> anyhow::Result<()> {
    let endpoint = endpoint.trim().trim_end_matches('/');
    if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
        bail!("--endpoint {endpoint:?}: expected the API's http(s):// base URL");
    }
    match parse_key(key.trim()) {
        Some((KeyKind::Secret, _)) => {}
        Some((kind, _)) => bail!(
            "--key: a {} key cannot post calls; give the project's secret key (tk_...)",
            kind.as_str()
        ),
        None => bail!("--key: not a key (a secret key looks like tk_...)"),
    }
    let path = config_path()?;
    let mut config = load(&path)?;
    config.endpoint = Some(endpoint.to_string());
    match project {
        Some(p) => {
            let id = ProjectId::parse(p).map_err(|e| anyhow!("--project: {e}"))?;
            config
                .keys
                .insert(id.as_str().to_string(), key.trim().to_string());
        }
        None => config.key = Some(key.trim().to_string()),
    }
    let text = toml::to_string(&config).context("encoding the configuration")?;
    let header =
        "# written by `telemetry login`: the API endpoint and keys `telemetry push` uses\n";
    write_private(&path, format!("{header}{text}").as_bytes())?;
    eprintln!("saved {} (mode 0600)", path.display());
    Ok(())
}
