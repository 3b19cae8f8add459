//! Cutting SIP messages out of a byte stream (TCP, TLS), without I/O.
//!
//! [`StreamReader`] takes the bytes a connection delivers, in whatever pieces they
//! come, and hands back whole messages as [`Bytes`] (requests and responses apart) and
//! the CRLF keep-alives between them, as [`StreamItem`]s. It does not read the
//! messages: [`IncomingRequest::parse`](super::IncomingRequest::parse) and
//! [`IncomingResponse::parse`](super::IncomingResponse::parse) do that with the bytes
//! it hands back. The rules it follows, and what it does with a stream that breaks
//! them, are on [`StreamReader`]; `docs/stream.md` tells the reasons.

use bytes::{Buf, Bytes, BytesMut};
use memchr::memmem;

use super::grammar::{is_token_char, trim_lws};
use super::scan::is_status_line;
use super::{Limits, Method};

/// The room a new reader starts with, and the least it takes when it must move to new
/// memory (the messages already handed out still hold the old).
const INITIAL_CAPACITY: usize = 8 * 1024;

/// The longest known method name (`SUBSCRIBE`), for finding a request line after
/// stray body bytes.
const LONGEST_METHOD: usize = 9;

/// One thing read from a stream: a whole message, or a keep-alive between messages.
///
/// The two keep-alives are those of RFC 5626 section 4.4.1: a *ping* is a double CRLF,
/// which the receiver answers with a *pong*, a single CRLF. The reader reports every
/// CRLF between messages as it arrives, so that what it reports does not depend on how
/// the bytes were cut: in a run of CRLFs the first, third, ... are reported as
/// [`Pong`](StreamItem::Pong) and the second, fourth, ... as
/// [`Ping`](StreamItem::Ping). A ping thus shows as `Pong` then `Ping`: a client that
/// sent a ping waits for a `Pong`, a peer that receives pings answers each `Ping`
/// with one CRLF, and both ignore the other item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamItem {
    /// A whole message whose first line is not a status line: a request as far as
    /// framing can tell (start line, headers, empty line and exactly Content-Length
    /// bytes of body). [`IncomingRequest::parse`](super::IncomingRequest::parse) says
    /// whether it is a well-formed one.
    Request(Bytes),
    /// A whole message whose first line starts with `SIP/` (a status line), framed as
    /// a request is; for [`IncomingResponse::parse`](super::IncomingResponse::parse).
    Response(Bytes),
    /// A CRLF between messages that completes a double CRLF: a keep-alive ping (RFC
    /// 5626 section 4.4.1). Answer it by writing a single CRLF (`b"\r\n"`, the pong).
    Ping,
    /// A CRLF between messages that does not complete a ping: a pong (RFC 5626
    /// section 4.4.1), or the first half of a ping, whose second CRLF is reported as
    /// [`Ping`](StreamItem::Ping).
    Pong,
}

impl StreamItem {
    /// A whole message, told apart by its first line: a
    /// [`Response`](StreamItem::Response) when it starts with `SIP/` (any case), a
    /// [`Request`](StreamItem::Request) otherwise. The reader sorts its messages so;
    /// this does the same for a message that came another way (a UDP datagram).
    ///
    /// ```
    /// use bytes::Bytes;
    /// use cpm_client::sip::StreamItem;
    ///
    /// let ok = StreamItem::message(Bytes::from_static(b"SIP/2.0 200 OK\r\n\r\n"));
    /// assert!(matches!(ok, StreamItem::Response(_)));
    /// ```
    pub fn message(bytes: Bytes) -> StreamItem {
        if is_status_line(&bytes) {
            StreamItem::Response(bytes)
        } else {
            StreamItem::Request(bytes)
        }
    }

    /// The message's bytes, for a request or a response; `None` for a keep-alive.
    pub fn as_message(&self) -> Option<&Bytes> {
        match self {
            StreamItem::Request(bytes) | StreamItem::Response(bytes) => Some(bytes),
            StreamItem::Ping | StreamItem::Pong => None,
        }
    }

    /// The message's bytes, for a request or a response; `None` for a keep-alive.
    pub fn into_message(self) -> Option<Bytes> {
        match self {
            StreamItem::Request(bytes) | StreamItem::Response(bytes) => Some(bytes),
            StreamItem::Ping | StreamItem::Pong => None,
        }
    }
}

/// Why a stream could not be cut at some point, and where.
///
/// Every kind but [`HeadTooLarge`](StreamErrorKind::HeadTooLarge) is recoverable: the
/// reader has set the faulty message aside and goes on with the next one at the next
/// call (see [`StreamReader`] for how it finds it). After a fatal error the reader
/// stays failed: the connection should be closed.
///
/// ```
/// use cpm_client::sip::{StreamErrorKind, StreamReader};
///
/// let mut reader = StreamReader::new();
/// reader.push(b"OPTIONS sip:a@b SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n");
/// let err = reader.next_item().unwrap_err();
/// assert_eq!(err.kind(), &StreamErrorKind::MissingContentLength);
/// assert_eq!(err.offset(), 0);
/// assert!(!err.is_fatal());
/// assert_eq!(
///     err.to_string(),
///     "stream byte 0: message has no Content-Length, which a stream needs (RFC 3261 18.3)"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stream byte {offset}: {kind}")]
pub struct StreamError {
    kind: StreamErrorKind,
    offset: u64,
    head: Option<Bytes>,
}

impl StreamError {
    /// What was wrong.
    pub fn kind(&self) -> &StreamErrorKind {
        &self.kind
    }

