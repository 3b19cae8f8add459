//! Requests the CPM Client originates (section 7): the application says who and what,
//! the library writes every header the procedure requires.
//!
//! | procedure | section | builder | route at the recipient |
//! | --- | --- | --- | --- |
//! | registration, refresh, de-registration | 7.1 | [`Registration`] | `not-cpm` (REGISTER) |
//! | pager-mode message | 7.2.1.1 | [`PagerMessage`] | `pager` |
//! | large-message mode | 7.2.1.2 | [`LargeMessage`] (INVITE + MSRP chunks) | `large-message` |
//! | 1-1 session, group session, rejoin | 7.3.1 | [`SessionInvitation`] | `session` |
//! | file transfer | 7.4.1 | [`FileTransfer`] | `file-transfer` |
//! | the ACK for an INVITE's 2xx, and the BYE ending the session | RFC 3261 12, 13.2.2.4, 15 | [`Dialog`] | in a dialog |
//!
//! Every request gets the RFC 3261 mandatory headers (Via with a `z9hG4bK` branch,
//! Max-Forwards 70, From with a tag, To, Call-ID, CSeq, Contact on dialog-creating
//! requests, Content-Length), the User-Agent stamp of [`ClientConfig`] (Appendix D),
//! and for CPM requests P-Preferred-Identity, P-Preferred-Service and Accept-Contact
//! naming the same ICSI, Conversation-ID and Contribution-ID. Headers come in one
//! fixed order, that of the example requests the tests rebuild byte for byte.
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
//! use cpm_client::outgoing::{ClientConfig, Content, ContactAddress, PagerMessage, SequentialIds, Transport};
//! use cpm_client::{route, Route};
//!
//! let config = ClientConfig::new(
//!     "sip:+15550100001@ims.example.net",
//!     ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?,
//! )?;
//! let sent_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_515_300);
//! let message = PagerMessage::new("sip:+15550100002@ims.example.net", Content::text("Hello, Bob!"), sent_at)
//!     .build(&config, &mut SequentialIds::new(1))?
//!     .into_pager()
//!     .expect("small enough for pager mode");
//! assert_eq!(message.method(), "MESSAGE");
//! assert_eq!(route(message.as_bytes()), Ok(Route::Pager));
//! let typed = message.to_rsip().expect("rsip reads it");
//! assert_eq!(typed.method, rsip::Method::Message);
//! # Ok::<(), cpm_client::outgoing::BuildError>(())
//! ```

use std::fmt;
use std::ops::Range;

use bytes::Bytes;
use thiserror::Error;

use crate::feature_tag::FeatureTag;
use crate::sip::grammar::is_token_char;
use crate::user_agent::ProductError;

mod config;
mod cpim;
mod dialog;
mod file_transfer;
mod ids;
mod large_message;
mod msrp;
mod multipart;
mod pager;
mod register;
mod sdp_offer;
mod session;

pub use config::{ClientConfig, ContactAddress, MsrpEndpoint, Transport, DEFAULT_PAGER_LIMIT};
pub use cpim::{format_date_time, Content, CpimMessage, Disposition};
pub use dialog::{Dialog, DialogError};
pub use file_transfer::{FileDisposition, FileInfo, FileTransfer};
pub use ids::{IdGenerator, RandomIds, SequentialIds};
pub use large_message::{LargeMessage, LargeMessageRequests};
pub use msrp::{MsrpMessage, DEFAULT_CHUNK_SIZE};
pub use multipart::{Multipart, Part};
pub use pager::{PagerMessage, Standalone};
pub use register::Registration;
pub use sdp_offer::{Direction, FileSelector, MsrpSdp, Setup};
pub use session::SessionInvitation;

