//! Dispatching incoming requests: from bytes to the application's handler and back to
//! the response to send.
//!
//! A [`Dispatcher`] holds the handlers the application has, one per procedure family
//! ([`PagerHandler`], [`LargeMessageHandler`], [`SessionHandler`],
//! [`FileTransferHandler`], [`DeferredHandler`], plus [`DialogHandler`] for requests
//! inside a dialog and [`OtherRequestHandler`] for MESSAGE/INVITE that name no CPM
//! procedure). [`Dispatcher::dispatch`] reads the request, routes it, calls the
//! handler with a typed view, and returns an [`Outcome`]: the route, what happened,
//! and the response to send now.
//!
//! What the dispatcher answers by itself:
//!
//! | request | answer |
//! | --- | --- |
//! | does not read ([`ParseError`]), or its From or To is not an address (its URI without a scheme included) or has a `tag` without a value, a quoted one, or two ([`NameAddr::parse_in`](crate::sip::NameAddr::parse_in)) | 400 with the error as reason phrase (505, 513 where they fit), copying the Via, From, To, Call-ID and CSeq that are there as written; nothing for bytes that are not a request, for an ACK, or when there is no Via |
//! | a procedure with no handler | INVITE 603 Decline, MESSAGE 403 Forbidden (what RCS stacks answer for a service they do not offer) |
//! | a pager MESSAGE carrying an IMDN (RFC 5438) or an is-composing indication (RFC 3994) | to [`NotificationHandler`] / [`ComposingHandler`], never to [`PagerHandler`]; without that handler 200 and dropped ([`Handling::Dropped`]); 400 when its XML does not read |
//! | a MESSAGE naming no CPM service (RFC 3428) | route `not-cpm` as above, unless [`DispatcherBuilder::plain_messages`] set a [`PlainMessageHandler`] |
//! | a Request-URI whose scheme is not `sip`, `sips` or `tel` | 416 Unsupported URI Scheme (RFC 3261 8.2.2.1) |
//! | `Require` naming any extension (the client implements none) | 420 Bad Extension with `Unsupported` |
//! | an accepted INVITE whose offer has no MSRP stream, or no offer, or an answer that needs a listening port the client has not configured | 488 Not Acceptable Here, the reason saying which |
//! | an accepted re-INVITE without the handler's own SDP ([`Accept::with_body`]) | 488 |
//! | OPTIONS | 200 with a Contact whose `+g.3gpp.icsi-ref` lists the services that have handlers, Allow and Accept |
//! | an extension method (not in RFC 3261 or its extensions) | 501 Not Implemented with Allow |
//! | REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, REFER outside a dialog | 405 Method Not Allowed with Allow (NOTIFY and REFER: 481 when a [`DialogHandler`] serves them in dialogs) |
//! | BYE, UPDATE, INFO, PRACK outside a dialog | 481 |
//! | in a dialog, no [`DialogHandler`] | BYE 200, ACK nothing, others 481 |
//! | CANCEL, no [`DialogHandler`] | 200 |
//! | a handler that panics | 500 |
//!
//! Every dispatch runs in one `tracing` span (`cpm_dispatch`, with the method and
//! Call-ID) and ends with one event that names the route and the status sent.
//!
//! # Allocations
//!
//! Dispatching a pager MESSAGE that the handler accepts makes **2** heap
//! allocations: the reader's header table and the response's buffer (views, CPIM
//! reading, routing and the To-tag allocate nothing). `tests/alloc.rs` holds this
//! number.

mod dialog;
mod handler;
mod view;

use view::Indication;

use std::cell::{Cell, OnceCell};
use std::hash::{BuildHasher, Hash};
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use bytes::Bytes;

pub use dialog::{DialogId, InDialogRequest};
pub use handler::{
    Accept, ComposingHandler, Decision, DeferredHandler, DialogHandler, FileTransferHandler,
    LargeMessageHandler, NotificationHandler, OtherRequestHandler, PagerHandler,
    PlainMessageHandler, Reject, SessionHandler,
};
pub use view::{
    ComposingReceived, DeferredGroupSession, FileTransferInvitation, ImdnReceived,
    LargeMessageInvitation, PagerMessage, PlainMessage, RequestView, SessionInvitation,
};

use crate::error::{ParseError, ValueError};
use crate::outgoing::ClientConfig;
use crate::routing::{FeatureTag, Route, RoutedRequest, TagSet};
use crate::sdp::answer::{answer_setup, refused_streams, Offered, SdpAnswer};
use crate::sdp::{Answering, Direction, NegotiatedMsrp, Sdp, Setup};
use crate::sip::{
    Echo, KnownHeader, Limits, Method, NameAddr, Response, ResponseWriter, Salvaged, Source,
    StatusCode,
};
use crate::user_agent::ProductStamp;

/// The methods the client serves, for `Allow`.
const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, MESSAGE, OPTIONS";
/// With a [`DialogHandler`], the in-dialog methods it hears of too.
const ALLOW_WITH_DIALOGS: &str =
    "INVITE, ACK, CANCEL, BYE, MESSAGE, OPTIONS, UPDATE, INFO, PRACK, NOTIFY, REFER";
/// The body types the client reads, for `Accept` in an OPTIONS answer.
const ACCEPT: &str = "application/sdp, message/cpim, multipart/mixed";
/// The MSRP port of SDP answers when the dispatcher has no [`ClientConfig`].
const FALLBACK_MSRP_PORT: u16 = 2855;
/// The port an endpoint that only connects out writes (RFC 4145): nothing listens.
const DISCARD_PORT: u16 = 9;

/// What the dispatcher and its pending responses share: settings, never handlers.
#[derive(Debug)]
struct Settings {
    /// The `Server` value, written once when the dispatcher is built.
    server: String,
    client: Option<ClientConfig>,
    limits: Limits,
    services: TagSet,
    dialogs: bool,
    secret: std::collections::hash_map::RandomState,
}

/// Builds a [`Dispatcher`] with the handlers the application has.
///
/// ```
/// use cpm_client::outgoing::{ContactAddress, MsrpEndpoint, Transport};
/// use cpm_client::{ClientConfig, Decision, Dispatcher, PagerHandler, PagerMessage, ReleaseVersion};
///
/// struct Inbox;
/// impl PagerHandler for Inbox {
///     fn pager_message(&self, _: &PagerMessage<'_>) -> Decision { Decision::accept() }
/// }
///
/// let me = ClientConfig::new(
///     "sip:+15550100002@ims.example.net",
///     ContactAddress::new("192.0.2.20", 5060, Transport::Tcp)?,
/// )?
/// .with_release(ReleaseVersion::OMA2_2)
/// .with_msrp(MsrpEndpoint::new().with_port(2855));
/// let dispatcher = Dispatcher::builder().client(me).pager(Inbox).build();
/// # drop(dispatcher);
/// # Ok::<(), cpm_client::BuildError>(())
/// ```
#[must_use]
pub struct DispatcherBuilder {
    settings: Settings,
    handlers: Handlers,
}

#[derive(Default)]
struct Handlers {
    pager: Option<Box<dyn PagerHandler>>,
    notification: Option<Box<dyn NotificationHandler>>,
    composing: Option<Box<dyn ComposingHandler>>,
    plain: Option<Box<dyn PlainMessageHandler>>,
    large_message: Option<Box<dyn LargeMessageHandler>>,
    session: Option<Box<dyn SessionHandler>>,
    file_transfer: Option<Box<dyn FileTransferHandler>>,
    deferred: Option<Box<dyn DeferredHandler>>,
    dialog: Option<Box<dyn DialogHandler>>,
    other: Option<Box<dyn OtherRequestHandler>>,
}

