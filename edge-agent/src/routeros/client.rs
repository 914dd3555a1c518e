//! An async RouterOS API client with tagged, concurrent commands on one connection.
//!
//! Every command carries a numeric `.tag`. Its reply channel is registered *before* the sentence
//! is written, so a reply that arrives within microseconds is never lost (the race that makes
//! other clients hang). One task reads and routes replies by tag, one task writes and batches
//! outgoing sentences so pipelined commands share TCP segments.
//!
//! Memory stays bounded whatever the router sends: the decoder limits word and sentence sizes,
//! each command's reply channel is bounded (a slow consumer slows the reader, it does not grow a
//! queue), and [`Client::run`] refuses replies beyond `max_rows`.

use super::error::{text, RouterError, Trap};
use super::tls::{client_config, handshake_error, Trust};
use protocol::routeros::login::challenge_response;
use protocol::routeros::{Command, Decoder, Limits, Reply, ReplyKind};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Everything needed to reach and log in to one router.
#[derive(Clone)]
pub struct ConnectOptions {
    /// `host:port`; 8728 for the plain API, 8729 for API-SSL.
    pub addr: String,
    pub user: String,
    pub password: String,
    /// `Some` for API-SSL.
    pub tls: Option<Trust>,
    pub connect_timeout: Duration,
    /// Longest wait for the whole reply of [`Client::run`], or between two rows of a stream.
    pub command_timeout: Duration,
    pub limits: Limits,
    /// Most rows one [`Client::run`] accepts.
    pub max_rows: usize,
}

impl ConnectOptions {
    pub fn new(
        addr: impl Into<String>,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        ConnectOptions {
            addr: addr.into(),
            user: user.into(),
            password: password.into(),
            tls: None,
            connect_timeout: Duration::from_secs(10),
            command_timeout: Duration::from_secs(30),
            limits: Limits::default(),
            max_rows: 250_000,
        }
    }
}

impl std::fmt::Debug for ConnectOptions {
    /// Never shows the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("addr", &self.addr)
            .field("user", &self.user)
            .field("tls", &self.tls)
            .field("connect_timeout", &self.connect_timeout)
            .field("command_timeout", &self.command_timeout)
            .finish_non_exhaustive()
    }
}

/// How the login went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoginMethod {
    /// 6.43+: `/login =name= =password=`.
    Plain,
    /// Before 6.43: MD5 challenge.
    Challenge,
}

/// What the router told us about itself right after login.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Capabilities {
    /// As printed, e.g. `7.18.2 (stable)`.
    pub version: String,
    pub board: String,
    pub identity: String,
    /// Whether the router answers data-less commands with `!empty` (7.18+), as observed.
    pub sends_empty: bool,
    pub tls: bool,
    pub login: LoginMethod,
}

/// One `!re` item: attributes in the order sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Item {
    pub attributes: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Item {
    pub fn get(&self, key: &str) -> Option<&[u8]> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key.as_bytes())
            .map(|(_, v)| v.as_slice())
    }

    /// The value as text; bytes that are not UTF-8 are escaped, never dropped.
    pub fn get_text(&self, key: &str) -> Option<String> {
        self.get(key).map(text)
    }
}

/// The complete reply to a command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    pub items: Vec<Item>,
    /// `=ret=` of `!done` (new `.id` after `add`, count after `count-only`). Some collectors
    /// see the count on a `!re`; [`Response::ret`] looks there too.
    pub done_ret: Option<Vec<u8>>,
    /// The router said `!empty`.
    pub empty: bool,
}

impl Response {
    pub fn ret(&self) -> Option<&[u8]> {
        self.done_ret
            .as_deref()
            .or_else(|| self.items.first().and_then(|i| i.get("ret")))
    }
}

trait Transport: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Transport for T {}

/// Capacity of one command's reply channel.
const REPLY_CHANNEL: usize = 256;

struct Pending {
    /// `None` once the caller has gone away: remaining replies are read and dropped.
    tx: Option<mpsc::Sender<Reply>>,
}

/// Why a connection ended.
#[derive(Debug, Clone)]
enum Ended {
    /// The router sent `!fatal` with this reason.
    Fatal(String),
    Lost(String),
}

#[derive(Default)]
struct Shared {
    pending: Mutex<HashMap<u64, Pending>>,
    closed: Mutex<Option<Ended>>,
    unexpected_replies: AtomicU64,
    /// We sent `/quit`; the router's `!fatal` is the expected goodbye.
    quitting: std::sync::atomic::AtomicBool,
}

