//! api-ssl: with a certificate (rustls) and without one (anonymous DH only).

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, ServerName};
use tests::routeros_sim::{self_signed, start, SimConfig, TlsMode, HANDSHAKE_FAILURE_ALERT};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::support::{s, Client};

fn connector(
    cert_der: &[u8],
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(cert_der.to_vec())).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(versions)
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

#[tokio::test]
async fn api_ssl_with_a_certificate_speaks_tls_12_and_13() {
    let cert = self_signed(&["localhost"]).unwrap();
    assert_eq!(cert.sha256_fingerprint.len(), 64);
    let sim = start(SimConfig {
        tls: Some(TlsMode::Certificate {
            cert_pem: cert.cert_pem.clone(),
            key_pem: cert.key_pem.clone(),
        }),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    for versions in [
        &[&rustls::version::TLS12][..],
        &[&rustls::version::TLS13][..],
    ] {
        let tcp = TcpStream::connect(sim.addr()).await.unwrap();
        let tls = connector(&cert.cert_der, versions)
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap();
        let mut c = Client::over(tls);
        assert_eq!(
            c.call(&["/login", "=name=admin", "=password="]).await,
            vec![s(&["!done"])]
        );
        assert_eq!(
            c.call(&["/system/identity/print"]).await,
            vec![s(&["!re", "=name=MikroTik"]), s(&["!done"])]
        );
    }
}

#[tokio::test]
async fn without_a_certificate_a_rustls_client_gets_a_handshake_failure_alert() {
    let sim = start(SimConfig {
        tls: Some(TlsMode::AnonymousDhOnly),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    // Byte-exact: any handshake record is answered with the alert, then the close.
    let mut raw = Client::connect(sim.addr()).await;
    raw.send_bytes(&[0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00])
        .await;
    assert_eq!(raw.read_raw(64).await, HANDSHAKE_FAILURE_ALERT);

    // And a real rustls client reports the alert.
    let cert = self_signed(&["localhost"]).unwrap();
    let tcp = TcpStream::connect(sim.addr()).await.unwrap();
    let err = connector(
        &cert.cert_der,
        &[&rustls::version::TLS12, &rustls::version::TLS13],
    )
    .connect(ServerName::try_from("localhost").unwrap(), tcp)
    .await
    .expect_err("the handshake must fail");
    let text = format!("{err:?}");
    assert!(text.contains("HandshakeFailure"), "{text}");
}
