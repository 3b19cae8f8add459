//! One MSRP session (RFC 4975 sections 5 to 7) as a sans-IO state machine:
//! [`MsrpSession`].

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::BuildHasherDefault;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use sha1::{Digest, Sha1};

use super::frame::{KnownPaths, StartLine};
use super::reassembly::Ranges;
use super::{
    fresh_transaction_id, salvage_start_line, ByteRange, Continuation, FailureReport, MsrpContent,
    MsrpError, MsrpFrame, MsrpLimits, MsrpMessage, MsrpMethod, MsrpRequest, MsrpRequestWriter,
    MsrpResponse, MsrpResponseWriter, MsrpStatus, MsrpStreamError, MsrpStreamReader, MsrpUri,
    DEFAULT_CHUNK_SIZE,
};
use crate::error::BuildError;
use crate::ids::{IdGenerator, RandomIds};
use crate::mime::check_media_type;
use crate::sdp::{FileSelector, NegotiatedMsrp, Setup};

/// How long a SEND waits for its response before it fails (RFC 4975 section 7.1.1:
/// 30 seconds).
pub const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(30);

/// How many refused, and how many whole, Message-IDs a session remembers, to answer
/// their later chunks (repeats, retransmissions) the same way without an event each.
const REFUSED_MEMORY: usize = 32;

/// Where the chunks of an incoming message go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReceiveMode {
    /// Into one buffer, handed out whole in [`MsrpEvent::MessageReceived`]: for chat
    /// messages. Memory: the message's size.
    Buffer,
    /// Out as they come, in order, in [`MsrpEvent::Data`] events, then a
    /// [`MsrpEvent::MessageReceived`] without body: for files. Memory: the chunks
    /// that arrive ahead of a gap, up to
    /// [`MsrpSessionConfig::max_pending_bytes`].
    Sink,
}

/// How a session chooses the [`ReceiveMode`] of a new incoming message (the
/// application may switch a message to [`ReceiveMode::Sink`] later with
/// [`MsrpSession::receive_into_sink`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReceivePolicy {
    /// Every message into a buffer.
    #[default]
    Buffer,
    /// Every message into the sink.
    Sink,
    /// Into the sink when the Byte-Range total is above this many bytes or unknown,
    /// else into a buffer.
    SinkAbove(u64),
}

/// What a received file should be: from the `a=file-selector` of the SDP (RFC 5547
/// section 6), checked when the message is whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ExpectedFile {
    /// The size selector.
    pub size: Option<u64>,
    /// The `sha-1` hash selector.
    pub sha1: Option<[u8; 20]>,
}

impl ExpectedFile {
    /// The size and SHA-1 of a file-selector; a hash of another algorithm, or that is
    /// not 20 hex pairs, is not checked.
    ///
    /// ```
    /// use cpm_client::msrp::ExpectedFile;
    /// use cpm_client::sdp::{FileHash, FileSelector};
    ///
    /// let selector = FileSelector::new("a.txt", "text/plain", 3).with_hash(FileHash::sha1(&[0xab; 20]));
    /// let expected = ExpectedFile::from_selector(&selector);
    /// assert_eq!(expected, ExpectedFile { size: Some(3), sha1: Some([0xab; 20]) });
    /// ```
    pub fn from_selector(selector: &FileSelector<'_>) -> ExpectedFile {
        let sha1 = selector
            .hash
            .as_ref()
            .filter(|h| h.algorithm.eq_ignore_ascii_case("sha-1"))
            .and_then(|h| {
                let mut digest = [0u8; 20];
                let mut pairs = h.value.split(':');
                for byte in &mut digest {
                    let pair = pairs.next()?;
                    if pair.len() != 2 {
                        return None;
                    }
                    *byte = u8::from_str_radix(pair, 16).ok()?;
                }
                pairs.next().is_none().then_some(digest)
            });
        ExpectedFile {
            size: selector.size,
            sha1,
        }
    }
}

/// What a received file was checked against, when the session was given an
/// [`ExpectedFile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileCheck {
    /// Whether the size is the expected one (`None`: no size expected).
    pub size_matches: Option<bool>,
    /// Whether the SHA-1 is the expected one (`None`: no hash expected).
    pub sha1_matches: Option<bool>,
}

impl FileCheck {
    /// Whether nothing that was checked failed.
    pub fn is_ok(&self) -> bool {
        self.size_matches != Some(false) && self.sha1_matches != Some(false)
    }
}

/// A whole message received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// Its Message-ID.
    pub message_id: Arc<str>,
    /// Its Content-Type as the first chunk gave it.
    pub content_type: Arc<str>,
    /// Its size in bytes.
    pub size: u64,
    /// The content, reassembled, in [`ReceiveMode::Buffer`]; `None` in
    /// [`ReceiveMode::Sink`], where it went out in [`MsrpEvent::Data`].
    pub body: Option<Bytes>,
    /// The file check, when the session expects a file.
    pub file_check: Option<FileCheck>,
}

/// What happened in a session, for the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MsrpEvent {
    /// The connection is bound to the session: the active end had its first SEND
    /// answered 200, the passive end received a first request for the session (RFC
    /// 4975 section 5.4).
    Established,
    /// The first chunk of a message that takes several arrived.
    MessageStarted {
        /// Its Message-ID.
        message_id: Arc<str>,
        /// Its Content-Type.
        content_type: Arc<str>,
        /// Its size, when the Byte-Range says it.
        total: Option<u64>,
        /// Where its chunks go.
        mode: ReceiveMode,
    },
    /// A chunk of a message that is not whole yet: progress.
    ChunkReceived {
        /// The Message-ID.
        message_id: Arc<str>,
        /// Bytes received so far (overlaps and repeats counted once).
        received: u64,
        /// The size, when known.
        total: Option<u64>,
    },
    /// Content of a message in [`ReceiveMode::Sink`], in order: the bytes at
    /// `offset` (0-based) of the message, each byte once.
    Data {
        /// The Message-ID.
        message_id: Arc<str>,
        /// Where `data` starts in the message.
        offset: u64,
        /// The bytes (a slice of what was read: no copy).
        data: Bytes,
    },
    /// A whole message.
    MessageReceived(ReceivedMessage),
    /// The sender abandoned a message (a chunk flagged `#`); what had come of it is
    /// dropped.
    MessageInterrupted {
        /// The Message-ID.
        message_id: Arc<str>,
        /// Bytes that had come.
        received: u64,
    },
    /// A message this session refused: 413 (over `max-size`, the buffer limit or the
    /// number of messages under way) or 415 (a type outside accept-types), answered
    /// to its chunks (RFC 4975 sections 7.3.1, 10.5, 10.6).
    MessageRefused {
        /// The Message-ID.
        message_id: Arc<str>,
        /// 413 or 415.
        code: u16,
    },
    /// A chunk of an outgoing message was answered 200.
    SendProgress {
        /// The Message-ID.
        message_id: Arc<str>,
        /// Bytes acknowledged so far.
        acknowledged: u64,
        /// The message's size.
        total: u64,
    },
    /// The last chunk of an outgoing message was handed out by
    /// [`MsrpSession::poll_transmit`].
    MessageSent {
        /// The Message-ID.
        message_id: Arc<str>,
    },
    /// Every chunk of an outgoing message was answered 200 (only with
    /// `Failure-Report: yes`, where responses come).
    MessageAcknowledged {
        /// The Message-ID.
        message_id: Arc<str>,
    },
    /// A REPORT on an outgoing message (RFC 4975 section 7.1.2).
    ReportReceived {
        /// The Message-ID.
        message_id: Arc<str>,
        /// The Status code (200 for success).
        code: u16,
        /// The bytes reported on.
        byte_range: Option<ByteRange>,
    },
    /// No success REPORT came within [`MsrpSessionConfig::report_timeout`].
    ReportTimedOut {
        /// The Message-ID.
        message_id: Arc<str>,
    },
    /// An outgoing message failed: a chunk was answered with an error (413: the
    /// receiver wants no more of it, RFC 4975 section 10.5), or no response came in
    /// time (408, RFC 4975 section 7.1.1). No more of its chunks are sent. The first
    /// SEND of the active end fails this way too (its Message-ID is the session's).
    SendFailed {
        /// The Message-ID.
        message_id: Arc<str>,
        /// The response's code, or 408 for a timeout.
        code: u16,
        /// The response's comment.
        comment: Option<String>,
    },
    /// A message that did not read; a request was answered 400 if its start line
    /// read.
    Malformed {
        /// What was wrong.
        error: MsrpError,
    },
    /// The byte stream broke (RFC 4975 framing, or a head over the limit): close the
    /// connection. Given once; later bytes are dropped.
    StreamFailed {
        /// What was wrong.
        error: MsrpStreamError,
    },
}

