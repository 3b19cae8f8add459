//! Two `MsrpSession`s on a real loopback TCP connection (std::net, two threads, the
//! real clock driving their timers): one sends a 50 MB pseudo-random file twice, in
//! chunks of 2 KiB and then of 64 KiB, each with `Success-Report: yes`; the other
//! receives both into the sink (RFC 4975 sections 7.1 to 7.3). The receiver's size
//! and SHA-256 of each reassembled body must be the file's, every chunk must be
//! answered 200 and each message must get its REPORT with status 200 and the whole
//! Byte-Range (section 7.1.3). No SIP: the paths and roles are given directly. The
//! receiver hands each read over whole (`MsrpSession::handle_bytes_owned`), so the
//! chunks are read in place and cut where the socket's reads fall; the sender's
//! session copies its reads (`handle_bytes`).

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use cpm_client::bytes::BytesMut;
use cpm_client::msrp::{ByteRange, MsrpEvent, MsrpSession, MsrpSessionConfig, ReceivePolicy};
use cpm_client::sdp::Setup;
use sha2::{Digest, Sha256};

const SIZE: usize = 50 * 1000 * 1000;
const CHUNK_SIZES: [usize; 2] = [2 * 1024, 64 * 1024];
const SENDER: &str = "msrp://127.0.0.1:7001/sender4711abcdef;tcp";
const RECEIVER: &str = "msrp://127.0.0.1:7002/receiver0815fedcba;tcp";
/// A bound on the whole exchange, so that a bug fails the test instead of hanging it.
const GIVE_UP: Duration = Duration::from_secs(600);
/// The most one read takes from the socket.
const READ_SIZE: usize = 64 * 1024;

/// A file of `len` pseudo-random bytes, the same for every run: a block of 1 MiB
/// from xorshift64*, then copies of it each starting at another pseudo-random offset
/// (cheap in a debug build, and no two MiB of the file alike).
fn file(len: usize) -> Vec<u8> {
    const BLOCK: usize = 1 << 20;
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let mut block = Vec::with_capacity(BLOCK);
    while block.len() < BLOCK {
        block.extend_from_slice(&next().to_le_bytes());
    }
    let mut out = Vec::with_capacity(len + BLOCK);
    out.extend_from_slice(&block);
    while out.len() < len {
        let at = (next() % BLOCK as u64) as usize;
        out.extend_from_slice(&block[at..]);
        out.extend_from_slice(&block[..at]);
    }
    out.truncate(len);
    out
}

/// A session on its connection: writes what it has to send, reads with a timeout
/// no later than its next timer, fires its timers.
struct Link {
    stream: TcpStream,
    session: MsrpSession,
    buffer: BytesMut,
    out: Vec<u8>,
    /// Whether each read is handed over whole (`handle_bytes_owned`, read in place)
    /// rather than copied (`handle_bytes`).
    owned: bool,
}

impl Link {
    fn new(stream: TcpStream, session: MsrpSession, owned: bool) -> Link {
        stream.set_nodelay(true).unwrap();
        Link {
            stream,
            session,
            buffer: BytesMut::with_capacity(READ_SIZE),
            out: Vec::new(),
            owned,
        }
    }

    /// One turn; `false` once the peer closed.
    fn turn(&mut self) -> io::Result<bool> {
        // What there is to send goes in one write.
        self.out.clear();
        while let Some(bytes) = self.session.poll_transmit(Instant::now()) {
            self.out.extend_from_slice(&bytes);
        }
        if !self.out.is_empty() {
            self.stream.write_all(&self.out)?;
        }
        let now = Instant::now();
        let tick = Duration::from_millis(20);
        let wait = self
            .session
            .poll_timeout()
            .map_or(tick, |at| at.saturating_duration_since(now).min(tick))
            .max(Duration::from_millis(1));
        self.stream.set_read_timeout(Some(wait))?;
        self.buffer.resize(READ_SIZE, 0);
        let open = match self.stream.read(&mut self.buffer) {
            Ok(0) => false,
            Ok(n) if self.owned => {
                self.buffer.truncate(n);
                let read = self.buffer.split().freeze();
                self.session.handle_bytes_owned(Instant::now(), read);
                true
            }
            Ok(n) => {
                self.session.handle_bytes(Instant::now(), &self.buffer[..n]);
                true
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                true
            }
            Err(e) => return Err(e),
        };
        let now = Instant::now();
        if self.session.poll_timeout().is_some_and(|at| at <= now) {
            self.session.handle_timeout(now);
        }
        Ok(open)
    }
}

/// What the receiver saw of one message whole.
#[derive(Debug, PartialEq, Eq)]
struct Received {
    content_type: String,
    size: u64,
    sha256: Vec<u8>,
}

