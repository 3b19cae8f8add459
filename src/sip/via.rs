//! One Via value read into the parts that transactions are matched by (RFC 3261
//! sections 17.1.3 and 17.2.3): the transport, the sent-by host and port, and the
//! branch.

use super::grammar::{self, ParamValue};
use crate::error::ParseErrorKind;

/// The magic cookie that starts every branch written under RFC 3261 (section 8.1.1.7);
/// a branch without it comes from an RFC 2543 element, whose transactions are matched
/// by other fields.
pub(crate) const MAGIC_COOKIE: &[u8] = b"z9hG4bK";

/// The parts of one Via value (`SIP/2.0/UDP host:port;branch=...`), as slices of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ViaValue<'a> {
    /// The transport of the sent-protocol, as written (`UDP`, `tcp`, ...).
    pub(crate) transport: &'a [u8],
    /// The sent-by host, as written (an IPv6 reference keeps its brackets).
    pub(crate) host: &'a [u8],
    /// The sent-by port, when written.
    pub(crate) port: Option<u16>,
    /// The branch parameter's value, when there is one with a value.
    pub(crate) branch: Option<&'a [u8]>,
}

impl<'a> ViaValue<'a> {
    /// Reads one Via value (one element of the list: split a line holding several at
    /// its commas first). `None` when it is not `protocol/version/transport SP
    /// host[:port] *(;param)`.
    pub(crate) fn parse(value: &'a [u8]) -> Option<ViaValue<'a>> {
        let value = grammar::trim_lws(value);
        let mut at = value;
        let mut transport = &value[..0];
        for part in 0..3 {
            if part > 0 {
                at = grammar::lws(grammar::lws(at).strip_prefix(b"/")?);
            }
            let (rest, token) = grammar::token(at).ok()?;
            transport = token;
            at = rest;
        }
        let host_at = grammar::lws(at);
        if host_at.len() == at.len() {
            return None;
        }
        let host_len = if host_at.first() == Some(&b'[') {
            memchr::memchr(b']', host_at)? + 1
        } else {
            grammar::short_host_len(host_at)
        };
        if host_len == 0 {
            return None;
        }
        let host = &host_at[..host_len];
        at = &host_at[host_len..];
        let mut port = None;
        if let Some(after) = grammar::lws(at).strip_prefix(b":") {
            let digits_at = grammar::lws(after);
            let digits = digits_at.iter().take_while(|b| b.is_ascii_digit()).count();
            port = Some(parse_port(&digits_at[..digits])?);
            at = &digits_at[digits..];
        }
        let mut branch = None;
        let rest = grammar::params(value, at, usize::MAX, ParseErrorKind::BadVia, |param| {
            if branch.is_none() && param.name.eq_ignore_ascii_case(b"branch") {
                branch = match param.value {
                    Some(ParamValue::Bare(v) | ParamValue::Quoted(v)) if !v.is_empty() => Some(v),
                    _ => None,
                };
            }
            Ok(())
        })
        .ok()?;
        if !rest.is_empty() {
            return None;
        }
        Some(ViaValue {
            transport,
            host,
            port,
            branch,
        })
    }

    /// The branch, when it starts with the RFC 3261 magic cookie (so that it alone,
    /// with sent-by and the method, names a transaction).
    pub(crate) fn rfc3261_branch(&self) -> Option<&'a [u8]> {
        self.branch.filter(|b| b.starts_with(MAGIC_COOKIE))
    }
}

/// 1 to 5 digits, at most 65535.
fn parse_port(digits: &[u8]) -> Option<u16> {
    if digits.is_empty() || digits.len() > 5 {
        return None;
    }
    let n = digits
        .iter()
        .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
    u16::try_from(n).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_a_via() {
        let via = ViaValue::parse(
            b"SIP/2.0/UDP pc33.example.com:5066;received=192.0.2.1;branch=z9hG4bK776asdhds",
        )
        .unwrap();
        assert_eq!(via.transport, b"UDP");
        assert_eq!(via.host, b"pc33.example.com");
        assert_eq!(via.port, Some(5066));
        assert_eq!(via.branch, Some(&b"z9hG4bK776asdhds"[..]));
        assert_eq!(via.rfc3261_branch(), via.branch);

        let folded =
            ViaValue::parse(b"SIP / 2.0 / tcp\r\n [2001:db8::1] : 5060 ; BRANCH = 390skdjuw")
                .unwrap();
        assert_eq!(folded.transport, b"tcp");
        assert_eq!(folded.host, b"[2001:db8::1]");
        assert_eq!(folded.port, Some(5060));
        assert_eq!(folded.branch, Some(&b"390skdjuw"[..]));
        assert_eq!(folded.rfc3261_branch(), None);

        let bare = ViaValue::parse(b"SIP/2.0/UDP h").unwrap();
        assert_eq!((bare.port, bare.branch), (None, None));
        assert_eq!(
            ViaValue::parse(b"SIP/2.0/UDP h;branch").unwrap().branch,
            None
        );
    }

    #[test]
    fn broken_vias_are_none() {
        for bad in [
            &b""[..],
            b"SIP/2.0/UDP",
            b"SIP/2.0 h",
            b"SIP/2.0/UDP h:",
            b"SIP/2.0/UDP h:65536",
            b"SIP/2.0/UDP h:123456",
            b"SIP/2.0/UDP h;;branch=x",
            b"SIP/2.0/UDP h junk",
            b"SIP/2.0/UDP [::1",
        ] {
            assert_eq!(
                ViaValue::parse(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