/// Misuse of [`MsrpSession::send`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MsrpSessionError {
    /// A value outside its grammar.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The message is over the peer's `a=max-size` (RFC 4975 section 8.6).
    #[error("message of {size} bytes is over the peer's max-size of {limit}")]
    TooLargeForPeer {
        /// The message's size.
        size: u64,
        /// The peer's limit.
        limit: u64,
    },
    /// The message's From-Path is not the session's local path.
    #[error("the message's From-Path is not the session's path")]
    OtherFromPath,
}

/// How a session is set up: the paths and roles of the SDP offer/answer (RFC 4975
/// section 8, RFC 4145, RFC 6135) and its limits.
///
/// ```
/// use cpm_client::msrp::{MsrpSessionConfig, ReceivePolicy};
/// use cpm_client::sdp::Setup;
///
/// let mut config = MsrpSessionConfig::new(
///     "msrp://192.0.2.10:2855/a1b2;tcp",
///     "msrp://192.0.2.20:2855/z9y8;tcp",
///     Setup::Active,
/// );
/// config.accept_types = vec!["message/cpim".into()];
/// config.receive = ReceivePolicy::SinkAbove(1 << 20);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MsrpSessionConfig {
    /// This end's MSRP URI (its `a=path`): the From-Path of what it sends, and what
    /// the To-Path of what it receives must be (else 481, RFC 4975 section 7.3).
    pub local_path: String,
    /// The peer's `a=path` (one or more URIs): the To-Path of what this end sends.
    pub remote_path: String,
    /// This end's role (RFC 4145, RFC 6135): `Active` connects and sends a first SEND
    /// at once, empty when there is nothing to send (RFC 4975 section 5.4); `Passive`
    /// sends nothing until a request of the peer has bound the connection.
    pub setup: Setup,
    /// This end's `a=accept-types` (`*`, `type/*`, `type/subtype`); empty accepts
    /// everything. A message of another type is answered 415.
    pub accept_types: Vec<String>,
    /// This end's `a=max-size`: a message larger than it is answered 413.
    pub max_size: Option<u64>,
    /// The peer's `a=max-size`: [`MsrpSession::send`] refuses larger messages.
    pub peer_max_size: Option<u64>,
    /// Content bytes per SEND chunk ([`DEFAULT_CHUNK_SIZE`]) unless the message sets
    /// its own.
    pub chunk_size: usize,
    /// How long a SEND waits for its response ([`TRANSACTION_TIMEOUT`]).
    pub transaction_timeout: Duration,
    /// How long a message sent with `Success-Report: yes` waits for its REPORT after
    /// its last chunk was acknowledged (`None`: as long as the session lives).
    pub report_timeout: Option<Duration>,
    /// How the [`ReceiveMode`] of a new message is chosen.
    pub receive: ReceivePolicy,
    /// The largest message received into a buffer (32 MiB); larger ones, in buffer
    /// mode, are answered 413.
    pub max_buffered_size: u64,
    /// In sink mode, the bytes held ahead of a gap (chunks out of order), 4 MiB; past
    /// it the message is answered 413.
    pub max_pending_bytes: u64,
    /// How many incoming messages may be under way at once (16); the first chunk of
    /// one more is answered 413.
    pub max_incoming: usize,
    /// How many SEND transactions may await their response at once (64).
    pub max_in_flight: usize,
    /// What each whole message received should be (a file transfer: the offer's
    /// file-selector), checked into [`ReceivedMessage::file_check`].
    pub expected_file: Option<ExpectedFile>,
    /// The stream reader's limits.
    pub limits: MsrpLimits,
}

impl MsrpSessionConfig {
    /// A session between `local_path` and `remote_path` where this end is `setup`,
    /// everything else by default.
    pub fn new(local_path: &str, remote_path: &str, setup: Setup) -> MsrpSessionConfig {
        MsrpSessionConfig {
            local_path: local_path.to_owned(),
            remote_path: remote_path.to_owned(),
            setup,
            accept_types: Vec::new(),
            max_size: None,
            peer_max_size: None,
            chunk_size: DEFAULT_CHUNK_SIZE,
            transaction_timeout: TRANSACTION_TIMEOUT,
            report_timeout: None,
            receive: ReceivePolicy::Buffer,
            max_buffered_size: 32 << 20,
            max_pending_bytes: 4 << 20,
            max_incoming: 16,
            max_in_flight: 64,
            expected_file: None,
            limits: MsrpLimits::DEFAULT,
        }
    }

    /// The session an offer/answer set up ([`NegotiatedMsrp`]): paths, role,
    /// accept-types and both max-sizes. A file-transfer session receives into the
    /// sink; [`check_file`](Self::check_file) asks for the file-selector's checks.
    pub fn from_negotiated(negotiated: &NegotiatedMsrp) -> MsrpSessionConfig {
        let mut config = MsrpSessionConfig::new(
            &negotiated.local_path,
            &negotiated.remote_path,
            negotiated.setup,
        );
        config.accept_types = negotiated.accept_types.clone();
        config.max_size = negotiated.max_size;
        config.peer_max_size = negotiated.remote_max_size;
        if negotiated.file_selector.is_some() {
            config.receive = ReceivePolicy::Sink;
        }
        config
    }

    /// Checks every message received against the size and SHA-1 of `selector`.
    pub fn check_file(mut self, selector: &FileSelector<'_>) -> MsrpSessionConfig {
        self.expected_file = Some(ExpectedFile::from_selector(selector));
        self
    }
}

/// An incoming message under way.
struct Incoming {
    id: Arc<str>,
    content_type: Arc<str>,
    total: Option<u64>,
    received: Ranges,
    sink: Option<Sink>,
    buffer: Vec<u8>,
    success_report: bool,
    /// The From-Path of its first chunk: the To-Path of the REPORT.
    report_to: Option<Box<str>>,
}

/// The sink of an incoming message: what has gone out, what waits for a gap.
struct Sink {
    delivered: u64,
    pending: BTreeMap<u64, Bytes>,
    pending_bytes: u64,
    hasher: Option<Sha1>,
}

