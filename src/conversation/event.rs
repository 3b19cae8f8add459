//! What a [`Conversation`](super::Conversation) hands out: [`ConversationEvent`], the
//! received [`SessionMessage`], and the errors of both directions.

use std::sync::Arc;

use bytes::Bytes;

use crate::cpim::{CpimMessage, Disposition, DispositionNotification};
use crate::error::BuildError;
use crate::imdn::{Imdn, XmlBodyError};
use crate::iscomposing::IsComposing;
use crate::mime::{BodyError, MediaType};
use crate::msrp::{ExpectedFile, FileCheck, MsrpEvent, MsrpSessionError};

/// One message received in a session: a chat message (OMA CPM 7.3.2), a large
/// message (7.2.2.2) or a message delivered in a deferred group session (7.3.11),
/// with its CPIM envelope read into owned values.
///
/// A message sent bare (not `message/cpim`, which RFC 4975 allows when both ends
/// accept the type) has no envelope: `cpim`, `from`, `date_time` and `message_id` are
/// `None`, `to` is empty, and `content_type` and `body` are the MSRP message's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionMessage {
    /// The MSRP Message-ID it came under (RFC 4975 section 7.1.1): not the IMDN one.
    pub msrp_message_id: Arc<str>,
    /// The whole CPIM message as received, when the content was `message/cpim`
    /// ([`cpim()`](Self::cpim) reads it again for any header not copied here).
    pub cpim: Option<Bytes>,
    /// The CPIM `From` URI: the author (in a group session or deferred delivery, the
    /// participant who wrote it, not the focus).
    pub from: Option<String>,
    /// The display name of the CPIM `From`, without its quotes.
    pub from_display_name: Option<String>,
    /// The CPIM `To` URIs.
    pub to: Vec<String>,
    /// The CPIM `DateTime`, as written: when the author sent it.
    pub date_time: Option<String>,
    /// The `imdn.Message-ID` (RFC 5438 section 6.3): what an IMDN about this message
    /// names, and what [`Conversation::send_notification`](super::Conversation::send_notification)
    /// puts in the notification.
    pub message_id: Option<String>,
    /// The `imdn.Disposition-Notification`: which notifications the author asks for.
    pub disposition_notification: Option<DispositionNotification<'static>>,
    /// The Content-Type of the content, parameters included (the inner one of a CPIM
    /// message).
    pub content_type: String,
    /// The content: a slice of the reassembled message, not a copy.
    pub body: Bytes,
}

impl SessionMessage {
    /// Whether the author asked for `disposition` (a message without
    /// `imdn.Disposition-Notification` asks for nothing, RFC 5438 section 6.2).
    pub fn asks_for(&self, disposition: Disposition<'_>) -> bool {
        self.disposition_notification
            .as_ref()
            .is_some_and(|d| d.contains(disposition))
    }

    /// The CPIM message read again from [`cpim`](Self::cpim), for headers this view
    /// does not copy (Subject, cc, other namespaces). `None` for a bare message.
    pub fn cpim(&self) -> Option<CpimMessage<'_>> {
        self.cpim
            .as_deref()
            .and_then(|bytes| CpimMessage::parse(bytes).ok())
    }

    /// The body as text when its type is `text/*` and it is valid UTF-8 (the charset
    /// parameter is not consulted: CPM text is UTF-8).
    pub fn text(&self) -> Option<&str> {
        let is_text = MediaType::parse(self.content_type.as_str()).is_ok_and(|t| t.is("text/*"));
        if is_text {
            std::str::from_utf8(&self.body).ok()
        } else {
            None
        }
    }
}

/// Why received content could not be handed out as what it claimed to be. The MSRP
/// message was whole and answered 200 already; only its content is at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContentError {
    /// The `message/cpim` content does not read (RFC 3862).
    #[error("CPIM message does not read: {0}")]
    Cpim(#[from] BodyError),
    /// A `message/imdn+xml` notification does not read (RFC 5438).
    #[error("IMDN does not read: {0}")]
    Imdn(XmlBodyError),
    /// An `application/im-iscomposing+xml` indication does not read (RFC 3994).
    #[error("is-composing indication does not read: {0}")]
    IsComposing(XmlBodyError),
}

/// Why a `send_*` method of a [`Conversation`](super::Conversation) queued nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConversationError {
    /// The CPIM message or document could not be written: a value outside its
    /// grammar, a missing `imdn.Message-ID` to notify about.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The MSRP session refused the message (over the peer's `a=max-size`, RFC 4975
    /// section 8.6, or a value outside the MSRP grammar).
    #[error(transparent)]
    Session(#[from] MsrpSessionError),
}

/// What a `send_*` method queued: the ids that later events name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    /// The MSRP Message-ID, which the sender-side [`MsrpEvent`]s passed through in
    /// [`ConversationEvent::Msrp`] carry (`SendProgress`, `MessageAcknowledged`,
    /// `SendFailed`, `ReportReceived`).
    pub msrp_message_id: Arc<str>,
    /// The `imdn.Message-ID` written in the CPIM envelope, which the peer's IMDNs
    /// name (`None` for content sent without one: an is-composing indication, a
    /// file).
    pub message_id: Option<String>,
}

