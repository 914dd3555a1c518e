//! A small HTTP/1.1 client for the two calls an agent makes to the controller (enroll, fetch the
//! desired state): one request per connection, `Connection: close`, body read to the end with a
//! size limit. `https://` goes through rustls, trusting the CA file given at enrollment (or, by
//! default, none: plain `http://` is for labs and tests, where the signed notice still protects
//! the desired state's integrity).

use crate::routeros::tls::{client_config, Trust};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Desired state for 20,000 subscribers is ~2 MB; leave room.
pub const MAX_BODY: usize = 64 * 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("bad URL {0:?}: use http://host[:port]/path or https://…")]
    BadUrl(String),
    #[error("{url}: {source}")]
    Io { url: String, source: std::io::Error },
    #[error("{url}: HTTPS needs the controller's CA certificate (--controller-ca)")]
    NoCa { url: String },
    #[error("{url}: TLS setup: {message}")]
    Tls { url: String, message: String },
    #[error("{url}: no answer within {TIMEOUT:?}")]
    Timeout { url: String },
    #[error("{url}: malformed HTTP response")]
    Malformed { url: String },
    #[error("{url}: response larger than {MAX_BODY} bytes")]
    TooLarge { url: String },
}

#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Url {
    tls: bool,
    host: String,
    port: u16,
    path: String,
}

fn parse_url(url: &str) -> Result<Url, HttpError> {
    let bad = || HttpError::BadUrl(url.to_owned());
    let (tls, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(bad());
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().map_err(|_| bad())?),
        None => (authority, if tls { 443 } else { 80 }),
    };
    if host.is_empty() {
        return Err(bad());
    }
    Ok(Url {
        tls,
        host: host.trim_matches(['[', ']']).to_owned(),
        port,
        path: if path.is_empty() {
            "/".into()
        } else {
            path.into()
        },
    })
}

/// Sends one request; `headers` are extra header lines (`Authorization`, …).
pub async fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, &[u8])>,
    ca: Option<&[rustls::pki_types::CertificateDer<'static>]>,
) -> Result<HttpResponse, HttpError> {
    let parsed = parse_url(url)?;
    let io = |source| HttpError::Io {
        url: url.to_owned(),
        source,
    };
    let mut head = format!(
        "{method} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nUser-Agent: setu-agent/{}\r\n",
        parsed.path,
        parsed.host,
        env!("CARGO_PKG_VERSION")
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let payload = match body {
        Some((content_type, bytes)) => {
            head.push_str(&format!(
                "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
                bytes.len()
            ));
            bytes
        }
        None => &[][..],
    };
    head.push_str("\r\n");
    let work = async {
        let tcp = tokio::net::TcpStream::connect((parsed.host.as_str(), parsed.port))
            .await
            .map_err(io)?;
        if parsed.tls {
            let ca = ca.ok_or_else(|| HttpError::NoCa {
                url: url.to_owned(),
            })?;
            let config = client_config(&Trust::Ca(ca.to_vec())).map_err(|e| HttpError::Tls {
                url: url.to_owned(),
                message: e.to_string(),
            })?;
            let name =
                rustls::pki_types::ServerName::try_from(parsed.host.clone()).map_err(|e| {
                    HttpError::Tls {
                        url: url.to_owned(),
                        message: e.to_string(),
                    }
                })?;
            let stream = tokio_rustls::TlsConnector::from(config)
                .connect(name, tcp)
                .await
                .map_err(io)?;
            exchange(stream, &head, payload, url).await
        } else {
            exchange(tcp, &head, payload, url).await
        }
    };
    tokio::time::timeout(TIMEOUT, work)
        .await
        .map_err(|_| HttpError::Timeout {
            url: url.to_owned(),
        })?
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    head: &str,
    body: &[u8],
    url: &str,
) -> Result<HttpResponse, HttpError> {
    let io = |source| HttpError::Io {
        url: url.to_owned(),
        source,
    };
    stream.write_all(head.as_bytes()).await.map_err(io)?;
    stream.write_all(body).await.map_err(io)?;
    stream.flush().await.map_err(io)?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = match stream.read(&mut chunk).await {
            Ok(n) => n,
            // Servers often close TLS without close_notify after `Connection: close`.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(io(e)),
        };
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&chunk[..n]);
        if raw.len() > MAX_BODY + 64 * 1024 {
            return Err(HttpError::TooLarge {
                url: url.to_owned(),
            });
        }
    }
    parse_response(&raw).ok_or_else(|| HttpError::Malformed {
        url: url.to_owned(),
    })
}

fn parse_response(raw: &[u8]) -> Option<HttpResponse> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let body = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    Some(HttpResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

/// `Authorization: Basic …` for `user:password` (RFC 7617: standard base64 of the UTF-8 bytes).
pub fn basic_auth(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        protocol::encoding::base64(format!("{user}:{password}").as_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_is_rfc_4648_base64() {
        assert_eq!(
            basic_auth("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(basic_auth("a", "b"), "Basic YTpi");
        // Every padding length, and non-ASCII credentials as UTF-8.
        assert_eq!(basic_auth("", ""), "Basic Og==");
        assert_eq!(basic_auth("ab", ""), "Basic YWI6");
        assert_eq!(basic_auth("test", "123\u{a3}"), "Basic dGVzdDoxMjPCow==");
        let (user, password) = ("agent-7f3e", "p+/=ss:w0rd");
        let encoded = basic_auth(user, password);
        let decoded = protocol::encoding::unbase64(encoded.strip_prefix("Basic ").unwrap());
        assert_eq!(decoded.unwrap(), format!("{user}:{password}").as_bytes());
    }

    #[test]
    fn responses_parse_plain_and_chunked() {
        let r = parse_response(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n\r\n{}")
            .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (201, &b"{}"[..]));
        assert_eq!(r.header("content-type"), Some("application/json"));
        let r = parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").unwrap();
        assert_eq!(r.body, b"abcde");
        assert!(parse_response(b"garbage").is_none());
    }

    #[test]
    fn urls_parse() {
        let u = parse_url("http://127.0.0.1:8080/fleet/v1/desired").unwrap();
        assert_eq!(
            (u.tls, u.host.as_str(), u.port, u.path.as_str()),
            (false, "127.0.0.1", 8080, "/fleet/v1/desired")
        );
        let u = parse_url("https://setu.example.net").unwrap();
        assert_eq!((u.tls, u.port, u.path.as_str()), (true, 443, "/"));
        assert!(parse_url("ftp://x").is_err());
    }
}