    /// Where the faulty message starts, counted in bytes from the first byte ever
    /// given to the reader (0-based).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The head of the message set aside (its start line through the empty line), for
    /// a recoverable error: enough to log it, or to answer it (400, or 513 Message Too
    /// Large for [`MessageTooLarge`](StreamErrorKind::MessageTooLarge), RFC 3261
    /// section 21.5.7). `None` for a fatal error.
    pub fn head(&self) -> Option<&Bytes> {
        self.head.as_ref()
    }

    /// Whether the reader can go no further (see [`StreamErrorKind::is_fatal`]).
    pub fn is_fatal(&self) -> bool {
        self.kind.is_fatal()
    }
}

/// What was wrong with the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamErrorKind {
    /// The head has no Content-Length (nor `l`): on a stream the body's size is then
    /// unknown (RFC 3261 sections 18.3 and 20.14 make the header mandatory there). The
    /// head is set aside and the body taken as empty; the reader then drops bytes
    /// until the next start line.
    #[error("message has no Content-Length, which a stream needs (RFC 3261 18.3)")]
    MissingContentLength,
    /// A Content-Length value is not `1*DIGIT` (RFC 3261 section 20.14). Handled as a
    /// missing one.
    #[error("line {line} of the message: Content-Length is not a number")]
    BadContentLength {
        /// The 1-based line of the message (the start line is 1) where the header
        /// starts.
        line: usize,
    },
    /// Two Content-Length headers with different values: the body's size is
    /// ambiguous. Handled as a missing one. (Two equal values frame the message; the
    /// request reader then refuses the duplicate.)
    #[error("two Content-Length headers disagree: {first} and {second}")]
    ConflictingContentLength {
        /// The first value.
        first: u64,
        /// The first value that differs from it.
        second: u64,
    },
    /// The head and the body Content-Length announces are together larger than
    /// [`Limits::max_message_size`]. The head is set aside, and the reader drops the
    /// announced body as it arrives, without keeping it, then goes on.
    #[error("message of {head} head bytes and a body of {content_length} exceeds the limit of {limit} bytes")]
    MessageTooLarge {
        /// The head's length, empty line included.
        head: usize,
        /// Content-Length (a value past 2^64 - 1 reads as 2^64 - 1).
        content_length: u64,
        /// [`Limits::max_message_size`].
        limit: usize,
    },
    /// No empty line ends the head within [`Limits::max_message_size`] bytes. Fatal:
    /// where the next message starts cannot be known.
    #[error("no empty line ends the head within the limit of {limit} bytes")]
    HeadTooLarge {
        /// [`Limits::max_message_size`].
        limit: usize,
    },
}

impl StreamErrorKind {
    /// Whether the reader can go no further: only for
    /// [`HeadTooLarge`](StreamErrorKind::HeadTooLarge). The reader then returns the
    /// same error at every call and drops what it is given; the connection should be
    /// closed.
    pub fn is_fatal(&self) -> bool {
        matches!(self, StreamErrorKind::HeadTooLarge { .. })
    }
}

/// Where the reader is.
#[derive(Debug, Clone)]
enum State {
    /// Between two messages, or inside one.
    Framing,
    /// After a head whose body size is unknown: dropping bytes up to the next start
    /// line.
    Resync,
    /// After a head over the size limit: dropping this many more bytes of its body.
    Skipping(u64),
    /// After a fatal error, returned again at every call.
    Failed(StreamError),
}

