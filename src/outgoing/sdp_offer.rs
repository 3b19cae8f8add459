//! The SDP of an MSRP session (RFC 4566, RFC 4975, RFC 5547 for files): [`MsrpSdp`].
//! Written for the offers of the builders; an answer is the same writer with
//! [`Direction::RecvOnly`] (or `SendRecv`) and the peer's file attributes echoed.

use std::fmt;

use super::{check_host, check_token, BuildError};
use crate::sip::grammar::is_token_char;

/// The `a=setup` role (RFC 4145, as RFC 6135 uses it for MSRP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Setup {
    /// `active`: this side opens the connection.
    #[default]
    Active,
    /// `passive`: this side waits for it.
    Passive,
    /// `actpass`: either (the answerer chooses).
    ActPass,
}

impl Setup {
    /// The attribute value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Setup::Active => "active",
            Setup::Passive => "passive",
            Setup::ActPass => "actpass",
        }
    }
}

/// The media direction attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `a=sendonly`: large-message and file sending.
    SendOnly,
    /// `a=recvonly`: answers to incoming large messages, files, deferred messages.
    RecvOnly,
    /// `a=sendrecv`: sessions.
    SendRecv,
    /// `a=inactive`.
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::SendRecv => "sendrecv",
            Direction::Inactive => "inactive",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `a=file-selector` of RFC 5547: name, type, size and an optional SHA-1 hash.
///
/// ```
/// use cpm_client::outgoing::FileSelector;
///
/// let s = FileSelector::new("my \"holiday\" 100%.jpg", "image/jpeg", 48213);
/// assert_eq!(
///     s.to_attribute_value().unwrap(),
///     "name:\"my %22holiday%22 100%25.jpg\" type:image/jpeg size:48213"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSelector {
    /// The file name (any UTF-8; `"`, `%`, CR, LF and NUL are percent-encoded).
    pub name: String,
    /// The media type, `type/subtype`.
    pub media_type: String,
    /// The size in bytes.
    pub size: u64,
    /// The SHA-1 of the file, if known.
    pub sha1: Option<[u8; 20]>,
}

impl FileSelector {
    /// A selector without hash.
    pub fn new(name: &str, media_type: &str, size: u64) -> FileSelector {
        FileSelector {
            name: name.to_owned(),
            media_type: media_type.to_owned(),
            size,
            sha1: None,
        }
    }

    /// The attribute value after `a=file-selector:`.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidValue`] for an empty name or a media type that is not
    /// `type/subtype`.
    pub fn to_attribute_value(&self) -> Result<String, BuildError> {
        if self.name.is_empty() {
            return Err(super::invalid(
                "file name",
                &self.name,
                "a non-empty file name",
            ));
        }
        check_essence("file type", &self.media_type)?;
        let mut out = String::from("name:\"");
        for c in self.name.chars() {
            match c {
                '"' => out.push_str("%22"),
                '%' => out.push_str("%25"),
                '\r' => out.push_str("%0D"),
                '\n' => out.push_str("%0A"),
                '\0' => out.push_str("%00"),
                c => out.push(c),
            }
        }
        out.push_str("\" type:");
        out.push_str(&self.media_type);
        out.push_str(" size:");
        out.push_str(&self.size.to_string());
        if let Some(hash) = &self.sha1 {
            out.push_str(" hash:sha-1:");
            for (i, b) in hash.iter().enumerate() {
                if i > 0 {
                    out.push(':');
                }
                out.push_str(&format!("{b:02X}"));
            }
        }
        Ok(out)
    }
}

/// The SDP of one MSRP media stream: origin and connection, `m=message`, then the
/// attributes in the order deployed clients write them: `accept-types`,
/// `accept-wrapped-types`, `file-selector`, `file-transfer-id`, `file-disposition`,
/// `path`, `setup`, the direction, `max-size`.
///
/// ```
/// use cpm_client::outgoing::{Direction, MsrpSdp};
///
/// let answer = MsrpSdp::new("192.0.2.20", "msrp://192.0.2.20:9/x1;tcp", Direction::RecvOnly)
///     .session_id(1)
///     .accept_types(&["message/cpim"]);
/// let text = String::from_utf8(answer.write().unwrap()).unwrap();
/// assert!(text.starts_with("v=0\r\no=- 1 1 IN IP4 192.0.2.20\r\n"));
/// assert!(text.ends_with("a=path:msrp://192.0.2.20:9/x1;tcp\r\na=setup:active\r\na=recvonly\r\n"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsrpSdp {
    session_id: u64,
    session_version: u64,
    address: String,
    port: u16,
    tls: bool,
    accept_types: Vec<String>,
    accept_wrapped_types: Vec<String>,
    file_selector: Option<FileSelector>,
    file_transfer_id: Option<String>,
    file_disposition: Option<String>,
    path: String,
    setup: Setup,
    direction: Direction,
    max_size: Option<u64>,
}

