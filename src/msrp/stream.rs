//! Cutting MSRP messages out of a byte stream, without I/O: [`MsrpStreamReader`].

use bytes::{Buf, Bytes, BytesMut};

use super::frame::{
    find_blank_line, find_crlf, find_end_line, may_start_end_line, start_line_to, EndLine,
    StartLine, DASHES, MAX_IDENT,
};

/// The room a new reader starts with.
const INITIAL_CAPACITY: usize = 16 * 1024;

/// The most room the reader makes for messages ahead of the one under way (see
/// [`MsrpStreamReader::push`]).
const MAX_ROOM: usize = 1024 * 1024;

/// How many bytes given with [`MsrpStreamReader::push_owned`] are first copied behind
/// a message under way, to complete it (doubled at each further copy).
const FIRST_PIECE: usize = 1024;

/// How large an MSRP message's parts may be, for [`MsrpStreamReader`].
///
/// ```
/// use cpm_client::msrp::MsrpLimits;
/// let limits = MsrpLimits { max_body_size: 8 << 20, ..MsrpLimits::DEFAULT };
/// assert_eq!(limits.max_head_size, 16 * 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsrpLimits {
    /// The start line and the headers, through the empty line (or, for a message
    /// without body, through its end-line). 16 KiB by default: RFC 4975 heads are a
    /// few hundred bytes; relays lengthen the paths a little.
    pub max_head_size: usize,
    /// The body of one chunk. 1 MiB by default: chunks are usually 2 KiB to 64 KiB
    /// (RFC 4975 section 7.1.1 asks senders to interrupt chunks past 2048 bytes when
    /// another message waits, and this library writes 2048). A peer that sends a whole
    /// large file as one chunk needs a higher limit.
    pub max_body_size: usize,
}

impl MsrpLimits {
    /// The limits by default.
    pub const DEFAULT: MsrpLimits = MsrpLimits {
        max_head_size: 16 * 1024,
        max_body_size: 1024 * 1024,
    };
}

impl Default for MsrpLimits {
    fn default() -> Self {
        MsrpLimits::DEFAULT
    }
}

/// Why a stream could not be cut, and where.
///
/// [`BodyTooLarge`](MsrpStreamErrorKind::BodyTooLarge) is recoverable: the reader
/// sets the head aside (in [`head`](Self::head)), drops the body as it comes up to its
/// end-line, and goes on. The other kinds are fatal: the reader returns the same error
/// at every call and the connection should be closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("MSRP stream byte {offset}: {kind}")]
pub struct MsrpStreamError {
    kind: MsrpStreamErrorKind,
    offset: u64,
    head: Option<Bytes>,
}

impl MsrpStreamError {
    /// What was wrong.
    pub fn kind(&self) -> &MsrpStreamErrorKind {
        &self.kind
    }

    /// Where the faulty message starts, counted from the first byte given to the
    /// reader (0-based).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The head of a chunk whose body was too large (start line through the empty
    /// line): enough to answer it 413 (RFC 4975 section 10.5). `None` for a fatal
    /// error.
    pub fn head(&self) -> Option<&Bytes> {
        self.head.as_ref()
    }

    /// Whether the reader can go no further.
    pub fn is_fatal(&self) -> bool {
        self.kind.is_fatal()
    }
}

/// What was wrong with the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MsrpStreamErrorKind {
    /// The next bytes do not start `MSRP <transaction-id> <method or status>` CRLF.
    /// Fatal: where the next message starts cannot be known.
    #[error("the start line is not MSRP <transaction-id> <method or status>")]
    BadStartLine,
    /// No empty line or end-line ends the head within
    /// [`MsrpLimits::max_head_size`]. Fatal.
    #[error("the head is not over within {limit} bytes")]
    HeadTooLarge {
        /// [`MsrpLimits::max_head_size`].
        limit: usize,
    },
    /// The body runs past [`MsrpLimits::max_body_size`] without its end-line.
    /// Recoverable: the head is set aside, the body dropped up to its end-line.
    #[error("the body is not over within {limit} bytes")]
    BodyTooLarge {
        /// [`MsrpLimits::max_body_size`].
        limit: usize,
    },
}

impl MsrpStreamErrorKind {
    /// Whether the reader stops for good: every kind but
    /// [`BodyTooLarge`](MsrpStreamErrorKind::BodyTooLarge).
    pub fn is_fatal(&self) -> bool {
        !matches!(self, MsrpStreamErrorKind::BodyTooLarge { .. })
    }
}

/// A transaction id held without allocating.
#[derive(Debug, Clone, Copy)]
struct Tid {
    bytes: [u8; MAX_IDENT],
    len: usize,
}