/// An outgoing message not yet done.
struct Outgoing {
    id: Arc<str>,
    content_type: String,
    content: Bytes,
    chunk_size: usize,
    next: u64,
    total: u64,
    success_report: bool,
    failure_report: FailureReport,
    acknowledged: u64,
    outstanding: usize,
    all_sent: bool,
}

/// A SEND awaiting its response.
struct Transaction {
    message_id: Arc<str>,
    len: u64,
    deadline: Instant,
    bootstrap: bool,
    /// `Failure-Report: partial`: no 200 comes, silence past the deadline is success.
    partial: bool,
}

/// One MSRP session, sans-IO: the bytes of its connection in
/// ([`handle_bytes`](Self::handle_bytes), or whole messages with
/// [`handle_frame`](Self::handle_frame)), messages to send in
/// ([`send`](Self::send)); bytes to write out of [`poll_transmit`](Self::poll_transmit),
/// [`MsrpEvent`]s out of [`poll_event`](Self::poll_event), and timers through
/// [`poll_timeout`](Self::poll_timeout) and [`handle_timeout`](Self::handle_timeout),
/// as quinn-proto does. It never reads a clock.
///
/// # Receiving (RFC 4975 sections 7.2, 7.3)
///
/// A request whose To-Path does not start with the local path is answered 481; a
/// method other than SEND and REPORT 501; a SEND without Message-ID, or whose
/// Byte-Range runs past its total, 400. Chunks are put together by Message-ID and
/// Byte-Range, in any order, repeated or overlapping bytes counted once (the first
/// copy wins in sink mode, the last in buffer mode). Each SEND is answered 200 unless
/// its Failure-Report is `no` or `partial` (then only errors are answered). A whole
/// message sent with `Success-Report: yes` gets a REPORT with `Status: 000 200 OK`
/// and the Byte-Range of the whole message. A chunk flagged `#` drops the message.
///
/// # Sending (RFC 4975 section 7.1)
///
/// [`send`](Self::send) queues a message; each call to `poll_transmit` hands out one
/// SEND chunk (messages take turns chunk by chunk), with a fresh transaction id of 64
/// random bits and its Byte-Range, at most
/// [`max_in_flight`](MsrpSessionConfig::max_in_flight) awaiting their 200. A chunk
/// answered with an error, or unanswered within the transaction timeout, fails its
/// message. The active end first sends an empty SEND (RFC 4975 section 5.4).
///
/// ```
/// use std::time::Instant;
/// use cpm_client::msrp::{MsrpEvent, MsrpSession, MsrpSessionConfig};
/// use cpm_client::sdp::Setup;
///
/// let (a, b) = ("msrp://192.0.2.10:2855/a1b2;tcp", "msrp://192.0.2.20:2855/z9y8;tcp");
/// let mut alice = MsrpSession::new(MsrpSessionConfig::new(a, b, Setup::Active));
/// let mut bob = MsrpSession::new(MsrpSessionConfig::new(b, a, Setup::Passive));
/// let now = Instant::now();
/// let id = alice.send(alice.message("text/plain", "Hi, I'm Alice!"))?;
/// // Wire them back to back until nothing moves.
/// loop {
///     let mut moved = false;
///     while let Some(bytes) = alice.poll_transmit(now) { bob.handle_bytes(now, &bytes); moved = true; }
///     while let Some(bytes) = bob.poll_transmit(now) { alice.handle_bytes(now, &bytes); moved = true; }
///     if !moved { break; }
/// }
/// let received: Vec<MsrpEvent> = std::iter::from_fn(|| bob.poll_event()).collect();
/// assert!(received.iter().any(|e| matches!(e,
///     MsrpEvent::MessageReceived(m) if m.body.as_deref() == Some(&b"Hi, I'm Alice!"[..]))));
/// let sent: Vec<MsrpEvent> = std::iter::from_fn(|| alice.poll_event()).collect();
/// assert!(sent.contains(&MsrpEvent::MessageAcknowledged { message_id: id }));
/// # Ok::<(), cpm_client::msrp::MsrpSessionError>(())
/// ```
pub struct MsrpSession {
    config: MsrpSessionConfig,
    ids: Box<dyn IdGenerator + Send>,
    reader: MsrpStreamReader,
    out: BytesMut,
    transmits: VecDeque<Bytes>,
    events: VecDeque<MsrpEvent>,
    incoming: HashMap<Arc<str>, Incoming, BuildHasherDefault<IdHasher>>,
    refused: VecDeque<(Arc<str>, u16)>,
    completed: VecDeque<Arc<str>>,
    outgoing: VecDeque<Outgoing>,
    reports: Vec<(Arc<str>, u64, Option<Instant>)>,
    transactions: HashMap<String, Transaction>,
    /// The active end's first SEND: still to send.
    bootstrap_due: bool,
    established: bool,
    /// Whether [`MsrpEvent::StreamFailed`] was given (once).
    stream_failed: bool,
    /// Whether the local path is a path (checked once): responses to requests read
    /// are then written without checking their fields again.
    local_path_valid: bool,
    /// The paths of the last request or response read from the connection that were
    /// well-formed: the next chunks of a message carry the same ones.
    known_paths: KnownPaths,
    /// The last 200 written, but for its transaction id.
    ok_template: OkTemplate,
}

/// The hasher of the map of messages being received, keyed by Message-ID: FNV-1a,
/// which costs a fraction of the default hasher on ids of a few dozen bytes and is
/// looked up at every chunk. Ids chosen to collide cost no more than a scan of the
/// map, which holds at most [`MsrpSessionConfig::max_incoming`] messages.
#[derive(Debug, Clone, Copy)]
struct IdHasher(u64);

impl Default for IdHasher {
    fn default() -> IdHasher {
        IdHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A 200 response to requests from one path (RFC 4975 section 7.2), but for the
/// transaction id, which goes before and after `tail`.
#[derive(Debug, Clone, Default)]
struct OkTemplate {
    /// The first URI of the requests' From-Path: the response's To-Path.
    to: Vec<u8>,
    /// ` 200 OK`, the two paths, and the end-line's dashes.
    tail: Vec<u8>,
}

impl OkTemplate {
    fn new(to: &[u8], local_path: &str) -> OkTemplate {
        let mut tail = Vec::with_capacity(40 + to.len() + local_path.len());
        tail.extend_from_slice(b" 200 OK\r\nTo-Path: ");
        tail.extend_from_slice(to);
        tail.extend_from_slice(b"\r\nFrom-Path: ");
        tail.extend_from_slice(local_path.as_bytes());
        tail.extend_from_slice(b"\r\n-------");
        OkTemplate {
            to: to.to_vec(),
            tail,
        }
    }
}

impl std::fmt::Debug for MsrpSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MsrpSession")
            .field("local_path", &self.config.local_path)
            .field("remote_path", &self.config.remote_path)
            .field("established", &self.established)
            .field("incoming", &self.incoming.len())
            .field("outgoing", &self.outgoing.len())
            .field("transactions", &self.transactions.len())
            .finish_non_exhaustive()
    }
}

impl MsrpSession {
    /// A session drawing its identifiers from [`RandomIds`].
    pub fn new(config: MsrpSessionConfig) -> MsrpSession {
        MsrpSession::with_ids(config, RandomIds::new())
    }

