//! The agent's durable outbox: every uplink waits on disk until the controller acknowledges it.
//!
//! Brief decision 7: a record is deleted only when the controller's application-level ack
//! (`a/{agent}/down/ack`: highest persisted `seq` per `boot_id`) arrives, never on the broker's
//! PUBACK. Besides [`Outbox::ack`], the only other ways a record leaves are the bounds: eviction
//! when full ([`Limits::max_bytes`], [`Limits::max_records`]) and [`Outbox::expire`]
//! ([`Limits::max_age_ms`]). A record whose file turns out to be damaged is deleted and counted as
//! well, never returned.
//!
//! # Records and order
//!
//! A [`Record`] is `(boot_id, seq, priority, created_at_ms, payload)`. The payload is the
//! *unsigned* envelope JSON, kept as opaque bytes: the caller signs at send time, so a record
//! replayed after a restart can be re-signed with `historical: true`. [`Outbox::pending`] returns
//! records in send order: [`Priority`] first (command results, events, state, telemetry), then
//! `(created_at_ms, boot_id, seq)`. It returns everything not yet acked, including records already
//! handed out; the caller remembers what it sent on the current connection and resends the rest
//! after a reconnect.
//!
//! # On disk: one file per record
//!
//! The outbox directory holds one file per record, named
//! `{p}-{boot_id}-{seq:020}.rec`, where `p` is the priority digit (`0` command result, `1` event,
//! `2` state, `3` telemetry), `boot_id` the 32 lowercase hex characters and `seq` the sequence
//! number zero-padded to 20 digits (so `ls` sorts a boot's records by `seq`). Each file is a
//! 68-byte header followed by the payload; integers are little-endian:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `SOBX` |
//! | 4 | 2 | format version, `1` |
//! | 6 | 1 | priority digit (as in the name) |
//! | 7 | 1 | reserved, `0` |
//! | 8 | 8 | `seq` (u64) |
//! | 16 | 8 | `created_at_ms` (i64, Unix milliseconds) |
//! | 24 | 32 | `boot_id`, ASCII |
//! | 56 | 8 | payload length in bytes (u64) |
//! | 64 | 4 | CRC-32 (IEEE 802.3, as in zlib) of bytes 0..64 and the payload |
//! | 68 | n | payload |
//!
//! [`Outbox::open`] rebuilds the in-memory index from a directory listing and checks every record
//! file completely: magic, version, priority, boot id and seq against the name, the exact length
//! and the CRC. A torn or corrupt file is deleted and counted in [`Stats::dropped_corrupt`]; a file
//! that cannot be read because of an I/O error (`EIO`) is treated the same way, since its content
//! is lost either way. Stray temporary files (`.{name}.tmp`) left by a crash mid-write are
//! removed. A record file written by a newer format version (an agent rolled back after an
//! update) is left alone and ignored, so rolling forward again finds it. Other files are ignored.
//! If the limits shrank since the records were written, `open` evicts down to them
//! (counted in [`Stats::dropped_full`]). Reading a record for [`Outbox::pending`] checks it again,
//! so damage that happens while the agent runs is also caught there.
//!
//! # fsync policy
//!
//! - **push**: the record is written to `.{name}.tmp`, the file is fsynced, renamed to `{name}`,
//!   then the directory is fsynced, all before [`Outbox::push`] returns `Ok`. A record acknowledged
//!   as pushed survives a crash or a power cut; no flush or close is needed (dropping the
//!   `Outbox` at any point is safe). A crash before the rename leaves only a temp file, removed at
//!   the next open; after the rename the data is already on disk, so the final name never points
//!   at a half-written file unless the storage itself lies (the CRC catches that).
//! - **ack, eviction, expiry**: the file is unlinked *without* fsyncing the directory. If a power
//!   cut undoes the unlink, the record comes back: an acked record is then sent again and the
//!   controller de-duplicates it by `(agent, boot_id, seq)`; an evicted or expired one is evicted
//!   or expired again. Either way only a harmless duplicate, and acks stay cheap.
//!
//! Every operation this policy is about goes through [`Disk`] ([`StdFs`] in production, one
//! syscall each), so `tests/it/outbox.rs` can run the outbox on a model of a disk that forgets,
//! at a simulated power cut, whatever was not fsynced, and check that every record whose `push`
//! returned comes back intact. (A process crash proves nothing here: the page cache keeps
//! unsynced data when only the process dies.)
//!
//! # Blocking
//!
//! The API is synchronous `std::fs`. `push` costs two fsyncs (well under a millisecond on an SSD,
//! tens of milliseconds on an SD card) and `pending` reads files, so the agent is expected to call
//! the outbox from `tokio::task::spawn_blocking` (or a dedicated thread) holding it in a
//! `Mutex`, not directly on a runtime worker. One process owns a directory at a time (the agent is
//! a single service); two `Outbox`es on the same directory are not coordinated.
//!
//! # Memory
//!
//! Only an index is kept in memory, per record its priority, creation time, boot id (16 bytes),
//! seq and size, in two B-trees (around 150 bytes a record, so 100,000 buffered records take about
//! 15 MB); file names are derived from the key. Payloads are read from disk by `pending`, which
//! returns at most `limit` records.
//!
//! # Bounds
//!
//! [`Limits::max_bytes`] counts header plus payload ([`Record::stored_len`]); the file system's own
//! overhead (a block per file, typically 4 KiB) comes on top, which [`Limits::max_records`] bounds.
//! When a push would exceed either limit, the oldest records of the lowest priority go first
//! (telemetry, then state, then events, then command results), but only records of the new
//! record's priority or lower: a higher-priority record is never evicted for a lower-priority one.
//! If even that cannot make room, the new record is refused with [`OutboxError::Full`] and nothing
//! is evicted. Every eviction and every refusal counts one in [`Stats::dropped_full`]. The counters
//! in [`Stats`] start at zero at every `open`.
//!
//! Expiry compares `created_at_ms` with the `now_ms` the caller passes, so both should come from
//! the same (wall) clock; a record stamped before the clock was synced may look old.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Bytes of the header in front of every payload.
pub const HEADER_LEN: usize = 68;
const MAGIC: [u8; 4] = *b"SOBX";
const FORMAT_VERSION: u16 = 1;
/// Where the CRC sits; it covers everything before it and the payload after it.
const CRC_AT: usize = 64;
const RECORD_SUFFIX: &str = ".rec";
const TMP_SUFFIX: &str = ".tmp";
/// `{p}-{32 hex}-{20 digits}`, without the suffix.
const NAME_LEN: usize = 1 + 1 + 32 + 1 + 20;

