//! What a chat application needs above raw MSRP: the content of a session (OMA CPM
//! Conversation Functions 7.2.2.2, 7.3.2, 7.3.11, 7.4.2) read and written.
//!
//! Once an INVITE is answered (or an answer to ours has come), content flows over
//! MSRP. A [`Conversation`] runs the [`MsrpSession`] of one such session, sans-IO
//! like it, and reads what arrives according to what the session is for
//! ([`ConversationKind`]):
//!
//! - a large message (7.2.2.2): one CPIM message, handed out whole;
//! - a file transfer (7.4.2): the file's bytes in order into the application's sink,
//!   with progress, and its size and SHA-1 checked against the file-selector (RFC
//!   5547 section 6) at the end;
//! - a chat session (7.3.2): CPIM messages one by one, each told apart as a chat
//!   message, an is-composing indication (RFC 3994) or an IMDN (RFC 5438);
//! - a deferred group session (7.3.11): the stored messages, one by one.
//!
//! Events come out of [`Conversation::poll_event`] ([`ConversationEvent`]), or into
//! a [`ConversationHandler`] through [`Conversation::deliver`]. The other way, the
//! `send_*` methods write the CPIM envelope (From, To, DateTime, the IMDN namespace and
//! a fresh `imdn.Message-ID`) around what the application gives. `docs/conversation.md`
//! tells the whole story.

mod event;
mod handler;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

pub use event::{
    ContentError, ConversationError, ConversationEvent, QueuedMessage, SessionMessage,
};
pub use handler::ConversationHandler;

use crate::cpim::{Content, CpimBuilder, CpimMessage, DispositionNotification};
use crate::error::BuildError;
use crate::ids::{IdGenerator, RandomIds};
use crate::imdn::{is_notification, Imdn, ImdnStatus, IMDN_CONTENT_TYPE};
use crate::iscomposing::{ComposingState, IsComposing, ISCOMPOSING_CONTENT_TYPE};
use crate::mime::MediaType;
use crate::msrp::{
    FileCheck, MsrpEvent, MsrpSession, MsrpSessionConfig, ReceivePolicy, ReceivedMessage,
};
use crate::sdp::{FileSelector, NegotiatedMsrp};

/// The media type of a CPIM message (RFC 3862).
const CPIM_CONTENT_TYPE: &str = "message/cpim";

/// How many authors' is-composing timers are kept at once (a group session's
/// participants typing together; past it the oldest is dropped).
const MAX_COMPOSING: usize = 64;

/// What an MSRP session was set up for: decides how the messages received are read
/// and where their bytes go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversationKind {
    /// A large-message session (OMA CPM 7.2.1.2 / 7.2.2.2): one CPIM message,
    /// reassembled in memory and handed out whole as
    /// [`ConversationEvent::LargeMessage`].
    LargeMessage,
    /// A file transfer (OMA CPM 7.4, RFC 5547): the file goes out in
    /// [`ConversationEvent::FileData`] as it comes, not held in memory; with a
    /// selector, its `size` and `sha-1` hash are checked when it is whole.
    FileTransfer {
        /// The `a=file-selector` of the offer (`NegotiatedMsrp::file_selector`), when
        /// this end receives the file.
        selector: Option<FileSelector<'static>>,
    },
    /// A chat session (OMA CPM 7.3): CPIM messages, is-composing indications and
    /// IMDNs, each handed out as it is whole.
    Chat,
    /// A deferred group session (OMA CPM 7.3.11, an INVITE with `oma.cpm.deferred`):
    /// like a chat, its messages handed out as
    /// [`ConversationEvent::DeferredMessage`].
    DeferredGroup,
}

impl ConversationKind {
    /// A file transfer checked against the file-selector that `negotiated` carries.
    pub fn file_transfer(negotiated: &NegotiatedMsrp) -> ConversationKind {
        ConversationKind::FileTransfer {
            selector: negotiated.file_selector.clone(),
        }
    }