impl Tid {
    fn new(tid: &[u8]) -> Tid {
        let len = tid.len().min(MAX_IDENT);
        let mut bytes = [0u8; MAX_IDENT];
        bytes[..len].copy_from_slice(&tid[..len]);
        Tid { bytes, len }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

#[derive(Debug, Clone)]
enum State {
    /// Before a start line.
    Start,
    /// The start line read; looking for the empty line or the end-line.
    Head { tid: Tid },
    /// Looking for the end-line after the body that starts at `body_start`.
    Body { tid: Tid, body_start: usize },
    /// Dropping the body of a chunk over the limit, up to its end-line.
    Skipping { tid: Tid },
    /// After a fatal error.
    Failed(MsrpStreamError),
}

/// A sans-IO reader of MSRP messages on a stream: bytes in with
/// [`push`](Self::push) (or into [`buffer_mut`](Self::buffer_mut)), or handed over
/// whole with [`push_owned`](Self::push_owned); whole messages out with
/// [`next_frame`](Self::next_frame) as [`Bytes`] cut from its buffer (or from the bytes
/// handed over) without copying, for
/// [`MsrpFrame::parse_framed`](super::MsrpFrame::parse_framed).
///
/// # Framing (RFC 4975 sections 5.1 and 9)
///
/// A message starts `MSRP <transaction-id> ...` CRLF. It has no length: it ends at
/// the first end-line of **its own** transaction, `CRLF -------<transaction-id>`,
/// then a flag (`$`, `+` or `#`) and CRLF. A body that holds something like another
/// transaction's end-line (another id, an id that only starts like this one, dashes
/// without a flag) is not cut there. The search is incremental: bytes that arrive one
/// at a time are not searched again and again. The result does not depend on how the
/// stream was cut.
///
/// # Limits and memory
///
/// [`MsrpLimits`] bounds the head and the body of each message, as soon as the bytes
/// that pass them arrive: a chunk whose end-line never comes is an error once
/// [`max_body_size`](MsrpLimits::max_body_size) is passed, and the reader then keeps
/// no more than an end-line's length of it while it drops the rest. A caller that
/// pushes one read, then calls `next_frame` until `Ok(None)`, holds at most a head, a
/// body and an end-line plus one read.
///
/// ```
/// use cpm_client::msrp::{MsrpFrame, MsrpStreamReader};
///
/// let wire = b"MSRP a786hjs2 SEND\r\n\
///     To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
///     From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n\
///     Message-ID: 87652491\r\nByte-Range: 1-*/*\r\nContent-Type: text/plain\r\n\r\n\
///     -------a786hjs3$\r\n (not ours)\r\n-------a786hjs2+\r\n\
///     MSRP a786hjs2 200 OK\r\n\
///     To-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n\
///     From-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
///     -------a786hjs2$\r\n";
/// let mut reader = MsrpStreamReader::new();
/// let mut frames = Vec::new();
/// for piece in wire.chunks(7) {
///     reader.push(piece);
///     while let Some(bytes) = reader.next_frame()? {
///         frames.push(MsrpFrame::parse_framed(bytes).expect("well-formed"));
///     }
/// }
/// let MsrpFrame::Request(send) = &frames[0] else { panic!("a request first") };
/// assert_eq!(send.body(), Some(&b"-------a786hjs3$\r\n (not ours)"[..]));
/// assert!(matches!(frames[1], MsrpFrame::Response(_)));
/// # Ok::<(), cpm_client::msrp::MsrpStreamError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MsrpStreamReader {
    buffer: BytesMut,
    limits: MsrpLimits,
    state: State,
    /// Where the next search may start (bytes before it were searched in vain).
    searched: usize,
    /// Bytes taken out of the buffer since the start of the stream.
    consumed: u64,
    /// The room the buffer was last grown to: a power of two, eight times the
    /// largest message seen, at most [`MAX_ROOM`].
    room: usize,
    /// The largest message handed out.
    largest: usize,
    /// The start line of the message under way, as read.
    start: Option<StartLine>,
    /// Bytes given with [`push_owned`](Self::push_owned) and read in place. When not
    /// empty, it is what the reader holds: `buffer` and `incoming` are empty.
    frozen: Bytes,
    /// Bytes given with `push_owned` that follow what `buffer` holds, the first `fed`
    /// of them copied into it already.
    incoming: Bytes,
    fed: usize,
}

impl Default for MsrpStreamReader {
    fn default() -> Self {
        MsrpStreamReader::new()
    }
}

impl MsrpStreamReader {
    /// A reader under [`MsrpLimits::DEFAULT`].
    pub fn new() -> MsrpStreamReader {
        MsrpStreamReader::with_limits(MsrpLimits::DEFAULT)
    }

    /// A reader under `limits`.
    pub fn with_limits(limits: MsrpLimits) -> MsrpStreamReader {
        MsrpStreamReader {
            buffer: BytesMut::with_capacity(INITIAL_CAPACITY),
            limits,
            state: State::Start,
            searched: 0,
            consumed: 0,
            room: INITIAL_CAPACITY,
            largest: 0,
            start: None,
            frozen: Bytes::new(),
            incoming: Bytes::new(),
            fed: 0,
        }
    }

