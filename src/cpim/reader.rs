//! The CPIM reader: [`CpimMessage`] and [`CpimAddress`].

use std::fmt;

use super::{DispositionNotification, IMDN_NS};
use crate::mime::{
    header_pair, is_mime_token_char, lines, raw_headers, split_header_block, BodyError,
    BodyErrorKind, MediaType,
};
use crate::sip::grammar::{lws, quoted_string, trim_end_lws, trim_lws};

/// A CPIM message, read in place: the message headers (until an empty line), the MIME
/// headers of the content (until an empty line), then the content.
///
/// Line ends may be CRLF or bare LF. Header names are compared ignoring ASCII case.
/// Prefixed headers (`imdn.Message-ID`) are found by namespace URN through the `NS:`
/// declarations, so whatever prefix a peer binds to a URN works; when no `NS:` line
/// declares the prefix, the conventional `imdn.` prefix is still taken for
/// [`IMDN_NS`].
///
/// ```
/// use cpm_client::cpim::{CpimMessage, Disposition};
///
/// let body = b"From: <sip:+15550100001@ims.example.net>\r\n\
/// To: <sip:+15550100002@ims.example.net>\r\n\
/// DateTime: 2026-11-24T10:15:00.000Z\r\n\
/// NS: imdn <urn:ietf:params:imdn>\r\n\
/// imdn.Message-ID: 7f3c2a10e4\r\n\
/// imdn.Disposition-Notification: positive-delivery, display\r\n\
/// \r\n\
/// Content-Type: text/plain;charset=UTF-8\r\n\
/// Content-Length: 11\r\n\
/// \r\n\
/// Hello, Bob!";
/// let cpim = CpimMessage::parse(body)?;
/// assert_eq!(cpim.from().unwrap().uri, "sip:+15550100001@ims.example.net");
/// assert_eq!(cpim.to().next().unwrap().uri, "sip:+15550100002@ims.example.net");
/// assert_eq!(cpim.date_time(), Some("2026-11-24T10:15:00.000Z"));
/// assert_eq!(cpim.message_id(), Some("7f3c2a10e4"));
/// let notification = cpim.disposition_notification().unwrap();
/// assert!(notification.contains(Disposition::Display));
/// assert!(!notification.contains(Disposition::Processing));
/// assert!(cpim.content_type().unwrap().is("text/plain"));
/// assert_eq!(cpim.content(), b"Hello, Bob!");
/// # Ok::<(), cpm_client::mime::BodyError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CpimMessage<'a> {
    headers: &'a [u8],
    content_headers: &'a [u8],
    content: &'a [u8],
    content_at: usize,
    /// The first content header `Content-Type`, found by the pass of
    /// [`CpimMessage::parse`] that reads Content-Length.
    content_type: Option<&'a str>,
}

impl<'a> CpimMessage<'a> {
    /// Reads a `message/cpim` body.
    ///
    /// Errors, each at the byte where the fault lies: a header block not ended by an
    /// empty line (the content header block may be absent only when nothing follows
    /// the message headers), a header line without a colon or whose name is empty or
    /// not a token, a
    /// continuation line with no header before it, header text that is not UTF-8.
    ///
    /// ```
    /// use cpm_client::cpim::CpimMessage;
    /// use cpm_client::mime::BodyErrorKind;
    ///
    /// let err = CpimMessage::parse(b"From: <sip:a@x>\r\nhello\r\n\r\n").unwrap_err();
    /// assert_eq!((err.kind(), err.offset()), (&BodyErrorKind::MalformedHeader("no colon"), 17));
    /// let err = CpimMessage::parse(b"From: <sip:a@x>\r\n").unwrap_err();
    /// assert_eq!(err.kind(), &BodyErrorKind::UnterminatedHeaders);
    /// ```
    pub fn parse(body: &'a [u8]) -> Result<Self, BodyError> {
        let (head_len, after_head, _) = header_block(body, 0, body.len(), |_, _| {})?;
        let headers = &body[..head_len];
        let rest = &body[after_head..];
        // The first Content-Type and Content-Length of the content headers, as the
        // pass that checks them meets them (taken only from the usual pass over a
        // block with no folded header).
        let (mut content_type, mut content_length) = (None, None);
        let mut met = |name: &'a [u8], value: &'a [u8]| {
            if content_type.is_none() && name.eq_ignore_ascii_case(b"Content-Type") {
                content_type = Some(value);
            } else if content_length.is_none() && name.eq_ignore_ascii_case(b"Content-Length") {
                content_length = Some(value);
            }
        };
        let (content_headers, content, met_all) = if rest.is_empty() {
            (rest, rest, true)
        } else {
            let (len, after, met_all) = header_block(rest, after_head, body.len(), &mut met)?;
            (&rest[..len], &rest[after..], met_all)
        };
        let mut message = CpimMessage {
            headers,
            content_headers,
            content,
            content_at: body.len() - content.len(),
            content_type: None,
        };
        let (content_type, content_length) = if met_all {
            (
                content_type.and_then(crate::mime::utf8),
                content_length.and_then(crate::mime::utf8),
            )
        } else {
            message.content_type_and_length()
        };
        message.content_type = content_type;
        message.content = declared_content(content, content_length);
        Ok(message)
    }