/// How urgently a record must reach the controller; declared from highest to lowest, so the
/// derived `Ord` sorts higher priorities first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// A command's state transition (`up/cmd/{id}`).
    CommandResult,
    /// An event or alarm (`up/events`).
    Event,
    /// Birth and reported state (`up/birth`, `up/reported`).
    State,
    /// Periodic measurements (`up/telemetry`).
    Telemetry,
}

impl Priority {
    /// Every priority, highest first.
    pub const ALL: [Priority; 4] = [
        Priority::CommandResult,
        Priority::Event,
        Priority::State,
        Priority::Telemetry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::CommandResult => "command_result",
            Priority::Event => "event",
            Priority::State => "state",
            Priority::Telemetry => "telemetry",
        }
    }

    /// The digit used in file names and headers.
    fn code(self) -> u8 {
        self as u8
    }

    fn from_code(code: u8) -> Option<Priority> {
        Priority::ALL.get(usize::from(code)).copied()
    }

    fn index(self) -> usize {
        usize::from(self.code())
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One uplink waiting for the controller's ack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The agent process's boot id: 32 lowercase hex characters (a UUID without dashes).
    pub boot_id: String,
    /// Sequence number within the boot; `(boot_id, seq)` is unique in the outbox.
    pub seq: u64,
    pub priority: Priority,
    /// Wall-clock Unix milliseconds when the record was made; the age for expiry and ordering.
    pub created_at_ms: i64,
    /// The unsigned envelope JSON, opaque here.
    pub payload: Vec<u8>,
}

impl Record {
    /// What this record counts against [`Limits::max_bytes`]: header plus payload.
    pub fn stored_len(&self) -> u64 {
        HEADER_LEN as u64 + self.payload.len() as u64
    }
}

/// Bounds of the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Most bytes of records (headers plus payloads).
    pub max_bytes: u64,
    /// Records older than this are dropped by [`Outbox::expire`].
    pub max_age_ms: i64,
    /// Most records (files).
    pub max_records: usize,
}

impl Default for Limits {
    /// 64 MiB, 7 days, 100,000 records.
    fn default() -> Self {
        Limits {
            max_bytes: 64 * 1024 * 1024,
            max_age_ms: 7 * 24 * 60 * 60 * 1000,
            max_records: 100_000,
        }
    }
}

/// What the outbox holds and what it has dropped since it was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Stats {
    /// Records waiting for an ack.
    pub depth: usize,
    /// Their bytes as counted against [`Limits::max_bytes`].
    pub bytes: u64,
    pub oldest_created_at_ms: Option<i64>,
    /// Records evicted to make room, plus records refused because there was none.
    pub dropped_full: u64,
    /// Records dropped by [`Outbox::expire`].
    pub dropped_expired: u64,
    /// Damaged record files deleted (at open or when read).
    pub dropped_corrupt: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("outbox I/O error: {0}")]
    Io(#[from] io::Error),
    /// No room for the record without evicting records of higher priority (or it is larger
    /// than the whole outbox). Counted in [`Stats::dropped_full`].
    #[error("outbox full: {priority} record refused")]
    Full { priority: Priority },
    #[error("invalid boot id {0:?}: expected 32 lowercase hex characters")]
    InvalidBootId(String),
    #[error("record {boot_id}/{seq} is already in the outbox")]
    Duplicate { boot_id: String, seq: u64 },
}

/// Whether `s` is a valid boot id: exactly 32 lowercase hex characters.
pub fn is_valid_boot_id(s: &str) -> bool {
    BootId::parse(s).is_some()
}

/// A boot id as its 16 bytes; orders like its lowercase hex form.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct BootId([u8; 16]);

impl BootId {
    /// Only the canonical lowercase form: a boot id is part of every record's file name, so one
    /// id must have exactly one spelling (`protocol::encoding::unhex` also takes uppercase).
    fn parse(s: &str) -> Option<BootId> {
        if s.len() != 32 || s.bytes().any(|c| c.is_ascii_uppercase()) {
            return None;
        }
        let bytes = protocol::encoding::unhex(s)?;
        Some(BootId(bytes.try_into().ok()?))
    }

