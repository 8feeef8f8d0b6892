//! What of a request may be written to the log: never a credential.

/// `path` as logged: a public token in it (`/p/<token>/...`) shortened to its prefix, which
/// identifies the key without granting anything.
pub(super) fn loggable_path(path: &str) -> String {
    match path.strip_prefix("/p/") {
        Some(rest) => {
            let (token, tail) = rest.split_once('/').unwrap_or((rest, ""));
            let prefix: String = token.chars().take(15).collect();
            format!("/p/{prefix}…/{tail}")
        }
        None => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn a_public_token_is_logged_by_its_prefix_only() {
        let secret = "0123456789abcdef".repeat(3);
        let path = format!("/p/tp_0123456789ab_{secret}/ingest");
        let logged = loggable_path(&path);
        assert_eq!(logged, "/p/tp_0123456789ab…/ingest");
        assert!(!logged.contains(&secret));
        assert_eq!(loggable_path("/ingest"), "/ingest");
        assert_eq!(loggable_path("/p/short"), "/p/short…/");
    }
}
