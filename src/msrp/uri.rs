//! MSRP URIs (RFC 4975 section 6): [`MsrpUri`], read in place and compared as section
//! 6.1 says.

use std::net::IpAddr;

/// Why text is not an MSRP URI, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("MSRP URI byte {offset}: expected {expected}")]
pub struct MsrpUriError {
    /// The 0-based offset of the fault.
    pub offset: usize,
    /// What the grammar wants there.
    pub expected: &'static str,
}

/// An MSRP URI read in place (RFC 4975 section 9):
/// `msrp[s]://[userinfo@]host[:port][/session-id];transport*(;param)`.
///
/// Equality is that of RFC 4975 section 6.1, not of the text: the scheme, the host and
/// the transport compare ignoring ASCII case (IP addresses as addresses, so
/// `[2001:db8::1]` equals `[2001:DB8:0::1]`), percent-encoded unreserved characters
/// of the authority are decoded first, the userinfo and the URI parameters after the
/// transport are not compared, the session-id compares case-sensitively, and a port
/// written in one URI must be written, equal, in the other (section 6.1 gives an
/// absent port no default for comparison; [`port_or_default`](Self::port_or_default)
/// gives the one to connect to).
///
/// ```
/// use cpm_client::msrp::MsrpUri;
///
/// let uri = MsrpUri::parse("msrp://bob@Biloxi.example.COM:12763/kjhd37s2s20w2a;tcp")?;
/// assert_eq!(uri.host(), "Biloxi.example.COM");
/// assert_eq!(uri.port(), Some(12763));
/// assert_eq!(uri.session_id(), Some("kjhd37s2s20w2a"));
/// assert_eq!(uri.transport(), "tcp");
/// assert!(!uri.is_secure());
///
/// assert_eq!(uri, MsrpUri::parse("MSRP://biloxi.example.com:12763/kjhd37s2s20w2a;TCP")?);
/// assert_ne!(uri, MsrpUri::parse("msrp://biloxi.example.com:12763/KJHD37s2s20w2a;tcp")?);
/// assert_ne!(uri, MsrpUri::parse("msrp://biloxi.example.com/kjhd37s2s20w2a;tcp")?);
/// # Ok::<(), cpm_client::msrp::MsrpUriError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct MsrpUri<'a> {
    text: &'a str,
    secure: bool,
    userinfo: Option<&'a str>,
    host: &'a str,
    port: Option<u16>,
    session_id: Option<&'a str>,
    transport: &'a str,
    parameters: &'a str,
}

/// The TCP port registered with IANA for MSRP by RFC 4975: the one to connect to when a
/// URI names none.
pub const MSRP_DEFAULT_PORT: u16 = 2855;

