//! Zero-copy readers of the bodies a CPM client receives.
//!
//! An incoming CPM request carries one of a few body kinds:
//!
//! - `message/cpim` ([`CpimMessage`], RFC 3862 with the RFC 5438 IMDN headers): the
//!   pager-mode message and what an MSRP SEND carries;
//! - `application/sdp` ([`Sdp`], RFC 4566 with the MSRP attributes of RFC 4975 and the
//!   file-transfer attributes of RFC 5547): the offer of a large message, a session or a
//!   file transfer;
//! - `multipart/mixed` ([`Multipart`], RFC 2046): SDP next to a resource list, a CPIM
//!   preview or a file icon.
//!
//! Every reader takes the body as `&[u8]` and every accessor returns a slice of it
//! (`&str` or `&[u8]`); only a decoded form that cannot be a slice (a percent-decoded
//! file name) is a [`Cow`](std::borrow::Cow). The readers are lenient with what real
//! networks send (bare LF line ends, a missing multipart close delimiter, an
//! `a=maxsize` attribute) and never panic; when the input is not the body kind at all,
//! the error ([`BodyError`]) says why and at which byte.
//!
//! ```
//! use cpm_client::body::{CpimMessage, MediaType};
//!
//! let content_type = MediaType::parse("message/cpim")?;
//! assert!(content_type.is("Message/CPIM"));
//!
//! let cpim = CpimMessage::parse(
//!     b"From: <sip:alice@example.net>\r\nNS: imdn <urn:ietf:params:imdn>\r\n\
//!       imdn.Message-ID: 7f3c2a10e4\r\n\r\nContent-Type: text/plain\r\n\r\nHi!",
//! )?;
//! assert_eq!(cpim.message_id(), Some("7f3c2a10e4"));
//! assert_eq!(cpim.content(), b"Hi!");
//! # Ok::<(), cpm_client::body::BodyError>(())
//! ```

pub mod content_type;
pub mod cpim;
pub mod multipart;
pub mod sdp;

pub use content_type::MediaType;
pub use cpim::{CpimAddress, CpimMessage, Disposition, DispositionNotification, IMDN_NS};
pub use multipart::{Multipart, Part, Parts, DEFAULT_MAX_PARTS};
pub use sdp::{
    Attribute, Connection, Direction, FileHash, FileSelector, Media, MsrpMedia, MsrpTransport,
    Origin, Sdp, Setup,
};

/// Why and where a body could not be read.
///
/// The offset is a 0-based byte offset into the input the reader was given (the
/// Content-Type value for [`MediaType`], the body for the others).
///
/// ```
/// use cpm_client::body::{BodyErrorKind, Sdp};
///
/// let err = Sdp::parse(b"hello").unwrap_err();
/// assert_eq!(err.kind(), &BodyErrorKind::NotSdp("does not start with v="));
/// assert_eq!(err.offset(), 0);
/// assert_eq!(err.to_string(), "byte 0: not an SDP body: does not start with v=");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("byte {offset}: {kind}")]
pub struct BodyError {
    kind: BodyErrorKind,
    offset: usize,
}

impl BodyError {
    pub(crate) fn new(kind: BodyErrorKind, offset: usize) -> Self {
        BodyError { kind, offset }
    }

    /// What was wrong.
    pub fn kind(&self) -> &BodyErrorKind {
        &self.kind
    }

    /// The 0-based byte offset of the fault in the input.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

/// What was wrong with a body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyErrorKind {
    /// A Content-Type value that is not `type/subtype *(;param)`.
    #[error("malformed media type: {0}")]
    MediaType(&'static str),
    /// Text that must be UTF-8 (a media type, CPIM headers) is not.
    #[error("text is not UTF-8")]
    NotUtf8,
    /// A multipart reader was given a media type that is not `multipart/*`.
    #[error("not a multipart media type")]
    NotMultipart,
    /// A multipart media type without a `boundary` parameter.
    #[error("multipart media type has no boundary parameter")]
    NoBoundary,
    /// A boundary that is empty or longer than 70 characters (RFC 2046).
    #[error("boundary must be 1 to 70 characters long")]
    BadBoundary,
    /// A multipart body in which no delimiter line is found.
    #[error("no delimiter line in the multipart body")]
    NoDelimiter,
    /// A multipart body with more parts than the configured limit.
    #[error("more than {0} parts")]
    TooManyParts(usize),
    /// A header block not ended by an empty line.
    #[error("header block is not ended by an empty line")]
    UnterminatedHeaders,
    /// A header line that is not `Name: value`.
    #[error("malformed header line: {0}")]
    MalformedHeader(&'static str),
    /// A CPIM address that is not `["Name"] <URI>`.
    #[error("malformed address: {0}")]
    Address(&'static str),
    /// A body that is not SDP at all.
    #[error("not an SDP body: {0}")]
    NotSdp(&'static str),
}

/// One line of a body: where it starts and its bytes without the line end (CRLF or
/// bare LF).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'a> {
    pub(crate) at: usize,
    pub(crate) text: &'a [u8],
}

/// The lines of `input` (which starts at offset `base` of the whole input). A final
/// line without a line end is yielded too; an empty input yields nothing.
pub(crate) fn lines(input: &[u8], base: usize) -> impl Iterator<Item = Line<'_>> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let rest = input.get(at..).filter(|r| !r.is_empty())?;
        let start = at;
        let (text, consumed) = match memchr::memchr(b'\n', rest) {
            Some(n) => (&rest[..n], n + 1),
            None => (rest, rest.len()),
        };
        at += consumed;
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        Some(Line {
            at: base + start,
            text,
        })
    })
}

