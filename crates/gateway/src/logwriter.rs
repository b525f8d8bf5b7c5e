//! The log's writer, off the request path. A request thread formats its log
//! line into memory and hands it to a bounded channel; one thread of its own
//! writes the lines to stderr, as many as are queued per write. No request
//! waits on the terminal, a pipe or a slow log collector: when the queue is
//! full the line is dropped and counted, and the count is written when lines
//! flow again. [`Guard`] writes out what is queued when the process ends.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// Lines waiting to be written before new ones are dropped.
pub const QUEUE: usize = 16_384;

enum Message {
    Line(Vec<u8>),
    /// Write out everything before this, then answer.
    Flush(SyncSender<()>),
}

/// Hands formatted lines to the writer thread (a `MakeWriter` for
/// `tracing_subscriber`).
#[derive(Clone)]
pub struct NonBlocking {
    tx: SyncSender<Message>,
    dropped: Arc<AtomicU64>,
}

/// Writes out the queued lines when dropped (at the end of `main`), waiting
/// at most a second.
pub struct Guard(NonBlocking);

impl Drop for Guard {
    fn drop(&mut self) {
        let (done, wait) = sync_channel(1);
        if self.0.tx.send(Message::Flush(done)).is_ok() {
            let _ = wait.recv_timeout(Duration::from_secs(1));
        }
    }
}

/// A writer of `sink` on a thread of its own, queueing up to `capacity`
/// lines.
pub fn spawn<W: Write + Send + 'static>(sink: W, capacity: usize) -> (NonBlocking, Guard) {
    let (tx, rx) = sync_channel(capacity);
    let dropped = Arc::new(AtomicU64::new(0));
    let counted = dropped.clone();
    let spawned = std::thread::Builder::new()
        .name("log-writer".to_owned())
        .spawn(move || write_lines(rx, sink, &counted));
    if let Err(e) = spawned {
        eprintln!("branchline: cannot start the log writer: {e}");
    }
    let writer = NonBlocking { tx, dropped };
    (writer.clone(), Guard(writer))
}

/// The writer thread: each batch of queued lines in one write, then a note
/// of any lines dropped since the last one.
fn write_lines<W: Write>(rx: Receiver<Message>, sink: W, dropped: &AtomicU64) {
    let mut out = io::BufWriter::with_capacity(64 * 1024, sink);
    let mut reported = 0;
    while let Ok(first) = rx.recv() {
        let mut acks = Vec::new();
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Line(line) => {
                    let _ = out.write_all(&line);
                }
                Message::Flush(ack) => acks.push(ack),
            }
            next = rx.try_recv().ok();
        }
        let lost = dropped.load(Ordering::Relaxed);
        if lost > reported {
            let _ = writeln!(
                out,
                "branchline: {} log lines dropped: the log could not keep up",
                lost - reported
            );
            reported = lost;
        }
        let _ = out.flush();
        for ack in acks {
            let _ = ack.send(());
        }
    }
}

/// One log line being formatted; queued whole when dropped.
pub struct Line {
    buf: Vec<u8>,
    to: NonBlocking,
}

impl Write for Line {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let line = std::mem::take(&mut self.buf);
        if let Err(TrySendError::Full(_)) = self.to.tx.try_send(Message::Line(line)) {
            self.to.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl<'a> MakeWriter<'a> for NonBlocking {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line {
            buf: Vec::with_capacity(256),
            to: self.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A sink the test can read, and can hold shut.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn text(s: &Shared) -> String {
        String::from_utf8(s.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn lines_arrive_whole_and_in_order_and_the_guard_writes_them_out() {
        let sink = Shared::default();
        let (writer, guard) = spawn(sink.clone(), 64);
        for i in 0..10 {
            let mut line = writer.make_writer();
            write!(line, "line {i}").unwrap();
            writeln!(line, " ends").unwrap();
        }
        drop(guard);
        let expected: String = (0..10).map(|i| format!("line {i} ends\n")).collect();
        assert_eq!(text(&sink), expected);
    }

    #[test]
    fn a_full_queue_drops_lines_and_says_how_many() {
        let sink = Shared::default();
        // The sink is held shut so the writer thread stalls on its first
        // batch while the queue (of 2) fills.
        let held = sink.0.lock().unwrap();
        let (writer, guard) = spawn(sink.clone(), 2);
        for i in 0..50 {
            writeln!(writer.make_writer(), "line {i}").unwrap();
        }
        assert!(writer.dropped.load(Ordering::Relaxed) > 0);
        drop(held);
        // The next line goes through once the writer catches up, and the
        // loss is reported.
        std::thread::sleep(Duration::from_millis(50));
        writeln!(writer.make_writer(), "after").unwrap();
        drop(guard);
        let out = text(&sink);
        assert!(out.contains("log lines dropped"), "{out}");
        assert!(out.contains("after\n"), "{out}");
    }
}
