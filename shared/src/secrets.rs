//! Secrets Manager values read at cold start through the AWS Parameters and Secrets Lambda
//! Extension (a local HTTP endpoint the extension layer serves inside the Lambda sandbox), so
//! no SDK client is needed and the value never appears in the template or environment.

use std::time::Duration;

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

impl SecretError {
    /// True when a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            SecretError::Unreachable { .. } => true,
            SecretError::Refused { status, .. } => *status >= 500 || *status == 429,
            SecretError::Malformed { .. } => false,
        }
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
