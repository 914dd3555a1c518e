//! A model of a disk that loses power: the outbox runs on it through `edge_agent::outbox::Disk`,
//! and after [`PowerCutDisk::power_cut`] the directory holds only what had been made durable.
//!
//! The rules are the conservative ones POSIX allows (and ext4, XFS and F2FS exhibit):
//! - a file's content is durable once the file was fsynced; whatever was written after the last
//!   fsync (or without any) is lost, so a file that was never fsynced comes back empty;
//! - a directory entry (a file created, renamed or unlinked there, or a subdirectory made) is
//!   durable once that directory was fsynced; until then a power cut undoes it.
//!
//! Operations really happen in a directory under `root`, so the code under test reads back what
//! it wrote as a running system would (the page cache). The power cut then rewrites that
//! directory to the durable state, and anything can open it again, on this model or on `StdFs`.
//! [`PowerCutDisk::cut_after`] makes the power fail in the middle of a sequence instead: that
//! operation and every later one fail, without effect.

use edge_agent::outbox::Disk;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    File(u64),
    Dir,
}

type Entries = BTreeMap<OsString, Node>;

#[derive(Debug)]
struct State {
    root: PathBuf,
    next_inode: u64,
    /// File contents as the running system sees them, and as last fsynced.
    live_data: BTreeMap<u64, Vec<u8>>,
    durable_data: BTreeMap<u64, Vec<u8>>,
    /// Every directory's entries (root included), by path: as seen, and as last fsynced.
    live_dirs: BTreeMap<PathBuf, Entries>,
    durable_dirs: BTreeMap<PathBuf, Entries>,
    /// Operations that may still run before the power fails (`None`: no cut planned).
    ops_left: Option<u64>,
    powered: bool,
    /// Operations run so far.
    ops: u64,
}

impl State {
    /// Every operation starts here: one step closer to a planned cut.
    fn step(&mut self) -> io::Result<()> {
        if self.ops_left == Some(0) {
            self.powered = false;
        }
        if !self.powered {
            return Err(io::Error::other("simulated power cut: the disk is gone"));
        }
        if let Some(left) = &mut self.ops_left {
            *left -= 1;
        }
        self.ops += 1;
        Ok(())
    }

    /// The directory holding `path` and the entry's name; the directory must be known.
    fn split<'a>(&mut self, path: &'a Path) -> io::Result<(&mut Entries, &'a std::ffi::OsStr)> {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(io::Error::other(format!(
                "{} has no parent",
                path.display()
            )));
        };
        let entries = self.live_dirs.get_mut(parent).ok_or_else(|| {
            io::Error::other(format!(
                "{} is outside the modelled tree {}",
                parent.display(),
                self.root.display()
            ))
        })?;
        Ok((entries, name))
    }
}

/// A handle on the model; clones share it (one goes to the outbox, one stays with the test).
#[derive(Debug, Clone)]
pub struct PowerCutDisk {
    state: Arc<Mutex<State>>,
}

/// A file open for writing on the model.
pub struct ModelFile {
    inode: u64,
    file: File,
    state: Arc<Mutex<State>>,
}

/// An open directory on the model.
pub struct ModelDir(PathBuf);