    /// Adds bytes read from the stream (dropped after a fatal error).
    ///
    /// The buffer keeps room for several messages of the largest size seen (from 8 KiB
    /// up, eight of them up to 1 MiB in all): the part of a message that a read cut off, at the end of the buffer, is
    /// then moved back to its start once per several messages rather than at every
    /// read.
    pub fn push(&mut self, bytes: &[u8]) {
        if let State::Failed(_) = self.state {
            self.consumed = self.consumed.saturating_add(bytes.len() as u64);
            return;
        }
        self.thaw();
        self.append(bytes);
    }

    /// Adds bytes read from the stream that the caller hands over, as
    /// [`push`](Self::push) does, without copying them where it can: the messages
    /// that `bytes` holds whole are cut out of it in place (the [`Bytes`] that
    /// [`next_frame`](Self::next_frame) hands out are slices of it, which keep it
    /// alive). Only the part of a message that a read cut off is copied: the end of
    /// one left at the end of the previous read is completed from the start of
    /// `bytes`, and the start of one at the end of `bytes` is copied when more bytes
    /// come. The messages and errors are the same as with `push`, however the stream
    /// is cut.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use cpm_client::msrp::MsrpStreamReader;
    ///
    /// let read = Bytes::from_static(
    ///     b"MSRP a1b2c3 200 OK\r\nTo-Path: msrp://a.example.com:7654/s1;tcp\r\n\
    ///       From-Path: msrp://b.example.com:7654/s2;tcp\r\n-------a1b2c3$\r\nMSRP",
    /// );
    /// let mut reader = MsrpStreamReader::new();
    /// reader.push_owned(read.clone());
    /// let frame = reader.next_frame()?.expect("a whole message");
    /// // A slice of the bytes handed over, not a copy.
    /// assert_eq!(frame.as_ptr(), read.as_ptr());
    /// assert_eq!(reader.next_frame()?, None);
    /// assert_eq!(reader.buffered(), 4);
    /// # Ok::<(), cpm_client::msrp::MsrpStreamError>(())
    /// ```
    pub fn push_owned(&mut self, bytes: Bytes) {
        if let State::Failed(_) = self.state {
            self.consumed = self.consumed.saturating_add(bytes.len() as u64);
            return;
        }
        if bytes.is_empty() {
            return;
        }
        self.thaw();
        if self.buffer.is_empty() {
            self.frozen = bytes;
        } else {
            self.incoming = bytes;
        }
    }

    /// Copies what is held in place and what was handed over but not read yet into
    /// the buffer, in order.
    fn thaw(&mut self) {
        if !self.frozen.is_empty() {
            let frozen = std::mem::take(&mut self.frozen);
            self.append(&frozen);
        }
        let incoming = std::mem::take(&mut self.incoming);
        if let Some(rest) = incoming.get(self.fed..) {
            self.append(rest);
        }
        self.fed = 0;
    }