    /// The MSRP session configuration for this kind of session: that of
    /// [`MsrpSessionConfig::from_negotiated`], receiving into a buffer, or into the
    /// sink with the file-selector's checks for a file transfer. An application
    /// that wants other limits changes the result and passes it to
    /// [`Conversation::from_config`].
    pub fn session_config(&self, negotiated: &NegotiatedMsrp) -> MsrpSessionConfig {
        let mut config = MsrpSessionConfig::from_negotiated(negotiated);
        match self {
            ConversationKind::FileTransfer { selector } => {
                config.receive = ReceivePolicy::Sink;
                if let Some(selector) = selector {
                    config = config.check_file(selector);
                }
            }
            _ => config.receive = ReceivePolicy::Buffer,
        }
        config
    }

    fn is_file(&self) -> bool {
        matches!(self, ConversationKind::FileTransfer { .. })
    }
}

/// One id generator shared by the conversation (CPIM `imdn.Message-ID`s) and its
/// MSRP session (transaction ids, MSRP Message-IDs).
#[derive(Clone)]
struct SharedIds(Arc<Mutex<Box<dyn IdGenerator + Send>>>);

impl IdGenerator for SharedIds {
    fn next_u64(&mut self) -> u64 {
        let mut ids = self.0.lock().unwrap_or_else(|e| e.into_inner());
        ids.next_u64()
    }
}

/// The content of one MSRP session, sans-IO: bytes and instants in, bytes to send,
/// timers and [`ConversationEvent`]s out, the same surface as the [`MsrpSession`] it
/// wraps (which it drives: transmits and timers are the session's, plus the
/// is-composing refresh timers of RFC 3994).
///
/// Set one up from the [`NegotiatedMsrp`] the dispatcher hands out with its answer
/// (or that an offerer reads from the answer), what the session is for, and the two
/// parties' URIs, which become the CPIM `From` and `To` of what this end sends.
///
/// ```
/// use std::time::{Instant, SystemTime};
/// use cpm_client::conversation::{Conversation, ConversationEvent, ConversationKind};
/// use cpm_client::cpim::{Content, DispositionNotification};
/// use cpm_client::ids::SequentialIds;
/// use cpm_client::msrp::MsrpSessionConfig;
/// use cpm_client::sdp::Setup;
///
/// let (a, b) = ("msrp://192.0.2.10:2855/a1b2;tcp", "msrp://192.0.2.20:2855/z9y8;tcp");
/// let (alice_uri, bob_uri) = ("sip:+15550100001@ims.example.net", "sip:+15550100002@ims.example.net");
/// let mut alice = Conversation::from_config(MsrpSessionConfig::new(a, b, Setup::Active),
///     ConversationKind::Chat, alice_uri, bob_uri, SequentialIds::new(1));
/// let mut bob = Conversation::from_config(MsrpSessionConfig::new(b, a, Setup::Passive),
///     ConversationKind::Chat, bob_uri, alice_uri, SequentialIds::new(2));
///
/// let sent = alice.send_chat(Content::text("Hello, Bob!"), SystemTime::UNIX_EPOCH,
///     Some(DispositionNotification::DELIVERY_AND_DISPLAY))?;
/// // The application's I/O: here, a loop between the two in memory.
/// let now = Instant::now();
/// for _ in 0..4 {
///     while let Some(bytes) = alice.poll_transmit(now) { bob.handle_bytes(now, &bytes); }
///     while let Some(bytes) = bob.poll_transmit(now) { alice.handle_bytes(now, &bytes); }
/// }
/// let message = std::iter::from_fn(|| bob.poll_event())
///     .find_map(|e| match e { ConversationEvent::ChatMessage(m) => Some(m), _ => None })
///     .expect("Bob has Alice's message");
/// assert_eq!(message.text(), Some("Hello, Bob!"));
/// assert_eq!(message.from.as_deref(), Some(alice_uri));
/// assert_eq!(message.message_id, sent.message_id);
/// # Ok::<(), cpm_client::conversation::ConversationError>(())
/// ```
pub struct Conversation {
    session: MsrpSession,
    kind: ConversationKind,
    local_uri: String,
    remote_uri: String,
    display_name: Option<String>,
    ids: SharedIds,
    events: VecDeque<ConversationEvent>,
    /// Incoming files under way (their `FileStarted` given).
    files: Vec<Arc<str>>,
    /// Authors in the `active` state with a refresh, and when it runs out.
    composing: Vec<(Option<String>, Instant)>,
    /// The latest instant the application passed.
    now: Option<Instant>,
}

