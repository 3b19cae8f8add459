//! The SDP reader: [`Sdp`] and the media sections in it.

use super::{Direction, FileSelector, Setup};
use crate::mime::{lines, utf8, BodyError, BodyErrorKind};

/// An SDP body, read in place: the session-level lines, then one media section per
/// `m=` line.
///
/// Lines may end in CRLF or bare LF. Lines that are not `x=value`, or not UTF-8, are
/// ignored, as are line types this reader has no use for. Only input that is not SDP
/// at all (not starting with `v=`) is an error.
///
/// ```
/// use cpm_client::sdp::{Direction, MsrpTransport, Sdp, Setup};
///
/// let body = b"v=0\r\no=- 3913722112 3913722112 IN IP4 192.0.2.10\r\ns=-\r\n\
/// c=IN IP4 192.0.2.10\r\nt=0 0\r\nm=message 9 TCP/MSRP *\r\n\
/// a=accept-types:message/cpim\r\na=accept-wrapped-types:text/plain\r\n\
/// a=path:msrp://192.0.2.10:9/a1b2c3d4;tcp\r\na=setup:active\r\na=sendonly\r\n\
/// a=max-size:2048000\r\n";
/// let sdp = Sdp::parse(body)?;
/// assert_eq!(sdp.origin().unwrap().address, "192.0.2.10");
///
/// let msrp = sdp.msrp().expect("an m=message line");
/// assert_eq!(msrp.port(), Some(9));
/// assert_eq!(msrp.transport(), MsrpTransport::Tcp);
/// assert_eq!(msrp.connection().unwrap().address, "192.0.2.10");
/// assert_eq!(msrp.path().collect::<Vec<_>>(), ["msrp://192.0.2.10:9/a1b2c3d4;tcp"]);
/// assert_eq!(msrp.accept_types().collect::<Vec<_>>(), ["message/cpim"]);
/// assert_eq!(msrp.setup(), Some(Setup::Active));
/// assert_eq!(msrp.direction(), Direction::SendOnly);
/// assert_eq!(msrp.max_size(), Some(2_048_000));
/// # Ok::<(), cpm_client::mime::BodyError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Sdp<'a> {
    body: &'a [u8],
    /// Where the first `m=` line starts (the end when there is none).
    media_at: usize,
}

/// One `x=value` line of an SDP body.
#[derive(Debug, Clone, Copy)]
struct SdpLine<'a> {
    at: usize,
    kind: u8,
    value: &'a str,
}

/// The SDP lines of `body[from..to]`.
fn sdp_lines(body: &[u8], from: usize, to: usize) -> impl Iterator<Item = SdpLine<'_>> {
    let section = body.get(from..to).unwrap_or_default();
    lines(section, from).filter_map(|line| match line.text {
        [kind, b'=', value @ ..] if kind.is_ascii_alphabetic() => Some(SdpLine {
            at: line.at,
            kind: *kind,
            value: utf8(value)?,
        }),
        _ => None,
    })
}

impl<'a> Sdp<'a> {
    /// Reads an SDP body. White space and empty lines before `v=` are tolerated; a
    /// body whose first line is not `v=` is an error at that line.
    ///
    /// ```
    /// use cpm_client::sdp::Sdp;
    ///
    /// let sdp = Sdp::parse(b"v=0\ns=-\n")?;
    /// assert!(sdp.msrp().is_none());
    /// assert_eq!(Sdp::parse(b"\r\n x=0").unwrap_err().offset(), 3);
    /// # Ok::<(), cpm_client::mime::BodyError>(())
    /// ```
    pub fn parse(body: &'a [u8]) -> Result<Self, BodyError> {
        let start = body
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(body.len());
        if !body[start..].starts_with(b"v=") {
            return Err(BodyError::new(
                BodyErrorKind::NotSdp("does not start with v="),
                start,
            ));
        }
        let media_at = sdp_lines(body, 0, body.len())
            .find(|l| l.kind == b'm')
            .map_or(body.len(), |l| l.at);
        Ok(Sdp { body, media_at })
    }