impl<'a> MsrpUri<'a> {
    /// Reads one MSRP URI.
    ///
    /// # Errors
    ///
    /// [`MsrpUriError`] at the first byte outside the grammar.
    pub fn parse(text: &'a str) -> Result<MsrpUri<'a>, MsrpUriError> {
        let err = |offset, expected| MsrpUriError { offset, expected };
        let (secure, rest_at) = if starts_with_ignore_case(text, "msrps://") {
            (true, 8)
        } else if starts_with_ignore_case(text, "msrp://") {
            (false, 7)
        } else {
            return Err(err(0, "msrp:// or msrps://"));
        };
        let rest = &text[rest_at..];
        // The authority runs to the session-id's `/` or the transport's `;`.
        // URIs are short: a plain loop beats setting up a vector search.
        let authority_len = rest
            .bytes()
            .position(|b| b == b'/' || b == b';')
            .ok_or(err(text.len(), "/ or ;"))?;
        let authority = &rest[..authority_len];
        let (userinfo, host_port, host_at) = match authority.bytes().rposition(|b| b == b'@') {
            Some(at) => (
                Some(&authority[..at]),
                &authority[at + 1..],
                rest_at + at + 1,
            ),
            None => (None, authority, rest_at),
        };
        if let Some(userinfo) = userinfo {
            if !userinfo.bytes().all(is_userinfo_char) {
                return Err(err(rest_at, "userinfo characters"));
            }
        }
        let (host, port_text) = if let Some(v6) = host_port.strip_prefix('[') {
            let close = v6
                .find(']')
                .ok_or(err(host_at, "] after an IPv6 address"))?;
            let host = &v6[..close];
            if host.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(err(host_at + 1, "an IPv6 address"));
            }
            let after = &v6[close + 1..];
            let port = match after.strip_prefix(':') {
                Some(port) => Some(port),
                None if after.is_empty() => None,
                None => return Err(err(host_at + close + 2, ": or the end of the authority")),
            };
            (host, port)
        } else {
            match host_port.bytes().position(|b| b == b':') {
                Some(colon) => (
                    host_port.get(..colon).unwrap_or_default(),
                    host_port.get(colon + 1..),
                ),
                None => (host_port, None),
            }
        };
        if host.is_empty() {
            return Err(err(host_at, "a host"));
        }
        if !host_port.starts_with('[') && !host.bytes().all(is_reg_name_char) {
            return Err(err(host_at, "host name characters"));
        }
        let port = match port_text {
            None => None,
            Some(port) => {
                let number = (!port.is_empty()).then_some(port).and_then(|port| {
                    port.bytes().try_fold(0u16, |n, d| {
                        if !d.is_ascii_digit() {
                            return None;
                        }
                        n.checked_mul(10)?.checked_add(u16::from(d - b'0'))
                    })
                });
                Some(number.ok_or(err(host_at + host_port.len() - port.len(), "a port"))?)
            }
        };
        let mut at = rest_at + authority_len;
        let after_authority = &text[at..];
        let (session_id, after_session) = match after_authority.strip_prefix('/') {
            Some(path) => {
                let end = path
                    .bytes()
                    .position(|b| b == b';')
                    .ok_or(err(text.len(), "; and a transport"))?;
                let session = &path[..end];
                if session.is_empty() || !session.bytes().all(is_session_char) {
                    return Err(err(at + 1, "a session-id"));
                }
                at += 1 + end;
                (Some(session), &path[end..])
            }
            None => (None, after_authority),
        };
        let params = after_session
            .strip_prefix(';')
            .ok_or(err(at, "; and a transport"))?;
        at += 1;
        let transport_len = params
            .bytes()
            .position(|b| b == b';')
            .unwrap_or(params.len());
        let transport = &params[..transport_len];
        if transport.is_empty() || !transport.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(err(at, "a transport (tcp)"));
        }
        let parameters = &params[transport_len..];
        if !parameters
            .bytes()
            .all(|b| crate::sip::grammar::is_token_char(b) || matches!(b, b';' | b'='))
        {
            return Err(err(at + transport_len, "URI parameters"));
        }
        Ok(MsrpUri {
            text,
            secure,
            userinfo,
            host,
            port,
            session_id,
            transport,
            parameters,
        })
    }

    /// The URI as written.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// Whether the scheme is `msrps` (TLS).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The userinfo before `@`, if any.
    pub fn userinfo(&self) -> Option<&'a str> {
        self.userinfo
    }

    /// The host as written, without the brackets of an IPv6 address.
    pub fn host(&self) -> &'a str {
        self.host
    }

    /// The port, when written.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The port written, or else [`MSRP_DEFAULT_PORT`]: where to connect.
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(MSRP_DEFAULT_PORT)
    }

    /// The session-id, the part after the authority's `/`; what tells the sessions
    /// that share a connection apart.
    pub fn session_id(&self) -> Option<&'a str> {
        self.session_id
    }

    /// The transport (`tcp`), as written.
    pub fn transport(&self) -> &'a str {
        self.transport
    }

    /// The URI parameters after the transport, with their leading `;` (empty when
    /// there are none).
    pub fn parameters(&self) -> &'a str {
        self.parameters
    }

    /// The URIs of a path header or `a=path` value, in order (separated by white
    /// space).
    ///
    /// # Errors
    ///
    /// The first URI that does not read.
    pub fn path(value: &'a str) -> impl Iterator<Item = Result<MsrpUri<'a>, MsrpUriError>> {
        value.split_ascii_whitespace().map(MsrpUri::parse)
    }
}

impl PartialEq for MsrpUri<'_> {
    /// RFC 4975 section 6.1 (see [`MsrpUri`]).
    fn eq(&self, other: &Self) -> bool {
        self.secure == other.secure
            && self.port == other.port
            && self.session_id == other.session_id
            && self.transport.eq_ignore_ascii_case(other.transport)
            && same_host(self.host, other.host)
    }
}

impl Eq for MsrpUri<'_> {}

/// Hosts compared as RFC 4975 section 6.1 says: as addresses when both are IP
/// addresses, else as case-insensitive text after percent-decoding.
fn same_host(a: &str, b: &str) -> bool {
    if let (Ok(x), Ok(y)) = (a.parse::<IpAddr>(), b.parse::<IpAddr>()) {
        return x == y;
    }
    let mut x = decoded(a);
    let mut y = decoded(b);
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p.eq_ignore_ascii_case(&q) => {}
            _ => return false,
        }
    }
}