impl DispatcherBuilder {
    /// Who the client is: its Contact (with `+sip.instance`) for INVITE answers and
    /// OPTIONS, its MSRP endpoint for SDP answers, and its release stamp for `Server`.
    /// The same [`ClientConfig`] builds the client's outgoing requests.
    ///
    /// Without one, a response's Contact is the request's Request-URI, SDP answers name
    /// the Request-URI's host and MSRP port 2855, and `Server` is the default stamp.
    pub fn client(mut self, config: ClientConfig) -> Self {
        self.settings.server = config.stamp().to_string();
        self.settings.client = Some(config);
        self
    }

    /// The `Server` value of every response (default: `CPM-client/OMA2.0` and the
    /// library's product; [`DispatcherBuilder::client`] sets it from the client's
    /// configuration).
    pub fn stamp(mut self, stamp: ProductStamp) -> Self {
        self.settings.server = stamp.to_string();
        self
    }

    /// The reader's limits (default [`Limits::DEFAULT`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.settings.limits = limits;
        self
    }

    /// Handles Pager Mode messages (7.2.2.1, and deferred ones, 7.2.3.2).
    pub fn pager(mut self, handler: impl PagerHandler + 'static) -> Self {
        self.handlers.pager = Some(Box::new(handler));
        self.settings.services.insert(FeatureTag::Msg);
        self
    }

    /// Handles IMDNs received in pager mode (RFC 5438; see [`NotificationHandler`]
    /// for what happens without one).
    pub fn notifications(mut self, handler: impl NotificationHandler + 'static) -> Self {
        self.handlers.notification = Some(Box::new(handler));
        self
    }

    /// Handles is-composing indications received in pager mode (RFC 3994; see
    /// [`ComposingHandler`] for what happens without one).
    pub fn composing(mut self, handler: impl ComposingHandler + 'static) -> Self {
        self.handlers.composing = Some(Box::new(handler));
        self
    }

    /// Accepts plain MESSAGEs: a MESSAGE outside a dialog that names no CPM service
    /// (no CPM `+g.3gpp.icsi-ref` in Accept-Contact, no P-Preferred-Service; RFC 3428
    /// instant messaging from a plain SIP peer) goes to `handler` as a
    /// [`PlainMessage`]. Without this option such a MESSAGE keeps route `not-cpm`
    /// and goes to the [`OtherRequestHandler`], or is answered 403.
    pub fn plain_messages(mut self, handler: impl PlainMessageHandler + 'static) -> Self {
        self.handlers.plain = Some(Box::new(handler));
        self
    }

    /// Handles Large Message Mode messages (7.2.2.2, and deferred ones, 7.2.3.2).
    pub fn large_message(mut self, handler: impl LargeMessageHandler + 'static) -> Self {
        self.handlers.large_message = Some(Box::new(handler));
        self.settings.services.insert(FeatureTag::LargeMsg);
        self
    }

    /// Handles session invitations (7.3.2).
    pub fn session(mut self, handler: impl SessionHandler + 'static) -> Self {
        self.handlers.session = Some(Box::new(handler));
        self.settings.services.insert(FeatureTag::Session);
        self
    }

    /// Handles file-transfer requests (7.4.2).
    pub fn file_transfer(mut self, handler: impl FileTransferHandler + 'static) -> Self {
        self.handlers.file_transfer = Some(Box::new(handler));
        self.settings.services.insert(FeatureTag::FileTransfer);
        self
    }

    /// Handles deferred group-session delivery (7.3.11); also advertises the
    /// `deferred` service in OPTIONS answers.
    pub fn deferred(mut self, handler: impl DeferredHandler + 'static) -> Self {
        self.handlers.deferred = Some(Box::new(handler));
        self.settings.services.insert(FeatureTag::Deferred);
        self
    }

    /// Handles requests inside dialogs, and CANCEL.
    pub fn dialog(mut self, handler: impl DialogHandler + 'static) -> Self {
        self.handlers.dialog = Some(Box::new(handler));
        self.settings.dialogs = true;
        self
    }

    /// Handles MESSAGE and INVITE requests that name no CPM procedure.
    pub fn other(mut self, handler: impl OtherRequestHandler + 'static) -> Self {
        self.handlers.other = Some(Box::new(handler));
        self
    }

    /// The dispatcher, `Send + Sync`: one serves every thread of the application.
    pub fn build(self) -> Dispatcher {
        Dispatcher {
            settings: Arc::new(self.settings),
            handlers: self.handlers,
        }
    }
}

/// Turns incoming request bytes into handler calls and responses. `Send + Sync`:
/// share one across threads (behind an `Arc`).
///
/// ```
/// use bytes::Bytes;
/// use cpm_client::{Decision, Dispatcher, PagerHandler, PagerMessage, Route, StatusCode};
///
/// struct Inbox;
/// impl PagerHandler for Inbox {
///     fn pager_message(&self, message: &PagerMessage<'_>) -> Decision {
///         assert_eq!(message.content(), b"Hello, Bob!");
///         Decision::accept()
///     }
/// }
///
/// let dispatcher = Dispatcher::builder().pager(Inbox).build();
/// let outcome = dispatcher.dispatch(Bytes::from_static(
///     b"MESSAGE sip:bob@example.net SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.7;branch=z9hG4bK-1\r\n\
///       From: <sip:alice@example.net>;tag=a1\r\nTo: <sip:bob@example.net>\r\nCall-ID: c-1\r\n\
///       CSeq: 1 MESSAGE\r\n\
///       Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"\r\n\
///       Content-Type: text/plain\r\nContent-Length: 11\r\n\r\nHello, Bob!",
/// ));
/// assert_eq!(outcome.route(), Some(Route::Pager));
/// let response = outcome.response().unwrap();
/// assert_eq!(response.status(), StatusCode::OK);
/// assert!(response.as_bytes().starts_with(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 192.0.2.7;branch=z9hG4bK-1\r\n"));
/// ```
pub struct Dispatcher {
    settings: Arc<Settings>,
    handlers: Handlers,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("services", &self.settings.services)
            .field("dialogs", &self.settings.dialogs)
            .finish_non_exhaustive()
    }
}

/// What happened to a dispatched request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Handling {
    /// The procedure's handler decided.
    Handled,
    /// No handler for the procedure: the standard rejection was sent.
    NoHandler,
    /// An OPTIONS request, answered with the client's capabilities.
    Options,
    /// A request inside a dialog (or a CANCEL), given to the dialog handler if any.
    InDialog(Option<DialogId>),
    /// A method the client does not serve (405 or 501), or a dialog-only method
    /// outside a dialog (481).
    MethodNotServed,
    /// The Request-URI's scheme is not one a CPM client is reached by (`sip`, `sips`,
    /// `tel`): 416.
    UnsupportedUriScheme,
    /// The request requires a SIP extension (`Require`) the client does not implement:
    /// 420 with `Unsupported`.
    UnsupportedExtension,
    /// The request did not read; the error is the reason phrase of the 400 (505, 513
    /// where they fit). [`Outcome::response`] is `None` when nothing can be sent back:
    /// the bytes are not a request (a response, noise), an ACK, or a request without
    /// a Via.
    Malformed(ParseError),
    /// The handler panicked; 500 was sent.
    HandlerPanicked,
    /// A request that is never answered (an ACK in a dialog with no
    /// [`DialogHandler`]); the reason is in the `tracing` event too.
    Unanswered(&'static str),
    /// A request accepted (200) and dropped because no handler wants its kind (an
    /// IMDN without a [`NotificationHandler`]); the reason is in the `tracing`
    /// event too.
    Dropped(&'static str),
}

impl std::fmt::Display for Handling {
    /// A few words: `handled`, `no handler`, `malformed: line 8: ...`, ...
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Handling::Handled => f.write_str("handled"),
            Handling::NoHandler => f.write_str("no handler: standard rejection"),
            Handling::Options => f.write_str("OPTIONS: capabilities"),
            Handling::InDialog(Some(_)) => f.write_str("in a dialog"),
            Handling::InDialog(None) => f.write_str("dialog-related, no dialog id"),
            Handling::MethodNotServed => f.write_str("method not served"),
            Handling::UnsupportedUriScheme => f.write_str("unsupported Request-URI scheme"),
            Handling::UnsupportedExtension => f.write_str("requires an unsupported extension"),
            Handling::Malformed(error) => write!(f, "malformed: {error}"),
            Handling::HandlerPanicked => f.write_str("handler panicked"),
            Handling::Unanswered(why) => write!(f, "unanswered: {why}"),
            Handling::Dropped(why) => write!(f, "accepted and dropped: {why}"),
        }
    }
}

