//! SDP for MSRP (RFC 4566 with the MSRP attributes of RFC 4975 and the file-transfer
//! attributes of RFC 5547), read and written.
//!
//! - [`Sdp`] reads an offer or answer in place; [`MsrpMedia`] is its `m=message`
//!   section.
//! - [`MsrpSdp`] writes the SDP of one MSRP stream: the offers of the outgoing
//!   builders, and the answers the dispatcher sends.
//! - [`Setup`] (RFC 4145), [`Direction`] (RFC 4566 section 6) and [`FileSelector`]
//!   (RFC 5547 section 6) are the same types whichever way they travel.
//! - [`NegotiatedMsrp`] is what an offer and its answer settled, from one end's side:
//!   paths, role, types and sizes, to start an MSRP session with.
//!
//! ```
//! use cpm_client::sdp::{Direction, MsrpSdp, Sdp, Setup};
//!
//! let offer = MsrpSdp::new("192.0.2.10", "msrp://192.0.2.10:9/a1b2;tcp", Direction::SendRecv)
//!     .accept_types(&["message/cpim"])
//!     .setup(Setup::ActPass)
//!     .write()?;
//! let read = Sdp::parse(&offer).expect("what the writer wrote reads back");
//! let msrp = read.msrp().expect("an m=message line");
//! assert_eq!(msrp.setup(), Some(Setup::ActPass));
//! assert_eq!(msrp.direction(), Direction::SendRecv);
//! assert_eq!(msrp.path().next(), Some("msrp://192.0.2.10:9/a1b2;tcp"));
//! # Ok::<(), cpm_client::BuildError>(())
//! ```

use std::borrow::Cow;
use std::fmt;

pub(crate) mod answer;
mod negotiated;
mod offer;
mod reader;

pub(crate) use negotiated::Answering;
pub use negotiated::NegotiatedMsrp;
pub use offer::MsrpSdp;
pub use reader::{Attribute, Connection, Media, MsrpMedia, MsrpTransport, Origin, Sdp};

use crate::error::{invalid, BuildError};
use crate::sip::grammar::is_token_char;

/// `a=setup` (RFC 4145, as RFC 6135 uses it for MSRP): which end opens the
/// connection.
///
/// ```
/// use cpm_client::sdp::Setup;
/// assert_eq!(Setup::parse("ACTPASS"), Some(Setup::ActPass));
/// assert_eq!(Setup::parse("later"), None);
/// assert_eq!(Setup::Passive.to_string(), "passive");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Setup {
    /// `active`: this end connects (the default role of an offer, RFC 4145 section 4).
    #[default]
    Active,
    /// `passive`: this end accepts the connection.
    Passive,
    /// `actpass`: either; the answerer chooses.
    ActPass,
    /// `holdconn`: no connection yet.
    HoldConn,
}

impl Setup {
    const ALL: [Setup; 4] = [
        Setup::Active,
        Setup::Passive,
        Setup::ActPass,
        Setup::HoldConn,
    ];

    /// Reads an `a=setup` value (ignoring ASCII case); `None` for any other value.
    pub fn parse(value: &str) -> Option<Setup> {
        Setup::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(value))
    }

    /// The value as `a=setup:` writes it (lower case).
    pub const fn as_str(self) -> &'static str {
        match self {
            Setup::Active => "active",
            Setup::Passive => "passive",
            Setup::ActPass => "actpass",
            Setup::HoldConn => "holdconn",
        }
    }

    /// The roles an answer may take to an offer of `offered` (RFC 4145 section 4.1):
    /// the opposite of `active` or `passive`, `holdconn` to `holdconn`, either to
    /// `actpass`. An offer without the attribute (or with a value this library does
    /// not know) is taken as `active`, so the answer is `passive`.
    pub fn answers_to(offered: Option<Setup>) -> &'static [Setup] {
        match offered {
            Some(Setup::Passive) => &[Setup::Active],
            Some(Setup::HoldConn) => &[Setup::HoldConn],
            Some(Setup::ActPass) => &[Setup::Active, Setup::Passive],
            Some(Setup::Active) | None => &[Setup::Passive],
        }
    }
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The direction of a media stream (RFC 4566 section 6).
///
/// ```
/// use cpm_client::sdp::Direction;
/// assert_eq!(Direction::from_name("recvonly"), Some(Direction::RecvOnly));
/// assert_eq!(Direction::from_name("setup"), None);
/// assert_eq!(Direction::SendOnly.reversed(), Direction::RecvOnly);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// `sendrecv`, the default: sessions.
    #[default]
    SendRecv,
    /// `sendonly`: large-message and file sending.
    SendOnly,
    /// `recvonly`: answers to incoming large messages, files, deferred messages.
    RecvOnly,
    /// `inactive`.
    Inactive,
}