/// Why a request could not be built. Each variant names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A URI that is not `sip:`, `sips:` or `tel:`, or holds bytes a header cannot
    /// carry (space, control characters, `<`, `>`, `"`, ...).
    #[error("{field}: {value:?} is not a sip:, sips: or tel: URI that can be written in a header")]
    InvalidUri {
        /// The field.
        field: &'static str,
        /// The value (at most 64 characters of it).
        value: String,
    },
    /// A value outside its grammar (a token, an id, a media type, a host, ...).
    #[error("{field}: {value:?} is not {expected}")]
    InvalidValue {
        /// The field.
        field: &'static str,
        /// The value (at most 64 characters of it).
        value: String,
        /// What the value should be.
        expected: &'static str,
    },
    /// CR, LF or another control character in text that goes in a header (display
    /// name, Subject, CPIM header): a quoted string cannot carry it.
    #[error("{field}: control characters such as CR or LF cannot be written in a header")]
    ControlCharacter {
        /// The field.
        field: &'static str,
    },
    /// The message is too large for a pager-mode MESSAGE.
    #[error(
        "message body of {size} bytes is over the pager-mode limit of {limit} bytes: \
         send it in large-message mode (7.2.1.2), or let the pager builder switch"
    )]
    TooLargeForPagerMode {
        /// The size of the MESSAGE body (the CPIM message).
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A value the procedure needs is missing.
    #[error("{field} is required: {why}")]
    Missing {
        /// The field.
        field: &'static str,
        /// Why it is needed.
        why: &'static str,
    },
    /// A time before 1970 cannot be written as a CPIM DateTime.
    #[error("CPIM DateTime: the time is before 1970-01-01")]
    TimeBeforeEpoch,
    /// A time after 9999-12-31T23:59:59.999Z cannot be written as a CPIM DateTime
    /// (RFC 3339 years have four digits).
    #[error("CPIM DateTime: the time is after 9999-12-31T23:59:59.999Z")]
    TimeAfterYear9999,
    /// An application product in User-Agent that is neither a product nor a comment.
    #[error(transparent)]
    Product(#[from] ProductError),
    /// No boundary or MSRP transaction id could be found that does not occur in the
    /// content (only possible with a generator that keeps repeating itself, or an
    /// explicit id that occurs in the content).
    #[error("{field}: the value occurs in the content it must delimit")]
    Collision {
        /// The field.
        field: &'static str,
    },
}

/// One built SIP request: the bytes to put on the wire, and the values a later
/// request of the same dialog or registration needs.
///
/// ```
/// # use cpm_client::outgoing::*;
/// # let config = ClientConfig::new("sip:+15550100001@ims.example.net",
/// #     ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?)?
/// #     .with_instance("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427")?;
/// let register = Registration::new().build(&config, &mut SequentialIds::new(3))?;
/// assert_eq!(register.method(), "REGISTER");
/// assert_eq!(register.cseq(), 1);
/// assert!(register.branch().starts_with("z9hG4bK"));
/// assert_eq!(register.header("Expires"), Some("3600"));
/// assert_eq!(register.body(), b"");
/// assert!(register.as_bytes().starts_with(b"REGISTER sip:ims.example.net SIP/2.0\r\n"));
/// # Ok::<(), cpm_client::outgoing::BuildError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingRequest {
    bytes: Bytes,
    method: &'static str,
    body: Range<usize>,
    call_id: String,
    from_tag: String,
    branch: String,
    cseq: u32,
    local_msrp_path: Option<String>,
}

impl OutgoingRequest {
    /// The request as it goes on the wire.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The wire bytes, shared (no copy).
    pub fn bytes(&self) -> Bytes {
        self.bytes.clone()
    }

    /// The wire bytes.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// The request in `rsip`'s typed model.
    ///
    /// # Errors
    ///
    /// What `rsip` reports if it cannot read the request: rsip 0.4 does not know
    /// every URI form a network accepts (a `tel:` Request-URI is one it refuses).
    pub fn to_rsip(&self) -> Result<rsip::Request, rsip::Error> {
        rsip::Request::try_from(&self.bytes[..])
    }

    /// The method: `REGISTER`, `MESSAGE` or `INVITE`; `ACK` or `BYE` from a [`Dialog`].
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// The Call-ID (a refresh reuses it).
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// The From tag.
    pub fn from_tag(&self) -> &str {
        &self.from_tag
    }

    /// The Via branch.
    pub fn branch(&self) -> &str {
        &self.branch
    }

    /// The CSeq number.
    pub fn cseq(&self) -> u32 {
        self.cseq
    }