/// Finds the empty line that ends a header block starting at `input[0]`. Returns the
/// length of the block (line end of its last line included) and where what follows
/// the empty line starts. An input starting with an empty line has an empty block.
pub(crate) fn split_header_block(input: &[u8]) -> Option<(usize, usize)> {
    let mut at = 0;
    loop {
        let rest = &input[at..];
        if rest.starts_with(b"\r\n") {
            return Some((at, at + 2));
        }
        if rest.starts_with(b"\n") {
            return Some((at, at + 1));
        }
        at += memchr::memchr(b'\n', rest)? + 1;
    }
}

/// One `Name: value` header of a block, folded continuation lines included in the
/// value (as they stand in the input).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawHeader<'a> {
    /// The name, white space before the colon trimmed; `None` for a line with no colon.
    pub(crate) name: Option<&'a [u8]>,
    /// The value, white space trimmed at both ends (folds inside are kept).
    pub(crate) value: &'a [u8],
}

/// Reads a header block as headers, joining folded lines (a line starting with SP or HTAB continues the one
/// before) into one value.
pub(crate) fn raw_headers(block: &[u8]) -> impl Iterator<Item = RawHeader<'_>> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let rest = block.get(at..).filter(|r| !r.is_empty())?;
        let orphan = matches!(rest[0], b' ' | b'\t');
        // The header runs to the end of the last line that the next ones continue.
        let mut end = 0;
        loop {
            let line_end = memchr::memchr(b'\n', &rest[end..]).map_or(rest.len(), |n| end + n + 1);
            end = line_end;
            match rest.get(end) {
                Some(b' ' | b'\t') if !orphan => {}
                _ => break,
            }
        }
        at += end;
        let text = &rest[..end];
        let (name, value) = match memchr::memchr(b':', text) {
            Some(colon) if !orphan => (
                Some(crate::sip::grammar::trim_end_lws(&text[..colon])),
                crate::sip::grammar::trim_lws(&text[colon + 1..]),
            ),
            _ => (None, crate::sip::grammar::trim_lws(text)),
        };
        Some(RawHeader { name, value })
    })
}

/// Whether `b` may stand in a MIME token (RFC 2045: any visible ASCII but the
/// `tspecials`).
#[inline]
pub(crate) fn is_mime_token_char(b: u8) -> bool {
    MIME_TOKEN[usize::from(b)]
}

/// Which bytes [`is_mime_token_char`] accepts: visible ASCII but the RFC 2045
/// `tspecials`, looked up rather than searched for on every byte.
const MIME_TOKEN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0x21;
    while b < 0x7f {
        table[b] = true;
        b += 1;
    }
    let specials = b"()<>@,;:\\\"/[]?=";
    let mut i = 0;
    while i < specials.len() {
        table[specials[i] as usize] = false;
        i += 1;
    }
    table
};

/// A header of a block as a `(name, value)` pair of `&str`, when it is one: a
/// non-empty token name, name and value UTF-8.
pub(crate) fn header_pair(h: RawHeader<'_>) -> Option<(&str, &str)> {
    let name = h.name?;
    if name.is_empty() || !name.iter().all(|&b| is_mime_token_char(b)) {
        return None;
    }
    let name = utf8(name)?;
    Some((name, utf8(h.value)?))
}

/// `text` as `&str`, when it is UTF-8.
#[inline]
pub(crate) fn utf8(text: &[u8]) -> Option<&str> {
    std::str::from_utf8(text).ok()
}
