//! Files kept open between readings and read again from offset 0.
//!
//! The kernel builds the text of a `/proc`, sysfs or cgroup file when it is read,
//! so a descriptor opened once gives fresh contents on every read from offset 0.
//! Keeping it saves the path walk, `statx` and `close` of each reading; reading
//! into one reused buffer saves the allocations of `fs::read_to_string`.
//!
//! A read that returns fewer bytes than the buffer has room for is taken as the
//! end of the file, so a file is read with one system call. The kernel fills the
//! whole buffer from these files when it can, and so does a regular file of a
//! fixture tree. A file that fills the buffer is read again from the start into
//! a buffer twice the size, so its text is always one read of the whole file.

use std::fs::File;
use std::io;
use std::path::PathBuf;

use super::error::LinuxReadError;

/// The buffer's size before any file needs more. The largest file read on a
/// usual host, the ZFS ARC statistics, holds about 7 KiB.
const INITIAL_BUFFER_BYTES: usize = 16 * 1024;

/// Why one attempt at a reading failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A file kept from an earlier reading could not be read again, most likely
    /// because its cgroup was removed: forget everything and start over.
    Stale,
    /// The error [`read_memory`](super::read_memory) gives for the same files.
    Error(LinuxReadError),
}

impl From<LinuxReadError> for Failure {
    fn from(error: LinuxReadError) -> Self {
        Failure::Error(error)
    }
}

/// A file opened in one reading and read again in later ones.
#[derive(Debug)]
pub(crate) struct KeptFile {
    /// The full path it was opened at, for errors.
    path: PathBuf,
    file: File,
    /// The reading that opened it: a failure to read it again in a later one
    /// means what it was opened for is gone.
    opened_in: u64,
}

/// Where a reading keeps one file: open, known to be absent, or not yet opened.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    file: Option<KeptFile>,
    absent: bool,
}

/// The buffer every kept file is read into, and the number of the reading under
/// way.
#[derive(Debug, Default)]
pub(crate) struct Files {
    buffer: Vec<u8>,
    reading: u64,
}

impl Files {
    /// Starts the next reading: files opened from now on are new to it.
    pub(crate) fn start_reading(&mut self) {
        self.reading += 1;
    }

    /// The text of a file that must exist, opened at `path()` unless kept.
    ///
    /// # Errors
    ///
    /// [`Failure::Error`] with [`LinuxReadError::Read`] when the file cannot be
    /// opened or read, or [`Failure::Stale`] when a file kept from an earlier
    /// reading cannot be read again. A failed open is not remembered.
    pub(crate) fn required<'a>(
        &'a mut self,
        slot: &mut Slot,
        path: impl FnOnce() -> PathBuf,
    ) -> Result<&'a str, Failure> {
        let file = match slot.file.take() {
            Some(file) => slot.file.insert(file),
            None => slot.file.insert(self.open(path())?),
        };
        slot.absent = false;

        read_kept(&mut self.buffer, file, self.reading)
    }

    /// The text of a file that may be absent, opened at `path()` unless kept;
    /// `None` when it does not exist. The slot remembers that it does not.
    ///
    /// # Errors
    ///
    /// As [`Files::required`], except that a missing file is no error.
    pub(crate) fn optional<'a>(
        &'a mut self,
        slot: &mut Slot,
        path: impl FnOnce() -> PathBuf,
    ) -> Result<Option<&'a str>, Failure> {
        if slot.absent {
            return Ok(None);
        }

        let file = match slot.file.take() {
            Some(file) => slot.file.insert(file),
            None => match self.open(path()) {
                Ok(file) => slot.file.insert(file),
                Err(Failure::Error(LinuxReadError::Read { source, .. }))
                    if source.kind() == io::ErrorKind::NotFound =>
                {
                    slot.absent = true;
                    return Ok(None);
                }
                Err(failure) => return Err(failure),
            },
        };

        read_kept(&mut self.buffer, file, self.reading).map(Some)
    }

    fn open(&self, path: PathBuf) -> Result<KeptFile, Failure> {
        match File::open(&path) {
            Ok(file) => Ok(KeptFile {
                path,
                file,
                opened_in: self.reading,
            }),
            Err(source) => Err(Failure::Error(LinuxReadError::Read { path, source })),
        }
    }
}

/// Reads the whole of `file` from offset 0 into `buffer` and returns its text.
///
/// A failure is [`Failure::Stale`] for a file opened before reading number
/// `reading`. Text that is not UTF-8 fails as `fs::read_to_string` does, with
/// [`io::ErrorKind::InvalidData`]. The path in an error is the one opened.
fn read_kept<'a>(
    buffer: &'a mut Vec<u8>,
    file: &KeptFile,
    reading: u64,
) -> Result<&'a str, Failure> {
    read_whole(buffer, &file.file).map_err(|source| {
        if file.opened_in < reading {
            Failure::Stale
        } else {
            Failure::Error(LinuxReadError::Read {
                path: file.path.clone(),
                source,
            })
        }
    })
}

