//! The durable outbox against a real directory: ordering, acks, reopen, damage, bounds, expiry;
//! and on a model of a disk that loses power (`power_cut.rs`), durability.

use crate::power_cut::PowerCutDisk;
use edge_agent::outbox::{Limits, Outbox, OutboxError, Priority, Record, Stats, HEADER_LEN};
use std::fs;
use std::path::{Path, PathBuf};

const BOOT_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const BOOT_B: &str = "0123456789abcdef0123456789abcdef";
const BOOT_C: &str = "ffffffffffffffffffffffffffffffff";

/// A fresh directory under the system temp dir (not created), removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new() -> TempDir {
        use ring::rand::{SecureRandom, SystemRandom};
        let mut suffix = [0u8; 8];
        SystemRandom::new().fill(&mut suffix).unwrap();
        let name = format!(
            "setu-outbox-{}-{:016x}",
            std::process::id(),
            u64::from_le_bytes(suffix)
        );
        TempDir(std::env::temp_dir().join(name))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// The record files in the directory, sorted by name.
    fn record_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rec"))
            .collect();
        files.sort();
        files
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn roomy() -> Limits {
    Limits {
        max_bytes: 1 << 30,
        max_age_ms: 1_000_000,
        max_records: 100_000,
    }
}

fn rec(boot: &str, seq: u64, priority: Priority, created_at_ms: i64) -> Record {
    Record {
        boot_id: boot.to_string(),
        seq,
        priority,
        created_at_ms,
        payload: format!(r#"{{"v":1,"seq":{seq},"body":"{priority}"}}"#).into_bytes(),
    }
}

/// A record whose stored size is exactly `HEADER_LEN + payload_len`.
fn sized(
    boot: &str,
    seq: u64,
    priority: Priority,
    created_at_ms: i64,
    payload_len: usize,
) -> Record {
    Record {
        boot_id: boot.to_string(),
        seq,
        priority,
        created_at_ms,
        payload: vec![b'x'; payload_len],
    }
}

fn ids(records: &[Record]) -> Vec<(Priority, &str, u64)> {
    records
        .iter()
        .map(|r| (r.priority, r.boot_id.as_str(), r.seq))
        .collect()
}

fn all_pending(outbox: &mut Outbox) -> Vec<Record> {
    outbox.pending(usize::MAX).unwrap()
}

#[test]
fn push_pending_and_ack_basics() {
    let dir = TempDir::new();
    let mut outbox = Outbox::open(dir.path(), roomy()).unwrap();
    assert!(outbox.is_empty());
    assert_eq!(outbox.stats(), Stats::default());

    let first = rec(BOOT_A, 1, Priority::Event, 1_000);
    outbox.push(first.clone()).unwrap();
    outbox
        .push(rec(BOOT_A, 2, Priority::Telemetry, 1_001))
        .unwrap();
    outbox.push(rec(BOOT_A, 3, Priority::Event, 1_002)).unwrap();
    assert!(!outbox.is_empty());
    assert_eq!(outbox.len(), 3);

    let pending = all_pending(&mut outbox);
    assert_eq!(pending[0], first, "payload and fields come back exactly");
    assert_eq!(
        ids(&pending),
        [
            (Priority::Event, BOOT_A, 1),
            (Priority::Event, BOOT_A, 3),
            (Priority::Telemetry, BOOT_A, 2),
        ]
    );
    // Handing records out does not consume them.
    assert_eq!(all_pending(&mut outbox).len(), 3);
    assert_eq!(
        ids(&outbox.pending(1).unwrap()),
        [(Priority::Event, BOOT_A, 1)]
    );
    assert!(outbox.pending(0).unwrap().is_empty());

    let stats = outbox.stats();
    assert_eq!(stats.depth, 3);
    assert_eq!(
        stats.bytes,
        pending.iter().map(Record::stored_len).sum::<u64>()
    );
    assert_eq!(stats.oldest_created_at_ms, Some(1_000));

    // Ack up to 2: seq 1 and 2 go, whatever their priority.
    assert_eq!(outbox.ack(BOOT_A, 2).unwrap(), 2);
    assert_eq!(
        ids(&all_pending(&mut outbox)),
        [(Priority::Event, BOOT_A, 3)]
    );
    assert_eq!(dir.record_files().len(), 1);
    assert_eq!(outbox.stats().oldest_created_at_ms, Some(1_002));

    assert_eq!(outbox.ack(BOOT_A, u64::MAX).unwrap(), 1);
    assert!(outbox.is_empty());
    assert_eq!(outbox.stats().bytes, 0);
    assert_eq!(outbox.stats().oldest_created_at_ms, None);
    assert!(dir.record_files().is_empty());
}

#[test]
fn ack_of_another_boot_removes_nothing_and_acks_are_idempotent() {
    let dir = TempDir::new();
    let mut outbox = Outbox::open(dir.path(), roomy()).unwrap();
    for seq in 1..=3 {
        outbox.push(rec(BOOT_A, seq, Priority::Event, 10)).unwrap();
        outbox.push(rec(BOOT_B, seq, Priority::Event, 10)).unwrap();
    }
    assert_eq!(outbox.ack(BOOT_C, u64::MAX).unwrap(), 0);
    assert_eq!(outbox.len(), 6);

    assert_eq!(outbox.ack(BOOT_B, 2).unwrap(), 2);
    assert_eq!(
        outbox.ack(BOOT_B, 2).unwrap(),
        0,
        "a repeated ack removes nothing"
    );
    assert_eq!(
        outbox.ack(BOOT_B, 1).unwrap(),
        0,
        "an older ack removes nothing"
    );
    assert_eq!(outbox.ack(BOOT_B, 0).unwrap(), 0);
    assert_eq!(
        ids(&all_pending(&mut outbox)),
        [
            // Same age: BOOT_B ("0123…") sorts before BOOT_A ("aaaa…").
            (Priority::Event, BOOT_B, 3),
            (Priority::Event, BOOT_A, 1),
            (Priority::Event, BOOT_A, 2),
            (Priority::Event, BOOT_A, 3),
        ]
    );

    let err = outbox.ack("../../etc", 5).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert_eq!(outbox.len(), 4);
    // Acks are not deletions of anything else: the stats count no drops.
    let stats = outbox.stats();
    assert_eq!(
        (
            stats.dropped_full,
            stats.dropped_expired,
            stats.dropped_corrupt
        ),
        (0, 0, 0)
    );
}

#[test]
fn send_order_is_priority_then_age_then_boot_then_seq() {
    let dir = TempDir::new();
    let mut outbox = Outbox::open(dir.path(), roomy()).unwrap();
    let pushes = [
        rec(BOOT_A, 1, Priority::Telemetry, 100),
        rec(BOOT_A, 2, Priority::State, 100),
        rec(BOOT_B, 9, Priority::Event, 300),
        rec(BOOT_A, 4, Priority::Event, 300),
        rec(BOOT_A, 3, Priority::Event, 300),
        rec(BOOT_C, 1, Priority::Event, 50),
        rec(BOOT_A, 5, Priority::CommandResult, 400),
        rec(BOOT_A, 6, Priority::Telemetry, 90),
    ];
    for record in pushes {
        outbox.push(record).unwrap();
    }
    let expected = [
        (Priority::CommandResult, BOOT_A, 5),
        (Priority::Event, BOOT_C, 1),
        (Priority::Event, BOOT_B, 9),
        (Priority::Event, BOOT_A, 3),
        (Priority::Event, BOOT_A, 4),
        (Priority::State, BOOT_A, 2),
        (Priority::Telemetry, BOOT_A, 6),
        (Priority::Telemetry, BOOT_A, 1),
    ];
    // BOOT_B ("0123…") sorts before BOOT_A ("aaaa…") at the same age.
    assert_eq!(ids(&all_pending(&mut outbox)), expected);
    assert_eq!(ids(&outbox.pending(3).unwrap()), expected[..3]);
}

#[test]
fn invalid_boot_ids_and_duplicates_are_refused() {
    let dir = TempDir::new();
    let mut outbox = Outbox::open(dir.path(), roomy()).unwrap();
    for bad in [
        "",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa",
        "../aaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        let err = outbox.push(rec(bad, 1, Priority::Event, 0)).unwrap_err();
        assert!(
            matches!(err, OutboxError::InvalidBootId(ref b) if b == bad),
            "{err}"
        );
    }
    outbox.push(rec(BOOT_A, 1, Priority::Event, 0)).unwrap();
    let err = outbox
        .push(rec(BOOT_A, 1, Priority::Telemetry, 5))
        .unwrap_err();
    assert!(
        matches!(err, OutboxError::Duplicate { ref boot_id, seq: 1 } if boot_id == BOOT_A),
        "{err}"
    );
    assert_eq!(outbox.len(), 1);
    assert_eq!(dir.record_files().len(), 1);
    assert!(dir.names().iter().all(|n| !n.ends_with(".tmp")));
}

#[test]
fn reopening_brings_back_everything_unacked_in_the_same_order() {
    let dir = TempDir::new();
    let before;
    {
        let mut outbox = Outbox::open(dir.path(), roomy()).unwrap();
        for seq in 1..=20u64 {
            let priority = Priority::ALL[(seq % 4) as usize];
            let boot = if seq % 3 == 0 { BOOT_B } else { BOOT_A };
            outbox
                .push(rec(boot, seq, priority, 1_000 - (seq as i64 % 5)))
                .unwrap();
        }
        assert_eq!(outbox.ack(BOOT_A, 10).unwrap(), 7);
        assert_eq!(outbox.ack(BOOT_B, 3).unwrap(), 1);
        before = all_pending(&mut outbox);
        assert_eq!(before.len(), 12);
        // Dropped without any close or flush, as a crash would.
    }
    let mut reopened = Outbox::open(dir.path(), roomy()).unwrap();
    assert_eq!(all_pending(&mut reopened), before);
    assert_eq!(reopened.stats().depth, 12);
    assert_eq!(
        reopened.stats().bytes,
        before.iter().map(Record::stored_len).sum::<u64>()
    );
    assert_eq!(reopened.stats().dropped_corrupt, 0);
    // Acked records stay gone; a late ack of the old boot after the restart still works.
    assert!(before.iter().all(|r| r.boot_id != BOOT_A || r.seq > 10));
    assert_eq!(reopened.ack(BOOT_B, 20).unwrap(), 5);
    drop(reopened);
    let mut again = Outbox::open(dir.path(), roomy()).unwrap();
    assert_eq!(all_pending(&mut again).len(), 7);
}

/// Records of every priority and several sizes, the empty payload included.
fn mixed_records(boot: &str, count: u64) -> Vec<Record> {
    (1..=count)
        .map(|seq| {
            sized(
                boot,
                seq,
                Priority::ALL[(seq % 4) as usize],
                7_000 + seq as i64,
                (seq as usize * 37) % 300,
            )
        })
        .collect()
}

/// Reopens `dir` on the real file system after a power cut and checks what came back: every
/// record in `must` exactly, anything else only if it is in `may` and intact, no damaged or
/// half-written file, nothing left over.
fn assert_survivors(dir: &Path, must: &[Record], may: &[Record]) {
    let mut reopened = Outbox::open(dir, roomy()).unwrap();
    assert_eq!(
        reopened.stats().dropped_corrupt,
        0,
        "a record file came back damaged"
    );
    let back = all_pending(&mut reopened);
    for record in must {
        assert!(
            back.contains(record),
            "record {}/{} was pushed but did not survive the power cut (back: {:?})",
            record.boot_id,
            record.seq,
            ids(&back)
        );
    }
    for record in &back {
        assert!(
            must.contains(record) || may.contains(record),
            "record {}/{} came back altered or from nowhere",
            record.boot_id,
            record.seq
        );
    }
    let names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.iter().all(|n| n.ends_with(".rec")), "{names:?}");
}