    /// The first Content-Type and the first Content-Length of the content headers,
    /// in one pass over them (as [`CpimMessage::content_header`] finds each).
    fn content_type_and_length(&self) -> (Option<&'a str>, Option<&'a str>) {
        let (mut content_type, mut content_length) = (None, None);
        for (name, value) in self.content_headers() {
            if content_type.is_none() && name.eq_ignore_ascii_case("Content-Type") {
                content_type = Some(value);
            } else if content_length.is_none() && name.eq_ignore_ascii_case("Content-Length") {
                content_length = Some(value);
            }
            if content_type.is_some() && content_length.is_some() {
                break;
            }
        }
        (content_type, content_length)
    }

    /// The message headers in order, as `(name, value)` exactly as written (prefixes
    /// included; a folded value keeps its folds).
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        raw_headers(self.headers).filter_map(header_pair)
    }

    /// The MIME headers of the content in order, as `(name, value)`.
    pub fn content_headers(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        raw_headers(self.content_headers).filter_map(header_pair)
    }

    /// The values of every message header whose name, as written, is `name` (ignoring
    /// ASCII case): `headers_named("To")`, `headers_named("imdn.Message-ID")`.
    pub fn headers_named<'s>(&self, name: &'s str) -> impl Iterator<Item = &'a str> + 's
    where
        'a: 's,
    {
        self.headers()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The first `From` address, when present and well-formed.
    pub fn from(&self) -> Option<CpimAddress<'a>> {
        self.addresses("From").next()
    }

    /// The `To` addresses (several `To` headers are allowed), malformed ones skipped.
    pub fn to(&self) -> impl Iterator<Item = CpimAddress<'a>> + 'a {
        self.addresses("To")
    }

    /// The `cc` addresses, malformed ones skipped.
    pub fn cc(&self) -> impl Iterator<Item = CpimAddress<'a>> + 'a {
        self.addresses("cc")
    }

    fn addresses(&self, name: &'static str) -> impl Iterator<Item = CpimAddress<'a>> + 'a {
        self.headers_named(name)
            .filter_map(|v| CpimAddress::parse(v).ok())
    }

    /// The `DateTime` value as written (RFC 3339), see [`is_date_time`] to check it.
    pub fn date_time(&self) -> Option<&'a str> {
        self.headers_named("DateTime").next()
    }

    /// The first `Subject` value as written (a `;lang=` parameter included).
    pub fn subject(&self) -> Option<&'a str> {
        self.headers_named("Subject").next()
    }

    /// The `NS` declarations in order, as `(prefix, urn)`; the prefix is empty for a
    /// default namespace (`NS: <urn:...>`). Malformed declarations are skipped.
    ///
    /// ```
    /// let cpim = cpm_client::cpim::CpimMessage::parse(
    ///     b"NS: imdn <urn:ietf:params:imdn>\nNS: cpm <http://www.openmobilealliance.org/cpm/>\n\n")?;
    /// let ns: Vec<_> = cpim.namespaces().collect();
    /// assert_eq!(ns, [("imdn", "urn:ietf:params:imdn"), ("cpm", "http://www.openmobilealliance.org/cpm/")]);
    /// # Ok::<(), cpm_client::mime::BodyError>(())
    /// ```
    pub fn namespaces(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.headers_named("NS").filter_map(namespace)
    }

    /// The first header called `name` in the namespace `namespace_urn` (URN compared
    /// ignoring ASCII case, name ignoring ASCII case), whatever prefix the message
    /// binds to the URN.
    ///
    /// ```
    /// use cpm_client::cpim::{CpimMessage, IMDN_NS};
    ///
    /// let cpim = CpimMessage::parse(b"NS: n <urn:ietf:params:imdn>\r\nn.Message-ID: 42\r\n\r\n")?;
    /// assert_eq!(cpim.header(IMDN_NS, "message-id"), Some("42"));
    /// assert_eq!(cpim.message_id(), Some("42"));
    /// # Ok::<(), cpm_client::mime::BodyError>(())
    /// ```
    pub fn header(&self, namespace_urn: &str, name: &str) -> Option<&'a str> {
        // One pass over the `NS` lines, then one over the headers: the cost grows with
        // the number of lines times the logarithm of the number of prefixes bound to
        // the URN, whatever the mix of headers and declarations.
        let bindings = Bindings::new(self.namespaces(), namespace_urn);
        self.headers()
            .find(|&(full, _)| {
                let (prefix, local) = full.split_once('.').unwrap_or(("", full));
                local.eq_ignore_ascii_case(name) && bindings.binds(prefix)
            })
            .map(|(_, v)| v)
    }

    /// The IMDN `Message-ID` (RFC 5438).
    pub fn message_id(&self) -> Option<&'a str> {
        self.header(IMDN_NS, "Message-ID")
    }

    /// The IMDN `Disposition-Notification` (RFC 5438): which notifications the sender
    /// asks for.
    pub fn disposition_notification(&self) -> Option<DispositionNotification<'a>> {
        self.header(IMDN_NS, "Disposition-Notification")
            .map(DispositionNotification::new)
    }

    /// The Content-Type of the content, as written.
    pub fn content_type_raw(&self) -> Option<&'a str> {
        self.content_type
    }

    /// The Content-Type of the content, when present and well-formed.
    pub fn content_type(&self) -> Option<MediaType<'a>> {
        MediaType::parse_str(self.content_type_raw()?).ok()
    }

    /// The Content-Length the content headers declare, when present and a number.
    pub fn content_length(&self) -> Option<u64> {
        self.content_header("Content-Length")?.trim().parse().ok()
    }

    /// The first content header called `name` (ignoring ASCII case).
    pub fn content_header(&self, name: &str) -> Option<&'a str> {
        self.content_headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The content: the bytes after the empty line that ends the content headers, cut
    /// to the declared Content-Length when that is smaller.
    pub fn content(&self) -> &'a [u8] {
        self.content
    }

    /// Offset of the content in the body.
    pub fn content_offset(&self) -> usize {
        self.content_at
    }
}

