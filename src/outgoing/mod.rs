//! Requests the CPM Client originates (section 7): the application says who and what,
//! the library writes every header the procedure requires.
//!
//! | procedure | section | builder | route at the recipient |
//! | --- | --- | --- | --- |
//! | registration, refresh, de-registration (one REGISTER) | 7.1 | [`Registration`] | `not-cpm` (REGISTER) |
//! | the registration procedure: digest challenges, 423, expiry, refresh, Service-Route | 7.1, RFC 3261 10, 22; RFC 3608 | [`Registrant`] (a sans-IO state machine) | `not-cpm` (REGISTER) |
//! | pager-mode message | 7.2.1.1 | [`Pager`] | `pager` |
//! | pager-mode IMDN (RFC 5438) | 7.2.1.1 | [`ImdnMessage`] | `pager` (a notification) |
//! | capability query (OPTIONS; the answer read by [`PeerCapabilities`]) | RFC 3261 11 | [`CapabilityQuery`] | answered by the dispatcher |
//! | large-message mode | 7.2.1.2 | [`LargeMessage`] (INVITE + MSRP chunks) | `large-message` |
//! | 1-1 session, group session, rejoin | 7.3.1 | [`Session`] | `session` |
//! | file transfer | 7.4.1 | [`FileTransfer`] | `file-transfer` |
//! | in a session's dialog, as caller or callee: ACK, BYE, re-INVITE, UPDATE | RFC 3261 12, 13.2.2.4, 14, 15; RFC 3311 | [`Dialog`] | in a dialog |
//!
//! Every request gets the RFC 3261 mandatory headers (Via with a `z9hG4bK` branch,
//! Max-Forwards 70, From with a tag, To, Call-ID, CSeq, Contact on dialog-creating
//! requests, Content-Length), the User-Agent stamp of [`ClientConfig`] (Appendix D),
//! and for CPM requests P-Preferred-Identity, P-Preferred-Service and Accept-Contact
//! naming the same ICSI, Conversation-ID and Contribution-ID. Headers come in one
//! fixed order, that of the example requests the tests rebuild byte for byte.
//!
//! **Routing and NAT.** Every Via carries `rport` (RFC 3581). A request outside a
//! dialog carries the [`ClientConfig`]'s outbound proxy as its first Route, then (but
//! for REGISTER) the route set a registration learnt from Service-Route (RFC 3261
//! 8.1.2, RFC 3608); [`OutgoingRequest::next_hop`] says where to send it. A builder's
//! `extra_header` adds Authorization, Proxy-Authorization, Route, Security-Verify and
//! the like, checked so that nothing added can break the request.
//!
//! **Deferred messages (7.2.3.2, 7.3.11).** The client originates nothing for them:
//! stored messages are delivered by the network, as a MESSAGE or an INVITE carrying
//! the `deferred` tag, and are handled on the receiving side ([`crate::route()`]). A
//! `deferred-messages` event package SUBSCRIBE is attributed to CPM 1.0 by some stacks,
//! but its body and the retrieval request are not known, so no builder exists for it.
//!
//! **Identifiers.** Every identifier (From-tag, branch, Call-ID, Conversation-ID,
//! Contribution-ID, `imdn.Message-ID`, MSRP ids, `file-transfer-id`, boundaries, SDP
//! origin) may be set by the application; what it leaves unset comes from an
//! [`IdGenerator`]. The library reads no clock: CPIM `DateTime` is a `SystemTime` the
//! caller passes.
//!
//! **Nothing the application writes can break a header.** URIs, tokens and ids are
//! checked ([`BuildError`] names the field); display names become quoted strings with
//! `\"` and `\\`, and control characters in them are refused; file names are
//! percent-encoded in `a=file-selector`; text goes in bodies, counted by
//! Content-Length.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use cpm_client::outgoing::{ClientConfig, Content, ContactAddress, Pager, SequentialIds, Transport};
//! use cpm_client::{route, Route};
//!
//! let config = ClientConfig::new(
//!     "sip:+15550100001@ims.example.net",
//!     ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?,
//! )?;
//! let sent_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_515_300);
//! let message = Pager::new("sip:+15550100002@ims.example.net", Content::text("Hello, Bob!"), sent_at)
//!     .build(&config, &mut SequentialIds::new(1))?
//!     .into_pager()
//!     .expect("small enough for pager mode");
//! assert_eq!(message.method(), "MESSAGE");
//! assert_eq!(route(message.as_bytes()), Ok(Route::Pager));
//! # Ok::<(), cpm_client::BuildError>(())
//! ```

