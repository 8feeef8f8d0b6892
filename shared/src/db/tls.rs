//! rustls client configurations for each `sslmode`.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::{ConnInfo, DbError, SslMode};

/// The rustls configuration `info.ssl_mode` calls for.
pub(crate) fn client_config(info: &ConnInfo) -> Result<ClientConfig, DbError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| DbError::Tls(e.to_string()))?;
    let config = match info.ssl_mode {
        SslMode::VerifyCa | SslMode::VerifyFull => builder
            .with_root_certificates(roots(info)?)
            .with_no_client_auth(),
        // libpq's prefer/require encrypt without checking who is at the other end.
        SslMode::Disable | SslMode::Prefer | SslMode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
            .with_no_client_auth(),
    };
    Ok(config)
}

fn roots(info: &ConnInfo) -> Result<RootCertStore, DbError> {
    let mut store = RootCertStore::empty();
    if let Some(path) = &info.root_cert {
        let pem = std::fs::read(path).map_err(|e| {
            DbError::Tls(format!("cannot read sslrootcert {}: {e}", path.display()))
        })?;
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            let cert = cert.map_err(|e| DbError::Tls(format!("{}: {e}", path.display())))?;
            store
                .add(cert)
                .map_err(|e| DbError::Tls(format!("{}: {e}", path.display())))?;
        }
        if store.is_empty() {
            return Err(DbError::Tls(format!(
                "sslrootcert {} holds no PEM certificate",
                path.display()
            )));
        }
    } else {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        // The system store may add a private CA; an unreadable one is not fatal.
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = store.add(cert);
        }
    }
    Ok(store)
}

/// Accepts any certificate but still checks the handshake signatures (sslmode=require).
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