impl MsrpSdp {
    /// An MSRP stream at `address` (host of `o=` and `c=`) whose own MSRP URI is
    /// `path`, port 9, TCP, `setup:active`, no types yet.
    pub fn new(address: &str, path: &str, direction: Direction) -> MsrpSdp {
        MsrpSdp {
            session_id: 0,
            session_version: 0,
            address: address.to_owned(),
            port: 9,
            tls: false,
            accept_types: Vec::new(),
            accept_wrapped_types: Vec::new(),
            file_selector: None,
            file_transfer_id: None,
            file_disposition: None,
            path: path.to_owned(),
            setup: Setup::Active,
            direction,
            max_size: None,
        }
    }

    /// The `o=` session id and version (both set to `id`).
    pub fn session_id(mut self, id: u64) -> MsrpSdp {
        self.session_id = id;
        self.session_version = id;
        self
    }

    /// The `m=` port.
    pub fn port(mut self, port: u16) -> MsrpSdp {
        self.port = port;
        self
    }

    /// `TCP/TLS/MSRP` rather than `TCP/MSRP`.
    pub fn tls(mut self, tls: bool) -> MsrpSdp {
        self.tls = tls;
        self
    }

    /// `a=accept-types`.
    pub fn accept_types(mut self, types: &[&str]) -> MsrpSdp {
        self.accept_types = types.iter().map(|t| (*t).to_owned()).collect();
        self
    }

    /// `a=accept-wrapped-types` (omitted when empty).
    pub fn accept_wrapped_types(mut self, types: &[&str]) -> MsrpSdp {
        self.accept_wrapped_types = types.iter().map(|t| (*t).to_owned()).collect();
        self
    }

    /// `a=file-selector`.
    pub fn file_selector(mut self, selector: FileSelector) -> MsrpSdp {
        self.file_selector = Some(selector);
        self
    }

    /// `a=file-transfer-id`.
    pub fn file_transfer_id(mut self, id: &str) -> MsrpSdp {
        self.file_transfer_id = Some(id.to_owned());
        self
    }

    /// `a=file-disposition` (`render`, `attachment`, ...).
    pub fn file_disposition(mut self, disposition: &str) -> MsrpSdp {
        self.file_disposition = Some(disposition.to_owned());
        self
    }

    /// `a=setup`.
    pub fn setup(mut self, setup: Setup) -> MsrpSdp {
        self.setup = setup;
        self
    }

    /// `a=max-size`.
    pub fn max_size(mut self, bytes: Option<u64>) -> MsrpSdp {
        self.max_size = bytes;
        self
    }

