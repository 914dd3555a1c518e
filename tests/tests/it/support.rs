//! A bare-bones API client over the protocol codec, for asserting exact sentences.

use std::net::SocketAddr;
use std::time::Duration;

use protocol::routeros::{Decoder, Limits, Sentence};
use tests::routeros_sim::{start, RosVersion, SimConfig, SimHandle};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a test waits for something that should come.
pub const WAIT: Duration = Duration::from_secs(5);

pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

pub struct Client {
    stream: Box<dyn Stream>,
    decoder: Decoder,
}

/// A sentence as strings, for readable assertions (non-UTF-8 shown lossily).
pub fn words(s: &Sentence) -> Vec<String> {
    s.words
        .iter()
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect()
}

pub async fn sim(version: &str) -> SimHandle {
    start(SimConfig {
        ros_version: version.parse::<RosVersion>().unwrap(),
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        Client::over(TcpStream::connect(addr).await.unwrap())
    }

    pub fn over(stream: impl Stream + 'static) -> Client {
        Client {
            stream: Box::new(stream),
            decoder: Decoder::new(Limits::default()),
        }
    }

    /// Connects and logs in as admin with the empty password (7.x plaintext).
    pub async fn logged_in(addr: SocketAddr) -> Client {
        let mut c = Client::connect(addr).await;
        let r = c.call(&["/login", "=name=admin", "=password="]).await;
        assert_eq!(r, vec![vec!["!done".to_owned()]], "login");
        c
    }

    pub async fn send(&mut self, words: &[&str]) {
        self.send_bytes(&Sentence::from_words(words).encode()).await;
    }

    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
        self.stream.flush().await.unwrap();
    }

    /// The next sentence, or `None` at end of stream. Panics after [`WAIT`].
    pub async fn try_recv(&mut self) -> Option<Sentence> {
        tokio::time::timeout(WAIT, self.next_sentence())
            .await
            .expect("no sentence within the wait")
    }

    async fn next_sentence(&mut self) -> Option<Sentence> {
        let mut buf = [0u8; 4096];
        loop {
            if let Some(s) = self.decoder.next_sentence().expect("decodable reply") {
                return Some(s);
            }
            match self.stream.read(&mut buf).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.decoder.feed(&buf[..n]),
            }
        }
    }

    pub async fn recv(&mut self) -> Vec<String> {
        words(
            &self
                .try_recv()
                .await
                .expect("a sentence, not end of stream"),
        )
    }

    /// Sentences up to and including the next `!done` (or a `!fatal`).
    pub async fn until_done(&mut self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        loop {
            let s = self.recv().await;
            let last = s[0] == "!done" || s[0] == "!fatal";
            out.push(s);
            if last {
                return out;
            }
        }
    }

    pub async fn call(&mut self, words: &[&str]) -> Vec<Vec<String>> {
        self.send(words).await;
        self.until_done().await
    }

    /// Asserts the server closes the connection without sending anything more.
    pub async fn expect_closed(&mut self) {
        assert_eq!(self.try_recv().await.map(|s| words(&s)), None);
    }

    /// Asserts nothing arrives for `d` (and the connection stays open).
    pub async fn expect_silence(&mut self, d: Duration) {
        if let Ok(got) = tokio::time::timeout(d, self.next_sentence()).await {
            panic!("expected silence, got {:?}", got.map(|s| words(&s)));
        }
    }

    /// Raw bytes as they arrive (for byte-exact checks), up to end of stream or `max`.
    pub async fn read_raw(&mut self, max: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = [0u8; 1024];
        while out.len() < max {
            match tokio::time::timeout(WAIT, self.stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
                Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            }
        }
        out
    }
}

/// `["!re", "=k=v", ...]` → value of `k`.
pub fn attr<'a>(sentence: &'a [String], key: &str) -> Option<&'a str> {
    let prefix = format!("={key}=");
    sentence
        .iter()
        .find_map(|w| w.strip_prefix(prefix.as_str()))
}

/// The `=ret=` of a reply list ending in `!done =ret=`.
pub fn ret(replies: &[Vec<String>]) -> String {
    let done = replies.last().expect("a reply");
    attr(done, "ret").expect("=ret=").to_owned()
}

pub fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|w| (*w).to_owned()).collect()
}