/// The prefixes a message binds to one namespace URN, gathered in one pass over its
/// `NS` declarations. The first few are kept in place (a message binds one or two),
/// so reading a header allocates nothing; past them all are kept sorted, so a message
/// declaring thousands of prefixes is still read in `n log n`.
struct Bindings<'a> {
    /// The first prefixes declared for the URN.
    few: [&'a str; Bindings::FEW],
    /// How many of `few` are set.
    few_len: usize,
    /// Every prefix declared for the URN, sorted ignoring ASCII case, when there are
    /// more than `FEW` (empty otherwise).
    many: Vec<&'a str>,
    /// Whether the conventional `imdn` prefix stands for the URN without a declaration:
    /// the URN is [`IMDN_NS`] and no `NS` line declares `imdn`.
    conventional_imdn: bool,
}

impl<'a> Bindings<'a> {
    const FEW: usize = 8;

    fn new(namespaces: impl Iterator<Item = (&'a str, &'a str)>, urn: &str) -> Self {
        let mut bindings = Bindings {
            few: [""; Bindings::FEW],
            few_len: 0,
            many: Vec::new(),
            conventional_imdn: false,
        };
        let mut imdn_declared = false;
        for (prefix, declared_urn) in namespaces {
            imdn_declared |= prefix.eq_ignore_ascii_case("imdn");
            if !declared_urn.eq_ignore_ascii_case(urn) {
                continue;
            }
            match bindings.few.get_mut(bindings.few_len) {
                Some(slot) if bindings.many.is_empty() => {
                    *slot = prefix;
                    bindings.few_len += 1;
                }
                _ => {
                    if bindings.many.is_empty() {
                        bindings.many.extend_from_slice(&bindings.few);
                    }
                    bindings.many.push(prefix);
                }
            }
        }
        bindings.many.sort_unstable_by(|a, b| caseless_cmp(a, b));
        bindings.conventional_imdn = !imdn_declared && urn.eq_ignore_ascii_case(IMDN_NS);
        bindings
    }