impl Direction {
    const ALL: [Direction; 4] = [
        Direction::SendRecv,
        Direction::SendOnly,
        Direction::RecvOnly,
        Direction::Inactive,
    ];

    /// The direction an attribute name stands for (ignoring ASCII case), if any.
    pub fn from_name(name: &str) -> Option<Direction> {
        Direction::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(name))
    }

    /// The attribute name (`sendrecv`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction seen from the other end: `sendonly` and `recvonly` swap, the
    /// others stay (what an answer mirrors, RFC 3264 section 6.1).
    pub const fn reversed(self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            other => other,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `a=file-selector` (RFC 5547 section 6): the selectors `name:"..."`, `type:...`,
/// `size:...` and `hash:algorithm:value`.
///
/// Read from an offer, every selector is optional and borrowed from the SDP; unknown
/// selectors are ignored and a size that is not a number is `None`. Built for an
/// offer with [`new`](Self::new), the name is percent-encoded where RFC 5547 asks
/// (`"`, `%`, CR, LF, NUL) and [`to_attribute_value`](Self::to_attribute_value)
/// writes it.
///
/// ```
/// use cpm_client::sdp::{FileHash, FileSelector};
///
/// let read = FileSelector::parse(r#"name:"My%20beach.jpg" type:image/jpeg size:48213 hash:sha-1:72:24:5F"#);
/// assert_eq!(read.name.as_deref(), Some("My%20beach.jpg"));
/// assert_eq!(read.name_decoded().as_deref(), Some("My beach.jpg"));
/// assert_eq!(read.media_type.as_deref(), Some("image/jpeg"));
/// assert_eq!(read.size, Some(48213));
/// assert_eq!(read.hash, Some(FileHash { algorithm: "sha-1".into(), value: "72:24:5F".into() }));
///
/// let built = FileSelector::new("my \"holiday\" 100%.jpg", "image/jpeg", 48213);
/// assert_eq!(
///     built.to_attribute_value().unwrap(),
///     "name:\"my %22holiday%22 100%25.jpg\" type:image/jpeg size:48213"
/// );
/// assert_eq!(built.name_decoded().as_deref(), Some("my \"holiday\" 100%.jpg"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FileSelector<'a> {
    /// The file name as it stands between the quotes, percent-encoding left in place
    /// (see [`name_decoded`](Self::name_decoded)).
    pub name: Option<Cow<'a, str>>,
    /// The file's media type, parameters included, as written.
    pub media_type: Option<Cow<'a, str>>,
    /// The file size in bytes.
    pub size: Option<u64>,
    /// The file hash, which the receiver checks the file against when it is whole.
    pub hash: Option<FileHash<'a>>,
}

/// The `hash` selector of a file-selector: `sha-1:72:24:...`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileHash<'a> {
    /// The algorithm (`sha-1`), as written.
    pub algorithm: Cow<'a, str>,
    /// The hash, colon-separated hex pairs as written.
    pub value: Cow<'a, str>,
}

impl FileHash<'static> {
    /// A SHA-1 hash, written `sha-1:` then the 20 bytes as upper-case hex pairs
    /// separated by colons (RFC 5547 section 6, RFC 4572's fingerprint form).
    pub fn sha1(digest: &[u8; 20]) -> FileHash<'static> {
        let mut value = String::with_capacity(59);
        for (i, b) in digest.iter().enumerate() {
            if i > 0 {
                value.push(':');
            }
            value.push_str(&format!("{b:02X}"));
        }
        FileHash {
            algorithm: Cow::Borrowed("sha-1"),
            value: Cow::Owned(value),
        }
    }
}

