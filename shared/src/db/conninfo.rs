//! Connection strings: libpq's `sslmode`/`sslrootcert` are read here, because
//! `tokio_postgres::Config` knows only `disable|prefer|require` and no root-certificate file.

use std::path::PathBuf;
use std::str::FromStr;

use super::DbError;

/// How TLS is used, with libpq's meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it, certificate not verified (libpq's default).
    Prefer,
    /// TLS required, certificate not verified (encryption only).
    Require,
    /// TLS required, certificate chain verified; host name checked too (stricter than
    /// libpq's verify-ca, which skips it).
    VerifyCa,
    /// TLS required, chain and host name verified. Use this for RDS.
    VerifyFull,
}

impl FromStr for SslMode {
    type Err = DbError;
    fn from_str(s: &str) -> Result<Self, DbError> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(DbError::BadConnectionString(format!(
                    "unknown sslmode {other:?} (expected disable, prefer, require, verify-ca or verify-full)"
                )))
            }
        })
    }
}

/// A parsed connection string.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// Everything but the TLS settings.
    pub pg: tokio_postgres::Config,
    /// TLS mode.
    pub ssl_mode: SslMode,
    /// PEM bundle of trusted roots (`sslrootcert`), e.g. the RDS global bundle.
    pub root_cert: Option<PathBuf>,
}

impl FromStr for ConnInfo {
    type Err = DbError;

    fn from_str(s: &str) -> Result<Self, DbError> {
        let (rest, ssl_mode, root_cert) =
            if s.starts_with("postgres://") || s.starts_with("postgresql://") {
                split_url(s)?
            } else {
                split_keywords(s)?
            };
        let mut pg = tokio_postgres::Config::from_str(&rest)
            .map_err(|e| DbError::BadConnectionString(e.to_string()))?;
        let ssl_mode = ssl_mode
            .map(|m| m.parse())
            .transpose()?
            .unwrap_or(SslMode::Prefer);
        pg.ssl_mode(match ssl_mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        });
        if pg.get_application_name().is_none() {
            pg.application_name("telemetry");
        }
        Ok(ConnInfo {
            pg,
            ssl_mode,
            root_cert: root_cert.map(PathBuf::from),
        })
    }
}

/// `url` (URL form) with its database name replaced by `db`, keeping host and parameters.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[host_start..]
        .find('/')
        .map_or(base.len(), |i| host_start + i);
    match query {
        Some(q) => format!("{}/{db}?{q}", &base[..host_end]),
        None => format!("{}/{db}", &base[..host_end]),
    }
}

type Split = (String, Option<String>, Option<String>);

fn split_url(s: &str) -> Result<Split, DbError> {
    let Some((base, query)) = s.split_once('?') else {
        return Ok((s.to_string(), None, None));
    };
    let (mut mode, mut root) = (None, None);
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "sslmode" => mode = Some(v.to_string()),
            "sslrootcert" => root = Some(percent_decode(v)?),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rest, mode, root))
}

fn split_keywords(s: &str) -> Result<Split, DbError> {
    let (mut mode, mut root) = (None, None);
    let mut kept = Vec::new();
    // Values here are simple tokens; quoted values with spaces are passed through untouched.
    for tok in s.split_whitespace() {
        match tok.split_once('=') {
            Some(("sslmode", v)) => mode = Some(v.trim_matches('\'').to_string()),
            Some(("sslrootcert", v)) => root = Some(v.trim_matches('\'').to_string()),
            _ => kept.push(tok),
        }
    }
    Ok((kept.join(" "), mode, root))
}

fn percent_decode(v: &str) -> Result<String, DbError> {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            let b = u8::from_str_radix(hex, 16)
                .map_err(|_| DbError::BadConnectionString(format!("bad escape in {v:?}")))?;
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| DbError::BadConnectionString(format!("bad UTF-8 in {v:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_sslmode_and_rootcert_are_taken_out() {
        let c: ConnInfo =
            "postgres://u:p@db.example.com:5432/app?sslmode=verify-full&sslrootcert=%2Fetc%2Frds.pem&connect_timeout=5"
                .parse()
                .expect("parses");
        assert_eq!(c.ssl_mode, SslMode::VerifyFull);
        assert_eq!(
            c.root_cert.as_deref(),
            Some(std::path::Path::new("/etc/rds.pem"))
        );
        assert_eq!(c.pg.get_dbname(), Some("app"));
        assert_eq!(
            c.pg.get_connect_timeout(),
            Some(&std::time::Duration::from_secs(5))
        );
    }

    #[test]
    fn keyword_form_and_default_prefer() {
        let c: ConnInfo = "host=127.0.0.1 user=postgres dbname=x"
            .parse()
            .expect("parses");
        assert_eq!(c.ssl_mode, SslMode::Prefer);
        let c: ConnInfo = "host=h user=u sslmode=require".parse().expect("parses");
        assert_eq!(c.ssl_mode, SslMode::Require);
    }

    #[test]
    fn database_name_is_replaced_keeping_parameters() {
        assert_eq!(
            with_database("postgres://u@h:5/postgres?sslmode=disable", "t1"),
            "postgres://u@h:5/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "t1"), "postgres://u@h/t1");
    }

    #[test]
    fn unknown_sslmode_is_a_clear_error() {
        let err = "postgres://h/db?sslmode=bogus"
            .parse::<ConnInfo>()
            .expect_err("must fail");
        assert!(
            err.to_string().contains("unknown sslmode \"bogus\""),
            "{err}"
        );
    }
}