    /// Whether `prefix` stands for the URN.
    fn binds(&self, prefix: &str) -> bool {
        let declared = if self.many.is_empty() {
            self.few
                .iter()
                .take(self.few_len)
                .any(|p| p.eq_ignore_ascii_case(prefix))
        } else {
            self.many
                .binary_search_by(|p| caseless_cmp(p, prefix))
                .is_ok()
        };
        declared || (self.conventional_imdn && prefix.eq_ignore_ascii_case("imdn"))
    }
}

/// Orders two strings as their ASCII-lower-cased bytes.
fn caseless_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// The content as a Content-Length of `declared` bytes cuts it: only a number smaller
/// than the content's length shortens it (a larger one, or none, leaves it whole).
fn declared_content<'a>(content: &'a [u8], declared: Option<&str>) -> &'a [u8] {
    declared
        .and_then(|v| v.trim().parse::<u64>().ok())
        .and_then(|n| usize::try_from(n).ok())
        .and_then(|n| content.get(..n))
        .unwrap_or(content)
}

/// Finds the end of the header block at the start of `input` (offset `base` of a
/// body of `body_len` bytes) and checks its lines: the block's length and where what
/// follows its empty line starts, as [`split_header_block`] gives them, or the error
/// [`check_block`] finds (a block with no empty line is unterminated, at the end of
/// the body).
///
/// The usual block (every line a token name and a colon, or a continuation line, and
/// UTF-8) is split and checked in one pass over its lines, which hands each header
/// line to `met` as its name and its value (white space trimmed, as
/// [`raw_headers`] trims it when no line continues it); any other block is read
/// again by the full path, which finds the same split or the error. The third value
/// says whether `met` has seen every header whole: the usual pass read the block and
/// no line of it was a continuation line.
fn header_block<'a>(
    input: &'a [u8],
    base: usize,
    body_len: usize,
    met: impl FnMut(&'a [u8], &'a [u8]),
) -> Result<(usize, usize, bool), BodyError> {
    if let Some((len, after, continued)) = usual_block(input, met) {
        if input
            .get(..len)
            .is_some_and(|b| std::str::from_utf8(b).is_ok())
        {
            return Ok((len, after, !continued));
        }
    }
    let (len, after) = split_header_block(input)
        .ok_or(BodyError::new(BodyErrorKind::UnterminatedHeaders, body_len))?;
    check_block(&input[..len], base)?;
    Ok((len, after, false))
}

/// The one-pass reading of [`header_block`]: `Some((len, after, continued))` when
/// every line up to the empty line is `token ":" ...` or (past the first line)
/// starts with SP or HTAB (`continued`: there was such a line); `None` for any other
/// line, or no empty line (UTF-8 is not checked here).
fn usual_block<'a>(
    input: &'a [u8],
    mut met: impl FnMut(&'a [u8], &'a [u8]),
) -> Option<(usize, usize, bool)> {
    let mut at = 0;
    let mut continued = false;
    loop {
        let rest = input.get(at..)?;
        match rest {
            [b'\r', b'\n', ..] => return Some((at, at + 2, continued)),
            [b'\n', ..] => return Some((at, at + 1, continued)),
            [b' ' | b'\t', ..] if at > 0 => continued = true,
            _ => {
                let name_len = token_run(rest);
                if name_len == 0 || rest.get(name_len) != Some(&b':') {
                    return None;
                }
                let line_end = memchr::memchr(b'\n', rest.get(name_len..)?)? + name_len + 1;
                met(
                    rest.get(..name_len)?,
                    trim_lws(rest.get(name_len + 1..line_end)?),
                );
                at += line_end;
                continue;
            }
        }
        at += memchr::memchr(b'\n', rest)? + 1;
    }
}

