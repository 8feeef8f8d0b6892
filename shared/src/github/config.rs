//! github-sync configuration from the environment: API base URL, repositories, backfill
//! period and where the token comes from. The token is never printed.

use std::fmt;

use crate::config::ConfigError;
use crate::github::billing::RunnerSkus;
use crate::secrets::{SecretError, SecretSource};

/// Default period re-scanned by every sync (and backfilled by the first).
pub const DEFAULT_SYNC_DAYS: u32 = 30;
/// Most days a sync may cover, by `GITHUB_SYNC_DAYS` or `--since`: about GitHub's longest
/// retention of Actions history, and a bounded plan (400 day windows).
pub const MAX_SYNC_DAYS: u32 = 400;

/// An `owner/name` repository, checked once at the edge.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Repository(String);

impl Repository {
    /// Parses `owner/name`; the error says what is wrong.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let ok_part = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        match s.split_once('/') {
            Some((owner, name)) if ok_part(owner) && ok_part(name) => Ok(Self(s.to_string())),
            _ => Err(format!("{s:?} is not an owner/name repository")),
        }
    }

    /// `owner/name`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A GitHub token. `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Trims surrounding whitespace (secret files often end in a newline); refuses empty or
    /// multi-line values, which GitHub would reject with a less helpful 401.
    pub fn parse(raw: &str, from: &str) -> Result<Self, String> {
        let t = raw.trim();
        if t.is_empty() {
            return Err(format!("{from} is empty"));
        }
        if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("{from} contains whitespace: not a GitHub token"));
        }
        Ok(Self(t.to_string()))
    }

    /// The token, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// github-sync settings.
#[derive(Debug, Clone)]
pub struct GitHubConfig {
    /// REST API base, `https://api.github.com` unless `GITHUB_API_URL` says otherwise.
    pub api_url: String,
    /// `GITHUB_REPOSITORIES` (comma or space separated); the `github_repositories` table adds more.
    pub repositories: Vec<Repository>,
    /// Days re-scanned by each sync (`GITHUB_SYNC_DAYS`, default 30).
    pub sync_days: u32,
    /// Where the token comes from: `GITHUB_TOKEN`, `GITHUB_PERSONAL_TOKEN`, or the Secrets
    /// Manager secret `GITHUB_TOKEN_SECRET_ARN` (plain, or JSON `{"token": ...}`).
    pub token: SecretSource,
    /// Larger-runner labels and their billing SKUs (`GITHUB_RUNNER_SKUS`).
    pub runner_skus: RunnerSkus,
}

impl GitHubConfig {
    /// The token, read now when it is in Secrets Manager.
    pub async fn token(&self) -> Result<Token, SecretError> {
        let raw = self.token.resolve().await?;
        Token::parse(&raw, self.token.var()).map_err(|reason| SecretError::Malformed {
            id: self.token.var().into(),
            reason,
        })
    }

    /// Loads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Same as [`GitHubConfig::from_env`], reading variables through `get`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let set = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let token = SecretSource::from_lookup(
            &get,
            &["GITHUB_TOKEN", "GITHUB_PERSONAL_TOKEN"],
            "GITHUB_TOKEN_SECRET_ARN",
            Some("token"),
        )
        .ok_or(ConfigError::Missing(
            "GITHUB_TOKEN (or GITHUB_PERSONAL_TOKEN locally, GITHUB_TOKEN_SECRET_ARN in AWS)",
        ))?;
        // A token given in the environment is checked now, before any request is made.
        if let SecretSource::Env { var, value } = &token {
            parse_token(value, var)?;
        }
        let repositories = parse_repositories(&set("GITHUB_REPOSITORIES").unwrap_or_default())?;
        let sync_days = match set("GITHUB_SYNC_DAYS") {
            None => DEFAULT_SYNC_DAYS,
            Some(v) => match v.trim().parse::<u32>() {
                Ok(n) if (1..=MAX_SYNC_DAYS).contains(&n) => n,
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "GITHUB_SYNC_DAYS",
                        value: v,
                        reason: "expected a number of days from 1 to 400 (MAX_SYNC_DAYS)",
                    })
                }
            },
        };
        Ok(Self {
            api_url: set("GITHUB_API_URL")
                .unwrap_or_else(|| "https://api.github.com".into())
                .trim_end_matches('/')
                .to_string(),
            repositories,
            sync_days,
            token,
            runner_skus: runner_skus(&get)?,
        })
    }
}

