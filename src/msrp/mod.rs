//! MSRP (RFC 4975), both ways and without I/O.
//!
//! The format, one type per record:
//!
//! - reading: [`MsrpFrame`] (a [`MsrpRequest`] or a [`MsrpResponse`]) read in place
//!   from [`Bytes`], with the header values [`ByteRange`], [`FailureReport`],
//!   [`MsrpStatus`], [`Continuation`] and [`MsrpMethod`];
//! - writing: [`MsrpRequestWriter`] (with [`MsrpContent`]) and [`MsrpResponseWriter`];
//! - [`MsrpUri`], compared as RFC 4975 section 6.1 says;
//! - [`MsrpStreamReader`], which cuts whole messages out of a TCP or TLS byte stream
//!   under [`MsrpLimits`];
//! - [`MsrpMessage`], one message cut into SEND chunks.
//!
//! Above the format, [`MsrpSession`] runs one MSRP session (RFC 4975 sections 5 to 7)
//! the quinn-proto way: bytes and instants in, bytes to send, timers and
//! [`MsrpEvent`]s out. `docs/msrp.md` tells what is supported and why.
//!
//! ```
//! use bytes::Bytes;
//! use cpm_client::msrp::{MsrpFrame, MsrpResponseWriter};
//!
//! let wire = Bytes::from_static(
//!     b"MSRP d93kswow SEND\r\n\
//!       To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n\
//!       From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n\
//!       Message-ID: 12339sdqwer\r\nByte-Range: 1-16/16\r\nContent-Type: text/plain\r\n\r\n\
//!       Hi, I'm Alice!\r\n-------d93kswow$\r\n",
//! );
//! let MsrpFrame::Request(send) = MsrpFrame::parse(wire)? else { unreachable!() };
//! let ok = MsrpResponseWriter::new(send.transaction_id(), 200, send.from_path(), send.to_path())
//!     .to_bytes()
//!     .expect("valid values");
//! assert!(ok.starts_with(b"MSRP d93kswow 200 OK\r\n"));
//! # Ok::<(), cpm_client::msrp::MsrpError>(())
//! ```

mod frame;
mod reassembly;
mod session;
mod stream;
mod uri;
mod writer;

use bytes::Bytes;

pub use frame::{
    salvage_start_line, ByteRange, Continuation, FailureReport, MsrpError, MsrpErrorKind,
    MsrpFrame, MsrpMethod, MsrpRequest, MsrpResponse, MsrpStatus,
};
pub use session::{
    ExpectedFile, FileCheck, MsrpEvent, MsrpSession, MsrpSessionConfig, MsrpSessionError,
    ReceiveMode, ReceivePolicy, ReceivedMessage, TRANSACTION_TIMEOUT,
};
pub use stream::{MsrpLimits, MsrpStreamError, MsrpStreamErrorKind, MsrpStreamReader};
pub use uri::{MsrpUri, MsrpUriError, MSRP_DEFAULT_PORT};
pub use writer::{reason_phrase, MsrpContent, MsrpRequestWriter, MsrpResponseWriter};

use crate::error::BuildError;
use crate::ids::IdGenerator;
use crate::mime::check_media_type;
use writer::{check_ident, check_path, end_line_in};

/// The chunk size by default: 2048 bytes of content per SEND, well under the 10 KB
/// that RFC 4975 section 7.1.1 tells senders to interrupt at.
///
/// The chunk size bounds what the client writes, not what it reads, so it is set
/// where MSRP messages are built: per message with [`MsrpMessage::chunk_size`] (or the
/// large-message builder's `chunk_size`), this default when not set. A size of 0 is
/// refused with [`BuildError::InvalidValue`] (by [`MsrpMessage::chunks`] and the
/// large-message builder); any size from 1 up to `usize::MAX` is valid, and a size at
/// or above the content's length gives one chunk.
pub const DEFAULT_CHUNK_SIZE: usize = 2048;

/// How many times a fresh transaction id is drawn when one occurs in the content.
const ATTEMPTS: usize = 8;

