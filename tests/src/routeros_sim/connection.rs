//! One API connection: reading sentences in arrival order, login, tags, `listen` and
//! `/cancel`, injected faults, and turning outcomes into reply sentences.
//!
//! Commands are executed one after another as they arrive; each one's replies are queued to
//! the writer at once, so pipelined fast commands are answered within microseconds. A `listen`
//! runs as its own task that queues `!re` sentences whenever its menu changes.

use std::net::SocketAddr;
use std::sync::Arc;

use protocol::routeros::{Decoder, Limits, Reply, Request, Sentence};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use super::commands::{self, Outcome, Route};
use super::faults::{write_replies, Outgoing, FAULT_FATAL_REASON, GARBAGE};
use super::login::{Login, LoginOutcome};
use super::query::Query;
use super::schema::MenuSpec;
use super::server::Shared;
use super::state::{format_id, Change, Row};

/// Reasons RouterOS gives in `!fatal` (reference §1.4).
const NOT_LOGGED_IN: &str = "not logged in";
const QUIT: &str = "session terminated on request";

/// Reading stops after the current sentence when `handle` says so.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Close,
}

/// Sends reply sentences to the writer, placing `.tag` where the config says.
#[derive(Clone)]
struct Outbox {
    queue: mpsc::UnboundedSender<Outgoing>,
    tag_second: bool,
}

impl Outbox {
    fn send(&self, reply: Reply) {
        // The writer only goes away with the connection.
        let _ = self
            .queue
            .send(Outgoing::Sentence(reply.to_sentence(self.tag_second)));
    }

    fn not_before(&self, at: tokio::time::Instant) {
        let _ = self.queue.send(Outgoing::NotBefore(at));
    }

    fn raw(&self, bytes: &[u8]) {
        let _ = self.queue.send(Outgoing::Raw(bytes.to_vec()));
    }

    fn fatal_and_close(&self, reason: &str) {
        self.send(Reply::fatal(reason));
        self.close();
    }

    fn close(&self) {
        let _ = self.queue.send(Outgoing::Close);
    }
}

/// A command still running (a `listen`), cancellable by tag.
struct Running {
    tag: Option<Vec<u8>>,
    task: JoinHandle<()>,
}

struct Connection {
    shared: Arc<Shared>,
    peer: SocketAddr,
    out: Outbox,
    login: Login,
    user: Option<String>,
    running: Vec<Running>,
    sentences_read: u64,
}

/// Serves one connection (plain TCP or TLS) until the client leaves, a fatal ends it, or the
/// simulator shuts down.
pub(crate) async fn serve<S>(
    stream: S,
    peer: SocketAddr,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (mut reader, writer) = tokio::io::split(stream);
    let (queue, outgoing) = mpsc::unbounded_channel();
    let faults_source = shared.clone();
    let mut writer_task = tokio::spawn(write_replies(writer, outgoing, move || {
        faults_source.faults()
    }));
    let mut conn = Connection {
        login: Login::new(shared.settings.version),
        out: Outbox {
            queue,
            tag_second: shared.settings.tag_second,
        },
        shared,
        peer,
        user: None,
        running: Vec::new(),
        sentences_read: 0,
    };
    let mut decoder = Decoder::new(Limits::default());
    let mut buf = vec![0u8; 16 * 1024];
    'reading: loop {
        let n = tokio::select! {
            read = reader.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            },
            _ = shutdown.changed() => break,
        };
        decoder.feed(&buf[..n]);
        loop {
            match decoder.next_sentence() {
                Ok(Some(sentence)) => {
                    if conn.handle(sentence).await == Flow::Close {
                        break 'reading;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    // Framing is lost (control byte, oversized word): a real router cannot
                    // answer either. We close without a `!fatal`, since no reason text is known.
                    tracing::debug!(%peer, "closing on undecodable input: {e}");
                    conn.out.close();
                    break 'reading;
                }
            }
        }
    }
    conn.finish();
    drop(conn);
    // Let the writer flush what is queued, unless the simulator is shutting down.
    if *shutdown.borrow() {
        writer_task.abort();
        return;
    }
    tokio::select! {
        _ = &mut writer_task => {}
        _ = shutdown.changed() => writer_task.abort(),
    }
}

impl Connection {
    async fn handle(&mut self, sentence: Sentence) -> Flow {
        self.sentences_read += 1;
        let faults = self.shared.faults();
        if faults
            .drop_after_sentences
            .is_some_and(|n| self.sentences_read >= n)
        {
            self.out.close();
            return Flow::Close;
        }
        if faults
            .fatal_after_sentences
            .is_some_and(|n| self.sentences_read >= n)
        {
            self.out.fatal_and_close(FAULT_FATAL_REASON);
            return Flow::Close;
        }
        if !faults.reply_latency.is_zero() {
            self.out
                .not_before(tokio::time::Instant::now() + faults.reply_latency);
        }

        let req = Request::parse(&sentence);
        let route = commands::route(&req.command);
        if route == Ok(Route::Quit) {
            self.out.fatal_and_close(QUIT);
            return Flow::Close;
        }
        if self.user.is_none() && route != Ok(Route::Login) {
            self.out.fatal_and_close(NOT_LOGGED_IN);
            return Flow::Close;
        }
        let tag = req.tag.clone();
        let replies = match route {
            Ok(Route::Login) => self.login(&req),
            Ok(Route::Cancel) => self.cancel(&req).await,
            Ok(Route::Menu(spec, "listen")) => {
                self.listen(spec, &req);
                Vec::new()
            }
            Ok(Route::Menu(spec, cmd)) => {
                let outcome = commands::execute(&mut self.shared.router(), spec, cmd, &req);
                self.replies(outcome)
            }
            Ok(Route::Quit) => Vec::new(),
            Err(trap) => self.replies(Outcome::Trap(trap)),
        };
        if self.shared.take_garbage_fault() {
            self.out.raw(GARBAGE);
            return Flow::Continue;
        }
        for reply in replies {
            self.out.send(reply.with_tag(tag.clone()));
        }
        Flow::Continue
    }

