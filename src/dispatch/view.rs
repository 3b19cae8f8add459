//! Typed, zero-copy views of an incoming request, one per procedure.
//!
//! [`RequestView`] has what every CPM request carries (sender, recipient, identities,
//! Call-ID, CSeq, the CPM identifiers, Content-Type, body). The procedure views add
//! what their procedure needs and dereference to it: [`PagerMessage`] (the CPIM
//! message), [`LargeMessageInvitation`], [`SessionInvitation`], [`FileTransferInvitation`]
//! and [`DeferredGroupSession`] (the SDP offer). Every accessor returns a slice of the
//! request's bytes.

use std::fmt;
use std::ops::Deref;
use std::time::SystemTime;

use crate::cpim::{CpimMessage, Disposition};
use crate::error::BuildError;
use crate::imdn::{is_notification, is_notification_typed, Imdn, ImdnStatus, IMDN_CONTENT_TYPE};
use crate::iscomposing::{ComposingState, IsComposing, ISCOMPOSING_CONTENT_TYPE};
use crate::mime::{is_mime_token_char, BodyError, MediaType};
use crate::multipart::{Multipart, DEFAULT_MAX_PARTS};
use crate::outgoing::ImdnMessage;
use crate::routing::RoutedRequest;
use crate::routing::{FeatureTag, Routing, TagSet};
use crate::sdp::{FileSelector, MsrpMedia, Sdp};
use crate::sip::{KnownHeader, NameAddr};
use crate::user_agent::Release;

/// What every request carries, read from its bytes on demand.
///
/// ```
/// use bytes::Bytes;
/// use cpm_client::{RoutedRequest, RequestView};
///
/// let request = RoutedRequest::parse(Bytes::from_static(
///     b"MESSAGE sip:bob@example.net SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.7;branch=z9hG4bK-1\r\n\
///       From: \"Alice\" <sip:alice@example.net>;tag=a1\r\nTo: <sip:bob@example.net>\r\n\
///       P-Asserted-Identity: <sip:+15550100001@example.net>, <tel:+15550100001>\r\n\
///       Call-ID: c-1\r\nCSeq: 4 MESSAGE\r\nConversation-ID: conv-9\r\nContribution-ID: contrib-3\r\n\
///       User-Agent: CPM-client/OMA2.2\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 2\r\n\r\nhi",
/// )).unwrap();
/// let view = RequestView::new(&request);
/// assert_eq!(view.sender().unwrap().display_name(), Some(&b"Alice"[..]));
/// assert_eq!(view.recipient().unwrap().uri(), b"sip:bob@example.net");
/// assert_eq!(view.asserted_identities().map(|id| id.uri()).collect::<Vec<_>>(),
///            [&b"sip:+15550100001@example.net"[..], b"tel:+15550100001"]);
/// assert_eq!((view.call_id(), view.cseq()), ("c-1", 4));
/// assert_eq!(view.conversation_id(), Some("conv-9"));
/// assert_eq!(view.contribution_id(), Some("contrib-3"));
/// assert!(view.content_type().unwrap().is("text/plain"));
/// assert_eq!(view.peer_release().unwrap().to_string(), "CPM-client/OMA2.2");
/// assert_eq!(view.body(), b"hi");
/// ```
#[derive(Clone, Copy)]
pub struct RequestView<'a> {
    request: &'a RoutedRequest,
}

impl<'a> RequestView<'a> {
    /// The view of `request`.
    pub fn new(request: &'a RoutedRequest) -> RequestView<'a> {
        RequestView { request }
    }

    /// The whole request, for anything the views do not cover (it dereferences to the
    /// [`IncomingRequest`](crate::IncomingRequest)).
    pub fn request(&self) -> &'a RoutedRequest {
        self.request
    }

    /// How the request was routed: the route, the CPM tags, whether the sender is a
    /// conference focus.
    pub fn routing(&self) -> Routing {
        self.request.routing()
    }

    /// The CPM tags of the Accept-Contact headers.
    pub fn tags(&self) -> TagSet {
        self.request.tags()
    }