/// The result of one dispatch.
#[derive(Debug)]
#[must_use]
pub struct Outcome {
    route: Option<Route>,
    handling: Handling,
    response: Option<Response>,
    pending: Option<PendingResponse>,
    request: Option<RoutedRequest>,
    msrp: Option<NegotiatedMsrp>,
}

impl Outcome {
    /// The route; `None` when the request did not read.
    pub fn route(&self) -> Option<Route> {
        self.route
    }

    /// What happened to the request: which handler decided, or why none did.
    pub fn handling(&self) -> &Handling {
        &self.handling
    }

    /// The response to send now, if any (a final response, or 180 when the handler
    /// answers later).
    pub fn response(&self) -> Option<&Response> {
        self.response.as_ref()
    }

    /// Takes the response to send now.
    pub fn take_response(&mut self) -> Option<Response> {
        self.response.take()
    }

    /// The handle for the final response, when the handler answered
    /// [`Decision::Later`].
    pub fn take_pending(&mut self) -> Option<PendingResponse> {
        self.pending.take()
    }

    /// The request, when it read.
    pub fn request(&self) -> Option<&RoutedRequest> {
        self.request.as_ref()
    }

    /// The MSRP session the response's SDP answer set up, when the dispatcher wrote
    /// one (an INVITE accepted with the default answer): this end's path and role, the
    /// peer's path from the offer, types and sizes, ready for
    /// [`MsrpSessionConfig::from_negotiated`](crate::msrp::MsrpSessionConfig::from_negotiated).
    pub fn msrp(&self) -> Option<&NegotiatedMsrp> {
        self.msrp.as_ref()
    }
}

/// The final response still owed to a request whose handler answered
/// [`Decision::Later`]. `Send`, and independent of the dispatcher's lifetime: keep it
/// until the user decides, then build the response.
///
/// ```
/// use bytes::Bytes;
/// use cpm_client::{Decision, Dispatcher, SessionHandler, SessionInvitation, StatusCode};
///
/// struct AskUser;
/// impl SessionHandler for AskUser {
///     fn session_invitation(&self, _: &SessionInvitation<'_>) -> Decision { Decision::later() }
/// }
/// let dispatcher = Dispatcher::builder().session(AskUser).build();
/// let mut outcome = dispatcher.dispatch(Bytes::from_static(
///     b"INVITE sip:bob@example.net SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.7;branch=z9hG4bK-2\r\n\
///       From: <sip:alice@example.net>;tag=a1\r\nTo: <sip:bob@example.net>\r\nCall-ID: s-1\r\n\
///       CSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.7>\r\n\
///       Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"\r\n\
///       Content-Type: application/sdp\r\nContent-Length: 116\r\n\r\n\
///       v=0\r\no=- 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n\
///       m=message 9 TCP/MSRP *\r\na=accept-types:message/cpim\r\n",
/// ));
/// assert_eq!(outcome.response().unwrap().status(), StatusCode::RINGING);
/// let pending = outcome.take_pending().unwrap();
/// // ... later, on another thread perhaps:
/// let ok = pending.accept();
/// assert_eq!(ok.status(), StatusCode::OK);
/// ```
#[derive(Debug)]
#[must_use]
pub struct PendingResponse {
    request: RoutedRequest,
    route: Route,
    settings: Arc<Settings>,
    source: Option<SocketAddr>,
}

impl PendingResponse {
    /// The request being answered.
    pub fn request(&self) -> &RoutedRequest {
        &self.request
    }

    /// Accepts with 200 OK and the default answer.
    pub fn accept(self) -> Response {
        self.accept_with(Accept::default())
    }

    /// Accepts as `accept` says.
    pub fn accept_with(self, accept: Accept) -> Response {
        let response =
            Responder::new(&self.settings, &self.request, self.route, self.source).accept(&accept);
        tracing::debug!(
            route = self.route.as_str(),
            status = response.status().code(),
            "answered later"
        );
        response
    }

    /// Accepts as `accept` says, and gives the MSRP session the SDP answer set up
    /// (`None` when the response carries no answer of the dispatcher's: a MESSAGE,
    /// a refusal with 488, the handler's own body), as [`Outcome::msrp`] does.
    pub fn accept_with_msrp(self, accept: Accept) -> (Response, Option<NegotiatedMsrp>) {
        let responder = Responder::new(&self.settings, &self.request, self.route, self.source);
        let response = responder.accept(&accept);
        tracing::debug!(
            route = self.route.as_str(),
            status = response.status().code(),
            "answered later"
        );
        (response, responder.negotiated.take())
    }

    /// Refuses with `status` (a status below 300 is answered 500).
    pub fn reject(self, status: StatusCode) -> Response {
        self.reject_with(Reject::new(status))
    }

    /// Refuses as `reject` says.
    pub fn reject_with(self, reject: Reject) -> Response {
        let response =
            Responder::new(&self.settings, &self.request, self.route, self.source).reject(&reject);
        tracing::debug!(
            route = self.route.as_str(),
            status = response.status().code(),
            "answered later"
        );
        response
    }
}

impl Dispatcher {
    /// Starts a builder with no handlers.
    pub fn builder() -> DispatcherBuilder {
        DispatcherBuilder {
            settings: Settings {
                server: ProductStamp::default().to_string(),
                client: None,
                limits: Limits::DEFAULT,
                services: TagSet::EMPTY,
                dialogs: false,
                secret: std::collections::hash_map::RandomState::new(),
            },
            handlers: Handlers::default(),
        }
    }

    /// Reads, routes and handles one request, and says what to send back.
    ///
    /// Never panics, whatever the bytes; a handler's panic is caught and answered 500.
    pub fn dispatch(&self, bytes: Bytes) -> Outcome {
        self.dispatch_with(bytes, None)
    }

