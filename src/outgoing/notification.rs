//! Pager-mode IMDN (RFC 5438, sent as section 7.2.1.1 describes a pager-mode
//! message): [`ImdnMessage`] builds the MESSAGE that tells a sender what became of
//! its message.

use std::time::SystemTime;

use super::{
    assemble, check_token, cpm_id_setters, resolve_cpm_ids, sip_id_setters, BuildError,
    ClientConfig, CpmIds, Draft, IdGenerator, OutgoingRequest, SipIds,
};
use crate::cpim::{CpimBuilder, CpimMessage};
use crate::imdn::{Imdn, ImdnStatus};
use crate::routing::FeatureTag;

/// A MESSAGE carrying one IMDN: the `msg` ICSI in Accept-Contact and
/// P-Preferred-Service, Conversation-ID and Contribution-ID, `Content-Type:
/// message/cpim`, and a CPIM message From us To the original sender with its own new
/// `imdn.Message-ID`, `DateTime`, no `imdn.Disposition-Notification` (a notification
/// is never acknowledged, RFC 5438), and the `message/imdn+xml`
/// content with `Content-Disposition: notification`.
///
/// [`ImdnMessage::for_message`] fills in everything from the message received; for
/// a pager-mode message the dispatcher's view does it too
/// ([`PagerMessage::notification`](crate::PagerMessage::notification)).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use cpm_client::cpim::CpimMessage;
/// use cpm_client::imdn::{DisplayStatus, ImdnStatus};
/// use cpm_client::outgoing::*;
///
/// let config = ClientConfig::new("sip:+15550100002@ims.example.net",
///     ContactAddress::new("192.0.2.20", 5060, Transport::Tcp)?)?;
/// let received = CpimMessage::parse(b"From: <sip:+15550100001@ims.example.net>\r\n\
///     To: <sip:+15550100002@ims.example.net>\r\nDateTime: 2026-11-24T10:15:00.000Z\r\n\
///     NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: m1\r\n\
///     imdn.Disposition-Notification: positive-delivery, display\r\n\r\n\
///     Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nHi").unwrap();
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_515_360);
/// let message = ImdnMessage::for_message(&received, "sip:+15550100001@ims.example.net", None,
///         ImdnStatus::Display(DisplayStatus::Displayed), now)?
///     .build(&config, &mut SequentialIds::new(1))?;
/// let text = String::from_utf8_lossy(message.as_bytes()).into_owned();
/// assert!(text.starts_with("MESSAGE sip:+15550100001@ims.example.net SIP/2.0\r\n"));
/// assert!(text.contains("Content-Disposition: notification\r\n"));
/// assert!(text.contains("<message-id>m1</message-id>"));
/// assert!(!text.contains("imdn.Disposition-Notification"));
/// # Ok::<(), cpm_client::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImdnMessage {
    to: String,
    cpim_to: String,
    imdn: Imdn,
    sent_at: SystemTime,
    sip: SipIds,
    cpm: CpmIds,
    message_id: Option<String>,
}

impl ImdnMessage {
    /// The notification `imdn` to `to` (the original sender's `sip:`, `sips:` or
    /// `tel:` URI, which is also the CPIM To), sent at `sent_at` (CPIM DateTime).
    pub fn new(to: &str, imdn: Imdn, sent_at: SystemTime) -> ImdnMessage {
        ImdnMessage {
            to: to.to_owned(),
            cpim_to: to.to_owned(),
            imdn,
            sent_at,
            sip: SipIds::default(),
            cpm: CpmIds::default(),
            message_id: None,
        }
    }

    /// The notification with `status` for the CPIM message `original` received from
    /// `original_sender` (the SIP URI to send to; the CPIM To is the original's CPIM
    /// From when that is a `sip:`, `sips:` or `tel:` URI, else this), naming
    /// `original_recipient` (ourselves, as the message was addressed) in
    /// `<recipient-uri>` when given. The original's `imdn.Message-ID` and `DateTime`
    /// go in the document. The original may be a pager-mode message, a large message
    /// or a chat message of a session: each is a CPIM message.
    ///
    /// # Errors
    ///
    /// [`BuildError::Missing`] when the original has no `imdn.Message-ID`.
    pub fn for_message(
        original: &CpimMessage<'_>,
        original_sender: &str,
        original_recipient: Option<&str>,
        status: ImdnStatus,
        sent_at: SystemTime,
    ) -> Result<ImdnMessage, BuildError> {
        let mut imdn = Imdn::for_message(original, status)?;
        if let Some(recipient) = original_recipient {
            imdn = imdn.with_recipient_uri(recipient);
        }
        let mut message = ImdnMessage::new(original_sender, imdn, sent_at);
        if let Some(from) = original.from() {
            let scheme = from.uri.split(':').next().unwrap_or_default();
            if ["sip", "sips", "tel"]
                .iter()
                .any(|s| s.eq_ignore_ascii_case(scheme))
            {
                message.cpim_to = from.uri.to_owned();
            }
        }
        Ok(message)
    }

    sip_id_setters!();
    cpm_id_setters!();

    /// The notification's own `imdn.Message-ID` instead of a generated one.
    pub fn message_id(mut self, id: &str) -> ImdnMessage {
        self.message_id = Some(id.to_owned());
        self
    }

    /// The IMDN document the MESSAGE carries.
    pub fn imdn(&self) -> &Imdn {
        &self.imdn
    }

    /// Builds the MESSAGE.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] naming any field outside its grammar.
    pub fn build(
        &self,
        config: &ClientConfig,
        ids: &mut dyn IdGenerator,
    ) -> Result<OutgoingRequest, BuildError> {
        let mut cpim = CpimBuilder::new(
            config.identity(),
            &self.cpim_to,
            self.sent_at,
            self.imdn.to_content()?,
        )
        .from_display_name(config.display_name());
        if let Some(id) = &self.message_id {
            cpim = cpim.message_id(check_token("imdn.Message-ID", id)?);
        }
        let (cpim, _) = cpim.write(ids)?;
        let (conversation, contribution) = resolve_cpm_ids(&self.cpm, ids)?;
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
                extra: Vec::new(),
                body: Some(("message/cpim", &cpim)),
            },
        )
    }
}