use bytes::Bytes;

use crate::ids::IdGenerator;
use crate::routing::{FeatureTag, TagSet};
use crate::sip::write::{
    check_call_id, check_text, check_token, check_uri, check_uri_without_headers,
    quoted_display_name,
};

mod capabilities;
mod challenge_answer;
mod config;
mod dialog;
mod file_transfer;
mod large_message;
mod local_msrp;
mod notification;
mod pager;
mod register;
mod registrant;
mod session;

pub use capabilities::{CapabilityQuery, PeerCapabilities};
pub use challenge_answer::{authorize, ChallengeAnswerError};
pub use config::{ClientConfig, ContactAddress, MsrpEndpoint, Transport, DEFAULT_PAGER_LIMIT};
pub use dialog::{Dialog, DialogError, DialogRole};
pub use file_transfer::{FileDisposition, FileTransfer};
pub use large_message::{LargeMessage, LargeMessageRequests};
pub use notification::ImdnMessage;
pub use pager::{accepts_cpim, Pager, Standalone};
pub use register::Registration;
pub use registrant::{
    Credentials, DigestCredentials, Registrant, RegistrantError, RegistrationEvent,
    RegistrationFailure, RegistrationState,
};
pub use session::Session;

// What a builder's caller also needs, from the format modules below.
pub use crate::cpim::{Content, DispositionNotification};
pub use crate::error::BuildError;
pub use crate::ids::{RandomIds, SequentialIds};
pub use crate::msrp::MsrpMessage;
pub use crate::sdp::FileSelector;
pub use crate::sip::OutgoingRequest;

/// The SIP identifiers of one request that the application may fix; what is `None`
/// is generated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SipIds {
    pub(crate) call_id: Option<String>,
    pub(crate) from_tag: Option<String>,
    pub(crate) branch: Option<String>,
    pub(crate) cseq: Option<u32>,
    pub(crate) to_display_name: Option<String>,
    /// Headers the application adds (Authorization, Route, Security-Verify, ...),
    /// checked when the request is built.
    pub(crate) headers: Vec<(String, String)>,
}

/// The CPM identifiers every CPM request carries: Conversation-ID and Contribution-ID.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CpmIds {
    pub(crate) conversation_id: Option<String>,
    pub(crate) contribution_id: Option<String>,
}

/// Setters for [`SipIds`], shared by every builder (field `sip`).
macro_rules! sip_id_setters {
    () => {
        /// Sets the Call-ID (a token, `@` allowed) instead of generating one.
        pub fn call_id(mut self, call_id: &str) -> Self {
            self.sip.call_id = Some(call_id.to_owned());
            self
        }

        /// Sets the From tag instead of generating one.
        pub fn from_tag(mut self, tag: &str) -> Self {
            self.sip.from_tag = Some(tag.to_owned());
            self
        }

        /// Sets the Via branch (it must start with `z9hG4bK`) instead of generating one.
        pub fn branch(mut self, branch: &str) -> Self {
            self.sip.branch = Some(branch.to_owned());
            self
        }

        /// Sets the CSeq number (1 by default).
        pub fn cseq(mut self, cseq: u32) -> Self {
            self.sip.cseq = Some(cseq);
            self
        }

        /// Adds a header the procedure allows beside the ones the builder writes:
        /// `Authorization` or `Proxy-Authorization` answering a challenge (RFC 3261
        /// 22.2, 22.3), `Route` after the configured ones (RFC 3261 8.1.2),
        /// `Security-Verify` or `Security-Client` (RFC 3329), `P-Access-Network-Info`,
        /// `Privacy`, ... Added headers keep their order; `Route` ones go with the
        /// other Route lines, the rest just before User-Agent.
        ///
        /// `build` refuses (with [`BuildError::InvalidValue`] or
        /// [`BuildError::ControlCharacter`]) a name that is not a token, a header the
        /// builder writes itself (Via, From, To, Call-ID, CSeq, Max-Forwards, Contact,
        /// Content-Type, Content-Length, User-Agent, or one of the procedure's), and a
        /// value that is empty, over 8 KiB or holds CR, LF or another control
        /// character: nothing added can break the request.
        pub fn extra_header(mut self, name: &str, value: &str) -> Self {
            self.sip.headers.push((name.to_owned(), value.to_owned()));
            self
        }
    };
}

