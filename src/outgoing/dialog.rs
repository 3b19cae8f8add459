//! The dialog a client's INVITE sets up, and the requests sent inside it: the ACK for
//! the 2xx and the BYE that ends the session (RFC 3261 sections 12.1.2, 12.2.1, 13.2.2.4
//! and 15.1.1).

use std::fmt;

use bytes::Bytes;
use thiserror::Error;

use crate::ids::IdGenerator;
use crate::sip::{IncomingResponse, KnownHeader, Method, NameAddr, OutgoingRequest, StatusCode};

/// Why a response does not set up a dialog with the INVITE it is said to answer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DialogError {
    /// The request is not an INVITE: only an INVITE sets up a dialog here.
    #[error("a {0} sets up no dialog: only an INVITE does")]
    NotAnInvite(&'static str),
    /// The response is not a 2xx (a 1xx sets up only an early dialog, which the
    /// library does not keep; a 3xx-6xx sets up none).
    #[error("a {0} response sets up no dialog: only a 2xx does")]
    NotSuccess(StatusCode),
    /// The response answers another request: its Call-ID, CSeq or From tag differ
    /// from the INVITE's.
    #[error("the response answers another request: its {0} differs from the INVITE's")]
    OtherRequest(&'static str),
    /// The response's To has no tag (RFC 3261 12.1.2 needs it for the remote tag).
    #[error("the 2xx has no To tag, so the dialog has no remote tag")]
    NoRemoteTag,
    /// The response's Contact is missing or not an address (RFC 3261 12.1.2: it is
    /// the remote target of every request in the dialog).
    #[error("the 2xx has no Contact URI to send the requests of the dialog to")]
    NoRemoteTarget,
    /// A value from the response cannot be written back into a request (it holds
    /// bytes that are not UTF-8, or a Record-Route that is not an address).
    #[error("the 2xx's {0} cannot be copied into a request")]
    Unwritable(&'static str),
}

/// A dialog set up by the client's INVITE and the peer's 2xx (RFC 3261 12.1.2): what
/// every request inside it carries, and its local CSeq.
///
/// [`Dialog::ack`] builds the ACK for the 2xx (the same CSeq number as the INVITE, a
/// new branch; send it again each time the 2xx comes again, RFC 3261 13.2.2.4);
/// [`Dialog::bye`] ends the session (the next CSeq). Both follow the route set the 2xx
/// gave (its Record-Route, reversed), by loose routing when the first hop says `lr`
/// and by strict routing otherwise (RFC 3261 12.2.1.1), and carry the INVITE's
/// User-Agent.
///
/// ```
/// use bytes::Bytes;
/// use cpm_client::outgoing::*;
/// use cpm_client::sip::IncomingResponse;
///
/// let config = ClientConfig::new("sip:+15550100001@ims.example.net",
///     ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?)?;
/// let mut ids = SequentialIds::new(1);
/// let invite = Session::one_to_one("sip:+15550100002@ims.example.net")
///     .build(&config, &mut ids)?;
///
/// // The peer's 2xx, as received.
/// let ok = format!(
///     "SIP/2.0 200 OK\r\nVia: {via}\r\nRecord-Route: <sip:pcscf.ims.example.net;lr>\r\n\
///      From: {from}\r\nTo: <sip:+15550100002@ims.example.net>;tag=b0b\r\n\
///      Call-ID: {call_id}\r\nCSeq: {cseq} INVITE\r\nContact: <sip:bob@192.0.2.20:5060>\r\n\
///      Content-Length: 0\r\n\r\n",
///     via = invite.header("Via").unwrap(), from = invite.header("From").unwrap(),
///     call_id = invite.call_id(), cseq = invite.cseq(),
/// );
/// let ok = IncomingResponse::parse(Bytes::from(ok))?;
///
/// let mut dialog = Dialog::from_answer(&invite, &ok)?;
/// let ack = dialog.ack(&mut ids);
/// assert!(ack.as_bytes().starts_with(b"ACK sip:bob@192.0.2.20:5060 SIP/2.0\r\n"));
/// assert_eq!(ack.header("Route"), Some("<sip:pcscf.ims.example.net;lr>"));
/// assert_eq!(ack.header("To"), Some("<sip:+15550100002@ims.example.net>;tag=b0b"));
/// assert_eq!(ack.cseq(), invite.cseq());
///
/// let bye = dialog.bye(&mut ids);
/// assert_eq!(bye.header("CSeq"), Some(format!("{} BYE", invite.cseq() + 1).as_str()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Dialog {
    /// The Request-URI of requests in the dialog (the remote target, or the first
    /// route when it is a strict router).
    request_uri: String,
    /// The Route header values, in order.
    routes: Vec<String>,
    remote_target: String,
    /// The INVITE's Via without its branch: `SIP/2.0/TCP host:port`.
    via: String,
    from: String,
    to: String,
    call_id: String,
    local_tag: String,
    remote_tag: String,
    invite_cseq: u32,
    local_cseq: u32,
    user_agent: Option<String>,
}

impl Dialog {
    /// The dialog that `answer`, a 2xx response, sets up with `invite`, the client's
    /// INVITE.
    ///
    /// # Errors
    ///
    /// [`DialogError`]: `invite` is not an INVITE, `answer` is not a 2xx to it (same
    /// Call-ID, CSeq number and method, From tag), or it lacks a To tag or a Contact.
    pub fn from_answer(
        invite: &OutgoingRequest,
        answer: &IncomingResponse,
    ) -> Result<Dialog, DialogError> {
        if invite.method() != "INVITE" {
            return Err(DialogError::NotAnInvite(invite.method()));
        }
        if !answer.status().is_success() {
            return Err(DialogError::NotSuccess(answer.status()));
        }
        let call_id = answer.header("Call-ID").map(|h| h.value());
        if call_id != Some(invite.call_id().as_bytes()) {
            return Err(DialogError::OtherRequest("Call-ID"));
        }
        if answer.cseq() != invite.cseq() || answer.cseq_method() != Some(Method::Invite) {
            return Err(DialogError::OtherRequest("CSeq"));
        }
        let from_tag = answer
            .header("From")
            .and_then(|h| NameAddr::parse_in(KnownHeader::From, h.value()).ok())
            .and_then(|from| from.tag());
        if from_tag != Some(invite.from_tag().as_bytes()) {
            return Err(DialogError::OtherRequest("From tag"));
        }
        let to = answer.header("To").map(|h| h.value()).unwrap_or_default();
        let remote_tag = NameAddr::parse_in(KnownHeader::To, to)
            .ok()
            .and_then(|to| to.tag())
            .ok_or(DialogError::NoRemoteTag)?;
        let remote_target = answer
            .header("Contact")
            .and_then(|h| NameAddr::parse_in(KnownHeader::Contact, h.value()).ok())
            .map(|contact| contact.uri())
            .filter(|uri| !uri.is_empty())
            .ok_or(DialogError::NoRemoteTarget)?;
        let remote_target = writable("Contact", remote_target)?;
        if remote_target.contains([' ', '\t']) {
            return Err(DialogError::Unwritable("Contact"));
        }

        // The route set: the 2xx's Record-Route values, last first (RFC 3261 12.1.2).
        let mut route_set = Vec::new();
        for value in answer.header_values("Record-Route") {
            let hop = NameAddr::parse(value).ok_or(DialogError::Unwritable("Record-Route"))?;
            let loose = hop.uri().split(|&b| b == b';').skip(1).any(|p| {
                p.eq_ignore_ascii_case(b"lr") || p.len() > 3 && p[..3].eq_ignore_ascii_case(b"lr=")
            });
            route_set.push((
                writable("Record-Route", value)?,
                writable("Record-Route", hop.uri())?,
                loose,
            ));
        }
        route_set.reverse();
        // Loose routing when the first hop says `lr`; strict routing puts the first
        // hop in the Request-URI and the remote target last in Route (12.2.1.1).
        let (request_uri, routes) = match route_set.first() {
            Some((_, first_uri, false)) => {
                let mut routes: Vec<String> = route_set[1..]
                    .iter()
                    .map(|(value, _, _)| value.clone())
                    .collect();
                routes.push(format!("<{remote_target}>"));
                (first_uri.clone(), routes)
            }
            _ => (
                remote_target.clone(),
                route_set.into_iter().map(|(value, _, _)| value).collect(),
            ),
        };

        let via = invite.header("Via").unwrap_or_default();
        let via = via.split(';').next().unwrap_or_default().trim().to_owned();
        Ok(Dialog {
            request_uri,
            routes,
            remote_target,
            via,
            from: invite.header("From").unwrap_or_default().to_owned(),
            to: writable("To", to)?,
            call_id: invite.call_id().to_owned(),
            local_tag: invite.from_tag().to_owned(),
            remote_tag: writable("To tag", remote_tag)?,
            invite_cseq: invite.cseq(),
            local_cseq: invite.cseq(),
            user_agent: invite.header("User-Agent").map(str::to_owned),
        })
    }

    /// The ACK for the 2xx: the INVITE's CSeq number, a new branch (RFC 3261
    /// 13.2.2.4). Send it for every copy of the 2xx that arrives.
    pub fn ack(&self, ids: &mut impl IdGenerator) -> OutgoingRequest {
        self.request("ACK", self.invite_cseq, ids)
    }

    /// A BYE ending the session (RFC 3261 15.1.1), with the next local CSeq.
    pub fn bye(&mut self, ids: &mut impl IdGenerator) -> OutgoingRequest {
        self.local_cseq = self.local_cseq.saturating_add(1);
        self.request("BYE", self.local_cseq, ids)
    }

    /// The Call-ID.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// The local tag (the INVITE's From tag).
    pub fn local_tag(&self) -> &str {
        &self.local_tag
    }

    /// The remote tag (the 2xx's To tag).
    pub fn remote_tag(&self) -> &str {
        &self.remote_tag
    }

    /// The remote target: the URI of the 2xx's Contact.
    pub fn remote_target(&self) -> &str {
        &self.remote_target
    }

    /// The Route header values of requests in the dialog, in order.
    pub fn routes(&self) -> &[String] {
        &self.routes
    }

    fn request(
        &self,
        method: &'static str,
        cseq: u32,
        ids: &mut impl IdGenerator,
    ) -> OutgoingRequest {
        let branch = format!("z9hG4bK{}", ids.token(16));
        let mut out = String::with_capacity(512);
        let mut line = |name: &str, value: &str| {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        };
        line("Via", &format!("{};branch={branch}", self.via));
        line("Max-Forwards", "70");
        for route in &self.routes {
            line("Route", route);
        }
        line("From", &self.from);
        line("To", &self.to);
        line("Call-ID", &self.call_id);
        line("CSeq", &format!("{cseq} {method}"));
        if let Some(user_agent) = &self.user_agent {
            line("User-Agent", user_agent);
        }
        line("Content-Length", "0");
        let bytes = format!("{method} {} SIP/2.0\r\n{out}\r\n", self.request_uri);
        let end = bytes.len();
        OutgoingRequest {
            bytes: Bytes::from(bytes),
            method,
            body: end..end,
            call_id: self.call_id.clone(),
            from_tag: self.local_tag.clone(),
            branch,
            cseq,
            local_msrp_path: None,
        }
    }
}

/// `value` as text a request header can carry: UTF-8, folds turned into one space, no
/// other control character than HTAB.
fn writable(name: &'static str, value: &[u8]) -> Result<String, DialogError> {
    let value = std::str::from_utf8(value).map_err(|_| DialogError::Unwritable(name))?;
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find(['\r', '\n']) {
        out.push_str(&rest[..at]);
        rest = rest[at..].trim_start_matches(['\r', '\n', ' ', '\t']);
        out.push(' ');
    }
    out.push_str(rest);
    if out.chars().any(|c| c.is_control() && c != '\t') {
        return Err(DialogError::Unwritable(name));
    }
    Ok(out)
}

impl fmt::Debug for Dialog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dialog")
            .field("call_id", &self.call_id)
            .field("local_tag", &self.local_tag)
            .field("remote_tag", &self.remote_tag)
            .field("remote_target", &self.remote_target)
            .field("routes", &self.routes)
            .field("local_cseq", &self.local_cseq)
            .finish_non_exhaustive()
    }
}