#[test]
fn records_whose_push_returned_survive_a_power_cut() {
    let root = TempDir::new();
    fs::create_dir_all(root.path()).unwrap();
    // The outbox makes its own directory, so that directory's creation is under test too.
    let dir = root.path().join("outbox");
    let disk = PowerCutDisk::new(root.path());
    let mut outbox = Outbox::open_on(disk.clone(), &dir, roomy()).unwrap();
    let records = mixed_records(BOOT_C, 40);
    for record in &records {
        outbox.push(record.clone()).unwrap();
    }
    // Acks unlink without a directory fsync (see the module documentation): a power cut may
    // bring those records back, intact, but nothing that was pushed and not acked may go.
    assert_eq!(outbox.ack(BOOT_C, 10).unwrap(), 10);
    let (acked, kept) = records.split_at(10);

    disk.power_cut();
    // No close, no flush, no destructor.
    std::mem::forget(outbox);
    assert_survivors(&dir, kept, acked);

    // Another life on the survivors, and another cut: still everything.
    let disk = PowerCutDisk::new(root.path());
    let mut outbox = Outbox::open_on(disk.clone(), &dir, roomy()).unwrap();
    let more = mixed_records(BOOT_A, 12);
    for record in &more {
        outbox.push(record.clone()).unwrap();
    }
    disk.power_cut();
    drop(outbox);
    assert_survivors(&dir, &[kept, &more].concat(), acked);
}

