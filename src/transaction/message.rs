//! The messages the layer writes itself: the ACK for a non-2xx final response (RFC 3261
//! 17.1.1.3), the CANCEL of a client INVITE (9.1), and its own responses (100 Trying,
//! 200 to a CANCEL, 487, 481: 8.2.6 and 9.2).

use std::io::Write as _;

use bytes::Bytes;

use crate::sip::write::write_text;
use crate::sip::{
    Echo, IncomingRequest, IncomingResponse, KnownHeader, NameAddr, ResponseWriter, Source,
    StatusCode,
};

/// The ACK for `response`, a non-2xx final response to `invite` (RFC 3261 17.1.1.3):
/// the INVITE's Request-URI, its top Via only, its Route headers, From, Call-ID and
/// CSeq number (method ACK), and the response's To, which carries the peer's tag.
pub(super) fn ack_for(invite: &IncomingRequest, response: &IncomingResponse) -> Bytes {
    let to = response
        .header("To")
        .or_else(|| invite.first_known(KnownHeader::To))
        .map(|h| h.value())
        .unwrap_or_default();
    request_like("ACK", invite, to)
}

/// The CANCEL of `invite` (RFC 3261 9.1): the INVITE's Request-URI, top Via, Route
/// headers, From, To, Call-ID and CSeq number, with method CANCEL.
pub(super) fn cancel_for(invite: &IncomingRequest) -> Bytes {
    let to = invite
        .first_known(KnownHeader::To)
        .map(|h| h.value())
        .unwrap_or_default();
    request_like("CANCEL", invite, to)
}

/// A request without a body that copies `invite`'s routing and identity, with `to` as
/// its To value.
fn request_like(method: &str, invite: &IncomingRequest, to: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(invite.head_len() + 64);
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    write_text(&mut out, invite.request_uri());
    out.extend_from_slice(b" SIP/2.0\r\n");
    if let Some(via) = invite.header_values("Via").next() {
        line(&mut out, "Via", via);
    }
    line(&mut out, "Max-Forwards", b"70");
    for route in invite.header_values("Route") {
        line(&mut out, "Route", route);
    }
    if let Some(from) = invite.first_known(KnownHeader::From) {
        line(&mut out, "From", from.value());
    }
    line(&mut out, "To", to);
    if let Some(call_id) = invite.first_known(KnownHeader::CallId) {
        line(&mut out, "Call-ID", call_id.value());
    }
    let _ = write!(out, "CSeq: {} {method}\r\n", invite.cseq());
    out.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    Bytes::from(out)
}

/// One header line; the value copied from a message that was read, each fold (and any
/// other run of control characters) written as one space.
fn line(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    write_text(out, value);
    out.extend_from_slice(b"\r\n");
}

/// A response of the layer's own to `request` (RFC 3261 8.2.6): its Vias, From, To
/// (with `to_tag` added when it has none), Call-ID and CSeq, `Server` when configured,
/// no body.
pub(super) fn response_to(
    request: &IncomingRequest,
    status: StatusCode,
    to_tag: Option<&[u8]>,
    server: Option<&str>,
) -> Bytes {
    let echo = Echo {
        to_tag,
        ..Echo::default()
    };
    let mut writer = ResponseWriter::start(
        status,
        status.canonical_reason(),
        Source::Request(request),
        echo,
    );
    if let Some(server) = server {
        writer.server(server);
    }
    writer.finish(None).into_bytes()
}

/// The tag of a response's To header.
pub(super) fn to_tag(response: &IncomingResponse) -> Option<Box<[u8]>> {
    let to = response.header("To")?;
    NameAddr::parse(to.value())?.tag().map(Box::from)
}

/// The tag of a request's To header (an in-dialog request has one).
pub(super) fn request_to_tag(request: &IncomingRequest) -> Option<Box<[u8]>> {
    let to = request.first_known(KnownHeader::To)?;
    NameAddr::parse(to.value())?.tag().map(Box::from)
}