    /// The 32 lowercase hex characters. The shared encoder allocates a small `String`; next to
    /// the two fsyncs of a push or the file read of `pending` that is nothing, so no specialised
    /// fixed-size copy is kept here.
    fn hex(&self) -> String {
        protocol::encoding::hex(&self.0)
    }
}

impl fmt::Display for BootId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl fmt::Debug for BootId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Order within one priority class: age, then boot, then seq.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct AgeKey {
    created_at_ms: i64,
    boot: BootId,
    seq: u64,
}

/// Where a `(boot, seq)` sits in the classes.
#[derive(Debug, Clone, Copy)]
struct Slot {
    priority: Priority,
    created_at_ms: i64,
}

/// The file-system operations the outbox's durability rests on: making a file and writing it,
/// fsyncing it, renaming, unlinking, and making and fsyncing directories. [`StdFs`] is the real
/// one; the seam exists so a test can put a model of a disk underneath that forgets, at a
/// simulated power cut, whatever was not fsynced (see `tests/it/power_cut.rs`).
///
/// Reads (listing the directory, reading records) do not go through it: until power is lost a
/// process reads what it wrote, synced or not, so reads need no model.
pub trait Disk {
    type File: Write;
    /// An open directory, kept for fsyncing it.
    type Dir;
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
    fn open_dir(&self, dir: &Path) -> io::Result<Self::Dir>;
    /// Makes the directory's entries (files created, renamed or unlinked in it) durable.
    fn sync_dir(&self, dir: &Self::Dir) -> io::Result<()>;
    /// Creates (or truncates) a file for writing.
    fn create(&self, path: &Path) -> io::Result<Self::File>;
    /// Makes the file's content durable (not its name: that is [`Disk::sync_dir`]'s job).
    fn sync_file(&self, file: &Self::File) -> io::Result<()>;
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    fn remove_file(&self, path: &Path) -> io::Result<()>;
}

/// The real file system, through `std::fs`: one syscall per operation.
#[derive(Debug, Clone, Copy, Default)]
pub struct StdFs;

impl Disk for StdFs {
    type File = File;
    /// `None` where directories cannot be opened (or fsynced) as files; renames are durable on
    /// their own there.
    type Dir = Option<File>;

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir)
    }

    #[cfg(unix)]
    fn open_dir(&self, dir: &Path) -> io::Result<Option<File>> {
        File::open(dir).map(Some)
    }

    #[cfg(not(unix))]
    fn open_dir(&self, _dir: &Path) -> io::Result<Option<File>> {
        Ok(None)
    }

    fn sync_dir(&self, dir: &Option<File>) -> io::Result<()> {
        match dir {
            Some(handle) => handle.sync_all(),
            None => Ok(()),
        }
    }

    fn create(&self, path: &Path) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
    }

    fn sync_file(&self, file: &File) -> io::Result<()> {
        file.sync_all()
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }
}

/// The durable outbox; see the module documentation. `D` is the file system underneath: the
/// real one except in tests.
pub struct Outbox<D: Disk = StdFs> {
    dir: PathBuf,
    disk: D,
    /// Kept open to fsync the directory after each rename.
    dir_handle: D::Dir,
    limits: Limits,
    /// One map per priority (indexed by `Priority::index`), record size by age key.
    classes: [BTreeMap<AgeKey, u64>; 4],
    /// Every record by `(boot, seq)`, for acks and duplicate checks.
    by_id: BTreeMap<(BootId, u64), Slot>,
    /// Bytes held by each class.
    class_bytes: [u64; 4],
    dropped_full: u64,
    dropped_expired: u64,
    dropped_corrupt: u64,
}

impl<D: Disk> fmt::Debug for Outbox<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox")
            .field("dir", &self.dir)
            .field("limits", &self.limits)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Outbox {
    /// Opens (creating it if needed) the outbox in `dir`: removes stray temp files, checks every
    /// record file and deletes damaged ones, rebuilds the index, and evicts down to `limits`.
    pub fn open(dir: &Path, limits: Limits) -> io::Result<Outbox> {
        Outbox::open_on(StdFs, dir, limits)
    }
}

