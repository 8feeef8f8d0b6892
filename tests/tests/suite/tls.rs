//! sslmode handling against the real server: `require` encrypts without checking the
//! certificate, `verify-full` refuses a certificate no trusted root signed, `disable` is plain.
//! Both server configurations (ssl on, e.g. Debian's self-signed default; ssl off, e.g. a
//! throwaway cluster) are asserted on.

use telemetry_shared::db::connect_one;
use telemetry_tests::admin_url;

fn with_sslmode(url: &str, mode: &str) -> String {
    let base = url.split_once('?').map_or(url, |(b, _)| b);
    format!("{base}?sslmode={mode}")
}

#[tokio::test]
async fn sslmodes_behave_as_libpq_documents() {
    let plain = connect_one(&with_sslmode(&admin_url(), "disable"))
        .await
        .expect("plain connection");
    let ssl_on: String = plain.query_one("SHOW ssl", &[]).await.expect("show").get(0);
    let encrypted: bool = plain
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .expect("pg_stat_ssl")
        .get(0);
    assert!(!encrypted, "sslmode=disable must not encrypt");

    let require = connect_one(&with_sslmode(&admin_url(), "require")).await;
    let verify = connect_one(&with_sslmode(&admin_url(), "verify-full")).await;
    if ssl_on == "on" {
        let client = require.expect("require accepts the server's certificate");
        let encrypted: bool = client
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .expect("pg_stat_ssl")
            .get(0);
        assert!(encrypted, "sslmode=require must encrypt");
        let err = verify.expect_err("a self-signed certificate is not trusted");
        let msg = err.to_string();
        assert!(
            msg.contains("cannot connect") && msg.to_lowercase().contains("certificate"),
            "{msg}"
        );
    } else {
        assert!(
            require.is_err(),
            "require must fail when the server has no TLS"
        );
        assert!(
            verify.is_err(),
            "verify-full must fail when the server has no TLS"
        );
    }

    let missing_root = format!(
        "{}&sslrootcert=/nonexistent/ca.pem",
        with_sslmode(&admin_url(), "verify-full")
    );
    let err = connect_one(&missing_root)
        .await
        .expect_err("unreadable root file");
    assert!(
        err.to_string()
            .contains("cannot read sslrootcert /nonexistent/ca.pem"),
        "{err}"
    );
}
