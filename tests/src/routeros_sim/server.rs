//! The listening socket: accepting connections, the api service's `max-sessions`, TLS, and
//! the state every connection shares.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};

use super::connection;
use super::faults::Faults;
use super::state::{Change, Router};
use super::tls::{self, TlsSetup};
use super::version::RosVersion;

/// Fixed settings of a running simulator.
pub(crate) struct Settings {
    pub version: RosVersion,
    pub users: Vec<(String, String)>,
    pub tag_second: bool,
    pub max_sessions: usize,
}

pub(crate) struct Shared {
    pub settings: Settings,
    router: Mutex<Router>,
    faults: Mutex<Faults>,
    pub changes: broadcast::Sender<Change>,
    open: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not take the whole simulator down with it.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn new(
        settings: Settings,
        router: Router,
        changes: broadcast::Sender<Change>,
    ) -> Self {
        Shared {
            settings,
            router: Mutex::new(router),
            faults: Mutex::new(Faults::default()),
            changes,
            open: AtomicUsize::new(0),
        }
    }

    pub(crate) fn router(&self) -> MutexGuard<'_, Router> {
        lock(&self.router)
    }

    pub(crate) fn faults(&self) -> Faults {
        lock(&self.faults).clone()
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        *lock(&self.faults) = faults;
    }

    /// True once per `garbage_reply` request.
    pub(crate) fn take_garbage_fault(&self) -> bool {
        std::mem::take(&mut lock(&self.faults).garbage_reply)
    }

    pub(crate) fn open_connections(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }
}

/// Counts a connection from accept to close.
struct OpenConnection(Arc<Shared>);

impl OpenConnection {
    fn new(shared: &Arc<Shared>) -> Self {
        shared.open.fetch_add(1, Ordering::SeqCst);
        OpenConnection(shared.clone())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Accepts connections until shutdown.
///
/// `max-sessions`: RouterOS does not document what happens past the limit (reference §1.9).
/// Choice: a connection beyond `max_sessions` open ones (logged in or not yet) is accepted and
/// closed at once without a word, so the client sees end-of-stream on its first read. Nothing
/// is logged on the router for it.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<TlsSetup>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        if shared.open_connections() >= shared.settings.max_sessions {
            tracing::debug!(%peer, "max-sessions reached; closing");
            drop(tcp);
            continue;
        }
        // Small replies must leave at once, not wait for Nagle.
        let _ = tcp.set_nodelay(true);
        let guard = OpenConnection::new(&shared);
        let shared = shared.clone();
        let tls = tls.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let _guard = guard;
            serve_one(tcp, peer, shared, tls, shutdown).await;
        });
    }
}

async fn serve_one(
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    tls: Option<TlsSetup>,
    shutdown: watch::Receiver<bool>,
) {
    match tls {
        None => connection::serve(tcp, peer, shared, shutdown).await,
        Some(TlsSetup::AnonymousDhOnly) => tls::refuse_without_anonymous_dh(tcp).await,
        Some(TlsSetup::Certificate(acceptor)) => {
            match tokio::time::timeout(tls::HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => connection::serve(stream, peer, shared, shutdown).await,
                Ok(Err(e)) => tracing::debug!(%peer, "TLS handshake failed: {e}"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        }
    }
}
