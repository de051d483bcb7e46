//! A FUSE file system that can lose power: it keeps, for every file, what programs read and what would
//! survive a power cut (the content as of the file's last `fsync`), so a test can cut the power at any
//! instant and restart a program on exactly what a real disk would be guaranteed to hold.
//!
//! The model, strict so that it never makes unsynced data durable:
//! - One flat directory, in memory. Every file has a *current* image (what reads see, changed by
//!   writes, truncations and `fallocate`) and a *durable* one. `fsync` and `fdatasync` of a file copy
//!   its current image to its durable one, size included; a new file's durable image is empty.
//! - Names (create, unlink, rename) change only the current directory. The durable directory, which
//!   names the files that survive, becomes the current one when the directory itself is fsynced
//!   (`fsyncdir`): POSIX's rule, stricter than ext4 or XFS, where a file's `fsync` in practice also
//!   commits its new name.
//!   SQLite syncs the directory after creating a journal or WAL file, which also makes the database's
//!   own name durable. An unlinked file keeps its durable image as long as a durable name points to it.
//! - [`PowerCut::cut`] is the instant the power goes: from then on every change and every sync fails
//!   with `EIO`, as a dead disk's would, so a program can never be told that something written after
//!   the cut is durable. Reads still answer the current images (for a look at logs before unmounting).
//!   Unsynced writes are all lost: this is one outcome a real disk allows, the harshest for data that
//!   was not synced; a disk may also keep some of them, which this model does not try.
//! - Byte-range locks are left to the kernel (the file system does not ask for `FUSE_POSIX_LOCKS`),
//!   which enforces them among the processes of this machine; files open without `direct_io`, so a
//!   shared writable `mmap` (SQLite's `-shm`) works through the page cache.
//!
//! Mounting: without fuser's `libfuse` feature, fuser mounts with the `mount(2)` system call, which
//! needs `CAP_SYS_ADMIN` (root); only an unprivileged user would need the `fusermount3` helper.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use fuser::{
    BackgroundSession, Config, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo,
    LockOwner, MountOption, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory, ReplyEmpty,
    ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request, TimeOrNow, WriteFlags,
};
use tempfile::TempDir;

/// How long the kernel may cache names and attributes: every change goes through the kernel, so its
/// cache cannot go stale.
const TTL: Duration = Duration::from_secs(1);
const ROOT: u64 = INodeNo::ROOT.0;
const BLOCK: u32 = 4096;
// The file-type bits of a mode, and that of a regular file (the same on every Linux architecture).
const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;

/// A mounted power-cut file system; unmounted when dropped.
pub struct PowerCut {
    state: Arc<Mutex<State>>,
    // Declared before `dir` so the file system is unmounted before its mount point is removed.
    session: Option<BackgroundSession>,
    dir: TempDir,
}

/// What the file system has been asked to do so far.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    pub writes: u64,
    pub bytes_written: u64,
    /// `fsync` and `fdatasync` of files.
    pub file_syncs: u64,
    /// `fsync` of the directory.
    pub dir_syncs: u64,
    /// Changes and syncs refused with `EIO` after the cut.
    pub refused_after_cut: u64,
}

