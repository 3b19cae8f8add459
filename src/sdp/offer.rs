//! The SDP writer: [`MsrpSdp`], for offers and answers alike.

use super::{check_essence, Direction, FileSelector, Setup};
use crate::error::{invalid, BuildError};
use crate::sip::write::{check_host, check_token};

/// The SDP of one MSRP media stream: origin and connection, `m=message`, then the
/// attributes in the order deployed clients write them: `accept-types`,
/// `accept-wrapped-types`, `file-selector`, `file-transfer-id`, `file-disposition`,
/// `path`, `setup`, the direction, `max-size`.
///
/// ```
/// use cpm_client::sdp::{Direction, MsrpSdp};
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
    file_selector: Option<FileSelector<'static>>,
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
    pub fn file_selector(mut self, selector: FileSelector<'_>) -> MsrpSdp {
        self.file_selector = Some(selector.into_owned());
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
            return Err(BuildError::Missing {
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
        return Err(invalid(
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

    #[test]
    fn hash_is_upper_hex_pairs() {
        let s = FileSelector::new("a b.txt", "text/plain", 3)
            .with_hash(crate::sdp::FileHash::sha1(&[0xab; 20]));
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