impl PowerCutDisk {
    /// A powered disk whose contents are what `root` (an existing directory) holds now, all of
    /// it durable: what survived the last power cut, or was there before.
    pub fn new(root: &Path) -> PowerCutDisk {
        let mut state = State {
            root: root.to_path_buf(),
            next_inode: 0,
            live_data: BTreeMap::new(),
            durable_data: BTreeMap::new(),
            live_dirs: BTreeMap::new(),
            durable_dirs: BTreeMap::new(),
            ops_left: None,
            powered: true,
            ops: 0,
        };
        scan(&mut state, root);
        state.durable_data = state.live_data.clone();
        state.durable_dirs = state.live_dirs.clone();
        PowerCutDisk {
            state: Arc::new(Mutex::new(state)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("model lock")
    }

    /// The power fails at the `n`-th operation from now (0: the next one).
    pub fn cut_after(&self, n: u64) {
        self.lock().ops_left = Some(n);
    }

    /// Operations run so far.
    pub fn ops(&self) -> u64 {
        self.lock().ops
    }

    /// Whether a planned cut has happened.
    pub fn is_powered(&self) -> bool {
        self.lock().powered
    }

    /// Cuts the power and leaves under `root` exactly what was durable. The model stays off;
    /// make a new one on `root` to run on the surviving state.
    pub fn power_cut(&self) {
        let mut state = self.lock();
        state.powered = false;
        let root = state.root.clone();
        fs::remove_dir_all(&root).expect("clear the modelled tree");
        materialize(&state, &root);
    }
}

/// Records what is under `dir` as live state.
fn scan(state: &mut State, dir: &Path) {
    let mut entries = Entries::new();
    for entry in fs::read_dir(dir).expect("list a modelled directory") {
        let entry = entry.expect("directory entry");
        let path = entry.path();
        if entry.file_type().expect("file type").is_dir() {
            scan(state, &path);
            entries.insert(entry.file_name(), Node::Dir);
        } else {
            let inode = state.next_inode;
            state.next_inode += 1;
            state
                .live_data
                .insert(inode, fs::read(&path).expect("read a modelled file"));
            entries.insert(entry.file_name(), Node::File(inode));
        }
    }
    state.live_dirs.insert(dir.to_path_buf(), entries);
}

/// Writes the durable tree below `dir`: the entries its last fsync saw, each file with the
/// content its last fsync saw (empty if none).
fn materialize(state: &State, dir: &Path) {
    fs::create_dir_all(dir).expect("recreate a durable directory");
    let Some(entries) = state.durable_dirs.get(dir) else {
        return;
    };
    for (name, node) in entries {
        let path = dir.join(name);
        match node {
            Node::Dir => materialize(state, &path),
            Node::File(inode) => {
                let data = state.durable_data.get(inode).map_or(&[][..], Vec::as_slice);
                fs::write(&path, data).expect("write a durable file");
            }
        }
    }
}

impl Write for ModelFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut state = self.state.lock().expect("model lock");
        state.step()?;
        self.file.write_all(buf)?;
        state
            .live_data
            .entry(self.inode)
            .or_default()
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Disk for PowerCutDisk {
    type File = ModelFile;
    type Dir = ModelDir;

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut state = self.lock();
        state.step()?;
        let missing: Vec<&Path> = dir
            .ancestors()
            .take_while(|a| !state.live_dirs.contains_key(*a))
            .collect();
        for path in missing.into_iter().rev() {
            fs::create_dir(path)?;
            let (entries, name) = state.split(path)?;
            entries.insert(name.to_owned(), Node::Dir);
            state.live_dirs.insert(path.to_path_buf(), Entries::new());
        }
        Ok(())
    }

    fn open_dir(&self, dir: &Path) -> io::Result<ModelDir> {
        let mut state = self.lock();
        state.step()?;
        if !state.live_dirs.contains_key(dir) {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no modelled directory {}", dir.display()),
            ));
        }
        Ok(ModelDir(dir.to_path_buf()))
    }

    fn sync_dir(&self, dir: &ModelDir) -> io::Result<()> {
        let mut state = self.lock();
        state.step()?;
        let entries = state.live_dirs[&dir.0].clone();
        state.durable_dirs.insert(dir.0.clone(), entries);
        Ok(())
    }

    fn create(&self, path: &Path) -> io::Result<ModelFile> {
        let mut state = self.lock();
        state.step()?;
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        let fresh = state.next_inode;
        let (entries, name) = state.split(path)?;
        let inode = match entries.get(name) {
            Some(Node::File(inode)) => *inode,
            Some(Node::Dir) => return Err(io::Error::other("a directory")),
            None => {
                entries.insert(name.to_owned(), Node::File(fresh));
                fresh
            }
        };
        if inode == fresh {
            state.next_inode += 1;
        }
        state.live_data.insert(inode, Vec::new());
        Ok(ModelFile {
            inode,
            file,
            state: self.state.clone(),
        })
    }

    fn sync_file(&self, file: &ModelFile) -> io::Result<()> {
        let mut state = self.lock();
        state.step()?;
        let data = state.live_data[&file.inode].clone();
        state.durable_data.insert(file.inode, data);
        Ok(())
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut state = self.lock();
        state.step()?;
        fs::rename(from, to)?;
        let (entries, name) = state.split(from)?;
        let node = entries
            .remove(name)
            .expect("the model follows the real tree");
        let (entries, name) = state.split(to)?;
        entries.insert(name.to_owned(), node);
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut state = self.lock();
        state.step()?;
        fs::remove_file(path)?;
        let (entries, name) = state.split(path)?;
        entries.remove(name);
        Ok(())
    }
}