    /// The SDP bytes, every line ended by CRLF.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidValue`] naming the attribute whose value is not in its
    /// grammar (address, path, a media type, the file-transfer-id, the disposition).
    pub fn write(&self) -> Result<Vec<u8>, BuildError> {
        check_host("SDP address", &self.address)?;
        check_msrp_path("MSRP path", &self.path)?;
        if self.accept_types.is_empty() {
            return Err(super::BuildError::Missing {
                field: "accept-types",
                why: "RFC 4975 requires a=accept-types in an MSRP media description",
            });
        }
        for t in self.accept_types.iter().chain(&self.accept_wrapped_types) {
            check_accept_type("accept-types", t)?;
        }
        let (addr_type, address) = match self.address.strip_prefix('[') {
            Some(v6) => ("IP6", v6.strip_suffix(']').unwrap_or(v6)),
            None => ("IP4", self.address.as_str()),
        };
        let mut out = String::with_capacity(320);
        let mut line = |text: &str| {
            out.push_str(text);
            out.push_str("\r\n");
        };
        line("v=0");
        line(&format!(
            "o=- {} {} IN {addr_type} {address}",
            self.session_id, self.session_version
        ));
        line("s=-");
        line(&format!("c=IN {addr_type} {address}"));
        line("t=0 0");
        let protocol = if self.tls { "TCP/TLS/MSRP" } else { "TCP/MSRP" };
        line(&format!("m=message {} {protocol} *", self.port));
        line(&format!("a=accept-types:{}", self.accept_types.join(" ")));
        if !self.accept_wrapped_types.is_empty() {
            line(&format!(
                "a=accept-wrapped-types:{}",
                self.accept_wrapped_types.join(" ")
            ));
        }
        if let Some(selector) = &self.file_selector {
            line(&format!(
                "a=file-selector:{}",
                selector.to_attribute_value()?
            ));
        }
        if let Some(id) = &self.file_transfer_id {
            line(&format!(
                "a=file-transfer-id:{}",
                check_token("file-transfer-id", id)?
            ));
        }
        if let Some(disposition) = &self.file_disposition {
            line(&format!(
                "a=file-disposition:{}",
                check_token("file-disposition", disposition)?
            ));
        }
        line(&format!("a=path:{}", self.path));
        line(&format!("a=setup:{}", self.setup.as_str()));
        line(&format!("a={}", self.direction.as_str()));
        if let Some(max) = self.max_size {
            line(&format!("a=max-size:{max}"));
        }
        Ok(out.into_bytes())
    }
}

/// The identifiers of the local MSRP end that a builder may fix: the session part of
/// `a=path` and the `o=` session id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LocalMsrp {
    pub(crate) session: Option<String>,
    pub(crate) sdp_session_id: Option<u64>,
}

/// Hex digits of a generated MSRP session id: 20 digits carry 80 bits, the least
/// randomness RFC 4975 section 14.1 asks of the session part of an MSRP URI.
/// [`IdGenerator::token`](super::IdGenerator::token) takes them from two 64-bit draws.
pub(crate) const MSRP_SESSION_DIGITS: usize = 20;
const _: () = assert!(MSRP_SESSION_DIGITS * 4 >= 80, "RFC 4975 section 14.1");

/// Setters for [`LocalMsrp`] (field `msrp`), shared by the INVITE builders.
macro_rules! msrp_setters {
    () => {
        /// The session part of the local MSRP path (`msrp://host:port/<session>;tcp`)
        /// instead of a generated one (an RFC 4975 ident or token). A generated one is
        /// 20 hex digits (80 bits, RFC 4975 section 14.1) from the [`IdGenerator`]; one
        /// set here should be as hard to guess.
        pub fn msrp_session(mut self, session: &str) -> Self {
            self.msrp.session = Some(session.to_owned());
            self
        }

        /// The SDP `o=` session id and version instead of a generated one.
        pub fn sdp_session_id(mut self, id: u64) -> Self {
            self.msrp.sdp_session_id = Some(id);
            self
        }
    };
}
pub(crate) use msrp_setters;

impl LocalMsrp {
    /// The local path and an SDP for it with the configured endpoint.
    pub(crate) fn offer(
        &self,
        config: &super::ClientConfig,
        ids: &mut dyn super::IdGenerator,
        direction: Direction,
    ) -> Result<(String, MsrpSdp), BuildError> {
        let session = match &self.session {
            Some(s) => check_token("MSRP session", s)?.to_owned(),
            None => ids.token(MSRP_SESSION_DIGITS),
        };
        let endpoint = config.msrp();
        let scheme = if endpoint.tls() { "msrps" } else { "msrp" };
        let path = format!(
            "{scheme}://{}:{}/{session};tcp",
            config.msrp_host(),
            endpoint.port()
        );
        let sdp_id = match self.sdp_session_id {
            Some(id) => id,
            None => ids.next_u64() >> 33,
        };
        let sdp = MsrpSdp::new(config.msrp_host(), &path, direction)
            .session_id(sdp_id)
            .port(endpoint.port())
            .tls(endpoint.tls())
            .setup(endpoint.setup());
        Ok((path, sdp))
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
        _ => Err(super::invalid(field, value, "a media type type/subtype")),
    }
}

/// An accept-types entry: `*`, `type/*` or `type/subtype`.
fn check_accept_type(field: &'static str, value: &str) -> Result<(), BuildError> {
    if value == "*" {
        return Ok(());
    }
    check_essence(field, value).map(|_| ())
}