    /// The body as given.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.body
    }

    /// Every `x=value` line in order, as `(x, value)`.
    pub fn lines(&self) -> impl Iterator<Item = (char, &'a str)> + 'a {
        sdp_lines(self.body, 0, self.body.len()).map(|l| (char::from(l.kind), l.value))
    }

    fn session_lines(&self) -> impl Iterator<Item = SdpLine<'a>> + 'a {
        sdp_lines(self.body, 0, self.media_at)
    }

    fn session_value(&self, kind: u8) -> Option<&'a str> {
        self.session_lines()
            .find(|l| l.kind == kind)
            .map(|l| l.value)
    }

    /// The `o=` line, when it has its six fields.
    pub fn origin(&self) -> Option<Origin<'a>> {
        Origin::parse(self.session_value(b'o')?)
    }

    /// The `o=` value as written.
    pub fn origin_raw(&self) -> Option<&'a str> {
        self.session_value(b'o')
    }

    /// The `s=` value.
    pub fn session_name(&self) -> Option<&'a str> {
        self.session_value(b's')
    }

    /// The session-level `c=` line.
    pub fn connection(&self) -> Option<Connection<'a>> {
        Connection::parse(self.session_value(b'c')?)
    }

    /// The session-level attributes in order.
    pub fn attributes(&self) -> impl Iterator<Item = Attribute<'a>> + 'a {
        attributes(self.session_lines())
    }

    /// The value of the first session-level attribute `name` (ignoring ASCII case); an
    /// attribute without a value (`a=sendrecv`) gives `""`.
    pub fn attribute(&self, name: &str) -> Option<&'a str> {
        find_attribute(self.attributes(), name)
    }

    /// The session-level direction attribute, if any.
    fn session_direction(&self) -> Option<Direction> {
        self.attributes().find_map(|a| Direction::from_name(a.name))
    }

    /// The media sections, one per `m=` line, in order.
    pub fn media(&self) -> impl Iterator<Item = Media<'a>> + 'a {
        let sdp = *self;
        let mut m_lines = sdp_lines(self.body, self.media_at, self.body.len())
            .filter(|l| l.kind == b'm')
            .peekable();
        std::iter::from_fn(move || {
            let line = m_lines.next()?;
            let end = m_lines.peek().map_or(sdp.body.len(), |l| l.at);
            Some(Media::new(sdp, line, end))
        })
    }

    /// The first `m=message` media section, read as MSRP media (RFC 4975).
    pub fn msrp(&self) -> Option<MsrpMedia<'a>> {
        self.media()
            .find(|m| m.media_type().eq_ignore_ascii_case("message"))
            .map(|media| MsrpMedia { media })
    }
}

/// The fields of an `o=` line: `username sess-id sess-version nettype addrtype address`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin<'a> {
    /// The user name (`-` when there is none).
    pub username: &'a str,
    /// The session id (`sess-id`, RFC 4566 section 5.2), as written.
    pub session_id: &'a str,
    /// The session version (`sess-version`), which a changed offer increments.
    pub session_version: &'a str,
    /// The network type (`IN`).
    pub net_type: &'a str,
    /// The address type (`IP4`, `IP6`).
    pub addr_type: &'a str,
    /// The address of the machine that made the session.
    pub address: &'a str,
}

impl<'a> Origin<'a> {
    /// Reads an `o=` value; `None` unless it has exactly six fields.
    ///
    /// ```
    /// let o = cpm_client::sdp::Origin::parse("- 1 2 IN IP4 192.0.2.10").unwrap();
    /// assert_eq!((o.session_id, o.addr_type), ("1", "IP4"));
    /// ```
    pub fn parse(value: &'a str) -> Option<Self> {
        let mut f = value.split_ascii_whitespace();
        let origin = Origin {
            username: f.next()?,
            session_id: f.next()?,
            session_version: f.next()?,
            net_type: f.next()?,
            addr_type: f.next()?,
            address: f.next()?,
        };
        f.next().is_none().then_some(origin)
    }
}

/// A `c=` line: `nettype addrtype connection-address`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection<'a> {
    /// The network type (`IN`).
    pub net_type: &'a str,
    /// The address type (`IP4`, `IP6`).
    pub addr_type: &'a str,
    /// The address as written (a multicast `/ttl` suffix included).
    pub address: &'a str,
}