    /// A session drawing transaction and message ids from `ids` (an application with
    /// a cryptographic generator passes it here; tests pass
    /// [`SequentialIds`](crate::ids::SequentialIds)).
    pub fn with_ids(
        config: MsrpSessionConfig,
        ids: impl IdGenerator + Send + 'static,
    ) -> MsrpSession {
        let reader = MsrpStreamReader::with_limits(config.limits);
        let local_path_valid = super::check_path("From-Path", &config.local_path).is_ok();
        MsrpSession {
            local_path_valid,
            known_paths: KnownPaths::default(),
            ok_template: OkTemplate::default(),
            bootstrap_due: config.setup == Setup::Active,
            config,
            ids: Box::new(ids),
            reader,
            out: BytesMut::with_capacity(8 * 1024),
            transmits: VecDeque::with_capacity(64),
            events: VecDeque::with_capacity(64),
            incoming: HashMap::default(),
            refused: VecDeque::with_capacity(REFUSED_MEMORY),
            completed: VecDeque::with_capacity(REFUSED_MEMORY),
            outgoing: VecDeque::new(),
            reports: Vec::new(),
            transactions: HashMap::new(),
            established: false,
            stream_failed: false,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &MsrpSessionConfig {
        &self.config
    }

    /// Whether the connection is bound to the session ([`MsrpEvent::Established`]).
    pub fn is_established(&self) -> bool {
        self.established
    }

    /// A message from this session's path, ready for [`send`](Self::send).
    pub fn message(&self, content_type: &str, content: impl Into<Bytes>) -> MsrpMessage {
        MsrpMessage::new(&self.config.local_path, content_type, content)
            .chunk_size(self.config.chunk_size)
    }

    /// Queues `message` for sending; returns its Message-ID (the one set on it, or a
    /// fresh one), which the events about it carry.
    ///
    /// # Errors
    ///
    /// [`MsrpSessionError`] for a message the session cannot send: a value outside
    /// its grammar, a size over the peer's max-size, another From-Path.
    pub fn send(&mut self, message: MsrpMessage) -> Result<Arc<str>, MsrpSessionError> {
        check_media_type("content type", message.content_type())?;
        if message.chunk_size_value() == 0 {
            return Err(crate::error::invalid("chunk size", "0", "at least 1 byte").into());
        }
        let same = matches!(
            (MsrpUri::parse(message.from_path()), MsrpUri::parse(&self.config.local_path)),
            (Ok(a), Ok(b)) if a == b
        );
        if !same {
            return Err(MsrpSessionError::OtherFromPath);
        }
        let size = message.content().len() as u64;
        if let Some(limit) = self.config.peer_max_size {
            if size > limit {
                return Err(MsrpSessionError::TooLargeForPeer { size, limit });
            }
        }
        let id: Arc<str> = match message.message_id_value() {
            Some(id) => Arc::from(super::check_ident("Message-ID", id)?),
            None => Arc::from(self.ids.token(16)),
        };
        self.outgoing.push_back(Outgoing {
            id: Arc::clone(&id),
            content_type: message.content_type().to_owned(),
            content: Bytes::copy_from_slice(message.content()),
            chunk_size: message.chunk_size_value(),
            next: 0,
            total: size,
            success_report: message.success_report_value().unwrap_or(false),
            failure_report: message.failure_report_value().unwrap_or_default(),
            acknowledged: 0,
            outstanding: 0,
            all_sent: false,
        });
        Ok(id)
    }

    /// Stops sending a message: what was not sent of it is not, and when part of it
    /// was, a last chunk flagged `#` tells the peer (RFC 4975 section 7.1.1). Whether
    /// the message was still being sent.
    pub fn abort(&mut self, message_id: &str) -> bool {
        let Some(at) = self.outgoing.iter().position(|m| &*m.id == message_id) else {
            return false;
        };
        let Some(message) = self.outgoing.remove(at) else {
            return false;
        };
        self.transactions.retain(|_, t| t.message_id != message.id);
        if message.next > 0 && !message.all_sent {
            let tid = self.ids.token(16);
            let mut send =
                MsrpRequestWriter::send(&tid, &self.config.remote_path, &self.config.local_path);
            send.message_id = Some(&message.id);
            send.byte_range = Some(ByteRange {
                start: message.next + 1,
                end: Some(message.next),
                total: Some(message.total),
            });
            send.continuation = Continuation::Interrupted;
            if send.write_to(&mut self.out).is_ok() {
                let bytes = self.out.split().freeze();
                self.transmits.push_back(bytes);
            }
        }
        true
    }

    /// Switches an incoming message under way to [`ReceiveMode::Sink`]: what has
    /// come of it in order goes out at once in [`MsrpEvent::Data`], the rest as it
    /// comes. Whether the message was under way (in buffer mode or already in sink
    /// mode).
    pub fn receive_into_sink(&mut self, message_id: &str) -> bool {
        let expected_sha1 = self.config.expected_file.and_then(|e| e.sha1).is_some();
        let Some(message) = self.incoming.get_mut(message_id) else {
            return false;
        };
        if message.sink.is_some() {
            return true;
        }
        let mut sink = Sink {
            delivered: 0,
            pending: BTreeMap::new(),
            pending_bytes: 0,
            hasher: expected_sha1.then(Sha1::new),
        };
        let buffer = Bytes::from(std::mem::take(&mut message.buffer));
        for &(start, end) in message.received.spans() {
            let piece = buffer.slice(start as usize..end as usize);
            if start == 0 {
                sink.deliver(&message.id, 0, piece, &mut self.events);
            } else {
                sink.pending_bytes += end - start;
                sink.pending.insert(start, piece);
            }
        }
        message.sink = Some(sink);
        true
    }

    /// Takes bytes read from the connection: whole messages are handled as they
    /// complete.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) {
        self.reader.push(bytes);
        self.read_frames(now);
    }

    /// As [`handle_bytes`](Self::handle_bytes), for bytes the caller hands over (a
    /// read into a [`BytesMut`] of its own, frozen): the messages they hold whole are
    /// read in place rather than copied into the session's reader first (see
    /// [`MsrpStreamReader::push_owned`]), and in sink mode the
    /// [`MsrpEvent::Data`] of each chunk is a slice of them (which keeps them
    /// alive). The events and responses are the same as with `handle_bytes`, however
    /// the stream is cut.
    ///
    /// ```
    /// use std::time::Instant;
    /// use bytes::Bytes;
    /// use cpm_client::msrp::{MsrpEvent, MsrpSession, MsrpSessionConfig, ReceivePolicy};
    /// use cpm_client::sdp::Setup;
    ///
    /// let mut config = MsrpSessionConfig::new(
    ///     "msrp://b.example.com:7654/s2;tcp",
    ///     "msrp://a.example.com:7654/s1;tcp",
    ///     Setup::Passive,
    /// );
    /// config.receive = ReceivePolicy::Sink;
    /// let mut bob = MsrpSession::new(config);
    /// let read = Bytes::from_static(
    ///     b"MSRP t1a2b3 SEND\r\nTo-Path: msrp://b.example.com:7654/s2;tcp\r\n\
    ///       From-Path: msrp://a.example.com:7654/s1;tcp\r\nMessage-ID: m1a2b3\r\n\
    ///       Byte-Range: 1-5/10\r\nContent-Type: text/plain\r\n\r\nhello\r\n-------t1a2b3+\r\n",
    /// );
    /// let now = Instant::now();
    /// bob.handle_bytes_owned(now, read.clone());
    /// let data = std::iter::from_fn(|| bob.poll_event())
    ///     .find_map(|event| match event {
    ///         MsrpEvent::Data { data, .. } => Some(data),
    ///         _ => None,
    ///     })
    ///     .expect("the chunk's body");
    /// assert_eq!(&data[..], b"hello");
    /// // A slice of the read, not a copy.
    /// assert!(read.as_ptr_range().contains(&data.as_ptr()));
    /// assert!(bob.poll_transmit(now).is_some(), "a 200");
    /// ```
    pub fn handle_bytes_owned(&mut self, now: Instant, bytes: Bytes) {
        self.reader.push_owned(bytes);
        self.read_frames(now);
    }

    /// Handles the whole messages the reader holds.
    fn read_frames(&mut self, now: Instant) {
        loop {
            match self.reader.next_frame_read() {
                Ok(Some((frame, start))) => self.handle(now, frame, Some(start)),
                Ok(None) => return,
                Err(error) if error.is_fatal() => {
                    if !self.stream_failed {
                        self.stream_failed = true;
                        tracing::warn!(%error, "MSRP stream broken");
                        self.events.push_back(MsrpEvent::StreamFailed { error });
                    }
                    return;
                }
                Err(error) => {
                    // A chunk over the body limit: answer 413, drop its message.
                    if let Some(head) = error.head() {
                        self.too_large_chunk(head);
                    }
                }
            }
        }
    }

    /// Takes one whole message (from a reader of the application's, for example
    /// when sessions share a connection), read with [`MsrpFrame::parse`].
    pub fn handle_frame(&mut self, now: Instant, frame: Bytes) {
        self.handle(now, frame, None);
    }

    /// Reads and handles one message; `framed` for one the stream reader cut, with
    /// its start line if the reader kept it.
    fn handle(&mut self, now: Instant, frame: Bytes, framed: Option<Option<StartLine>>) {
        let parsed = match framed {
            Some(start) => {
                MsrpFrame::parse_framed_known(frame.clone(), &mut self.known_paths, start)
            }
            None => MsrpFrame::parse(frame.clone()),
        };
        match parsed {
            Ok(MsrpFrame::Request(request)) => self.on_request(&request),
            Ok(MsrpFrame::Response(response)) => self.on_response(now, &response),
            Err(error) => {
                tracing::debug!(%error, "MSRP message does not read");
                if let Some((tid, Some(_))) = salvage_start_line(&frame) {
                    let to = first_uri(&self.config.remote_path).to_owned();
                    self.respond_raw(tid, 400, &to);
                }
                self.events.push_back(MsrpEvent::Malformed { error });
            }
        }
    }

    /// The head of a chunk whose body was over the reader's limit.
    fn too_large_chunk(&mut self, head: &Bytes) {
        let Some((tid, Some("SEND"))) = salvage_start_line(head) else {
            return;
        };
        let tid = tid.to_owned();
        // The head with an end-line, to read its headers.
        let mut whole = BytesMut::with_capacity(head.len() + 64);
        whole.extend_from_slice(&head[..head.len().saturating_sub(2)]);
        whole.extend_from_slice(b"-------");
        whole.extend_from_slice(tid.as_bytes());
        whole.extend_from_slice(b"$\r\n");
        match MsrpRequest::parse(whole.freeze()) {
            Ok(request) => {
                if let Some(id) = request.message_id() {
                    let id: Arc<str> = Arc::from(id);
                    self.incoming.remove(&id);
                    self.refuse(&id, 413);
                }
                self.respond(&request, 413);
            }
            Err(_) => {
                let to = first_uri(&self.config.remote_path).to_owned();
                self.respond_raw(&tid, 413, &to);
            }
        }
    }

    fn on_request(&mut self, request: &MsrpRequest) {
        // The same text is the same URI; other text may be too (RFC 4975 section 6.1).
        let ours = first_uri_bytes(request.to_path_bytes()) == self.config.local_path.as_bytes()
            || matches!(
                (MsrpUri::parse(first_uri(request.to_path())), MsrpUri::parse(&self.config.local_path)),
                (Ok(a), Ok(b)) if a == b
            );
        let method = request.method();
        if !ours {
            let to = first_uri(request.to_path());
            tracing::debug!(to, "MSRP request for another session: 481");
            if method != MsrpMethod::Report {
                self.respond(request, 481);
            }
            return;
        }
        if !self.established {
            self.established = true;
            self.events.push_back(MsrpEvent::Established);
        }
        match method {
            MsrpMethod::Send => self.on_send(request),
            MsrpMethod::Report => self.on_report(request),
            MsrpMethod::Other(_) => self.respond(request, 501),
        }
    }

    fn on_send(&mut self, request: &MsrpRequest) {
        let Some(mid) = request.message_id() else {
            self.respond(request, 400);
            return;
        };
        let flag = request.continuation();
        if flag == Continuation::Interrupted {
            if let Some(message) = self.incoming.remove(mid) {
                self.events.push_back(MsrpEvent::MessageInterrupted {
                    message_id: message.id,
                    received: message.received.covered(),
                });
            }
            self.respond(request, 200);
            return;
        }
        if let Some(code) = self
            .refused
            .iter()
            .find(|(id, _)| &**id == mid)
            .map(|&(_, code)| code)
        {
            self.respond(request, code);
            return;
        }
        // One lookup for what follows (the map is keyed by text: each one hashes it).
        let known = self.incoming.contains_key(mid);
        if !known && self.completed.iter().any(|id| &**id == mid) {
            // A late repeat of a chunk of a message already whole.
            self.respond(request, 200);
            return;
        }
        let body = request.body_bytes();
        if body.is_none() && !known {
            // An empty SEND: the active end's first one, or an empty message.
            self.respond(request, 200);
            return;
        }
        let data = body.unwrap_or_default();
        let range = request.byte_range().unwrap_or(ByteRange {
            start: 1,
            end: None,
            total: None,
        });
        let start = range.start - 1;
        let Some(end) = start.checked_add(data.len() as u64) else {
            self.respond(request, 400);
            return;
        };
        if range.total.is_some_and(|total| end > total) {
            tracing::debug!(mid, "MSRP chunk beyond its Byte-Range total: 400");
            self.respond(request, 400);
            return;
        }
        if range.end.is_some_and(|e| e != end && !data.is_empty()) {
            tracing::debug!(
                mid,
                "MSRP Byte-Range end differs from the body's length; the body counts"
            );
        }
        let complete_total = |known: Option<u64>| match known {
            Some(total) => Some(total),
            None if flag == Continuation::Complete => Some(end),
            None => None,
        };
        if !known {
            let total = complete_total(range.total);
            let content_type = request.content_type().unwrap_or("application/octet-stream");
            if !self.accepts(content_type) {
                self.refuse_request(request, mid, 415);
                return;
            }
            if self.over_max_size(total.unwrap_or(end))
                || self.incoming.len() >= self.config.max_incoming
            {
                self.refuse_request(request, mid, 413);
                return;
            }
            let mode = match self.config.receive {
                ReceivePolicy::Buffer => ReceiveMode::Buffer,
                ReceivePolicy::Sink => ReceiveMode::Sink,
                ReceivePolicy::SinkAbove(limit) => match total {
                    Some(total) if total <= limit => ReceiveMode::Buffer,
                    _ => ReceiveMode::Sink,
                },
            };
            if mode == ReceiveMode::Buffer && total.unwrap_or(end) > self.config.max_buffered_size {
                self.refuse_request(request, mid, 413);
                return;
            }
            if start == 0 && total == Some(end) {
                // A whole message in one chunk: no reassembly.
                self.respond(request, 200);
                self.single_chunk(request, mid, content_type, data, mode);
                return;
            }
            let id: Arc<str> = Arc::from(mid);
            let content_type: Arc<str> = Arc::from(content_type);
            let sink = (mode == ReceiveMode::Sink).then(|| Sink {
                delivered: 0,
                pending: BTreeMap::new(),
                pending_bytes: 0,
                hasher: self
                    .config
                    .expected_file
                    .and_then(|e| e.sha1)
                    .map(|_| Sha1::new()),
            });
            let buffer = match (mode, total) {
                // Not zeroed: chunks in order are appended (RFC 4975 section 7.1.1
                // has senders send them in order), others fill the gap with zeros.
                (ReceiveMode::Buffer, Some(total)) => Vec::with_capacity(total as usize),
                _ => Vec::new(),
            };
            self.events.push_back(MsrpEvent::MessageStarted {
                message_id: Arc::clone(&id),
                content_type: Arc::clone(&content_type),
                total,
                mode,
            });
            self.incoming.insert(
                Arc::clone(&id),
                Incoming {
                    id,
                    content_type,
                    total,
                    received: Ranges::new(),
                    sink,
                    buffer,
                    success_report: request.success_report().unwrap_or(false),
                    report_to: Some(request.from_path().into()),
                },
            );
        }
        let max_buffered = self.config.max_buffered_size;
        let max_pending = self.config.max_pending_bytes;
        let max_size = self.config.max_size;
        let Some(message) = self.incoming.get_mut(mid) else {
            return;
        };
        if message.total.is_none() {
            message.total = complete_total(range.total);
        }
        let total = message.total;
        if total.is_some_and(|total| end > total) {
            self.respond(request, 400);
            return;
        }
        let needed = end.max(total.unwrap_or(0));
        let mut refuse = max_size.is_some_and(|max| needed > max);
        match &mut message.sink {
            None => {
                if needed > max_buffered {
                    refuse = true;
                } else if !data.is_empty() && !refuse {
                    let (from, to) = (start as usize, end as usize);
                    if from == message.buffer.len() {
                        message.buffer.extend_from_slice(&data);
                    } else {
                        if message.buffer.len() < to {
                            message.buffer.resize(to, 0);
                        }
                        message.buffer[from..to].copy_from_slice(&data);
                    }
                }
            }
            Some(sink) if !refuse => {
                sink.deliver(&message.id, start, data, &mut self.events);
                refuse = sink.pending_bytes > max_pending;
            }
            Some(_) => {}
        }
        if refuse {
            let id = Arc::clone(&message.id);
            self.incoming.remove(mid);
            self.refuse(&id, 413);
            self.respond(request, 413);
            return;
        }
        message.received.insert(start, end);
        let received = message.received.covered();
        let whole = message
            .total
            .is_some_and(|total| message.received.covers(total));
        let progress = (!whole).then(|| MsrpEvent::ChunkReceived {
            message_id: Arc::clone(&message.id),
            received,
            total: message.total,
        });
        self.respond(request, 200);
        match progress {
            Some(event) => self.events.push_back(event),
            None => {
                if let Some(message) = self.incoming.remove(mid) {
                    self.finish(message);
                }
            }
        }
    }

    /// A whole message that came in one chunk.
    fn single_chunk(
        &mut self,
        request: &MsrpRequest,
        mid: &str,
        content_type: &str,
        data: Bytes,
        mode: ReceiveMode,
    ) {
        let id: Arc<str> = Arc::from(mid);
        let expected = self.config.expected_file;
        let file_check = expected.map(|e| check_file(&e, data.len() as u64, || sha1_of(&data)));
        let body = match mode {
            ReceiveMode::Buffer => Some(data),
            ReceiveMode::Sink => {
                if !data.is_empty() {
                    self.events.push_back(MsrpEvent::Data {
                        message_id: Arc::clone(&id),
                        offset: 0,
                        data: data.clone(),
                    });
                }
                None
            }
        };
        let size = request.body().map_or(0, |b| b.len() as u64);
        self.remember_completed(&id);
        self.events
            .push_back(MsrpEvent::MessageReceived(ReceivedMessage {
                message_id: Arc::clone(&id),
                content_type: Arc::from(content_type),
                size,
                body,
                file_check,
            }));
        if request.success_report() == Some(true) {
            self.report(&id, request.from_path(), size);
        }
    }

    /// A message whose bytes are all in.
    fn finish(&mut self, message: Incoming) {
        self.remember_completed(&message.id);
        let total = message.total.unwrap_or(0);
        let expected = self.config.expected_file;
        let (body, file_check) = match message.sink {
            None => {
                let mut buffer = message.buffer;
                buffer.truncate(total as usize);
                let body = Bytes::from(buffer);
                let check = expected.map(|e| check_file(&e, total, || sha1_of(&body)));
                (Some(body), check)
            }
            Some(sink) => {
                let digest = sink.hasher.map(|h| <[u8; 20]>::from(h.finalize()));
                let check = expected.map(|e| check_file(&e, total, || digest.unwrap_or([0; 20])));
                (None, check)
            }
        };
        self.events
            .push_back(MsrpEvent::MessageReceived(ReceivedMessage {
                message_id: Arc::clone(&message.id),
                content_type: message.content_type,
                size: total,
                body,
                file_check,
            }));
        if message.success_report {
            if let Some(to) = message.report_to {
                self.report(&message.id, &to, total);
            }
        }
    }

    /// Sends the success REPORT of a whole message (RFC 4975 section 7.1.3).
    fn report(&mut self, message_id: &str, to_path: &str, total: u64) {
        let tid = self.ids.token(16);
        let report = MsrpRequestWriter::report(
            &tid,
            to_path,
            &self.config.local_path,
            message_id,
            ByteRange::whole(total),
            MsrpStatus::ok(),
        );
        match report.write_to(&mut self.out) {
            Ok(()) => {
                let bytes = self.out.split().freeze();
                self.transmits.push_back(bytes);
            }
            Err(error) => tracing::warn!(%error, "MSRP REPORT not written"),
        }
    }

    fn on_report(&mut self, request: &MsrpRequest) {
        let (Some(mid), Some(status)) = (request.message_id(), request.status()) else {
            tracing::debug!("MSRP REPORT without Message-ID or Status: ignored");
            return;
        };
        let range = request.byte_range();
        let known = self
            .reports
            .iter()
            .map(|(id, ..)| id)
            .chain(self.outgoing.iter().map(|m| &m.id))
            .find(|id| &***id == mid)
            .cloned();
        let id = known.unwrap_or_else(|| Arc::from(mid));
        self.events.push_back(MsrpEvent::ReportReceived {
            message_id: Arc::clone(&id),
            code: status.code,
            byte_range: range,
        });
        if let Some(at) = self.reports.iter().position(|(r, ..)| *r == id) {
            let total = self.reports[at].1;
            let to_the_end = range.map_or(true, |r| r.end.map_or(true, |e| e >= total));
            if status.code != 200 || to_the_end {
                self.reports.swap_remove(at);
            }
        }
    }

    fn on_response(&mut self, now: Instant, response: &MsrpResponse) {
        let Some(transaction) = self.transactions.remove(response.transaction_id()) else {
            tracing::debug!(
                tid = response.transaction_id(),
                "MSRP response to no transaction of ours"
            );
            return;
        };
        let code = response.code();
        if transaction.bootstrap {
            if code == 200 {
                if !self.established {
                    self.established = true;
                    self.events.push_back(MsrpEvent::Established);
                }
            } else {
                self.events.push_back(MsrpEvent::SendFailed {
                    message_id: transaction.message_id,
                    code,
                    comment: response.comment().map(str::to_owned),
                });
            }
            return;
        }
        if code == 200 {
            self.acknowledge(now, &transaction);
        } else {
            self.fail(
                &transaction.message_id,
                code,
                response.comment().map(str::to_owned),
            );
        }
    }

    fn acknowledge(&mut self, now: Instant, transaction: &Transaction) {
        let Some(at) = self
            .outgoing
            .iter()
            .position(|m| m.id == transaction.message_id)
        else {
            return;
        };
        let message = &mut self.outgoing[at];
        message.acknowledged += transaction.len;
        message.outstanding = message.outstanding.saturating_sub(1);
        self.events.push_back(MsrpEvent::SendProgress {
            message_id: Arc::clone(&message.id),
            acknowledged: message.acknowledged,
            total: message.total,
        });
        if message.all_sent && message.outstanding == 0 {
            if let Some(message) = self.outgoing.remove(at) {
                if message.failure_report == FailureReport::Yes {
                    self.events.push_back(MsrpEvent::MessageAcknowledged {
                        message_id: Arc::clone(&message.id),
                    });
                }
                self.done_sending(message, now);
            }
        }
    }

    /// A message whose chunks are all out (and acknowledged where responses come).
    fn done_sending(&mut self, message: Outgoing, now: Instant) {
        if message.success_report {
            let deadline = self.config.report_timeout.map(|wait| now + wait);
            self.reports.push((message.id, message.total, deadline));
        }
    }

    fn fail(&mut self, message_id: &Arc<str>, code: u16, comment: Option<String>) {
        self.transactions.retain(|_, t| t.message_id != *message_id);
        self.outgoing.retain(|m| m.id != *message_id);
        self.events.push_back(MsrpEvent::SendFailed {
            message_id: Arc::clone(message_id),
            code,
            comment,
        });
    }

    /// The next bytes to write to the connection, if any: responses and REPORTs
    /// first, then the active end's first SEND, then chunks of the messages queued.
    /// `now` starts the transaction timer of a SEND handed out.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Bytes> {
        if let Some(bytes) = self.transmits.pop_front() {
            return Some(bytes);
        }
        if self.bootstrap_due {
            self.bootstrap_due = false;
            return self.bootstrap(now);
        }
        if !self.established && self.config.setup != Setup::Active {
            return None;
        }
        if self.transactions.len() >= self.config.max_in_flight {
            return None;
        }
        let at = self.outgoing.iter().position(|m| !m.all_sent)?;
        let bytes = self.chunk(at, now);
        // Take turns: a message with more to send goes behind the others.
        if let Some(message) = self.outgoing.get(at) {
            if !message.all_sent {
                if let Some(message) = self.outgoing.remove(at) {
                    self.outgoing.push_back(message);
                }
            }
        }
        bytes
    }