/// How many MIME token bytes `bytes` starts with: eight at a time while all eight
/// are (their table entries ANDed, one branch per eight bytes), then byte by byte.
#[inline]
fn token_run(bytes: &[u8]) -> usize {
    let mut n = 0;
    while let Some(chunk) = bytes.get(n..n + 8) {
        if !chunk
            .iter()
            .fold(true, |all, &b| all & is_mime_token_char(b))
        {
            break;
        }
        n += 8;
    }
    let rest = bytes.get(n..).unwrap_or_default();
    n + rest
        .iter()
        .position(|&b| !is_mime_token_char(b))
        .unwrap_or(rest.len())
}

/// Checks the lines of a header block starting at offset `base` of the body.
fn check_block(block: &[u8], base: usize) -> Result<(), BodyError> {
    if let Err(e) = std::str::from_utf8(block) {
        return Err(BodyError::new(
            BodyErrorKind::NotUtf8,
            base + e.valid_up_to(),
        ));
    }
    for line in lines(block, base) {
        let malformed = |what| {
            Err(BodyError::new(
                BodyErrorKind::MalformedHeader(what),
                line.at,
            ))
        };
        match line.text {
            [b' ' | b'\t', ..] if line.at == base => {
                return malformed("continuation line with no header before it")
            }
            [b' ' | b'\t', ..] => {}
            text => match memchr::memchr(b':', text) {
                None => return malformed("no colon"),
                Some(n) => match trim_end_lws(&text[..n]) {
                    [] => return malformed("empty name"),
                    name if !name.iter().all(|&b| is_mime_token_char(b)) => {
                        return malformed("name is not a token")
                    }
                    _ => {}
                },
            },
        }
    }
    Ok(())
}

/// Reads an `NS` value: `[prefix] <urn>`.
fn namespace(value: &str) -> Option<(&str, &str)> {
    let (prefix, rest) = value.split_once('<')?;
    let (urn, after) = rest.split_once('>')?;
    let prefix = prefix.trim();
    let well_formed = after.trim().is_empty() && !prefix.contains(char::is_whitespace);
    well_formed.then_some((prefix, urn.trim()))
}

/// Whether `value` is an RFC 3339 `date-time` (`2026-11-24T10:15:00.000Z`,
/// `2026-11-24T12:15:00+02:00`), as CPIM's `DateTime` must be. Only the shape and the
/// field ranges are checked, not the calendar (`02-31` passes).
///
/// ```
/// use cpm_client::cpim::is_date_time;
///
/// assert!(is_date_time("2026-11-24T10:15:00.000Z"));
/// assert!(is_date_time("2026-11-24t12:15:00+02:00"));
/// assert!(!is_date_time("2026-11-24 10:15"));
/// ```
pub fn is_date_time(value: &str) -> bool {
    fn num(b: &[u8], at: usize, len: usize, max: u32) -> Option<()> {
        let digits = b.get(at..at + len)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = digits
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
        (n <= max).then_some(())
    }
    fn check(b: &[u8]) -> Option<()> {
        num(b, 0, 4, 9999)?;
        (b.get(4) == Some(&b'-')).then_some(())?;
        num(b, 5, 2, 12)?;
        (b.get(7) == Some(&b'-')).then_some(())?;
        num(b, 8, 2, 31)?;
        matches!(b.get(10), Some(b'T' | b't')).then_some(())?;
        num(b, 11, 2, 23)?;
        (b.get(13) == Some(&b':')).then_some(())?;
        num(b, 14, 2, 59)?;
        (b.get(16) == Some(&b':')).then_some(())?;
        num(b, 17, 2, 60)?;
        let mut at = 19;
        if b.get(at) == Some(&b'.') {
            let n = b[at + 1..]
                .iter()
                .take_while(|d| d.is_ascii_digit())
                .count();
            (n > 0).then_some(())?;
            at += 1 + n;
        }
        match b.get(at..)? {
            [b'Z' | b'z'] => Some(()),
            [b'+' | b'-', ..] if b.len() == at + 6 => {
                num(b, at + 1, 2, 23)?;
                (b.get(at + 3) == Some(&b':')).then_some(())?;
                num(b, at + 4, 2, 59)
            }
            _ => None,
        }
    }
    check(value.as_bytes()).is_some()
}

