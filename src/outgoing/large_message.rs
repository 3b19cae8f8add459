//! 7.2.1.2 large-message mode: [`LargeMessage`] builds the INVITE that opens a
//! send-only MSRP session, and the [`MsrpMessage`] that carries the CPIM message once
//! the session is up.

use std::time::SystemTime;

use bytes::Bytes;

use super::local_msrp::{msrp_setters, LocalMsrp};
use super::pager::{cpim_of, Pager};
use super::{
    assemble, check_token, cpm_id_setters, message_setters, resolve_cpm_ids, sip_id_setters,
    BuildError, ClientConfig, CpmIds, Draft, IdGenerator, OutgoingRequest, SipIds,
};
use super::{Content, DispositionNotification};
use crate::msrp::{MsrpMessage, DEFAULT_CHUNK_SIZE};
use crate::routing::FeatureTag;
use crate::sdp::Direction;

/// What a large message is sent as: the INVITE, then (after the 2xx and ACK, which
/// are the application's) the CPIM message in MSRP SEND chunks, then BYE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LargeMessageRequests {
    /// The INVITE with the SDP offer.
    pub invite: OutgoingRequest,
    /// The CPIM message, to be framed once the peer's MSRP path is known.
    pub message: MsrpMessage,
}

impl LargeMessageRequests {
    /// The SEND chunks to the peer's path (`a=path` of its SDP answer).
    ///
    /// # Errors
    ///
    /// As [`MsrpMessage::chunks`].
    pub fn chunks(
        &self,
        to_path: &str,
        ids: &mut dyn IdGenerator,
    ) -> Result<Vec<Bytes>, BuildError> {
        self.message.chunks(to_path, ids)
    }
}

/// A large-message mode standalone message (7.2.1.2): INVITE to the recipient with the
/// `largemsg` ICSI in Accept-Contact, P-Preferred-Service and Contact,
/// Conversation-ID, Contribution-ID, and an SDP offer for a send-only MSRP session
/// (`a=accept-types:message/cpim`, `a=accept-wrapped-types:` the content's type,
/// `a=path`, `a=setup`, `a=sendonly`, `a=max-size` when set). The CPIM message is
/// built at the same time and comes back ready to be chunked.
///
/// ```
/// use std::time::SystemTime;
/// use cpm_client::outgoing::*;
/// use cpm_client::{route, Route};
///
/// let config = ClientConfig::new("sip:+15550100001@ims.example.net",
///     ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?)?;
/// let ids = &mut SequentialIds::new(1);
/// let large = LargeMessage::new("sip:+15550100002@ims.example.net", Content::text(&"long ".repeat(1000)), SystemTime::UNIX_EPOCH)
///     .max_size(Some(2_048_000))
///     .chunk_size(1024)
///     .build(&config, ids)?;
/// assert_eq!(route(large.invite.as_bytes()), Ok(Route::LargeMessage));
/// let chunks = large.chunks("msrp://192.0.2.20:9/peer1;tcp", ids)?;
/// assert!(chunks.len() > 1);
/// # Ok::<(), cpm_client::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LargeMessage {
    to: String,
    content: Content,
    sent_at: SystemTime,
    sip: SipIds,
    cpm: CpmIds,
    msrp: LocalMsrp,
    in_reply_to: Option<String>,
    message_id: Option<String>,
    disposition: Option<DispositionNotification<'static>>,
    imdn: bool,
    max_size: Option<u64>,
    chunk_size: usize,
    msrp_message_id: Option<String>,
}

impl LargeMessage {
    /// A message to `to`, sent at `sent_at` (CPIM DateTime).
    pub fn new(to: &str, content: Content, sent_at: SystemTime) -> LargeMessage {
        LargeMessage {
            to: to.to_owned(),
            content,
            sent_at,
            sip: SipIds::default(),
            cpm: CpmIds::default(),
            msrp: LocalMsrp::default(),
            in_reply_to: None,
            message_id: None,
            disposition: None,
            imdn: true,
            max_size: None,
            chunk_size: DEFAULT_CHUNK_SIZE,
            msrp_message_id: None,
        }
    }

    /// The same message as a pager-mode one, for the switch.
    pub(crate) fn from_pager(pager: &Pager) -> LargeMessage {
        LargeMessage {
            sip: pager.sip.clone(),
            cpm: pager.cpm.clone(),
            in_reply_to: pager.in_reply_to.clone(),
            message_id: pager.message_id.clone(),
            disposition: pager.disposition.clone(),
            imdn: pager.imdn,
            ..LargeMessage::new(&pager.to, pager.content.clone(), pager.sent_at)
        }
    }

    sip_id_setters!();
    cpm_id_setters!();
    msrp_setters!();
    message_setters!();

    /// `a=max-size` in the offer.
    pub fn max_size(mut self, bytes: Option<u64>) -> LargeMessage {
        self.max_size = bytes;
        self
    }

    /// The largest content of one MSRP chunk ([`DEFAULT_CHUNK_SIZE`] by default; 0 is
    /// refused by [`build`](Self::build), see [`MsrpMessage::chunk_size`] for the rest).
    pub fn chunk_size(mut self, bytes: usize) -> LargeMessage {
        self.chunk_size = bytes;
        self
    }

    /// The MSRP Message-ID instead of a generated one.
    pub fn msrp_message_id(mut self, id: &str) -> LargeMessage {
        self.msrp_message_id = Some(id.to_owned());
        self
    }

    /// Builds the INVITE and the MSRP message.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] naming any field outside its grammar, and a chunk size of 0
    /// (the message could never be sent).
    pub fn build(
        &self,
        config: &ClientConfig,
        ids: &mut dyn IdGenerator,
    ) -> Result<LargeMessageRequests, BuildError> {
        if self.chunk_size == 0 {
            return Err(crate::error::invalid("chunk size", "0", "at least 1 byte"));
        }
        let (cpim, _) = cpim_of(
            config,
            &self.to,
            self.sip.to_display_name.as_deref(),
            self.sent_at,
            &self.content,
            self.imdn,
            self.message_id.as_deref(),
            self.disposition.as_ref(),
        )
        .write(ids)?;
        let (path, sdp) = self.msrp.offer(config, ids, Direction::SendOnly)?;
        let sdp = sdp
            .accept_types(&["message/cpim"])
            .accept_wrapped_types(&[self.content.essence()])
            .max_size(self.max_size)
            .write()?;
        let (conversation, contribution) = resolve_cpm_ids(&self.cpm, ids)?;
        let mut extra = Vec::new();
        if let Some(id) = &self.in_reply_to {
            extra.push((
                "InReplyTo-Contribution-ID",
                check_token("InReplyTo-Contribution-ID", id)?.to_owned(),
            ));
        }
        let invite = assemble(
            config,
            ids,
            Draft::cpm_invite(
                ("recipient", &self.to),
                &self.sip,
                FeatureTag::LargeMsg,
                (&conversation, &contribution),
                extra,
                ("application/sdp", &sdp),
            ),
        )?
        .with_local_msrp_path(path.clone());
        let mut message = MsrpMessage::new(&path, "message/cpim", cpim).chunk_size(self.chunk_size);
        if let Some(id) = &self.msrp_message_id {
            message = message.message_id(id);
        }
        Ok(LargeMessageRequests { invite, message })
    }
}