/// Setters of the standalone-message builders (pager and large message): the reply
/// link and the IMDN part of the CPIM message (fields `in_reply_to`, `message_id`,
/// `disposition`, `imdn`).
macro_rules! message_setters {
    () => {
        /// Replies to the contribution `contribution_id`: InReplyTo-Contribution-ID.
        pub fn in_reply_to(mut self, contribution_id: &str) -> Self {
            self.in_reply_to = Some(contribution_id.to_owned());
            self
        }

        /// The CPIM `imdn.Message-ID` instead of a generated one.
        pub fn message_id(mut self, id: &str) -> Self {
            self.message_id = Some(id.to_owned());
            self
        }

        /// Asks for IMDNs (`imdn.Disposition-Notification`); an empty list asks for
        /// none.
        pub fn disposition(mut self, disposition: DispositionNotification<'_>) -> Self {
            self.disposition = (!disposition.is_empty()).then(|| disposition.into_owned());
            self
        }

        /// Leaves the IMDN headers out of the CPIM message.
        pub fn without_imdn(mut self) -> Self {
            self.imdn = false;
            self
        }
    };
}

/// Setters for [`CpmIds`] and the To display name, shared by the CPM builders
/// (fields `sip` and `cpm`).
macro_rules! cpm_id_setters {
    () => {
        /// The conversation this contribution belongs to (reuse the conversation's
        /// value; generated for a new conversation).
        pub fn conversation_id(mut self, id: &str) -> Self {
            self.cpm.conversation_id = Some(id.to_owned());
            self
        }

        /// The Contribution-ID instead of a new one.
        pub fn contribution_id(mut self, id: &str) -> Self {
            self.cpm.contribution_id = Some(id.to_owned());
            self
        }

        /// A display name for the To header (quoted and escaped on the wire).
        pub fn to_display_name(mut self, name: &str) -> Self {
            self.sip.to_display_name = Some(name.to_owned());
            self
        }
    };
}

pub(crate) use {cpm_id_setters, message_setters, sip_id_setters};

/// Everything one request needs beyond the configuration, in wire order.
pub(crate) struct Draft<'a> {
    pub(crate) method: &'static str,
    pub(crate) request_uri: &'a str,
    /// The To URI and its field name for errors.
    pub(crate) to: (&'static str, &'a str),
    pub(crate) sip: &'a SipIds,
    /// The services of the Contact; `None` for no Contact.
    pub(crate) contact: Option<TagSet>,
    /// The ICSI of P-Preferred-Service and Accept-Contact.
    pub(crate) service: Option<FeatureTag>,
    /// Conversation-ID and Contribution-ID, resolved.
    pub(crate) cpm: Option<(&'a str, &'a str)>,
    /// Headers between the CPM ids and User-Agent, already checked.
    pub(crate) extra: Vec<(&'static str, String)>,
    /// Content-Type and body.
    pub(crate) body: Option<(&'a str, &'a [u8])>,
}

impl<'a> Draft<'a> {
    /// A CPM INVITE to `to` (its field name for errors, and the URI): Contact,
    /// Accept-Contact and P-Preferred-Service all name `service`.
    pub(crate) fn cpm_invite(
        to: (&'static str, &'a str),
        sip: &'a SipIds,
        service: FeatureTag,
        cpm: (&'a str, &'a str),
        extra: Vec<(&'static str, String)>,
        body: (&'a str, &'a [u8]),
    ) -> Draft<'a> {
        Draft {
            method: "INVITE",
            request_uri: to.1,
            to,
            sip,
            contact: Some(TagSet::EMPTY.with(service)),
            service: Some(service),
            cpm: Some(cpm),
            extra,
            body: Some(body),
        }
    }
}

