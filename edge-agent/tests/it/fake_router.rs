//! A scripted RouterOS peer: each test says exactly which sentences it reads and writes.

use protocol::routeros::{Decoder, Limits, Reply, Request, Sentence};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct FakeConn {
    stream: TcpStream,
    decoder: Decoder,
}

impl FakeConn {
    /// The next client sentence; `None` when the client closed the connection.
    pub async fn read(&mut self) -> Option<Request> {
        let mut buf = [0u8; 4096];
        loop {
            if let Some(sentence) = self
                .decoder
                .next_sentence()
                .expect("client sends valid bytes")
            {
                return Some(Request::parse(&sentence));
            }
            let n = self.stream.read(&mut buf).await.ok()?;
            if n == 0 {
                return None;
            }
            self.decoder.feed(&buf[..n]);
        }
    }

    pub async fn expect(&mut self, command: &str) -> Request {
        let req = self.read().await.expect("client sent a command");
        assert_eq!(String::from_utf8_lossy(&req.command), command);
        req
    }

    pub async fn send(&mut self, reply: Reply) {
        self.send_raw(&reply.to_sentence(true).encode()).await;
    }

    /// Answers `req` with `replies`, each tagged like the request.
    pub async fn answer(&mut self, req: &Request, replies: Vec<Reply>) {
        for reply in replies {
            self.send(reply.with_tag(req.tag.clone())).await;
        }
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write to client");
    }

    /// Plain login, then the capability probe the client runs after it.
    pub async fn login_and_probe(&mut self, version: &str, sends_empty: bool) {
        let login = self.expect("/login").await;
        self.answer(&login, vec![Reply::done()]).await;
        self.probe(version, sends_empty).await;
    }

    pub async fn probe(&mut self, version: &str, sends_empty: bool) {
        for _ in 0..3 {
            let req = self.read().await.expect("probe command");
            let replies = match (
                String::from_utf8_lossy(&req.command).as_ref(),
                req.queries.is_empty(),
            ) {
                ("/system/resource/print", _) => {
                    vec![
                        Reply::re()
                            .attr("version", version)
                            .attr("board-name", "CCR2004-16G-2S+"),
                        Reply::done(),
                    ]
                }
                ("/system/identity/print", true) => {
                    vec![Reply::re().attr("name", "pop-mirpur"), Reply::done()]
                }
                ("/system/identity/print", false) if sends_empty => {
                    vec![Reply::empty(), Reply::done()]
                }
                ("/system/identity/print", false) => vec![Reply::done()],
                (other, _) => panic!("unexpected probe command {other}"),
            };
            self.answer(&req, replies).await;
        }
    }
}

/// Listens on port 0 and runs `script` on the first connection.
pub async fn start<F, Fut>(script: F) -> (SocketAddr, tokio::task::JoinHandle<()>)
where
    F: FnOnce(FakeConn) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        script(FakeConn {
            stream,
            decoder: Decoder::new(Limits::default()),
        })
        .await;
    });
    (addr, task)
}

pub fn sentence_bytes(words: &[&[u8]]) -> Vec<u8> {
    Sentence::from_words(words.iter()).encode()
}