impl std::fmt::Debug for Conversation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conversation")
            .field("kind", &self.kind)
            .field("local_uri", &self.local_uri)
            .field("remote_uri", &self.remote_uri)
            .field("session", &self.session)
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

impl Conversation {
    /// The conversation of the session `negotiated` describes, for `kind`, between
    /// `local_uri` (this user: the CPIM `From` of what is sent) and `remote_uri` (the
    /// peer, or the group's conference URI: the CPIM `To`). Ids come from
    /// [`RandomIds`].
    pub fn new(
        negotiated: &NegotiatedMsrp,
        kind: ConversationKind,
        local_uri: &str,
        remote_uri: &str,
    ) -> Conversation {
        let config = kind.session_config(negotiated);
        Conversation::from_config(config, kind, local_uri, remote_uri, RandomIds::new())
    }

    /// As [`new`](Self::new), from a session configuration of the application's
    /// (see [`ConversationKind::session_config`]) and drawing every id (MSRP
    /// transaction and Message-IDs, CPIM `imdn.Message-ID`s) from `ids`.
    pub fn from_config(
        config: MsrpSessionConfig,
        kind: ConversationKind,
        local_uri: &str,
        remote_uri: &str,
        ids: impl IdGenerator + Send + 'static,
    ) -> Conversation {
        let ids = SharedIds(Arc::new(Mutex::new(Box::new(ids))));
        Conversation {
            session: MsrpSession::with_ids(config, ids.clone()),
            kind,
            local_uri: local_uri.to_owned(),
            remote_uri: remote_uri.to_owned(),
            display_name: None,
            ids,
            events: VecDeque::new(),
            files: Vec::new(),
            composing: Vec::new(),
            now: None,
        }
    }

    /// Sets this user's display name, written (quoted) in the CPIM `From` of what
    /// is sent.
    pub fn set_display_name(&mut self, name: Option<&str>) {
        self.display_name = name.map(str::to_owned);
    }

    /// What the session is for, as given at construction.
    pub fn kind(&self) -> &ConversationKind {
        &self.kind
    }

    /// The MSRP session underneath, to read its configuration and state.
    pub fn msrp_session(&self) -> &MsrpSession {
        &self.session
    }

    /// Whether the connection is bound to the session ([`ConversationEvent::Established`]).
    pub fn is_established(&self) -> bool {
        self.session.is_established()
    }

    /// Whether nothing is under way in the MSRP session and no event waits.
    pub fn is_idle(&self) -> bool {
        self.session.is_idle() && self.events.is_empty()
    }

    // The sans-IO surface.