#[test]
fn a_power_cut_at_any_step_loses_no_record_whose_push_returned() {
    let records = mixed_records(BOOT_B, 6);
    let mut cuts = 0;
    for cut in 0.. {
        let root = TempDir::new();
        fs::create_dir_all(root.path()).unwrap();
        let dir = root.path().join("outbox");
        let disk = PowerCutDisk::new(root.path());
        disk.cut_after(cut);
        let mut pushed = Vec::new();
        if let Ok(mut outbox) = Outbox::open_on(disk.clone(), &dir, roomy()) {
            for record in &records {
                match outbox.push(record.clone()) {
                    Ok(()) => pushed.push(record.clone()),
                    Err(OutboxError::Io(_)) => break,
                    Err(e) => panic!("cut after {cut} operations: {e}"),
                }
            }
        }
        if disk.is_powered() {
            // Every step has been cut once; this run went through.
            assert_eq!(pushed, records);
            assert!(cut > 0);
            break;
        }
        cuts += 1;
        disk.power_cut();
        // The record in flight may or may not have made it, but never half.
        assert_survivors(&dir, &pushed, &records);
    }
    // open (4 steps) and six pushes (6 each: create, 2 writes, fsync, rename, directory fsync).
    assert_eq!(cuts, 4 + 6 * 6);
}

