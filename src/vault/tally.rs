//! Pack's progress, counted in bytes of file data that zstd has compressed,
//! not merely read.
//!
//! The read stage runs ahead of compression by what the queues and zstd's
//! own jobs hold: tens of MiB at high levels, where a job is as large as
//! the 8 MiB window and one waits per worker. Counting what was read would
//! reach the end long before the work does, then stand still. So the read
//! stage marks where in the tar stream each amount of file data ends
//! ([`Tally::read`]), the compress stage says how far into the tar stream
//! zstd has compressed ([`Tally::compressed`]), and the caller hears of the
//! file data up to there.

use std::collections::VecDeque;
use std::sync::Mutex;

/// Marks from the read stage, settled by the compress stage.
pub struct Tally<'a> {
    /// (tar offset, bytes of file data up to there), in stream order.
    marks: Mutex<Marks>,
    report: &'a (dyn Fn(u64) + Sync),
}

#[derive(Default)]
struct Marks {
    pending: VecDeque<(u64, u64)>,
    /// What was last reported.
    reported: u64,
}

impl<'a> Tally<'a> {
    /// A tally that reports bytes of file data compressed to `report`.
    pub fn new(report: &'a (dyn Fn(u64) + Sync)) -> Self {
        Tally {
            marks: Mutex::new(Marks::default()),
            report,
        }
    }

    /// The read stage: the tar stream up to offset `at` holds `done` bytes
    /// of file data.
    pub fn read(&self, at: u64, done: u64) {
        let mut m = self.marks.lock().unwrap_or_else(|e| e.into_inner());
        match m.pending.back_mut() {
            Some(last) if last.0 == at => last.1 = last.1.max(done),
            _ => m.pending.push_back((at, done)),
        }
    }

    /// The compress stage: zstd has compressed the tar stream up to offset
    /// `upto`. Reports the file data up to there, if that is more than
    /// before.
    pub fn compressed(&self, upto: u64) {
        let done = {
            let mut m = self.marks.lock().unwrap_or_else(|e| e.into_inner());
            let mut done = m.reported;
            while let Some(&(at, d)) = m.pending.front() {
                if at > upto {
                    break;
                }
                done = done.max(d);
                m.pending.pop_front();
            }
            if done == m.reported {
                return;
            }
            m.reported = done;
            done
        };
        (self.report)(done);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_data_counts_once_it_is_compressed_not_when_it_is_read() {
        let heard = Mutex::new(Vec::new());
        let report = |n| heard.lock().unwrap().push(n);
        let t = Tally::new(&report);
        // Three files of 1000 bytes, each after a 512-byte header and
        // padded to 512, all read before zstd has compressed anything.
        t.read(512 + 1000, 1000);
        t.read(1536 + 512 + 1000, 2000);
        t.read(3072 + 512 + 1000, 3000);
        assert!(heard.lock().unwrap().is_empty(), "nothing compressed yet");
        t.compressed(1000);
        assert!(heard.lock().unwrap().is_empty(), "not through the first file");
        t.compressed(2000);
        t.compressed(2500);
        t.compressed(3100);
        assert_eq!(*heard.lock().unwrap(), [1000, 2000], "no report without news");
        t.compressed(u64::MAX);
        assert_eq!(*heard.lock().unwrap(), [1000, 2000, 3000]);
    }

    #[test]
    fn marks_at_the_same_offset_merge_and_never_go_back() {
        let heard = Mutex::new(Vec::new());
        let report = |n| heard.lock().unwrap().push(n);
        let t = Tally::new(&report);
        t.read(1024, 10);
        t.read(1024, 500);
        t.read(1024, 400);
        t.compressed(1024);
        t.compressed(1024);
        assert_eq!(*heard.lock().unwrap(), [500]);
    }
}