impl PowerCut {
    /// Mounts an empty file system on a fresh temporary directory, served by background threads.
    pub fn mount() -> io::Result<PowerCut> {
        let dir = tempfile::Builder::new().prefix("powercut-").tempdir()?;
        let state = Arc::new(Mutex::new(State::default()));
        let mut config = Config::default();
        config.mount_options = vec![MountOption::FSName("turno-powercut".into()), MountOption::NoAtime];
        // A few threads, so one request is read from the kernel while another is answered.
        config.n_threads = Some(4);
        let fs = PowerCutFs(state.clone());
        let session = fuser::spawn_mount(fs, dir.path(), &config)?;
        Ok(PowerCut {
            state,
            session: Some(session),
            dir,
        })
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Cuts the power: what is durable now is all that remains; every later change or sync fails.
    pub fn cut(&self) {
        self.lock().cut = true;
    }

    pub fn stats(&self) -> Stats {
        self.lock().stats
    }

    /// The files that would be found after a power cut now: durable names with their durable images.
    pub fn durable_files(&self) -> BTreeMap<OsString, Vec<u8>> {
        let state = self.lock();
        state
            .durable_names
            .iter()
            .map(|(name, ino)| (name.clone(), state.inodes[ino].durable.clone()))
            .collect()
    }

    /// Writes [`PowerCut::durable_files`] into `dir`, an ordinary directory, to restart a program there.
    pub fn write_durable_to(&self, dir: &Path) -> io::Result<()> {
        for (name, data) in self.durable_files() {
            std::fs::write(dir.join(name), data)?;
        }
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for PowerCut {
    fn drop(&mut self) {
        let Some(session) = self.session.take() else { return };
        if let Err(e) = session.umount_and_join() {
            // Busy: a process still has a file open here. Detach it, so the directory can go.
            eprintln!(
                "powercut: unmounting {} failed ({e}); detaching it",
                self.path().display()
            );
            let _ = std::process::Command::new("umount").arg("-l").arg(self.path()).status();
        }
    }
}

/// The file system as the kernel sees it; shares its state with the [`PowerCut`] handle.
struct PowerCutFs(Arc<Mutex<State>>);

struct State {
    cut: bool,
    next_ino: u64,
    /// Every file ever created: inode numbers are never reused, and an unlinked file may still be
    /// open, or still named in the durable directory.
    inodes: HashMap<u64, Inode>,
    /// The directory as programs see it.
    names: BTreeMap<OsString, u64>,
    /// The directory as of its last sync.
    durable_names: BTreeMap<OsString, u64>,
    root_mtime: SystemTime,
    stats: Stats,
}

impl Default for State {
    fn default() -> Self {
        Self {
            cut: false,
            next_ino: ROOT + 1,
            inodes: HashMap::new(),
            names: BTreeMap::new(),
            durable_names: BTreeMap::new(),
            root_mtime: SystemTime::now(),
            stats: Stats::default(),
        }
    }
}

struct Inode {
    data: Vec<u8>,
    durable: Vec<u8>,
    perm: u16,
    uid: u32,
    gid: u32,
    atime: SystemTime,
    mtime: SystemTime,
    ctime: SystemTime,
}

impl State {
    /// Refuses a change once the power is cut.
    fn alive(&mut self) -> Result<(), Errno> {
        if self.cut {
            self.stats.refused_after_cut += 1;
            Err(Errno::EIO)
        } else {
            Ok(())
        }
    }

    fn file(&mut self, ino: INodeNo) -> Result<&mut Inode, Errno> {
        self.inodes.get_mut(&ino.0).ok_or(Errno::ENOENT)
    }

    fn attr(&self, ino: u64) -> Result<FileAttr, Errno> {
        if ino == ROOT {
            return Ok(FileAttr {
                ino: INodeNo(ROOT),
                size: 0,
                blocks: 0,
                atime: self.root_mtime,
                mtime: self.root_mtime,
                ctime: self.root_mtime,
                crtime: self.root_mtime,
                kind: FileType::Directory,
                perm: 0o755,
                nlink: 2,
                uid: 0,
                gid: 0,
                rdev: 0,
                blksize: BLOCK,
                flags: 0,
            });
        }
        let f = self.inodes.get(&ino).ok_or(Errno::ENOENT)?;
        let size = f.data.len() as u64;
        Ok(FileAttr {
            ino: INodeNo(ino),
            size,
            blocks: size.div_ceil(512),
            atime: f.atime,
            mtime: f.mtime,
            ctime: f.ctime,
            crtime: f.ctime,
            kind: FileType::RegularFile,
            perm: f.perm,
            // SQLite checks that its files are linked exactly once.
            nlink: u32::from(self.names.values().any(|i| *i == ino)),
            uid: f.uid,
            gid: f.gid,
            rdev: 0,
            blksize: BLOCK,
            flags: 0,
        })
    }

    fn create(
        &mut self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
    ) -> Result<FileAttr, Errno> {
        if parent.0 != ROOT {
            return Err(Errno::ENOENT);
        }
        if mode & S_IFMT != S_IFREG {
            // One flat directory of regular files.
            return Err(Errno::EPERM);
        }
        self.alive()?;
        if self.names.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        let now = SystemTime::now();
        self.inodes.insert(
            ino,
            Inode {
                data: Vec::new(),
                durable: Vec::new(),
                perm: (mode & !umask & 0o7777) as u16,
                uid: req.uid(),
                gid: req.gid(),
                atime: now,
                mtime: now,
                ctime: now,
            },
        );
        self.names.insert(name.to_owned(), ino);
        self.root_mtime = now;
        self.attr(ino)
    }
}

impl PowerCutFs {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Filesystem for PowerCutFs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let state = self.lock();
        let found = match (parent.0, state.names.get(name)) {
            (ROOT, Some(ino)) => state.attr(*ino),
            _ => Err(Errno::ENOENT),
        };
        match found {
            Ok(attr) => reply.entry(&TTL, &attr, Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match self.lock().attr(ino.0) {
            Ok(attr) => reply.attr(&TTL, &attr),
            Err(e) => reply.error(e),
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let mut state = self.lock();
        let result = (|| {
            if ino.0 == ROOT {
                return state.attr(ROOT);
            }
            state.alive()?;
            let f = state.file(ino)?;
            let now = SystemTime::now();
            let time = |t: TimeOrNow| match t {
                TimeOrNow::SpecificTime(t) => t,
                TimeOrNow::Now => now,
            };
            if let Some(size) = size {
                f.data.resize(usize::try_from(size).map_err(|_| Errno::EFBIG)?, 0);
                f.mtime = now;
            }
            if let Some(mode) = mode {
                f.perm = (mode & 0o7777) as u16;
            }
            f.uid = uid.unwrap_or(f.uid);
            f.gid = gid.unwrap_or(f.gid);
            f.atime = atime.map_or(f.atime, time);
            f.mtime = mtime.map_or(f.mtime, time);
            f.ctime = now;
            state.attr(ino.0)
        })();
        match result {
            Ok(attr) => reply.attr(&TTL, &attr),
            Err(e) => reply.error(e),
        }
    }

    fn mknod(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _rdev: u32,
        reply: ReplyEntry,
    ) {
        match self.lock().create(req, parent, name, mode, umask) {
            Ok(attr) => reply.entry(&TTL, &attr, Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn create(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        match self.lock().create(req, parent, name, mode, umask) {
            Ok(attr) => reply.created(&TTL, &attr, Generation(0), FileHandle(0), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let mut state = self.lock();
        let result = (|| {
            state.alive()?;
            if parent.0 != ROOT || state.names.remove(name).is_none() {
                return Err(Errno::ENOENT);
            }
            state.root_mtime = SystemTime::now();
            Ok(())
        })();
        match result {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        let mut state = self.lock();
        let result = (|| {
            state.alive()?;
            if parent.0 != ROOT || newparent.0 != ROOT {
                return Err(Errno::ENOENT);
            }
            if flags.intersects(RenameFlags::RENAME_EXCHANGE | RenameFlags::RENAME_WHITEOUT) {
                return Err(Errno::EINVAL);
            }
            if flags.contains(RenameFlags::RENAME_NOREPLACE) && state.names.contains_key(newname) {
                return Err(Errno::EEXIST);
            }
            let ino = state.names.remove(name).ok_or(Errno::ENOENT)?;
            state.names.insert(newname.to_owned(), ino);
            state.root_mtime = SystemTime::now();
            Ok(())
        })();
        match result {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn open(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        match self.lock().file(ino) {
            // Not `direct_io`: shared writable mappings need the page cache.
            Ok(_) => reply.opened(FileHandle(0), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let mut state = self.lock();
        match state.file(ino) {
            Ok(f) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(f.data.len());
                let end = start.saturating_add(size as usize).min(f.data.len());
                reply.data(&f.data[start..end]);
            }
            Err(e) => reply.error(e),
        }
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        let mut state = self.lock();
        let result = (|| {
            state.alive()?;
            state.stats.writes += 1;
            state.stats.bytes_written += data.len() as u64;
            let f = state.file(ino)?;
            let start = usize::try_from(offset).map_err(|_| Errno::EFBIG)?;
            let end = start.checked_add(data.len()).ok_or(Errno::EFBIG)?;
            if f.data.len() < end {
                f.data.resize(end, 0);
            }
            f.data[start..end].copy_from_slice(data);
            f.mtime = SystemTime::now();
            Ok(data.len() as u32)
        })();
        match result {
            Ok(n) => reply.written(n),
            Err(e) => reply.error(e),
        }
    }

    fn fallocate(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        length: u64,
        mode: i32,
        reply: ReplyEmpty,
    ) {
        let mut state = self.lock();
        let result = (|| {
            if mode != 0 {
                // Only plain allocation (which may grow the file); no holes to punch in memory.
                return Err(Errno::EOPNOTSUPP);
            }
            state.alive()?;
            let f = state.file(ino)?;
            let end = offset.checked_add(length).ok_or(Errno::EFBIG)?;
            let end = usize::try_from(end).map_err(|_| Errno::EFBIG)?;
            if f.data.len() < end {
                f.data.resize(end, 0);
            }
            Ok(())
        })();
        match result {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn flush(&self, _req: &Request, _ino: INodeNo, _fh: FileHandle, _lock_owner: LockOwner, reply: ReplyEmpty) {
        // Nothing is buffered here: a close makes nothing durable.
        reply.ok();
    }

    fn fsync(&self, _req: &Request, ino: INodeNo, _fh: FileHandle, _datasync: bool, reply: ReplyEmpty) {
        let mut state = self.lock();
        let result = (|| {
            state.alive()?;
            state.stats.file_syncs += 1;
            let f = state.file(ino)?;
            f.durable.clone_from(&f.data);
            Ok(())
        })();
        match result {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn readdir(&self, _req: &Request, ino: INodeNo, _fh: FileHandle, offset: u64, mut reply: ReplyDirectory) {
        if ino.0 != ROOT {
            return reply.error(Errno::ENOTDIR);
        }
        let state = self.lock();
        let dots = [
            (ROOT, FileType::Directory, OsStr::new(".")),
            (ROOT, FileType::Directory, OsStr::new("..")),
        ];
        let files = state
            .names
            .iter()
            .map(|(name, ino)| (*ino, FileType::RegularFile, name.as_os_str()));
        for (i, (ino, kind, name)) in dots.into_iter().chain(files).enumerate().skip(offset as usize) {
            // The offset of an entry is that of the next one.
            if reply.add(INodeNo(ino), i as u64 + 1, kind, name) {
                break;
            }
        }
        reply.ok();
    }

    fn fsyncdir(&self, _req: &Request, ino: INodeNo, _fh: FileHandle, _datasync: bool, reply: ReplyEmpty) {
        let mut state = self.lock();
        let result = (|| {
            if ino.0 != ROOT {
                return Err(Errno::ENOTDIR);
            }
            state.alive()?;
            state.stats.dir_syncs += 1;
            let state = &mut *state;
            state.durable_names.clone_from(&state.names);
            Ok(())
        })();
        match result {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn access(&self, _req: &Request, ino: INodeNo, _mask: fuser::AccessFlags, reply: ReplyEmpty) {
        // Everyone here is root.
        match self.lock().attr(ino.0) {
            Ok(_) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        let state = self.lock();
        let used: u64 = state
            .inodes
            .values()
            .map(|f| (f.data.len() as u64).div_ceil(u64::from(BLOCK)))
            .sum();
        let blocks = (1u64 << 30) / u64::from(BLOCK);
        let files = state.inodes.len() as u64;
        reply.statfs(
            blocks,
            blocks.saturating_sub(used),
            blocks.saturating_sub(used),
            files + 1000,
            1000,
            BLOCK,
            255,
            BLOCK,
        );
    }
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::io::{ErrorKind, Write};

    use super::*;

    fn sync_dir(fs: &PowerCut) {
        File::open(fs.path())
            .and_then(|d| d.sync_all())
            .expect("sync the directory");
    }

    fn durable(fs: &PowerCut, name: &str) -> Option<Vec<u8>> {
        fs.durable_files().remove(OsStr::new(name))
    }

    #[test]
    fn only_what_was_synced_survives() {
        let fs = PowerCut::mount().expect("mount");
        let path = fs.path().join("f");
        let mut f = File::create(&path).expect("create");
        f.write_all(b"synced").expect("write");
        f.sync_data().expect("fdatasync");
        sync_dir(&fs);
        f.write_all(b" and not").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"synced and not");
        assert_eq!(durable(&fs, "f").as_deref(), Some(&b"synced"[..]));
        f.set_len(2).expect("truncate");
        assert_eq!(
            durable(&fs, "f").as_deref(),
            Some(&b"synced"[..]),
            "a truncation is not durable"
        );
        f.sync_all().expect("fsync");
        assert_eq!(durable(&fs, "f").as_deref(), Some(&b"sy"[..]));
    }

    #[test]
    fn names_survive_a_sync_of_the_directory() {
        let fs = PowerCut::mount().expect("mount");
        let (a, b) = (fs.path().join("a"), fs.path().join("b"));
        let mut f = File::create(&a).expect("create");
        f.write_all(b"data").expect("write");
        f.sync_all().expect("fsync");
        assert_eq!(
            durable(&fs, "a"),
            None,
            "a new name is not durable before its directory is synced"
        );
        sync_dir(&fs);
        assert_eq!(durable(&fs, "a").as_deref(), Some(&b"data"[..]));

        std::fs::rename(&a, &b).expect("rename");
        assert_eq!(fs.durable_files().keys().collect::<Vec<_>>(), ["a"]);
        sync_dir(&fs);
        assert_eq!(fs.durable_files().keys().collect::<Vec<_>>(), ["b"]);
        std::fs::remove_file(&b).expect("unlink");
        assert_eq!(
            durable(&fs, "b").as_deref(),
            Some(&b"data"[..]),
            "an unlink is not durable yet"
        );
        sync_dir(&fs);
        assert!(fs.durable_files().is_empty());

        let mut unsynced = File::create(fs.path().join("c")).expect("create");
        unsynced.write_all(b"lost").expect("write");
        sync_dir(&fs);
        assert_eq!(
            durable(&fs, "c").as_deref(),
            Some(&b""[..]),
            "a durable name, but no data synced"
        );
    }

    #[test]
    fn after_the_cut_nothing_changes_and_nothing_is_synced() {
        let fs = PowerCut::mount().expect("mount");
        let path = fs.path().join("f");
        let mut f = File::create_new(&path).expect("create");
        f.write_all(b"before").expect("write");
        f.sync_all().expect("fsync");
        sync_dir(&fs);
        fs.cut();
        const EIO: Option<i32> = Some(5);
        let error = |r: io::Result<()>| r.expect_err("refused after the cut").raw_os_error();
        assert_eq!(error(f.write_all(b" after")), EIO);
        assert_eq!(error(f.sync_all()), EIO);
        assert_eq!(error(f.set_len(0)), EIO);
        assert_eq!(error(File::create(fs.path().join("g")).map(drop)), EIO);
        assert_eq!(error(std::fs::remove_file(&path)), EIO);
        assert_eq!(error(File::open(fs.path()).and_then(|d| d.sync_all())), EIO);
        assert_eq!(std::fs::read(&path).expect("reads still work"), b"before");
        assert_eq!(durable(&fs, "f").as_deref(), Some(&b"before"[..]));
        assert!(fs.stats().refused_after_cut >= 6);
        assert_eq!(
            File::open(fs.path().join("nothing")).map(drop).unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }

    /// SQLite in WAL mode works here (locks between connections, the `-shm` mapping), and a power
    /// cut keeps every transaction it committed with `synchronous=FULL`.
    #[test]
    fn sqlite_commits_survive_a_cut() {
        let fs = PowerCut::mount().expect("mount");
        let db = fs.path().join("t.db");
        let writer = rusqlite::Connection::open(&db).expect("open");
        let mode: String = writer
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .expect("WAL");
        assert_eq!(mode, "wal");
        writer.pragma_update(None, "synchronous", "FULL").expect("FULL");
        writer
            .execute_batch("CREATE TABLE t (n INTEGER PRIMARY KEY)")
            .expect("create");
        let reader = rusqlite::Connection::open(&db).expect("open a second connection");
        let other = rusqlite::Connection::open(&db).expect("open a third connection");
        other.busy_timeout(Duration::ZERO).expect("do not wait for locks");
        for n in 0..200 {
            writer.execute("INSERT INTO t VALUES (?1)", [n]).expect("insert");
            // The readers see every commit through the shared `-shm` mapping.
            let count: i64 = reader
                .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
                .expect("count");
            assert_eq!(count, n + 1);
        }
        writer.execute_batch("BEGIN IMMEDIATE").expect("take the write lock");
        let busy = other
            .execute_batch("BEGIN IMMEDIATE")
            .expect_err("the write lock is taken");
        assert_eq!(busy.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy));
        writer.execute("INSERT INTO t VALUES (1000)", []).expect("insert");
        // Committed in the WAL but never synced: with FULL a commit always syncs, so end it with a cut.
        fs.cut();
        writer.execute_batch("COMMIT").expect_err("no commit after the cut");
        drop((writer, reader, other));

        let copy = tempfile::tempdir().expect("a directory");
        fs.write_durable_to(copy.path()).expect("copy");
        let after = rusqlite::Connection::open(copy.path().join("t.db")).expect("open the copy");
        let ok: String = after
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("check");
        assert_eq!(ok, "ok");
        let (count, max): (i64, i64) = after
            .query_row("SELECT COUNT(*), MAX(n) FROM t", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("count");
        assert_eq!((count, max), (200, 199));
    }
}