    /// The active end's first SEND, empty (RFC 4975 section 5.4).
    fn bootstrap(&mut self, now: Instant) -> Option<Bytes> {
        let tid = self.ids.token(16);
        let message_id: Arc<str> = Arc::from(self.ids.token(16));
        let mut send =
            MsrpRequestWriter::send(&tid, &self.config.remote_path, &self.config.local_path);
        send.message_id = Some(&message_id);
        send.byte_range = Some(ByteRange::whole(0));
        if let Err(error) = send.write_to(&mut self.out) {
            tracing::warn!(%error, "MSRP first SEND not written");
            return None;
        }
        self.transactions.insert(
            tid,
            Transaction {
                message_id,
                len: 0,
                deadline: now + self.config.transaction_timeout,
                bootstrap: true,
                partial: false,
            },
        );
        Some(self.out.split().freeze())
    }

    /// The next chunk of the message at `at`.
    fn chunk(&mut self, at: usize, now: Instant) -> Option<Bytes> {
        let message = self.outgoing.get_mut(at)?;
        let start = message.next;
        let end = start
            .saturating_add(message.chunk_size as u64)
            .min(message.total);
        let data = message.content.slice(start as usize..end as usize);
        let last = end == message.total;
        let tid = match fresh_transaction_id(&data, self.ids.as_mut()) {
            Ok(tid) => tid,
            Err(_) => {
                let id = Arc::clone(&message.id);
                self.fail(
                    &id,
                    500,
                    Some("no transaction id stays out of the content".into()),
                );
                return None;
            }
        };
        let mut send =
            MsrpRequestWriter::send(&tid, &self.config.remote_path, &self.config.local_path);
        send.message_id = Some(&message.id);
        send.byte_range = Some(if message.total == 0 {
            ByteRange::whole(0)
        } else {
            ByteRange {
                start: start + 1,
                end: Some(end),
                total: Some(message.total),
            }
        });
        if message.success_report {
            send.success_report = Some(true);
        }
        if message.failure_report != FailureReport::Yes {
            send.failure_report = Some(message.failure_report);
        }
        if message.total > 0 {
            send.content = Some(MsrpContent::new(&message.content_type, &data));
        }
        send.continuation = if last {
            Continuation::Complete
        } else {
            Continuation::More
        };
        if let Err(error) = send.write_to(&mut self.out) {
            let id = Arc::clone(&message.id);
            self.fail(&id, 500, Some(error.to_string()));
            return None;
        }
        let bytes = self.out.split().freeze();
        message.next = end;
        if message.failure_report != FailureReport::No {
            message.outstanding += 1;
            self.transactions.insert(
                tid,
                Transaction {
                    message_id: Arc::clone(&message.id),
                    len: end - start,
                    deadline: now + self.config.transaction_timeout,
                    bootstrap: false,
                    partial: message.failure_report == FailureReport::Partial,
                },
            );
        }
        if last {
            message.all_sent = true;
            let id = Arc::clone(&message.id);
            self.events.push_back(MsrpEvent::MessageSent {
                message_id: Arc::clone(&id),
            });
            if message.failure_report == FailureReport::No {
                if let Some(message) = self.outgoing.remove(at) {
                    self.done_sending(message, now);
                }
            }
        }
        Some(bytes)
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called: the
    /// earliest deadline of a SEND awaiting its response or of a REPORT awaited.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let transactions = self.transactions.values().map(|t| t.deadline);
        let reports = self.reports.iter().filter_map(|r| r.2);
        transactions.chain(reports).min()
    }

