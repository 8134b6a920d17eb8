//! Bounded queues of byte blocks between the stages of the pack and open
//! pipelines.
//!
//! A queue holds at most `depth` full blocks; the producer blocks when it is
//! full, so memory stays flat however large the vault. Blocks the consumer
//! has emptied travel back to the producer and are filled again, so after
//! the first few no block is allocated (or its pages touched) anew.
//!
//! The producer ends the stream with [`BlockWriter::finish`] or reports a
//! failure with [`BlockWriter::fail`]; a producer that vanishes without
//! either shows up at the consumer as an error, never as a clean end. A
//! consumer that stops reading makes the producer's next send fail with
//! [`STAGE_STOPPED`].

use std::io::{self, BufRead, Read, Write};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};

/// The message of the error a producer gets when its consumer has stopped.
pub const STAGE_STOPPED: &str = "pipeline stage stopped";

/// A block travels with the count of bytes in it; its buffer keeps its full
/// length, so refilling never zeroes it again.
struct Block {
    buf: Vec<u8>,
    len: usize,
}

enum Msg {
    Data(Block),
    End,
    Failed(io::Error),
}

fn stopped() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, STAGE_STOPPED)
}

/// Whether `e` only says that the other side of a queue went away (its own
/// error is the one to report).
pub fn is_stage_stopped(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe && e.to_string() == STAGE_STOPPED
}

/// A queue of at most `depth` blocks of `block` bytes.
pub fn block_queue(depth: usize, block: usize) -> (BlockWriter, BlockReader) {
    let (tx, rx) = sync_channel(depth);
    let (back_tx, back_rx) = channel();
    (
        BlockWriter {
            tx,
            back: back_rx,
            cur: Block {
                buf: vec![0; block],
                len: 0,
            },
            size: block,
            blocks: Vec::new(),
            returned: Vec::new(),
            keep: depth + 2,
            sent: 0,
        },
        BlockReader {
            rx,
            back: back_tx,
            cur: Block {
                buf: Vec::new(),
                len: 0,
            },
            pos: 0,
            ended: false,
        },
    )
}

/// The producing end: a `Write` that sends every full block.
pub struct BlockWriter {
    tx: SyncSender<Msg>,
    back: Receiver<Vec<u8>>,
    cur: Block,
    /// The size of the blocks this side fills.
    size: usize,
    /// Emptied blocks back from the consumer, to fill again…
    blocks: Vec<Vec<u8>>,
    /// …and buffers of other sizes sent with [`BlockWriter::send_owned`].
    returned: Vec<Vec<u8>>,
    /// How many of each to keep (the rest are freed).
    keep: usize,
    /// Bytes sent so far.
    sent: u64,
}

impl BlockWriter {
    /// How many bytes have been written into the stream so far.
    pub fn position(&self) -> u64 {
        self.sent + self.cur.len as u64
    }

    /// The unfilled rest of the current block, to read into directly; then
    /// say how much was put there with [`BlockWriter::filled`].
    pub fn spare(&mut self) -> &mut [u8] {
        &mut self.cur.buf[self.cur.len..]
    }

    /// Marks `n` more bytes of the block as data (after [`BlockWriter::spare`])
    /// and returns them; the block is sent on the next call once full.
    pub fn filled(&mut self, n: usize) -> &[u8] {
        let start = self.cur.len;
        self.cur.len = (start + n).min(self.cur.buf.len());
        &self.cur.buf[start..self.cur.len]
    }

    /// Sends the current block if it is full.
    pub fn send_if_full(&mut self) -> io::Result<()> {
        if self.cur.len == self.cur.buf.len() {
            self.send_now()?;
        }
        Ok(())
    }

    fn send_now(&mut self) -> io::Result<()> {
        if self.cur.len == 0 {
            return Ok(());
        }
        self.take_back();
        let buf = self.blocks.pop().unwrap_or_else(|| vec![0; self.size]);
        let full = std::mem::replace(&mut self.cur, Block { buf, len: 0 });
        self.sent += full.len as u64;
        self.tx.send(Msg::Data(full)).map_err(|_| stopped())
    }

    /// Sorts what the consumer gave back so far.
    fn take_back(&mut self) {
        while let Ok(v) = self.back.try_recv() {
            let stash = if v.len() == self.size {
                &mut self.blocks
            } else {
                &mut self.returned
            };
            if stash.len() < self.keep {
                stash.push(v);
            }
        }
    }

    /// Sends `buf` whole as the next block, after everything written so
    /// far, without copying it. Once the consumer is done with it, it comes
    /// back through [`BlockWriter::returned`].
    pub fn send_owned(&mut self, buf: Vec<u8>) -> io::Result<()> {
        self.send_now()?;
        let len = buf.len();
        self.sent += len as u64;
        self.tx.send(Msg::Data(Block { buf, len })).map_err(|_| stopped())
    }

    /// A buffer sent with [`BlockWriter::send_owned`] that the consumer has
    /// finished with, if there is one yet.
    pub fn returned(&mut self) -> Option<Vec<u8>> {
        self.take_back();
        self.returned.pop()
    }

    /// Sends what is left and ends the stream cleanly.
    pub fn finish(mut self) -> io::Result<()> {
        self.send_now()?;
        self.tx.send(Msg::End).map_err(|_| stopped())
    }

    /// Ends the stream with `e`: the consumer's next read returns it.
    pub fn fail(self, e: io::Error) {
        let _ = self.tx.send(Msg::Failed(e));
    }
}

impl Write for BlockWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.send_if_full()?;
        let spare = self.spare();
        let n = data.len().min(spare.len());
        spare[..n].copy_from_slice(&data[..n]);
        self.cur.len += n;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The consuming end: a `Read`/`BufRead` over the blocks in order.
pub struct BlockReader {
    rx: Receiver<Msg>,
    back: Sender<Vec<u8>>,
    cur: Block,
    pos: usize,
    ended: bool,
}

impl BlockReader {
    /// Replaces the current block with the next one; false at a clean end.
    fn advance(&mut self) -> io::Result<bool> {
        while !self.ended {
            match self.rx.recv() {
                Ok(Msg::Data(b)) => {
                    let old = std::mem::replace(&mut self.cur, b);
                    if !old.buf.is_empty() {
                        let _ = self.back.send(old.buf);
                    }
                    self.pos = 0;
                    if self.cur.len > 0 {
                        return Ok(true);
                    }
                }
                Ok(Msg::End) => self.ended = true,
                Ok(Msg::Failed(e)) => return Err(e),
                Err(_) => return Err(stopped()),
            }
        }
        Ok(false)
    }
}

impl Read for BlockReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for BlockReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.cur.len && !self.advance()? {
            return Ok(&[]);
        }
        Ok(&self.cur.buf[self.pos..self.cur.len])
    }
    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.cur.len);
    }
}