#[test]
fn a_truncated_record_is_detected_at_open_deleted_and_counted() {
    let dir = TempDir::new();
    {
        let mut outbox = Outbox::open(dir.path(), roomy()).unwrap();
        for seq in 1..=3 {
            outbox
                .push(sized(BOOT_A, seq, Priority::Event, 5, 200))
                .unwrap();
        }
    }
    let torn = &dir.record_files()[1];
    let len = fs::metadata(torn).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(torn)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    // A file cut inside the header is caught as well.
    let cut_header = dir.record_files()[2].clone();
    fs::OpenOptions::new()
        .write(true)
        .open(&cut_header)
        .unwrap()
        .set_len(HEADER_LEN as u64 - 10)
        .unwrap();

    let mut outbox = Outbox::open(dir.path(), roomy()).unwrap();
    assert_eq!(outbox.stats().dropped_corrupt, 2);
    assert_eq!(
        ids(&all_pending(&mut outbox)),
        [(Priority::Event, BOOT_A, 1)]
    );
    assert!(!torn.exists() && !cut_header.exists());
    assert_eq!(dir.record_files().len(), 1);
}

#[test]
fn a_flipped_byte_is_detected_at_open_deleted_and_counted() {
    let dir = TempDir::new();
    {
        let mut outbox = Outbox::open(dir.path(), roomy()).unwrap();
        outbox
            .push(sized(BOOT_A, 1, Priority::Event, 5, 100))
            .unwrap();
        outbox
            .push(sized(BOOT_A, 2, Priority::Event, 5, 100))
            .unwrap();
        outbox
            .push(sized(BOOT_A, 3, Priority::Event, 5, 100))
            .unwrap();
    }
    let files = dir.record_files();
    // One byte of payload, one of the created_at field in the header.
    for (file, at) in [(&files[0], HEADER_LEN + 50), (&files[2], 17)] {
        let mut bytes = fs::read(file).unwrap();
        bytes[at] ^= 0x01;
        fs::write(file, bytes).unwrap();
    }
    let mut outbox = Outbox::open(dir.path(), roomy()).unwrap();
    assert_eq!(outbox.stats().dropped_corrupt, 2);
    assert_eq!(
        ids(&all_pending(&mut outbox)),
        [(Priority::Event, BOOT_A, 2)]
    );
    assert_eq!(dir.record_files(), [files[1].clone()]);
}