/// A CPIM address (RFC 3862 section 3.3): `"Display Name" <URI>`, `Name <URI>`,
/// `<URI>`, or (leniently) a bare URI.
///
/// ```
/// use cpm_client::cpim::CpimAddress;
///
/// let a = CpimAddress::parse(r#""Alice A." <sip:alice@example.net>"#)?;
/// assert_eq!((a.display_name, a.uri), (Some("Alice A."), "sip:alice@example.net"));
/// let a = CpimAddress::parse("Alice <im:alice@example.net>")?;
/// assert_eq!((a.display_name, a.uri), (Some("Alice"), "im:alice@example.net"));
/// let a = CpimAddress::parse("<sip:b@example.net>")?;
/// assert_eq!((a.display_name, a.uri), (None, "sip:b@example.net"));
/// assert!(CpimAddress::parse("<sip:b@example.net").is_err());
/// # Ok::<(), cpm_client::mime::BodyError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpimAddress<'a> {
    /// The display name: what stands between the quotes (escapes left in place), or
    /// the unquoted words before `<`; `None` when there is none.
    pub display_name: Option<&'a str>,
    /// The URI, without the angle brackets.
    pub uri: &'a str,
}

impl<'a> CpimAddress<'a> {
    /// Reads an address from a From, To or cc value. Errors (offsets into `value`): an
    /// empty value, an unterminated quoted name or `<`, anything after the `>`.
    pub fn parse(value: &'a str) -> Result<Self, BodyError> {
        let bytes = value.as_bytes();
        let fail = |what, rest: &[u8]| {
            Err(BodyError::new(
                BodyErrorKind::Address(what),
                bytes.len() - rest.len(),
            ))
        };
        let pos = |rest: &[u8]| bytes.len() - rest.len();
        // The `len` bytes of `value` from `at`. Every cut falls next to an ASCII
        // delimiter or white space, so `get` always succeeds; it is used rather than
        // indexing so that no input can make this panic.
        let text = |at: usize, len: usize| value.get(at..at.checked_add(len)?);
        let start = lws(bytes);
        let (display, at_angle) = if start.first() == Some(&b'"') {
            let Ok((after, inner)) = quoted_string(start) else {
                return fail("unterminated quoted name", start);
            };
            let Some(name) = text(pos(start) + 1, inner.len()) else {
                return fail("display name not at a character boundary", start);
            };
            (Some(name), lws(after))
        } else {
            match memchr::memchr(b'<', start) {
                Some(n) => {
                    let words = trim_lws(&start[..n]);
                    let name = if words.is_empty() {
                        None
                    } else {
                        let Some(name) = text(pos(start), words.len()) else {
                            return fail("display name not at a character boundary", start);
                        };
                        Some(name)
                    };
                    (name, &start[n..])
                }
                None => {
                    let uri = trim_lws(start);
                    if uri.is_empty() {
                        return fail("empty address", start);
                    }
                    if uri.iter().any(|&b| b == b'>' || b == b'"') {
                        return fail("stray character in a bare URI", uri);
                    }
                    let Some(uri_text) = text(pos(start), uri.len()) else {
                        return fail("URI not at a character boundary", uri);
                    };
                    return Ok(CpimAddress {
                        display_name: None,
                        uri: uri_text,
                    });
                }
            }
        };
        let Some(inside) = at_angle.strip_prefix(b"<") else {
            return fail("no '<' after the display name", at_angle);
        };
        let Some(close) = memchr::memchr(b'>', inside) else {
            return fail("unterminated '<'", at_angle);
        };
        let after = lws(&inside[close + 1..]);
        if !after.is_empty() {
            return fail("unexpected character after '>'", after);
        }
        let uri_bytes = trim_lws(&inside[..close]);
        if uri_bytes.is_empty() {
            return fail("empty URI", inside);
        }
        let Some(uri) = text(pos(lws(inside)), uri_bytes.len()) else {
            return fail("URI not at a character boundary", uri_bytes);
        };
        Ok(CpimAddress {
            display_name: display,
            uri,
        })
    }
}

