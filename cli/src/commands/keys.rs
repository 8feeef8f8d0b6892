//! `telemetry keys create|list|revoke`: per-project write keys and public ingest tokens.

use anyhow::{anyhow, bail, Context};
use telemetry_shared::http::store::keys::{ensure_project, insert_key, list_keys, revoke_key};
use telemetry_shared::http::{generate, KeyKind, ProjectId};

use super::{hint_migrate, DbArgs};
use crate::output::{table, write_json};

/// `keys create --project NAME [--remote URL] [--public] [--label TEXT] [--json]`.
pub async fn create(
    db: &DbArgs,
    project: &str,
    remote: Option<&str>,
    public: bool,
    label: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    if let Some(r) = remote.filter(|r| !ProjectId::is_git_remote(r)) {
        bail!("--remote {r:?} is not a git remote (e.g. git@github.com:owner/repo.git or https://github.com/owner/repo.git)");
    }
    let project = match remote {
        Some(r) => ProjectId::derive(project, r),
        None => ProjectId::parse(project),
    }
    .map_err(|e| anyhow!("{e}; or give the repository name with --remote <git remote URL>"))?;
    let kind = if public {
        KeyKind::Public
    } else {
        KeyKind::Secret
    };
    let key = generate(kind).map_err(anyhow::Error::msg)?;
    let pool = db.pool().await?;
    let client = pool.get().await.context("database")?;
    ensure_project(&**client, &project, remote)
        .await
        .map_err(hint_migrate)?;
    insert_key(&**client, &project, &key, label)
        .await
        .map_err(hint_migrate)?;
    if json {
        return write_json(&serde_json::json!({
            "project_id": project, "kind": kind, "prefix": key.prefix, "key": key.key,
        }));
    }
    println!("project: {project}");
    println!(
        "{} {}",
        kind.as_str(),
        if public { "ingest token" } else { "key" }
    );
    println!("  {}", key.key);
    if public {
        println!(
            "CLIs post to https://<api>/p/{}/ingest (telemetryEndpoint: https://<api>/p/{})",
            key.key, key.key
        );
    } else {
        println!("send it as: Authorization: Bearer {}", key.key);
    }
    eprintln!("This is the only time it is shown: only its hash is stored. Revoke with `telemetry keys revoke {}`.", key.prefix);
    Ok(())
}

/// `keys list [--project ID] [--json]`.
pub async fn list(db: &DbArgs, project: Option<&str>, json: bool) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    let client = pool.get().await.context("database")?;
    let keys = list_keys(&**client, project).await.map_err(hint_migrate)?;
    if json {
        return write_json(&keys);
    }
    let fmt = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or("-".into(), |t| t.format("%Y-%m-%d %H:%M").to_string())
    };
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            vec![
                k.prefix.clone(),
                k.project_id.clone(),
                k.kind.clone(),
                k.label.clone().unwrap_or_default(),
                fmt(Some(k.created_at)),
                fmt(k.last_used_at),
                fmt(k.revoked_at),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &[
                "prefix",
                "project",
                "kind",
                "label",
                "created",
                "last used",
                "revoked"
            ],
            &rows
        )
    );
    Ok(())
}

/// `keys revoke PREFIX`: the key (or token) stops working at once.
pub async fn revoke(db: &DbArgs, prefix: &str) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    let client = pool.get().await.context("database")?;
    // A whole key pasted by mistake is reduced to its prefix rather than echoed.
    let prefix = telemetry_shared::http::parse_key(prefix).map_or(prefix, |(_, p)| p);
    if !revoke_key(&**client, prefix).await.map_err(hint_migrate)? {
        bail!("no live key has prefix {prefix} (see `telemetry keys list`)");
    }
    println!("{prefix} revoked");
    Ok(())
}