#[test]
fn a_record_renamed_to_another_identity_is_not_believed() {
    let dir = TempDir::new();
    {
        let mut outbox = Outbox::open(dir.path(), roomy()).unwrap();
        outbox.push(rec(BOOT_A, 1, Priority::Telemetry, 5)).unwrap();
    }
    let file = &dir.record_files()[0];
    let name = file.file_name().unwrap().to_str().unwrap();
    // Same record, but its name now claims it is a command result.
    let forged = dir.path().join(format!("0{}", &name[1..]));
    fs::rename(file, &forged).unwrap();
    let mut outbox = Outbox::open(dir.path(), roomy()).unwrap();
    assert!(all_pending(&mut outbox).is_empty());
    assert_eq!(outbox.stats().dropped_corrupt, 1);
    assert!(!forged.exists());
}

#[test]
fn damage_after_open_is_caught_when_reading_for_pending() {
    let dir = TempDir::new();
    let mut outbox = Outbox::open(dir.path(), roomy()).unwrap();
    for seq in 1..=3 {
        outbox.push(rec(BOOT_A, seq, Priority::Event, 5)).unwrap();
    }
    let files = dir.record_files();
    let mut bytes = fs::read(&files[0]).unwrap();
    *bytes.last_mut().unwrap() ^= 0x80;
    fs::write(&files[0], bytes).unwrap();
    fs::remove_file(&files[1]).unwrap();

    // Both are skipped, and the limit is still filled from what follows.
    assert_eq!(
        ids(&outbox.pending(1).unwrap()),
        [(Priority::Event, BOOT_A, 3)]
    );
    assert_eq!(outbox.stats().dropped_corrupt, 2);
    assert_eq!(outbox.len(), 1);
    assert!(!files[0].exists());
}

#[test]
fn stray_temp_files_are_removed_and_foreign_files_left_alone() {
    let dir = TempDir::new();
    {
        let mut outbox = Outbox::open(dir.path(), roomy()).unwrap();
        outbox.push(rec(BOOT_A, 1, Priority::Event, 5)).unwrap();
    }
    let name = dir.record_files()[0]
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let temp = dir
        .path()
        .join(format!(".{}.tmp", name.replace("-0000", "-0009")));
    fs::write(&temp, b"SOBX half a rec").unwrap();
    fs::write(dir.path().join("README"), b"not ours").unwrap();

    let mut outbox = Outbox::open(dir.path(), roomy()).unwrap();
    assert!(!temp.exists());
    assert_eq!(dir.names(), [name, "README".to_string()]);
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox.stats().dropped_corrupt, 0);
    assert_eq!(all_pending(&mut outbox).len(), 1);
}