impl Shared {
    fn close(&self, reason: Ended) {
        let mut closed = self.closed.lock().expect("lock");
        if closed.is_none() {
            *closed = Some(reason);
        }
        drop(closed);
        // Dropping the senders wakes every waiting command.
        self.pending.lock().expect("lock").clear();
    }

    fn closed_error(&self) -> RouterError {
        match self.closed.lock().expect("lock").clone() {
            Some(Ended::Fatal(reason)) => RouterError::Fatal(reason),
            Some(Ended::Lost(reason)) => RouterError::Lost(reason),
            None => RouterError::Lost("connection closed".into()),
        }
    }
}

/// A logged-in connection to one router. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
    writer: mpsc::Sender<Vec<u8>>,
    next_tag: Arc<AtomicU64>,
    options: Arc<ConnectOptions>,
    capabilities: Option<Arc<Capabilities>>,
}

impl Client {
    /// Connects, logs in (plain, falling back to the MD5 challenge for routers before 6.43)
    /// and probes the router's capabilities.
    pub async fn connect(options: ConnectOptions) -> Result<Client, RouterError> {
        let stream = open_transport(&options).await?;
        let tls = options.tls.is_some();
        let mut client = Client::start(stream, options);
        let login = client.login().await?;
        let capabilities = client.probe(tls, login).await?;
        client.capabilities = Some(Arc::new(capabilities));
        Ok(client)
    }

    fn start(stream: Box<dyn Transport>, options: ConnectOptions) -> Client {
        let (read_half, write_half) = tokio::io::split(stream);
        let shared = Arc::new(Shared::default());
        let (writer, outgoing) = mpsc::channel(1024);
        tokio::spawn(write_loop(write_half, outgoing, shared.clone()));
        tokio::spawn(read_loop(
            read_half,
            Decoder::new(options.limits),
            shared.clone(),
        ));
        Client {
            shared,
            writer,
            next_tag: Arc::new(AtomicU64::new(1)),
            options: Arc::new(options),
            capabilities: None,
        }
    }

    pub fn capabilities(&self) -> &Capabilities {
        self.capabilities.as_deref().expect("set by connect")
    }

    /// Most rows one command may return (see [`ConnectOptions::max_rows`]).
    pub fn max_rows(&self) -> usize {
        self.options.max_rows
    }