/// One or more `msrp://` / `msrps://` URIs separated by single spaces, made of URI
/// bytes only.
pub(crate) fn check_msrp_path<'v>(
    field: &'static str,
    value: &'v str,
) -> Result<&'v str, BuildError> {
    let uri_ok = |uri: &str| {
        let rest = uri
            .strip_prefix("msrp://")
            .or_else(|| uri.strip_prefix("msrps://"));
        match rest {
            Some(rest) => {
                !rest.is_empty()
                    && rest.contains('/')
                    && rest.bytes().all(|b| {
                        b.is_ascii_alphanumeric()
                            || matches!(
                                b,
                                b'-' | b'_'
                                    | b'.'
                                    | b'~'
                                    | b'%'
                                    | b';'
                                    | b'/'
                                    | b':'
                                    | b'@'
                                    | b'='
                                    | b'+'
                                    | b'['
                                    | b']'
                                    | b'!'
                                    | b'$'
                                    | b'&'
                                    | b'\''
                                    | b'('
                                    | b')'
                                    | b'*'
                                    | b','
                            )
                    })
            }
            None => false,
        }
    };
    if value.is_empty() || value.len() > 1024 || !value.split(' ').all(uri_ok) {
        return Err(super::invalid(
            field,
            value,
            "msrp:// or msrps:// URIs separated by spaces",
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts its draws; each draw is all ones, so a digit not taken from a draw
    /// would show as `0`.
    struct Draws(usize);

    impl crate::outgoing::IdGenerator for Draws {
        fn next_u64(&mut self) -> u64 {
            self.0 += 1;
            u64::MAX
        }
    }

    #[test]
    fn generated_msrp_sessions_carry_80_random_bits() {
        let config = crate::outgoing::ClientConfig::new(
            "sip:a@example.net",
            crate::outgoing::ContactAddress::new(
                "192.0.2.1",
                5060,
                crate::outgoing::Transport::Tcp,
            )
            .unwrap(),
        )
        .unwrap();
        let mut draws = Draws(0);
        let local = LocalMsrp {
            session: None,
            sdp_session_id: Some(1),
        };
        let (path, _) = local
            .offer(&config, &mut draws, Direction::SendRecv)
            .unwrap();
        assert_eq!(draws.0, 2, "two 64-bit draws for 80 bits");
        let session = path
            .rsplit('/')
            .next()
            .unwrap()
            .strip_suffix(";tcp")
            .unwrap();
        assert_eq!(session, "f".repeat(MSRP_SESSION_DIGITS));
    }

    #[test]
    fn hash_is_upper_hex_pairs() {
        let mut s = FileSelector::new("a b.txt", "text/plain", 3);
        s.sha1 = Some([0xab; 20]);
        let v = s.to_attribute_value().unwrap();
        assert!(v.starts_with("name:\"a b.txt\" type:text/plain size:3 hash:sha-1:AB:AB:"));
        assert_eq!(v.matches("AB").count(), 20);
    }

    #[test]
    fn names_cannot_break_the_line() {
        let s = FileSelector::new("x\r\na=evil\0\"", "text/plain", 1);
        let v = s.to_attribute_value().unwrap();
        assert_eq!(v, "name:\"x%0D%0Aa=evil%00%22\" type:text/plain size:1");
    }

    #[test]
    fn ipv6_addresses_are_ip6() {
        let sdp = MsrpSdp::new(
            "[2001:db8::1]",
            "msrp://[2001:db8::1]:9/a;tcp",
            Direction::SendRecv,
        )
        .accept_types(&["message/cpim"]);
        let text = String::from_utf8(sdp.write().unwrap()).unwrap();
        assert!(text.contains("c=IN IP6 2001:db8::1\r\n"));
    }

    #[test]
    fn bad_values_are_refused() {
        let base = || MsrpSdp::new("192.0.2.1", "msrp://192.0.2.1:9/a;tcp", Direction::SendOnly);
        assert!(base().write().is_err(), "no accept-types");
        assert!(base().accept_types(&["text/plain\r\na=x"]).write().is_err());
        assert!(base()
            .accept_types(&["*"])
            .file_transfer_id("a b")
            .write()
            .is_err());
        assert!(MsrpSdp::new("192.0.2.1", "http://x/y", Direction::SendOnly)
            .accept_types(&["*"])
            .write()
            .is_err());
    }
}
