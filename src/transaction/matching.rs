//! What messages are matched to transactions by: RFC 3261 section 17.1.3 for responses,
//! 17.2.3 for requests, 9.2 for a CANCEL, and 13.3.1.4 for the ACK of a 2xx.

use crate::sip::via::ViaValue;
use crate::sip::{IncomingRequest, IncomingResponse, KnownHeader, Method, NameAddr};

/// A client transaction as its responses name it (17.1.3): the branch of the top Via
/// and the method of CSeq.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct ClientMatch {
    branch: Box<[u8]>,
    method: Box<str>,
}

impl ClientMatch {
    /// The transaction of a request this client sends; `None` without a branch.
    pub(super) fn of_request(request: &IncomingRequest) -> Option<ClientMatch> {
        let via = ViaValue::parse(request.header_values("Via").next()?)?;
        Some(ClientMatch {
            branch: via.branch?.into(),
            method: request.method().as_str().into(),
        })
    }

    /// The transaction a response answers.
    pub(super) fn of_response(response: &IncomingResponse) -> Option<ClientMatch> {
        let via = ViaValue::parse(response.header_values("Via").next()?)?;
        Some(ClientMatch {
            branch: via.branch?.into(),
            method: response.cseq_method()?.as_str().into(),
        })
    }

    /// The same branch with another method (the CANCEL of an INVITE, RFC 3261 9.1).
    pub(super) fn with_method(&self, method: Method<'_>) -> ClientMatch {
        ClientMatch {
            branch: self.branch.clone(),
            method: method.as_str().into(),
        }
    }
}

/// A server transaction as the copies of its request name it (17.2.3).
///
/// With an RFC 3261 branch (magic cookie): the branch, the sent-by of the top Via
/// (host without case, port as written) and the method, an ACK taking INVITE's. With
/// an RFC 2543 one: the Request-URI, From tag, Call-ID, CSeq number and the whole top
/// Via, and the method likewise (the To tag an ACK carries is not compared: the layer
/// keeps one 2xx or non-2xx per INVITE, so it adds nothing).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct ServerMatch {
    target: Target,
    method: Box<str>,
}

/// A request without its method: what a CANCEL names the request it cancels by (9.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Target {
    id: Box<[u8]>,
    sent_by: Box<[u8]>,
}

impl ServerMatch {
    pub(super) fn of_request(request: &IncomingRequest) -> ServerMatch {
        let method = match request.method() {
            Method::Ack => Method::Invite,
            other => other,
        };
        ServerMatch {
            target: Target::of_request(request),
            method: method.as_str().into(),
        }
    }

    /// The request this one is a CANCEL for, or a copy of, without the method.
    pub(super) fn target(&self) -> &Target {
        &self.target
    }
}

impl Target {
    fn of_request(request: &IncomingRequest) -> Target {
        let top = request.header_values("Via").next().unwrap_or_default();
        let via = ViaValue::parse(top);
        if let Some((via, branch)) = via.and_then(|v| Some((v, v.rfc3261_branch()?))) {
            let mut sent_by = via.host.to_ascii_lowercase();
            if let Some(port) = via.port {
                sent_by.push(b':');
                sent_by.extend_from_slice(port.to_string().as_bytes());
            }
            return Target {
                id: branch.into(),
                sent_by: sent_by.into(),
            };
        }
        // RFC 2543: the fields that then named a transaction, NUL-separated.
        let mut id = Vec::with_capacity(128);
        id.extend_from_slice(request.request_uri());
        id.push(0);
        id.extend_from_slice(&from_tag(request).unwrap_or_default());
        id.push(0);
        if let Some(call_id) = request.first_known(KnownHeader::CallId) {
            id.extend_from_slice(call_id.value());
        }
        id.push(0);
        id.extend_from_slice(request.cseq().to_string().as_bytes());
        Target {
            id: id.into(),
            sent_by: top.into(),
        }
    }
}

/// The ACK of a 2xx as the layer finds the server INVITE it acknowledges (RFC 3261
/// 13.3.1.4; the ACK has a branch of its own): Call-ID, From tag and CSeq number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct DialogAck {
    call_id: Box<[u8]>,
    from_tag: Box<[u8]>,
    cseq: u32,
}

impl DialogAck {
    pub(super) fn of_request(request: &IncomingRequest) -> Option<DialogAck> {
        Some(DialogAck {
            call_id: request.first_known(KnownHeader::CallId)?.value().into(),
            from_tag: from_tag(request)?,
            cseq: request.cseq(),
        })
    }
}

fn from_tag(request: &IncomingRequest) -> Option<Box<[u8]>> {
    let from = request.first_known(KnownHeader::From)?;
    NameAddr::parse(from.value())?.tag().map(Box::from)
}