    /// [`Dispatcher::dispatch`] for a request that came from `source` (the packet's
    /// or the connection's remote address): the top Via of every response to it,
    /// the later one of a [`PendingResponse`] included, gets `received=<source
    /// address>` when its sent-by host is not that address, and `rport=<source port>`
    /// (with `received`) when it carries a bare `rport` (RFC 3261 18.2.1, RFC 3581
    /// section 4), so that the response finds its way back through a NAT.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use cpm_client::Dispatcher;
    ///
    /// let outcome = Dispatcher::builder().build().dispatch_from(
    ///     Bytes::from_static(b"OPTIONS sip:bob@example.net SIP/2.0\r\n\
    ///         Via: SIP/2.0/UDP 10.1.1.1:4540;rport;branch=z9hG4bKkjsh\r\n\
    ///         From: <sip:alice@example.net>;tag=a1\r\nTo: <sip:bob@example.net>\r\n\
    ///         Call-ID: o1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"),
    ///     "192.0.2.1:9988".parse().unwrap(),
    /// );
    /// let response = outcome.response().unwrap().read().unwrap();
    /// assert_eq!(
    ///     response.header("Via").unwrap().value(),
    ///     b"SIP/2.0/UDP 10.1.1.1:4540;rport=9988;branch=z9hG4bKkjsh;received=192.0.2.1"
    /// );
    /// ```
    pub fn dispatch_from(&self, bytes: Bytes, source: SocketAddr) -> Outcome {
        self.dispatch_with(bytes, Some(source))
    }

    fn dispatch_with(&self, bytes: Bytes, source: Option<SocketAddr>) -> Outcome {
        let span = tracing::debug_span!(
            "cpm_dispatch",
            method = tracing::field::Empty,
            call_id = tracing::field::Empty,
        );
        let _entered = span.enter();
        let request = match RoutedRequest::parse_or_return(bytes, &self.settings.limits) {
            Ok(request) => request,
            Err((error, bytes)) => return self.malformed(&bytes, error, source),
        };
        // The fields are computed only when a subscriber takes the span.
        if !span.is_disabled() {
            span.record("method", request.method().as_str());
            span.record(
                "call_id",
                tracing::field::display(String::from_utf8_lossy(
                    RequestView::new(&request).call_id_bytes(),
                )),
            );
        }
        let outcome = self.handle(request, source);
        match &outcome.response {
            Some(response) => tracing::debug!(
                route = outcome.route.map_or("none", Route::as_str),
                handling = %outcome.handling,
                status = response.status().code(),
                "dispatched"
            ),
            None => tracing::debug!(
                route = outcome.route.map_or("none", Route::as_str),
                handling = %outcome.handling,
                "dispatched, nothing to send now"
            ),
        }
        outcome
    }

    fn handle(&self, request: RoutedRequest, source: Option<SocketAddr>) -> Outcome {
        let route = request.route();
        let method = request.method();
        // From and To are read once: for their checks here, for the To-tag's
        // identity (From) and for whether a response adds a To-tag (To).
        let from = request
            .first_known(KnownHeader::From)
            .map(|h| (h.value(), NameAddr::parse_in(KnownHeader::From, h.value())));
        let from_tag = match &from {
            Some((_, Ok(address))) => address.tag(),
            _ => None,
        };
        let to = request
            .first_known(KnownHeader::To)
            .map(|h| (h.value(), NameAddr::parse_in(KnownHeader::To, h.value())));
        let to_tagged = match &to {
            Some((_, Ok(address))) => Some(address.tag().is_some()),
            _ => None,
        };
        let responder =
            Responder::with_addresses(&self.settings, &request, route, source, from_tag, to_tagged);
        // A To read without a tag names no dialog: no second reading of it.
        let in_dialog = match to_tagged {
            Some(false) => None,
            _ => DialogId::of(&request),
        };
        if method != Method::Ack {
            if let Some(error) = malformed_address(&request, from, to) {
                let reason = error.to_string();
                let response =
                    responder.reject(&Reject::new(StatusCode::BAD_REQUEST).with_reason(reason));
                return Outcome {
                    route: Some(route),
                    handling: Handling::Malformed(error),
                    response: Some(response),
                    pending: None,
                    request: Some(request),
                    msrp: None,
                };
            }
        }
        // Header inspection comes after method inspection (RFC 3261 8.2.1, 8.2.2): a
        // method the client does not serve gets its 405/501/481 whatever its
        // Request-URI or Require say; then the Request-URI (8.2.2.1), then Require
        // (8.2.2.3).
        let served = match method {
            Method::Extension(_) | Method::Ack | Method::Cancel => false,
            Method::Options | Method::Message | Method::Invite => true,
            _ => in_dialog.is_some(),
        };
        if served && !reachable_scheme(request.request_uri()) {
            let response = responder.reject(&Reject::new(StatusCode::UNSUPPORTED_URI_SCHEME));
            return Outcome {
                route: Some(route),
                handling: Handling::UnsupportedUriScheme,
                response: Some(response),
                pending: None,
                request: Some(request),
                msrp: None,
            };
        }
        if served {
            if let Some(response) = responder.unsupported_extensions() {
                return Outcome {
                    route: Some(route),
                    handling: Handling::UnsupportedExtension,
                    response: Some(response),
                    pending: None,
                    request: Some(request),
                    msrp: None,
                };
            }
        }

        let (handling, response, later) = match method {
            Method::Extension(_) => (
                Handling::MethodNotServed,
                Some(responder.not_served(StatusCode::NOT_IMPLEMENTED)),
                false,
            ),
            Method::Options => (Handling::Options, Some(responder.options()), false),
            Method::Ack | Method::Cancel => self.dialog(&request, in_dialog, &responder),
            _ if in_dialog.is_some() => self.dialog(&request, in_dialog, &responder),
            Method::Message | Method::Invite => self.procedure(&request, &responder),
            // Methods that only live inside a dialog: none is known here.
            Method::Notify | Method::Refer if self.settings.dialogs => (
                Handling::MethodNotServed,
                Some(
                    responder.reject(&Reject::new(StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST)),
                ),
                false,
            ),
            Method::Bye | Method::Update | Method::Info | Method::Prack => (
                Handling::MethodNotServed,
                Some(
                    responder.reject(&Reject::new(StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST)),
                ),
                false,
            ),
            _ => (
                Handling::MethodNotServed,
                Some(responder.not_served(StatusCode::METHOD_NOT_ALLOWED)),
                false,
            ),
        };
        let pending = later.then(|| PendingResponse {
            request: request.clone(),
            route,
            settings: Arc::clone(&self.settings),
            source,
        });
        let msrp = responder.negotiated.take();
        Outcome {
            route: Some(route),
            handling,
            response,
            pending,
            request: Some(request),
            msrp,
        }
    }

