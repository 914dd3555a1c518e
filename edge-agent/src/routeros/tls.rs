//! API-SSL (port 8729) through rustls.
//!
//! RouterOS certificates are usually self-signed, so besides a CA the operator can pin the
//! SHA-256 fingerprint of the router's certificate. A router whose api-ssl has no certificate
//! offers only anonymous Diffie-Hellman suites, which rustls (rightly) does not implement; such a
//! router answers our ClientHello with a `handshake_failure` alert, which we translate into
//! instructions for the operator ([`RouterError::AnonymousDhOnly`]).

use super::error::RouterError;
use protocol::encoding::{hex, unhex};
use ring::digest::{digest, SHA256};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, OtherError,
    RootCertStore, SignatureScheme,
};
use std::sync::Arc;

/// How the router's certificate is trusted.
#[derive(Clone)]
pub enum Trust {
    /// Certificates (DER) of the CAs that signed the router's certificate.
    Ca(Vec<CertificateDer<'static>>),
    /// SHA-256 of the router's own certificate (DER).
    PinnedSha256([u8; 32]),
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trust::Ca(certs) => write!(f, "Ca({} certificates)", certs.len()),
            Trust::PinnedSha256(pin) => write!(f, "PinnedSha256({})", hex(pin)),
        }
    }
}

/// SHA-256 of a certificate's DER bytes.
pub fn fingerprint(cert_der: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, cert_der).as_ref());
    out
}

/// Parses a fingerprint written as 64 hex digits (either case), with or without `:` separators
/// and whitespace.
pub fn parse_fingerprint(text: &str) -> Result<[u8; 32], String> {
    let digits: String = text
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect();
    unhex(&digits)
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| {
            format!("expected 64 hexadecimal digits for a SHA-256 fingerprint, got {text:?}")
        })
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls client configuration for `trust`.
pub fn client_config(trust: &Trust) -> Result<Arc<ClientConfig>, RouterError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| RouterError::Tls(e.to_string()))?;
    let config = match trust {
        Trust::Ca(certs) => {
            let mut roots = RootCertStore::empty();
            for cert in certs {
                roots
                    .add(cert.clone())
                    .map_err(|e| RouterError::Tls(format!("bad CA certificate: {e}")))?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        Trust::PinnedSha256(pin) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinnedVerifier {
                pin: *pin,
                provider: provider(),
            }))
            .with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

#[derive(Debug, thiserror::Error)]
#[error("certificate fingerprint {actual} does not match the pinned {expected}")]
struct PinMismatch {
    expected: String,
    actual: String,
}

/// Accepts exactly one certificate, by fingerprint; handshake signatures are still verified, so
/// the peer must hold the certificate's private key.
#[derive(Debug)]
struct PinnedVerifier {
    pin: [u8; 32],
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let actual = fingerprint(end_entity);
        if actual == self.pin {
            return Ok(ServerCertVerified::assertion());
        }
        let mismatch = PinMismatch {
            expected: hex(&self.pin),
            actual: hex(&actual),
        };
        Err(rustls::Error::InvalidCertificate(CertificateError::Other(
            OtherError(Arc::new(mismatch)),
        )))
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
            &self.provider.signature_verification_algorithms,
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
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Translates a failed handshake into an error that tells the operator what to do.
pub(crate) fn handshake_error(err: std::io::Error) -> RouterError {
    let rustls_error = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    match rustls_error {
        Some(rustls::Error::AlertReceived(AlertDescription::HandshakeFailure)) => {
            RouterError::AnonymousDhOnly
        }
        Some(rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(other))))
            if other.downcast_ref::<PinMismatch>().is_some() =>
        {
            let PinMismatch { expected, actual } =
                other.downcast_ref::<PinMismatch>().expect("checked above");
            RouterError::FingerprintMismatch {
                expected: expected.clone(),
                actual: actual.clone(),
            }
        }
        Some(other) => RouterError::Tls(other.to_string()),
        None => RouterError::Tls(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_with_or_without_colons() {
        let plain = "AB".repeat(32);
        let colons = vec!["ab"; 32].join(":");
        assert_eq!(parse_fingerprint(&plain).unwrap(), [0xAB; 32]);
        assert_eq!(parse_fingerprint(&colons).unwrap(), [0xAB; 32]);
        assert!(parse_fingerprint("abcd").is_err());
        assert!(parse_fingerprint(&"zz".repeat(32)).is_err());
        // Mixed case and spaces, as browsers and `openssl x509 -fingerprint` print it.
        let pin: Vec<String> = (0u8..32).map(|b| format!("{b:02X}")).collect();
        let expected: [u8; 32] = std::array::from_fn(|i| i as u8);
        assert_eq!(parse_fingerprint(&pin.join(":")).unwrap(), expected);
        assert_eq!(
            parse_fingerprint(&pin.join(" ").to_lowercase()).unwrap(),
            expected
        );
        // One digit short, one byte long, odd, non-ASCII: refused with the text given.
        let err = parse_fingerprint(&plain[..63]).unwrap_err();
        assert!(err.contains("64 hexadecimal digits"), "{err}");
        assert!(parse_fingerprint(&format!("{plain}ab")).is_err());
        assert!(parse_fingerprint(&"a".repeat(65)).is_err());
        assert!(parse_fingerprint(&format!("{}é", &plain[..62])).is_err());
        assert!(parse_fingerprint("").is_err());
    }

    #[test]
    fn pins_are_shown_and_compared_as_lowercase_hex() {
        let pin = [0xAB; 32];
        let debug = format!("{:?}", Trust::PinnedSha256(pin));
        assert_eq!(debug, format!("PinnedSha256({})", "ab".repeat(32)));

        let cert = CertificateDer::from(b"not really a certificate".to_vec());
        let verifier = PinnedVerifier {
            pin,
            provider: provider(),
        };
        let name = ServerName::try_from("router.example").unwrap();
        let err = verifier
            .verify_server_cert(&cert, &[], &name, &[], UnixTime::now())
            .unwrap_err();
        let rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(other))) = err
        else {
            panic!("{err:?}")
        };
        let mismatch = other.downcast_ref::<PinMismatch>().unwrap();
        assert_eq!(mismatch.expected, "ab".repeat(32));
        let actual = fingerprint(&cert);
        assert_eq!(mismatch.actual, protocol::encoding::hex(&actual));
        assert_eq!(parse_fingerprint(&mismatch.actual).unwrap(), actual);

        let pinned = PinnedVerifier {
            pin: actual,
            provider: provider(),
        };
        assert!(pinned
            .verify_server_cert(&cert, &[], &name, &[], UnixTime::now())
            .is_ok());
    }
}