#[test]
fn a_full_outbox_evicts_telemetry_first_then_events_oldest_first() {
    let dir = TempDir::new();
    let unit = HEADER_LEN as u64 + 100;
    let limits = Limits {
        max_bytes: 6 * unit,
        ..roomy()
    };
    let mut outbox = Outbox::open(dir.path(), limits).unwrap();
    // Interleaved so that age alone would pick differently.
    outbox
        .push(sized(BOOT_A, 1, Priority::Event, 10, 100))
        .unwrap();
    outbox
        .push(sized(BOOT_A, 2, Priority::Telemetry, 20, 100))
        .unwrap();
    outbox
        .push(sized(BOOT_A, 3, Priority::CommandResult, 30, 100))
        .unwrap();
    outbox
        .push(sized(BOOT_A, 4, Priority::Telemetry, 40, 100))
        .unwrap();
    outbox
        .push(sized(BOOT_A, 5, Priority::Event, 50, 100))
        .unwrap();
    outbox
        .push(sized(BOOT_A, 6, Priority::State, 60, 100))
        .unwrap();
    assert_eq!(outbox.stats().bytes, 6 * unit);

    let seqs = |outbox: &mut Outbox| -> Vec<u64> {
        let mut s: Vec<u64> = all_pending(outbox).iter().map(|r| r.seq).collect();
        s.sort();
        s
    };
    // An event arrives: the oldest telemetry goes.
    outbox
        .push(sized(BOOT_A, 7, Priority::Event, 70, 100))
        .unwrap();
    assert_eq!(seqs(&mut outbox), [1, 3, 4, 5, 6, 7]);
    // Another: the other telemetry.
    outbox
        .push(sized(BOOT_A, 8, Priority::Event, 80, 100))
        .unwrap();
    assert_eq!(seqs(&mut outbox), [1, 3, 5, 6, 7, 8]);
    // A command result: state goes before events.
    outbox
        .push(sized(BOOT_A, 9, Priority::CommandResult, 90, 100))
        .unwrap();
    assert_eq!(seqs(&mut outbox), [1, 3, 5, 7, 8, 9]);
    // Then the oldest event; a bigger record evicts as many as it needs.
    outbox
        .push(sized(
            BOOT_A,
            10,
            Priority::CommandResult,
            100,
            100 + unit as usize,
        ))
        .unwrap();
    assert_eq!(seqs(&mut outbox), [3, 7, 8, 9, 10]);
    assert!(outbox.stats().bytes <= limits.max_bytes);
    assert_eq!(outbox.stats().dropped_full, 5);
    assert_eq!(dir.record_files().len(), 5);
}

#[test]
fn higher_priority_records_are_never_evicted_for_lower_ones() {
    let dir = TempDir::new();
    let unit = HEADER_LEN as u64 + 50;
    let limits = Limits {
        max_bytes: 3 * unit,
        ..roomy()
    };
    let mut outbox = Outbox::open(dir.path(), limits).unwrap();
    outbox
        .push(sized(BOOT_A, 1, Priority::CommandResult, 1, 50))
        .unwrap();
    outbox
        .push(sized(BOOT_A, 2, Priority::Event, 2, 50))
        .unwrap();
    outbox
        .push(sized(BOOT_A, 3, Priority::Telemetry, 3, 50))
        .unwrap();

    // Telemetry may replace telemetry (the oldest of its own class)...
    outbox
        .push(sized(BOOT_A, 4, Priority::Telemetry, 4, 50))
        .unwrap();
    // ...but once none is left to evict, telemetry is refused and nothing else moves.
    outbox
        .push(sized(BOOT_A, 5, Priority::Event, 5, 50))
        .unwrap();
    let err = outbox
        .push(sized(BOOT_A, 6, Priority::Telemetry, 6, 50))
        .unwrap_err();
    assert!(
        matches!(
            err,
            OutboxError::Full {
                priority: Priority::Telemetry
            }
        ),
        "{err}"
    );
    let err = outbox
        .push(sized(BOOT_A, 7, Priority::State, 7, 50))
        .unwrap_err();
    assert!(
        matches!(
            err,
            OutboxError::Full {
                priority: Priority::State
            }
        ),
        "{err}"
    );
    assert_eq!(
        ids(&all_pending(&mut outbox)),
        [
            (Priority::CommandResult, BOOT_A, 1),
            (Priority::Event, BOOT_A, 2),
            (Priority::Event, BOOT_A, 5),
        ]
    );
    // Two telemetry evictions and two refusals.
    assert_eq!(outbox.stats().dropped_full, 4);

    // A record that would need a command result evicted is refused too, even if it is big
    // enough that evicting every event would not do.
    let err = outbox
        .push(sized(BOOT_A, 8, Priority::Event, 8, 50 + 2 * unit as usize))
        .unwrap_err();
    assert!(matches!(
        err,
        OutboxError::Full {
            priority: Priority::Event
        }
    ));
    assert_eq!(outbox.len(), 3, "a refused push evicts nothing");

    // Bigger than the whole outbox: refused whatever its priority.
    let err = outbox
        .push(sized(
            BOOT_A,
            9,
            Priority::CommandResult,
            9,
            3 * unit as usize,
        ))
        .unwrap_err();
    assert!(matches!(
        err,
        OutboxError::Full {
            priority: Priority::CommandResult
        }
    ));
    assert_eq!(outbox.len(), 3);
    assert_eq!(outbox.stats().dropped_full, 6);
    assert_eq!(dir.record_files().len(), 3);
}