    /// A MESSAGE or INVITE outside a dialog: the section-7 procedure's handler.
    fn procedure<'r>(
        &self,
        request: &'r RoutedRequest,
        responder: &Responder<'r>,
    ) -> (Handling, Option<Response>, bool) {
        let h = &self.handlers;
        // An INVITE's view reads the SDP offer once; the answer is made from that read.
        let offer = |sdp: Option<&Sdp<'r>>| {
            let _ = responder.offer.set(sdp.copied());
        };
        let decision = match request.route() {
            Route::Pager => {
                let message = PagerMessage::new(request);
                match message.indication() {
                    Indication::Notification => return self.notification(message, responder),
                    Indication::Composing => return self.composing(message, responder),
                    Indication::None => {}
                }
                h.pager
                    .as_ref()
                    .map(|h| guarded(|| h.pager_message(&message)))
            }
            Route::LargeMessage => h.large_message.as_ref().map(|h| {
                let view = LargeMessageInvitation::new(request);
                offer(view.sdp());
                guarded(|| h.large_message(&view))
            }),
            Route::Session => h.session.as_ref().map(|h| {
                let view = SessionInvitation::new(request);
                offer(view.sdp());
                guarded(|| h.session_invitation(&view))
            }),
            Route::FileTransfer => h.file_transfer.as_ref().map(|h| {
                let view = FileTransferInvitation::new(request);
                offer(view.sdp());
                guarded(|| h.file_transfer(&view))
            }),
            Route::DeferredGroupSession => h.deferred.as_ref().map(|h| {
                let view = DeferredGroupSession::new(request);
                offer(view.sdp());
                guarded(|| h.deferred_group_session(&view))
            }),
            Route::NotCpm if h.plain.is_some() && is_plain_message(request) => h
                .plain
                .as_ref()
                .map(|h| guarded(|| h.plain_message(&PlainMessage::new(request)))),
            Route::NotCpm => h
                .other
                .as_ref()
                .map(|h| guarded(|| h.other_request(&RequestView::new(request)))),
        };
        match decision {
            None => (
                Handling::NoHandler,
                Some(responder.standard_rejection()),
                false,
            ),
            Some(decision) => responder.decided(decision),
        }
    }

    /// A pager-mode IMDN: its handler, or 200 and dropped; 400 when the document
    /// does not read.
    fn notification(
        &self,
        message: PagerMessage<'_>,
        responder: &Responder<'_>,
    ) -> (Handling, Option<Response>, bool) {
        let imdn = match crate::imdn::Imdn::parse(message.content()) {
            Ok(imdn) => imdn,
            Err(error) => {
                tracing::debug!(%error, "an IMDN that does not read; 400");
                let reject =
                    Reject::new(StatusCode::BAD_REQUEST).with_reason(format!("IMDN: {error}"));
                return (Handling::Handled, Some(responder.reject(&reject)), false);
            }
        };
        match &self.handlers.notification {
            Some(h) => {
                let received = ImdnReceived::new(message, imdn);
                responder.decided(guarded(|| h.notification(&received)))
            }
            None => {
                tracing::debug!(
                    message_id = %imdn.message_id,
                    status = %imdn.status,
                    "an IMDN with no notification handler: accepted and dropped"
                );
                (
                    Handling::Dropped("an IMDN with no notification handler"),
                    Some(responder.accept(&Accept::default())),
                    false,
                )
            }
        }
    }

    /// A pager-mode is-composing indication: its handler, or 200 and dropped; 400
    /// when the document does not read.
    fn composing(
        &self,
        message: PagerMessage<'_>,
        responder: &Responder<'_>,
    ) -> (Handling, Option<Response>, bool) {
        let indication = match crate::iscomposing::IsComposing::parse(message.content()) {
            Ok(indication) => indication,
            Err(error) => {
                tracing::debug!(%error, "an is-composing indication that does not read; 400");
                let reject = Reject::new(StatusCode::BAD_REQUEST)
                    .with_reason(format!("is-composing: {error}"));
                return (Handling::Handled, Some(responder.reject(&reject)), false);
            }
        };
        match &self.handlers.composing {
            Some(h) => {
                let received = ComposingReceived::new(message, indication);
                responder.decided(guarded(|| h.is_composing(&received)))
            }
            None => {
                tracing::debug!(
                    state = %indication.state,
                    "an is-composing indication with no composing handler: accepted and dropped"
                );
                (
                    Handling::Dropped("an is-composing indication with no composing handler"),
                    Some(responder.accept(&Accept::default())),
                    false,
                )
            }
        }
    }

    /// A request inside a dialog, an ACK or a CANCEL.
    fn dialog(
        &self,
        request: &RoutedRequest,
        dialog: Option<DialogId>,
        responder: &Responder<'_>,
    ) -> (Handling, Option<Response>, bool) {
        let method = request.method();
        let decision = self
            .handlers
            .dialog
            .as_ref()
            .map(|h| guarded(|| h.in_dialog(&InDialogRequest::new(request, dialog.as_ref()))));
        if method == Method::Ack {
            let handling = match decision {
                Some(Some(_)) => Handling::InDialog(dialog),
                Some(None) => Handling::HandlerPanicked,
                None => Handling::Unanswered("an ACK is never answered; no dialog handler"),
            };
            return (handling, None, false);
        }
        let (handling, response, later) = match decision {
            Some(decision) => responder.decided(decision),
            None => {
                let status = match method {
                    Method::Bye | Method::Cancel => StatusCode::OK,
                    _ => StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST,
                };
                (Handling::Handled, Some(responder.plain(status)), false)
            }
        };
        let handling = match handling {
            Handling::Handled => Handling::InDialog(dialog),
            other => other,
        };
        (handling, response, later)
    }

    /// The answer to bytes that did not read: a 400 (505, 513) copying what of Via,
    /// From, To, Call-ID and CSeq can be found, as written, so that the peer can match
    /// it by its own rules even when one of them is the fault (RFC 4475 sections
    /// 3.1.2.1, 3.1.2.4, 3.3.1 ask for a 400 to such requests).
    fn malformed(&self, bytes: &[u8], error: ParseError, source: Option<SocketAddr>) -> Outcome {
        let response = match Salvaged::read(bytes, &self.settings.limits) {
            Ok(salvaged) => {
                let status = error.status_code();
                let echo = Echo {
                    to_tag: Some(&to_tag(&self.settings, bytes)),
                    source,
                    ..Echo::default()
                };
                let source = Source::Salvaged(&salvaged);
                let mut w = ResponseWriter::start(status, &error.to_string(), source, echo);
                w.server(&self.settings.server);
                let response = w.finish(None);
                tracing::info!(error = %error, status = response.status().code(), "request refused");
                Some(response)
            }
            Err(why) => {
                tracing::warn!(error = %error, why = why.as_str(), "request refused, nothing to answer");
                None
            }
        };
        Outcome {
            route: None,
            handling: Handling::Malformed(error),
            response,
            pending: None,
            request: None,
            msrp: None,
        }
    }
}

/// Whether `uri` is of a scheme a CPM client is reached by: `sip`, `sips` or `tel`
/// (any case, RFC 3261 19.1.4).
fn reachable_scheme(uri: &[u8]) -> bool {
    let scheme = uri.split(|&b| b == b':').next().unwrap_or_default();
    [&b"sip"[..], b"sips", b"tel"]
        .iter()
        .any(|known| scheme.eq_ignore_ascii_case(known))
}

/// The error for a From or To that is not an address, or whose `tag` is not written
/// `tag=value` once (see [`NameAddr::parse_in`]): the reader leaves them unread, but a
/// response must carry them (To with exactly one tag) and dialogs are named by their
/// tags. The error names the line and the byte of the fault.
///
/// `from` and `to` are the first From's and To's values with what
/// [`NameAddr::parse_in`] made of them, read by the caller.
fn malformed_address<'r>(
    request: &'r RoutedRequest,
    from: Option<(&'r [u8], Result<NameAddr<'r>, ValueError>)>,
    to: Option<(&'r [u8], Result<NameAddr<'r>, ValueError>)>,
) -> Option<ParseError> {
    // From first, then To.
    [from, to].into_iter().flatten().find_map(|(value, read)| {
        let fault = read.err()?;
        let at = request.offset_of(value).unwrap_or_default() + fault.offset();
        Some(ParseError::at(fault.kind().clone(), request.buffer(), at))
    })
}

/// A MESSAGE naming no CPM service at all: no CPM tag in Accept-Contact and no
/// P-Preferred-Service (RFC 3428 instant messaging).
fn is_plain_message(request: &RoutedRequest) -> bool {
    request.method() == Method::Message
        && request.tags().is_empty()
        && request.header("P-Preferred-Service").is_none()
}