    /// True once the connection has ended; the client must be replaced.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.lock().expect("lock").is_some() || self.writer.is_closed()
    }

    /// Reply sentences that matched no running command (counted, logged, otherwise ignored).
    pub fn unexpected_replies(&self) -> u64 {
        self.shared.unexpected_replies.load(Ordering::Relaxed)
    }

    async fn login(&self) -> Result<LoginMethod, RouterError> {
        let opts = &self.options;
        let plain = Command::new("/login")
            .attr("name", &opts.user)
            .attr("password", &opts.password);
        let response = self.run(&plain).await.map_err(login_error)?;
        let Some(challenge) = response.done_ret else {
            return Ok(LoginMethod::Plain);
        };
        // Routers before 6.43 ignore name/password and answer with a challenge.
        let answer = challenge_response(opts.password.as_bytes(), &challenge)
            .map_err(|e| RouterError::LoginFailed(e.to_string()))?;
        let legacy = Command::new("/login")
            .attr("name", &opts.user)
            .attr("response", answer);
        self.run(&legacy).await.map_err(login_error)?;
        Ok(LoginMethod::Challenge)
    }

    async fn probe(&self, tls: bool, login: LoginMethod) -> Result<Capabilities, RouterError> {
        let resource = Command::new("/system/resource/print").proplist(&["version", "board-name"]);
        let identity = Command::new("/system/identity/print").proplist(&["name"]);
        // A query that matches nothing shows whether the router says `!empty`.
        let nothing = Command::new("/system/identity/print").where_eq("name", "\u{1}setu-probe");
        let (resource, identity, nothing) =
            tokio::try_join!(self.run(&resource), self.run(&identity), self.run(&nothing))?;
        let first = |r: &Response, key: &str| {
            r.items
                .first()
                .and_then(|i| i.get_text(key))
                .unwrap_or_default()
        };
        Ok(Capabilities {
            version: first(&resource, "version"),
            board: first(&resource, "board-name"),
            identity: first(&identity, "name"),
            sends_empty: nothing.empty,
            tls,
            login,
        })
    }

    /// Registers a tag for `command` and sends it.
    async fn send(&self, command: &Command) -> Result<(u64, mpsc::Receiver<Reply>), RouterError> {
        let tag = self.next_tag.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(REPLY_CHANNEL);
        {
            if self.shared.closed.lock().expect("lock").is_some() {
                return Err(self.shared.closed_error());
            }
            self.shared
                .pending
                .lock()
                .expect("lock")
                .insert(tag, Pending { tx: Some(tx) });
        }
        let bytes = command
            .to_sentence(Some(tag.to_string().as_bytes()))
            .encode();
        if self.writer.send(bytes).await.is_err() {
            self.shared.pending.lock().expect("lock").remove(&tag);
            return Err(self.shared.closed_error());
        }
        Ok((tag, rx))
    }

    /// Stops waiting for `tag`: its remaining replies are discarded, and the router is asked to
    /// cancel the command if it is still running.
    fn abandon(&self, tag: u64) {
        let still_running = match self.shared.pending.lock().expect("lock").get_mut(&tag) {
            Some(p) => {
                p.tx = None;
                true
            }
            None => false,
        };
        if still_running {
            let cancel_tag = self.next_tag.fetch_add(1, Ordering::Relaxed);
            self.shared
                .pending
                .lock()
                .expect("lock")
                .insert(cancel_tag, Pending { tx: None });
            let cancel = Command::new("/cancel").attr("tag", tag.to_string());
            let _ = self.writer.try_send(
                cancel
                    .to_sentence(Some(cancel_tag.to_string().as_bytes()))
                    .encode(),
            );
        }
    }

    /// Runs `command` and collects its whole reply.
    pub async fn run(&self, command: &Command) -> Result<Response, RouterError> {
        self.stream(command).await?.collect().await
    }

    /// Runs `command` and yields its items one by one, for replies too large to hold.
    pub async fn stream(&self, command: &Command) -> Result<ReplyStream, RouterError> {
        let (tag, rx) = self.send(command).await?;
        Ok(ReplyStream {
            client: self.clone(),
            tag,
            rx,
            command: text(command.path()),
            traps: Vec::new(),
            done_ret: None,
            finished: false,
        })
    }

    /// Runs commands with at most `window` in flight at once and returns each one's result in
    /// order. Pipelining hides the round trip that one-at-a-time clients pay per command.
    /// Commands are built as they are sent, so a long plan is never held twice.
    pub async fn run_pipelined<I>(
        &self,
        commands: I,
        window: usize,
    ) -> Vec<Result<Response, RouterError>>
    where
        I: IntoIterator<Item = Command>,
        I::IntoIter: ExactSizeIterator,
    {
        let mut commands = commands.into_iter();
        let total = commands.len();
        let window = window.max(1);
        let mut results: Vec<Option<Result<Response, RouterError>>> =
            (0..total).map(|_| None).collect();
        let mut in_flight = tokio::task::JoinSet::new();
        let mut next = 0;
        while next < total || !in_flight.is_empty() {
            while next < total && in_flight.len() < window {
                let Some(command) = commands.next() else {
                    break;
                };
                // Send in order from this task so the router receives the commands in order.
                let sent = self.stream(&command).await;
                let index = next;
                in_flight.spawn(async move {
                    let result = match sent {
                        Ok(stream) => stream.collect().await,
                        Err(e) => Err(e),
                    };
                    (index, result)
                });
                next += 1;
            }
            if let Some(Ok((index, result))) = in_flight.join_next().await {
                results[index] = Some(result);
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(self.shared.closed_error())))
            .collect()
    }

    /// Ends the session politely (`/quit`).
    pub async fn quit(self) {
        self.shared.quitting.store(true, Ordering::Relaxed);
        let _ = self
            .writer
            .send(Command::new("/quit").to_sentence(None).encode())
            .await;
    }
}

fn login_error(err: RouterError) -> RouterError {
    match err {
        RouterError::Trap { trap, .. } => RouterError::LoginFailed(trap.message),
        other => other,
    }
}

/// What a stream yields besides the end.
enum StreamEvent {
    Item(Item),
    Empty,
}

/// The replies of one running command.
pub struct ReplyStream {
    client: Client,
    tag: u64,
    rx: mpsc::Receiver<Reply>,
    command: String,
    traps: Vec<Trap>,
    done_ret: Option<Vec<u8>>,
    finished: bool,
}