/// Writes a request from the configuration and a draft: the one place that knows
/// the header order.
pub(crate) fn assemble(
    config: &ClientConfig,
    ids: &mut dyn IdGenerator,
    draft: Draft<'_>,
) -> Result<OutgoingRequest, BuildError> {
    check_uri_without_headers("request URI", draft.request_uri)?;
    check_uri_without_headers(draft.to.0, draft.to.1)?;
    let to_name = match &draft.sip.to_display_name {
        Some(name) => Some(quoted_display_name("To display name", name)?),
        None => None,
    };
    let from_name = match config.display_name() {
        Some(name) => Some(quoted_display_name("display name", name)?),
        None => None,
    };
    let call_id = match &draft.sip.call_id {
        Some(id) => check_call_id("Call-ID", id)?.to_owned(),
        None => ids.token(24),
    };
    let from_tag = match &draft.sip.from_tag {
        Some(tag) => check_token("From tag", tag)?.to_owned(),
        None => ids.token(10),
    };
    let branch = match &draft.sip.branch {
        Some(b) if b.starts_with("z9hG4bK") && b.len() > 7 => check_token("branch", b)?.to_owned(),
        Some(b) => {
            return Err(crate::error::invalid(
                "branch",
                b,
                "a token starting with the RFC 3261 cookie z9hG4bK",
            ))
        }
        None => format!("z9hG4bK{}", ids.token(16)),
    };
    let cseq = draft.sip.cseq.unwrap_or(1);
    if cseq == 0 || cseq >= 1 << 31 {
        return Err(crate::error::invalid(
            "CSeq",
            &cseq.to_string(),
            "a number from 1 to 2^31-1",
        ));
    }
    let added = checked_extra_headers(&draft)?;
    // The preloaded route set (RFC 3261 8.1.2): the outbound proxy, then (but for
    // REGISTER, RFC 3608 section 5) the route set a registration learnt from
    // Service-Route, then the application's own Route lines.
    let mut routes: Vec<String> = Vec::new();
    if let Some(proxy) = config.outbound_proxy() {
        routes.push(format!("<{proxy}>"));
    }
    if draft.method != "REGISTER" {
        routes.extend(config.route_set().iter().cloned());
    }
    let (added_routes, added): (Vec<_>, Vec<_>) = added
        .into_iter()
        .partition(|(name, _)| name.eq_ignore_ascii_case("Route"));
    routes.extend(added_routes.into_iter().map(|(_, value)| value.to_owned()));
    let next_hop = match routes.first() {
        Some(route) => route_uri(route).unwrap_or_default().to_owned(),
        None => draft.request_uri.to_owned(),
    };

    let mut out = Vec::with_capacity(1024 + draft.body.map_or(0, |b| b.1.len()));
    let mut line = |name: &str, value: &str| {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    };
    let contact = config.contact();
    let request_line = format!("{} {} SIP/2.0", draft.method, draft.request_uri);
    let name_addr = |name: &Option<String>, uri: &str| match name {
        Some(name) => format!("{name} <{uri}>"),
        None => format!("<{uri}>"),
    };
    line(
        "Via",
        &format!(
            "SIP/2.0/{} {}:{};rport;branch={branch}",
            contact.transport().via_name(),
            contact.host(),
            contact.port()
        ),
    );
    line("Max-Forwards", "70");
    for route in &routes {
        line("Route", route);
    }
    line(
        "From",
        &format!(
            "{};tag={from_tag}",
            name_addr(&from_name, config.identity())
        ),
    );
    line("To", &name_addr(&to_name, draft.to.1));
    line("Call-ID", &call_id);
    line("CSeq", &format!("{cseq} {}", draft.method));
    if let Some(services) = draft.contact {
        line("Contact", &config.contact_value(services));
    }
    if let Some(service) = draft.service {
        if config.p_preferred_identity() {
            line("P-Preferred-Identity", &format!("<{}>", config.identity()));
        }
        line("P-Preferred-Service", service.urn());
        line(
            "Accept-Contact",
            &format!("*;+g.3gpp.icsi-ref=\"{}\"", service.encoded_urn()),
        );
    }
    if let Some((conversation, contribution)) = draft.cpm {
        line("Conversation-ID", conversation);
        line("Contribution-ID", contribution);
    }
    for (name, value) in &draft.extra {
        line(name, value);
    }
    for (name, value) in &added {
        line(name, value);
    }
    line("User-Agent", &config.user_agent());
    let body = match draft.body {
        Some((content_type, body)) => {
            line("Content-Type", content_type);
            body
        }
        None => &[],
    };
    line("Content-Length", &body.len().to_string());
    out.extend_from_slice(b"\r\n");
    let mut bytes = Vec::with_capacity(request_line.len() + 2 + out.len() + body.len());
    bytes.extend_from_slice(request_line.as_bytes());
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(&out);
    let body_start = bytes.len();
    bytes.extend_from_slice(body);
    Ok(OutgoingRequest {
        body: body_start..bytes.len(),
        bytes: Bytes::from(bytes),
        method: draft.method,
        call_id,
        from_tag,
        branch,
        cseq,
        local_msrp_path: None,
        next_hop,
    })
}