/// Reads the whole file from offset 0: again from the start into a buffer twice
/// the size while it fills the buffer.
fn read_whole<'a>(buffer: &'a mut Vec<u8>, file: &File) -> io::Result<&'a str> {
    if buffer.is_empty() {
        buffer.resize(INITIAL_BUFFER_BYTES, 0);
    }

    let mut length = read_at_start(file, buffer)?;
    while length == buffer.len() {
        let doubled = buffer.len() * 2;
        buffer.resize(doubled, 0);
        length = read_at_start(file, buffer)?;
    }

    std::str::from_utf8(&buffer[..length]).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// One read from offset 0 into `buffer`, retried when a signal interrupts it.
fn read_at_start(file: &File, buffer: &mut [u8]) -> io::Result<usize> {
    loop {
        match read_at_zero(file, buffer) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

cfg_if::cfg_if! {
    if #[cfg(unix)] {
        /// `pread` at offset 0: the descriptor's own offset is left alone.
        fn read_at_zero(file: &File, buffer: &mut [u8]) -> io::Result<usize> {
            use std::os::unix::fs::FileExt;

            file.read_at(buffer, 0)
        }
    } else if #[cfg(windows)] {
        /// A positioned read at offset 0.
        fn read_at_zero(file: &File, buffer: &mut [u8]) -> io::Result<usize> {
            use std::os::windows::fs::FileExt;

            file.seek_read(buffer, 0)
        }
    } else {
        /// A seek to the start, then a read.
        fn read_at_zero(mut file: &File, buffer: &mut [u8]) -> io::Result<usize> {
            use std::io::{Read, Seek, SeekFrom};

            file.seek(SeekFrom::Start(0))?;
            file.read(buffer)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mempressure-kept-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    #[test]
    fn reads_fresh_contents_from_the_start_each_time() {
        let path = temp_file("fresh", b"first\n");
        let mut files = Files::default();
        let mut slot = Slot::default();

        files.start_reading();
        assert_eq!(
            files.required(&mut slot, || path.clone()).unwrap(),
            "first\n"
        );

        std::fs::write(&path, b"second, longer\n").unwrap();
        files.start_reading();
        let text = files.required(&mut slot, || unreachable!("the file is kept"));
        assert_eq!(text.unwrap(), "second, longer\n");
    }

    #[test]
    fn a_file_larger_than_the_buffer_is_read_whole() {
        let text = "x".repeat(INITIAL_BUFFER_BYTES * 3 + 5);
        let path = temp_file("large", text.as_bytes());
        let mut files = Files::default();

        files.start_reading();
        let read = files.required(&mut Slot::default(), || path).unwrap();

        assert_eq!(read, text);
    }

    #[test]
    fn text_that_is_not_utf8_is_invalid_data_naming_the_file() {
        let path = temp_file("binary", &[0xff, 0xfe]);
        let mut files = Files::default();

        files.start_reading();
        let failure = files.required(&mut Slot::default(), || path.clone());

        let Err(Failure::Error(LinuxReadError::Read {
            path: named,
            source,
        })) = failure
        else {
            panic!("expected a read error, got {failure:?}");
        };
        assert_eq!(named, path);
        assert_eq!(source.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn an_absent_file_is_remembered() {
        let path = temp_file("appears", b"1\n");
        std::fs::remove_file(&path).unwrap();
        let mut files = Files::default();
        let mut slot = Slot::default();

        files.start_reading();
        assert_eq!(files.optional(&mut slot, || path.clone()).unwrap(), None);

        std::fs::write(&path, b"1\n").unwrap();
        files.start_reading();
        let again = files.optional(&mut slot, || unreachable!("absence is kept"));
        assert_eq!(again.unwrap(), None);

        let mut fresh = Slot::default();
        assert_eq!(
            files.optional(&mut fresh, || path.clone()).unwrap(),
            Some("1\n")
        );
    }

    #[test]
    fn a_kept_file_that_fails_in_a_later_reading_is_stale() {
        let dir = temp_file("dir-marker", b"").with_file_name("a-directory");
        std::fs::create_dir_all(&dir).unwrap();
        let mut files = Files::default();
        let mut slot = Slot::default();

        files.start_reading();
        let first = files.required(&mut slot, || dir.clone());
        assert!(matches!(
            first,
            Err(Failure::Error(LinuxReadError::Read { .. }))
        ));

        // A directory opens but cannot be read. Kept from the earlier reading, the
        // same failure now means start over.
        files.start_reading();
        let later = files.required(&mut slot, || unreachable!("the file is kept"));
        assert!(matches!(later, Err(Failure::Stale)));
    }
}
