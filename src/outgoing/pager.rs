//! 7.2.1.1 pager mode: [`Pager`] builds a MESSAGE carrying a CPIM message, or
//! (when asked) switches to large-message mode for a message too large for it.

use std::time::SystemTime;

use super::large_message::{LargeMessage, LargeMessageRequests};
use super::{
    assemble, check_token, cpm_id_setters, message_setters, resolve_cpm_ids, sip_id_setters,
    BuildError, ClientConfig, CpmIds, Draft, IdGenerator, OutgoingRequest, SipIds,
};
use super::{Content, DispositionNotification};
use crate::cpim::CpimBuilder;
use crate::mime::{check_media_type, MediaType};
use crate::routing::FeatureTag;
use crate::sip::{split_list, IncomingResponse};

/// A standalone message as built: a pager-mode MESSAGE, or the large-message INVITE
/// and MSRP message when the pager builder was allowed to switch.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum Standalone {
    /// 7.2.1.1: one MESSAGE.
    Pager(OutgoingRequest),
    /// 7.2.1.2: an INVITE, then the message over MSRP.
    LargeMessage(LargeMessageRequests),
}

impl Standalone {
    /// The MESSAGE, if pager mode was used.
    pub fn into_pager(self) -> Option<OutgoingRequest> {
        match self {
            Standalone::Pager(request) => Some(request),
            Standalone::LargeMessage(_) => None,
        }
    }

    /// The large-message requests, if the builder switched.
    pub fn into_large_message(self) -> Option<LargeMessageRequests> {
        match self {
            Standalone::LargeMessage(requests) => Some(requests),
            Standalone::Pager(_) => None,
        }
    }

    /// The first request to send: the MESSAGE or the INVITE.
    pub fn request(&self) -> &OutgoingRequest {
        match self {
            Standalone::Pager(request) => request,
            Standalone::LargeMessage(requests) => &requests.invite,
        }
    }
}

/// A pager-mode standalone message (7.2.1.1): MESSAGE to the recipient with the `msg`
/// ICSI in Accept-Contact and P-Preferred-Service, Conversation-ID, Contribution-ID,
/// InReplyTo-Contribution-ID when replying, no Contact, and a `message/cpim` body
/// (CPIM From, To, DateTime, `imdn.Message-ID`, and `imdn.Disposition-Notification`
/// when asked). (A received one is handed to handlers as
/// [`cpm_client::PagerMessage`](crate::PagerMessage).)
///
/// A CPIM body over the configured pager limit is refused with
/// [`BuildError::TooLargeForPagerMode`], unless
/// [`switch_to_large_message`](Self::switch_to_large_message) was set: then the result
/// is [`Standalone::LargeMessage`].
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use cpm_client::outgoing::*;
///
/// let config = ClientConfig::new("sip:+15550100001@ims.example.net",
///     ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?)?
///     .with_pager_limit(100);
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_515_300);
/// let long = Content::text(&"x".repeat(200));
/// let ids = &mut SequentialIds::new(1);
///
/// let refused = Pager::new("sip:+15550100002@ims.example.net", long.clone(), now).build(&config, ids);
/// assert!(matches!(refused, Err(BuildError::TooLargeForPagerMode { limit: 100, .. })));
///
/// let switched = Pager::new("sip:+15550100002@ims.example.net", long, now)
///     .switch_to_large_message(true)
///     .build(&config, ids)?;
/// assert_eq!(switched.request().method(), "INVITE");
/// # Ok::<(), cpm_client::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pager {
    pub(crate) to: String,
    pub(crate) content: Content,
    pub(crate) sent_at: SystemTime,
    pub(crate) sip: SipIds,
    pub(crate) cpm: CpmIds,
    pub(crate) in_reply_to: Option<String>,
    pub(crate) message_id: Option<String>,
    pub(crate) disposition: Option<DispositionNotification<'static>>,
    pub(crate) imdn: bool,
    switch: bool,
    plain: bool,
}

impl Pager {
    /// A message to `to` (a `sip:`, `sips:` or `tel:` URI), sent at `sent_at` (CPIM
    /// DateTime).
    pub fn new(to: &str, content: Content, sent_at: SystemTime) -> Pager {
        Pager {
            to: to.to_owned(),
            content,
            sent_at,
            sip: SipIds::default(),
            cpm: CpmIds::default(),
            in_reply_to: None,
            message_id: None,
            disposition: None,
            imdn: true,
            switch: false,
            plain: false,
        }
    }

    sip_id_setters!();
    cpm_id_setters!();
    message_setters!();

    /// When the message is over the pager limit, build it in large-message mode
    /// (with the default large-message settings) instead of refusing it.
    pub fn switch_to_large_message(mut self, switch: bool) -> Pager {
        self.switch = switch;
        self
    }