/// One message to send over an MSRP session, ready to be framed as SEND chunks once
/// the peer's path is known (from `a=path` in its SDP answer).
///
/// Each chunk is a complete SEND request: `MSRP <tid> SEND`, To-Path, From-Path,
/// Message-ID, `Byte-Range: <first>-<last>/<total>`, Content-Type, a blank line, the
/// bytes, and the end-line `-------<tid>` followed by `+` when more chunks follow or
/// `$` on the last. A transaction id never occurs in the content it frames.
///
/// ```
/// use cpm_client::msrp::MsrpMessage;
/// use cpm_client::ids::SequentialIds;
///
/// let message = MsrpMessage::new("msrp://192.0.2.10:9/a1b2c3d4;tcp", "text/plain", "Hello, Bob!")
///     .message_id("m123")
///     .chunk_size(6);
/// let chunks = message.chunks("msrp://192.0.2.20:9/z9y8;tcp", &mut SequentialIds::new(1))?;
/// assert_eq!(chunks.len(), 2);
/// let first = std::str::from_utf8(&chunks[0]).unwrap();
/// assert!(first.contains("Byte-Range: 1-6/11\r\n"));
/// assert!(first.contains("\r\n\r\nHello,\r\n-------"));
/// assert!(first.ends_with("+\r\n"));
/// assert!(std::str::from_utf8(&chunks[1]).unwrap().ends_with("$\r\n"));
/// # Ok::<(), cpm_client::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsrpMessage {
    from_path: String,
    message_id: Option<String>,
    content_type: String,
    content: Bytes,
    chunk_size: usize,
    success_report: Option<bool>,
    failure_report: Option<FailureReport>,
}

impl MsrpMessage {
    /// A message from the local `from_path`, of type `content_type`.
    pub fn new(from_path: &str, content_type: &str, content: impl Into<Bytes>) -> MsrpMessage {
        MsrpMessage {
            from_path: from_path.to_owned(),
            message_id: None,
            content_type: content_type.to_owned(),
            content: content.into(),
            chunk_size: DEFAULT_CHUNK_SIZE,
            success_report: None,
            failure_report: None,
        }
    }

    /// `Success-Report` on every chunk (RFC 4975 section 7.1.1): `true` asks the
    /// receiver for a REPORT once the whole message is in. Unset, no header is
    /// written, which means `no`.
    pub fn success_report(mut self, yes: bool) -> MsrpMessage {
        self.success_report = Some(yes);
        self
    }

    /// `Failure-Report` on every chunk; unset, no header is written, which means
    /// [`FailureReport::Yes`] (a response to every chunk).
    pub fn failure_report(mut self, report: FailureReport) -> MsrpMessage {
        self.failure_report = Some(report);
        self
    }

    /// The `Success-Report` set, if any.
    pub fn success_report_value(&self) -> Option<bool> {
        self.success_report
    }

    /// The `Failure-Report` set, if any.
    pub fn failure_report_value(&self) -> Option<FailureReport> {
        self.failure_report
    }

    /// The Message-ID set with [`message_id`](Self::message_id), if any.
    pub fn message_id_value(&self) -> Option<&str> {
        self.message_id.as_deref()
    }

    /// The chunk size.
    pub fn chunk_size_value(&self) -> usize {
        self.chunk_size
    }

    /// The MSRP Message-ID (an RFC 4975 ident) instead of a generated one; every
    /// chunk carries it. Without it, [`chunks`](Self::chunks) draws one per call.
    pub fn message_id(mut self, id: &str) -> MsrpMessage {
        self.message_id = Some(id.to_owned());
        self
    }

    /// The largest number of content bytes in one chunk ([`DEFAULT_CHUNK_SIZE`] by
    /// default). 0 is refused by [`chunks`](Self::chunks); any other size is used as
    /// given, and a size at or above the content's length (`usize::MAX` included) gives
    /// one chunk. A small size makes many chunks: one SEND, of about 200 bytes of
    /// headers besides the content, per `bytes` bytes of content.
    ///
    /// ```
    /// use cpm_client::msrp::MsrpMessage;
    /// use cpm_client::{ids::SequentialIds, BuildError};
    ///
    /// let to = "msrp://192.0.2.20:9/z9y8;tcp";
    /// let message = MsrpMessage::new("msrp://192.0.2.10:9/a1b2;tcp", "text/plain", "Hello");
    /// let ids = &mut SequentialIds::new(1);
    /// assert_eq!(message.clone().chunk_size(usize::MAX).chunks(to, ids)?.len(), 1);
    /// assert_eq!(message.clone().chunk_size(1).chunks(to, ids)?.len(), 5);
    /// assert!(matches!(
    ///     message.chunk_size(0).chunks(to, ids),
    ///     Err(BuildError::InvalidValue { field: "chunk size", .. })
    /// ));
    /// # Ok::<(), BuildError>(())
    /// ```
    pub fn chunk_size(mut self, bytes: usize) -> MsrpMessage {
        self.chunk_size = bytes;
        self
    }

