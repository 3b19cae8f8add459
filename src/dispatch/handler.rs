//! The handler traits an application implements, one per procedure family, and the
//! [`Decision`] each returns.

use std::borrow::Cow;
use std::sync::Arc;

use super::dialog::InDialogRequest;
use super::view::{
    ComposingReceived, DeferredGroupSession, FileTransferInvitation, ImdnReceived,
    LargeMessageInvitation, PagerMessage, PlainMessage, RequestView, SessionInvitation,
};
use crate::sdp::Setup;
use crate::sip::StatusCode;

/// Receipt of Pager Mode standalone messages (7.2.2.1).
///
/// Stored messages delivered again by the network (7.2.3.2) arrive here too, with
/// [`PagerMessage::is_deferred`] set.
///
/// ```
/// use cpm_client::{Decision, PagerHandler, PagerMessage};
///
/// struct Inbox;
/// impl PagerHandler for Inbox {
///     fn pager_message(&self, message: &PagerMessage<'_>) -> Decision {
///         println!("{} bytes from {:?}", message.content().len(), message.sender().map(|s| s.uri()));
///         Decision::accept()
///     }
/// }
/// let dispatcher = cpm_client::Dispatcher::builder().pager(Inbox).build();
/// # drop(dispatcher);
/// ```
pub trait PagerHandler: Send + Sync {
    /// A pager-mode MESSAGE arrived (7.2.2.1; 7.2.3.2 when deferred). Accepting answers
    /// 200 OK (or 202 with [`Accept::accepted`]); [`Decision::later`] sends nothing now
    /// (a MESSAGE gets no 180) and leaves the final answer to the
    /// [`PendingResponse`](crate::PendingResponse).
    fn pager_message(&self, message: &PagerMessage<'_>) -> Decision;
}

/// Receipt of IMDNs (RFC 5438) in pager mode: a MESSAGE whose CPIM content is
/// `message/imdn+xml` with `Content-Disposition: notification` comes here, never to
/// [`PagerHandler::pager_message`].
///
/// Without this handler such a MESSAGE is accepted with 200 and dropped, with a
/// `tracing` debug event saying so ([`Handling::Dropped`](crate::dispatch::Handling::Dropped)).
/// A notification whose XML does not read is answered 400, the reason naming the
/// fault.
///
/// ```
/// use cpm_client::{Decision, ImdnReceived, NotificationHandler};
///
/// struct Ticks;
/// impl NotificationHandler for Ticks {
///     fn notification(&self, n: &ImdnReceived<'_>) -> Decision {
///         println!("{} is now {}", n.notified_message_id(), n.status());
///         Decision::accept()
///     }
/// }
/// let dispatcher = cpm_client::Dispatcher::builder().notifications(Ticks).build();
/// # drop(dispatcher);
/// ```
pub trait NotificationHandler: Send + Sync {
    /// An IMDN arrived: [`ImdnReceived::notified_message_id`] names the message this
    /// client sent, [`ImdnReceived::status`] what became of it. Accepting answers
    /// 200 OK.
    fn notification(&self, notification: &ImdnReceived<'_>) -> Decision;
}

/// Receipt of is-composing indications (RFC 3994) in pager mode: a MESSAGE whose
/// content (inside CPIM or bare) is `application/im-iscomposing+xml` comes here, never
/// to [`PagerHandler::pager_message`].
///
/// Without this handler such a MESSAGE is accepted with 200 and dropped, with a
/// `tracing` debug event ([`Handling::Dropped`](crate::dispatch::Handling::Dropped)).
/// An indication whose XML does not read is answered 400.
///
/// ```
/// use cpm_client::{ComposingHandler, ComposingReceived, Decision};
///
/// struct Typing;
/// impl ComposingHandler for Typing {
///     fn is_composing(&self, c: &ComposingReceived<'_>) -> Decision {
///         println!("peer is {} (refresh {:?})", c.state(), c.indication().refresh);
///         Decision::accept()
///     }
/// }
/// let dispatcher = cpm_client::Dispatcher::builder().composing(Typing).build();
/// # drop(dispatcher);
/// ```
pub trait ComposingHandler: Send + Sync {
    /// An is-composing indication arrived. Accepting answers 200 OK.
    fn is_composing(&self, indication: &ComposingReceived<'_>) -> Decision;
}

/// Receipt of MESSAGE requests that name no CPM service (RFC 3428 instant messages
/// from plain SIP peers). Off by default: without this handler such a MESSAGE is
/// route `not-cpm` and goes to the [`OtherRequestHandler`] or gets 403, as before.
/// With it ([`DispatcherBuilder::plain_messages`](crate::DispatcherBuilder::plain_messages)),
/// a MESSAGE outside a dialog with no CPM feature tag and no P-Preferred-Service
/// comes here instead.
///
/// ```
/// use cpm_client::{Decision, PlainMessage, PlainMessageHandler};
///
/// struct Sms;
/// impl PlainMessageHandler for Sms {
///     fn plain_message(&self, m: &PlainMessage<'_>) -> Decision {
///         println!("plain: {}", String::from_utf8_lossy(m.content()));
///         Decision::accept()
///     }
/// }
/// let dispatcher = cpm_client::Dispatcher::builder().plain_messages(Sms).build();
/// # drop(dispatcher);
/// ```
pub trait PlainMessageHandler: Send + Sync {
    /// A MESSAGE naming no CPM service arrived. Accepting answers 200 OK (202 with
    /// [`Accept::accepted`]).
    fn plain_message(&self, message: &PlainMessage<'_>) -> Decision;
}

/// Receipt of Large Message Mode standalone messages (7.2.2.2).
///
/// Stored messages delivered again over MSRP (7.2.3.2) arrive here too, with
/// [`LargeMessageInvitation::is_deferred`] set.
pub trait LargeMessageHandler: Send + Sync {
    /// An INVITE opens an MSRP session carrying one large message (7.2.2.2). Accepting
    /// answers 200 OK with a receive-only MSRP SDP answer.
    fn large_message(&self, invitation: &LargeMessageInvitation<'_>) -> Decision;
}

/// Session invitations (7.3.2): one-to-one and group chat.
pub trait SessionHandler: Send + Sync {
    /// An INVITE to a CPM session (7.3.2); [`SessionInvitation::is_group`] tells a group
    /// session (the inviter is a conference focus). Accepting answers 200 OK with a
    /// `sendrecv` MSRP SDP answer; [`Decision::later`] sends 180 Ringing now.
    fn session_invitation(&self, invitation: &SessionInvitation<'_>) -> Decision;
}

/// File-transfer requests (7.4.2).
pub trait FileTransferHandler: Send + Sync {
    /// An INVITE offers a file (7.4.2). Accepting answers 200 OK with a receive-only
    /// SDP answer that repeats the offer's `file-selector` and `file-transfer-id`
    /// (RFC 5547).
    fn file_transfer(&self, invitation: &FileTransferInvitation<'_>) -> Decision;
}

/// Deferred delivery of group-session messages (7.3.11).
///
/// Deferred standalone messages (7.2.3.2) go to the pager and large-message handlers,
/// flagged as deferred; this trait is for the messages of a group session the user was
/// away from, which a conference focus delivers in an INVITE with the `deferred` tag.
pub trait DeferredHandler: Send + Sync {
    /// A focus delivers stored group-session messages (7.3.11). Accepting answers
    /// 200 OK with a receive-only MSRP SDP answer.
    fn deferred_group_session(&self, delivery: &DeferredGroupSession<'_>) -> Decision;
}

/// Requests inside a dialog the application keeps (a To-tag is present: BYE, ACK,
/// re-INVITE, UPDATE, INFO, MESSAGE in a dialog, ...), and CANCEL.
pub trait DialogHandler: Send + Sync {
    /// A request inside a dialog, or a CANCEL. The decision to an ACK is ignored (an
    /// ACK is never answered); to a CANCEL, accepting answers 200 OK to the CANCEL
    /// (the application then ends the INVITE it cancels with 487 through its
    /// [`PendingResponse`](crate::PendingResponse)).
    fn in_dialog(&self, request: &InDialogRequest<'_>) -> Decision;
}

/// MESSAGE and INVITE requests outside a dialog that name no section-7 procedure
/// (route `not-cpm`): an IMDN carried with the session ICSI, an RCS-e chat, a request
/// naming its service only in P-Preferred-Service.
pub trait OtherRequestHandler: Send + Sync {
    /// A MESSAGE or INVITE with route `not-cpm`. Without this handler such a request
    /// gets the standard rejection (MESSAGE 403, INVITE 603).
    fn other_request(&self, request: &RequestView<'_>) -> Decision;
}

macro_rules! shared_handlers {
    ($($trait:ident :: $method:ident ($view:ty);)*) => {$(
        impl<T: $trait + ?Sized> $trait for Arc<T> {
            fn $method(&self, view: &$view) -> Decision {
                (**self).$method(view)
            }
        }
        impl<T: $trait + ?Sized> $trait for Box<T> {
            fn $method(&self, view: &$view) -> Decision {
                (**self).$method(view)
            }
        }
    )*};
}

shared_handlers! {
    PagerHandler::pager_message(PagerMessage<'_>);
    NotificationHandler::notification(ImdnReceived<'_>);
    ComposingHandler::is_composing(ComposingReceived<'_>);
    PlainMessageHandler::plain_message(PlainMessage<'_>);
    LargeMessageHandler::large_message(LargeMessageInvitation<'_>);
    SessionHandler::session_invitation(SessionInvitation<'_>);
    FileTransferHandler::file_transfer(FileTransferInvitation<'_>);
    DeferredHandler::deferred_group_session(DeferredGroupSession<'_>);
    DialogHandler::in_dialog(InDialogRequest<'_>);
    OtherRequestHandler::other_request(RequestView<'_>);
}

/// What a handler decides about a request.
///
/// ```
/// use cpm_client::{Accept, Decision, StatusCode};
///
/// let yes = Decision::accept();
/// let stored = Decision::Accept(Accept::accepted());
/// let busy = Decision::reject(StatusCode::BUSY_HERE);
/// let no = Decision::reject_with_reason(StatusCode::DECLINE, "Not now");
/// let ask_the_user = Decision::later();
/// # drop((yes, stored, busy, no, ask_the_user));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Decision {
    /// Take the request: 200 OK (202 if asked), with an SDP answer for an INVITE.
    Accept(Accept),
    /// Refuse it with a final status of 300 or more.
    Reject(Reject),
    /// Decide afterwards: an INVITE gets 180 Ringing now, a MESSAGE nothing; the
    /// outcome carries a [`PendingResponse`](crate::PendingResponse) that builds the
    /// final response.
    Later,
}

impl Decision {
    /// Accept with 200 OK and the default SDP answer.
    pub fn accept() -> Decision {
        Decision::Accept(Accept::default())
    }

    /// Refuse with `status` and its usual reason phrase.
    pub fn reject(status: StatusCode) -> Decision {
        Decision::Reject(Reject::new(status))
    }

    /// Refuse with `status` and a reason phrase of the handler's (control characters
    /// are written as spaces).
    pub fn reject_with_reason(
        status: StatusCode,
        reason: impl Into<Cow<'static, str>>,
    ) -> Decision {
        Decision::Reject(Reject::new(status).with_reason(reason))
    }

    /// Decide afterwards (see [`Decision::Later`]).
    pub fn later() -> Decision {
        Decision::Later
    }
}

/// How to accept: the status (200 or 202) and what the SDP answer of an INVITE says,
/// when the handler wants other than the defaults.
///
/// The default answer: own MSRP endpoint from the [`Dispatcher`](crate::Dispatcher)
/// settings with a path made for this request (a 128-bit session id), the offer's
/// transport and accept-types, `a=setup` answering the offer's (active -> passive,
/// passive -> active, actpass -> the client's configured role), the direction
/// mirroring the offer's (a two-way offer gets `sendrecv` for a session and
/// `recvonly` for a large message, a file and a deferred delivery), and the offer's
/// other streams refused with port 0. An answer this cannot make (no MSRP offer, a
/// passive answer without a listening port, a handler's `a=setup` the offer does not
/// allow) turns the acceptance into 488.
///
/// ```
/// use cpm_client::Accept;
///
/// let accept = Accept::default()
///     .with_msrp_path("msrp://192.0.2.20:2855/s3ss10n;tcp")
///     .with_max_size(1_048_576);
/// # drop(accept);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Accept {
    pub(crate) accepted: bool,
    pub(crate) msrp_path: Option<String>,
    pub(crate) setup: Option<Setup>,
    pub(crate) accept_types: Option<String>,
    pub(crate) max_size: Option<u64>,
    pub(crate) body: Option<(String, bytes::Bytes)>,
}

impl Accept {
    /// 202 Accepted instead of 200 OK (a MESSAGE stored for later, RFC 3428); an
    /// INVITE is accepted with 200 whatever this says.
    pub fn accepted() -> Accept {
        Accept {
            accepted: true,
            ..Accept::default()
        }
    }

    /// The MSRP URI of the application's MSRP endpoint for this session (`a=path`).
    pub fn with_msrp_path(mut self, path: impl Into<String>) -> Accept {
        self.msrp_path = Some(path.into());
        self
    }

    /// Answer `a=setup:active` (this side opens the MSRP connection).
    pub fn active(mut self) -> Accept {
        self.setup = Some(Setup::Active);
        self
    }

    /// Answer `a=setup:passive` (this side waits for the MSRP connection).
    pub fn passive(mut self) -> Accept {
        self.setup = Some(Setup::Passive);
        self
    }

    /// The `a=accept-types` of the answer (space-separated media types).
    pub fn with_accept_types(mut self, types: impl Into<String>) -> Accept {
        self.accept_types = Some(types.into());
        self
    }

    /// An `a=max-size` in the answer.
    pub fn with_max_size(mut self, bytes: u64) -> Accept {
        self.max_size = Some(bytes);
        self
    }

    /// A body of the handler's instead of the library's SDP answer (for example the
    /// answer to a re-INVITE inside a dialog).
    pub fn with_body(
        mut self,
        content_type: impl Into<String>,
        body: impl Into<bytes::Bytes>,
    ) -> Accept {
        self.body = Some((content_type.into(), body.into()));
        self
    }
}

/// How to refuse: a final status (300 to 699) and an optional reason phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub(crate) status: StatusCode,
    pub(crate) reason: Option<Cow<'static, str>>,
}

impl Reject {
    /// Refuse with `status`. A status below 300 cannot refuse: the dispatcher answers
    /// 500 instead and says so in a `tracing` event.
    pub fn new(status: StatusCode) -> Reject {
        Reject {
            status,
            reason: None,
        }
    }

    /// A reason phrase of the handler's.
    pub fn with_reason(mut self, reason: impl Into<Cow<'static, str>>) -> Reject {
        self.reason = Some(reason.into());
        self
    }

    /// The status of the refusal (a 4xx, 5xx or 6xx).
    pub fn status(&self) -> StatusCode {
        self.status
    }
}