    /// Appends `bytes` to the buffer.
    fn append(&mut self, bytes: &[u8]) {
        // Messages under 8 KiB fit several to the initial room already.
        if self.largest >= 8 * 1024 && self.buffer.capacity() - self.buffer.len() < bytes.len() {
            let room = self
                .largest
                .saturating_mul(8)
                .checked_next_power_of_two()
                .unwrap_or(MAX_ROOM)
                .min(MAX_ROOM);
            if room > self.room {
                self.room = room;
                self.buffer.reserve(room.max(bytes.len()));
            }
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// The buffer, to read into directly: bytes appended are as if pushed. Only
    /// append; bytes already there are the reader's (bytes given with
    /// [`push_owned`](Self::push_owned) and not read yet are copied in first).
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        self.thaw();
        &mut self.buffer
    }

    /// How many bytes the reader holds that it has not handed out.
    pub fn buffered(&self) -> usize {
        self.held().len() + self.incoming.len().saturating_sub(self.fed)
    }

    /// The bytes the state machine reads: those held in place, else the buffer.
    fn held(&self) -> &[u8] {
        if self.frozen.is_empty() {
            &self.buffer
        } else {
            &self.frozen
        }
    }

    /// Where the next message starts, counted from the first byte pushed.
    pub fn position(&self) -> u64 {
        self.consumed
    }

    /// Whether a fatal error has stopped the reader.
    pub fn is_failed(&self) -> bool {
        matches!(self.state, State::Failed(_))
    }

    /// The next whole message, `Ok(None)` when more bytes are needed first. Call it
    /// until `Ok(None)` after every push: one push may hold several messages.
    ///
    /// # Errors
    ///
    /// An [`MsrpStreamError`]; after a recoverable one call again for what follows, a
    /// fatal one comes back at every call.
    pub fn next_frame(&mut self) -> Result<Option<Bytes>, MsrpStreamError> {
        Ok(self.next_frame_read()?.map(|(frame, _)| frame))
    }

    /// As [`next_frame`](Self::next_frame), with the message's start line as the
    /// reader read it (`None` when it was not kept), so that it is not read again.
    pub(crate) fn next_frame_read(
        &mut self,
    ) -> Result<Option<(Bytes, Option<StartLine>)>, MsrpStreamError> {
        let mut piece = FIRST_PIECE;
        loop {
            if !self.incoming.is_empty() && self.buffer.len() <= self.fed {
                // All the buffer holds was copied from the bytes handed over: read
                // the rest of them in place, from where the buffer starts.
                self.frozen = self.incoming.slice(self.fed - self.buffer.len()..);
                self.buffer.clear();
                self.incoming = Bytes::new();
                self.fed = 0;
            }
            if let Some(frame) = self.next_held()? {
                return Ok(Some(frame));
            }
            let Some(rest) = self
                .incoming
                .get(self.fed..)
                .filter(|rest| !rest.is_empty())
            else {
                self.incoming = Bytes::new();
                self.fed = 0;
                return Ok(None);
            };
            // The message under way needs more: copy the next piece behind it.
            let n = rest.len().min(piece);
            let next = self.incoming.slice(self.fed..self.fed + n);
            self.append(&next);
            self.fed += n;
            piece = piece.saturating_mul(2);
        }
    }

    /// The next whole message in what the reader holds.
    fn next_held(&mut self) -> Result<Option<(Bytes, Option<StartLine>)>, MsrpStreamError> {
        loop {
            match self.state.clone() {
                State::Failed(error) => return Err(error),
                State::Start => {
                    if !self.start()? {
                        return Ok(None);
                    }
                }
                State::Head { tid } => match self.head(tid)? {
                    Step::Frame(len) => return Ok(Some(self.take(len))),
                    Step::Again => {}
                    Step::Wait => return Ok(None),
                },
                State::Body { tid, body_start } => match self.body(tid, body_start)? {
                    Step::Frame(len) => return Ok(Some(self.take(len))),
                    Step::Again => {}
                    Step::Wait => return Ok(None),
                },
                State::Skipping { tid } => match find_end_line(self.held(), 0, tid.as_bytes()) {
                    EndLine::Found(_, end) => {
                        self.drop_front(end);
                        self.state = State::Start;
                    }
                    EndLine::NeedMore(at) => {
                        self.drop_front(at);
                        return Ok(None);
                    }
                    EndLine::NotFound(from) => {
                        self.drop_front(from);
                        return Ok(None);
                    }
                },
            }
        }
    }

    /// Reads a start line; whether one was read.
    fn start(&mut self) -> Result<bool, MsrpStreamError> {
        let prefix = b"MSRP ";
        let held = self.held();
        let shown = held.len().min(prefix.len());
        if held[..shown] != prefix[..shown] {
            return Err(self.fail(MsrpStreamErrorKind::BadStartLine));
        }
        let window = held.len().min(self.limits.max_head_size);
        let from = self.searched.min(window);
        let Some(at) = find_crlf(&held[from..window]) else {
            if held.len() >= self.limits.max_head_size {
                let limit = self.limits.max_head_size;
                return Err(self.fail(MsrpStreamErrorKind::HeadTooLarge { limit }));
            }
            self.searched = window.saturating_sub(1);
            return Ok(false);
        };
        let line_end = from + at + 2;
        let Ok(start) = start_line_to(held, line_end - 2) else {
            return Err(self.fail(MsrpStreamErrorKind::BadStartLine));
        };
        let tid = Tid::new(&held[start.tid.clone()]);
        self.start = Some(start);
        // The CRLF that ends the start line may be the one before an end-line.
        self.searched = line_end - 2;
        self.state = State::Head { tid };
        Ok(true)
    }

    /// Looks for the end of the head.
    fn head(&mut self, tid: Tid) -> Result<Step, MsrpStreamError> {
        let tid_bytes = tid.as_bytes();
        // The end-line's length but for its flag and CRLF.
        let needle_len = 2 + DASHES.len() + tid_bytes.len();
        let limit = self.limits.max_head_size;
        let held = self.held();
        let held_len = held.len();
        let window = held_len.min(limit.saturating_add(needle_len + 3));
        let from = self.searched.min(window);
        let blank = find_blank_line(&held[from..window]).map(|at| from + at);
        // The end-line of a message without body comes before the blank line, or
        // right after its first CRLF: the body past it is not searched here.
        let end_window = blank.map_or(window, |b| (b + 2 + needle_len + 3).min(window));
        let end = find_end_line(&held[..end_window], from, tid_bytes);
        // Whether bytes after a blank line at `b` may yet become an end-line right
        // after it (a message with an empty line and no body).
        let may_end_after = |b: usize| {
            held_len < b + 2 + needle_len + 3
                && may_start_end_line(held.get(b + 2..).unwrap_or_default(), tid_bytes)
        };
        let head_over = |len: usize| len > limit;
        // Where an end-line that starts at `at` would end.
        let end_of = |at: usize| at + needle_len + 3;
        match (blank, end) {
            // No body: headers, then the end-line (or a blank line right before it).
            (_, EndLine::Found(at, end)) if blank.map_or(true, |b| at <= b + 2) => {
                if head_over(end) {
                    return Err(self.fail(MsrpStreamErrorKind::HeadTooLarge { limit }));
                }
                Ok(Step::Frame(end))
            }
            (Some(b), EndLine::NeedMore(at)) if at <= b + 2 => {
                // Over the limit whether the end-line comes or a body starts.
                if head_over(end_of(at)) && head_over(b + 4) {
                    return Err(self.fail(MsrpStreamErrorKind::HeadTooLarge { limit }));
                }
                self.searched = at.min(b);
                Ok(Step::Wait)
            }
            (Some(b), _) if head_over(b + 4) => {
                Err(self.fail(MsrpStreamErrorKind::HeadTooLarge { limit }))
            }
            // Bytes after the blank line that may yet become an end-line right after
            // it (a message with an empty line and no body): wait to know.
            (Some(b), _) if may_end_after(b) => {
                self.searched = b;
                Ok(Step::Wait)
            }
            (Some(b), _) => {
                self.searched = b + 4;
                // The first empty line: reading the message need not look again.
                if let Some(start) = &mut self.start {
                    start.body_start = Some(b + 4);
                }
                self.state = State::Body {
                    tid,
                    body_start: b + 4,
                };
                Ok(Step::Again)
            }
            (None, EndLine::NeedMore(at)) => {
                // Undecided until the limit is reached: should the candidate fail, a
                // blank line right after it may still end the head in time. Once
                // `limit` bytes are held without either, anything ends past it.
                if held_len >= limit {
                    return Err(self.fail(MsrpStreamErrorKind::HeadTooLarge { limit }));
                }
                self.searched = at.min(window.saturating_sub(3));
                Ok(Step::Wait)
            }
            (None, EndLine::Found(..)) | (None, EndLine::NotFound(_)) => {
                if held_len >= limit {
                    return Err(self.fail(MsrpStreamErrorKind::HeadTooLarge { limit }));
                }
                // Both searches may resume a few bytes back.
                self.searched = window.saturating_sub(needle_len + 3).max(from);
                Ok(Step::Wait)
            }
        }
    }

    /// Looks for the end-line after a body.
    fn body(&mut self, tid: Tid, body_start: usize) -> Result<Step, MsrpStreamError> {
        let limit = self.limits.max_body_size;
        // The body's first byte may be the CR of the end-line's CRLF (an empty body).
        let from = self.searched.max(body_start);
        let too_large = |at: usize| at - body_start > limit;
        match find_end_line(self.held(), from, tid.as_bytes()) {
            EndLine::Found(at, end) => {
                if too_large(at) {
                    let error = self.set_aside(body_start, limit, tid);
                    self.drop_front(end - body_start);
                    self.state = State::Start;
                    return Err(error);
                }
                Ok(Step::Frame(end))
            }
            EndLine::NeedMore(at) => {
                self.searched = at;
                if too_large(at) {
                    return Err(self.set_aside(body_start, limit, tid));
                }
                Ok(Step::Wait)
            }
            EndLine::NotFound(resume) => {
                self.searched = resume;
                if too_large(resume) {
                    return Err(self.set_aside(body_start, limit, tid));
                }
                Ok(Step::Wait)
            }
        }
    }

    /// Sets the head (the first `head_len` bytes) aside into a recoverable error and
    /// skips the rest of the chunk.
    fn set_aside(&mut self, head_len: usize, limit: usize, tid: Tid) -> MsrpStreamError {
        let offset = self.consumed;
        let head = self.split_front(head_len);
        self.consumed = self.consumed.saturating_add(head_len as u64);
        self.searched = 0;
        self.state = State::Skipping { tid };
        MsrpStreamError {
            kind: MsrpStreamErrorKind::BodyTooLarge { limit },
            offset,
            head: Some(head),
        }
    }

    /// The message of `len` bytes at the front, and its start line.
    fn take(&mut self, len: usize) -> (Bytes, Option<StartLine>) {
        self.largest = self.largest.max(len);
        self.consumed = self.consumed.saturating_add(len as u64);
        self.searched = 0;
        self.state = State::Start;
        (self.split_front(len), self.start.take())
    }

    /// The first `len` bytes held, taken out.
    fn split_front(&mut self, len: usize) -> Bytes {
        if self.frozen.is_empty() {
            self.buffer.split_to(len).freeze()
        } else {
            self.frozen.split_to(len)
        }
    }

    fn fail(&mut self, kind: MsrpStreamErrorKind) -> MsrpStreamError {
        let error = MsrpStreamError {
            kind,
            offset: self.consumed,
            head: None,
        };
        let held = self.held().len();
        self.drop_front(held);
        let pending = self.incoming.len().saturating_sub(self.fed);
        self.consumed = self.consumed.saturating_add(pending as u64);
        self.incoming = Bytes::new();
        self.fed = 0;
        self.state = State::Failed(error.clone());
        error
    }

    fn drop_front(&mut self, n: usize) {
        let n = n.min(self.held().len());
        if self.frozen.is_empty() {
            self.buffer.advance(n);
        } else {
            self.frozen.advance(n);
        }
        self.consumed = self.consumed.saturating_add(n as u64);
        self.searched = self.searched.saturating_sub(n);
    }
}

/// What one step of the reader came to.
enum Step {
    /// A whole message of this length is at the front.
    Frame(usize),
    /// The state changed: go on.
    Again,
    /// More bytes are needed.
    Wait,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEND: &[u8] =
        b"MSRP abcd SEND\r\nTo-Path: msrp://b:1/s;tcp\r\nFrom-Path: msrp://a:1/s;tcp\r\n\
        Message-ID: m123\r\nContent-Type: text/plain\r\n\r\nhello\r\n-------abcd$\r\n";
    const OK: &[u8] = b"MSRP abcd 200 OK\r\nTo-Path: msrp://a:1/s;tcp\r\nFrom-Path: msrp://b:1/s;tcp\r\n-------abcd$\r\n";