    /// The content, whole: the chunks cut it by Byte-Range.
    pub fn content(&self) -> &[u8] {
        &self.content
    }

    /// The content type.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The local path.
    pub fn from_path(&self) -> &str {
        &self.from_path
    }

    /// The SEND chunks to `to_path` (the peer's `a=path`), in order.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidValue`] for a path, Message-ID, content type or chunk
    /// size outside its grammar; [`BuildError::Collision`] when no transaction id
    /// could be drawn that stays out of the content.
    pub fn chunks(
        &self,
        to_path: &str,
        ids: &mut dyn IdGenerator,
    ) -> Result<Vec<Bytes>, BuildError> {
        check_path("To-Path", to_path)?;
        check_path("From-Path", &self.from_path)?;
        check_media_type("content type", &self.content_type)?;
        if self.chunk_size == 0 {
            return Err(crate::error::invalid("chunk size", "0", "at least 1 byte"));
        }
        let message_id = match &self.message_id {
            Some(id) => check_ident("Message-ID", id)?.to_owned(),
            None => ids.token(16),
        };
        let total = self.content.len();
        let mut chunks = Vec::with_capacity(total / self.chunk_size + 1);
        let mut start: usize = 0;
        loop {
            // `start` is below `total`, but the sum may still not fit: saturate.
            let end = start.saturating_add(self.chunk_size).min(total);
            let data = &self.content[start..end];
            let last = end == total;
            let tid = fresh_transaction_id(data, ids)?;
            let mut send = MsrpRequestWriter::send(&tid, to_path, &self.from_path);
            send.message_id = Some(&message_id);
            send.success_report = self.success_report;
            send.failure_report = self.failure_report;
            send.byte_range = Some(if total == 0 {
                ByteRange::whole(0)
            } else {
                ByteRange {
                    start: start as u64 + 1,
                    end: Some(end as u64),
                    total: Some(total as u64),
                }
            });
            if total > 0 {
                send.content = Some(MsrpContent::new(&self.content_type, data));
            }
            send.continuation = if last {
                Continuation::Complete
            } else {
                Continuation::More
            };
            chunks.push(send.to_bytes()?);
            if last {
                return Ok(chunks);
            }
            start = end;
        }
    }
}