/// `GITHUB_RUNNER_SKUS`, read by github-sync and by http-ingest's webhook.
pub fn runner_skus(get: impl Fn(&str) -> Option<String>) -> Result<RunnerSkus, ConfigError> {
    let value = get("GITHUB_RUNNER_SKUS").unwrap_or_default();
    RunnerSkus::parse(&value).map_err(|_| ConfigError::Invalid {
        name: "GITHUB_RUNNER_SKUS",
        value,
        reason: "expected label=sku entries, comma separated, each sku one of GitHub's runner billing SKUs (e.g. linux_16_core)",
    })
}

/// Parses a `GITHUB_REPOSITORIES` value: owner/name entries separated by commas or spaces,
/// duplicates dropped.
pub fn parse_repositories(value: &str) -> Result<Vec<Repository>, ConfigError> {
    let mut repositories = Vec::new();
    for part in value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let repo = Repository::parse(part).map_err(|_| ConfigError::Invalid {
            name: "GITHUB_REPOSITORIES",
            value: part.to_string(),
            reason: "expected owner/name, comma separated",
        })?;
        if !repositories.contains(&repo) {
            repositories.push(repo);
        }
    }
    Ok(repositories)
}

fn parse_token(v: &str, name: &'static str) -> Result<Token, ConfigError> {
    Token::parse(v, name).map_err(|_| ConfigError::Invalid {
        name,
        value: "<redacted>".into(),
        reason: "a token is one word with no spaces",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Result<GitHubConfig, ConfigError> {
        GitHubConfig::from_lookup(|k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[tokio::test]
    async fn github_token_wins_over_the_personal_token() {
        let c = cfg(&[
            ("GITHUB_TOKEN", "ghs_a\n"),
            ("GITHUB_PERSONAL_TOKEN", "ghp_b"),
        ])
        .expect("ok");
        assert_eq!(c.token.var(), "GITHUB_TOKEN");
        assert_eq!(c.token().await.expect("token").expose(), "ghs_a");
        let c = cfg(&[("GITHUB_PERSONAL_TOKEN", "ghp_b")]).expect("ok");
        assert_eq!(c.token.var(), "GITHUB_PERSONAL_TOKEN");
        let c = cfg(&[("GITHUB_TOKEN_SECRET_ARN", "arn:aws:secretsmanager:x")]).expect("ok");
        assert!(matches!(
            c.token,
            SecretSource::Manager {
                field: Some("token"),
                ..
            }
        ));
    }

    #[test]
    fn a_missing_token_names_every_way_to_give_one() {
        let err = cfg(&[]).expect_err("no token").to_string();
        assert!(
            err.contains("GITHUB_TOKEN") && err.contains("GITHUB_PERSONAL_TOKEN"),
            "{err}"
        );
        assert!(err.contains("GITHUB_TOKEN_SECRET_ARN"), "{err}");
    }

    #[test]
    fn a_token_with_spaces_is_refused_without_echoing_it() {
        let err = cfg(&[("GITHUB_TOKEN", "ghp_secret value")])
            .expect_err("bad")
            .to_string();
        assert!(!err.contains("ghp_secret"), "{err}");
        assert!(format!("{:?}", Token::parse("ghp_x", "t")).contains("redacted"));
    }

    #[test]
    fn repositories_are_parsed_and_deduplicated() {
        let c = cfg(&[
            ("GITHUB_TOKEN", "t"),
            ("GITHUB_REPOSITORIES", "acme/api, acme/web acme/api"),
            ("GITHUB_API_URL", "http://127.0.0.1:9/"),
        ])
        .expect("ok");
        let names: Vec<_> = c.repositories.iter().map(Repository::as_str).collect();
        assert_eq!(names, ["acme/api", "acme/web"]);
        assert_eq!(c.api_url, "http://127.0.0.1:9");
        assert_eq!(c.sync_days, DEFAULT_SYNC_DAYS);
        let err = cfg(&[("GITHUB_TOKEN", "t"), ("GITHUB_REPOSITORIES", "acme")])
            .expect_err("bad repo")
            .to_string();
        assert!(err.contains("GITHUB_REPOSITORIES"), "{err}");
    }
}