/// A sans-IO reader of SIP messages on a stream transport: bytes in with
/// [`push`](StreamReader::push) (or straight into [`buffer_mut`](StreamReader::buffer_mut)),
/// [`StreamItem`]s out with [`next_item`](StreamReader::next_item).
///
/// # Framing (RFC 3261 section 18.3)
///
/// A message's head runs from its start line to the first empty line (the first
/// CRLFCRLF). Its Content-Length (or the compact `l`; names in any case; the value
/// may be folded) says how many bytes of body follow. The message handed out is
/// exactly head and body, as one [`Bytes`] cut from the reader's buffer without
/// copying. CRLFs before a start line are keep-alives (RFC 3261 section 7.5, RFC 5626
/// section 4.4.1), each reported as [`StreamItem::Pong`] or [`StreamItem::Ping`]. The
/// result does not depend on how the stream was cut into pieces.
///
/// # Limits
///
/// [`Limits::max_message_size`] bounds a message, head and body together, as it
/// bounds the request reader (inclusive: a message of exactly that size is handed
/// out). A head that reaches the limit with no empty line is refused
/// ([`HeadTooLarge`](StreamErrorKind::HeadTooLarge), fatal) and a Content-Length that
/// takes the message past it too ([`MessageTooLarge`](StreamErrorKind::MessageTooLarge),
/// recoverable), as soon as the bytes that show it arrive: the reader never waits for
/// more than the limit, nor keeps a body over it.
///
/// # Errors and what follows them
///
/// - **No usable Content-Length** (missing, not a number, two that disagree): the
///   error carries the head, which is set aside; the body is taken as empty. Whatever
///   the peer sent as body is then dropped, with anything else, up to the next start
///   line: a status line (`SIP/2.0 `, three digits, a space) or a request line
///   (`Method SP Request-URI SP SIP/2.0 CRLF`), wherever it starts, even in the middle
///   of a line, so that in `...\r\n\r\nhiMESSAGE sip:b@example.net SIP/2.0\r\n` the
///   next message is the MESSAGE. When a known method (RFC 3261 and its extensions,
///   [`Method`]) ends the token before the Request-URI, the message starts at that
///   method: `hiMESSAGE` gives `MESSAGE`, `PRACK` stays `PRACK`; an extension method
///   is taken whole. This is a best effort on a stream the peer has broken; keep-alives
///   in the dropped bytes are not reported.
/// - **A message over the limit**: the error carries the head; the reader drops the
///   announced body as it comes (not keeping it), then reads on.
/// - **A head over the limit**: fatal. The reader returns the same error at every call
///   and drops whatever it is given; close the connection.
///
/// # Memory
///
/// The buffer holds what was pushed and not yet handed out. Once `next_item` has
/// returned `Ok(None)`, that is at most [`Limits::max_message_size`] bytes (or one CR
/// waiting for its LF, under a limit of 0), so a caller that pushes one read, then
/// calls `next_item` until `Ok(None)`, holds at most the limit plus one read. Messages
/// are cut from the buffer, not copied: handing one out allocates nothing. The buffer grows into new memory (the old one stays with the
/// messages handed out) only when the next bytes do not fit.
///
/// # Example
///
/// ```
/// use cpm_client::sip::{IncomingRequest, StreamItem, StreamReader};
///
/// let mut reader = StreamReader::new();
/// // Two requests and a ping, cut anywhere.
/// let wire = b"OPTIONS sip:b@example.net SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\
///     From: <sip:a@example.net>;tag=1\r\nTo: <sip:b@example.net>\r\nCall-ID: 1\r\n\
///     CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n\r\n\r\n\
///     MESSAGE sip:b@example.net SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK2\r\n\
///     From: <sip:a@example.net>;tag=1\r\nTo: <sip:b@example.net>\r\nCall-ID: 2\r\n\
///     CSeq: 1 MESSAGE\r\nl: 2\r\n\r\nhi";
/// let mut items = Vec::new();
/// for piece in wire.chunks(50) {
///     reader.push(piece);
///     while let Some(item) = reader.next_item()? {
///         items.push(item);
///     }
/// }
/// assert_eq!(items.len(), 4);
/// assert_eq!(items[1], StreamItem::Pong);
/// assert_eq!(items[2], StreamItem::Ping); // answer with b"\r\n"
/// let StreamItem::Request(message) = &items[3] else { panic!("a request") };
/// assert_eq!(IncomingRequest::parse(message.clone()).unwrap().body(), b"hi");
/// # Ok::<(), cpm_client::sip::StreamError>(())
/// ```
#[derive(Debug, Clone)]
pub struct StreamReader {
    buffer: BytesMut,
    /// [`Limits::max_message_size`].
    limit: usize,
    state: State,
    /// How far the buffer has been searched (for the empty line, or for `SIP/2.0`
    /// when resynchronising) with nothing found: the next search starts there, so
    /// bytes coming one at a time are not searched again and again.
    searched: usize,
    /// The length of the message under way, once its head has been read.
    message_len: Option<usize>,
    /// Whether the last item was the first CRLF of a run (a `Pong`): the next CRLF
    /// completes a ping.
    odd_crlf: bool,
    /// Bytes taken out of the buffer since the start of the stream.
    consumed: u64,
}

impl Default for StreamReader {
    fn default() -> Self {
        StreamReader::new()
    }
}

impl StreamReader {
    /// A reader under the default [`Limits`].
    pub fn new() -> StreamReader {
        StreamReader::with_limits(&Limits::DEFAULT)
    }

    /// A reader under the given limits; of them it applies
    /// [`max_message_size`](Limits::max_message_size).
    pub fn with_limits(limits: &Limits) -> StreamReader {
        StreamReader {
            buffer: BytesMut::with_capacity(INITIAL_CAPACITY),
            limit: limits.max_message_size,
            state: State::Framing,
            searched: 0,
            message_len: None,
            odd_crlf: false,
            consumed: 0,
        }
    }