    /// The local MSRP URI of an INVITE's SDP offer (its `a=path`), from which the
    /// messages of the session are framed: the `from_path` of
    /// [`MsrpMessage::new`]. `None` for a request without an MSRP offer.
    ///
    /// ```
    /// # use cpm_client::outgoing::*;
    /// # let config = ClientConfig::new("sip:+15550100001@ims.example.net",
    /// #     ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?)?;
    /// let invite = SessionInvitation::one_to_one("sip:+15550100002@ims.example.net")
    ///     .msrp_session("s9t8u7v6")
    ///     .build(&config, &mut SequentialIds::new(1))?;
    /// assert_eq!(invite.local_msrp_path(), Some("msrp://192.0.2.10:9/s9t8u7v6;tcp"));
    /// let pager = PagerMessage::new("sip:+15550100002@ims.example.net", Content::text("Hi"),
    ///     std::time::SystemTime::UNIX_EPOCH)
    ///     .build(&config, &mut SequentialIds::new(2))?
    ///     .into_pager()
    ///     .expect("small enough for pager mode");
    /// assert_eq!(pager.local_msrp_path(), None);
    /// # Ok::<(), cpm_client::outgoing::BuildError>(())
    /// ```
    pub fn local_msrp_path(&self) -> Option<&str> {
        self.local_msrp_path.as_deref()
    }

    /// The request with the local MSRP path of its offer.
    pub(crate) fn with_local_msrp_path(mut self, path: String) -> Self {
        self.local_msrp_path = Some(path);
        self
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.bytes[self.body.clone()]
    }

    /// The value of the first header named `name` (as the builders write it, compared
    /// without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Every header line as (name, value), in order.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let head = &self.bytes[..self.body.start];
        let head = std::str::from_utf8(head).unwrap_or_default();
        head.split("\r\n")
            .skip(1)
            .filter_map(|line| line.split_once(": "))
    }
}

impl fmt::Debug for OutgoingRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingRequest")
            .field("method", &self.method)
            .field("call_id", &self.call_id)
            .field("bytes", &String::from_utf8_lossy(&self.bytes))
            .finish()
    }
}

impl fmt::Display for OutgoingRequest {
    /// The request as text (body bytes that are not UTF-8 shown as U+FFFD).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.bytes))
    }
}

/// The SIP identifiers of one request that the application may fix; what is `None`
/// is generated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SipIds {
    pub(crate) call_id: Option<String>,
    pub(crate) from_tag: Option<String>,
    pub(crate) branch: Option<String>,
    pub(crate) cseq: Option<u32>,
    pub(crate) to_display_name: Option<String>,
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

        /// Asks for IMDNs (`imdn.Disposition-Notification`).
        pub fn disposition(mut self, disposition: Disposition) -> Self {
            self.disposition = disposition;
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
    pub(crate) contact: Option<crate::feature_tag::TagSet>,
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
            contact: Some(crate::feature_tag::TagSet::EMPTY.with(service)),
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
            return Err(invalid(
                "branch",
                b,
                "a token starting with the RFC 3261 cookie z9hG4bK",
            ))
        }
        None => format!("z9hG4bK{}", ids.token(16)),
    };
    let cseq = draft.sip.cseq.unwrap_or(1);
    if cseq == 0 || cseq >= 1 << 31 {
        return Err(invalid(
            "CSeq",
            &cseq.to_string(),
            "a number from 1 to 2^31-1",
        ));
    }

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
            "SIP/2.0/{} {}:{};branch={branch}",
            contact.transport().via_name(),
            contact.host(),
            contact.port()
        ),
    );
    line("Max-Forwards", "70");
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
    })
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

/// At most 64 characters of a refused value, for an error.
pub(crate) fn shown(value: &str) -> String {
    value.chars().take(64).collect()
}

pub(crate) fn invalid(field: &'static str, value: &str, expected: &'static str) -> BuildError {
    BuildError::InvalidValue {
        field,
        value: shown(value),
        expected,
    }
}

/// An RFC 3261 token (Conversation-ID, Contribution-ID, tags, branches, ids), at most
/// 256 bytes.
pub(crate) fn check_token<'v>(field: &'static str, value: &'v str) -> Result<&'v str, BuildError> {
    if value.is_empty() || value.len() > 256 || !value.bytes().all(is_token_char) {
        return Err(invalid(
            field,
            value,
            "a token (letters, digits, -.!%*_+`'~)",
        ));
    }
    Ok(value)
}