    /// The sender as the From header names it; `None` when From does not read by its
    /// grammar ([`NameAddr::parse_in`], which the [`Dispatcher`](crate::Dispatcher)
    /// answers with 400 before any handler is called).
    pub fn sender(&self) -> Option<NameAddr<'a>> {
        self.address(KnownHeader::From)
    }

    /// The recipient as the To header names it; `None` when To does not read by its
    /// grammar (as for [`RequestView::sender`]).
    pub fn recipient(&self) -> Option<NameAddr<'a>> {
        self.address(KnownHeader::To)
    }

    /// The identities the network asserts for the sender (P-Asserted-Identity, RFC
    /// 3325: often a SIP URI and a tel URI), in order. Values that are not addresses
    /// (a URI without a scheme included) are skipped.
    pub fn asserted_identities(&self) -> impl Iterator<Item = NameAddr<'a>> + 'a {
        self.request
            .headers()
            .filter(|h| h.known() == Some(KnownHeader::PAssertedIdentity))
            .flat_map(|h| h.values())
            .filter_map(|v| NameAddr::parse_in(KnownHeader::PAssertedIdentity, v).ok())
    }

    /// Who invited the user, for a session (Referred-By, RFC 3892); `None` when the
    /// value does not read by its grammar (a `cid` must be a quoted string).
    pub fn referred_by(&self) -> Option<NameAddr<'a>> {
        self.address(KnownHeader::ReferredBy)
    }

    /// The Call-ID. RFC 3261 section 25.1 makes it ASCII; one that is not UTF-8 is
    /// empty here (its bytes stay in `request().header("Call-ID")`).
    pub fn call_id(&self) -> &'a str {
        self.text(KnownHeader::CallId).unwrap_or_default()
    }

    /// The Call-ID as written, whatever its bytes.
    pub(crate) fn call_id_bytes(&self) -> &'a [u8] {
        self.known(KnownHeader::CallId).unwrap_or_default()
    }

    /// The CSeq number (the method beside it was checked to equal the request's).
    pub fn cseq(&self) -> u32 {
        self.request.cseq()
    }

    /// Conversation-ID: the conversation this contribution belongs to.
    pub fn conversation_id(&self) -> Option<&'a str> {
        self.text(KnownHeader::ConversationId)
    }

    /// Contribution-ID: this standalone message or this session.
    pub fn contribution_id(&self) -> Option<&'a str> {
        self.text(KnownHeader::ContributionId)
    }

    /// InReplyTo-Contribution-ID: the contribution this one answers.
    pub fn in_reply_to_contribution_id(&self) -> Option<&'a str> {
        self.text(KnownHeader::InReplyToContributionId)
    }

    /// Session-Replaces: the Contribution-ID of the 1-1 session a group session replaces.
    pub fn session_replaces(&self) -> Option<&'a str> {
        self.text(KnownHeader::SessionReplaces)
    }

    /// Subject (RFC 3261 20.36): for a session, the topic the inviter gave it.
    pub fn subject(&self) -> Option<&'a str> {
        self.text(KnownHeader::Subject)
    }

    /// The Content-Type of the body; `None` when absent or malformed.
    pub fn content_type(&self) -> Option<MediaType<'a>> {
        self.known(KnownHeader::ContentType)
            .and_then(|v| MediaType::parse(v).ok())
    }

    /// The body, cut at Content-Length (CPIM for a pager message, SDP or multipart
    /// for an INVITE).
    pub fn body(&self) -> &'a [u8] {
        self.request.body()
    }

    /// The CPM release of the sender, read from User-Agent (or Server); `None` when it
    /// names none.
    pub fn peer_release(&self) -> Option<Release> {
        [KnownHeader::UserAgent, KnownHeader::Server]
            .into_iter()
            .filter_map(|h| self.text(h))
            .find_map(Release::of_peer)
    }

    /// The request as `rsip`'s full typed model (see [`IncomingRequest::to_rsip`](crate::IncomingRequest::to_rsip)).
    ///
    /// # Errors
    ///
    /// What `rsip` reports when its stricter reader refuses the request.
    #[cfg(feature = "rsip")]
    pub fn to_rsip(&self) -> Result<rsip::Request, rsip::Error> {
        self.request.to_rsip()
    }

    /// The SDP offer: the body when it is `application/sdp`, or the first
    /// `application/sdp` part of a `multipart/mixed` body.
    pub(crate) fn sdp(&self) -> Option<Sdp<'a>> {
        let content_type = self.content_type()?;
        let sdp = if content_type.is("application/sdp") {
            self.body()
        } else if content_type.type_().eq_ignore_ascii_case("multipart") {
            Multipart::with_media_type(&content_type, self.body(), DEFAULT_MAX_PARTS)
                .ok()?
                .find("application/sdp")?
                .body()
        } else {
            return None;
        };
        Sdp::parse(sdp).ok()
    }

    /// The address of the first `wanted` header, read by that header's grammar.
    fn address(&self, wanted: KnownHeader) -> Option<NameAddr<'a>> {
        self.known(wanted)
            .and_then(|v| NameAddr::parse_in(wanted, v).ok())
    }

    fn known(&self, wanted: KnownHeader) -> Option<&'a [u8]> {
        self.request
            .first_known(wanted)
            .map(|h| crate::sip::grammar::trim_lws(h.value()))
    }

    fn text(&self, wanted: KnownHeader) -> Option<&'a str> {
        self.known(wanted).and_then(|v| std::str::from_utf8(v).ok())
    }
}