    /// Adds bytes read from the stream. After a fatal error they are dropped, and
    /// while the body of a message over the limit is being skipped, the part of them
    /// that belongs to it is dropped here rather than kept.
    pub fn push(&mut self, mut bytes: &[u8]) {
        match &mut self.state {
            State::Failed(_) => {
                self.consumed = self.consumed.saturating_add(len64(bytes.len()));
                return;
            }
            State::Skipping(rest) if self.buffer.is_empty() => {
                let skip = bytes
                    .len()
                    .min(usize::try_from(*rest).unwrap_or(usize::MAX));
                *rest -= len64(skip);
                self.consumed = self.consumed.saturating_add(len64(skip));
                bytes = &bytes[skip..];
            }
            _ => {}
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// The buffer, to read into directly (for example with
    /// [`BufMut`](bytes::BufMut) or by resizing it and reading into the new tail):
    /// bytes appended to it are as if [pushed](StreamReader::push). Only append: bytes
    /// already there are the reader's, and changing them gives wrong frames (never a
    /// panic).
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        &mut self.buffer
    }

    /// How many bytes the reader holds that it has not handed out.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Where the next item starts: the number of bytes of the stream that the reader
    /// has handed out, set aside or dropped.
    pub fn position(&self) -> u64 {
        self.consumed
    }

    /// How many more bytes the message under way needs, once its head has been read
    /// (`None` before that, and between messages).
    pub fn needs(&self) -> Option<usize> {
        match self.state {
            State::Framing => self
                .message_len
                .map(|len| len.saturating_sub(self.buffer.len())),
            _ => None,
        }
    }

    /// Whether a fatal error has stopped the reader.
    pub fn is_failed(&self) -> bool {
        matches!(self.state, State::Failed(_))
    }

    /// Takes every byte held and not handed out (for example to log what a closing
    /// connection left unfinished).
    pub fn take_buffered(&mut self) -> Bytes {
        let rest = self.buffer.split().freeze();
        self.consumed = self.consumed.saturating_add(len64(rest.len()));
        self.searched = 0;
        self.message_len = None;
        rest
    }

    /// The next message or keep-alive, `Ok(None)` when more bytes are needed first.
    ///
    /// Call it until it returns `Ok(None)` after every push: one push may hold several
    /// items.
    ///
    /// # Errors
    ///
    /// A [`StreamError`] when the stream breaks RFC 3261's framing or the limit. A
    /// recoverable one sets the faulty message aside: call again for what follows. A
    /// fatal one ([`StreamError::is_fatal`]) is returned again at every call.
    pub fn next_item(&mut self) -> Result<Option<StreamItem>, StreamError> {
        loop {
            match &mut self.state {
                State::Framing => return self.frame(),
                State::Failed(error) => return Err(error.clone()),
                State::Skipping(rest) => {
                    let skip = self
                        .buffer
                        .len()
                        .min(usize::try_from(*rest).unwrap_or(usize::MAX));
                    *rest -= len64(skip);
                    let done = *rest == 0;
                    self.drop_front(skip);
                    if !done {
                        return Ok(None);
                    }
                    self.state = State::Framing;
                }
                State::Resync => {
                    if !self.resync() {
                        return Ok(None);
                    }
                    self.state = State::Framing;
                }
            }
        }
    }

    /// Reads on in the [`State::Framing`] state.
    fn frame(&mut self) -> Result<Option<StreamItem>, StreamError> {
        if let Some(len) = self.message_len {
            return Ok(self.take_message(len));
        }
        match self.buffer.first() {
            None => return Ok(None),
            Some(b'\r') => match self.buffer.get(1) {
                None => return Ok(None),
                Some(b'\n') => {
                    self.drop_front(2);
                    self.odd_crlf = !self.odd_crlf;
                    return Ok(Some(if self.odd_crlf {
                        StreamItem::Pong
                    } else {
                        StreamItem::Ping
                    }));
                }
                Some(_) => {}
            },
            Some(_) => {}
        }
        // A message starts here; the next CRLF run starts afresh.
        self.odd_crlf = false;
        let window = &self.buffer[..self.buffer.len().min(self.limit)];
        let from = self.searched.min(window.len());
        let Some(found) = memmem::find(&window[from..], b"\r\n\r\n") else {
            if self.buffer.len() >= self.limit {
                return Err(self.fail(StreamErrorKind::HeadTooLarge { limit: self.limit }));
            }
            self.searched = window.len().saturating_sub(3);
            return Ok(None);
        };
        let head_len = from + found + 4;
        self.searched = 0;
        match content_length(&self.buffer[..head_len - 2]) {
            Ok(Some(declared)) => {
                let total = len64(head_len).saturating_add(declared);
                match usize::try_from(total) {
                    Ok(total) if total <= self.limit => {
                        self.message_len = Some(total);
                        Ok(self.take_message(total))
                    }
                    _ => {
                        let kind = StreamErrorKind::MessageTooLarge {
                            head: head_len,
                            content_length: declared,
                            limit: self.limit,
                        };
                        Err(self.set_aside(head_len, kind, State::Skipping(declared)))
                    }
                }
            }
            Ok(None) => Err(self.set_aside(
                head_len,
                StreamErrorKind::MissingContentLength,
                State::Resync,
            )),
            Err(kind) => Err(self.set_aside(head_len, kind, State::Resync)),
        }
    }

    /// The message under way, when all `len` bytes of it are there.
    fn take_message(&mut self, len: usize) -> Option<StreamItem> {
        if self.buffer.len() < len {
            return None;
        }
        self.message_len = None;
        self.consumed = self.consumed.saturating_add(len64(len));
        Some(StreamItem::message(self.buffer.split_to(len).freeze()))
    }

    /// Sets the head of `head_len` bytes aside into a recoverable error of `kind`, and
    /// goes on in state `next`.
    fn set_aside(&mut self, head_len: usize, kind: StreamErrorKind, next: State) -> StreamError {
        let offset = self.consumed;
        let head = self.buffer.split_to(head_len).freeze();
        self.consumed = self.consumed.saturating_add(len64(head_len));
        self.state = next;
        self.searched = 0;
        StreamError {
            kind,
            offset,
            head: Some(head),
        }
    }

    /// Stops the reader with a fatal error of `kind`, dropping what it holds.
    fn fail(&mut self, kind: StreamErrorKind) -> StreamError {
        let error = StreamError {
            kind,
            offset: self.consumed,
            head: None,
        };
        let held = self.buffer.len();
        self.drop_front(held);
        self.state = State::Failed(error.clone());
        error
    }

    /// Drops `n` bytes (at most what is held) from the front of the buffer.
    fn drop_front(&mut self, n: usize) {
        let n = n.min(self.buffer.len());
        self.buffer.advance(n);
        self.consumed = self.consumed.saturating_add(len64(n));
        self.searched = self.searched.saturating_sub(n);
    }

    /// Drops bytes up to the next start line; whether one was found (it is then at the
    /// front of the buffer).
    fn resync(&mut self) -> bool {
        loop {
            let from = self.searched.min(self.buffer.len());
            let Some(found) = memmem::find(&self.buffer[from..], b"SIP/2.0") else {
                // No start line can use the bytes before the last line break; keep at
                // most the limit of the rest.
                let keep_from = line_start(&self.buffer, self.buffer.len())
                    .max(self.buffer.len().saturating_sub(self.limit));
                self.drop_front(keep_from);
                self.searched = self.buffer.len().saturating_sub(b"SIP/2.0".len() - 1);
                return false;
            };
            let at = from + found;
            match start_line_at(&self.buffer, at) {
                Candidate::Start(start) => {
                    self.drop_front(start);
                    self.searched = 0;
                    self.odd_crlf = false;
                    return true;
                }
                Candidate::NeedMore => {
                    let keep_from = line_start(&self.buffer, at)
                        .max(self.buffer.len().saturating_sub(self.limit));
                    self.drop_front(keep_from);
                    self.searched = at.saturating_sub(keep_from);
                    return false;
                }
                Candidate::No => self.searched = at + 1,
            }
        }
    }
}

/// A `usize` as `u64` (saturating on a platform where it would not fit).
fn len64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The offset just past the last CR or LF before `end`, or 0.
fn line_start(buffer: &[u8], end: usize) -> usize {
    memchr::memrchr2(b'\r', b'\n', &buffer[..end.min(buffer.len())]).map_or(0, |at| at + 1)
}

/// What an occurrence of `SIP/2.0` says about a start line.
enum Candidate {
    /// A start line begins at this offset.
    Start(usize),
    /// The bytes after it are not there yet.
    NeedMore,
    /// Not a start line (a Via's `SIP/2.0/TCP`, body text).
    No,
}

/// Whether the `SIP/2.0` at `at` is the version of a status line (`SIP/2.0 DDD `) or
/// ends a request line (`Method SP Request-URI SP SIP/2.0 CRLF`), and where the line
/// starts.
fn start_line_at(buffer: &[u8], at: usize) -> Candidate {
    let after = at + b"SIP/2.0".len();
    match buffer.get(after) {
        None => Candidate::NeedMore,
        Some(b' ') => match buffer.get(after + 1..after + 5) {
            None => Candidate::NeedMore,
            Some([a, b, c, b' ']) if [a, b, c].iter().all(|d| d.is_ascii_digit()) => {
                Candidate::Start(at)
            }
            Some(_) => Candidate::No,
        },
        Some(b'\r') => match buffer.get(after + 1) {
            None => Candidate::NeedMore,
            Some(b'\n') => request_line_start(buffer, at).map_or(Candidate::No, Candidate::Start),
            Some(_) => Candidate::No,
        },
        Some(_) => Candidate::No,
    }
}

/// Where the request line whose `SIP/2.0` is at `version` starts: back over one SP, a
/// Request-URI (no SP, CR or LF), one SP and a method token. When a known method ends
/// the token, the line starts at that method (the longest such: `PRACK`, not `ACK`),
/// so that stray bytes glued before it are left out.
fn request_line_start(buffer: &[u8], version: usize) -> Option<usize> {
    let uri_end = version.checked_sub(1).filter(|&i| buffer[i] == b' ')?;
    let uri_start = buffer[..uri_end]
        .iter()
        .rposition(|&b| matches!(b, b' ' | b'\r' | b'\n'))
        .map_or(0, |i| i + 1);
    if uri_start == uri_end {
        return None;
    }
    let method_end = uri_start.checked_sub(1).filter(|&i| buffer[i] == b' ')?;
    let method_start = buffer[..method_end]
        .iter()
        .rposition(|&b| !is_token_char(b))
        .map_or(0, |i| i + 1);
    let token = &buffer[method_start..method_end];
    if token.is_empty() {
        return None;
    }
    let known = (1..=token.len().min(LONGEST_METHOD)).rev().find(|&n| {
        !matches!(
            Method::parse(&token[token.len() - n..]),
            Method::Extension(_)
        )
    });
    Some(known.map_or(method_start, |n| method_end - n))
}

/// The Content-Length of a head (`head` runs from the start line through the CRLF of
/// the last header line): `None` when it has none, an error when a value is not a
/// number or two values differ. A value past 2^64 - 1 saturates.
fn content_length(head: &[u8]) -> Result<Option<u64>, StreamErrorKind> {
    let mut found: Option<u64> = None;
    // Past the start line.
    let Some(mut pos) = memmem::find(head, b"\r\n").map(|at| at + 2) else {
        return Ok(None);
    };
    let mut line = 1;
    while pos < head.len() {
        let start = pos;
        let start_line = line + 1;
        // One header: its line and the folded lines after it (RFC 3261 section 7.3.1).
        let end = loop {
            let end = memmem::find(&head[pos..], b"\r\n").map_or(head.len(), |at| pos + at);
            line += 1;
            pos = end + 2;
            if !matches!(head.get(pos), Some(b' ' | b'\t')) {
                break end;
            }
        };
        let header = &head[start..end];
        let Some(colon) = memchr::memchr(b':', header) else {
            continue;
        };
        let name = header[..colon].trim_ascii_end();
        if !(name.eq_ignore_ascii_case(b"Content-Length") || name.eq_ignore_ascii_case(b"l")) {
            continue;
        }
        let value = trim_lws(&header[colon + 1..]);
        let Some(length) = decimal(value) else {
            return Err(StreamErrorKind::BadContentLength { line: start_line });
        };
        match found {
            Some(first) if first != length => {
                return Err(StreamErrorKind::ConflictingContentLength {
                    first,
                    second: length,
                })
            }
            _ => found = Some(length),
        }
    }
    Ok(found)
}

/// `1*DIGIT`, saturating at 2^64 - 1.
fn decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0u64, |n, &d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &[u8] =
        b"OPTIONS sip:b@example.net SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\
        From: <sip:a@example.net>;tag=1\r\nTo: <sip:b@example.net>\r\nCall-ID: o1\r\n\
        CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    const MESSAGE: &[u8] =
        b"MESSAGE sip:b@example.net SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK2\r\n\
        From: <sip:a@example.net>;tag=1\r\nTo: <sip:b@example.net>\r\nCall-ID: m1\r\n\
        CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nHello";
    const OK: &[u8] = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK2\r\n\
        From: <sip:a@example.net>;tag=1\r\nTo: <sip:b@example.net>;tag=2\r\nCall-ID: m1\r\n\
        CSeq: 1 MESSAGE\r\nl: 0\r\n\r\n";
    /// A head without Content-Length, then a body of two bytes.
    const NO_LENGTH: &[u8] =
        b"MESSAGE sip:b@example.net SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK3\r\n\
        From: <sip:a@example.net>;tag=1\r\nTo: <sip:b@example.net>\r\nCall-ID: n1\r\n\
        CSeq: 1 MESSAGE\r\n\r\nhi";