/// What happened in a conversation, in the terms of the content: the MSRP events of
/// the session below, read according to what the session is for
/// ([`ConversationKind`](super::ConversationKind)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConversationEvent {
    /// The MSRP connection is bound to the session (RFC 4975 section 5.4): content
    /// can flow.
    Established,
    /// The large message of a large-message session (OMA CPM 7.2.2.2), whole.
    LargeMessage(SessionMessage),
    /// A chat message of a session (OMA CPM 7.3.2): neither an is-composing
    /// indication nor an IMDN.
    ChatMessage(SessionMessage),
    /// A message of a deferred group session (OMA CPM 7.3.11): a message stored
    /// while this client was away, its CPIM `From` the author and `DateTime` when it
    /// was written.
    DeferredMessage(SessionMessage),
    /// An is-composing indication (RFC 3994), bare or inside CPIM.
    Composing {
        /// The MSRP Message-ID that carried it.
        msrp_message_id: Arc<str>,
        /// Who is composing: the CPIM `From` (`None` when sent bare; in a one-to-one
        /// session, the peer).
        from: Option<String>,
        /// The indication: `active` with its refresh interval, or `idle`.
        indication: IsComposing,
    },
    /// An `active` indication's refresh interval passed without a new indication
    /// or a message from the same author: the receiver falls back to idle (RFC
    /// 3994 section 3.3). Given by [`handle_timeout`](super::Conversation::handle_timeout).
    ComposingExpired {
        /// Who had been composing, as in [`ConversationEvent::Composing`].
        from: Option<String>,
    },
    /// An IMDN (RFC 5438): `message/imdn+xml` inside CPIM with `Content-Disposition:
    /// notification`.
    Notification {
        /// The MSRP Message-ID that carried it.
        msrp_message_id: Arc<str>,
        /// The CPIM `From`: who tells.
        from: Option<String>,
        /// The notification's own `imdn.Message-ID`, when it has one.
        notification_id: Option<String>,
        /// The document: `imdn.message_id` is the message notified about,
        /// `imdn.status` the disposition and its status (`delivery delivered`,
        /// `display displayed`, ...).
        imdn: Imdn,
    },
    /// The file of a file-transfer session (OMA CPM 7.4.2) starts arriving.
    FileStarted {
        /// Its MSRP Message-ID.
        msrp_message_id: Arc<str>,
        /// Its Content-Type as MSRP gave it.
        content_type: Arc<str>,
        /// Its size, when the Byte-Range says it.
        total: Option<u64>,
        /// What the file-selector says it should be (size, SHA-1), checked at the
        /// end.
        expected: Option<ExpectedFile>,
    },
    /// Bytes of the file, in order, each once: write `data` at `offset` (0-based).
    /// `data` is a slice of the bytes read, not a copy.
    FileData {
        /// Its MSRP Message-ID.
        msrp_message_id: Arc<str>,
        /// Where `data` starts in the file.
        offset: u64,
        /// The bytes.
        data: Bytes,
    },
    /// Progress of the file: bytes received so far (chunks out of order included).
    FileProgress {
        /// Its MSRP Message-ID.
        msrp_message_id: Arc<str>,
        /// Bytes received, each counted once.
        received: u64,
        /// The size, when known.
        total: Option<u64>,
    },
    /// Every byte of the file is in (and went out in [`FileData`](Self::FileData)).
    /// `check.is_ok()` says whether it is the file the file-selector described (RFC
    /// 5547 section 6): a size or SHA-1 that does not match is `Some(false)`.
    FileComplete {
        /// Its MSRP Message-ID.
        msrp_message_id: Arc<str>,
        /// Its size in bytes.
        size: u64,
        /// The size and SHA-1 checks (`None` in a field: nothing to check against).
        check: FileCheck,
    },
    /// The sender abandoned the file (an MSRP chunk flagged `#`, RFC 4975 section
    /// 7.1.1): what was written of it is not the file.
    FileInterrupted {
        /// Its MSRP Message-ID.
        msrp_message_id: Arc<str>,
        /// Bytes that had come.
        received: u64,
    },
    /// This end refused an incoming message: 413 (too large) or 415 (a type outside
    /// accept-types), RFC 4975 sections 7.3.1, 10.5, 10.6.
    Refused {
        /// Its MSRP Message-ID.
        msrp_message_id: Arc<str>,
        /// 413 or 415.
        code: u16,
    },
    /// A whole message whose content does not read as what its type says. It was
    /// answered 200 at the MSRP level already; nothing else is done with it.
    Malformed {
        /// Its MSRP Message-ID.
        msrp_message_id: Arc<str>,
        /// What was wrong.
        error: ContentError,
    },
    /// An MSRP event with no content meaning, passed through: the sender side
    /// (`SendProgress`, `MessageSent`, `MessageAcknowledged`, `SendFailed`,
    /// `ReportReceived`, `ReportTimedOut`), the progress of a chat or large message
    /// received in several chunks (`MessageStarted`, `ChunkReceived`), and faults of
    /// the connection (`Malformed`, `StreamFailed`: close it).
    Msrp(MsrpEvent),
}