    /// Takes bytes read from the connection; the content of every message they
    /// complete becomes events.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) {
        self.now = Some(now);
        self.session.handle_bytes(now, bytes);
        self.translate();
    }

    /// Takes one whole MSRP message read by the application (sessions sharing a
    /// connection, RFC 4975 section 7.1.1): see [`MsrpSession::handle_frame`].
    pub fn handle_frame(&mut self, now: Instant, frame: Bytes) {
        self.now = Some(now);
        self.session.handle_frame(now, frame);
        self.translate();
    }

    /// The next bytes to write to the connection, if any (the session's: responses,
    /// REPORTs, SEND chunks).
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Bytes> {
        self.now = Some(now);
        let bytes = self.session.poll_transmit(now);
        self.translate();
        bytes
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called: the
    /// session's next deadline, or an is-composing refresh running out.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let composing = self.composing.iter().map(|(_, at)| *at);
        self.session
            .poll_timeout()
            .into_iter()
            .chain(composing)
            .min()
    }

    /// Runs the deadlines at or before `now`: the session's (a SEND unanswered, a
    /// REPORT awaited) and the is-composing refreshes
    /// ([`ConversationEvent::ComposingExpired`]).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = Some(now);
        self.session.handle_timeout(now);
        self.translate();
        let (expired, running): (Vec<_>, Vec<_>) = std::mem::take(&mut self.composing)
            .into_iter()
            .partition(|(_, deadline)| *deadline <= now);
        self.composing = running;
        for (from, _) in expired {
            self.events
                .push_back(ConversationEvent::ComposingExpired { from });
        }
    }

    /// The next event, if any. Events wait, in order, until taken here or handed to
    /// a handler by [`deliver`](Self::deliver); take them after each call that feeds
    /// the conversation, since a file's [`FileData`](ConversationEvent::FileData)
    /// holds its bytes until then.
    pub fn poll_event(&mut self) -> Option<ConversationEvent> {
        self.events.pop_front()
    }

    /// Hands every waiting event to `handler`, in order (the callback way of
    /// [`poll_event`](Self::poll_event)).
    pub fn deliver(&mut self, handler: &mut impl ConversationHandler) {
        while let Some(event) = self.events.pop_front() {
            handler::call(handler, event);
        }
    }

    /// Stops sending a message (its MSRP Message-ID, from [`QueuedMessage`]); when
    /// part of it went out, the peer is told with a chunk flagged `#` (RFC 4975
    /// section 7.1.1). Whether it was still being sent.
    pub fn abort(&mut self, msrp_message_id: &str) -> bool {
        let aborted = self.session.abort(msrp_message_id);
        self.translate();
        aborted
    }

    // Sending.

    /// Queues a chat message (OMA CPM 7.3.1): `content` in a CPIM envelope from this
    /// user to the peer, `DateTime` `sent_at` (the application's clock), a fresh
    /// `imdn.Message-ID`, and `imdn.Disposition-Notification` when `disposition`
    /// asks for IMDNs (RFC 5438 section 6.2). The returned ids name the message in
    /// the MSRP events of its sending and in the IMDNs that come back.
    ///
    /// # Errors
    ///
    /// [`ConversationError`]: a value outside the CPIM grammar, a message over the
    /// peer's `a=max-size`.
    pub fn send_chat(
        &mut self,
        content: Content,
        sent_at: SystemTime,
        disposition: Option<DispositionNotification<'_>>,
    ) -> Result<QueuedMessage, ConversationError> {
        let mut builder = self.envelope(&self.remote_uri, content, sent_at);
        if let Some(disposition) = disposition {
            builder = builder.disposition(disposition);
        }
        self.send_cpim(&builder)
    }

    /// Queues the message of a large-message session (OMA CPM 7.2.1.2): written as
    /// [`send_chat`](Self::send_chat) writes a chat message; its size is bounded by
    /// the peer's `a=max-size` only, and it goes out in chunks.
    ///
    /// # Errors
    ///
    /// As [`send_chat`](Self::send_chat).
    pub fn send_large_message(
        &mut self,
        content: Content,
        sent_at: SystemTime,
        disposition: Option<DispositionNotification<'_>>,
    ) -> Result<QueuedMessage, ConversationError> {
        self.send_chat(content, sent_at, disposition)
    }

    /// Queues an is-composing indication (RFC 3994) inside CPIM, without IMDN
    /// headers (nobody acknowledges one): `IsComposing::active(Some(refresh))` while
    /// the user types, `IsComposing::idle(..)` when they stop.
    ///
    /// # Errors
    ///
    /// As [`send_chat`](Self::send_chat), and a field XML cannot carry.
    pub fn send_composing(
        &mut self,
        indication: &IsComposing,
        sent_at: SystemTime,
    ) -> Result<QueuedMessage, ConversationError> {
        let builder = self
            .envelope(&self.remote_uri, indication.to_content()?, sent_at)
            .without_imdn();
        self.send_cpim(&builder)
    }

    /// Queues the IMDN (RFC 5438) with `status` for `message`, a message received in
    /// this session: the document names its `imdn.Message-ID` and `DateTime`, and
    /// this user as `recipient-uri`; the CPIM envelope goes to its author (its CPIM
    /// `From`, else the peer) with a fresh `imdn.Message-ID` and no disposition
    /// request (a notification is never acknowledged).
    ///
    /// # Errors
    ///
    /// [`BuildError::Missing`] (in [`ConversationError::Build`]) when `message` has
    /// no `imdn.Message-ID`; as [`send_chat`](Self::send_chat) otherwise.
    pub fn send_notification(
        &mut self,
        message: &SessionMessage,
        status: ImdnStatus,
        sent_at: SystemTime,
    ) -> Result<QueuedMessage, ConversationError> {
        let id = message.message_id.as_deref().ok_or(BuildError::Missing {
            field: "imdn.Message-ID",
            why: "a notification names the message it is about (RFC 5438 section 6.3)",
        })?;
        let mut imdn = Imdn::new(id, status).with_recipient_uri(&self.local_uri);
        if let Some(date_time) = &message.date_time {
            imdn = imdn.with_date_time(date_time);
        }
        let to = message.from.as_deref().unwrap_or(&self.remote_uri);
        let builder = self.envelope(to, imdn.to_content()?, sent_at);
        self.send_cpim(&builder)
    }

    /// Queues a file (OMA CPM 7.4.1, RFC 5547): its bytes as one MSRP message of
    /// type `content_type` (the file-selector's type), without a CPIM envelope, cut
    /// into chunks of the session's chunk size. The session's events tell its
    /// progress ([`ConversationEvent::Msrp`] with `SendProgress`, then
    /// `MessageAcknowledged`).
    ///
    /// # Errors
    ///
    /// [`ConversationError::Session`]: a media type outside its grammar, a file over
    /// the peer's `a=max-size`.
    pub fn send_file(
        &mut self,
        content_type: &str,
        data: impl Into<Bytes>,
    ) -> Result<QueuedMessage, ConversationError> {
        let message = self.session.message(content_type, data);
        let msrp_message_id = self.session.send(message)?;
        Ok(QueuedMessage {
            msrp_message_id,
            message_id: None,
        })
    }

    /// Queues a CPIM message the application built itself (to set `Subject`, a
    /// `To` display name, its own `imdn.Message-ID`, ...).
    ///
    /// # Errors
    ///
    /// As [`send_chat`](Self::send_chat).
    pub fn send_cpim(&mut self, builder: &CpimBuilder) -> Result<QueuedMessage, ConversationError> {
        let (bytes, message_id) = builder.write(&mut self.ids)?;
        let message = self.session.message(CPIM_CONTENT_TYPE, bytes);
        let msrp_message_id = self.session.send(message)?;
        Ok(QueuedMessage {
            msrp_message_id,
            message_id,
        })
    }

    /// The CPIM envelope from this user to `to`.
    fn envelope(&self, to: &str, content: Content, sent_at: SystemTime) -> CpimBuilder {
        CpimBuilder::new(&self.local_uri, to, sent_at, content)
            .from_display_name(self.display_name.as_deref())
    }

    // Receiving.

    /// Reads the session's events into the conversation's.
    fn translate(&mut self) {
        let mut batch: Vec<Option<MsrpEvent>> = std::iter::from_fn(|| self.session.poll_event())
            .map(Some)
            .collect();
        for at in 0..batch.len() {
            let Some(event) = batch.get_mut(at).and_then(Option::take) else {
                continue;
            };
            if self.kind.is_file() {
                self.file_event(event, batch.get(at + 1..).unwrap_or_default());
            } else {
                self.content_event(event);
            }
        }
    }

    /// One session event of a file transfer; `later` are the events after it in
    /// the same batch.
    fn file_event(&mut self, event: MsrpEvent, later: &[Option<MsrpEvent>]) {
        match event {
            MsrpEvent::Established => self.events.push_back(ConversationEvent::Established),
            MsrpEvent::MessageStarted {
                message_id,
                content_type,
                total,
                ..
            } => self.file_started(message_id, content_type, total),
            MsrpEvent::ChunkReceived {
                message_id,
                received,
                total,
            } => self.events.push_back(ConversationEvent::FileProgress {
                msrp_message_id: message_id,
                received,
                total,
            }),
            MsrpEvent::Data {
                message_id,
                offset,
                data,
            } => {
                if !self.files.contains(&message_id) {
                    // A file in one chunk: its MessageReceived follows in the batch.
                    let whole = later.iter().flatten().find_map(|e| match e {
                        MsrpEvent::MessageReceived(m) if m.message_id == message_id => {
                            Some((Arc::clone(&m.content_type), m.size))
                        }
                        _ => None,
                    });
                    let (content_type, total) = match whole {
                        Some((content_type, size)) => (content_type, Some(size)),
                        None => (Arc::from("application/octet-stream"), None),
                    };
                    self.file_started(Arc::clone(&message_id), content_type, total);
                }
                self.events.push_back(ConversationEvent::FileData {
                    msrp_message_id: message_id,
                    offset,
                    data,
                });
            }
            MsrpEvent::MessageReceived(message) => {
                let ReceivedMessage {
                    message_id,
                    content_type,
                    size,
                    body,
                    file_check,
                } = message;
                if !self.files.contains(&message_id) {
                    self.file_started(Arc::clone(&message_id), content_type, Some(size));
                }
                if let Some(body) = body.filter(|b| !b.is_empty()) {
                    // Received into a buffer (an application's own configuration).
                    self.events.push_back(ConversationEvent::FileData {
                        msrp_message_id: Arc::clone(&message_id),
                        offset: 0,
                        data: body,
                    });
                }
                self.files.retain(|f| *f != message_id);
                self.events.push_back(ConversationEvent::FileComplete {
                    msrp_message_id: message_id,
                    size,
                    check: file_check.unwrap_or(FileCheck {
                        size_matches: None,
                        sha1_matches: None,
                    }),
                });
            }
            MsrpEvent::MessageInterrupted {
                message_id,
                received,
            } => {
                self.files.retain(|f| *f != message_id);
                self.events.push_back(ConversationEvent::FileInterrupted {
                    msrp_message_id: message_id,
                    received,
                });
            }
            MsrpEvent::MessageRefused { message_id, code } => {
                self.files.retain(|f| *f != message_id);
                self.events.push_back(ConversationEvent::Refused {
                    msrp_message_id: message_id,
                    code,
                });
            }
            other => self.events.push_back(ConversationEvent::Msrp(other)),
        }
    }

    fn file_started(&mut self, id: Arc<str>, content_type: Arc<str>, total: Option<u64>) {
        self.files.push(Arc::clone(&id));
        self.events.push_back(ConversationEvent::FileStarted {
            msrp_message_id: id,
            content_type,
            total,
            expected: self.session.config().expected_file,
        });
    }

    /// One session event of a chat, large-message or deferred session.
    fn content_event(&mut self, event: MsrpEvent) {
        match event {
            MsrpEvent::Established => self.events.push_back(ConversationEvent::Established),
            MsrpEvent::MessageReceived(ReceivedMessage {
                message_id,
                content_type,
                body: Some(body),
                ..
            }) => self.whole_message(message_id, &content_type, body),
            MsrpEvent::MessageRefused { message_id, code } => {
                self.events.push_back(ConversationEvent::Refused {
                    msrp_message_id: message_id,
                    code,
                });
            }
            other => self.events.push_back(ConversationEvent::Msrp(other)),
        }
    }

    /// A whole message of a chat, large-message or deferred session.
    fn whole_message(&mut self, id: Arc<str>, content_type: &str, body: Bytes) {
        let media = MediaType::parse(content_type).ok();
        let is = |essence: &str| media.as_ref().is_some_and(|m| m.is(essence));
        let event = if is(CPIM_CONTENT_TYPE) {
            match CpimMessage::parse(&body) {
                Ok(cpim) => self.cpim_message(Arc::clone(&id), &body, &cpim),
                Err(error) => ConversationEvent::Malformed {
                    msrp_message_id: id,
                    error: ContentError::Cpim(error),
                },
            }
        } else if is(ISCOMPOSING_CONTENT_TYPE) && self.kind != ConversationKind::LargeMessage {
            composing_event(id, None, &body)
        } else if is(IMDN_CONTENT_TYPE) && self.kind != ConversationKind::LargeMessage {
            notification_event(id, None, None, &body)
        } else {
            self.received(SessionMessage {
                msrp_message_id: id,
                cpim: None,
                from: None,
                from_display_name: None,
                to: Vec::new(),
                date_time: None,
                message_id: None,
                disposition_notification: None,
                content_type: content_type.to_owned(),
                body,
            })
        };
        self.note_composing(&event);
        self.events.push_back(event);
    }

    /// A whole CPIM message, told apart by its content.
    fn cpim_message(
        &self,
        id: Arc<str>,
        body: &Bytes,
        cpim: &CpimMessage<'_>,
    ) -> ConversationEvent {
        let from = cpim.from().map(|a| a.uri.to_owned());
        if self.kind != ConversationKind::LargeMessage {
            let inner = cpim.content_type();
            if inner.is_some_and(|t| t.is(ISCOMPOSING_CONTENT_TYPE)) {
                return composing_event(id, from, cpim.content());
            }
            if is_notification(cpim) {
                let notification_id = cpim.message_id().map(str::to_owned);
                return notification_event(id, from, notification_id, cpim.content());
            }
        }
        let content = cpim.content();
        let at = cpim.content_offset();
        let content_bytes = match at.checked_add(content.len()) {
            Some(end) if end <= body.len() => body.slice(at..end),
            _ => Bytes::copy_from_slice(content),
        };
        self.received(SessionMessage {
            msrp_message_id: id,
            cpim: Some(body.clone()),
            from,
            from_display_name: cpim.from().and_then(|a| a.display_name).map(str::to_owned),
            to: cpim.to().map(|a| a.uri.to_owned()).collect(),
            date_time: cpim.date_time().map(str::to_owned),
            message_id: cpim.message_id().map(str::to_owned),
            disposition_notification: cpim
                .disposition_notification()
                .map(DispositionNotification::into_owned),
            content_type: cpim
                .content_type_raw()
                .map_or("text/plain", str::trim)
                .to_owned(),
            body: content_bytes,
        })
    }

    /// The event of a message with content, by the kind of session.
    fn received(&self, message: SessionMessage) -> ConversationEvent {
        match self.kind {
            ConversationKind::LargeMessage => ConversationEvent::LargeMessage(message),
            ConversationKind::DeferredGroup => ConversationEvent::DeferredMessage(message),
            _ => ConversationEvent::ChatMessage(message),
        }
    }

    /// Keeps the is-composing refresh timers: an `active` indication with a refresh
    /// starts one for its author; `idle`, or a message of the author, ends it (RFC
    /// 3994 section 3.3). An `active` indication without `refresh` runs out after
    /// 120 seconds, the receiver's default in the same section.
    fn note_composing(&mut self, event: &ConversationEvent) {
        let (from, deadline) = match event {
            ConversationEvent::Composing {
                from, indication, ..
            } => {
                let deadline = match (indication.state, indication.refresh, self.now) {
                    (ComposingState::Active, refresh, Some(now)) => now.checked_add(
                        Duration::from_secs(refresh.map_or(DEFAULT_COMPOSING_REFRESH, u64::from)),
                    ),
                    _ => None,
                };
                (from, deadline)
            }
            ConversationEvent::ChatMessage(m) | ConversationEvent::DeferredMessage(m) => {
                (&m.from, None)
            }
            _ => return,
        };
        self.composing.retain(|(f, _)| f != from);
        if let Some(deadline) = deadline {
            if self.composing.len() >= MAX_COMPOSING {
                // A peer naming ever new authors: the oldest timer goes.
                self.composing.remove(0);
            }
            self.composing.push((from.clone(), deadline));
        }
    }
}

/// How long an `active` indication without `refresh` lasts at the receiver, in
/// seconds (RFC 3994 section 3.3).
const DEFAULT_COMPOSING_REFRESH: u64 = 120;

/// An is-composing indication, or why it does not read.
fn composing_event(id: Arc<str>, from: Option<String>, body: &[u8]) -> ConversationEvent {
    match IsComposing::parse(body) {
        Ok(indication) => ConversationEvent::Composing {
            msrp_message_id: id,
            from,
            indication,
        },
        Err(error) => ConversationEvent::Malformed {
            msrp_message_id: id,
            error: ContentError::IsComposing(error),
        },
    }
}

/// An IMDN, or why it does not read.
fn notification_event(
    id: Arc<str>,
    from: Option<String>,
    notification_id: Option<String>,
    body: &[u8],
) -> ConversationEvent {
    match Imdn::parse(body) {
        Ok(imdn) => ConversationEvent::Notification {
            msrp_message_id: id,
            from,
            notification_id,
            imdn,
        },
        Err(error) => ConversationEvent::Malformed {
            msrp_message_id: id,
            error: ContentError::Imdn(error),
        },
    }
}