/// Runs a handler, turning a panic into `None`.
fn guarded(handler: impl FnOnce() -> Decision) -> Option<Decision> {
    match catch_unwind(AssertUnwindSafe(handler)) {
        Ok(decision) => Some(decision),
        Err(_) => {
            tracing::error!("handler panicked; answering 500");
            None
        }
    }
}

/// The To-tag this client gives bytes that did not read: a hash of them under a
/// per-dispatcher secret, so that a retransmission gets the same tag and nobody can
/// predict it. 16 hex digits.
fn to_tag(settings: &Settings, identity: impl Hash) -> [u8; 16] {
    hex_tag(settings.secret.hash_one(identity))
}

/// The 16 lower-case hex digits of `value`, as a To-tag.
fn hex_tag(mut value: u64) -> [u8; 16] {
    let mut tag = [0u8; 16];
    for slot in tag.iter_mut().rev() {
        *slot = b"0123456789abcdef"[(value & 0xf) as usize];
        value >>= 4;
    }
    tag
}

/// What identifies a request for its To-tag (RFC 3261 8.2.6.2: the same tag for a
/// retransmission): Call-ID, From-tag, top Via value, CSeq number.
///
/// Hashed as one fixed-size head holding the lengths (and whether the optional parts
/// are there) and the number, then the bytes of each part: the parts cannot be
/// confused with one another, and the keyed hasher is fed four times rather than once
/// per field and length.
struct Identity<'r> {
    call_id: &'r [u8],
    from_tag: Option<&'r [u8]>,
    top_via: Option<&'r [u8]>,
    cseq: u32,
}

impl Hash for Identity<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // 0 for an absent part, its length plus one for a present one.
        let len = |part: Option<&[u8]>| part.map_or(0, |p| (p.len() as u64).wrapping_add(1));
        let mut head = [0u8; 28];
        let fields = [
            self.call_id.len() as u64,
            len(self.from_tag),
            len(self.top_via),
        ];
        for (slot, field) in head.chunks_exact_mut(8).zip(fields) {
            slot.copy_from_slice(&field.to_le_bytes());
        }
        if let Some(slot) = head.get_mut(24..) {
            slot.copy_from_slice(&self.cseq.to_le_bytes());
        }
        state.write(&head);
        state.write(self.call_id);
        for part in [self.from_tag, self.top_via].into_iter().flatten() {
            state.write(part);
        }
    }
}

/// Builds the responses to one request that read.
struct Responder<'a> {
    settings: &'a Settings,
    request: &'a RoutedRequest,
    route: Route,
    to_tag: [u8; 16],
    /// The keyed hash of what identifies the request, from which the To-tag and the
    /// identifiers of an SDP answer are drawn.
    seed: u64,
    /// The request's SDP offer, once read (by the handler's view, or here).
    offer: OnceCell<Option<Sdp<'a>>>,
    /// Where the request came from, for the top Via's `received` and `rport`.
    source: Option<SocketAddr>,
    /// The MSRP session of the SDP answer written, if any.
    negotiated: Cell<Option<NegotiatedMsrp>>,
    /// Whether the request's To has a tag, when known (`None`: the writer reads To).
    to_tagged: Option<bool>,
}

impl<'a> Responder<'a> {
    fn new(
        settings: &'a Settings,
        request: &'a RoutedRequest,
        route: Route,
        source: Option<SocketAddr>,
    ) -> Self {
        let from_tag = RequestView::new(request).sender().and_then(|f| f.tag());
        Responder::with_addresses(settings, request, route, source, from_tag, None)
    }

    /// [`Responder::new`] with the tag of the request's From (`None` when From does
    /// not read or has none) and whether its To has a tag (`None`: To does not read,
    /// or was not read) read by the caller.
    fn with_addresses(
        settings: &'a Settings,
        request: &'a RoutedRequest,
        route: Route,
        source: Option<SocketAddr>,
        from_tag: Option<&[u8]>,
        to_tagged: Option<bool>,
    ) -> Self {
        let view = RequestView::new(request);
        let identity = Identity {
            call_id: view.call_id_bytes(),
            from_tag,
            // The top Via's first value (a Via the walk accepted always has one).
            top_via: request
                .first_known(KnownHeader::Via)
                .map(|via| via.first_value()),
            cseq: request.cseq(),
        };
        let seed = settings.secret.hash_one(identity);
        Responder {
            settings,
            request,
            route,
            // The keyed hash is the tag itself: what else is drawn from it (the SDP
            // answer's identifiers) is hashed again under the secret, so showing it
            // tells nobody those.
            to_tag: hex_tag(seed),
            seed,
            offer: OnceCell::new(),
            source,
            negotiated: Cell::new(None),
            to_tagged,
        }
    }