/// A Call-ID: `word [ "@" word ]` with the token bytes plus `:` and brackets.
fn check_call_id<'v>(field: &'static str, value: &'v str) -> Result<&'v str, BuildError> {
    let ok = |b: u8| is_token_char(b) || matches!(b, b':' | b'[' | b']' | b'/' | b'?');
    let mut parts = value.split('@');
    let valid = !value.is_empty()
        && value.len() <= 256
        && value.split('@').count() <= 2
        && parts.all(|p| !p.is_empty() && p.bytes().all(ok));
    if !valid {
        return Err(invalid(field, value, "a Call-ID (word or word@word)"));
    }
    Ok(value)
}

/// A `sip:`, `sips:` or `tel:` URI made only of bytes RFC 3261 allows unescaped in a
/// URI, so it can stand in a request line and inside `<...>`.
pub(crate) fn check_uri<'v>(field: &'static str, value: &'v str) -> Result<&'v str, BuildError> {
    let bad = || BuildError::InvalidUri {
        field,
        value: shown(value),
    };
    let (scheme, rest) = value.split_once(':').ok_or_else(bad)?;
    let known = ["sip", "sips", "tel"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(scheme));
    let uri_byte = |b: u8| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'_'
                    | b'.'
                    | b'!'
                    | b'~'
                    | b'*'
                    | b'\''
                    | b'('
                    | b')'
                    | b'%'
                    | b';'
                    | b'/'
                    | b'?'
                    | b':'
                    | b'@'
                    | b'&'
                    | b'='
                    | b'+'
                    | b'$'
                    | b','
                    | b'['
                    | b']'
            )
    };
    if !known || rest.is_empty() || value.len() > 1024 || !rest.bytes().all(uri_byte) {
        return Err(bad());
    }
    if !scheme.eq_ignore_ascii_case("tel") && !rest.contains(|c: char| c.is_ascii_alphanumeric()) {
        return Err(bad());
    }
    Ok(value)
}

/// A URI as [`check_uri`] takes it, without URI headers (`?name=value`): RFC 3261
/// section 19.1.1 (table 1) forbids them in the Request-URI, To and From.
pub(crate) fn check_uri_without_headers<'v>(
    field: &'static str,
    value: &'v str,
) -> Result<&'v str, BuildError> {
    check_uri(field, value)?;
    if value.contains('?') {
        return Err(invalid(
            field,
            value,
            "a URI without headers ('?'), which RFC 3261 forbids in the Request-URI, To and From",
        ));
    }
    Ok(value)
}

/// A URN (`urn:nid:nss`) for `+sip.instance`.
pub(crate) fn check_urn<'v>(field: &'static str, value: &'v str) -> Result<&'v str, BuildError> {
    let ok = |b: u8| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b':'
                    | b'_'
                    | b'!'
                    | b'~'
                    | b'*'
                    | b'\''
                    | b'('
                    | b')'
                    | b'%'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
                    | b'$'
                    | b'/'
            )
    };
    let valid = value.len() > 4
        && value.len() <= 256
        && value
            .as_bytes()
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"urn:"))
        && value.bytes().all(ok);
    if !valid {
        return Err(invalid(field, value, "a URN such as urn:uuid:..."));
    }
    Ok(value)
}

/// A host: a name or IPv4 address (letters, digits, `-`, `.`) or an IPv6 address in
/// brackets.
pub(crate) fn check_host<'v>(field: &'static str, value: &'v str) -> Result<&'v str, BuildError> {
    let valid = if let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
        !inner.is_empty()
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    } else {
        !value.is_empty()
            && value.len() <= 255
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            && !value.starts_with(['-', '.'])
    };
    if !valid {
        return Err(invalid(
            field,
            value,
            "a host name, IPv4 address or [IPv6] address",
        ));
    }
    Ok(value)
}

/// Text for a header (Subject, ...): any UTF-8 without control characters, since
/// RFC 3261 has no escape for them outside a quoted string (and none inside one for
/// CR and LF).
pub(crate) fn check_text<'v>(field: &'static str, value: &'v str) -> Result<&'v str, BuildError> {
    if value.chars().any(char::is_control) {
        return Err(BuildError::ControlCharacter { field });
    }
    Ok(value)
}