impl<'a> FileSelector<'a> {
    /// A selector for a file to offer: `name` is the plain file name (any UTF-8), which
    /// is percent-encoded here where RFC 5547 asks.
    pub fn new(name: &str, media_type: &'a str, size: u64) -> FileSelector<'a> {
        FileSelector {
            name: Some(Cow::Owned(encode_name(name))),
            media_type: Some(Cow::Borrowed(media_type)),
            size: Some(size),
            hash: None,
        }
    }

    /// The selector with a hash of the file.
    pub fn with_hash(mut self, hash: FileHash<'a>) -> FileSelector<'a> {
        self.hash = Some(hash);
        self
    }

    /// Reads an `a=file-selector` value.
    pub fn parse(value: &'a str) -> Self {
        let mut selector = FileSelector::default();
        for item in selectors(value) {
            let Some((key, rest)) = item.split_once(':') else {
                continue;
            };
            if key.eq_ignore_ascii_case("name") {
                let unquoted = rest
                    .strip_prefix('"')
                    .map(|r| r.strip_suffix('"').unwrap_or(r));
                selector.name = Some(Cow::Borrowed(unquoted.unwrap_or(rest)));
            } else if key.eq_ignore_ascii_case("type") {
                selector.media_type = Some(Cow::Borrowed(rest));
            } else if key.eq_ignore_ascii_case("size") {
                selector.size = rest.parse().ok();
            } else if key.eq_ignore_ascii_case("hash") {
                selector.hash = rest.split_once(':').map(|(algorithm, value)| FileHash {
                    algorithm: Cow::Borrowed(algorithm),
                    value: Cow::Borrowed(value),
                });
            }
        }
        selector
    }

    /// The file name, percent-decoded (`%20` is a space); borrowed when there is
    /// nothing to decode. Bytes that do not decode to UTF-8 become U+FFFD.
    pub fn name_decoded(&self) -> Option<Cow<'a, str>> {
        Some(match self.name.as_ref()? {
            Cow::Borrowed(name) => percent_decode(name),
            Cow::Owned(name) => Cow::Owned(percent_decode(name).into_owned()),
        })
    }

    /// The selector owning its text, free of the SDP it was read from.
    pub fn into_owned(self) -> FileSelector<'static> {
        let own = |c: Cow<'a, str>| Cow::Owned(c.into_owned());
        FileSelector {
            name: self.name.map(own),
            media_type: self.media_type.map(own),
            size: self.size,
            hash: self.hash.map(|h| FileHash {
                algorithm: own(h.algorithm),
                value: own(h.value),
            }),
        }
    }

    /// The attribute value after `a=file-selector:`, selectors in the order name,
    /// type, size, hash.
    ///
    /// # Errors
    ///
    /// [`BuildError::Missing`] without a name, a type or a size (RFC 5547 section 8
    /// asks an offer for all three); [`BuildError::InvalidValue`] for an empty name, a
    /// type that is not `type/subtype` or a hash outside its grammar.
    pub fn to_attribute_value(&self) -> Result<String, BuildError> {
        let missing = |field| BuildError::Missing {
            field,
            why: "RFC 5547 offers a file by name, type and size",
        };
        let name = self.name.as_deref().ok_or(missing("file name"))?;
        let media_type = self.media_type.as_deref().ok_or(missing("file type"))?;
        let size = self.size.ok_or(missing("file size"))?;
        if name.is_empty() {
            return Err(invalid("file name", name, "a non-empty file name"));
        }
        check_essence("file type", media_type)?;
        let mut out = String::with_capacity(name.len() + media_type.len() + 40);
        out.push_str("name:\"");
        // Already encoded; what a quoted string cannot hold is encoded again.
        out.push_str(&encode_unquotable(name));
        out.push_str("\" type:");
        out.push_str(media_type);
        out.push_str(" size:");
        out.push_str(&size.to_string());
        if let Some(hash) = &self.hash {
            let hex =
                |v: &str| !v.is_empty() && v.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
            if !hash.algorithm.bytes().all(is_token_char) || hash.algorithm.is_empty() {
                return Err(invalid(
                    "file hash",
                    &hash.algorithm,
                    "a hash algorithm token",
                ));
            }
            if !hex(&hash.value) {
                return Err(invalid(
                    "file hash",
                    &hash.value,
                    "colon-separated hex pairs",
                ));
            }
            out.push_str(" hash:");
            out.push_str(&hash.algorithm);
            out.push(':');
            out.push_str(&hash.value);
        }
        Ok(out)
    }
}

