//! The dialog of a session in either role: set up by the client's INVITE and the
//! peer's 2xx (the caller, RFC 3261 12.1.2), or by the peer's INVITE and the 2xx the
//! client sent (the callee, RFC 3261 12.1.1); and the requests sent inside it: ACK,
//! BYE, re-INVITE and UPDATE (RFC 3261 12.2.1, 13.2.2.4, 14, 15.1.1; RFC 3311), along
//! the route set, with target refresh (RFC 3261 12.2).

use std::fmt;

use bytes::Bytes;
use thiserror::Error;

use super::{BuildError, ClientConfig};
use crate::ids::IdGenerator;
use crate::sip::{
    IncomingRequest, IncomingResponse, KnownHeader, Method, NameAddr, OutgoingRequest, Response,
    StatusCode,
};

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
    /// The 2xx the client sent has no To tag: it names no dialog (the
    /// [`Dispatcher`](crate::Dispatcher) always adds one).
    #[error("the 2xx sent has no To tag, so the dialog has no local tag")]
    NoLocalTag,
    /// A request or response given for a target refresh belongs to another dialog:
    /// its Call-ID or a tag differs.
    #[error("the message belongs to another dialog: its {0} differs")]
    OtherDialog(&'static str),
}

/// Which side of the dialog the client is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DialogRole {
    /// The client sent the INVITE ([`Dialog::from_answer`]).
    Caller,
    /// The client accepted the peer's INVITE ([`Dialog::from_accepted`]).
    Callee,
}

/// A dialog (RFC 3261 section 12) in either role: what every request inside it
/// carries, its route set, its remote target, and its local CSeq.
///
/// - The caller's, [`Dialog::from_answer`]: from the client's INVITE and the peer's 2xx.
///   The route set is the 2xx's Record-Route, reversed; the remote target the 2xx's
///   Contact (RFC 3261 12.1.2).
/// - The callee's, [`Dialog::from_accepted`]: from the peer's INVITE and the 2xx the
///   client sent (the [`Dispatcher`](crate::Dispatcher)'s response, or
///   [`PendingResponse::accept`](crate::PendingResponse::accept)'s). The route set is
///   the INVITE's Record-Route, in order; the remote target the INVITE's Contact; the
///   local tag the 2xx's To tag (RFC 3261 12.1.1).
///
/// Requests: [`Dialog::ack`] for the 2xx of the client's last INVITE (the same CSeq
/// number, a new branch; send it again each time the 2xx comes again, RFC 3261
/// 13.2.2.4); [`Dialog::bye`] ending the session, [`Dialog::reinvite`] and
/// [`Dialog::update`] (RFC 3311), each with the next local CSeq. All follow the route
/// set, by loose routing when its first hop says `lr` and by strict routing otherwise
/// (RFC 3261 12.2.1.1), carry a Via with `rport` (RFC 3581), and go to
/// [`Dialog::next_hop`]. A re-INVITE or UPDATE, sent or received, may move the
/// peer's target: [`Dialog::refresh_target_from_request`] and
/// [`Dialog::refresh_target_from_response`] follow it (RFC 3261 12.2.1.2, 12.2.2).
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
/// assert_eq!(dialog.role(), DialogRole::Caller);
/// let ack = dialog.ack(&mut ids);
/// assert!(ack.as_bytes().starts_with(b"ACK sip:bob@192.0.2.20:5060 SIP/2.0\r\n"));
/// assert_eq!(ack.header("Route"), Some("<sip:pcscf.ims.example.net;lr>"));
/// assert_eq!(ack.header("To"), Some("<sip:+15550100002@ims.example.net>;tag=b0b"));
/// assert_eq!(ack.cseq(), invite.cseq());
/// assert_eq!(dialog.next_hop(), "sip:pcscf.ims.example.net;lr");
///
/// let bye = dialog.bye(&mut ids);
/// assert_eq!(bye.header("CSeq"), Some(format!("{} BYE", invite.cseq() + 1).as_str()));
/// assert_eq!(bye.next_hop(), "sip:pcscf.ims.example.net;lr");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Dialog {
    role: DialogRole,
    /// The route set, in the order requests take it.
    route_set: Vec<Hop>,
    remote_target: String,
    /// This side's Via without its parameters: `SIP/2.0/TCP host:port`.
    via: String,
    from: String,
    to: String,
    call_id: String,
    local_tag: String,
    remote_tag: String,
    /// The CSeq of the last INVITE this side sent in the dialog.
    invite_cseq: Option<u32>,
    local_cseq: u32,
    user_agent: Option<String>,
    /// This side's Contact, for the target refresh requests it sends.
    contact: Option<String>,
}