    fn replies(&self, outcome: Outcome) -> Vec<Reply> {
        match outcome {
            Outcome::Rows(rows)
                if rows.is_empty() && self.shared.settings.version.has_empty_reply() =>
            {
                vec![Reply::empty(), Reply::done()]
            }
            Outcome::Rows(rows) => rows
                .into_iter()
                .map(row_reply)
                .chain([Reply::done()])
                .collect(),
            Outcome::Count(n) => vec![Reply::done().attr("ret", n.to_string())],
            Outcome::Done(None) => vec![Reply::done()],
            Outcome::Done(Some(ret)) => vec![Reply::done().attr("ret", ret)],
            Outcome::Trap(trap) => vec![Reply::trap(trap.message, trap.category), Reply::done()],
        }
    }

    fn login(&mut self, req: &Request) -> Vec<Reply> {
        let outcome = self.login.attempt(req, &self.shared.settings.users);
        let ip = self.peer.ip();
        match outcome {
            LoginOutcome::Success(user) => {
                self.shared.router().log(
                    "system,info,account",
                    format!("user {user} logged in from {ip} via api"),
                );
                self.user = Some(user);
                vec![Reply::done()]
            }
            LoginOutcome::Challenge(hex) => vec![Reply::done().attr("ret", hex)],
            LoginOutcome::Failure { user, trap } => {
                self.shared.router().log(
                    "system,error,critical",
                    format!("login failure for user {user} from {ip} via api"),
                );
                self.replies(Outcome::Trap(trap))
            }
        }
    }

    /// `/cancel [=tag=X]`: each victim gets `!trap =category=2 =message=interrupted`, then the
    /// cancel's own `!done`, then each victim's `!done` (order of the lr-analysis capture).
    /// Without `=tag=` every running command is cancelled. A tag that names nothing running
    /// gets a plain `!done` (choice; RouterOS' answer is undocumented).
    async fn cancel(&mut self, req: &Request) -> Vec<Reply> {
        let target = req.attr("tag").map(<[u8]>::to_vec);
        let (victims, keep): (Vec<Running>, Vec<Running>) = std::mem::take(&mut self.running)
            .into_iter()
            .partition(|r| target.is_none() || r.tag == target);
        self.running = keep;
        for victim in &victims {
            victim.task.abort();
        }
        let mut ended = Vec::new();
        for victim in victims {
            // Once the task is gone it can queue nothing after the trap below.
            let _ = victim.task.await;
            ended.push(victim.tag);
        }
        for tag in &ended {
            self.out
                .send(Reply::trap("interrupted", Some(2)).with_tag(tag.clone()));
        }
        self.out.send(Reply::done().with_tag(req.tag.clone()));
        for tag in ended {
            self.out.send(Reply::done().with_tag(tag));
        }
        Vec::new()
    }

    /// Starts a `listen`: `!re` with the item's properties on every add or change in the menu
    /// (filtered by the command's queries and `.proplist`), `!re =.id=*X =.dead=true` on removal.
    fn listen(&mut self, spec: &'static MenuSpec, req: &Request) {
        // Subscribe before returning, so no change after this command is missed.
        let mut changes = self.shared.changes.subscribe();
        let out = self.out.clone();
        let tag = req.tag.clone();
        let query = Query::parse(&req.queries);
        let props = commands::proplist(req);
        let task_tag = tag.clone();
        let task = tokio::spawn(async move {
            loop {
                let change: Change = match changes.recv().await {
                    Ok(c) => c,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if change.menu != spec.path {
                    continue;
                }
                let row = match change.row {
                    Some(row) if query.is_empty() || query.matches(&row) => {
                        commands::select(row, props.as_deref())
                    }
                    Some(_) => continue,
                    None => vec![
                        (".id".to_owned(), format_id(change.id).into_bytes()),
                        (".dead".to_owned(), b"true".to_vec()),
                    ],
                };
                out.send(row_reply(row).with_tag(task_tag.clone()));
            }
        });
        self.running.push(Running { tag, task });
    }

    /// The client is gone: stop its listens and log the logout.
    fn finish(&mut self) {
        for running in self.running.drain(..) {
            running.task.abort();
        }
        if let Some(user) = &self.user {
            let ip = self.peer.ip();
            self.shared.router().log(
                "system,info,account",
                format!("user {user} logged out from {ip} via api"),
            );
        }
    }
}

fn row_reply(row: Row) -> Reply {
    row.into_iter()
        .fold(Reply::re(), |reply, (k, v)| reply.attr(k, v))
}