impl fmt::Debug for RequestView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestView")
            .field("method", &self.request.method())
            .field("route", &self.request.route())
            .field("call_id", &self.call_id())
            .finish_non_exhaustive()
    }
}

/// What a pager message carries besides a message, as the dispatcher tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Indication {
    /// An IMDN (RFC 5438).
    Notification,
    /// An is-composing indication (RFC 3994).
    Composing,
    /// Neither: a message.
    None,
}

/// A Pager Mode message (7.2.2.1), stored ones (7.2.3.2) included, as received. (The
/// one a client sends is built by [`outgoing::Pager`](crate::outgoing::Pager).)
///
/// For a `message/cpim` body, [`PagerMessage::cpim`] has the CPIM header block (From,
/// To, DateTime, NS, `imdn.Message-ID`, `imdn.Disposition-Notification`) and
/// [`PagerMessage::content`] the message inside it; for any other body, `content` is the
/// body itself.
#[derive(Debug)]
pub struct PagerMessage<'a> {
    view: RequestView<'a>,
    cpim: Option<Result<CpimMessage<'a>, BodyError>>,
}

impl<'a> PagerMessage<'a> {
    pub(crate) fn new(request: &'a RoutedRequest) -> Self {
        let view = RequestView::new(request);
        let cpim =
            is_cpim(view.known(KnownHeader::ContentType)).then(|| CpimMessage::parse(view.body()));
        PagerMessage { view, cpim }
    }

    /// The message's Content-Type as written (CPIM's inner one, or the body's), from
    /// which [`PagerMessage::content_type`] reads its media type.
    fn content_type_raw(&self) -> Option<&'a [u8]> {
        match &self.cpim {
            Some(Ok(cpim)) => cpim.content_type_raw().map(str::as_bytes),
            _ => self.view.known(KnownHeader::ContentType),
        }
    }

    /// Whether the network delivers a stored message (the `deferred` tag, 7.2.3.2).
    pub fn is_deferred(&self) -> bool {
        self.view.tags().contains(FeatureTag::Deferred)
    }

    /// The CPIM message, when the body is `message/cpim` and reads as one.
    pub fn cpim(&self) -> Option<&CpimMessage<'a>> {
        self.cpim.as_ref().and_then(|c| c.as_ref().ok())
    }

    /// Why a `message/cpim` body could not be read (a handler may answer 400 or 415).
    pub fn cpim_error(&self) -> Option<&BodyError> {
        self.cpim.as_ref().and_then(|c| c.as_ref().err())
    }

    /// The type of the message itself: CPIM's inner Content-Type, or the body's.
    pub fn content_type(&self) -> Option<MediaType<'a>> {
        match &self.cpim {
            Some(Ok(cpim)) => cpim.content_type(),
            _ => self.view.content_type(),
        }
    }

    /// The message itself: the content inside CPIM, or the body.
    pub fn content(&self) -> &'a [u8] {
        match &self.cpim {
            Some(Ok(cpim)) => cpim.content(),
            _ => self.view.body(),
        }
    }
}