/// The largest value [`sip_id_setters`]' `extra_header` takes.
const MAX_EXTRA_VALUE: usize = 8192;

/// The application's added headers, checked: a token name that is none of the
/// headers the assembly writes itself, a value without control characters.
fn checked_extra_headers<'d>(draft: &'d Draft<'_>) -> Result<Vec<(&'d str, &'d str)>, BuildError> {
    use crate::sip::KnownHeader;
    const OWN: [KnownHeader; 10] = [
        KnownHeader::Via,
        KnownHeader::MaxForwards,
        KnownHeader::From,
        KnownHeader::To,
        KnownHeader::CallId,
        KnownHeader::CSeq,
        KnownHeader::Contact,
        KnownHeader::ContentType,
        KnownHeader::ContentLength,
        KnownHeader::UserAgent,
    ];
    let mut written: Vec<&str> = draft.extra.iter().map(|(name, _)| *name).collect();
    if draft.service.is_some() {
        written.extend([
            "P-Preferred-Identity",
            "P-Preferred-Service",
            "Accept-Contact",
        ]);
    }
    if draft.cpm.is_some() {
        written.extend(["Conversation-ID", "Contribution-ID"]);
    }
    let mut out = Vec::with_capacity(draft.sip.headers.len());
    for (name, value) in &draft.sip.headers {
        check_token("header name", name)?;
        let known = KnownHeader::from_name(name.as_bytes());
        let own = known.is_some_and(|k| OWN.contains(&k))
            || written.iter().any(|w| {
                w.eq_ignore_ascii_case(name)
                    || known.is_some() && KnownHeader::from_name(w.as_bytes()) == known
            });
        if own {
            return Err(crate::error::invalid(
                "header name",
                name,
                "a header the builder does not write itself",
            ));
        }
        check_text(name_field(name), value)?;
        let value = value.trim();
        if value.is_empty() || value.len() > MAX_EXTRA_VALUE {
            return Err(crate::error::invalid(
                "header value",
                value,
                "a value of 1 to 8192 bytes",
            ));
        }
        if name.eq_ignore_ascii_case("Route") && route_uri(value).is_none() {
            return Err(crate::error::invalid(
                "Route",
                value,
                "a name-addr such as <sip:proxy.example.net;lr>",
            ));
        }
        out.push((name.as_str(), value));
    }
    Ok(out)
}

/// The field an added header's value is named by in errors: the well-known ones by
/// name, the others as "header value".
fn name_field(name: &str) -> &'static str {
    [
        "Authorization",
        "Proxy-Authorization",
        "Route",
        "Security-Verify",
    ]
    .into_iter()
    .find(|known| known.eq_ignore_ascii_case(name))
    .unwrap_or("header value")
}

/// The URI of one Route value (`<uri>;params`, or a bare URI).
pub(crate) fn route_uri(value: &str) -> Option<&str> {
    crate::sip::NameAddr::parse(value.as_bytes())
        .and_then(|hop| hop.uri_str())
        .filter(|uri| !uri.is_empty())
}

/// A resolved Conversation-ID and Contribution-ID.
pub(crate) fn resolve_cpm_ids(
    cpm: &CpmIds,
    ids: &mut dyn IdGenerator,
) -> Result<(String, String), BuildError> {
    let conversation = match &cpm.conversation_id {
        Some(id) => check_token("Conversation-ID", id)?.to_owned(),
        None => ids.uuid(),
    };
    let contribution = match &cpm.contribution_id {
        Some(id) => check_token("Contribution-ID", id)?.to_owned(),
        None => ids.uuid(),
    };
    Ok((conversation, contribution))
}

// ---------------------------------------------------------------------------------
// Checks on what the application writes. Each returns the value when it may go on the
// wire as it is, or an error naming the field.