/// The passive end: takes the connection, receives `count` messages into the sink,
/// hashing them as they come, and runs until the sender closes.
fn receive(listener: TcpListener, count: usize) -> Vec<Received> {
    let (stream, _) = listener.accept().unwrap();
    let mut config = MsrpSessionConfig::new(RECEIVER, SENDER, Setup::Passive);
    config.receive = ReceivePolicy::Sink;
    config.accept_types = vec!["application/octet-stream".into()];
    // The receiver hands its reads over whole; the sender copies them.
    let mut link = Link::new(stream, MsrpSession::new(config), true);
    let mut hashing: HashMap<Arc<str>, (Sha256, u64)> = HashMap::new();
    let mut done = Vec::new();
    let give_up = Instant::now() + GIVE_UP;
    loop {
        assert!(Instant::now() < give_up, "receiver: gave up");
        let open = link.turn().unwrap();
        while let Some(event) = link.session.poll_event() {
            match event {
                MsrpEvent::Data {
                    message_id,
                    offset,
                    data,
                } => {
                    let (hasher, next) = hashing.entry(message_id).or_default();
                    assert_eq!(offset, *next, "sink data in order, each byte once");
                    *next += data.len() as u64;
                    hasher.update(&data);
                }
                MsrpEvent::MessageReceived(message) => {
                    assert!(message.body.is_none(), "sink mode hands out no body");
                    let (hasher, delivered) =
                        hashing.remove(&message.message_id).unwrap_or_default();
                    assert_eq!(delivered, message.size);
                    done.push(Received {
                        content_type: message.content_type.to_string(),
                        size: message.size,
                        sha256: hasher.finalize().to_vec(),
                    });
                }
                MsrpEvent::MessageInterrupted { .. }
                | MsrpEvent::MessageRefused { .. }
                | MsrpEvent::Malformed { .. }
                | MsrpEvent::StreamFailed { .. } => panic!("receiver: {event:?}"),
                _ => {}
            }
        }
        if !open {
            assert_eq!(done.len(), count, "the sender closed early");
            return done;
        }
    }
}

#[test]
fn fifty_megabytes_over_loopback_tcp_in_2k_and_64k_chunks() {
    let started = Instant::now();
    let content = bytes_of(file(SIZE));
    let expected = Sha256::digest(&content).to_vec();

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let receiver = thread::spawn(move || receive(listener, CHUNK_SIZES.len()));

    let stream = TcpStream::connect(address).unwrap();
    let mut config = MsrpSessionConfig::new(SENDER, RECEIVER, Setup::Active);
    config.report_timeout = Some(Duration::from_secs(60));
    let mut link = Link::new(stream, MsrpSession::new(config), false);
    let give_up = Instant::now() + GIVE_UP;
    let mut established = false;
    let mut reports = Vec::new();
    for chunk_size in CHUNK_SIZES {
        let message = link
            .session
            .message("application/octet-stream", content.clone())
            .chunk_size(chunk_size)
            .success_report(true);
        let id = link.session.send(message).unwrap();
        let (mut acknowledged, mut report) = (0u64, None);
        let mut all_answered = false;
        while !(all_answered && report.is_some()) {
            assert!(Instant::now() < give_up, "sender: gave up");
            assert!(link.turn().unwrap(), "the receiver closed");
            while let Some(event) = link.session.poll_event() {
                match event {
                    MsrpEvent::Established => established = true,
                    MsrpEvent::SendProgress {
                        message_id,
                        acknowledged: bytes,
                        total,
                    } if message_id == id => {
                        assert!(bytes > acknowledged && total == SIZE as u64);
                        acknowledged = bytes;
                    }
                    MsrpEvent::MessageAcknowledged { message_id } if message_id == id => {
                        all_answered = true;
                    }
                    MsrpEvent::ReportReceived {
                        message_id,
                        code,
                        byte_range,
                    } if message_id == id => report = Some((code, byte_range)),
                    MsrpEvent::SendFailed { .. }
                    | MsrpEvent::ReportTimedOut { .. }
                    | MsrpEvent::Malformed { .. }
                    | MsrpEvent::StreamFailed { .. } => panic!("sender: {event:?}"),
                    _ => {}
                }
            }
        }
        assert_eq!(acknowledged, SIZE as u64, "every chunk answered 200");
        reports.push(report);
    }
    assert!(established, "the first SEND was answered");
    drop(link);
    let received = receiver.join().unwrap();

    let whole = ByteRange::whole(SIZE as u64);
    assert_eq!(reports, vec![Some((200, Some(whole))); CHUNK_SIZES.len()]);
    for message in &received {
        assert_eq!(message.content_type, "application/octet-stream");
        assert_eq!(message.size, SIZE as u64);
        assert_eq!(message.sha256, expected, "SHA-256 of the reassembled body");
    }
    assert_eq!(received.len(), CHUNK_SIZES.len());
    eprintln!(
        "msrp_loopback: 2 x {SIZE} bytes in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn bytes_of(content: Vec<u8>) -> cpm_client::bytes::Bytes {
    cpm_client::bytes::Bytes::from(content)
}