impl PagerMessage<'_> {
    /// Whether the message carries an IMDN (RFC 5438: CPIM content
    /// `message/imdn+xml` with `Content-Disposition: notification`). The dispatcher
    /// hands such a message to the [`NotificationHandler`](crate::NotificationHandler),
    /// never to the pager handler.
    pub fn is_notification(&self) -> bool {
        self.cpim().is_some_and(is_notification)
    }

    /// Whether the message is an is-composing indication (RFC 3994: its content,
    /// inside CPIM or bare, is `application/im-iscomposing+xml`). The dispatcher hands
    /// such a message to the [`ComposingHandler`](crate::ComposingHandler), never to
    /// the pager handler.
    pub fn is_composing_indication(&self) -> bool {
        self.content_type()
            .is_some_and(|t| t.is(ISCOMPOSING_CONTENT_TYPE))
    }

    /// [`is_notification`](Self::is_notification) and
    /// [`is_composing_indication`](Self::is_composing_indication) with the content
    /// type read once, as the dispatcher asks both.
    pub(crate) fn indication(&self) -> Indication {
        if plainly_neither(self.content_type_raw()) {
            return Indication::None;
        }
        let content_type = self.content_type();
        if self
            .cpim()
            .is_some_and(|cpim| is_notification_typed(cpim, content_type))
        {
            Indication::Notification
        } else if content_type.is_some_and(|t| t.is(ISCOMPOSING_CONTENT_TYPE)) {
            Indication::Composing
        } else {
            Indication::None
        }
    }

    /// Whether the sender asked for `disposition` (`imdn.Disposition-Notification`
    /// in the CPIM message).
    pub fn asks_for(&self, disposition: Disposition<'_>) -> bool {
        self.cpim()
            .and_then(CpimMessage::disposition_notification)
            .is_some_and(|d| d.contains(disposition))
    }

    /// The IMDN MESSAGE that tells the sender `status` about this message, sent at
    /// `sent_at`: to the sender (From), the original's `imdn.Message-ID` and
    /// `DateTime` in the document, the recipient (To) as `<recipient-uri>`, and the
    /// original's Conversation-ID. Build it with the client's configuration:
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use cpm_client::{Decision, PagerMessage};
    /// use cpm_client::imdn::{DeliveryStatus, ImdnStatus};
    /// use cpm_client::cpim::Disposition;
    ///
    /// fn on_message(message: &PagerMessage<'_>, now: SystemTime) -> Decision {
    ///     if message.asks_for(Disposition::PositiveDelivery) {
    ///         if let Ok(notification) = message.notification(ImdnStatus::Delivery(DeliveryStatus::Delivered), now) {
    ///             // notification.build(&config, &mut ids) and send it after the 200.
    ///             # drop(notification);
    ///         }
    ///     }
    ///     Decision::accept()
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// [`BuildError::Missing`] when the body is not CPIM or has no
    /// `imdn.Message-ID`, or the sender's address is not UTF-8.
    pub fn notification(
        &self,
        status: ImdnStatus,
        sent_at: SystemTime,
    ) -> Result<ImdnMessage, BuildError> {
        let cpim = self.cpim().ok_or(BuildError::Missing {
            field: "message/cpim body",
            why: "an IMDN answers a CPIM message (RFC 5438)",
        })?;
        let sender = self
            .sender()
            .and_then(|s| s.uri_str())
            .ok_or(BuildError::Missing {
                field: "From",
                why: "an IMDN is sent to the sender of the message",
            })?;
        let recipient = self.recipient().and_then(|r| r.uri_str());
        let mut message = ImdnMessage::for_message(cpim, sender, recipient, status, sent_at)?;
        if let Some(conversation) = self.conversation_id() {
            message = message.conversation_id(conversation);
        }
        Ok(message)
    }
}

/// Whether a body whose Content-Type is written `raw` (LWS around it trimmed) is
/// CPIM, as `MediaType::parse(raw)` and `is("message/cpim")` say; the usual value,
/// `message/cpim` alone in any case, is known without reading it as a media type.
fn is_cpim(raw: Option<&[u8]>) -> bool {
    match raw {
        Some(raw) if raw.eq_ignore_ascii_case(b"message/cpim") => true,
        _ => raw
            .and_then(|raw| MediaType::parse(raw).ok())
            .is_some_and(|t| t.is("message/cpim")),
    }
}

/// Whether a Content-Type written `raw` is plainly neither an IMDN's (RFC 5438) nor
/// an is-composing indication's (RFC 3994) without reading it whole: there is none,
/// or it starts `type/subtype` (tokens with nothing between them and the `/`), ended
/// by `;` or the end, that is neither type. Whatever its parameters, it cannot then
/// read as one of those types; `false` leaves the question to the full reading.
fn plainly_neither(raw: Option<&[u8]>) -> bool {
    let Some(raw) = raw else {
        return true;
    };
    let essence = raw.split(|&b| b == b';').next().unwrap_or_default();
    let Some(slash) = essence.iter().position(|&b| b == b'/') else {
        return false;
    };
    let token = |part: &[u8]| !part.is_empty() && part.iter().all(|&b| is_mime_token_char(b));
    let (type_, subtype) = essence.split_at(slash);
    token(type_)
        && token(subtype.get(1..).unwrap_or_default())
        && !essence.eq_ignore_ascii_case(IMDN_CONTENT_TYPE.as_bytes())
        && !essence.eq_ignore_ascii_case(ISCOMPOSING_CONTENT_TYPE.as_bytes())
}