impl fmt::Display for CpimAddress<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.display_name {
            Some(name) => write!(f, "\"{name}\" <{}>", self.uri),
            None => write!(f, "<{}>", self.uri),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_undeclared_prefix_does_not_bind_unless_conventional() {
        let cpim = CpimMessage::parse(b"x.Message-ID: 1\nimdn.Message-ID: 2\n\n").unwrap();
        assert_eq!(cpim.message_id(), Some("2"));
        let cpim = CpimMessage::parse(b"NS: imdn <urn:other>\nimdn.Message-ID: 2\n\n").unwrap();
        assert_eq!(cpim.message_id(), None);
        let cpim =
            CpimMessage::parse(b"NS: IMDN <urn:other>\nNS: x <URN:IETF:params:imdn>\nimdn.Message-ID: 2\nX.Message-ID: 3\n\n")
                .unwrap();
        assert_eq!(cpim.message_id(), Some("3"));
        let cpim = CpimMessage::parse(
            b"NS: imdn <urn:other>\nNS: imdn <urn:ietf:params:imdn>\nimdn.Message-ID: 2\n\n",
        )
        .unwrap();
        assert_eq!(cpim.message_id(), Some("2"));
    }

    #[test]
    fn prefixes_bound_past_the_first_few_are_found() {
        for count in [1, Bindings::FEW, Bindings::FEW + 1, 3 * Bindings::FEW] {
            let mut body = String::new();
            for i in 0..count {
                body.push_str(&format!("NS: P{i} <urn:ietf:params:imdn>\n"));
            }
            body.push_str("NS: u <urn:other>\nu.Message-ID: 0\n");
            body.push_str(&format!("p{}.Message-ID: {count}\n\n", count - 1));
            let cpim = CpimMessage::parse(body.as_bytes()).unwrap();
            assert_eq!(cpim.message_id(), Some(count.to_string().as_str()));
            let bindings = Bindings::new(cpim.namespaces(), IMDN_NS);
            assert!(bindings.binds("p0") && !bindings.binds("u") && !bindings.binds("p"));
        }
    }