    fn read_all(reader: &mut MsrpStreamReader) -> Vec<Result<Bytes, MsrpStreamErrorKind>> {
        let mut out = Vec::new();
        loop {
            match reader.next_frame() {
                Ok(Some(frame)) => out.push(Ok(frame)),
                Ok(None) => return out,
                Err(e) => {
                    let fatal = e.is_fatal();
                    out.push(Err(*e.kind()));
                    if fatal {
                        return out;
                    }
                }
            }
        }
    }

    #[test]
    fn any_split_gives_the_same_frames() {
        let wire = [SEND, OK, SEND].concat();
        for step in 1..=wire.len() {
            let mut reader = MsrpStreamReader::new();
            let mut frames = Vec::new();
            for piece in wire.chunks(step) {
                reader.push(piece);
                frames.extend(read_all(&mut reader));
            }
            assert_eq!(
                frames,
                vec![
                    Ok(Bytes::from_static(SEND)),
                    Ok(Bytes::from_static(OK)),
                    Ok(Bytes::from_static(SEND))
                ],
                "step {step}"
            );
            assert_eq!(reader.buffered(), 0);
        }
    }

    /// How [`read_cut`] gives each piece to the reader.
    #[derive(Debug, Clone, Copy)]
    enum How {
        Copy,
        Owned,
        /// `push_owned`, then `push`, in turn.
        Mixed,
    }