impl<'a> Connection<'a> {
    /// Reads a `c=` value; `None` unless it has exactly three fields.
    ///
    /// ```
    /// let c = cpm_client::sdp::Connection::parse("IN IP6 2001:db8::1").unwrap();
    /// assert_eq!((c.addr_type, c.address), ("IP6", "2001:db8::1"));
    /// ```
    pub fn parse(value: &'a str) -> Option<Self> {
        let mut f = value.split_ascii_whitespace();
        let connection = Connection {
            net_type: f.next()?,
            addr_type: f.next()?,
            address: f.next()?,
        };
        f.next().is_none().then_some(connection)
    }
}

/// An `a=` line: `name` or `name:value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// The name, as written.
    pub name: &'a str,
    /// What follows the first `:`, as written; `None` for a flag (`a=sendrecv`).
    pub value: Option<&'a str>,
}

impl<'a> Attribute<'a> {
    /// Reads an `a=` value.
    ///
    /// ```
    /// use cpm_client::sdp::Attribute;
    ///
    /// assert_eq!(Attribute::parse("path:msrp://h:1/x;tcp").value, Some("msrp://h:1/x;tcp"));
    /// assert_eq!(Attribute::parse("sendonly"), Attribute { name: "sendonly", value: None });
    /// ```
    pub fn parse(value: &'a str) -> Self {
        match value.split_once(':') {
            Some((name, value)) => Attribute {
                name: name.trim(),
                value: Some(value),
            },
            None => Attribute {
                name: value.trim(),
                value: None,
            },
        }
    }
}

fn attributes<'a>(
    lines: impl Iterator<Item = SdpLine<'a>> + 'a,
) -> impl Iterator<Item = Attribute<'a>> + 'a {
    lines
        .filter(|l| l.kind == b'a')
        .map(|l| Attribute::parse(l.value))
}

fn find_attribute<'a>(mut all: impl Iterator<Item = Attribute<'a>>, name: &str) -> Option<&'a str> {
    all.find(|a| a.name.eq_ignore_ascii_case(name))
        .map(|a| a.value.unwrap_or(&a.name[a.name.len()..]))
}

/// One media section: an `m=` line and the lines after it up to the next `m=`.
#[derive(Debug, Clone, Copy)]
pub struct Media<'a> {
    sdp: Sdp<'a>,
    media_type: &'a str,
    port: &'a str,
    protocol: &'a str,
    formats: &'a str,
    at: usize,
    end: usize,
}

impl<'a> Media<'a> {
    fn new(sdp: Sdp<'a>, line: SdpLine<'a>, end: usize) -> Self {
        let value = line.value.trim_start();
        let (media_type, rest) = split_field(value);
        let (port, rest) = split_field(rest);
        let (protocol, rest) = split_field(rest);
        Media {
            sdp,
            media_type,
            port,
            protocol,
            formats: rest.trim(),
            at: line.at,
            end,
        }
    }

    fn lines(&self) -> impl Iterator<Item = SdpLine<'a>> + 'a {
        // The m= line itself is skipped.
        sdp_lines(self.sdp.body, self.at, self.end).skip(1)
    }

    /// Offset of the `m=` line in the body.
    pub fn offset(&self) -> usize {
        self.at
    }

    /// The media type (`message`, `audio`), as written.
    pub fn media_type(&self) -> &'a str {
        self.media_type
    }

    /// The port, when it is a number (a `port/count` form gives the port).
    pub fn port(&self) -> Option<u16> {
        let port = self.port.split_once('/').map_or(self.port, |(p, _)| p);
        port.parse().ok()
    }

    /// The port field as written.
    pub fn port_raw(&self) -> &'a str {
        self.port
    }

    /// The transport protocol (`TCP/MSRP`, `TCP/TLS/MSRP`), as written.
    pub fn protocol(&self) -> &'a str {
        self.protocol
    }

    /// The media formats (`*` for MSRP).
    pub fn formats(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.formats.split_ascii_whitespace()
    }

    /// The connection: the media-level `c=` line, or else the session-level one.
    pub fn connection(&self) -> Option<Connection<'a>> {
        match self.lines().find(|l| l.kind == b'c') {
            Some(line) => Connection::parse(line.value),
            None => self.sdp.connection(),
        }
    }

    /// The media-level attributes in order.
    pub fn attributes(&self) -> impl Iterator<Item = Attribute<'a>> + 'a {
        attributes(self.lines())
    }

    /// The value of the first media-level attribute `name` (ignoring ASCII case); an
    /// attribute without a value gives `""`.
    pub fn attribute(&self, name: &str) -> Option<&'a str> {
        find_attribute(self.attributes(), name)
    }

    /// The direction: the media-level attribute, or else the session-level one, or
    /// else `sendrecv` (RFC 4566 section 6).
    pub fn direction(&self) -> Direction {
        self.attributes()
            .find_map(|a| Direction::from_name(a.name))
            .or_else(|| self.sdp.session_direction())
            .unwrap_or(Direction::SendRecv)
    }
}

