//! Injected faults and the connection's writer, which applies the ones that concern writing
//! (hang, trickle). Faults are read afresh for every sentence, so [`super::SimHandle::set_faults`]
//! changes open connections too; counters are per connection.

use std::time::Duration;

use protocol::routeros::Sentence;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

/// Faults to inject. All off by default.
///
/// Sentence counts include login sentences. For `drop_after_sentences` and
/// `fatal_after_sentences` the N-th sentence is read but not executed nor answered: the
/// connection is closed (or gets `!fatal` [`FAULT_FATAL_REASON`]) instead, so a client sees it
/// in the middle of a command. With `hang_after_reply_sentences` commands are still executed
/// (the router did the work; only the answer is lost), which is the harder case for a client.
/// `garbage_reply` is one-shot across all connections: the next command is executed and its
/// answer replaced by [`GARBAGE`]; the flag then clears itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Link delay: a command's replies leave this long after the command arrived. Pipelined
    /// commands overlap, as on a real link, so this is what one-at-a-time clients pay per
    /// command and pipelining clients pay once.
    pub reply_latency: Duration,
    /// Close the TCP connection on reading the N-th client sentence of a connection.
    pub drop_after_sentences: Option<u64>,
    /// Send `!fatal` and close on reading the N-th client sentence of a connection.
    pub fatal_after_sentences: Option<u64>,
    /// After writing N reply sentences on a connection, write nothing more (socket stays open).
    pub hang_after_reply_sentences: Option<u64>,
    /// Write replies in chunks of this many bytes with this delay between chunks.
    pub trickle: Option<(usize, Duration)>,
    /// Answer the next command with malformed bytes.
    pub garbage_reply: bool,
}

/// The `!fatal` reason of an injected fatal; RouterOS' own reasons for unplanned closes are
/// undocumented.
pub const FAULT_FATAL_REASON: &str = "simulated failure";

/// A reserved control byte (which no client can decode) followed by bytes of a `!re`.
pub const GARBAGE: &[u8] = b"\xF8\x03!re\x00";

/// Parses `BYTES:MS`, the form of `--trickle` and of the control port's `trickle=`.
pub fn parse_trickle(text: &str) -> Option<(usize, Duration)> {
    let (bytes, ms) = text.split_once(':')?;
    let bytes: usize = bytes.parse().ok().filter(|b| *b > 0)?;
    Some((bytes, Duration::from_millis(ms.parse().ok()?)))
}

/// What the connection asks its writer to do.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// Hold what follows until this instant (link delay).
    NotBefore(tokio::time::Instant),
    Sentence(Sentence),
    Raw(Vec<u8>),
    /// Write what is queued, then close.
    Close,
}

/// Largest batch written at once when replies queue up (a big print).
const BATCH: usize = 64 * 1024;

/// Writes queued replies as soon as they arrive, batching what is already queued.
pub(crate) async fn write_replies<W>(
    mut out: W,
    mut queue: mpsc::UnboundedReceiver<Outgoing>,
    faults: impl Fn() -> Faults,
) where
    W: AsyncWrite + Unpin,
{
    let mut written_sentences = 0u64;
    let mut buf = Vec::new();
    while let Some(first) = queue.recv().await {
        let faults = faults();
        let mut next = Some(first);
        let mut close = false;
        while let Some(msg) = next.take() {
            match msg {
                Outgoing::NotBefore(at) if at > tokio::time::Instant::now() => {
                    if write(&mut out, &buf, faults.trickle).await.is_err() {
                        return;
                    }
                    buf.clear();
                    tokio::time::sleep_until(at).await;
                }
                Outgoing::NotBefore(_) => {}
                Outgoing::Sentence(s) => {
                    let hung = faults
                        .hang_after_reply_sentences
                        .is_some_and(|n| written_sentences >= n);
                    if !hung {
                        s.encode_into(&mut buf);
                        written_sentences += 1;
                    }
                }
                Outgoing::Raw(bytes) => buf.extend_from_slice(&bytes),
                Outgoing::Close => close = true,
            }
            if !close && buf.len() < BATCH && faults.trickle.is_none() {
                next = queue.try_recv().ok();
            }
        }
        if write(&mut out, &buf, faults.trickle).await.is_err() {
            return;
        }
        buf.clear();
        if close {
            let _ = out.shutdown().await;
            return;
        }
    }
}

async fn write<W: AsyncWrite + Unpin>(
    out: &mut W,
    bytes: &[u8],
    trickle: Option<(usize, Duration)>,
) -> std::io::Result<()> {
    match trickle {
        None => {
            out.write_all(bytes).await?;
            out.flush().await
        }
        Some((chunk, delay)) => {
            for (i, piece) in bytes.chunks(chunk.max(1)).enumerate() {
                if i > 0 {
                    tokio::time::sleep(delay).await;
                }
                out.write_all(piece).await?;
                out.flush().await?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trickle_syntax() {
        assert_eq!(parse_trickle("3:10"), Some((3, Duration::from_millis(10))));
        assert_eq!(parse_trickle("0:10"), None);
        assert_eq!(parse_trickle("3"), None);
    }
}