impl ReplyStream {
    /// The next item, `None` at the end. Waits at most the command timeout between items.
    pub async fn next(&mut self) -> Result<Option<Item>, RouterError> {
        loop {
            let after = self.client.options.command_timeout;
            match timeout(after, self.next_reply()).await {
                Err(_) => return Err(self.timed_out()),
                Ok(Ok(Some(StreamEvent::Item(item)))) => return Ok(Some(item)),
                Ok(Ok(Some(StreamEvent::Empty))) => continue,
                Ok(Ok(None)) => return Ok(None),
                Ok(Err(e)) => return Err(e),
            }
        }
    }

    /// `=ret=` of the final `!done`, once the stream has ended.
    pub fn done_ret(&self) -> Option<&[u8]> {
        self.done_ret.as_deref()
    }

    /// The whole reply, within the command timeout and the row limit.
    async fn collect(mut self) -> Result<Response, RouterError> {
        let mut response = Response::default();
        let options = self.client.options.clone();
        let deadline = tokio::time::Instant::now() + options.command_timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.next_reply()).await {
                Err(_) => return Err(self.timed_out()),
                Ok(Err(e)) => return Err(e),
                Ok(Ok(Some(StreamEvent::Item(_)))) if response.items.len() >= options.max_rows => {
                    self.finished = true;
                    self.client.abandon(self.tag);
                    return Err(RouterError::TooManyRows {
                        command: self.command.clone(),
                        limit: options.max_rows,
                    });
                }
                Ok(Ok(Some(StreamEvent::Item(item)))) => response.items.push(item),
                Ok(Ok(Some(StreamEvent::Empty))) => response.empty = true,
                Ok(Ok(None)) => {
                    response.done_ret = self.done_ret.take();
                    return Ok(response);
                }
            }
        }
    }

    fn timed_out(&mut self) -> RouterError {
        self.finished = true;
        self.client.abandon(self.tag);
        RouterError::Timeout {
            command: self.command.clone(),
            after: self.client.options.command_timeout,
        }
    }

    async fn next_reply(&mut self) -> Result<Option<StreamEvent>, RouterError> {
        if self.finished {
            return Ok(None);
        }
        loop {
            let Some(reply) = self.rx.recv().await else {
                self.finished = true;
                return Err(self.client.shared.closed_error());
            };
            match reply.kind {
                ReplyKind::Re => {
                    return Ok(Some(StreamEvent::Item(Item {
                        attributes: reply.attributes,
                    })))
                }
                ReplyKind::Empty => return Ok(Some(StreamEvent::Empty)),
                ReplyKind::Trap => self.traps.push(Trap {
                    message: reply.message().map(text).unwrap_or_default(),
                    category: reply.category(),
                }),
                ReplyKind::Done => {
                    self.finished = true;
                    self.done_ret = reply.get("ret").map(<[u8]>::to_vec);
                    // A command may raise several traps; the first says what went wrong.
                    return match self.traps.drain(..).next() {
                        Some(trap) => Err(RouterError::Trap {
                            command: self.command.clone(),
                            trap,
                        }),
                        None => Ok(None),
                    };
                }
                ReplyKind::Fatal => {
                    self.finished = true;
                    return Err(RouterError::Fatal(
                        reply.message().map(text).unwrap_or_default(),
                    ));
                }
                ReplyKind::Unknown(word) => {
                    tracing::warn!(word = %text(&word), command = %self.command, "unknown reply word ignored");
                }
            }
        }
    }
}

impl Drop for ReplyStream {
    /// A stream dropped before its end cancels the command on the router.
    fn drop(&mut self) {
        if !self.finished {
            self.client.abandon(self.tag);
        }
    }
}