    /// Everything `reader` yields until it needs more bytes (errors as `Err`).
    fn drain(reader: &mut StreamReader) -> Vec<Result<StreamItem, StreamError>> {
        let mut out = Vec::new();
        loop {
            match reader.next_item() {
                Ok(Some(item)) => out.push(Ok(item)),
                Ok(None) => return out,
                Err(e) => {
                    let fatal = e.is_fatal();
                    out.push(Err(e));
                    if fatal {
                        return out;
                    }
                }
            }
        }
    }

    /// Feeds `wire` in pieces of `step` bytes (the last may be shorter).
    fn read_in(wire: &[u8], step: usize, limits: &Limits) -> Vec<Result<StreamItem, StreamError>> {
        let mut reader = StreamReader::with_limits(limits);
        let mut out = Vec::new();
        for piece in wire.chunks(step.max(1)) {
            reader.push(piece);
            out.extend(drain(&mut reader));
            if reader.is_failed() {
                break;
            }
        }
        out
    }

    fn request(bytes: &[u8]) -> Result<StreamItem, StreamError> {
        Ok(StreamItem::Request(Bytes::copy_from_slice(bytes)))
    }

    fn kinds(
        items: &[Result<StreamItem, StreamError>],
    ) -> Vec<Result<&StreamItem, &StreamErrorKind>> {
        items
            .iter()
            .map(|i| i.as_ref().map_err(StreamError::kind))
            .collect()
    }