    /// The host of the Request-URI (`sip:user@host:port;...`), for SDP answers made
    /// without a [`ClientConfig`]; `127.0.0.1` when it has none that is a plain host.
    fn request_uri_host(&self) -> &'a str {
        uri_host(std::str::from_utf8(self.request.request_uri()).unwrap_or_default())
    }

    /// The Request-URI, when it can stand between `<` and `>` as a Contact address
    /// without a ClientConfig: a `sip:`/`sips:` URI with none of `<>",` in it.
    fn request_uri_as_contact(&self) -> Option<&'a str> {
        let uri = std::str::from_utf8(self.request.request_uri()).ok()?;
        let sip = uri.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("sip:"))
            || uri
                .get(..5)
                .is_some_and(|s| s.eq_ignore_ascii_case("sips:"));
        (sip && !uri.contains(['<', '>', '"', ','])).then_some(uri)
    }

    fn is_invite(&self) -> bool {
        self.request.method() == Method::Invite
    }

    /// The response's first part: status line and the copied headers.
    fn start(&self, status: StatusCode, reason: &str) -> ResponseWriter {
        let dialog_creating = self.is_invite()
            && (status.is_success() || (status.code() > 100 && status.code() < 200));
        let echo = Echo {
            to_tag: (status != StatusCode::TRYING).then_some(&self.to_tag[..]),
            record_route: dialog_creating,
            cpm_ids: self.route != Route::NotCpm,
            source: self.source,
            to_tagged: self.to_tagged,
        };
        let mut w = ResponseWriter::start(status, reason, Source::Request(self.request), echo);
        if dialog_creating {
            w.header(
                "Contact",
                ContactValue {
                    responder: self,
                    tags: self.icsi(),
                },
            );
        }
        w
    }

    /// The ICSI a dialog-creating answer names in its Contact.
    fn icsi(&self) -> TagSet {
        // A stored message delivered over MSRP is a large message (7.2.2.2).
        let tag = match self.route {
            Route::LargeMessage => FeatureTag::LargeMsg,
            Route::DeferredGroupSession => FeatureTag::Deferred,
            Route::Session => FeatureTag::Session,
            Route::FileTransfer => FeatureTag::FileTransfer,
            Route::Pager | Route::NotCpm => return TagSet::EMPTY,
        };
        TagSet::EMPTY.with(tag)
    }

    /// A response with no body beyond the copied headers and Server.
    fn plain(&self, status: StatusCode) -> Response {
        let mut w = self.start(status, status.canonical_reason());
        w.server(&self.settings.server);
        w.finish(None)
    }

    /// Turns a handler's decision (or its panic) into what to send now.
    fn decided(&self, decision: Option<Decision>) -> (Handling, Option<Response>, bool) {
        match decision {
            None => (
                Handling::HandlerPanicked,
                Some(self.plain(StatusCode::SERVER_INTERNAL_ERROR)),
                false,
            ),
            Some(Decision::Accept(accept)) => {
                (Handling::Handled, Some(self.accept(&accept)), false)
            }
            Some(Decision::Reject(reject)) => {
                (Handling::Handled, Some(self.reject(&reject)), false)
            }
            Some(Decision::Later) if self.is_invite() => (
                Handling::Handled,
                Some(self.plain(StatusCode::RINGING)),
                true,
            ),
            Some(Decision::Later) => (Handling::Handled, None, true),
        }
    }

    fn reject(&self, reject: &Reject) -> Response {
        if !reject.status.is_final() || reject.status.is_success() || reject.status.code() < 300 {
            tracing::warn!(
                status = reject.status.code(),
                "a handler refused with a status below 300; answering 500"
            );
            return self.plain(StatusCode::SERVER_INTERNAL_ERROR);
        }
        let reason = reject
            .reason
            .as_deref()
            .unwrap_or(reject.status.canonical_reason());
        let mut w = self.start(reject.status, reason);
        // What RFC 3261 makes these refusals carry (8.2.2.1, 8.2.3).
        match reject.status {
            StatusCode::METHOD_NOT_ALLOWED => {
                w.header("Allow", self.allow());
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                w.header("Accept", ACCEPT);
            }
            _ => {}
        }
        w.server(&self.settings.server);
        w.finish(None)
    }

    /// The standard rejection of a procedure without a handler.
    fn standard_rejection(&self) -> Response {
        let status = if self.is_invite() {
            StatusCode::DECLINE
        } else {
            StatusCode::FORBIDDEN
        };
        self.plain(status)
    }

    /// 420 Bad Extension listing in `Unsupported` the options of `Require` (RFC 3261
    /// section 8.2.2.3): the client implements no SIP extension a request could
    /// require. `None` when the request requires nothing.
    fn unsupported_extensions(&self) -> Option<Response> {
        // Most requests have no Require: the header index says so without a walk.
        self.request.first_known(KnownHeader::Require)?;
        let mut options = self.request.header_values("Require").peekable();
        options.peek()?;
        let mut w = self.start(StatusCode::BAD_EXTENSION, "Bad Extension");
        for option in options {
            w.header("Unsupported", String::from_utf8_lossy(option));
        }
        w.server(&self.settings.server);
        Some(w.finish(None))
    }

    /// 405 or 501, with Allow.
    fn not_served(&self, status: StatusCode) -> Response {
        let mut w = self.start(status, status.canonical_reason());
        w.header("Allow", self.allow());
        w.server(&self.settings.server);
        w.finish(None)
    }

    fn allow(&self) -> &'static str {
        if self.settings.dialogs {
            ALLOW_WITH_DIALOGS
        } else {
            ALLOW
        }
    }

    /// 200 to OPTIONS: the services with handlers as feature tags, Allow, Accept.
    fn options(&self) -> Response {
        let mut w = self.start(StatusCode::OK, "OK");
        w.header(
            "Contact",
            ContactValue {
                responder: self,
                tags: self.settings.services,
            },
        );
        w.header("Allow", self.allow());
        w.header("Accept", ACCEPT);
        w.server(&self.settings.server);
        w.finish(None)
    }

    fn accept(&self, accept: &Accept) -> Response {
        // 202 is a MESSAGE's answer (RFC 3428); an INVITE is accepted with 200.
        let status = if accept.accepted && !self.is_invite() {
            StatusCode::ACCEPTED
        } else {
            StatusCode::OK
        };
        if let Some((content_type, body)) = &accept.body {
            let mut w = self.start(status, status.canonical_reason());
            w.server(&self.settings.server);
            return w.finish(Some((content_type, body)));
        }
        if !self.is_invite() {
            let mut w = self.start(status, status.canonical_reason());
            w.server(&self.settings.server);
            return w.finish(None);
        }
        let mut sdp = Vec::with_capacity(512);
        if let Err(why) = self.sdp_answer(accept, &mut sdp) {
            tracing::warn!(why, "an accepted INVITE cannot be answered; 488");
            let refusal = Reject::new(StatusCode::NOT_ACCEPTABLE_HERE).with_reason(why);
            return self.reject(&refusal);
        }
        let mut w = self.start(status, status.canonical_reason());
        w.server(&self.settings.server);
        w.finish(Some(("application/sdp", &sdp)))
    }

    /// The MSRP session of the SDP answer `sdp` to the request's offer.
    fn negotiated(&self, sdp: &[u8]) -> Option<NegotiatedMsrp> {
        let answer = Sdp::parse(sdp).ok()?;
        let offer = self.offer.get()?.as_ref()?;
        NegotiatedMsrp::from_media(&answer.msrp()?, &offer.msrp()?, false)
    }

    /// Writes the SDP answer to the request's MSRP offer (RFC 3264, RFC 4975, RFC 4145,
    /// RFC 5547), or says why there can be none.
    fn sdp_answer(&self, accept: &Accept, out: &mut Vec<u8>) -> Result<(), &'static str> {
        if self.to_tagged != Some(false) && DialogId::of(self.request).is_some() {
            return Err("a re-INVITE is answered with the application's own SDP");
        }
        let request = self.request;
        let offer = self
            .offer
            .get_or_init(|| RequestView::new(request).sdp())
            .ok_or("no SDP offer to answer")?;
        let media = offer.msrp().ok_or("no MSRP media in the offer")?;
        let offered = Offered::read(&offer, &media);
        let tls = media.protocol().eq_ignore_ascii_case("TCP/TLS/MSRP");
        let configured = self.settings.client.as_ref().map(|c| c.msrp().setup());
        let setup = answer_setup(offered.setup, accept.setup, configured)?;
        let (host, port) = match &self.settings.client {
            Some(client) => (client.msrp_host(), client.msrp().port()),
            None => (self.request_uri_host(), FALLBACK_MSRP_PORT),
        };
        let ids = self.answer_ids();
        let default_path;
        let (path, port) = match &accept.msrp_path {
            Some(path) => (path.as_str(), msrp_uri_port(path).unwrap_or(port)),
            None => {
                let scheme = if tls { "msrps" } else { "msrp" };
                // `scheme://host:port/session;tcp`, pushed piece by piece (no fmt).
                let mut path = String::with_capacity(host.len() + ids.msrp_session.len() + 24);
                for part in [scheme, "://", host, ":"] {
                    path.push_str(part);
                }
                push_decimal(&mut path, port);
                for part in ["/", ids.msrp_session.as_str(), ";tcp"] {
                    path.push_str(part);
                }
                default_path = path;
                (default_path.as_str(), port)
            }
        };
        if setup == Setup::Passive && port == DISCARD_PORT {
            return Err("no MSRP port to listen on (set MsrpEndpoint::with_port)");
        }
        // The answer's direction mirrors the offer's; a two-way offer gets the
        // procedure's own: a session talks both ways, the others only receive.
        let direction = match offered.direction {
            Direction::SendRecv => match self.route {
                Route::Session | Route::NotCpm | Route::Pager => Direction::SendRecv,
                Route::LargeMessage | Route::FileTransfer | Route::DeferredGroupSession => {
                    Direction::RecvOnly
                }
            },
            one_way => one_way.reversed(),
        };
        let (refused_before, refused_after) = refused_streams(&offer, media.media().offset());
        let file = self.route == Route::FileTransfer;
        let answer = SdpAnswer {
            session_id: ids.sdp_session,
            host,
            port,
            proto: if tls { "TCP/TLS/MSRP" } else { "TCP/MSRP" },
            path,
            accept_types: accept
                .accept_types
                .as_deref()
                .unwrap_or(offered.accept_types.unwrap_or("message/cpim")),
            accept_wrapped_types: offered.accept_wrapped_types,
            setup,
            file_selector: offered.file_selector.filter(|_| file),
            file_transfer_id: offered.file_transfer_id.filter(|_| file),
            direction,
            max_size: accept.max_size,
            refused_before: &refused_before,
            refused_after: &refused_after,
        };
        answer.write(out);
        // The session is made from the values just written; the answer is read back
        // only when the writer had to change one of them.
        let answering = Answering {
            path: answer.path,
            setup: answer.setup,
            direction: answer.direction,
            tls,
            accept_types: answer.accept_types,
            max_size: answer.max_size,
            file_selector: answer.file_selector,
        };
        let negotiated =
            NegotiatedMsrp::answering(&media, &answering).or_else(|| self.negotiated(out));
        self.negotiated.set(negotiated);
        Ok(())
    }

    /// The identifiers of an SDP answer, drawn from the request's identity under the
    /// dispatcher's secret (stable across retransmissions, unguessable by others): a
    /// 128-bit MSRP session id (RFC 4975 section 14.1 asks for 80 bits at least) and the
    /// `o=` session id.
    fn answer_ids(&self) -> AnswerIds {
        let draw = |salt: u8| self.settings.secret.hash_one((self.seed, salt));
        let mut msrp_session = String::with_capacity(32);
        for word in [draw(1), draw(2)] {
            push_hex(&mut msrp_session, word);
        }
        AnswerIds {
            msrp_session,
            sdp_session: draw(3) >> 32,
        }
    }
}