async fn open_transport(options: &ConnectOptions) -> Result<Box<dyn Transport>, RouterError> {
    let addr = options.addr.clone();
    let tcp = match timeout(options.connect_timeout, TcpStream::connect(&addr)).await {
        Err(_) => {
            return Err(RouterError::ConnectTimeout {
                addr,
                after: options.connect_timeout,
            })
        }
        Ok(Err(source)) => return Err(RouterError::Connect { addr, source }),
        Ok(Ok(tcp)) => tcp,
    };
    tcp.set_nodelay(true)
        .map_err(|e| RouterError::Lost(e.to_string()))?;
    let Some(trust) = &options.tls else {
        return Ok(Box::new(tcp));
    };
    let connector = tokio_rustls::TlsConnector::from(client_config(trust)?);
    let host = addr
        .rsplit_once(':')
        .map_or(addr.as_str(), |(h, _)| h)
        .trim_matches(['[', ']']);
    let server_name = match host.parse::<IpAddr>() {
        Ok(ip) => rustls::pki_types::ServerName::IpAddress(ip.into()),
        Err(_) => rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|e| RouterError::Tls(format!("bad server name {host:?}: {e}")))?,
    };
    let handshake = connector.connect(server_name, tcp);
    match timeout(options.connect_timeout, handshake).await {
        Err(_) => Err(RouterError::ConnectTimeout {
            addr,
            after: options.connect_timeout,
        }),
        Ok(Err(e)) => Err(handshake_error(e)),
        Ok(Ok(tls)) => Ok(Box::new(tls)),
    }
}

async fn write_loop(
    write_half: tokio::io::WriteHalf<Box<dyn Transport>>,
    mut outgoing: mpsc::Receiver<Vec<u8>>,
    shared: Arc<Shared>,
) {
    let mut out = BufWriter::with_capacity(64 * 1024, write_half);
    while let Some(bytes) = outgoing.recv().await {
        let mut result = out.write_all(&bytes).await;
        // Batch whatever else is queued into the same flush.
        while result.is_ok() {
            match outgoing.try_recv() {
                Ok(more) => result = out.write_all(&more).await,
                Err(_) => break,
            }
        }
        if let Err(e) = result.and(out.flush().await) {
            shared.close(Ended::Lost(format!("write failed: {e}")));
            return;
        }
    }
    let _ = out.shutdown().await;
}

async fn read_loop(
    mut read_half: tokio::io::ReadHalf<Box<dyn Transport>>,
    mut decoder: Decoder,
    shared: Arc<Shared>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    let reason = loop {
        let n = match read_half.read(&mut buf).await {
            Ok(0) => break Ended::Lost("closed by the router".to_owned()),
            Ok(n) => n,
            Err(e) => break Ended::Lost(format!("read failed: {e}")),
        };
        decoder.feed(&buf[..n]);
        match route_sentences(&mut decoder, &shared).await {
            Ok(()) => {}
            Err(reason) => break reason,
        }
    };
    tracing::debug!(?reason, "router connection ended");
    shared.close(reason);
}

/// Delivers every complete sentence to the command it belongs to.
async fn route_sentences(decoder: &mut Decoder, shared: &Shared) -> Result<(), Ended> {
    loop {
        let sentence = match decoder.next_sentence() {
            Ok(Some(s)) => s,
            Ok(None) => return Ok(()),
            Err(e) => return Err(Ended::Lost(format!("malformed bytes from the router: {e}"))),
        };
        let reply = Reply::parse(sentence)
            .map_err(|e| Ended::Lost(format!("malformed reply from the router: {e}")))?;
        if reply.kind == ReplyKind::Fatal {
            let reason = reply.message().map(text).unwrap_or_default();
            if !shared.quitting.load(Ordering::Relaxed) {
                tracing::warn!(%reason, "router sent !fatal");
            }
            return Err(Ended::Fatal(reason));
        }
        let tag = reply
            .tag
            .as_deref()
            .and_then(|t| std::str::from_utf8(t).ok())
            .and_then(|t| t.parse::<u64>().ok());
        let Some(tag) = tag else {
            shared.unexpected_replies.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(reply = ?reply.kind, "reply without a known tag ignored");
            continue;
        };
        let is_done = reply.kind == ReplyKind::Done;
        let tx = {
            let mut pending = shared.pending.lock().expect("lock");
            let tx = match pending.get(&tag) {
                Some(p) => p.tx.clone(),
                None => {
                    shared.unexpected_replies.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(tag, "reply for an unknown tag ignored");
                    continue;
                }
            };
            if is_done {
                pending.remove(&tag);
            }
            tx
        };
        if let Some(tx) = tx {
            // Waiting here is the backpressure that bounds memory; a caller that went away
            // makes the send fail, and its later replies are dropped.
            if tx.send(reply).await.is_err() {
                if let Some(p) = shared.pending.lock().expect("lock").get_mut(&tag) {
                    p.tx = None;
                }
            }
        }
    }
}