/// A transaction id of 64 random bits (hard to guess, like the session id) whose
/// end-line does not occur in `data`.
pub(crate) fn fresh_transaction_id(
    data: &[u8],
    ids: &mut dyn IdGenerator,
) -> Result<String, BuildError> {
    for _ in 0..ATTEMPTS {
        let tid = ids.token(16);
        if !end_line_in(data, &tid) {
            return Ok(tid);
        }
    }
    Err(BuildError::Collision {
        field: "MSRP transaction id",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SequentialIds;

    const FROM: &str = "msrp://192.0.2.10:9/a1b2c3d4;tcp";
    const TO: &str = "msrp://192.0.2.20:9/z9y8x7;tcp";

    #[test]
    fn one_chunk_is_framed_per_rfc_4975() {
        let chunks = MsrpMessage::new(FROM, "message/cpim", "hi")
            .message_id("m123")
            .chunks(TO, &mut SequentialIds::new(0))
            .unwrap();
        assert_eq!(chunks.len(), 1);
        let text = std::str::from_utf8(&chunks[0]).unwrap();
        let tid = text
            .strip_prefix("MSRP ")
            .and_then(|t| t.split(' ').next())
            .unwrap();
        assert_eq!(
            text,
            format!(
                "MSRP {tid} SEND\r\nTo-Path: {TO}\r\nFrom-Path: {FROM}\r\nMessage-ID: m123\r\n\
                 Byte-Range: 1-2/2\r\nContent-Type: message/cpim\r\n\r\nhi\r\n-------{tid}$\r\n"
            )
        );
    }

    #[test]
    fn chunks_cover_the_content_exactly() {
        let content: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let chunks = MsrpMessage::new(FROM, "application/octet-stream", content.clone())
            .chunk_size(3000)
            .chunks(TO, &mut SequentialIds::new(9))
            .unwrap();
        assert_eq!(chunks.len(), 4);
        let mut rebuilt = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            let head_end = memchr::memmem::find(chunk, b"\r\n\r\n").unwrap() + 4;
            let head = std::str::from_utf8(&chunk[..head_end]).unwrap();
            let tid = head[5..].split(' ').next().unwrap();
            let flag = if i == 3 { "$" } else { "+" };
            let tail = format!("\r\n-------{tid}{flag}\r\n");
            assert!(chunk.ends_with(tail.as_bytes()));
            rebuilt.extend_from_slice(&chunk[head_end..chunk.len() - tail.len()]);
            let first = i * 3000 + 1;
            let last = ((i + 1) * 3000).min(10_000);
            assert!(head.contains(&format!("Byte-Range: {first}-{last}/10000\r\n")));
        }
        assert_eq!(rebuilt, content);
    }

    #[test]
    fn explicit_values_are_checked() {
        let m = MsrpMessage::new(FROM, "text/plain", "x");
        let ids = &mut SequentialIds::new(0);
        assert!(m.clone().message_id("a b").chunks(TO, ids).is_err());
        assert!(m.clone().chunk_size(0).chunks(TO, ids).is_err());
        assert!(m.chunks("msrp://x/y\r\nEvil: 1", ids).is_err());
    }

    /// The content of every chunk, in order, and whether each ends with `$`.
    fn contents(chunks: &[Bytes]) -> Vec<(Vec<u8>, bool)> {
        chunks
            .iter()
            .map(|chunk| {
                let head_end = memchr::memmem::find(chunk, b"\r\n\r\n").map_or(0, |n| n + 4);
                let tail = memchr::memmem::rfind(chunk, b"\r\n-------").unwrap();
                let content = if head_end == 0 {
                    Vec::new()
                } else {
                    chunk[head_end..tail].to_vec()
                };
                (content, chunk.ends_with(b"$\r\n"))
            })
            .collect()
    }

    #[test]
    fn chunk_sizes_at_the_edges() {
        let ids = &mut SequentialIds::new(0);
        let with = |size: usize, content: &'static str, ids: &mut SequentialIds| {
            MsrpMessage::new(FROM, "text/plain", content)
                .chunk_size(size)
                .chunks(TO, ids)
        };
        // 0 is refused, with the field named.
        let err = with(0, "abc", ids).unwrap_err();
        assert_eq!(err.to_string(), "chunk size: \"0\" is not at least 1 byte");
        assert!(with(0, "", ids).is_err());
        // 1: one chunk per byte.
        let one = contents(&with(1, "abc", ids).unwrap());
        assert_eq!(
            one,
            [
                (b"a".to_vec(), false),
                (b"b".to_vec(), false),
                (b"c".to_vec(), true)
            ]
        );
        // Exactly the content's length: one chunk; one byte less: two.
        assert_eq!(
            contents(&with(3, "abc", ids).unwrap()),
            [(b"abc".to_vec(), true)]
        );
        assert_eq!(
            contents(&with(2, "abc", ids).unwrap()),
            [(b"ab".to_vec(), false), (b"c".to_vec(), true)]
        );
        // Absurdly large sizes are one chunk, no overflow.
        for size in [4, usize::MAX / 2 + 1, usize::MAX - 1, usize::MAX] {
            assert_eq!(
                contents(&with(size, "abc", ids).unwrap()),
                [(b"abc".to_vec(), true)]
            );
        }
        // Empty content: one chunk with no content, whatever the size.
        for size in [1, usize::MAX] {
            let chunks = with(size, "", ids).unwrap();
            assert_eq!(chunks.len(), 1);
            assert!(std::str::from_utf8(&chunks[0])
                .unwrap()
                .contains("Byte-Range: 1-0/0\r\n"));
        }
    }
}