#[test]
fn the_record_count_limit_evicts_like_the_byte_limit() {
    let dir = TempDir::new();
    let limits = Limits {
        max_records: 3,
        ..roomy()
    };
    let mut outbox = Outbox::open(dir.path(), limits).unwrap();
    outbox.push(rec(BOOT_A, 1, Priority::Telemetry, 1)).unwrap();
    outbox.push(rec(BOOT_A, 2, Priority::Event, 2)).unwrap();
    outbox.push(rec(BOOT_A, 3, Priority::Event, 3)).unwrap();
    outbox.push(rec(BOOT_A, 4, Priority::Event, 4)).unwrap();
    outbox.push(rec(BOOT_A, 5, Priority::Event, 5)).unwrap();
    assert!(matches!(
        outbox.push(rec(BOOT_A, 6, Priority::Telemetry, 6)),
        Err(OutboxError::Full {
            priority: Priority::Telemetry
        })
    ));
    assert_eq!(
        ids(&all_pending(&mut outbox)),
        [
            (Priority::Event, BOOT_A, 3),
            (Priority::Event, BOOT_A, 4),
            (Priority::Event, BOOT_A, 5),
        ]
    );
    assert_eq!(outbox.stats().dropped_full, 3);
}

#[test]
fn opening_with_smaller_limits_evicts_down_to_them() {
    let dir = TempDir::new();
    {
        let mut outbox = Outbox::open(dir.path(), roomy()).unwrap();
        outbox
            .push(rec(BOOT_A, 1, Priority::CommandResult, 1))
            .unwrap();
        outbox.push(rec(BOOT_A, 2, Priority::Telemetry, 2)).unwrap();
        outbox.push(rec(BOOT_A, 3, Priority::Event, 3)).unwrap();
        outbox.push(rec(BOOT_A, 4, Priority::Telemetry, 4)).unwrap();
    }
    let limits = Limits {
        max_records: 2,
        ..roomy()
    };
    let mut outbox = Outbox::open(dir.path(), limits).unwrap();
    assert_eq!(
        ids(&all_pending(&mut outbox)),
        [
            (Priority::CommandResult, BOOT_A, 1),
            (Priority::Event, BOOT_A, 3),
        ]
    );
    assert_eq!(outbox.stats().dropped_full, 2);
    assert_eq!(dir.record_files().len(), 2);
}

#[test]
fn expire_drops_records_older_than_max_age_of_any_priority() {
    let dir = TempDir::new();
    let limits = Limits {
        max_age_ms: 1_000,
        ..roomy()
    };
    let mut outbox = Outbox::open(dir.path(), limits).unwrap();
    outbox
        .push(rec(BOOT_A, 1, Priority::CommandResult, 10_000))
        .unwrap();
    outbox
        .push(rec(BOOT_A, 2, Priority::Telemetry, 10_500))
        .unwrap();
    outbox
        .push(rec(BOOT_A, 3, Priority::Event, 11_000))
        .unwrap();
    outbox
        .push(rec(BOOT_A, 4, Priority::State, 11_500))
        .unwrap();

    assert_eq!(
        outbox.expire(11_000).unwrap(),
        0,
        "exactly max_age old is kept"
    );
    assert_eq!(outbox.expire(11_001).unwrap(), 1);
    assert_eq!(outbox.expire(12_001).unwrap(), 2);
    assert_eq!(outbox.expire(12_001).unwrap(), 0);
    assert_eq!(
        ids(&all_pending(&mut outbox)),
        [(Priority::State, BOOT_A, 4)]
    );
    let stats = outbox.stats();
    assert_eq!(stats.dropped_expired, 3);
    assert_eq!(stats.oldest_created_at_ms, Some(11_500));
    assert_eq!(dir.record_files().len(), 1);
    // Expired records stay gone after a restart.
    drop(outbox);
    assert_eq!(Outbox::open(dir.path(), limits).unwrap().len(), 1);
}

