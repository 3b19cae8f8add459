//! The callback way of taking a conversation's events: [`ConversationHandler`].

use std::sync::Arc;

use bytes::Bytes;

use super::event::{ContentError, ConversationEvent, SessionMessage};
use crate::imdn::Imdn;
use crate::iscomposing::IsComposing;
use crate::msrp::{ExpectedFile, FileCheck, MsrpEvent};

/// Callbacks for the events of a [`Conversation`](super::Conversation), one method
/// per [`ConversationEvent`] variant, for an application that prefers them to a
/// `match` over [`poll_event`](super::Conversation::poll_event).
/// [`Conversation::deliver`](super::Conversation::deliver) drains the events into
/// one. Every method does nothing unless implemented, so a handler implements only
/// what its kind of session produces.
///
/// ```
/// use cpm_client::conversation::{ConversationHandler, SessionMessage};
///
/// #[derive(Default)]
/// struct Inbox(Vec<String>);
///
/// impl ConversationHandler for Inbox {
///     fn chat_message(&mut self, message: SessionMessage) {
///         self.0.extend(message.text().map(str::to_owned));
///     }
/// }
/// ```
#[allow(unused_variables)]
pub trait ConversationHandler {
    /// [`ConversationEvent::Established`]: the connection is bound, content flows.
    fn established(&mut self) {}

    /// [`ConversationEvent::LargeMessage`]: the large message, whole.
    fn large_message(&mut self, message: SessionMessage) {}

    /// [`ConversationEvent::ChatMessage`]: one chat message of the session.
    fn chat_message(&mut self, message: SessionMessage) {}

    /// [`ConversationEvent::DeferredMessage`]: one message stored for this client
    /// and delivered in a deferred group session.
    fn deferred_message(&mut self, message: SessionMessage) {}

    /// [`ConversationEvent::Composing`]: `from` is composing or stopped.
    fn composing(&mut self, from: Option<String>, indication: IsComposing) {}

    /// [`ConversationEvent::ComposingExpired`]: `from`'s `active` state ran out.
    fn composing_expired(&mut self, from: Option<String>) {}

    /// [`ConversationEvent::Notification`]: an IMDN; `imdn.message_id` names the
    /// message it is about.
    fn notification_received(
        &mut self,
        from: Option<String>,
        notification_id: Option<String>,
        imdn: Imdn,
    ) {
    }

    /// [`ConversationEvent::FileStarted`]: open the sink; `expected` is what the
    /// file-selector promised.
    fn file_started(
        &mut self,
        msrp_message_id: Arc<str>,
        content_type: Arc<str>,
        total: Option<u64>,
        expected: Option<ExpectedFile>,
    ) {
    }

    /// [`ConversationEvent::FileData`]: write `data` at `offset`.
    fn file_data(&mut self, msrp_message_id: Arc<str>, offset: u64, data: Bytes) {}

    /// [`ConversationEvent::FileProgress`]: bytes received so far, for a progress
    /// bar.
    fn file_progress(&mut self, msrp_message_id: Arc<str>, received: u64, total: Option<u64>) {}

    /// [`ConversationEvent::FileComplete`]: check `check.is_ok()` before keeping
    /// the file.
    fn file_complete(&mut self, msrp_message_id: Arc<str>, size: u64, check: FileCheck) {}

    /// [`ConversationEvent::FileInterrupted`]: discard what was written.
    fn file_interrupted(&mut self, msrp_message_id: Arc<str>, received: u64) {}

    /// [`ConversationEvent::Refused`]: this end answered the message 413 or 415.
    fn refused(&mut self, msrp_message_id: Arc<str>, code: u16) {}

    /// [`ConversationEvent::Malformed`]: content that does not read, already
    /// answered 200 at the MSRP level.
    fn malformed(&mut self, msrp_message_id: Arc<str>, error: ContentError) {}

    /// [`ConversationEvent::Msrp`]: sender-side progress and acknowledgements,
    /// chunk progress of messages, faults of the connection.
    fn msrp_event(&mut self, event: MsrpEvent) {}
}

/// Calls the method of `handler` that `event` is for.
pub(super) fn call(handler: &mut impl ConversationHandler, event: ConversationEvent) {
    match event {
        ConversationEvent::Established => handler.established(),
        ConversationEvent::LargeMessage(m) => handler.large_message(m),
        ConversationEvent::ChatMessage(m) => handler.chat_message(m),
        ConversationEvent::DeferredMessage(m) => handler.deferred_message(m),
        ConversationEvent::Composing {
            from, indication, ..
        } => handler.composing(from, indication),
        ConversationEvent::ComposingExpired { from } => handler.composing_expired(from),
        ConversationEvent::Notification {
            from,
            notification_id,
            imdn,
            ..
        } => handler.notification_received(from, notification_id, imdn),
        ConversationEvent::FileStarted {
            msrp_message_id,
            content_type,
            total,
            expected,
        } => handler.file_started(msrp_message_id, content_type, total, expected),
        ConversationEvent::FileData {
            msrp_message_id,
            offset,
            data,
        } => handler.file_data(msrp_message_id, offset, data),
        ConversationEvent::FileProgress {
            msrp_message_id,
            received,
            total,
        } => handler.file_progress(msrp_message_id, received, total),
        ConversationEvent::FileComplete {
            msrp_message_id,
            size,
            check,
        } => handler.file_complete(msrp_message_id, size, check),
        ConversationEvent::FileInterrupted {
            msrp_message_id,
            received,
        } => handler.file_interrupted(msrp_message_id, received),
        ConversationEvent::Refused {
            msrp_message_id,
            code,
        } => handler.refused(msrp_message_id, code),
        ConversationEvent::Malformed {
            msrp_message_id,
            error,
        } => handler.malformed(msrp_message_id, error),
        ConversationEvent::Msrp(event) => handler.msrp_event(event),
    }
}