    /// The reading of [`CpimMessage::parse`] before the usual blocks were read in one
    /// pass: split, check each block, then find Content-Type and Content-Length.
    fn reference(body: &[u8]) -> Result<CpimMessage<'_>, BodyError> {
        let unterminated = || BodyError::new(BodyErrorKind::UnterminatedHeaders, body.len());
        let (head_len, after_head) = split_header_block(body).ok_or_else(unterminated)?;
        check_block(&body[..head_len], 0)?;
        let rest = &body[after_head..];
        let (content_headers, content) = if rest.is_empty() {
            (rest, rest)
        } else {
            let (len, after) = split_header_block(rest).ok_or_else(unterminated)?;
            check_block(&rest[..len], after_head)?;
            (&rest[..len], &rest[after..])
        };
        let mut message = CpimMessage {
            headers: &body[..head_len],
            content_headers,
            content,
            content_at: body.len() - content.len(),
            content_type: None,
        };
        let (content_type, content_length) = message.content_type_and_length();
        message.content_type = content_type;
        message.content = declared_content(content, content_length);
        Ok(message)
    }

    #[test]
    fn the_one_pass_reading_agrees_with_the_reference() {
        let bodies: &[&[u8]] = &[
            b"From: <sip:a@x>\r\nTo: <sip:b@x>\r\n\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi!",
            b"From: <sip:a@x>\nimdn.Message-ID: 1\n\nContent-Type: text/plain\n\nhi",
            b"\r\nContent-Type: a/b\r\n\r\n",
            b"\r\n\r\n",
            b"\n",
            b"",
            b"From: <sip:a@x>\r\n",
            b"From: <sip:a@x>\r\n\r\n",
            b"From: <sip:a@x>\r\n\r\nContent-Type: a/b\r\n",
            b"From: <sip:a@x>\r\n\r\nContent-Type: a/b",
            b"From : <sip:a@x>\r\n\r\nContent-Type : a/b\r\n\r\nx",
            b"From:<sip:a@x>\r\n\r\nContent-Type:a/b\r\nContent-Length:1\r\n\r\nxy",
            b"From: <sip:a@x>\r\n folded\r\n\r\nContent-Type: a/b\r\n\r\nx",
            b"From: x\r\n\r\nContent-Type: a/b;\r\n q=1\r\nContent-Length: 1\r\n\r\nxy",
            b"From: x\r\n\r\nContent-Type:\r\n\ta/b\r\n\r\nx",
            b"From: x\r\n\r\nContent-Length: 1\r\n\tContent-Type: a/b\r\n\r\nxy",
            b" From: x\r\n\r\n",
            b"From: x\r\n\r\n content-type: a/b\r\n\r\n",
            b"hello\r\n\r\n",
            b"From: x\r\n\r\nhello\r\n\r\n",
            b": x\r\n\r\n",
            b"Fr(m: x\r\n\r\n",
            b"From: \xff\r\n\r\n",
            b"From: x\r\n\r\nContent-Type: \xffa/b\r\n\r\n",
            b"From: \xc3\xa9\r\n\r\nContent-Type: text/plain; x=\xc3\xa9\r\n\r\n\xc3\xa9",
            b"From: x\r\r\n\r\n",
            b"From: x\r\n\r\r\n\r\n",
            b"From: x\r\n\r\nCONTENT-TYPE: A/B\r\ncontent-type: c/d\r\ncontent-length: 0\r\nContent-Length: 5\r\n\r\nabc",
            b"From: x\r\n\r\nContent-Length: 99999999999999999999999\r\n\r\nabc",
            b"From: x\r\n\r\nContent-Length:  2 \r\n\r\nabc",
            b"From: x\r\n\r\nX-\xff: y\r\n\r\n",
            b"a.b-c_d!e: 1\r\nimdn.Disposition-Notification: positive-delivery\r\n\r\n\r\nbody",
        ];
        for &body in bodies {
            let shown = String::from_utf8_lossy(body);
            match (CpimMessage::parse(body), reference(body)) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(
                        (a.headers, a.content_headers, a.content, a.content_at),
                        (b.headers, b.content_headers, b.content, b.content_at),
                        "{shown:?}"
                    );
                    assert_eq!(a.content_type, b.content_type, "{shown:?}");
                }
                (Err(a), Err(b)) => {
                    assert_eq!((a.kind(), a.offset()), (b.kind(), b.offset()), "{shown:?}")
                }
                (a, b) => panic!("{shown:?}: {a:?} but {b:?}"),
            }
        }
    }

    #[test]
    fn token_runs_are_counted_as_byte_by_byte() {
        let inputs: &[&[u8]] = &[
            b"",
            b"a",
            b"From:",
            b"abcdefg:",
            b"abcdefgh:",
            b"abcdefghi",
            b"imdn.Disposition-Notification: x",
            b"Content-Type : x",
            b"abcdefgh(ijklmnop",
            b"abcdefghijklmnop",
            b"\xffabc",
            b"abc\xff",
        ];
        for &input in inputs {
            let by_byte = input
                .iter()
                .position(|&b| !is_mime_token_char(b))
                .unwrap_or(input.len());
            assert_eq!(token_run(input), by_byte, "{input:?}");
        }
    }

    #[test]
    fn content_is_cut_to_a_smaller_content_length() {
        let cpim = CpimMessage::parse(b"\r\nContent-Length: 2\r\n\r\nabcd").unwrap();
        assert_eq!(cpim.content(), b"ab");
        let cpim = CpimMessage::parse(b"\r\nContent-Length: 9\r\n\r\nabcd").unwrap();
        assert_eq!(cpim.content(), b"abcd");
        let cpim = CpimMessage::parse(b"From: <a:b>\r\n\r\n").unwrap();
        assert_eq!(cpim.content(), b"");
    }

    #[test]
    fn date_times() {
        assert!(is_date_time("2026-01-01T00:00:60Z"));
        assert!(!is_date_time("2026-13-01T00:00:00Z"));
        assert!(!is_date_time("2026-01-01T00:00:00.Z"));
        assert!(!is_date_time("2026-01-01T00:00:00+0200"));
        assert!(!is_date_time("２026-01-01T00:00:00Z"));
    }
}
