//! API-SSL (8729).
//!
//! - With a certificate: a rustls server offering TLS 1.2 and 1.3 (ECDHE suites; real v7
//!   routers' exact offer is unverified, and old ones may be DHE-only, which rustls lacks).
//! - Without a certificate ([`super::TlsMode::AnonymousDhOnly`]): a real router then offers only
//!   anonymous-DH suites (`ADH-*`), which no rustls client offers, so OpenSSL on the router
//!   answers the ClientHello with a fatal `handshake_failure` alert. We reproduce exactly that
//!   on the wire: read the first TLS record (the ClientHello), send the alert record
//!   `15 03 03 00 02 02 28` and close. Unfaithful: a client that does offer `ADH-*` (OpenSSL
//!   with `@SECLEVEL=0`) would get a session from a real router but the same alert from us.
//!   Bytes that are not a TLS handshake record get the connection closed without a word.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

/// The fatal `handshake_failure` alert record (content type 21, TLS 1.2, length 2, level 2
/// fatal, description 40).
pub const HANDSHAKE_FAILURE_ALERT: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28];

/// Largest TLS record: 2^14 bytes plus expansion.
const MAX_RECORD: usize = 16_384 + 2048;

/// How long a client may take to send its ClientHello.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub(crate) enum TlsSetup {
    Certificate(TlsAcceptor),
    AnonymousDhOnly,
}

/// A rustls acceptor for a PEM certificate chain and key.
pub(crate) fn acceptor(cert_pem: &[u8], key_pem: &[u8]) -> anyhow::Result<TlsAcceptor> {
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut &cert_pem[..])
        .collect::<Result<_, _>>()
        .context("reading the TLS certificate PEM")?;
    if certs.is_empty() {
        return Err(anyhow!("the TLS certificate PEM holds no certificate"));
    }
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut &key_pem[..])
        .context("reading the TLS key PEM")?
        .ok_or_else(|| anyhow!("the TLS key PEM holds no private key"))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
    .context("choosing TLS versions")?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .context("the TLS certificate and key do not fit together")?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Answers a ClientHello the way a certificate-less api-ssl does for a client without ADH.
pub(crate) async fn refuse_without_anonymous_dh(mut tcp: TcpStream) {
    let read_hello = async {
        let mut header = [0u8; 5];
        tcp.read_exact(&mut header).await?;
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if header[0] != 0x16 || len > MAX_RECORD {
            return Ok::<bool, std::io::Error>(false);
        }
        let mut record = vec![0u8; len];
        tcp.read_exact(&mut record).await?;
        Ok(true)
    };
    if let Ok(Ok(true)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, read_hello).await {
        let _ = tcp.write_all(&HANDSHAKE_FAILURE_ALERT).await;
        let _ = tcp.shutdown().await;
    }
}

/// A self-signed certificate for `--tls-self-signed` and tests.
pub struct SelfSigned {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
    pub cert_der: Vec<u8>,
    /// SHA-256 of the DER certificate, lowercase hex, for clients that pin it.
    pub sha256_fingerprint: String,
}

/// Generates a certificate for `names` (DNS names or IP addresses).
pub fn self_signed(names: &[&str]) -> anyhow::Result<SelfSigned> {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let certified =
        rcgen::generate_simple_self_signed(names).context("generating a certificate")?;
    let cert_der = certified.cert.der().to_vec();
    let digest = ring::digest::digest(&ring::digest::SHA256, &cert_der);
    Ok(SelfSigned {
        cert_pem: certified.cert.pem().into_bytes(),
        key_pem: certified.key_pair.serialize_pem().into_bytes(),
        sha256_fingerprint: digest.as_ref().iter().map(|b| format!("{b:02x}")).collect(),
        cert_der,
    })
}