/// A received IMDN (RFC 5438), carried by a pager-mode MESSAGE: the message and the
/// notification document read from it. It dereferences to the [`PagerMessage`] that
/// carried it.
#[derive(Debug)]
pub struct ImdnReceived<'a> {
    message: PagerMessage<'a>,
    imdn: Imdn,
}

impl<'a> ImdnReceived<'a> {
    pub(crate) fn new(message: PagerMessage<'a>, imdn: Imdn) -> Self {
        ImdnReceived { message, imdn }
    }

    /// The whole notification document (recipient URIs, subject, ...).
    pub fn imdn(&self) -> &Imdn {
        &self.imdn
    }

    /// The `imdn.Message-ID` of the message notified about: one this client sent.
    pub fn notified_message_id(&self) -> &str {
        &self.imdn.message_id
    }

    /// What happened to it: which notification and its status.
    pub fn status(&self) -> ImdnStatus {
        self.imdn.status
    }
}

/// A MESSAGE that names no CPM service (RFC 3428 instant messaging from a plain SIP
/// peer: no `+g.3gpp.icsi-ref` in Accept-Contact, no P-Preferred-Service), handed to
/// the [`PlainMessageHandler`](crate::PlainMessageHandler) when the dispatcher was
/// given one. Its body is usually the message itself (`text/plain`); a
/// `message/cpim` body is read as CPIM all the same. It dereferences to the same
/// reading a [`PagerMessage`] gives (content, content type, CPIM, sender).
#[derive(Debug)]
pub struct PlainMessage<'a> {
    message: PagerMessage<'a>,
}

impl<'a> PlainMessage<'a> {
    pub(crate) fn new(request: &'a RoutedRequest) -> Self {
        PlainMessage {
            message: PagerMessage::new(request),
        }
    }

    /// Whether the body is wrapped in CPIM (a plain peer usually sends the content
    /// bare).
    pub fn is_cpim(&self) -> bool {
        self.message.cpim().is_some()
    }
}

impl<'a> Deref for PlainMessage<'a> {
    type Target = PagerMessage<'a>;

    fn deref(&self) -> &PagerMessage<'a> {
        &self.message
    }
}

/// A received is-composing indication (RFC 3994) carried by a pager-mode MESSAGE:
/// the message and the document read from it. It dereferences to the
/// [`PagerMessage`] that carried it.
#[derive(Debug)]
pub struct ComposingReceived<'a> {
    message: PagerMessage<'a>,
    indication: IsComposing,
}

impl<'a> ComposingReceived<'a> {
    pub(crate) fn new(message: PagerMessage<'a>, indication: IsComposing) -> Self {
        ComposingReceived {
            message,
            indication,
        }
    }

    /// The whole document (last active time, content type, refresh).
    pub fn indication(&self) -> &IsComposing {
        &self.indication
    }

    /// Whether the peer is typing (`active`) or stopped (`idle`).
    pub fn state(&self) -> ComposingState {
        self.indication.state
    }
}

impl<'a> Deref for ComposingReceived<'a> {
    type Target = PagerMessage<'a>;

    fn deref(&self) -> &PagerMessage<'a> {
        &self.message
    }
}

impl<'a> Deref for ImdnReceived<'a> {
    type Target = PagerMessage<'a>;

    fn deref(&self) -> &PagerMessage<'a> {
        &self.message
    }
}

impl<'a> Deref for PagerMessage<'a> {
    type Target = RequestView<'a>;

    fn deref(&self) -> &RequestView<'a> {
        &self.view
    }
}

/// What the views of INVITEs share: the request and its SDP offer.
macro_rules! invitation_view {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name<'a> {
            view: RequestView<'a>,
            sdp: Option<Sdp<'a>>,
        }

        impl<'a> $name<'a> {
            pub(crate) fn new(request: &'a RoutedRequest) -> Self {
                let view = RequestView::new(request);
                $name { sdp: view.sdp(), view }
            }

            /// The SDP offer (the body, or the `application/sdp` part of a multipart
            /// body); `None` when there is none or it is not SDP.
            pub fn sdp(&self) -> Option<&Sdp<'a>> {
                self.sdp.as_ref()
            }

            /// The offered MSRP media (the first `m=message` line): path,
            /// accept-types, accept-wrapped-types, setup, direction, max-size.
            pub fn msrp(&self) -> Option<MsrpMedia<'a>> {
                self.sdp.as_ref().and_then(|sdp| sdp.msrp())
            }
        }

        impl<'a> Deref for $name<'a> {
            type Target = RequestView<'a>;

            fn deref(&self) -> &RequestView<'a> {
                &self.view
            }
        }
    };
}

