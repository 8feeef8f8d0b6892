//! Secrets Manager values read at cold start through the AWS Parameters and Secrets Lambda
//! Extension (a local HTTP endpoint the extension layer serves inside the Lambda sandbox), so
//! no SDK client is needed and the value never appears in the template or environment.

use std::fmt;
use std::time::Duration;

use crate::failure::Retryable;

/// Why a secret could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The extension is not reachable (layer missing, or not running in Lambda).
    #[error("cannot reach the Parameters and Secrets extension at {url}: {reason} (is the layer attached?)")]
    Unreachable {
        /// Endpoint tried.
        url: String,
        /// Transport error.
        reason: String,
    },
    /// The extension answered with an error (missing secret, no permission).
    #[error("secret {id}: the extension answered HTTP {status}: {body}")]
    Refused {
        /// Secret id.
        id: String,
        /// HTTP status.
        status: u16,
        /// Response body (never the secret: this is an error path).
        body: String,
    },
    /// The secret has no usable string value.
    #[error("secret {id}: {reason}")]
    Malformed {
        /// Secret id.
        id: String,
        /// What is wrong.
        reason: String,
    },
}

impl Retryable for SecretError {
    /// True when a later attempt may succeed.
    fn is_retryable(&self) -> bool {
        match self {
            SecretError::Unreachable { .. } => true,
            SecretError::Refused { status, .. } => *status >= 500 || *status == 429,
            SecretError::Malformed { .. } => false,
        }
    }

    fn boundary(&self) -> &'static str {
        "Secrets"
    }
}

/// The extension's base URL: `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT` (default 2773) on localhost.
pub fn extension_url() -> String {
    let port = std::env::var("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT")
        .ok()
        .and_then(|p| p.trim().parse::<u16>().ok())
        .unwrap_or(2773);
    format!("http://localhost:{port}")
}

/// Reads secret `id`'s `SecretString`. When it is a JSON object, the value under `field`
/// is returned (so one secret can hold several values); otherwise the whole string.
pub async fn read_secret(base_url: &str, id: &str, field: &str) -> Result<String, SecretError> {
    let secret = read_secret_string(base_url, id).await?;
    match serde_json::from_str::<serde_json::Value>(&secret) {
        Ok(serde_json::Value::Object(map)) => map
            .get(field)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| SecretError::Malformed {
                id: id.into(),
                reason: format!("the JSON secret has no string field {field:?}"),
            }),
        _ => Ok(secret),
    }
}

/// Secret `id`'s whole `SecretString`.
pub async fn read_secret_string(base_url: &str, id: &str) -> Result<String, SecretError> {
    let url = format!("{}/secretsmanager/get", base_url.trim_end_matches('/'));
    let session = std::env::var("AWS_SESSION_TOKEN").unwrap_or_default();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| SecretError::Unreachable {
            url: url.clone(),
            reason: e.to_string(),
        })?;
    let target = reqwest::Url::parse_with_params(&url, [("secretId", id)]).map_err(|e| {
        SecretError::Unreachable {
            url: url.clone(),
            reason: e.to_string(),
        }
    })?;
    let resp = http
        .get(target)
        .header("X-Aws-Parameters-Secrets-Token", session)
        .send()
        .await
        .map_err(|e| SecretError::Unreachable {
            url: url.clone(),
            reason: e.to_string(),
        })?;
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    if status != 200 {
        return Err(SecretError::Refused {
            id: id.into(),
            status,
            body: body.chars().take(300).collect(),
        });
    }
    let malformed = |reason: &str| SecretError::Malformed {
        id: id.into(),
        reason: reason.into(),
    };
    let doc: serde_json::Value =
        serde_json::from_str(&body).map_err(|_| malformed("the extension's answer is not JSON"))?;
    let secret = doc
        .get("SecretString")
        .and_then(|v| v.as_str())
        .ok_or_else(|| malformed("no SecretString (binary secrets are not supported)"))?;
    Ok(secret.to_string())
}

/// Where a secret value comes from, the one way every function resolves its secrets: the
/// value itself in an environment variable (local runs, the CLI), or a Secrets Manager
/// secret named by another variable and read through the extension (in AWS).
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// The value, from variable `var`.
    Env {
        /// The variable that held it.
        var: &'static str,
        /// The value.
        value: String,
    },
    /// Secret `id`, from variable `var`; a JSON secret holds the value under `field`
    /// (`None`: the whole `SecretString`).
    Manager {
        /// The variable that named it.
        var: &'static str,
        /// Secret ARN or name.
        id: String,
        /// The JSON field holding the value.
        field: Option<&'static str>,
    },
}

impl SecretSource {
    /// The first of `plain` set to a non-blank value, else the secret named by `arn`;
    /// `None` when neither is set.
    pub fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        plain: &[&'static str],
        arn: &'static str,
        field: Option<&'static str>,
    ) -> Option<Self> {
        let set = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        plain
            .iter()
            .find_map(|var| set(var).map(|value| SecretSource::Env { var, value }))
            .or_else(|| {
                set(arn).map(|id| SecretSource::Manager {
                    var: arn,
                    id,
                    field,
                })
            })
    }

    /// The variable it came from.
    pub fn var(&self) -> &'static str {
        match self {
            SecretSource::Env { var, .. } | SecretSource::Manager { var, .. } => var,
        }
    }

    /// The value; a Secrets Manager secret is read now, through the extension.
    pub async fn resolve(&self) -> Result<String, SecretError> {
        match self {
            SecretSource::Env { value, .. } => Ok(value.clone()),
            SecretSource::Manager { id, field, .. } => match field {
                Some(field) => read_secret(&extension_url(), id, field).await,
                None => read_secret_string(&extension_url(), id).await,
            },
        }
    }
}

impl fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Env { var, .. } => write!(f, "Env({var}, <redacted>)"),
            SecretSource::Manager { var, id, field } => {
                write!(f, "Manager({var}: {id}, field {field:?})")
            }
        }
    }
}