// ---- the model's own rules, so a test that relies on it knows what it would catch ----

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::TempDir;

    fn write(disk: &PowerCutDisk, path: &Path, data: &[u8], sync: bool) {
        let mut file = disk.create(path).unwrap();
        file.write_all(data).unwrap();
        if sync {
            disk.sync_file(&file).unwrap();
        }
    }

    fn survivors(root: &Path) -> BTreeMap<String, Vec<u8>> {
        fs::read_dir(root)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().into_string().unwrap(),
                    fs::read(e.path()).unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn only_fsynced_content_under_fsynced_names_survives() {
        let dir = TempDir::new();
        fs::create_dir_all(dir.path()).unwrap();
        let root = dir.path();
        fs::write(root.join("old"), b"from before").unwrap();
        fs::write(root.join("gone"), b"unlinked, dir synced").unwrap();
        fs::write(root.join("undead"), b"unlinked, dir not synced").unwrap();
        let disk = PowerCutDisk::new(root);
        let handle = disk.open_dir(root).unwrap();

        write(&disk, &root.join("synced"), b"kept", true);
        write(&disk, &root.join("unsynced"), b"lost", false);
        let mut late = disk.create(&root.join("late")).unwrap();
        late.write_all(b"kept ").unwrap();
        disk.sync_file(&late).unwrap();
        late.write_all(b"lost").unwrap();
        write(&disk, &root.join("tmp"), b"renamed", true);
        disk.rename(&root.join("tmp"), &root.join("renamed"))
            .unwrap();
        disk.remove_file(&root.join("gone")).unwrap();
        disk.sync_dir(&handle).unwrap();
        // After the directory's last fsync: neither of these sticks.
        write(
            &disk,
            &root.join("nameless"),
            b"synced data, name not",
            true,
        );
        disk.remove_file(&root.join("undead")).unwrap();
        disk.rename(&root.join("renamed"), &root.join("moved"))
            .unwrap();
        // What the running system sees meanwhile.
        assert!(root.join("moved").exists() && !root.join("undead").exists());

        disk.power_cut();
        let expected: BTreeMap<String, Vec<u8>> = [
            ("late", &b"kept "[..]),
            ("old", b"from before"),
            ("renamed", b"renamed"),
            ("synced", b"kept"),
            ("undead", b"unlinked, dir not synced"),
            ("unsynced", b""),
        ]
        .into_iter()
        .map(|(n, d)| (n.to_owned(), d.to_vec()))
        .collect();
        assert_eq!(survivors(root), expected);
        // The model is off now; a new one runs on what survived.
        assert!(disk.create(&root.join("x")).is_err());
        let again = PowerCutDisk::new(root);
        write(&again, &root.join("x"), b"", true);
    }

    #[test]
    fn a_new_directory_needs_its_parent_fsynced() {
        let dir = TempDir::new();
        fs::create_dir_all(dir.path()).unwrap();
        let root = dir.path();
        let disk = PowerCutDisk::new(root);
        let kept = root.join("kept/inner");
        disk.create_dir_all(&kept).unwrap();
        write(&disk, &kept.join("f"), b"data", true);
        disk.sync_dir(&disk.open_dir(&kept).unwrap()).unwrap();
        disk.sync_dir(&disk.open_dir(&root.join("kept")).unwrap())
            .unwrap();
        disk.sync_dir(&disk.open_dir(root).unwrap()).unwrap();
        let lost = root.join("lost");
        disk.create_dir_all(&lost).unwrap();
        write(&disk, &lost.join("f"), b"data", true);
        disk.sync_dir(&disk.open_dir(&lost).unwrap()).unwrap();
        disk.power_cut();
        assert_eq!(fs::read(kept.join("f")).unwrap(), b"data");
        assert!(!lost.exists());
    }

    #[test]
    fn a_planned_cut_stops_every_later_operation() {
        let dir = TempDir::new();
        fs::create_dir_all(dir.path()).unwrap();
        let root = dir.path();
        let disk = PowerCutDisk::new(root);
        disk.cut_after(2);
        let mut file = disk.create(&root.join("f")).unwrap();
        file.write_all(b"one").unwrap();
        assert!(file.write_all(b"two").is_err());
        assert!(disk.sync_file(&file).is_err());
        assert!(!disk.is_powered());
        assert_eq!(disk.ops(), 2);
        assert_eq!(
            fs::read(root.join("f")).unwrap(),
            b"one",
            "nothing after the cut ran"
        );
        disk.power_cut();
        assert!(survivors(root).is_empty());
    }
}