#[test]
fn open_creates_the_directory_and_empty_payloads_work() {
    let dir = TempDir::new();
    let nested = dir.path().join("var/lib/setu/outbox");
    let mut outbox = Outbox::open(&nested, roomy()).unwrap();
    assert!(nested.is_dir());
    assert_eq!(outbox.dir(), nested);
    let empty = sized(BOOT_B, u64::MAX, Priority::State, i64::MIN, 0);
    outbox.push(empty.clone()).unwrap();
    drop(outbox);
    let mut outbox = Outbox::open(&nested, roomy()).unwrap();
    assert_eq!(all_pending(&mut outbox), [empty]);
    assert_eq!(outbox.stats().bytes, HEADER_LEN as u64);
}

#[test]
fn a_copy_of_a_record_under_another_priority_is_dropped_at_open() {
    let dir = TempDir::new();
    {
        let mut outbox = Outbox::open(dir.path(), roomy()).unwrap();
        outbox.push(rec(BOOT_A, 1, Priority::Event, 5)).unwrap();
        outbox.push(rec(BOOT_A, 2, Priority::Telemetry, 6)).unwrap();
    }
    // Forge a well-formed telemetry file with seq 1: rewrite seq 2's header and name.
    let original = dir.record_files()[1].clone();
    let mut bytes = fs::read(&original).unwrap();
    bytes[8..16].copy_from_slice(&1u64.to_le_bytes());
    let payload_crc = {
        // Recompute the CRC the way the format defines it (IEEE, over bytes 0..64 + payload).
        let mut crc = !0u32;
        for &b in bytes[..64].iter().chain(&bytes[HEADER_LEN..]) {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    0xEDB8_8320 ^ (crc >> 1)
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    };
    bytes[64..68].copy_from_slice(&payload_crc.to_le_bytes());
    let forged = dir.path().join(format!("3-{BOOT_A}-{:020}.rec", 1));
    fs::write(&forged, &bytes).unwrap();
    // On its own the forged file is a valid record, so what follows tests the duplicate check.
    let alone = TempDir::new();
    fs::create_dir_all(alone.path()).unwrap();
    fs::write(alone.path().join(forged.file_name().unwrap()), &bytes).unwrap();
    let lone = Outbox::open(alone.path(), roomy()).unwrap();
    assert_eq!((lone.len(), lone.stats().dropped_corrupt), (1, 0));

    let mut outbox = Outbox::open(dir.path(), roomy()).unwrap();
    assert_eq!(outbox.stats().dropped_corrupt, 1);
    assert_eq!(outbox.len(), 2);
    assert_eq!(dir.record_files().len(), 2);
    // Whichever copy was kept, one ack removes it and leaves no trace in the index.
    assert_eq!(outbox.ack(BOOT_A, 1).unwrap(), 1);
    assert_eq!(
        ids(&all_pending(&mut outbox)),
        [(Priority::Telemetry, BOOT_A, 2)]
    );
    assert_eq!(outbox.stats().depth, 1);
}

#[test]
fn a_record_of_a_newer_format_is_left_alone() {
    let dir = TempDir::new();
    {
        let mut outbox = Outbox::open(dir.path(), roomy()).unwrap();
        outbox.push(rec(BOOT_A, 1, Priority::Event, 5)).unwrap();
        outbox.push(rec(BOOT_A, 2, Priority::Event, 6)).unwrap();
    }
    // As if an updated agent wrote it and the box then rolled back to this version.
    let newer = dir.record_files()[1].clone();
    let mut bytes = fs::read(&newer).unwrap();
    bytes[4..6].copy_from_slice(&2u16.to_le_bytes());
    fs::write(&newer, &bytes).unwrap();

    let mut outbox = Outbox::open(dir.path(), roomy()).unwrap();
    assert_eq!(
        ids(&all_pending(&mut outbox)),
        [(Priority::Event, BOOT_A, 1)]
    );
    assert_eq!(outbox.stats().dropped_corrupt, 0);
    assert_eq!(fs::read(&newer).unwrap(), bytes, "kept for the newer agent");
}