/// Splits the first white-space separated field off `value`.
fn split_field(value: &str) -> (&str, &str) {
    let value = value.trim_start();
    match value.find(|c: char| c.is_ascii_whitespace()) {
        Some(n) => (&value[..n], value[n..].trim_start()),
        None => (value, &value[value.len()..]),
    }
}

/// An `m=message` media section read as MSRP media (RFC 4975), with the file-transfer
/// attributes of RFC 5547.
///
/// ```
/// use cpm_client::sdp::{Direction, MsrpTransport, Sdp, Setup};
///
/// let sdp = Sdp::parse(b"v=0\nc=IN IP4 192.0.2.1\nm=message 2855 TCP/TLS/MSRP *\n\
///     c=IN IP4 192.0.2.7\na=path:msrps://192.0.2.7:2855/k;tcp\na=setup:actpass\n\
///     a=maxsize:1024\na=file-selector:type:image/png name:\"a%20b.png\" size:7\n\
///     a=file-transfer-id:ft-1\na=file-range:1-7\n")?;
/// let msrp = sdp.msrp().unwrap();
/// assert_eq!(msrp.transport(), MsrpTransport::Tls);
/// assert_eq!(msrp.connection().unwrap().address, "192.0.2.7");
/// assert_eq!(msrp.path().next(), Some("msrps://192.0.2.7:2855/k;tcp"));
/// assert_eq!(msrp.setup(), Some(Setup::ActPass));
/// assert_eq!(msrp.direction(), Direction::SendRecv);
/// assert_eq!(msrp.max_size(), Some(1024));
/// let file = msrp.file_selector().unwrap();
/// assert_eq!((file.name.as_deref(), file.media_type.as_deref(), file.size), (Some("a%20b.png"), Some("image/png"), Some(7)));
/// assert_eq!(file.name_decoded().as_deref(), Some("a b.png"));
/// assert_eq!(msrp.file_transfer_id(), Some("ft-1"));
/// assert_eq!(msrp.file_range(), Some("1-7"));
/// # Ok::<(), cpm_client::mime::BodyError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct MsrpMedia<'a> {
    media: Media<'a>,
}