impl<D: Disk> Outbox<D> {
    /// [`Outbox::open`] on another [`Disk`].
    pub fn open_on(disk: D, dir: &Path, limits: Limits) -> io::Result<Outbox<D>> {
        if !dir.is_dir() {
            disk.create_dir_all(dir)?;
            if let Some(parent) = dir.parent() {
                let parent = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
                // The new directory's own name must be durable too.
                disk.sync_dir(&disk.open_dir(parent)?)?;
            }
        }
        let mut outbox = Outbox {
            dir: dir.to_path_buf(),
            dir_handle: disk.open_dir(dir)?,
            disk,
            limits,
            classes: Default::default(),
            by_id: BTreeMap::new(),
            class_bytes: [0; 4],
            dropped_full: 0,
            dropped_expired: 0,
            dropped_corrupt: 0,
        };
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                continue;
            };
            if !entry.file_type()?.is_file() {
                continue;
            }
            let path = entry.path();
            if name.starts_with('.') && name.ends_with(TMP_SUFFIX) {
                tracing::info!(file = %path.display(), "removing a partly written outbox record");
                outbox.remove_if_present(&path)?;
                continue;
            }
            let Some((priority, boot, seq)) = parse_file_name(name) else {
                if name.ends_with(RECORD_SUFFIX) {
                    tracing::warn!(file = %path.display(), "ignoring an unrecognised outbox file");
                }
                continue;
            };
            match check_file(&path, priority, boot, seq) {
                Ok(Checked::Good { .. }) if outbox.by_id.contains_key(&(boot, seq)) => {
                    // Same boot and seq under two priorities: only tampering makes this.
                    outbox.drop_damaged_file(&path, "another file has the same boot id and seq");
                }
                Ok(Checked::Good {
                    created_at_ms,
                    size,
                }) => outbox.index_insert(priority, boot, seq, created_at_ms, size),
                Ok(Checked::NewerFormat(version)) => {
                    tracing::warn!(
                        file = %path.display(),
                        version,
                        "ignoring an outbox record of a newer format"
                    );
                }
                Err(Damage::Vanished) => {}
                Err(Damage::Corrupt(reason)) => outbox.drop_damaged_file(&path, &reason),
                Err(Damage::Io(e)) => return Err(e),
            }
        }
        outbox.evict_to_limits();
        Ok(outbox)
    }

    /// Stores `record` durably (see the fsync policy), evicting lower- or equal-priority records
    /// if the outbox is full. Returns once the record is on disk.
    pub fn push(&mut self, record: Record) -> Result<(), OutboxError> {
        let boot = BootId::parse(&record.boot_id)
            .ok_or_else(|| OutboxError::InvalidBootId(record.boot_id.clone()))?;
        if self.by_id.contains_key(&(boot, record.seq)) {
            return Err(OutboxError::Duplicate {
                boot_id: record.boot_id,
                seq: record.seq,
            });
        }
        let size = record.stored_len();
        let Some(victims) = self.room_for(record.priority, size) else {
            self.dropped_full += 1;
            // Per record at debug: a full outbox refuses every telemetry push; `Stats` counts them.
            tracing::debug!(
                priority = %record.priority,
                boot_id = %record.boot_id,
                seq = record.seq,
                "outbox full: record refused"
            );
            return Err(OutboxError::Full {
                priority: record.priority,
            });
        };
        self.write_file(&record, boot)?;
        self.index_insert(
            record.priority,
            boot,
            record.seq,
            record.created_at_ms,
            size,
        );
        // The new record is durable; evicting after writing means a failed write evicts nothing.
        for (priority, key) in victims {
            self.dropped_full += 1;
            tracing::debug!(%priority, boot_id = %key.boot, seq = key.seq, "outbox: evicted");
            if let Err(e) = self.remove(priority, key) {
                // Forget it anyway: the file is evicted again at the next open.
                tracing::warn!(error = %e, "outbox: could not delete an evicted record");
                self.index_remove(priority, key);
            }
        }
        Ok(())
    }

    /// Up to `limit` unacked records in send order (priority, then created_at, boot id, seq),
    /// payloads read from disk. Everything not yet acked is returned again on every call.
    ///
    /// A record whose file is found damaged is deleted, counted in [`Stats::dropped_corrupt`] and
    /// skipped; this is why it takes `&mut self`. Other I/O errors are returned and change nothing.
    pub fn pending(&mut self, limit: usize) -> io::Result<Vec<Record>> {
        let mut out = Vec::with_capacity(limit.min(self.len()));
        let mut damaged = Vec::new();
        let mut failure = None;
        'classes: for priority in Priority::ALL {
            for key in self.classes[priority.index()].keys() {
                if out.len() >= limit {
                    break 'classes;
                }
                match self.read(priority, *key) {
                    Ok(record) => out.push(record),
                    Err(Damage::Io(e)) => {
                        failure = Some(e);
                        break 'classes;
                    }
                    Err(damage) => damaged.push((priority, *key, damage)),
                }
            }
        }
        for (priority, key, damage) in damaged {
            let path = self.path_of(priority, key.boot, key.seq);
            if let Damage::Corrupt(reason) = &damage {
                self.drop_damaged_file(&path, reason);
            } else {
                tracing::warn!(file = %path.display(), "outbox record vanished");
                self.dropped_corrupt += 1;
            }
            self.index_remove(priority, key);
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// The controller's application-level ack: removes every record of `boot_id` with
    /// `seq <= up_to_seq`, of any priority. Returns how many were removed; acking again removes
    /// nothing. A malformed boot id is an `InvalidInput` error.
    pub fn ack(&mut self, boot_id: &str, up_to_seq: u64) -> io::Result<usize> {
        self.ack_range(boot_id, 0, up_to_seq)
    }

    /// The ack of one record stored above a gap (the ack's `seq`): removes just that record,
    /// so a record lost before it cannot keep it here forever.
    pub fn ack_one(&mut self, boot_id: &str, seq: u64) -> io::Result<usize> {
        self.ack_range(boot_id, seq, seq)
    }

    fn ack_range(&mut self, boot_id: &str, from_seq: u64, up_to_seq: u64) -> io::Result<usize> {
        let boot = BootId::parse(boot_id).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid boot id {boot_id:?}: expected 32 lowercase hex characters"),
            )
        })?;
        let acked: Vec<(Priority, AgeKey)> = self
            .by_id
            .range((boot, from_seq)..=(boot, up_to_seq.max(from_seq)))
            .map(|(&(boot, seq), slot)| {
                let key = AgeKey {
                    created_at_ms: slot.created_at_ms,
                    boot,
                    seq,
                };
                (slot.priority, key)
            })
            .collect();
        let mut removed = 0;
        for (priority, key) in acked {
            self.remove(priority, key)?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Drops every record created more than [`Limits::max_age_ms`] before `now_ms`; returns how
    /// many (also counted in [`Stats::dropped_expired`]).
    pub fn expire(&mut self, now_ms: i64) -> io::Result<usize> {
        let cutoff = now_ms.saturating_sub(self.limits.max_age_ms);
        let mut expired = 0;
        for priority in Priority::ALL {
            let old: Vec<AgeKey> = self.classes[priority.index()]
                .keys()
                .take_while(|key| key.created_at_ms < cutoff)
                .copied()
                .collect();
            for key in old {
                self.remove(priority, key)?;
                self.dropped_expired += 1;
                expired += 1;
            }
        }
        if expired > 0 {
            tracing::info!(expired, "outbox: expired old records");
        }
        Ok(expired)
    }

    pub fn stats(&self) -> Stats {
        Stats {
            depth: self.len(),
            bytes: self.bytes(),
            oldest_created_at_ms: self
                .classes
                .iter()
                .filter_map(|class| class.keys().next().map(|key| key.created_at_ms))
                .min(),
            dropped_full: self.dropped_full,
            dropped_expired: self.dropped_expired,
            dropped_corrupt: self.dropped_corrupt,
        }
    }

    /// Records waiting for an ack.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Bytes of records waiting, as counted against [`Limits::max_bytes`].
    pub fn bytes(&self) -> u64 {
        self.class_bytes.iter().sum()
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The records to evict so that a record of `priority` and `size` bytes fits, or `None` if
    /// it cannot fit without evicting higher-priority records.
    fn room_for(&self, priority: Priority, size: u64) -> Option<Vec<(Priority, AgeKey)>> {
        if size > self.limits.max_bytes || self.limits.max_records == 0 {
            return None;
        }
        let mut bytes = self.bytes();
        let mut records = self.len();
        let fits = |bytes: u64, records: usize| {
            bytes.saturating_add(size) <= self.limits.max_bytes && records < self.limits.max_records
        };
        // Cheap refusal first, without walking the records: would evicting every record of this
        // priority or lower be enough?
        let (evictable_bytes, evictable_records) = Priority::ALL
            .into_iter()
            .filter(|&class| class >= priority)
            .fold((0, 0), |(b, n), class| {
                (
                    b + self.class_bytes[class.index()],
                    n + self.classes[class.index()].len(),
                )
            });
        if !fits(bytes - evictable_bytes, records - evictable_records) {
            return None;
        }
        let mut victims = Vec::new();
        for class in Priority::ALL.into_iter().rev() {
            if class < priority {
                break;
            }
            for (key, &victim_size) in &self.classes[class.index()] {
                if fits(bytes, records) {
                    return Some(victims);
                }
                victims.push((class, *key));
                bytes -= victim_size;
                records -= 1;
            }
        }
        fits(bytes, records).then_some(victims)
    }

    /// After `open`: evicts the lowest-priority oldest records until within the limits.
    fn evict_to_limits(&mut self) {
        for priority in Priority::ALL.into_iter().rev() {
            while self.bytes() > self.limits.max_bytes || self.len() > self.limits.max_records {
                let Some(&key) = self.classes[priority.index()].keys().next() else {
                    break;
                };
                self.dropped_full += 1;
                if let Err(e) = self.remove(priority, key) {
                    tracing::warn!(error = %e, "outbox: could not delete an evicted record");
                    self.index_remove(priority, key);
                }
            }
        }
    }

    fn write_file(&self, record: &Record, boot: BootId) -> io::Result<()> {
        let name = file_name(record.priority, boot, record.seq);
        let path = self.dir.join(&name);
        let tmp = self.dir.join(format!(".{name}{TMP_SUFFIX}"));
        let header = encode_header(
            record.priority,
            boot,
            record.seq,
            record.created_at_ms,
            &record.payload,
        );
        let written = self
            .write_synced(&tmp, &header, &record.payload)
            .and_then(|()| {
                // The data is on disk before the name points at it.
                self.disk.rename(&tmp, &path)
            });
        if let Err(e) = written {
            let _ = self.disk.remove_file(&tmp);
            return Err(e);
        }
        if let Err(e) = self.disk.sync_dir(&self.dir_handle) {
            // Not known to be durable: take it back so the caller's error is the whole truth
            // (should the unlink not stick, the record is merely sent once more after a restart).
            let _ = self.disk.remove_file(&path);
            return Err(e);
        }
        Ok(())
    }

    /// Writes `header` and `payload` to a new file at `path` and fsyncs it.
    fn write_synced(&self, path: &Path, header: &[u8], payload: &[u8]) -> io::Result<()> {
        let mut file = self.disk.create(path)?;
        file.write_all(header)?;
        file.write_all(payload)?;
        self.disk.sync_file(&file)
    }

    fn remove_if_present(&self, path: &Path) -> io::Result<()> {
        match self.disk.remove_file(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    fn read(&self, priority: Priority, key: AgeKey) -> Result<Record, Damage> {
        let path = self.path_of(priority, key.boot, key.seq);
        let mut bytes = fs::read(&path).map_err(Damage::from_io)?;
        if bytes.len() < HEADER_LEN {
            return Err(Damage::Corrupt(format!(
                "{} bytes, shorter than the header",
                bytes.len()
            )));
        }
        let header: &[u8; HEADER_LEN] = bytes[..HEADER_LEN].try_into().expect("length checked");
        let header = match decode_header(header)? {
            Decoded::Header(header) => header,
            Decoded::NewerFormat(version) => {
                return Err(Damage::Corrupt(format!(
                    "format version {version} replaced the record while open"
                )))
            }
        };
        header.matches(priority, key.boot, key.seq)?;
        let payload_len = bytes.len() - HEADER_LEN;
        if header.payload_len != payload_len as u64 {
            return Err(Damage::Corrupt(format!(
                "header says {} payload bytes, file has {payload_len}",
                header.payload_len
            )));
        }
        let crc = Crc32::new()
            .update(&bytes[..CRC_AT])
            .update(&bytes[HEADER_LEN..])
            .finish();
        if crc != header.crc {
            return Err(Damage::Corrupt("CRC mismatch".into()));
        }
        bytes.drain(..HEADER_LEN);
        Ok(Record {
            boot_id: key.boot.to_string(),
            seq: key.seq,
            priority,
            created_at_ms: header.created_at_ms,
            payload: bytes,
        })
    }

    /// Unlinks a record's file (no fsync: see the module documentation) and forgets it.
    fn remove(&mut self, priority: Priority, key: AgeKey) -> io::Result<()> {
        self.remove_if_present(&self.path_of(priority, key.boot, key.seq))?;
        self.index_remove(priority, key);
        Ok(())
    }

    fn drop_damaged_file(&mut self, path: &Path, reason: &str) {
        tracing::warn!(file = %path.display(), reason, "deleting a damaged outbox record");
        self.dropped_corrupt += 1;
        if let Err(e) = self.remove_if_present(path) {
            tracing::warn!(file = %path.display(), error = %e, "could not delete it");
        }
    }

    fn index_insert(
        &mut self,
        priority: Priority,
        boot: BootId,
        seq: u64,
        created_at_ms: i64,
        size: u64,
    ) {
        let key = AgeKey {
            created_at_ms,
            boot,
            seq,
        };
        if let Some(old) = self.classes[priority.index()].insert(key, size) {
            self.class_bytes[priority.index()] -= old;
        }
        self.by_id.insert(
            (boot, seq),
            Slot {
                priority,
                created_at_ms,
            },
        );
        self.class_bytes[priority.index()] += size;
    }

    fn index_remove(&mut self, priority: Priority, key: AgeKey) {
        if let Some(size) = self.classes[priority.index()].remove(&key) {
            self.class_bytes[priority.index()] -= size;
        }
        self.by_id.remove(&(key.boot, key.seq));
    }

    fn path_of(&self, priority: Priority, boot: BootId, seq: u64) -> PathBuf {
        self.dir.join(file_name(priority, boot, seq))
    }
}

fn file_name(priority: Priority, boot: BootId, seq: u64) -> String {
    format!("{}-{boot}-{seq:020}{RECORD_SUFFIX}", priority.code())
}

/// The inverse of [`file_name`]; only canonical names parse.
fn parse_file_name(name: &str) -> Option<(Priority, BootId, u64)> {
    let stem = name.strip_suffix(RECORD_SUFFIX)?;
    let b = stem.as_bytes();
    if b.len() != NAME_LEN || b[1] != b'-' || b[34] != b'-' {
        return None;
    }
    let priority = Priority::from_code(b[0].checked_sub(b'0')?)?;
    let boot = BootId::parse(&stem[2..34])?;
    let digits = &stem[35..];
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let seq = digits.parse().ok()?;
    Some((priority, boot, seq))
}

/// A decoded, self-consistent header (the CRC is checked against the payload by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Header {
    priority: Priority,
    seq: u64,
    created_at_ms: i64,
    boot: BootId,
    payload_len: u64,
    crc: u32,
}

impl Header {
    /// Checks the header against the file name it was found under.
    fn matches(&self, priority: Priority, boot: BootId, seq: u64) -> Result<(), Damage> {
        if (self.priority, self.boot, self.seq) == (priority, boot, seq) {
            Ok(())
        } else {
            Err(Damage::Corrupt(format!(
                "header says {}-{}-{}, not what the name says",
                self.priority.code(),
                self.boot,
                self.seq
            )))
        }
    }
}

#[derive(Debug)]
enum Decoded {
    Header(Header),
    /// Written by a newer agent; not ours to judge or delete.
    NewerFormat(u16),
}

fn encode_header(
    priority: Priority,
    boot: BootId,
    seq: u64,
    created_at_ms: i64,
    payload: &[u8],
) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[0..4].copy_from_slice(&MAGIC);
    h[4..6].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h[6] = priority.code();
    h[7] = 0;
    h[8..16].copy_from_slice(&seq.to_le_bytes());
    h[16..24].copy_from_slice(&created_at_ms.to_le_bytes());
    h[24..56].copy_from_slice(boot.hex().as_bytes());
    h[56..64].copy_from_slice(&(payload.len() as u64).to_le_bytes());
    let crc = Crc32::new().update(&h[..CRC_AT]).update(payload).finish();
    h[CRC_AT..].copy_from_slice(&crc.to_le_bytes());
    h
}

fn decode_header(h: &[u8; HEADER_LEN]) -> Result<Decoded, Damage> {
    let corrupt = |why: &str| Damage::Corrupt(why.to_string());
    let u64_at = |at: usize| u64::from_le_bytes(h[at..at + 8].try_into().expect("8 bytes"));
    if h[0..4] != MAGIC {
        return Err(corrupt("bad magic"));
    }
    let version = u16::from_le_bytes([h[4], h[5]]);
    if version > FORMAT_VERSION {
        return Ok(Decoded::NewerFormat(version));
    }
    if version != FORMAT_VERSION {
        return Err(corrupt("unknown format version"));
    }
    let priority = Priority::from_code(h[6]).ok_or_else(|| corrupt("bad priority"))?;
    if h[7] != 0 {
        return Err(corrupt("reserved byte set"));
    }
    let boot = std::str::from_utf8(&h[24..56])
        .ok()
        .and_then(BootId::parse)
        .ok_or_else(|| corrupt("bad boot id"))?;
    Ok(Decoded::Header(Header {
        priority,
        seq: u64_at(8),
        created_at_ms: u64_at(16) as i64,
        boot,
        payload_len: u64_at(56),
        crc: u32::from_le_bytes(h[CRC_AT..].try_into().expect("4 bytes")),
    }))
}

/// Why a record file cannot be used.
#[derive(Debug)]
enum Damage {
    /// Gone from the directory (deleted behind our back).
    Vanished,
    /// Torn, truncated, altered, or unreadable because the storage failed.
    Corrupt(String),
    /// Any other I/O error (permissions, out of file handles…): the file may be fine.
    Io(io::Error),
}

impl Damage {
    fn from_io(e: io::Error) -> Damage {
        /// `EIO` on Linux and the BSDs: the storage could not return the data.
        #[cfg(unix)]
        const EIO: i32 = 5;
        match e.kind() {
            io::ErrorKind::NotFound => Damage::Vanished,
            io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData => {
                Damage::Corrupt(e.to_string())
            }
            #[cfg(unix)]
            _ if e.raw_os_error() == Some(EIO) => Damage::Corrupt(e.to_string()),
            _ => Damage::Io(e),
        }
    }
}

#[derive(Debug)]
enum Checked {
    Good { created_at_ms: i64, size: u64 },
    NewerFormat(u16),
}

/// Checks a record file completely (header, name, length, CRC), streaming the payload so a big
/// file is not held in memory.
fn check_file(path: &Path, priority: Priority, boot: BootId, seq: u64) -> Result<Checked, Damage> {
    let mut file = File::open(path).map_err(Damage::from_io)?;
    let size = file.metadata().map_err(Damage::from_io)?.len();
    let mut h = [0u8; HEADER_LEN];
    if size < HEADER_LEN as u64 {
        return Err(Damage::Corrupt(format!(
            "{size} bytes, shorter than the header"
        )));
    }
    file.read_exact(&mut h).map_err(Damage::from_io)?;
    let header = match decode_header(&h)? {
        Decoded::Header(header) => header,
        Decoded::NewerFormat(version) => return Ok(Checked::NewerFormat(version)),
    };
    header.matches(priority, boot, seq)?;
    if header.payload_len != size - HEADER_LEN as u64 {
        return Err(Damage::Corrupt(format!(
            "header says {} payload bytes, file has {}",
            header.payload_len,
            size - HEADER_LEN as u64
        )));
    }
    let mut crc = Crc32::new().update(&h[..CRC_AT]);
    let mut buf = vec![0u8; 64 * 1024];
    let mut remaining = header.payload_len;
    while remaining > 0 {
        let want = buf
            .len()
            .min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let n = file.read(&mut buf[..want]).map_err(Damage::from_io)?;
        if n == 0 {
            return Err(Damage::Corrupt("file shorter than it was".into()));
        }
        crc = crc.update(&buf[..n]);
        remaining -= n as u64;
    }
    if crc.finish() != header.crc {
        return Err(Damage::Corrupt("CRC mismatch".into()));
    }
    Ok(Checked::Good {
        created_at_ms: header.created_at_ms,
        size,
    })
}

/// CRC-32 as in IEEE 802.3, zlib and PNG (reflected polynomial 0xEDB88320, initial and final
/// value all ones).
#[derive(Debug, Clone, Copy)]
struct Crc32(u32);

const CRC_TABLE: [u32; 256] = crc_table();

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            bit += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

impl Crc32 {
    fn new() -> Crc32 {
        Crc32(!0)
    }

    fn update(mut self, data: &[u8]) -> Crc32 {
        for &byte in data {
            self.0 = CRC_TABLE[usize::from((self.0 as u8) ^ byte)] ^ (self.0 >> 8);
        }
        self
    }

    fn finish(self) -> u32 {
        !self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOT: &str = "0123456789abcdef0123456789abcdef";

    fn boot() -> BootId {
        BootId::parse(BOOT).unwrap()
    }

    #[test]
    fn crc32_matches_the_standard_check_values() {
        // The catalogue's check value for CRC-32/ISO-HDLC, and two well-known strings.
        assert_eq!(Crc32::new().update(b"123456789").finish(), 0xCBF4_3926);
        assert_eq!(Crc32::new().finish(), 0);
        assert_eq!(
            Crc32::new()
                .update(b"The quick brown fox jumps over the lazy dog")
                .finish(),
            0x414F_A339
        );
        // Feeding in pieces gives the same result as in one go.
        let split = Crc32::new().update(b"1234").update(b"56789").finish();
        assert_eq!(split, 0xCBF4_3926);
    }

    #[test]
    fn boot_ids_are_32_lowercase_hex_and_round_trip() {
        assert_eq!(boot().to_string(), BOOT);
        assert!(is_valid_boot_id(BOOT));
        for bad in [
            "",
            "0123456789abcdef0123456789abcde",
            "0123456789abcdef0123456789abcdef0",
            "0123456789ABCDEF0123456789abcdef",
            "01234567-89ab-cdef-0123-456789abcdef",
            "../../../../../../etc/passwd/xxxxx",
            "0123456789abcdef0123456789abcdeg",
            "0123456789abcdef0123456789abcdé",
        ] {
            assert!(!is_valid_boot_id(bad), "{bad:?}");
        }
        // Every byte value, in both halves, round-trips and orders like its hex text.
        let all: Vec<BootId> = (0..=255u8)
            .map(|b| BootId(std::array::from_fn(|i| if i % 2 == 0 { b } else { !b })))
            .collect();
        for id in &all {
            assert_eq!(BootId::parse(&id.to_string()), Some(*id));
            assert_eq!(id.hex().len(), 32);
        }
        for pair in all.windows(2) {
            assert_eq!(pair[0] < pair[1], pair[0].to_string() < pair[1].to_string());
        }
        let a = BootId::parse("00000000000000000000000000000010").unwrap();
        let b = BootId::parse("0000000000000000000000000000000f").unwrap();
        assert!(b < a, "byte order follows hex order");
    }

    #[test]
    fn file_names_round_trip_and_only_canonical_names_parse() {
        for priority in Priority::ALL {
            for seq in [0, 1, 42, u64::MAX] {
                let name = file_name(priority, boot(), seq);
                assert_eq!(name.len(), NAME_LEN + RECORD_SUFFIX.len());
                assert_eq!(parse_file_name(&name), Some((priority, boot(), seq)));
            }
        }
        assert_eq!(
            file_name(Priority::Event, boot(), 7),
            "1-0123456789abcdef0123456789abcdef-00000000000000000007.rec"
        );
        for bad in [
            "1-0123456789abcdef0123456789abcdef-00000000000000000007",
            "4-0123456789abcdef0123456789abcdef-00000000000000000007.rec",
            "1-0123456789abcdef0123456789abcdef-7.rec",
            "1-0123456789ABCDEF0123456789abcdef-00000000000000000007.rec",
            "1-0123456789abcdef0123456789abcdef-+0000000000000000007.rec",
            "1-0123456789abcdef0123456789abcdef-99999999999999999999.rec",
            "1_0123456789abcdef0123456789abcdef-00000000000000000007.rec",
            ".1-0123456789abcdef0123456789abcdef-00000000000000000007.rec.tmp",
        ] {
            assert_eq!(parse_file_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn header_round_trips_and_covers_the_payload() {
        let payload = br#"{"v":1,"body":{}}"#;
        let h = encode_header(Priority::State, boot(), 9, -5, payload);
        assert_eq!(&h[..4], b"SOBX");
        let Decoded::Header(header) = decode_header(&h).unwrap() else {
            panic!("current format")
        };
        assert_eq!(
            header,
            Header {
                priority: Priority::State,
                seq: 9,
                created_at_ms: -5,
                boot: boot(),
                payload_len: payload.len() as u64,
                crc: Crc32::new().update(&h[..CRC_AT]).update(payload).finish(),
            }
        );
        assert!(header.matches(Priority::State, boot(), 9).is_ok());
        assert!(header.matches(Priority::Event, boot(), 9).is_err());
        assert!(header.matches(Priority::State, boot(), 10).is_err());
        // The CRC changes with any payload byte, and with any header byte before it.
        let other = encode_header(Priority::State, boot(), 9, -5, br#"{"v":1,"body":[]}"#);
        assert_ne!(h[CRC_AT..], other[CRC_AT..]);
        let other = encode_header(Priority::State, boot(), 9, -4, payload);
        assert_ne!(h[CRC_AT..], other[CRC_AT..]);
    }

    #[test]
    fn damaged_headers_are_rejected_and_newer_formats_recognised() {
        let h = encode_header(Priority::Telemetry, boot(), 1, 0, b"x");
        let corrupt = |mutate: &dyn Fn(&mut [u8; HEADER_LEN])| {
            let mut h = h;
            mutate(&mut h);
            matches!(decode_header(&h), Err(Damage::Corrupt(_)))
        };
        assert!(corrupt(&|h| h[0] = b'X'));
        assert!(corrupt(&|h| h[4..6].copy_from_slice(&0u16.to_le_bytes())));
        assert!(corrupt(&|h| h[6] = 4));
        assert!(corrupt(&|h| h[7] = 1));
        assert!(corrupt(&|h| h[30] = b'G'));
        let mut newer = h;
        newer[4..6].copy_from_slice(&2u16.to_le_bytes());
        assert!(matches!(decode_header(&newer), Ok(Decoded::NewerFormat(2))));
    }

    #[test]
    fn priorities_sort_highest_first_and_keep_their_digits() {
        let mut all = Priority::ALL;
        all.reverse();
        all.sort();
        assert_eq!(all, Priority::ALL);
        for (digit, priority) in Priority::ALL.into_iter().enumerate() {
            assert_eq!(usize::from(priority.code()), digit);
            assert_eq!(Priority::from_code(priority.code()), Some(priority));
        }
        assert_eq!(Priority::from_code(4), None);
        assert_eq!(
            serde_json::to_string(&Priority::CommandResult).unwrap(),
            "\"command_result\""
        );
    }
}