    /// The frames and errors (with their offsets) a reader gave, and its position.
    type Read = (Vec<Result<Bytes, (MsrpStreamErrorKind, u64)>>, u64);

    /// The frames and errors (with their offsets) of `wire` given in pieces of `step`
    /// bytes after a first one of `first`, and the reader's position at the end.
    fn read_cut(wire: &[u8], limits: MsrpLimits, first: usize, step: usize, how: How) -> Read {
        let mut reader = MsrpStreamReader::with_limits(limits);
        let mut out = Vec::new();
        let (head, rest) = wire.split_at(first.min(wire.len()));
        for (i, piece) in std::iter::once(head).chain(rest.chunks(step)).enumerate() {
            if reader.is_failed() {
                // The fatal error was taken once.
                reader.push(piece);
                continue;
            }
            match how {
                How::Copy => reader.push(piece),
                How::Mixed if i % 2 == 1 => reader.push(piece),
                How::Owned | How::Mixed => reader.push_owned(Bytes::copy_from_slice(piece)),
            }
            loop {
                match reader.next_frame() {
                    Ok(Some(frame)) => out.push(Ok(frame)),
                    Ok(None) => break,
                    Err(e) => {
                        out.push(Err((*e.kind(), e.offset())));
                        if e.is_fatal() {
                            break;
                        }
                    }
                }
            }
            assert!(reader.buffered() <= 64 + 100 + 64 + piece.len());
        }
        (out, reader.position())
    }

