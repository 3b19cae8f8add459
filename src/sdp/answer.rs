//! The SDP answer for an MSRP offer (RFC 3264, RFC 4975 section 8, RFC 4145,
//! RFC 5547): what the dispatcher sends when a handler accepts an INVITE.

use std::io::Write as _;

use super::{Direction, MsrpMedia, Sdp, Setup};
use crate::sip::write::write_text;

/// What an answer takes from the offered MSRP stream. Setup and direction fall back
/// to the session level (RFC 4566 section 6), as the reader's accessors do.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Offered<'a> {
    pub(crate) setup: Option<Setup>,
    pub(crate) direction: Direction,
    pub(crate) accept_types: Option<&'a str>,
    pub(crate) accept_wrapped_types: Option<&'a str>,
    pub(crate) file_selector: Option<&'a str>,
    pub(crate) file_transfer_id: Option<&'a str>,
}

impl<'a> Offered<'a> {
    /// Reads the offer in one pass over the stream's attributes, and over the
    /// session-level ones only when setup or direction is not at media level.
    pub(crate) fn read(offer: &Sdp<'a>, media: &MsrpMedia<'a>) -> Self {
        let mut offered = Offered {
            setup: None,
            direction: Direction::SendRecv,
            accept_types: None,
            accept_wrapped_types: None,
            file_selector: None,
            file_transfer_id: None,
        };
        let (mut setup, mut direction) = (None, None);
        for attribute in media.attributes() {
            let value = attribute.value.map(str::trim).filter(|v| !v.is_empty());
            let is = |name: &str| attribute.name.eq_ignore_ascii_case(name);
            let slot = if is("setup") {
                setup = setup.or(attribute.value.map(str::trim));
                continue;
            } else if is("accept-types") {
                &mut offered.accept_types
            } else if is("accept-wrapped-types") {
                &mut offered.accept_wrapped_types
            } else if is("file-selector") {
                &mut offered.file_selector
            } else if is("file-transfer-id") {
                &mut offered.file_transfer_id
            } else {
                direction = direction.or(Direction::from_name(attribute.name));
                continue;
            };
            *slot = slot.or(value);
        }
        if setup.is_none() || direction.is_none() {
            for attribute in offer.attributes() {
                if attribute.name.eq_ignore_ascii_case("setup") {
                    setup = setup.or(attribute.value.map(str::trim));
                } else {
                    direction = direction.or(Direction::from_name(attribute.name));
                }
            }
        }
        // As the reader's accessors read them: a value outside the four roles is no
        // role at all.
        offered.setup = setup.and_then(Setup::parse);
        offered.direction = direction.unwrap_or_default();
        offered
    }
}

/// The `a=setup` of an answer (RFC 4145 section 4.1): one of
/// [`Setup::answers_to`] the offer; where that leaves a choice (`actpass`), the
/// handler's, else the client's configured role. A handler's choice the offer does not
/// allow is refused.
pub(crate) fn answer_setup(
    offered: Option<Setup>,
    handler: Option<Setup>,
    configured: Option<Setup>,
) -> Result<Setup, &'static str> {
    let allowed = Setup::answers_to(offered);
    match handler {
        Some(choice) if allowed.contains(&choice) => Ok(choice),
        Some(_) => Err("the handler's a=setup is not an answer to the offer's"),
        None if allowed.len() == 1 => Ok(allowed[0]),
        None => Ok(match configured {
            Some(Setup::Passive) => Setup::Passive,
            _ => Setup::Active,
        }),
    }
}

/// The m-lines of the offer's streams other than the MSRP one at `msrp_at`, each
/// refused with port 0 (RFC 3264 section 6), split into those before and after it.
pub(crate) fn refused_streams(offer: &Sdp<'_>, msrp_at: usize) -> (Vec<String>, Vec<String>) {
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for other in offer.media().filter(|m| m.offset() != msrp_at) {
        let formats: Vec<&str> = other.formats().collect();
        let line = format!(
            "m={} 0 {} {}",
            other.media_type(),
            other.protocol(),
            formats.join(" ")
        );
        if other.offset() < msrp_at {
            before.push(line);
        } else {
            after.push(line);
        }
    }
    (before, after)
}

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
    pub(crate) setup: Setup,
    /// `a=file-selector`, echoed from a file-transfer offer.
    pub(crate) file_selector: Option<&'a str>,
    /// `a=file-transfer-id`, echoed from a file-transfer offer.
    pub(crate) file_transfer_id: Option<&'a str>,
    /// `sendrecv`, `recvonly`, ...
    pub(crate) direction: Direction,
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
                write_text(out, part.as_bytes());
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
        line(&["a=setup:", self.setup.as_str()]);
        line(&["a=", self.direction.as_str()]);
        if let Some(max) = self.max_size {
            let _ = write!(out, "a=max-size:{max}\r\n");
        }
        for refused in self.refused_after {
            write_text(out, refused.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
}
