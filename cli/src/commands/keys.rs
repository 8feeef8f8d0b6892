//! `telemetry keys create|list|revoke`: per-project write keys, public ingest tokens and
//! read keys (a project's, or an admin's reading every project).

use anyhow::{anyhow, bail, Context};
use telemetry_shared::http::store::keys::{
    ensure_project, insert_key, list_keys, note_repo_root, revoke_key,
};
use telemetry_shared::http::{generate, KeyKind, ProjectId};

use super::{hint_migrate, DbArgs};
use crate::output::{table, write_json};

/// What `keys create` makes.
pub struct KeySpec<'a> {
    /// Project id, or a repository name with `remote`; `None` only for an admin read key.
    pub project: Option<&'a str>,
    /// The repository's git remote.
    pub remote: Option<&'a str>,
    /// The repository's root (an absolute path): the id derives from it without a remote.
    pub repo_root: Option<&'a str>,
    /// Secret, public or read.
    pub kind: KeyKind,
    /// A note.
    pub label: Option<&'a str>,
}

/// `keys create (--project NAME [--remote URL] | --read --all-projects) [--public | --read]
/// [--label TEXT] [--json]`.
pub async fn create(db: &DbArgs, spec: KeySpec<'_>, json: bool) -> anyhow::Result<()> {
    if let Some(root) = spec.repo_root.filter(|r| !r.starts_with('/')) {
        bail!("--repo-root {root:?} is not an absolute path");
    }
    if let Some(r) = spec.remote.filter(|r| !ProjectId::is_git_remote(r)) {
        bail!("--remote {r:?} is not a git remote (e.g. git@github.com:owner/repo.git or https://github.com/owner/repo.git)");
    }
    let project = match (spec.project, spec.remote) {
        (None, _) if spec.kind == KeyKind::Read => None,
        (None, _) => bail!("--project is required (only a read key may be --all-projects)"),
        (Some(p), Some(r)) => Some(ProjectId::derive(p, r)),
        (Some(p), None) => Some(match spec.repo_root {
            Some(root) => ProjectId::derive(p, root),
            None => ProjectId::parse(p),
        }),
    }
    .transpose()
    .map_err(|e| anyhow!("{e}; or give the repository name with --remote <git remote URL>"))?;
    let kind = spec.kind;
    let key = generate(kind).map_err(anyhow::Error::msg)?;
    let pool = db.pool().await?;
    let client = pool.get().await.context("database")?;
    if let Some(project) = &project {
        ensure_project(&**client, project, spec.remote)
            .await
            .map_err(hint_migrate)?;
        if let Some(root) = spec.repo_root {
            note_repo_root(&**client, project, root)
                .await
                .map_err(hint_migrate)?;
        }
    }
    insert_key(&**client, project.as_ref(), &key, spec.label)
        .await
        .map_err(hint_migrate)?;
    if json {
        return write_json(&serde_json::json!({
            "project_id": project, "kind": kind, "prefix": key.prefix, "key": key.key,
        }));
    }
    match &project {
        Some(project) => println!("project: {project}"),
        None => println!("every project (an admin read key)"),
    }
    let what = match kind {
        KeyKind::Secret => "secret key",
        KeyKind::Public => "public ingest token",
        KeyKind::Read => "read key",
    };
    println!("{what}\n  {}", key.key);
    match kind {
        KeyKind::Public => println!(
            "CLIs post to https://<api>/p/{}/ingest (telemetryEndpoint: https://<api>/p/{})",
            key.key, key.key
        ),
        KeyKind::Read => println!(
            "read with: Authorization: Bearer {} (GET /api/v1/..., and the dashboard at /dashboard)",
            key.key
        ),
        KeyKind::Secret => println!("send it as: Authorization: Bearer {}", key.key),
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
                k.project_id
                    .clone()
                    .unwrap_or_else(|| "(all projects)".into()),
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