    #[test]
    fn one_message_in_one_push() {
        let items = read_in(MESSAGE, MESSAGE.len(), &Limits::DEFAULT);
        assert_eq!(items, vec![request(MESSAGE)]);
    }

    #[test]
    fn several_messages_in_one_push_and_one_byte_at_a_time() {
        let wire = [OPTIONS, MESSAGE, OK, MESSAGE].concat();
        let expected = vec![
            request(OPTIONS),
            request(MESSAGE),
            Ok(StreamItem::Response(Bytes::from_static(OK))),
            request(MESSAGE),
        ];
        for step in [wire.len(), 1, 2, 3, 7, 64] {
            assert_eq!(
                read_in(&wire, step, &Limits::DEFAULT),
                expected,
                "step {step}"
            );
        }
    }

    #[test]
    fn messages_share_the_buffer_they_were_read_into() {
        let mut reader = StreamReader::new();
        reader.push(&[OPTIONS, MESSAGE].concat());
        let first = reader.next_item().unwrap().unwrap().into_message().unwrap();
        let second = reader.next_item().unwrap().unwrap().into_message().unwrap();
        // The second message starts where the first ends: one buffer, no copy.
        assert_eq!(first.as_ptr().wrapping_add(first.len()), second.as_ptr());
        assert_eq!(reader.position(), (OPTIONS.len() + MESSAGE.len()) as u64);
        assert_eq!(reader.buffered(), 0);
    }

    #[test]
    fn keep_alives_are_reported_whatever_the_cut() {
        // Pong; ping (Pong, Ping); three CRLFs (Pong, Ping, Pong); all between messages.
        let wire = [
            b"\r\n",
            OPTIONS,
            b"\r\n\r\n",
            MESSAGE,
            b"\r\n\r\n\r\n",
            OK,
            b"\r\n",
        ]
        .concat();
        let expected = vec![
            Ok(StreamItem::Pong),
            request(OPTIONS),
            Ok(StreamItem::Pong),
            Ok(StreamItem::Ping),
            request(MESSAGE),
            Ok(StreamItem::Pong),
            Ok(StreamItem::Ping),
            Ok(StreamItem::Pong),
            Ok(StreamItem::Response(Bytes::from_static(OK))),
            Ok(StreamItem::Pong),
        ];
        for step in 1..=5 {
            assert_eq!(
                read_in(&wire, step, &Limits::DEFAULT),
                expected,
                "step {step}"
            );
        }
        assert_eq!(read_in(&wire, wire.len(), &Limits::DEFAULT), expected);
    }

    #[test]
    fn a_lone_cr_waits_for_its_lf() {
        let mut reader = StreamReader::new();
        reader.push(b"\r");
        assert_eq!(reader.next_item(), Ok(None));
        reader.push(b"\n");
        assert_eq!(reader.next_item(), Ok(Some(StreamItem::Pong)));
        assert_eq!(reader.next_item(), Ok(None));
    }

    #[test]
    fn compact_case_insensitive_and_folded_content_length() {
        let head =
            "MESSAGE sip:b@x SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK4\r\nCall-ID: c\r\n";
        for header in [
            "l: 5\r\n",
            "L:5\r\n",
            "content-length  :  5 \r\n",
            "CONTENT-LENGTH:\r\n  5\r\n",
            "Content-Length: 5\r\nl: 5\r\n",
        ] {
            let wire = format!(
                "{head}{header}\r\nHello{}",
                String::from_utf8_lossy(OPTIONS)
            );
            let items = read_in(wire.as_bytes(), 3, &Limits::DEFAULT);
            let first = format!("{head}{header}\r\nHello");
            assert_eq!(
                items,
                vec![request(first.as_bytes()), request(OPTIONS)],
                "{header:?}"
            );
        }
    }

    #[test]
    fn content_length_in_the_start_line_or_a_value_is_not_taken() {
        // "Content-Length: 5" inside another header's value does not count.
        let wire =
            b"OPTIONS sip:Content-Length:9@x SIP/2.0\r\nSubject: Content-Length: 9\r\nl: 0\r\n\r\n";
        assert_eq!(read_in(wire, 1, &Limits::DEFAULT), vec![request(wire)]);
    }