impl<'a> MsrpMedia<'a> {
    /// The media section underneath.
    pub fn media(&self) -> Media<'a> {
        self.media
    }

    /// The port of the `m=` line (a placeholder, usually 9, for MSRP).
    pub fn port(&self) -> Option<u16> {
        self.media.port()
    }

    /// The protocol as written.
    pub fn protocol(&self) -> &'a str {
        self.media.protocol()
    }

    /// The transport the protocol names.
    pub fn transport(&self) -> MsrpTransport<'a> {
        MsrpTransport::from_protocol(self.media.protocol())
    }

    /// The connection: media-level `c=`, or else session-level.
    pub fn connection(&self) -> Option<Connection<'a>> {
        self.media.connection()
    }

    /// The MSRP URIs of `a=path` (`msrp://` or `msrps://`), in order.
    pub fn path(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.list("path")
    }

    /// The media types of `a=accept-types`.
    pub fn accept_types(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.list("accept-types")
    }

    /// The media types of `a=accept-wrapped-types`.
    pub fn accept_wrapped_types(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.list("accept-wrapped-types")
    }

    fn list(&self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        self.attribute(name)
            .unwrap_or_default()
            .split_ascii_whitespace()
    }

    /// `a=setup` (RFC 4145): media-level, or else session-level. A value that is not
    /// one of the four roles is `None`, as if the attribute were absent (RFC 4145
    /// then takes the offerer as `active`); [`setup_raw`](Self::setup_raw) has it as
    /// written.
    pub fn setup(&self) -> Option<Setup> {
        Setup::parse(self.setup_raw()?)
    }

    /// The `a=setup` value as written (trimmed): media-level, or else session-level.
    pub fn setup_raw(&self) -> Option<&'a str> {
        let value = self
            .attribute("setup")
            .or_else(|| self.media.sdp.attribute("setup"))?;
        Some(value.trim())
    }

    /// The direction: media-level, or else session-level, or else `sendrecv`.
    pub fn direction(&self) -> Direction {
        self.media.direction()
    }

    /// `a=max-size` (also taken when misspelt `a=maxsize`), when it is a number.
    pub fn max_size(&self) -> Option<u64> {
        self.attributes()
            .find(|a| {
                a.name.eq_ignore_ascii_case("max-size") || a.name.eq_ignore_ascii_case("maxsize")
            })?
            .value?
            .trim()
            .parse()
            .ok()
    }

    /// `a=file-selector` (RFC 5547), when present.
    pub fn file_selector(&self) -> Option<FileSelector<'a>> {
        Some(FileSelector::parse(self.attribute("file-selector")?))
    }

    /// `a=file-transfer-id`, trimmed.
    pub fn file_transfer_id(&self) -> Option<&'a str> {
        self.trimmed("file-transfer-id")
    }

    /// `a=file-disposition` (`render`, `attachment`), trimmed.
    pub fn file_disposition(&self) -> Option<&'a str> {
        self.trimmed("file-disposition")
    }

    /// `a=file-date` as written (`creation:"..." modification:"..."`), trimmed.
    pub fn file_date(&self) -> Option<&'a str> {
        self.trimmed("file-date")
    }

    /// `a=file-icon` (`cid:...`), trimmed.
    pub fn file_icon(&self) -> Option<&'a str> {
        self.trimmed("file-icon")
    }

    /// `a=file-range` (`start-stop`, stop may be `*`), trimmed.
    pub fn file_range(&self) -> Option<&'a str> {
        self.trimmed("file-range")
    }

    fn trimmed(&self, name: &str) -> Option<&'a str> {
        self.attribute(name).map(str::trim)
    }

    /// The media-level attributes in order.
    pub fn attributes(&self) -> impl Iterator<Item = Attribute<'a>> + 'a {
        self.media.attributes()
    }

    /// The value of the first media-level attribute `name` (ignoring ASCII case); an
    /// attribute without a value gives `""`.
    pub fn attribute(&self, name: &str) -> Option<&'a str> {
        self.media.attribute(name)
    }
}

/// The transport of MSRP media.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsrpTransport<'a> {
    /// `TCP/MSRP` (`msrp://` URIs).
    Tcp,
    /// `TCP/TLS/MSRP` (`msrps://` URIs).
    Tls,
    /// Any other protocol, as written.
    Other(&'a str),
}

impl<'a> MsrpTransport<'a> {
    /// Reads the protocol field of an `m=` line (ignoring ASCII case).
    ///
    /// ```
    /// use cpm_client::sdp::MsrpTransport;
    /// assert_eq!(MsrpTransport::from_protocol("tcp/tls/msrp"), MsrpTransport::Tls);
    /// ```
    pub fn from_protocol(protocol: &'a str) -> Self {
        if protocol.eq_ignore_ascii_case("TCP/MSRP") {
            MsrpTransport::Tcp
        } else if protocol.eq_ignore_ascii_case("TCP/TLS/MSRP") {
            MsrpTransport::Tls
        } else {
            MsrpTransport::Other(protocol)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_sections_end_at_the_next_m_line() {
        let sdp = Sdp::parse(b"v=0\na=recvonly\nm=audio 1 RTP/AVP 0\na=sendonly\nm=message 9 TCP/MSRP *\na=path:msrp://h/x;tcp\n").unwrap();
        let media: Vec<Media<'_>> = sdp.media().collect();
        assert_eq!(media.len(), 2);
        assert_eq!(media[0].direction(), Direction::SendOnly);
        assert_eq!(media[1].direction(), Direction::RecvOnly);
        assert_eq!(media[0].attribute("path"), None);
        assert_eq!(sdp.msrp().unwrap().media().offset(), media[1].offset());
    }
}