/// The bytes of `text` with `%XX` escapes decoded.
fn decoded(text: &str) -> impl Iterator<Item = u8> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        let b = *bytes.get(i)?;
        let hex = |at: usize| bytes.get(at).and_then(|&d| char::from(d).to_digit(16));
        if b == b'%' {
            if let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) {
                i += 3;
                return u8::try_from(hi * 16 + lo).ok();
            }
        }
        i += 1;
        Some(b)
    })
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// RFC 3986 unreserved characters.
const UNRESERVED: u8 = 1;
/// RFC 3986 sub-delims.
const SUB_DELIM: u8 = 2;
/// `%`, `:`, `+`, `=`, `/`: each in one class below.
const PERCENT: u8 = 4;
const COLON: u8 = 8;
const SESSION_EXTRA: u8 = 16;

/// The character classes of the URI grammar, one table lookup per byte.
static CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
            table[b] |= UNRESERVED;
        }
        if matches!(
            c,
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
        ) {
            table[b] |= SUB_DELIM;
        }
        if c == b'%' {
            table[b] |= PERCENT;
        }
        if c == b':' {
            table[b] |= COLON;
        }
        if matches!(c, b'+' | b'=' | b'/') {
            table[b] |= SESSION_EXTRA;
        }
        b += 1;
    }
    table
};

fn class(b: u8) -> u8 {
    CLASS[usize::from(b)]
}

/// RFC 3986 `reg-name` (and IPv4) characters, percent-escapes included.
fn is_reg_name_char(b: u8) -> bool {
    class(b) & (UNRESERVED | SUB_DELIM | PERCENT) != 0 && b != b';'
}

fn is_userinfo_char(b: u8) -> bool {
    class(b) & (UNRESERVED | SUB_DELIM | PERCENT | COLON) != 0
}

/// RFC 4975 `session-id = 1*( unreserved / "+" / "=" / "/" )`; `%` is taken too, as
/// deployed clients escape with it.
fn is_session_char(b: u8) -> bool {
    class(b) & (UNRESERVED | SESSION_EXTRA | PERCENT) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(text: &str) -> MsrpUri<'_> {
        MsrpUri::parse(text).unwrap()
    }

    #[test]
    fn reads_the_parts() {
        let u = uri("msrps://alice@[2001:db8::1]:9/s%2Fx;tcp;foo=bar");
        assert!(u.is_secure());
        assert_eq!(u.userinfo(), Some("alice"));
        assert_eq!(u.host(), "2001:db8::1");
        assert_eq!(u.port(), Some(9));
        assert_eq!(u.session_id(), Some("s%2Fx"));
        assert_eq!(u.parameters(), ";foo=bar");
        let relay = uri("msrps://relay.example.net;tcp");
        assert_eq!(relay.session_id(), None);
        assert_eq!(relay.port_or_default(), 2855);
    }

    #[test]
    fn refuses_what_is_not_a_uri() {
        for bad in [
            "",
            "sip:a@b",
            "msrp://",
            "msrp://host/s",
            "msrp://host:99999/s;tcp",
            "msrp://host:/s;tcp",
            "msrp://ho st/s;tcp",
            "msrp://host/;tcp",
            "msrp://host/s;",
            "msrp://[::1/s;tcp",
            "msrp://[zz]/s;tcp",
            "msrp://host/s;tcp;a b",
            "msrp:///s;tcp",
        ] {
            assert!(MsrpUri::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn compares_per_section_6_1() {
        let a = uri("msrp://Host.Example:1/abc;tcp");
        assert_eq!(a, uri("MSRP://host.example:1/abc;TCP"));
        assert_eq!(a, uri("msrp://user@host.example:1/abc;tcp;x=y"));
        assert_eq!(a, uri("msrp://%48ost.example:1/abc;tcp"));
        assert_ne!(a, uri("msrps://host.example:1/abc;tcp"));
        assert_ne!(a, uri("msrp://host.example:2/abc;tcp"));
        assert_ne!(a, uri("msrp://host.example/abc;tcp"));
        assert_ne!(a, uri("msrp://host.example:1/ABC;tcp"));
        assert_ne!(a, uri("msrp://host.example:1;tcp"));
        assert_ne!(a, uri("msrp://host.example:1/abc;sctp"));
        assert_eq!(
            uri("msrp://[2001:db8::1]:9/a;tcp"),
            uri("msrp://[2001:DB8:0:0::1]:9/a;tcp")
        );
    }
}