    /// Fails the transactions and REPORT waits whose deadline is at or before `now`:
    /// a SEND unanswered is 408 for its message ([`MsrpEvent::SendFailed`]), except
    /// under `Failure-Report: partial`, where silence is success.
    pub fn handle_timeout(&mut self, now: Instant) {
        let expired: Vec<String> = self
            .transactions
            .iter()
            .filter(|(_, t)| t.deadline <= now)
            .map(|(tid, _)| tid.clone())
            .collect();
        for tid in expired {
            let Some(transaction) = self.transactions.remove(&tid) else {
                continue;
            };
            if transaction.partial {
                self.acknowledge(now, &transaction);
            } else if transaction.bootstrap {
                self.events.push_back(MsrpEvent::SendFailed {
                    message_id: transaction.message_id,
                    code: 408,
                    comment: Some("no response in time".into()),
                });
            } else {
                self.fail(
                    &transaction.message_id,
                    408,
                    Some("no response in time".into()),
                );
            }
        }
        let mut at = 0;
        while at < self.reports.len() {
            if self.reports[at].2.is_some_and(|d| d <= now) {
                let (message_id, ..) = self.reports.swap_remove(at);
                self.events
                    .push_back(MsrpEvent::ReportTimedOut { message_id });
            } else {
                at += 1;
            }
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<MsrpEvent> {
        self.events.pop_front()
    }

    /// Whether nothing is under way: no message being received or sent, no
    /// transaction or REPORT awaited, nothing to transmit.
    pub fn is_idle(&self) -> bool {
        self.incoming.is_empty()
            && self.outgoing.is_empty()
            && self.transactions.is_empty()
            && self.reports.is_empty()
            && self.transmits.is_empty()
            && !self.bootstrap_due
    }

    /// Whether `content_type` is within the local accept-types.
    fn accepts(&self, content_type: &str) -> bool {
        if self.config.accept_types.is_empty() {
            return true;
        }
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        let (kind, sub) = essence.split_once('/').unwrap_or((essence, ""));
        self.config.accept_types.iter().any(|accepted| {
            let accepted = accepted.trim();
            if accepted == "*" {
                return true;
            }
            match accepted.split_once('/') {
                Some((k, "*")) => k.eq_ignore_ascii_case(kind),
                Some((k, s)) => k.eq_ignore_ascii_case(kind) && s.eq_ignore_ascii_case(sub),
                None => false,
            }
        })
    }

    fn over_max_size(&self, size: u64) -> bool {
        self.config.max_size.is_some_and(|max| size > max)
    }

    /// Refuses a message at its first chunk.
    fn refuse_request(&mut self, request: &MsrpRequest, mid: &str, code: u16) {
        let id: Arc<str> = Arc::from(mid);
        self.refuse(&id, code);
        self.respond(request, code);
    }

    fn remember_completed(&mut self, id: &Arc<str>) {
        if self.completed.len() == REFUSED_MEMORY {
            self.completed.pop_front();
        }
        self.completed.push_back(Arc::clone(id));
    }

    /// Remembers a refused message and tells the application.
    fn refuse(&mut self, id: &Arc<str>, code: u16) {
        if self.refused.len() == REFUSED_MEMORY {
            self.refused.pop_front();
        }
        self.refused.push_back((Arc::clone(id), code));
        self.events.push_back(MsrpEvent::MessageRefused {
            message_id: Arc::clone(id),
            code,
        });
    }

    /// Answers `request` with `code`, as its Failure-Report allows (RFC 4975 section
    /// 7.1.1): `no` gets nothing, `partial` errors only. REPORTs get no answer.
    fn respond(&mut self, request: &MsrpRequest, code: u16) {
        if request.method() == MsrpMethod::Report {
            return;
        }
        match request.failure_report().unwrap_or_default() {
            FailureReport::No => return,
            FailureReport::Partial if code == 200 => return,
            _ => {}
        }
        if self.local_path_valid && code == 200 {
            // Only the transaction id differs from one 200 to the next on a
            // connection (RFC 4975 section 7.2): the rest is written from a template
            // kept for the last To-Path.
            let to = first_uri_bytes(request.sender_path_bytes());
            let tid = request.transaction_id_bytes();
            if self.ok_template.tail.is_empty() || self.ok_template.to.as_slice() != to {
                self.ok_template = OkTemplate::new(to, &self.config.local_path);
            }
            self.out
                .reserve(5 + 2 * tid.len() + self.ok_template.tail.len() + 3);
            self.out.extend_from_slice(b"MSRP ");
            self.out.extend_from_slice(tid);
            self.out.extend_from_slice(&self.ok_template.tail);
            self.out.extend_from_slice(tid);
            self.out.extend_from_slice(b"$\r\n");
            let bytes = self.out.split().freeze();
            self.transmits.push_back(bytes);
            return;
        }
        let to = first_uri(request.from_path());
        if self.local_path_valid {
            // The transaction id and the From-Path were checked when the request was
            // read, the local path when the session was made.
            MsrpResponseWriter::new(request.transaction_id(), code, to, &self.config.local_path)
                .write_trusted(&mut self.out);
            let bytes = self.out.split().freeze();
            self.transmits.push_back(bytes);
        } else {
            self.respond_raw(request.transaction_id(), code, to);
        }
    }

    fn respond_raw(&mut self, tid: &str, code: u16, to: &str) {
        let response = MsrpResponseWriter::new(tid, code, to, &self.config.local_path);
        match response.write_to(&mut self.out) {
            Ok(()) => {
                let bytes = self.out.split().freeze();
                self.transmits.push_back(bytes);
            }
            Err(error) => tracing::warn!(%error, "MSRP response not written"),
        }
    }
}

impl Sink {
    /// Hands out what of `data` (at `start`) is new and in order, holds the rest.
    fn deliver(
        &mut self,
        id: &Arc<str>,
        start: u64,
        data: Bytes,
        events: &mut VecDeque<MsrpEvent>,
    ) {
        let end = start + data.len() as u64;
        if end <= self.delivered || data.is_empty() {
            return;
        }
        if start > self.delivered {
            let longer = self
                .pending
                .get(&start)
                .map_or(true, |held| held.len() < data.len());
            if longer {
                self.pending_bytes += data.len() as u64;
                if let Some(old) = self.pending.insert(start, data) {
                    self.pending_bytes -= old.len() as u64;
                }
            }
            return;
        }
        self.emit(id, start, data, events);
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() > self.delivered {
                break;
            }
            let (at, held) = entry.remove_entry();
            self.pending_bytes -= held.len() as u64;
            if at + held.len() as u64 > self.delivered {
                self.emit(id, at, held, events);
            }
        }
    }

    /// Hands out `data` at `start` (which is at or before what was delivered), less
    /// what was delivered already.
    fn emit(&mut self, id: &Arc<str>, start: u64, data: Bytes, events: &mut VecDeque<MsrpEvent>) {
        let skip = (self.delivered - start) as usize;
        let fresh = if skip == 0 { data } else { data.slice(skip..) };
        if let Some(hasher) = &mut self.hasher {
            hasher.update(&fresh);
        }
        let offset = self.delivered;
        self.delivered += fresh.len() as u64;
        events.push_back(MsrpEvent::Data {
            message_id: Arc::clone(id),
            offset,
            data: fresh,
        });
    }
}

/// The first URI of a path (the next hop), as bytes.
fn first_uri_bytes(path: &[u8]) -> &[u8] {
    match memchr::memchr(b' ', path) {
        Some(at) => path.get(..at).unwrap_or_default(),
        None => path,
    }
}

/// The first URI of a path (the next hop).
fn first_uri(path: &str) -> &str {
    match path.bytes().position(|b| b == b' ') {
        Some(at) => path.get(..at).unwrap_or_default(),
        None => path,
    }
}

fn sha1_of(data: &[u8]) -> [u8; 20] {
    Sha1::digest(data).into()
}

fn check_file(expected: &ExpectedFile, size: u64, digest: impl FnOnce() -> [u8; 20]) -> FileCheck {
    FileCheck {
        size_matches: expected.size.map(|s| s == size),
        sha1_matches: expected.sha1.map(|s| s == digest()),
    }
}