    /// Sends the content bare, without CPIM, for a plain SIP peer (RFC 3428): the
    /// MESSAGE body is the content itself, with its own Content-Type; the CPM headers
    /// stay (a plain peer ignores them). Without CPIM there is no `imdn.Message-ID`,
    /// so no IMDN can be asked for or received, and CPIM content headers
    /// ([`Content::with_header`]) are not sent. The application chooses this, for
    /// example after a 415 whose Accept lacks `message/cpim` ([`accepts_cpim`]). A
    /// large-message switch, if allowed, still wraps the content in CPIM.
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use cpm_client::outgoing::*;
    /// # let config = ClientConfig::new("sip:a@example.net", ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?)?;
    /// let bare = Pager::new("sip:b@example.net", Content::text("Hi"), SystemTime::UNIX_EPOCH)
    ///     .without_cpim()
    ///     .build(&config, &mut SequentialIds::new(1))?;
    /// let text = String::from_utf8_lossy(bare.request().as_bytes()).into_owned();
    /// assert!(text.ends_with("Content-Type: text/plain;charset=UTF-8\r\nContent-Length: 2\r\n\r\nHi"));
    /// # Ok::<(), cpm_client::BuildError>(())
    /// ```
    pub fn without_cpim(mut self) -> Pager {
        self.plain = true;
        self
    }

    /// Builds the MESSAGE (or, if allowed and needed, the large-message requests).
    ///
    /// # Errors
    ///
    /// [`BuildError::TooLargeForPagerMode`]; a [`BuildError`] naming any field outside
    /// its grammar.
    pub fn build(
        &self,
        config: &ClientConfig,
        ids: &mut dyn IdGenerator,
    ) -> Result<Standalone, BuildError> {
        let (cpim, content_type) = if self.plain {
            check_media_type("content type", self.content.content_type())?;
            (self.content.body().to_vec(), self.content.content_type())
        } else {
            (self.cpim(config).write(ids)?.0, "message/cpim")
        };
        if cpim.len() > config.pager_limit() {
            if self.switch {
                let large = LargeMessage::from_pager(self);
                return large.build(config, ids).map(Standalone::LargeMessage);
            }
            return Err(BuildError::TooLargeForPagerMode {
                size: cpim.len(),
                limit: config.pager_limit(),
            });
        }
        let (conversation, contribution) = resolve_cpm_ids(&self.cpm, ids)?;
        let mut extra = Vec::new();
        if let Some(id) = &self.in_reply_to {
            extra.push((
                "InReplyTo-Contribution-ID",
                check_token("InReplyTo-Contribution-ID", id)?.to_owned(),
            ));
        }
        assemble(
            config,
            ids,
            Draft {
                method: "MESSAGE",
                request_uri: &self.to,
                to: ("recipient", &self.to),
                sip: &self.sip,
                contact: None,
                service: Some(FeatureTag::Msg),
                cpm: Some((&conversation, &contribution)),
                extra,
                body: Some((content_type, &cpim)),
            },
        )
        .map(Standalone::Pager)
    }

    /// The CPIM message of this standalone message.
    pub(crate) fn cpim(&self, config: &ClientConfig) -> CpimBuilder {
        cpim_of(
            config,
            &self.to,
            self.sip.to_display_name.as_deref(),
            self.sent_at,
            &self.content,
            self.imdn,
            self.message_id.as_deref(),
            self.disposition.as_ref(),
        )
    }
}

/// The CPIM message of a standalone message (pager or large).
#[allow(clippy::too_many_arguments)]
pub(crate) fn cpim_of(
    config: &ClientConfig,
    to: &str,
    to_name: Option<&str>,
    sent_at: SystemTime,
    content: &Content,
    imdn: bool,
    message_id: Option<&str>,
    disposition: Option<&DispositionNotification<'_>>,
) -> CpimBuilder {
    let mut cpim = CpimBuilder::new(config.identity(), to, sent_at, content.clone())
        .from_display_name(config.display_name())
        .to_display_name(to_name);
    if let Some(disposition) = disposition {
        cpim = cpim.disposition(disposition.clone());
    }
    if let Some(id) = message_id {
        cpim = cpim.message_id(id);
    }
    if !imdn {
        cpim = cpim.without_imdn();
    }
    cpim
}

/// Whether a peer's response says it takes `message/cpim`, read from its Accept
/// header (RFC 3261 section 21.4.18 makes a 415 carry one): `Some(true)` when a listed
/// type is `message/cpim`, `message/*` or `*/*`, `Some(false)` when none is (then
/// send with [`Pager::without_cpim`]), `None` when the response has no Accept.
///
/// ```
/// use cpm_client::{outgoing::accepts_cpim, IncomingResponse};
///
/// let answer = |accept: &str| IncomingResponse::parse(bytes::Bytes::from(format!(
///     "SIP/2.0 415 Unsupported Media Type\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\
///      From: <sip:a@x.net>;tag=1\r\nTo: <sip:b@x.net>;tag=2\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\n{accept}\
///      Content-Length: 0\r\n\r\n"))).unwrap();
/// assert_eq!(accepts_cpim(&answer("Accept: text/plain, text/html\r\n")), Some(false));
/// assert_eq!(accepts_cpim(&answer("Accept: text/plain;q=1, Message/CPIM\r\n")), Some(true));
/// assert_eq!(accepts_cpim(&answer("")), None);
/// ```
pub fn accepts_cpim(response: &IncomingResponse) -> Option<bool> {
    let mut found = false;
    for header in response.headers().filter(|h| h.is("Accept")) {
        found = true;
        for value in split_list(header.value()) {
            let Ok(media) = MediaType::parse(value) else {
                continue;
            };
            let (t, sub) = (media.type_(), media.subtype());
            let any = t == "*" && sub == "*";
            let message = t.eq_ignore_ascii_case("message")
                && (sub == "*" || sub.eq_ignore_ascii_case("cpim"));
            if any || message {
                return Some(true);
            }
        }
    }
    // An empty Accept says the peer takes no body at all.
    found.then_some(false)
}