    #[test]
    fn bytes_handed_over_whole_read_as_bytes_pushed() {
        let limits = MsrpLimits {
            max_head_size: 64,
            max_body_size: 100,
        };
        let send = b"MSRP abcd SEND\r\nX: y\r\n\r\nhello\r\n-------abcd+\r\n";
        let large = [
            &b"MSRP abcd SEND\r\nX: y\r\n\r\n"[..],
            &[b'x'; 150],
            b"\r\n-------abcd$\r\n",
        ]
        .concat();
        let empty = b"MSRP abcd SEND\r\nX: y\r\n\r\n-------abcd$\r\n";
        let ok = b"MSRP abcd 200 OK\r\nX: y\r\n-------abcd$\r\n";
        let fine = [&send[..], ok, &large, empty, send, ok].concat();
        let broken = [&send[..], b"MSRP abcd SEND\r\nX: ", &[b'y'; 80]].concat();
        for wire in [fine, broken] {
            let copied = read_cut(&wire, limits, 0, wire.len(), How::Copy);
            assert!(copied.0.iter().any(Result::is_err));
            for first in [0, 1, 10, 40] {
                for step in 1..=wire.len() {
                    for how in [How::Owned, How::Mixed] {
                        assert_eq!(
                            read_cut(&wire, limits, first, step, how),
                            copied,
                            "first {first}, then steps of {step}, {how:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn what_the_reader_found_reads_as_a_fresh_reading() {
        use crate::msrp::frame::KnownPaths;
        use crate::msrp::MsrpFrame;
        let bodies: [&[u8]; 5] = [b"hello", b"", b"\r\n\r\n", b"a\r\n\r\nb", b"-------abcd"];
        let mut wire = Vec::new();
        for body in bodies {
            wire.extend_from_slice(
                b"MSRP abcd SEND\r\nTo-Path: msrp://b:1/s;tcp\r\nFrom-Path: msrp://a:1/s;tcp\r\n\
                  Message-ID: m123\r\nContent-Type: text/plain\r\n\r\n",
            );
            wire.extend_from_slice(body);
            wire.extend_from_slice(b"\r\n-------abcd$\r\n");
        }
        wire.extend_from_slice(OK);
        for step in [1, 3, 64, wire.len()] {
            let mut reader = MsrpStreamReader::new();
            let mut read = 0;
            for piece in wire.chunks(step) {
                reader.push(piece);
                while let Some((frame, start)) = reader.next_frame_read().unwrap() {
                    let known = MsrpFrame::parse_framed_known(
                        frame.clone(),
                        &mut KnownPaths::default(),
                        start,
                    )
                    .unwrap();
                    let fresh = MsrpFrame::parse(frame).unwrap();
                    match (known, fresh) {
                        (MsrpFrame::Request(a), MsrpFrame::Request(b)) => {
                            assert_eq!(a.body(), b.body());
                            assert_eq!(a.body(), Some(bodies[read]));
                            assert!(a.headers().eq(b.headers()));
                        }
                        (MsrpFrame::Response(a), MsrpFrame::Response(b)) => {
                            assert!(a.headers().eq(b.headers()));
                        }
                        _ => panic!("not the same kind"),
                    }
                    read += 1;
                }
            }
            assert_eq!(read, bodies.len() + 1);
        }
    }

    #[test]
    fn messages_handed_over_whole_are_not_copied() {
        let wire = [SEND, OK, SEND].concat();
        let cut = SEND.len() + 10;
        let first = Bytes::copy_from_slice(&wire[..cut]);
        let second = Bytes::copy_from_slice(&wire[cut..]);
        let within = |frame: &Bytes, read: &Bytes| {
            read.as_ptr_range().contains(&frame.as_ptr())
                && frame.as_ptr_range().end <= read.as_ptr_range().end
        };
        let mut reader = MsrpStreamReader::new();
        reader.push_owned(first.clone());
        let frame = reader.next_frame().unwrap().unwrap();
        assert_eq!(frame, SEND);
        assert!(within(&frame, &first), "the first SEND read in place");
        assert_eq!(reader.next_frame(), Ok(None));
        reader.push_owned(second.clone());
        let frame = reader.next_frame().unwrap().unwrap();
        assert_eq!(frame, OK, "the 200 cut by the reads, completed");
        let frame = reader.next_frame().unwrap().unwrap();
        assert_eq!(frame, SEND);
        assert!(within(&frame, &second), "the second SEND read in place");
        assert_eq!(reader.next_frame(), Ok(None));
        assert_eq!(reader.buffered(), 0);
        assert_eq!(reader.position(), wire.len() as u64);
    }

    #[test]
    fn an_end_line_right_after_the_blank_line_is_waited_for() {
        // Found by the fuzz target: cut inside the dashes, the reader took the bytes
        // after the blank line for a body and missed the end-line that starts at its
        // second CRLF.
        let wire = b"MSRP abcd SEND\r\nX: y\r\n\r\n-------abcd$\r\n";
        for cut in 0..=wire.len() {
            let mut reader = MsrpStreamReader::new();
            let mut frames = Vec::new();
            for piece in [&wire[..cut], &wire[cut..]] {
                reader.push(piece);
                frames.extend(read_all(&mut reader));
            }
            assert_eq!(frames, vec![Ok(Bytes::from_static(wire))], "cut at {cut}");
        }
    }

    #[test]
    fn an_end_line_cut_by_the_head_limit_is_a_head_too_large() {
        // Found by the fuzz target: an end-line of the transaction straddling the
        // head limit left the reader waiting for ever, its buffer growing.
        let limits = MsrpLimits {
            max_head_size: 64,
            ..MsrpLimits::DEFAULT
        };
        let mut wire = b"MSRP abcd SEND\r\nX: ".to_vec();
        wire.resize(64 + 2, b'y');
        wire.extend_from_slice(b"\r\n-------abcd$\r\n");
        let whole = {
            let mut reader = MsrpStreamReader::with_limits(limits);
            reader.push(&wire);
            read_all(&mut reader)
        };
        assert_eq!(
            whole,
            vec![Err(MsrpStreamErrorKind::HeadTooLarge { limit: 64 })]
        );
        for step in 1..wire.len() {
            let mut reader = MsrpStreamReader::with_limits(limits);
            let mut out = Vec::new();
            for piece in wire.chunks(step) {
                reader.push(piece);
                if !reader.is_failed() {
                    out.extend(read_all(&mut reader));
                }
            }
            assert_eq!(out, whole, "step {step}");
        }
    }

    #[test]
    fn a_failed_end_line_candidate_near_the_head_limit_does_not_refuse_the_head() {
        // Found by the fuzz target: cut just inside `CRLF -------ab`, a candidate
        // end-line that would have ended past the limit, the reader refused a head
        // that a blank line right after the candidate ends at exactly the limit.
        let limits = MsrpLimits {
            max_head_size: 64,
            ..MsrpLimits::DEFAULT
        };
        let mut wire = b"MSRP abcd SEND\r\nX: ".to_vec();
        wire.resize(64 - b"\r\n-------ab\r\n\r\n".len(), b'y');
        wire.extend_from_slice(b"\r\n-------ab\r\n\r\n");
        assert_eq!(wire.len(), 64);
        wire.extend_from_slice(b"hi\r\n-------abcd$\r\n");
        for step in 1..=wire.len() {
            for first in [0, 1, 50, 53, 60] {
                let mut reader = MsrpStreamReader::with_limits(limits);
                let mut frames = Vec::new();
                let (head, rest) = wire.split_at(first);
                for piece in std::iter::once(head).chain(rest.chunks(step)) {
                    reader.push(piece);
                    frames.extend(read_all(&mut reader));
                }
                assert_eq!(
                    frames,
                    vec![Ok(Bytes::copy_from_slice(&wire))],
                    "first {first}, then steps of {step}"
                );
            }
        }
    }

    #[test]
    fn a_body_past_the_limit_is_skipped_in_bounded_memory() {
        let limits = MsrpLimits {
            max_body_size: 100,
            ..MsrpLimits::DEFAULT
        };
        let mut reader = MsrpStreamReader::with_limits(limits);
        let head =
            b"MSRP abcd SEND\r\nTo-Path: msrp://b:1/s;tcp\r\nFrom-Path: msrp://a:1/s;tcp\r\n\
            Message-ID: m123\r\nContent-Type: text/plain\r\n\r\n";
        reader.push(head);
        assert_eq!(reader.next_frame(), Ok(None));
        let mut errors = 0;
        for _ in 0..1000 {
            reader.push(&[b'x'; 1000]);
            match reader.next_frame() {
                Ok(None) => {}
                Err(e) => {
                    assert_eq!(e.kind(), &MsrpStreamErrorKind::BodyTooLarge { limit: 100 });
                    assert_eq!(&e.head().unwrap()[..], &head[..]);
                    errors += 1;
                }
                Ok(Some(_)) => panic!("no frame"),
            }
            assert!(reader.buffered() <= 1000 + 100 + 64);
        }
        assert_eq!(errors, 1);
        reader.push(b"\r\n-------abcd$\r\n");
        reader.push(OK);
        assert_eq!(reader.next_frame(), Ok(Some(Bytes::from_static(OK))));
    }

    #[test]
    fn fatal_errors() {
        let mut reader = MsrpStreamReader::new();
        reader.push(b"HTTP/1.1 200 OK\r\n");
        assert_eq!(
            reader.next_frame().unwrap_err().kind(),
            &MsrpStreamErrorKind::BadStartLine
        );
        reader.push(OK);
        assert!(reader.next_frame().unwrap_err().is_fatal());
        let mut reader = MsrpStreamReader::new();
        reader.push(b"MSRP abcd SEND\r\nTo-Path: ");
        for _ in 0..100 {
            reader.push(&[b'a'; 1024]);
            if reader.next_frame().is_err() {
                break;
            }
        }
        assert!(reader.is_failed());
        assert_eq!(reader.buffered(), 0);
    }
}