/// A file name as a file-selector carries it: `"`, `%`, CR, LF and NUL
/// percent-encoded (RFC 5547 section 6).
fn encode_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '%' => out.push_str("%25"),
            c => push_unquotable(&mut out, c),
        }
    }
    out
}

/// `name` with the characters a quoted string cannot hold percent-encoded.
fn encode_unquotable(name: &str) -> Cow<'_, str> {
    if !name.contains(['"', '\r', '\n', '\0']) {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 6);
    for c in name.chars() {
        push_unquotable(&mut out, c);
    }
    Cow::Owned(out)
}

fn push_unquotable(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("%22"),
        '\r' => out.push_str("%0D"),
        '\n' => out.push_str("%0A"),
        '\0' => out.push_str("%00"),
        c => out.push(c),
    }
}

/// `type/subtype`, both tokens.
pub(crate) fn check_essence<'v>(
    field: &'static str,
    value: &'v str,
) -> Result<&'v str, BuildError> {
    let token = |t: &str| !t.is_empty() && t.bytes().all(is_token_char);
    match value.split_once('/') {
        Some((kind, sub)) if token(kind) && token(sub) => Ok(value),
        _ => Err(invalid(field, value, "a media type type/subtype")),
    }
}

/// The selectors of a file-selector value: white-space separated, quotes kept whole.
fn selectors(value: &str) -> impl Iterator<Item = &str> {
    let mut rest = value;
    std::iter::from_fn(move || {
        rest = rest.trim_start();
        if rest.is_empty() {
            return None;
        }
        let mut quoted = false;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    quoted = !quoted;
                }
                !quoted && c.is_ascii_whitespace()
            })
            .map_or(rest.len(), |(n, _)| n);
        let (item, after) = rest.split_at(end);
        rest = after;
        Some(item)
    })
}

/// Decodes `%XX` escapes (either hex case); a `%` not followed by two hex digits stays.
fn percent_decode(text: &str) -> Cow<'_, str> {
    if !text.contains('%') {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|&b| char::from(b).to_digit(16));
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("a%2fb%2F%"), "a/b/%");
        assert_eq!(percent_decode("%e2%82%ac%zz"), "€%zz");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
        assert!(matches!(percent_decode("plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn selectors_keep_quoted_spaces() {
        let items: Vec<&str> = selectors(r#" name:"a b"  size:1 "#).collect();
        assert_eq!(items, [r#"name:"a b""#, "size:1"]);
    }

    #[test]
    fn a_built_selector_reads_back() {
        let built = FileSelector::new("a \"b\"\r\n%.txt", "text/plain", 3)
            .with_hash(FileHash::sha1(&[0xab; 20]));
        let value = built.to_attribute_value().unwrap();
        let read = FileSelector::parse(&value);
        assert_eq!(read.name_decoded().as_deref(), Some("a \"b\"\r\n%.txt"));
        assert_eq!(read, built);
    }

    #[test]
    fn setup_answers_follow_rfc_4145() {
        assert_eq!(
            Setup::answers_to(Some(Setup::ActPass)),
            [Setup::Active, Setup::Passive]
        );
        assert_eq!(Setup::answers_to(None), [Setup::Passive]);
        assert_eq!(Setup::answers_to(Some(Setup::Passive)), [Setup::Active]);
    }
}
