//! The database connection string from a Secrets Manager secret: an RDS-managed secret
//! (`{"username", "password", "host", "port", "dbname"}`), a JSON `{"url": ...}`, or the
//! connection string itself.

use serde_json::Value;

/// Percent-encodes a user name or password for a URL.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The connection string a secret holds. For an RDS-shaped secret, `host` (an RDS Proxy
/// endpoint) replaces the secret's host and `sslmode` is added (default `verify-full`).
/// Errors name the missing field, never a value.
pub fn url_from_secret(
    secret: &str,
    sslmode: Option<&str>,
    host: Option<&str>,
) -> Result<String, String> {
    let doc = match serde_json::from_str::<Value>(secret) {
        Ok(Value::Object(map)) => map,
        _ => return Ok(secret.trim().to_string()),
    };
    if let Some(url) = doc.get("url").and_then(Value::as_str) {
        return Ok(url.to_string());
    }
    let field = |name: &str| {
        doc.get(name)
            .and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_u64().map(|n| n.to_string())))
            .ok_or_else(|| format!("the database secret has no {name:?} (expected an RDS secret or {{\"url\": ...}})"))
    };
    let port = field("port").unwrap_or_else(|_| "5432".into());
    let dbname = field("dbname").unwrap_or_else(|_| "postgres".into());
    Ok(format!(
        "postgres://{}:{}@{}:{port}/{dbname}?sslmode={}",
        encode(&field("username")?),
        encode(&field("password")?),
        match host {
            Some(h) => h.to_string(),
            None => field("host")?,
        },
        sslmode.unwrap_or("verify-full"),
    ))
}

#[cfg(test)]
mod tests {
    use super::url_from_secret;

    #[test]
    fn rds_secrets_become_verified_urls() {
        let rds = r#"{"username":"telemetry","password":"p@ss:w/rd","engine":"postgres",
                      "host":"db.abc.eu-west-1.rds.amazonaws.com","port":5432,"dbname":"telemetry"}"#;
        assert_eq!(
            url_from_secret(rds, None, None).expect("url"),
            "postgres://telemetry:p%40ss%3Aw%2Frd@db.abc.eu-west-1.rds.amazonaws.com:5432/telemetry?sslmode=verify-full"
        );
        assert_eq!(
            url_from_secret(rds, Some("require"), Some("proxy.proxy-abc.eu-west-1.rds.amazonaws.com")).expect("url"),
            "postgres://telemetry:p%40ss%3Aw%2Frd@proxy.proxy-abc.eu-west-1.rds.amazonaws.com:5432/telemetry?sslmode=require"
        );
        assert_eq!(
            url_from_secret(r#"{"url":"postgres://a@b/c"}"#, None, None).expect("url"),
            "postgres://a@b/c"
        );
        assert_eq!(
            url_from_secret("postgres://a@b/c\n", None, None).expect("url"),
            "postgres://a@b/c"
        );
        let err = url_from_secret(r#"{"username":"u","password":"secret-value"}"#, None, None)
            .expect_err("no host");
        assert!(
            err.contains("\"host\"") && !err.contains("secret-value"),
            "{err}"
        );
    }
}