/// One element of a route set: the header value, its URI, and whether it is a loose
/// router.
#[derive(Clone, PartialEq, Eq)]
struct Hop {
    value: String,
    uri: String,
    loose: bool,
}

impl Dialog {
    /// The dialog that `answer`, a 2xx response, sets up with `invite`, the client's
    /// INVITE: the caller's side.
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
        let remote_target = contact_uri(answer.header("Contact").map(|h| h.value()))?;

        // The route set: the 2xx's Record-Route values, last first (RFC 3261 12.1.2).
        let mut route_set = route_set(answer.header_values("Record-Route"))?;
        route_set.reverse();

        let via = invite.header("Via").unwrap_or_default();
        let via = via.split(';').next().unwrap_or_default().trim().to_owned();
        Ok(Dialog {
            role: DialogRole::Caller,
            route_set,
            remote_target,
            via,
            from: invite.header("From").unwrap_or_default().to_owned(),
            to: writable("To", to)?,
            call_id: invite.call_id().to_owned(),
            local_tag: invite.from_tag().to_owned(),
            remote_tag: writable("To tag", remote_tag)?,
            invite_cseq: Some(invite.cseq()),
            local_cseq: invite.cseq(),
            user_agent: invite.header("User-Agent").map(str::to_owned),
            contact: invite.header("Contact").map(str::to_owned),
        })
    }

    /// The dialog that `answer`, the 2xx the client sent, sets up with `invite`, the
    /// peer's INVITE: the callee's side. `config` gives this side's Via address and
    /// User-Agent.
    ///
    /// The local CSeq starts empty (RFC 3261 12.1.1): the first request the callee
    /// sends takes CSeq 1.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use cpm_client::outgoing::*;
    /// use cpm_client::{Decision, Dispatcher, SessionHandler, SessionInvitation};
    ///
    /// struct Yes;
    /// impl SessionHandler for Yes {
    ///     fn session_invitation(&self, _: &SessionInvitation<'_>) -> Decision { Decision::accept() }
    /// }
    /// let bob = ClientConfig::new("sip:+15550100002@ims.example.net",
    ///     ContactAddress::new("192.0.2.20", 5060, Transport::Tcp)?)?
    ///     .with_msrp(MsrpEndpoint::new().with_port(2855));
    /// let dispatcher = Dispatcher::builder().client(bob.clone()).session(Yes).build();
    ///
    /// let alice = ClientConfig::new("sip:+15550100001@ims.example.net",
    ///     ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?)?;
    /// let invite = Session::one_to_one("sip:+15550100002@ims.example.net")
    ///     .build(&alice, &mut SequentialIds::new(1))?;
    /// let outcome = dispatcher.dispatch(invite.bytes());
    ///
    /// let mut dialog = Dialog::from_accepted(
    ///     &bob, outcome.request().unwrap(), outcome.response().unwrap())?;
    /// assert_eq!(dialog.role(), DialogRole::Callee);
    /// assert_eq!(dialog.remote_tag(), invite.from_tag());
    /// assert_eq!(dialog.next_hop(), "sip:+15550100001@192.0.2.10:5060;transport=tcp");
    /// let bye = dialog.bye(&mut SequentialIds::new(9));
    /// assert_eq!(bye.header("CSeq"), Some("1 BYE"));
    /// assert_eq!(bye.header("To"), invite.header("From"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`DialogError`]: `invite` is not an INVITE or has no Contact, `answer` is not a
    /// 2xx to it (same Call-ID, CSeq) or has no To tag.
    pub fn from_accepted(
        config: &ClientConfig,
        invite: &IncomingRequest,
        answer: &Response,
    ) -> Result<Dialog, DialogError> {
        if invite.method() != Method::Invite {
            return Err(DialogError::NotAnInvite(static_method(invite.method())));
        }
        if !answer.status().is_success() {
            return Err(DialogError::NotSuccess(answer.status()));
        }
        let ok = answer
            .read()
            .map_err(|_| DialogError::Unwritable("response"))?;
        let call_id = invite.header("Call-ID").map(|h| h.value());
        if call_id.is_none() || ok.header("Call-ID").map(|h| h.value()) != call_id {
            return Err(DialogError::OtherRequest("Call-ID"));
        }
        if ok.cseq() != invite.cseq() || ok.cseq_method() != Some(Method::Invite) {
            return Err(DialogError::OtherRequest("CSeq"));
        }
        let call_id = writable("Call-ID", call_id.unwrap_or_default())?;
        let to = ok.header("To").map(|h| h.value()).unwrap_or_default();
        let local_tag = NameAddr::parse(to)
            .and_then(|to| to.tag())
            .ok_or(DialogError::NoLocalTag)?;
        let from = invite.header("From").map(|h| h.value()).unwrap_or_default();
        let remote_tag = NameAddr::parse(from)
            .and_then(|from| from.tag())
            .unwrap_or_default();
        let remote_target = contact_uri(invite.header("Contact").map(|h| h.value()))?;
        // The route set: the INVITE's Record-Route values, in order (RFC 3261 12.1.1).
        let route_set = route_set(invite.header_values("Record-Route"))?;
        let contact = match ok.header("Contact") {
            Some(contact) => writable("Contact", contact.value())?,
            None => config.contact_uri(),
        };
        let address = config.contact();
        Ok(Dialog {
            role: DialogRole::Callee,
            route_set,
            remote_target,
            via: format!(
                "SIP/2.0/{} {}:{}",
                address.transport().via_name(),
                address.host(),
                address.port()
            ),
            from: writable("To", to)?,
            to: writable("From", from)?,
            call_id,
            local_tag: writable("To tag", local_tag)?,
            remote_tag: writable("From tag", remote_tag)?,
            invite_cseq: None,
            local_cseq: 0,
            user_agent: Some(config.user_agent()),
            contact: Some(contact),
        })
    }

    /// The ACK for the 2xx to this side's last INVITE in the dialog (the caller's
    /// INVITE, or a later re-INVITE): its CSeq number, a new branch (RFC 3261
    /// 13.2.2.4). Send it for every copy of the 2xx that arrives.
    ///
    /// A callee that has sent no re-INVITE has no 2xx to acknowledge
    /// ([`Dialog::last_invite_cseq`] is `None`); the ACK is then written with the
    /// local CSeq (at least 1), which the peer drops as matching no INVITE.
    pub fn ack(&self, ids: &mut impl IdGenerator) -> OutgoingRequest {
        let cseq = self.invite_cseq.unwrap_or(self.local_cseq.max(1));
        self.request("ACK", cseq, None, ids)
    }

    /// A BYE ending the session (RFC 3261 15.1.1), with the next local CSeq.
    pub fn bye(&mut self, ids: &mut impl IdGenerator) -> OutgoingRequest {
        let cseq = self.next_cseq();
        self.request("BYE", cseq, None, ids)
    }

    /// A re-INVITE (RFC 3261 14.1) with the next local CSeq, this side's Contact and
    /// `body` (`(content type, bytes)`, usually the new SDP offer). [`Dialog::ack`]
    /// then acknowledges its 2xx.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidValue`] when the content type is not a media type.
    pub fn reinvite(
        &mut self,
        ids: &mut impl IdGenerator,
        body: Option<(&str, &[u8])>,
    ) -> Result<OutgoingRequest, BuildError> {
        check_body(body)?;
        let cseq = self.next_cseq();
        self.invite_cseq = Some(cseq);
        Ok(self.request("INVITE", cseq, body, ids))
    }

    /// An UPDATE (RFC 3311) with the next local CSeq, this side's Contact and `body`
    /// (a new SDP offer, or none for a target refresh only).
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidValue`] when the content type is not a media type.
    pub fn update(
        &mut self,
        ids: &mut impl IdGenerator,
        body: Option<(&str, &[u8])>,
    ) -> Result<OutgoingRequest, BuildError> {
        check_body(body)?;
        let cseq = self.next_cseq();
        Ok(self.request("UPDATE", cseq, body, ids))
    }

    /// Follows a target refresh the peer sent: a re-INVITE or UPDATE of this dialog
    /// that the client accepted makes its Contact the remote target (RFC 3261 12.2.2).
    /// Returns whether the target changed (`false` for another method, or no
    /// Contact).
    ///
    /// # Errors
    ///
    /// [`DialogError::OtherDialog`] when the request's Call-ID, To tag or From tag is
    /// not this dialog's; [`DialogError::Unwritable`] when its Contact cannot be
    /// written in a request.
    pub fn refresh_target_from_request(
        &mut self,
        request: &IncomingRequest,
    ) -> Result<bool, DialogError> {
        self.check_same_dialog(|name| request.header(name).map(|h| h.value()), "To", "From")?;
        if !matches!(request.method(), Method::Invite | Method::Update) {
            return Ok(false);
        }
        self.retarget(request.header("Contact").map(|h| h.value()))
    }

    /// Whether a message of this dialog is one: its Call-ID, then the tag of
    /// `local` (this side's, To in a request we receive, From in a response to us),
    /// then that of `remote`, each compared with this dialog's.
    fn check_same_dialog<'m>(
        &self,
        header: impl Fn(&str) -> Option<&'m [u8]>,
        local: &'static str,
        remote: &'static str,
    ) -> Result<(), DialogError> {
        let tag = |name| {
            header(name)
                .and_then(NameAddr::parse)
                .and_then(|a| a.tag())
                .unwrap_or_default()
        };
        if header("Call-ID") != Some(self.call_id.as_bytes()) {
            return Err(DialogError::OtherDialog("Call-ID"));
        }
        let tag_name = |name| if name == "To" { "To tag" } else { "From tag" };
        if tag(local) != self.local_tag.as_bytes() {
            return Err(DialogError::OtherDialog(tag_name(local)));
        }
        if tag(remote) != self.remote_tag.as_bytes() {
            return Err(DialogError::OtherDialog(tag_name(remote)));
        }
        Ok(())
    }

    /// Follows a target refresh in a 2xx to this side's re-INVITE or UPDATE: its
    /// Contact becomes the remote target (RFC 3261 12.2.1.2). Returns whether the
    /// target changed (`false` for a response that is not a 2xx to a re-INVITE or
    /// UPDATE, or has no Contact).
    ///
    /// # Errors
    ///
    /// [`DialogError::OtherDialog`] when the response's Call-ID, From tag or To tag is
    /// not this dialog's; [`DialogError::Unwritable`] when its Contact cannot be
    /// written in a request.
    pub fn refresh_target_from_response(
        &mut self,
        response: &IncomingResponse,
    ) -> Result<bool, DialogError> {
        self.check_same_dialog(
            |name| response.header(name).map(|h| h.value()),
            "From",
            "To",
        )?;
        let refresh = matches!(
            response.cseq_method(),
            Some(Method::Invite | Method::Update)
        );
        if !response.status().is_success() || !refresh {
            return Ok(false);
        }
        self.retarget(response.header("Contact").map(|h| h.value()))
    }

    /// Which side the client is on.
    pub fn role(&self) -> DialogRole {
        self.role
    }

    /// The Call-ID.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// The local tag: the INVITE's From tag for the caller, the 2xx's To tag for the
    /// callee.
    pub fn local_tag(&self) -> &str {
        &self.local_tag
    }

    /// The remote tag: the 2xx's To tag for the caller, the INVITE's From tag for the
    /// callee (empty if the peer sent none, as RFC 2543 peers do).
    pub fn remote_tag(&self) -> &str {
        &self.remote_tag
    }

    /// The remote target: the URI of the peer's Contact (from the 2xx for the caller,
    /// the INVITE for the callee, or the last target refresh).
    pub fn remote_target(&self) -> &str {
        &self.remote_target
    }

    /// The Route header values of requests in the dialog, in order: the route set
    /// under loose routing; under strict routing, the route set without its first
    /// element (which the Request-URI names) and the remote target last (RFC 3261
    /// 12.2.1.1).
    pub fn routes(&self) -> Vec<String> {
        self.request_uri_and_routes().1
    }

    /// The URI requests in the dialog are sent to first (RFC 3261 8.1.2, 12.2.1.1):
    /// the first element of the route set when there is one (a loose router as the
    /// first Route, a strict router as the Request-URI), else the remote target. The
    /// transport resolves it (RFC 3263).
    pub fn next_hop(&self) -> &str {
        match self.route_set.first() {
            Some(hop) => &hop.uri,
            None => &self.remote_target,
        }
    }

    /// The CSeq of the last INVITE this side sent in the dialog (`None` for a callee
    /// that has sent no re-INVITE).
    pub fn last_invite_cseq(&self) -> Option<u32> {
        self.invite_cseq
    }

    /// The local CSeq: that of the last request sent other than ACK (0 for a callee
    /// that has sent none).
    pub fn local_cseq(&self) -> u32 {
        self.local_cseq
    }

    fn next_cseq(&mut self) -> u32 {
        self.local_cseq = self.local_cseq.saturating_add(1);
        self.local_cseq
    }

    /// Makes the Contact value `contact` the remote target; whether it changed.
    fn retarget(&mut self, contact: Option<&[u8]>) -> Result<bool, DialogError> {
        if contact.is_none() {
            return Ok(false);
        }
        let target = contact_uri(contact)?;
        let changed = target != self.remote_target;
        self.remote_target = target;
        Ok(changed)
    }

    /// The Request-URI and the Route values (RFC 3261 12.2.1.1): loose routing when
    /// the first hop says `lr`; strict routing puts the first hop in the Request-URI
    /// and the remote target last in Route.
    fn request_uri_and_routes(&self) -> (String, Vec<String>) {
        match self.route_set.first() {
            Some(first) if !first.loose => {
                let mut routes: Vec<String> = self.route_set[1..]
                    .iter()
                    .map(|hop| hop.value.clone())
                    .collect();
                routes.push(format!("<{}>", self.remote_target));
                (first.uri.clone(), routes)
            }
            _ => (
                self.remote_target.clone(),
                self.route_set.iter().map(|hop| hop.value.clone()).collect(),
            ),
        }
    }

    fn request(
        &self,
        method: &'static str,
        cseq: u32,
        body: Option<(&str, &[u8])>,
        ids: &mut impl IdGenerator,
    ) -> OutgoingRequest {
        let branch = format!("z9hG4bK{}", ids.token(16));
        let (request_uri, routes) = self.request_uri_and_routes();
        let mut out = String::with_capacity(512);
        let mut line = |name: &str, value: &str| {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        };
        line("Via", &format!("{};rport;branch={branch}", self.via));
        line("Max-Forwards", "70");
        for route in &routes {
            line("Route", route);
        }
        line("From", &self.from);
        line("To", &self.to);
        line("Call-ID", &self.call_id);
        line("CSeq", &format!("{cseq} {method}"));
        if matches!(method, "INVITE" | "UPDATE") {
            if let Some(contact) = &self.contact {
                line("Contact", contact);
            }
        }
        if let Some(user_agent) = &self.user_agent {
            line("User-Agent", user_agent);
        }
        let body = match body {
            Some((content_type, body)) => {
                line("Content-Type", content_type);
                body
            }
            None => &[],
        };
        line("Content-Length", &body.len().to_string());
        let mut bytes = format!("{method} {request_uri} SIP/2.0\r\n{out}\r\n").into_bytes();
        let start = bytes.len();
        bytes.extend_from_slice(body);
        let end = bytes.len();
        OutgoingRequest {
            bytes: Bytes::from(bytes),
            method,
            body: start..end,
            call_id: self.call_id.clone(),
            from_tag: self.local_tag.clone(),
            branch,
            cseq,
            local_msrp_path: None,
            next_hop: self.next_hop().to_owned(),
        }
    }
}

/// The static name of a method, for [`DialogError::NotAnInvite`].
fn static_method(method: Method<'_>) -> &'static str {
    match method {
        Method::Invite => "INVITE",
        Method::Ack => "ACK",
        Method::Bye => "BYE",
        Method::Cancel => "CANCEL",
        Method::Register => "REGISTER",
        Method::Options => "OPTIONS",
        Method::Prack => "PRACK",
        Method::Subscribe => "SUBSCRIBE",
        Method::Notify => "NOTIFY",
        Method::Publish => "PUBLISH",
        Method::Info => "INFO",
        Method::Refer => "REFER",
        Method::Message => "MESSAGE",
        Method::Update => "UPDATE",
        Method::Extension(_) => "extension-method request",
    }
}

/// A body's content type, checked.
fn check_body(body: Option<(&str, &[u8])>) -> Result<(), BuildError> {
    if let Some((content_type, _)) = body {
        crate::mime::check_media_type("Content-Type", content_type)?;
    }
    Ok(())
}

/// The URI of a Contact value, as the remote target.
fn contact_uri(contact: Option<&[u8]>) -> Result<String, DialogError> {
    let uri = contact
        .and_then(|value| NameAddr::parse_in(KnownHeader::Contact, value).ok())
        .map(|contact| contact.uri())
        .filter(|uri| !uri.is_empty())
        .ok_or(DialogError::NoRemoteTarget)?;
    let uri = writable("Contact", uri)?;
    if uri.contains([' ', '\t', '<', '>', '"']) {
        return Err(DialogError::Unwritable("Contact"));
    }
    Ok(uri)
}

/// A route set from Record-Route values, in the order given.
fn route_set<'v>(values: impl Iterator<Item = &'v [u8]>) -> Result<Vec<Hop>, DialogError> {
    let mut set = Vec::new();
    for value in values {
        let hop = NameAddr::parse(value).ok_or(DialogError::Unwritable("Record-Route"))?;
        let loose = hop.uri().split(|&b| b == b';').skip(1).any(|p| {
            p.eq_ignore_ascii_case(b"lr") || p.len() > 3 && p[..3].eq_ignore_ascii_case(b"lr=")
        });
        set.push(Hop {
            value: writable("Record-Route", value)?,
            uri: writable("Record-Route", hop.uri())?,
            loose,
        });
    }
    Ok(set)
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
            .field("role", &self.role)
            .field("call_id", &self.call_id)
            .field("local_tag", &self.local_tag)
            .field("remote_tag", &self.remote_tag)
            .field("remote_target", &self.remote_target)
            .field("routes", &self.routes())
            .field("local_cseq", &self.local_cseq)
            .finish_non_exhaustive()
    }
}