/// A display name as an RFC 3261 quoted string: `"` and `\` escaped as quoted
/// pairs; control characters (CR, LF, NUL, TAB, DEL, C1) refused.
///
/// ```text
/// Ann "the \ one"  ->  "Ann \"the \\ one\""
/// ```
pub(crate) fn quoted_display_name(field: &'static str, name: &str) -> Result<String, BuildError> {
    check_text(field, name)?;
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Ok(out)
}

/// A MIME media type with optional parameters: `type/subtype *(;name=value)`, value a
/// token or a quoted string without control characters.
pub(crate) fn check_media_type<'v>(
    field: &'static str,
    value: &'v str,
) -> Result<&'v str, BuildError> {
    let bad = || {
        invalid(
            field,
            value,
            "a media type such as text/plain;charset=UTF-8",
        )
    };
    let mut params = value.split(';');
    let essence = params.next().unwrap_or_default();
    let (kind, sub) = essence.split_once('/').ok_or_else(bad)?;
    let token = |t: &str| !t.is_empty() && t.bytes().all(is_token_char);
    if !token(kind) || !token(sub) || value.len() > 512 {
        return Err(bad());
    }
    for param in params {
        let param = param.trim_start_matches(' ');
        let (name, val) = param.split_once('=').ok_or_else(bad)?;
        let quoted = val
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .is_some_and(|inner| !inner.contains(['"', '\\']) && !inner.contains(char::is_control));
        if !token(name) || !(token(val) || quoted) {
            return Err(bad());
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_quoted_and_escaped() {
        assert_eq!(quoted_display_name("n", "Ann").unwrap(), "\"Ann\"");
        assert_eq!(
            quoted_display_name("n", "a \"b\" \\ c é").unwrap(),
            "\"a \\\"b\\\" \\\\ c é\""
        );
        for bad in ["a\r\nVia: x", "a\nb", "a\0", "a\tb", "\u{7f}", "\u{85}"] {
            assert_eq!(
                quoted_display_name("n", bad),
                Err(BuildError::ControlCharacter { field: "n" })
            );
        }
    }

    #[test]
    fn uris_are_checked() {
        for good in [
            "sip:+15550100002@ims.example.net",
            "sips:bob@[2001:db8::1]:5061;transport=tls",
            "tel:+15550100002",
            "sip:conference-factory@ims.example.net",
        ] {
            assert!(check_uri("u", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "bob@example.net",
            "http://example.net",
            "sip:",
            "sip:a b@example.net",
            "sip:a@example.net\r\nVia: x",
            "sip:a@example.net>",
            "sip:\"a\"@example.net",
        ] {
            assert!(check_uri("u", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn uri_headers_are_refused_where_rfc_3261_forbids_them() {
        let with_headers = "sip:bob@example.net?Subject=hi";
        assert!(check_uri("participant", with_headers).is_ok());
        assert_eq!(
            check_uri_without_headers("request URI", with_headers),
            Err(invalid(
                "request URI",
                with_headers,
                "a URI without headers ('?'), which RFC 3261 forbids in the Request-URI, To and From",
            ))
        );
        assert!(check_uri_without_headers("To", "sip:bob@example.net;user=phone").is_ok());
        assert!(matches!(
            check_uri_without_headers("To", "sip:a b@x"),
            Err(BuildError::InvalidUri { .. })
        ));
    }

    #[test]
    fn ids_and_types_are_checked() {
        assert!(check_token("t", "0f6c5d2e-8a41-4c1b").is_ok());
        assert!(check_token("t", "a b").is_err());
        assert!(check_token("t", "").is_err());
        assert!(check_call_id("c", "9b0c1e2d-pager@192.0.2.10").is_ok());
        assert!(check_call_id("c", "a@b@c").is_err());
        assert!(check_media_type("m", "text/plain;charset=UTF-8").is_ok());
        assert!(check_media_type("m", "multipart/mixed;boundary=\"x y\"").is_ok());
        assert!(check_media_type("m", "text").is_err());
        assert!(check_media_type("m", "text/plain\r\nX: y").is_err());
        assert!(check_host("h", "[2001:db8::1]").is_ok());
        assert!(check_host("h", "192.0.2.10").is_ok());
        assert!(check_host("h", "a b").is_err());
    }
}