/// The host of `uri` (`scheme:user@host:port;...`, `[v6]` without its brackets) when
/// it is a plain host (letters, digits, `.`, `-`, `:`), else `127.0.0.1`. Every
/// delimiter looked for is ASCII, so byte searches cut where the `str` searches would.
fn uri_host(uri: &str) -> &str {
    let bytes = uri.as_bytes();
    let after_scheme = bytes.iter().position(|&b| b == b':').map_or(0, |n| n + 1);
    let host_at = bytes
        .iter()
        .rposition(|&b| b == b'@')
        .filter(|&n| n >= after_scheme)
        .map_or(after_scheme, |n| n + 1);
    let rest = uri.get(host_at..).unwrap_or_default();
    let host = match rest.strip_prefix('[') {
        Some(v6) => {
            let end = v6.bytes().position(|b| b == b']').unwrap_or(v6.len());
            v6.get(..end).unwrap_or_default()
        }
        None => {
            let end = rest
                .bytes()
                .position(|b| matches!(b, b':' | b';' | b'?'))
                .unwrap_or(rest.len());
            rest.get(..end).unwrap_or_default()
        }
    };
    host_or_loopback(host)
}

/// `host` when it is a plain name or address (letters, digits, `.`, `-`, `:`), else
/// the loopback address, for the SDP answer's connection line.
fn host_or_loopback(host: &str) -> &str {
    let plain = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
    if host.is_empty() || !plain {
        "127.0.0.1"
    } else {
        host
    }
}

/// Appends the 16 lower-case hex digits of `word` (as `{:016x}` writes them).
fn push_hex(out: &mut String, word: u64) {
    for shift in (0..16).rev() {
        let nibble = (word >> (shift * 4)) & 0xf;
        out.push(char::from(b"0123456789abcdef"[nibble as usize]));
    }
}

/// Appends the decimal digits of `n` (as `{}` writes them).
fn push_decimal(out: &mut String, n: u16) {
    let mut digits = [b'0'; 5];
    let mut at = digits.len();
    let mut rest = n;
    while at > 0 {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

/// See [`Responder::answer_ids`].
struct AnswerIds {
    msrp_session: String,
    sdp_session: u64,
}

/// The port of an `msrp://host:port/...` or `msrps://` URI.
fn msrp_uri_port(uri: &str) -> Option<u16> {
    let authority = uri.split_once("://")?.1.split('/').next()?;
    let port = authority.rsplit_once(':')?.1;
    port.parse().ok()
}

/// `<contact>;+g.3gpp.icsi-ref="..."` for a set of services.
struct ContactValue<'r, 'a> {
    responder: &'r Responder<'a>,
    tags: TagSet,
}

impl std::fmt::Display for ContactValue<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(client) = &self.responder.settings.client {
            return f.write_str(&client.contact_value(self.tags));
        }
        let host = self.responder.request_uri_host();
        match self.responder.request_uri_as_contact() {
            Some(uri) => write!(f, "<{uri}>")?,
            None if host.contains(':') => write!(f, "<sip:[{host}]>")?,
            None => write!(f, "<sip:{host}>")?,
        }
        write!(f, "{}", self.tags.icsi_ref_param())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_hosts_are_found_as_the_str_searches_found_them() {
        // The reading before the byte searches, kept to compare with.
        fn reference(uri: &str) -> &str {
            let rest = uri.split_once(':').map_or(uri, |(_, rest)| rest);
            let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            let host = match rest.strip_prefix('[') {
                Some(v6) => v6.split(']').next().unwrap_or_default(),
                None => rest.split([':', ';', '?']).next().unwrap_or_default(),
            };
            host_or_loopback(host)
        }
        for uri in [
            "sip:+15555566686@ims.example.net",
            "sip:bob@example.net:5060;transport=tcp",
            "sips:example.net",
            "sip:[2001:db8::1]:5060",
            "sip:bob@[2001:db8::1];x",
            "sip:bob@[2001:db8::1",
            "tel:+15550100",
            "sip:a@b@c.example",
            "sip:@",
            "sip:",
            ":",
            "",
            "example.net",
            "a@b:c",
            "@x:y",
            "sip:bob@ho st",
            "sip:bob@h\u{e9}st;x",
            "sip:b\u{e9}b@host?x=1",
            "sip:bob@host?x=@y",
            "sip:bob;p=@x@host",
            "[::1]",
            "sip:[]",
        ] {
            assert_eq!(uri_host(uri), reference(uri), "{uri:?}");
        }
    }

    #[test]
    fn identities_that_differ_hash_apart() {
        let secret = std::collections::hash_map::RandomState::new();
        let id = |call_id: &'static [u8], from_tag, top_via, cseq| {
            secret.hash_one(Identity {
                call_id,
                from_tag,
                top_via,
                cseq,
            })
        };
        let base = id(b"ab", Some(&b"c"[..]), Some(&b"v"[..]), 1);
        assert_eq!(base, id(b"ab", Some(&b"c"[..]), Some(&b"v"[..]), 1));
        for other in [
            id(b"a", Some(&b"bc"[..]), Some(&b"v"[..]), 1),
            id(b"ab", Some(&b"cv"[..]), None, 1),
            id(b"ab", None, Some(&b"cv"[..]), 1),
            id(b"ab", Some(&b""[..]), Some(&b"cv"[..]), 1),
            id(b"ab", Some(&b"c"[..]), Some(&b"v"[..]), 2),
            id(b"abc", None, Some(&b"v"[..]), 1),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn digits_pushed_as_formatting_writes_them() {
        for word in [0, 1, 0xabc, u64::MAX, 0x0123_4567_89ab_cdef] {
            let mut out = String::new();
            push_hex(&mut out, word);
            assert_eq!(out, format!("{word:016x}"));
        }
        for n in [0u16, 9, 10, 2855, 9999, 65535] {
            let mut out = String::from("x");
            push_decimal(&mut out, n);
            assert_eq!(out, format!("x{n}"));
        }
    }
}