    #[test]
    fn no_content_length_is_an_error_and_the_next_message_still_comes() {
        // The body "hi" is glued to the next request line: `hiMESSAGE ...`.
        let wire = [NO_LENGTH, MESSAGE, OPTIONS].concat();
        for step in [wire.len(), 1, 2, 5, 13] {
            let items = read_in(&wire, step, &Limits::DEFAULT);
            assert_eq!(items.len(), 3, "step {step}: {items:?}");
            let err = items[0].as_ref().unwrap_err();
            assert_eq!(err.kind(), &StreamErrorKind::MissingContentLength);
            assert_eq!(err.offset(), 0);
            assert_eq!(err.head().unwrap(), &NO_LENGTH[..NO_LENGTH.len() - 2]);
            assert!(!err.is_fatal());
            assert_eq!(items[1], request(MESSAGE), "step {step}");
            assert_eq!(items[2], request(OPTIONS), "step {step}");
        }
    }

    #[test]
    fn after_a_missing_length_a_response_or_an_extension_method_is_found() {
        let junk = b"some body\r\nwith lines and SIP/2.0/TCP in it, and SIP/2.0 but no code ";
        let wire = [
            &NO_LENGTH[..NO_LENGTH.len() - 2],
            junk,
            OK,
            b"x PRACK sip:a@b SIP/2.0\r\nl: 0\r\n\r\n",
        ]
        .concat();
        let items = read_in(&wire, 1, &Limits::DEFAULT);
        assert_eq!(
            kinds(&items),
            vec![
                Err(&StreamErrorKind::MissingContentLength),
                Ok(&StreamItem::Response(Bytes::from_static(OK))),
                Ok(&StreamItem::Request(Bytes::from_static(
                    b"x PRACK sip:a@b SIP/2.0\r\nl: 0\r\n\r\n"
                ))),
            ]
        );
        let extension = [
            &NO_LENGTH[..NO_LENGTH.len() - 2],
            b"body\r\nFOO sip:a@b SIP/2.0\r\nl: 0\r\n\r\n",
        ]
        .concat();
        let items = read_in(&extension, 4, &Limits::DEFAULT);
        assert_eq!(items[1], request(b"FOO sip:a@b SIP/2.0\r\nl: 0\r\n\r\n"));
        let glued = [
            &NO_LENGTH[..NO_LENGTH.len() - 2],
            b"hiPRACK sip:a@b SIP/2.0\r\nl: 0\r\n\r\n",
        ]
        .concat();
        let items = read_in(&glued, 1, &Limits::DEFAULT);
        assert_eq!(items[1], request(b"PRACK sip:a@b SIP/2.0\r\nl: 0\r\n\r\n"));
    }

    #[test]
    fn bad_and_conflicting_lengths_are_errors_the_reader_recovers_from() {
        let bad = b"MESSAGE sip:b@x SIP/2.0\r\nCall-ID: c\r\nContent-Length: 5x\r\n\r\nHello";
        let items = read_in(&[&bad[..], MESSAGE].concat(), 1, &Limits::DEFAULT);
        assert_eq!(
            kinds(&items),
            vec![
                Err(&StreamErrorKind::BadContentLength { line: 3 }),
                Ok(&StreamItem::Request(Bytes::from_static(MESSAGE)))
            ]
        );
        assert_eq!(
            items[0].as_ref().unwrap_err().to_string(),
            "stream byte 0: line 3 of the message: Content-Length is not a number"
        );
        let two = b"MESSAGE sip:b@x SIP/2.0\r\nl: 5\r\nContent-Length: 6\r\n\r\nHello!";
        let items = read_in(&[&two[..], OPTIONS].concat(), 2, &Limits::DEFAULT);
        assert_eq!(
            kinds(&items),
            vec![
                Err(&StreamErrorKind::ConflictingContentLength {
                    first: 5,
                    second: 6
                }),
                Ok(&StreamItem::Request(Bytes::from_static(OPTIONS)))
            ]
        );
        for empty in ["l:\r\n", "l: -1\r\n", "l: +1\r\n", "l: 1 2\r\n"] {
            let wire = format!("OPTIONS sip:b@x SIP/2.0\r\n{empty}\r\n");
            let items = read_in(wire.as_bytes(), wire.len(), &Limits::DEFAULT);
            assert!(
                matches!(
                    items[0].as_ref().unwrap_err().kind(),
                    StreamErrorKind::BadContentLength { line: 2 }
                ),
                "{empty:?}"
            );
        }
    }

    #[test]
    fn limits_at_and_one_past() {
        let limits = Limits {
            max_message_size: MESSAGE.len(),
            ..Limits::DEFAULT
        };
        assert_eq!(read_in(MESSAGE, 1, &limits), vec![request(MESSAGE)]);
        let tight = Limits {
            max_message_size: MESSAGE.len() - 1,
            ..Limits::DEFAULT
        };
        // One past: the head is set aside, its body dropped, and the next message read.
        let wire = [MESSAGE, OK].concat();
        for step in [1, 4, wire.len()] {
            let items = read_in(&wire, step, &tight);
            let head_len = MESSAGE.len() - 5;
            assert_eq!(
                kinds(&items),
                vec![
                    Err(&StreamErrorKind::MessageTooLarge {
                        head: head_len,
                        content_length: 5,
                        limit: MESSAGE.len() - 1
                    }),
                    Ok(&StreamItem::Response(Bytes::from_static(OK))),
                ],
                "step {step}"
            );
            assert_eq!(
                items[0].as_ref().unwrap_err().head().unwrap(),
                &MESSAGE[..head_len]
            );
        }
    }

