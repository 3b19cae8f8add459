//! The SDP answer for an MSRP offer (RFC 4975 section 8, RFC 4145, RFC 5547).

use std::io::Write as _;

/// What one answer says. Every text is one SDP line's worth (the writer turns any
/// control character into a space).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SdpAnswer<'a> {
    /// `o=` session id and version.
    pub(crate) session_id: u64,
    /// Own address for `o=` and `c=`.
    pub(crate) host: &'a str,
    /// Own MSRP port.
    pub(crate) port: u16,
    /// The offer's transport (`TCP/MSRP` or `TCP/TLS/MSRP`).
    pub(crate) proto: &'a str,
    /// Own MSRP URI.
    pub(crate) path: &'a str,
    /// `a=accept-types`.
    pub(crate) accept_types: &'a str,
    /// `a=accept-wrapped-types`, when any.
    pub(crate) accept_wrapped_types: Option<&'a str>,
    /// `a=setup`.
    pub(crate) setup: &'a str,
    /// `a=file-selector`, echoed from a file-transfer offer.
    pub(crate) file_selector: Option<&'a str>,
    /// `a=file-transfer-id`, echoed from a file-transfer offer.
    pub(crate) file_transfer_id: Option<&'a str>,
    /// `sendrecv`, `recvonly`, ...
    pub(crate) direction: &'a str,
    /// `a=max-size`.
    pub(crate) max_size: Option<u64>,
    /// The m-lines of the offer's other streams before and after the MSRP one, each
    /// refused with port 0 (RFC 3264 section 6).
    pub(crate) refused_before: &'a [String],
    pub(crate) refused_after: &'a [String],
}

impl SdpAnswer<'_> {
    /// Appends the answer, CRLF after every line.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        let ip = if self.host.contains(':') {
            "IP6"
        } else {
            "IP4"
        };
        let mut line = |parts: &[&str]| {
            for part in parts {
                super::write_text(out, part.as_bytes());
            }
            out.extend_from_slice(b"\r\n");
        };
        line(&["v=0"]);
        let id = self.session_id.to_string();
        line(&["o=- ", &id, " ", &id, " IN ", ip, " ", self.host]);
        line(&["s=-"]);
        line(&["c=IN ", ip, " ", self.host]);
        line(&["t=0 0"]);
        for refused in self.refused_before {
            line(&[refused]);
        }
        line(&["m=message ", &self.port.to_string(), " ", self.proto, " *"]);
        line(&["a=accept-types:", self.accept_types]);
        if let Some(wrapped) = self.accept_wrapped_types {
            line(&["a=accept-wrapped-types:", wrapped]);
        }
        if let Some(selector) = self.file_selector {
            line(&["a=file-selector:", selector]);
        }
        if let Some(id) = self.file_transfer_id {
            line(&["a=file-transfer-id:", id]);
        }
        line(&["a=path:", self.path]);
        line(&["a=setup:", self.setup]);
        line(&["a=", self.direction]);
        if let Some(max) = self.max_size {
            let _ = write!(out, "a=max-size:{max}\r\n");
        }
        for refused in self.refused_after {
            super::write_text(out, refused.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
}