invitation_view! {
    /// A Large Message Mode INVITE (7.2.2.2), stored ones (7.2.3.2) included.
    LargeMessageInvitation
}

invitation_view! {
    /// An invitation to a CPM session (7.3.2), one-to-one or group, as received. (The
    /// one a client sends is built by
    /// [`outgoing::Session`](crate::outgoing::Session).)
    SessionInvitation
}

invitation_view! {
    /// A file-transfer INVITE (7.4.2).
    FileTransferInvitation
}

invitation_view! {
    /// A deferred delivery of group-session messages (7.3.11).
    DeferredGroupSession
}

impl LargeMessageInvitation<'_> {
    /// Whether the network delivers a stored message (the `deferred` tag, 7.2.3.2).
    pub fn is_deferred(&self) -> bool {
        self.view.tags().contains(FeatureTag::Deferred)
    }
}

impl SessionInvitation<'_> {
    /// Whether this is a group session: the inviter's Contact carries `isfocus`.
    pub fn is_group(&self) -> bool {
        self.view.routing().from_focus
    }
}

impl<'a> FileTransferInvitation<'a> {
    /// The offered file: name, type, size and hash (`a=file-selector`, RFC 5547).
    pub fn file_selector(&self) -> Option<FileSelector<'a>> {
        self.msrp().and_then(|m| m.file_selector())
    }

    /// `a=file-transfer-id`.
    pub fn file_transfer_id(&self) -> Option<&'a str> {
        self.msrp().and_then(|m| m.file_transfer_id())
    }

    /// `a=file-disposition` (`render`, `attachment`).
    pub fn file_disposition(&self) -> Option<&'a str> {
        self.msrp().and_then(|m| m.file_disposition())
    }
}

impl DeferredGroupSession<'_> {
    /// Whether the body is multipart: one of the hints to a group delivery an
    /// application may weigh to overrule the route.
    pub fn is_multipart(&self) -> bool {
        self.view
            .content_type()
            .is_some_and(|t| t.type_().eq_ignore_ascii_case("multipart"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Content-Type values, usual and odd, for the shortcuts to agree with the full
    /// reading on.
    const VALUES: &[&[u8]] = &[
        b"message/cpim",
        b"Message/CPIM",
        b"message/cpim;x=1",
        b"message / cpim",
        b"message/cpimx",
        b"message/cpi",
        b"message/imdn+xml",
        b"MESSAGE/IMDN+XML;charset=utf-8",
        b"message/imdn+xml;",
        b"message/imdn+xml;=bad",
        b"message/imdn+xml x",
        b"message /imdn+xml",
        b"application/im-iscomposing+xml",
        b"Application/IM-isComposing+XML; x=\"a;b\"",
        b"application/im-iscomposing+xml;bad",
        b"text/plain",
        b"text/plain;charset=UTF-8",
        b"text/plain;=",
        b"text/plain x",
        b"text/",
        b"/plain",
        b"text",
        b"",
        b";",
        b"text/pl\xffain",
        b"\xff/imdn",
        b"message/imdn+xml\r\n ;x=1",
        b"*/*",
        b"message/*",
        b"a/b/c",
    ];

    #[test]
    fn the_cpim_shortcut_agrees_with_the_full_reading() {
        for &raw in VALUES {
            let full = MediaType::parse(raw)
                .ok()
                .is_some_and(|t| t.is("message/cpim"));
            assert_eq!(
                is_cpim(Some(raw)),
                full,
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
        assert!(!is_cpim(None));
    }

    #[test]
    fn plainly_neither_is_said_only_of_values_that_are_neither() {
        let mut said = 0;
        for &raw in VALUES {
            let full = MediaType::parse(raw).ok();
            let either =
                full.is_some_and(|t| t.is(IMDN_CONTENT_TYPE) || t.is(ISCOMPOSING_CONTENT_TYPE));
            if plainly_neither(Some(raw)) {
                said += 1;
                assert!(!either, "{:?}", String::from_utf8_lossy(raw));
            }
        }
        // The usual values are told apart by the shortcut.
        assert!(plainly_neither(Some(b"text/plain;charset=UTF-8")));
        assert!(plainly_neither(Some(b"message/cpim")));
        assert!(plainly_neither(None));
        assert!(said > 5);
    }
}