    #[test]
    fn a_head_at_the_limit_reads_and_one_past_is_fatal() {
        let head = OK; // a head with l: 0
        let at = Limits {
            max_message_size: head.len(),
            ..Limits::DEFAULT
        };
        assert_eq!(
            read_in(head, 1, &at),
            vec![Ok(StreamItem::Response(Bytes::from_static(OK)))]
        );
        let past = Limits {
            max_message_size: head.len() - 1,
            ..Limits::DEFAULT
        };
        for step in [1, head.len()] {
            let items = read_in(head, step, &past);
            assert_eq!(
                kinds(&items),
                vec![Err(&StreamErrorKind::HeadTooLarge {
                    limit: head.len() - 1
                })]
            );
        }
    }

    #[test]
    fn a_mebibyte_head_without_end_fails_at_the_limit_in_bounded_memory() {
        let mut reader = StreamReader::new();
        let chunk = [b'a'; 4096];
        let mut failed_at = None;
        for i in 0..256 {
            reader.push(&chunk);
            assert!(reader.buffered() <= Limits::DEFAULT.max_message_size + chunk.len());
            match reader.next_item() {
                Ok(None) => {}
                Err(e) => {
                    assert_eq!(
                        e.kind(),
                        &StreamErrorKind::HeadTooLarge { limit: 256 * 1024 }
                    );
                    assert!(e.is_fatal() && e.head().is_none());
                    failed_at.get_or_insert(i);
                }
                Ok(Some(item)) => panic!("unexpected {item:?}"),
            }
        }
        assert_eq!(failed_at, Some(63), "fails once 256 KiB are held");
        assert!(reader.is_failed());
        assert_eq!(reader.buffered(), 0);
        assert_eq!(reader.position(), 1024 * 1024);
        // Sticky, and a valid message after it is not read.
        reader.push(OPTIONS);
        assert!(reader.next_item().unwrap_err().is_fatal());
    }

    #[test]
    fn a_huge_content_length_is_refused_and_its_body_skipped() {
        let wire = b"MESSAGE sip:b@x SIP/2.0\r\nl: 99999999999999999999999999\r\n\r\n";
        let items = read_in(wire, 7, &Limits::DEFAULT);
        assert_eq!(
            kinds(&items),
            vec![Err(&StreamErrorKind::MessageTooLarge {
                head: wire.len(),
                content_length: u64::MAX,
                limit: 256 * 1024
            })]
        );
        // A large but finite one: the body is dropped as it comes, never kept.
        let big = format!("MESSAGE sip:b@x SIP/2.0\r\nl: {}\r\n\r\n", 1 << 20);
        let mut reader = StreamReader::new();
        reader.push(big.as_bytes());
        assert!(matches!(
            reader.next_item().unwrap_err().kind(),
            StreamErrorKind::MessageTooLarge { .. }
        ));
        for _ in 0..256 {
            reader.push(&[b'x'; 4096]);
            assert_eq!(reader.buffered(), 0);
            assert_eq!(reader.next_item(), Ok(None));
        }
        reader.push(OPTIONS);
        assert_eq!(
            reader.next_item(),
            Ok(Some(StreamItem::Request(Bytes::from_static(OPTIONS))))
        );
    }

    #[test]
    fn resync_memory_stays_bounded() {
        let limits = Limits {
            max_message_size: 1024,
            ..Limits::DEFAULT
        };
        let mut reader = StreamReader::with_limits(&limits);
        reader.push(&NO_LENGTH[..NO_LENGTH.len() - 2]);
        assert!(reader.next_item().is_err());
        for _ in 0..100 {
            reader.push(&[b'y'; 512]);
            assert_eq!(reader.next_item(), Ok(None));
            assert!(reader.buffered() <= 1024);
        }
        reader.push(b"\r\n");
        reader.push(OK);
        assert_eq!(
            reader.next_item(),
            Ok(Some(StreamItem::Response(Bytes::from_static(OK))))
        );
    }

    #[test]
    fn reading_into_the_buffer_and_what_is_left() {
        let mut reader = StreamReader::new();
        reader.buffer_mut().extend_from_slice(&MESSAGE[..20]);
        assert_eq!(reader.next_item(), Ok(None));
        assert_eq!(reader.needs(), None);
        reader
            .buffer_mut()
            .extend_from_slice(&MESSAGE[20..MESSAGE.len() - 2]);
        assert_eq!(reader.next_item(), Ok(None));
        assert_eq!(reader.needs(), Some(2));
        assert_eq!(reader.take_buffered(), &MESSAGE[..MESSAGE.len() - 2]);
        assert_eq!(reader.buffered(), 0);
        assert_eq!(reader.position(), (MESSAGE.len() - 2) as u64);
    }

    #[test]
    fn no_panic_on_odd_limits_and_bytes() {
        for limit in [0, 1, 3, 4, 5] {
            let limits = Limits {
                max_message_size: limit,
                ..Limits::DEFAULT
            };
            for wire in [
                &b"\r\n\r\n"[..],
                b"\r\r\n",
                b"\n\n",
                b"a\r\n\r\n",
                b"SIP/2.0 ",
                b"\r",
            ] {
                let _ = read_in(wire, 1, &limits);
                let _ = read_in(wire, wire.len(), &limits);
            }
        }
        // Resynchronising on cut-short candidates.
        let prefix = &NO_LENGTH[..NO_LENGTH.len() - 2];
        for tail in [
            &b" SIP/2.0\r\n"[..],
            b"SIP/2.0",
            b"SIP/2.0 20",
            b"x  SIP/2.0\r\n",
            b"\r\n SIP/2.0\r\n",
        ] {
            let _ = read_in(&[prefix, tail].concat(), 1, &Limits::DEFAULT);
        }
    }
}
