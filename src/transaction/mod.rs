//! SIP transactions (RFC 3261 section 17, with the RFC 6026 corrections), sans-IO:
//! the retransmissions, timers and matching that make requests and responses reliable
//! over UDP, and that absorb the copies UDP delivers more than once.
//!
//! A [`TransactionLayer`] holds every transaction of one endpoint. The application
//! drives it with one loop, the way a QUIC application drives `quinn-proto`:
//!
//! - bytes in: [`send_request`](TransactionLayer::send_request) (a client
//!   transaction), [`handle_incoming`](TransactionLayer::handle_incoming) (every
//!   datagram or stream message received), [`respond`](TransactionLayer::respond) (the
//!   answer to a server transaction), [`cancel`](TransactionLayer::cancel);
//! - time in: [`handle_timeout`](TransactionLayer::handle_timeout) when
//!   [`poll_timeout`](TransactionLayer::poll_timeout) is reached;
//! - out: [`poll_transmit`](TransactionLayer::poll_transmit) (bytes to send, and to
//!   whom), [`poll_event`](TransactionLayer::poll_event) (responses, timeouts, ends).
//!
//! The library reads no clock: every method that needs the time takes `now`.
//!
//! | machine | states | timers |
//! | --- | --- | --- |
//! | client INVITE (17.1.1, RFC 6026 7.2) | Calling, Proceeding, Completed, Accepted | A, B, D, M |
//! | client non-INVITE (17.1.2) | Trying, Proceeding, Completed | E, F, K |
//! | server INVITE (17.2.1, RFC 6026 7.1) | Proceeding, Completed, Confirmed, Accepted | G, H, I, L, and the 2xx retransmissions of 13.3.1.4 |
//! | server non-INVITE (17.2.2) | Trying, Proceeding, Completed | J |
//!
//! A terminated transaction is removed at once; [`TransactionEvent::Terminated`] says
//! so. The layer also does what RFC 3261 gives the transaction user and that needs no
//! knowledge of dialogs: it builds and sends the ACK for a non-2xx final response
//! (17.1.1.3), retransmits the 2xx to an incoming INVITE until its ACK comes (13.3.1.4),
//! builds the CANCEL of [`cancel`](TransactionLayer::cancel) (9.1), and answers an
//! incoming CANCEL with 200 and the INVITE it cancels with 487 (9.2). The ACK for a 2xx
//! the client receives is the application's: it belongs to the dialog (13.2.2.4), and
//! `outgoing::Dialog` builds it.
//!
//! `docs/transactions.md` has the state diagrams, the timer table and how to drive the
//! layer from a blocking loop or from tokio.
//!
//! # Example
//!
//! Two endpoints on a virtual network: Alice sends a MESSAGE over UDP, the first copy is
//! lost, Timer E resends it, and Bob's application sees it once.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use bytes::Bytes;
//! use cpm_client::transaction::{Inbound, TransactionConfig, TransactionEvent, TransactionLayer};
//! use cpm_client::Transport;
//!
//! let message = Bytes::from_static(b"MESSAGE sip:bob@192.0.2.20 SIP/2.0\r\n\
//!     Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-m1\r\nMax-Forwards: 70\r\n\
//!     From: <sip:alice@example.net>;tag=a1\r\nTo: <sip:bob@example.net>\r\n\
//!     Call-ID: m1@192.0.2.10\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n\
//!     Content-Length: 2\r\n\r\nHi");
//! let t0 = Instant::now();
//! let mut alice = TransactionLayer::new(TransactionConfig::new());
//! let mut bob = TransactionLayer::new(TransactionConfig::new());
//!
//! let key = alice.send_request(message, Transport::Udp, "bob", t0)?;
//! let lost = alice.poll_transmit().unwrap();
//! assert_eq!(lost.destination, "bob");
//! assert_eq!(alice.poll_timeout(), Some(t0 + Duration::from_millis(500))); // Timer E
//!
//! let t1 = t0 + Duration::from_millis(500);
//! alice.handle_timeout(t1);
//! let copy = alice.poll_transmit().unwrap();
//! assert!(copy.retransmission);
//!
//! // Bob's side: a new server transaction; the application answers it.
//! let Inbound::Request { key: at_bob, request } = bob.handle_incoming(copy.bytes, Transport::Udp, "alice", t1) else {
//!     panic!("a new request")
//! };
//! assert_eq!(request.body(), b"Hi");
//! let ok = format!(
//!     "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-m1\r\n\
//!      From: <sip:alice@example.net>;tag=a1\r\nTo: <sip:bob@example.net>;tag=b1\r\n\
//!      Call-ID: m1@192.0.2.10\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n"
//! );
//! bob.respond(at_bob, Bytes::from(ok), t1)?;
//! let answer = bob.poll_transmit().unwrap();
//!
//! // Back at Alice's: the final response ends the wait.
//! alice.handle_incoming(answer.bytes, Transport::Udp, "bob", t1);
//! match alice.poll_event() {
//!     Some(TransactionEvent::Final { key: k, response, .. }) => {
//!         assert_eq!(k, key);
//!         assert_eq!(response.status(), 200);
//!     }
//!     other => panic!("{other:?}"),
//! }
//! // Timer K (T4) keeps the transaction to absorb copies of the 200, then it ends.
//! alice.handle_timeout(t1 + Duration::from_secs(5));
//! assert!(matches!(alice.poll_event(), Some(TransactionEvent::Terminated { .. })));
//! assert!(alice.is_empty() && alice.poll_timeout().is_none());
//! # Ok::<(), cpm_client::transaction::TransactionError>(())
//! ```

mod client;
mod layer;
mod matching;
mod message;
mod server;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::error::ParseError;
use crate::sip::{IncomingRequest, IncomingResponse, Limits, Transport};

pub use layer::TransactionLayer;

/// Names one transaction of a [`TransactionLayer`]: returned when it starts, carried by
/// every [`Transmit`] and [`TransactionEvent`] of it. Keys are never reused by a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransactionKey(u64);

impl TransactionKey {
    /// The number behind the key (1 for the first transaction of a layer, counting up),
    /// for logs and maps.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for TransactionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The timer base values of RFC 3261 section 17.1.1.1 (T1, T2, T4), from which every
/// transaction timer is computed, and the few other settings of a layer.
///
/// | timer | value | what it does |
/// | --- | --- | --- |
/// | A | T1, doubling | resends an INVITE over UDP until a response (17.1.1.2) |
/// | B | 64*T1 | gives up on an INVITE with no response (17.1.1.2) |
/// | D | 64*T1 but at least 32 s over UDP, 0 over TCP/TLS | absorbs copies of a non-2xx final, resending the ACK (17.1.1.2) |
/// | E | T1, doubling up to T2; T2 once a 1xx came | resends a non-INVITE request over UDP (17.1.2.2) |
/// | F | 64*T1 | gives up on a non-INVITE request with no final response (17.1.2.2) |
/// | G | T1, doubling up to T2 | resends a non-2xx final to an INVITE over UDP until the ACK (17.2.1) |
/// | H | 64*T1 | gives up waiting for that ACK (17.2.1) |
/// | I | T4 over UDP, 0 over TCP/TLS | absorbs copies of the ACK (17.2.1) |
/// | J | 64*T1 over UDP, 0 over TCP/TLS | absorbs copies of a non-INVITE request (17.2.2) |
/// | K | T4 over UDP, 0 over TCP/TLS | absorbs copies of a non-INVITE final (17.1.2.2) |
/// | L | 64*T1 | keeps a server INVITE after its 2xx, absorbing INVITE copies (RFC 6026 7.1) |
/// | M | 64*T1 | keeps a client INVITE after a 2xx, passing up 2xx copies (RFC 6026 7.2) |
/// | 2xx | T1, doubling up to T2, for 64*T1 | resends the 2xx to an incoming INVITE until its ACK, over any transport (13.3.1.4) |
///
/// ```
/// use std::time::Duration;
/// use cpm_client::transaction::TransactionConfig;
///
/// let config = TransactionConfig::new();
/// assert_eq!(config.t1(), Duration::from_millis(500));
/// assert_eq!(config.t2(), Duration::from_secs(4));
/// assert_eq!(config.t4(), Duration::from_secs(5));
/// // A network with a longer round trip (RFC 3261 17.1.1.1 lets T1 grow):
/// let slow = TransactionConfig::new().with_t1(Duration::from_secs(1));
/// assert_eq!(slow.t1(), Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionConfig {
    t1: Duration,
    t2: Duration,
    t4: Duration,
    limits: Limits,
    server: Option<String>,
}

impl Default for TransactionConfig {
    fn default() -> Self {
        TransactionConfig::new()
    }
}

impl TransactionConfig {
    /// T1 = 500 ms, T2 = 4 s, T4 = 5 s (RFC 3261 section 17.1.1.1 and table 4), the
    /// reader's default [`Limits`], and no `Server` header in the responses the layer
    /// writes itself.
    pub fn new() -> TransactionConfig {
        TransactionConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            limits: Limits::DEFAULT,
            server: None,
        }
    }

    /// This configuration with T1, the round-trip estimate; at least 1 ms (a smaller
    /// value is taken as 1 ms, so that no timer fires in a loop).
    #[must_use]
    pub fn with_t1(mut self, t1: Duration) -> Self {
        self.t1 = t1.max(Duration::from_millis(1));
        self
    }

    /// This configuration with T2, the longest interval between retransmissions of a
    /// non-INVITE request and of an INVITE's final response; at least 1 ms.
    #[must_use]
    pub fn with_t2(mut self, t2: Duration) -> Self {
        self.t2 = t2.max(Duration::from_millis(1));
        self
    }

    /// This configuration with T4, the longest time a message stays in the network
    /// (Timers I and K).
    #[must_use]
    pub fn with_t4(mut self, t4: Duration) -> Self {
        self.t4 = t4;
        self
    }

    /// This configuration with the limits incoming messages are read under.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// This configuration with a `Server` value for the responses the layer writes
    /// itself (100 Trying, 200 to a CANCEL, 487, 481): the application's release stamp
    /// (`ProductStamp`, OMA CPM Appendix D), so that they carry it as the application's
    /// own responses do. Control characters are written as spaces.
    #[must_use]
    pub fn with_server(mut self, stamp: &str) -> Self {
        self.server = Some(stamp.to_owned());
        self
    }

    /// T1.
    pub fn t1(&self) -> Duration {
        self.t1
    }

    /// T2.
    pub fn t2(&self) -> Duration {
        self.t2
    }

    /// T4.
    pub fn t4(&self) -> Duration {
        self.t4
    }

    /// The limits incoming messages are read under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// 64*T1: Timers B, F, H, J (UDP), L, M, the 2xx retransmission span, and the wait
    /// for a final response after a CANCEL (RFC 3261 9.1).
    fn long(&self) -> Duration {
        self.t1.saturating_mul(64)
    }

    /// Timer D: 64*T1 but at least 32 s over UDP (RFC 3261 17.1.1.2 asks for "at least
    /// 32 seconds", the span of the server's retransmissions of its final response).
    fn timer_d(&self, transport: Transport) -> Duration {
        if transport.is_reliable() {
            Duration::ZERO
        } else {
            self.long().max(Duration::from_secs(32))
        }
    }

    /// Timers I and K: T4 over UDP, zero over a reliable transport.
    fn timer_ik(&self, transport: Transport) -> Duration {
        if transport.is_reliable() {
            Duration::ZERO
        } else {
            self.t4
        }
    }

    /// Timer J: 64*T1 over UDP, zero over a reliable transport.
    fn timer_j(&self, transport: Transport) -> Duration {
        if transport.is_reliable() {
            Duration::ZERO
        } else {
            self.long()
        }
    }
}

/// Bytes to send: a request, a retransmission, an ACK or CANCEL the layer built, a
/// response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit<P> {
    /// The transaction the bytes belong to (for an ACK to a non-2xx or a resent
    /// response: the transaction it serves).
    pub key: TransactionKey,
    /// Where to send them: the destination given to
    /// [`send_request`](TransactionLayer::send_request) for a client transaction (its
    /// ACK and CANCEL go there too), the source given to
    /// [`handle_incoming`](TransactionLayer::handle_incoming) for a server transaction.
    pub destination: P,
    /// The transport of the transaction.
    pub transport: Transport,
    /// The whole message.
    pub bytes: Bytes,
    /// Whether these bytes were sent before (a retransmission on a timer, or a response
    /// or ACK sent again for a copy of the message it answers).
    pub retransmission: bool,
}

/// Why a transaction gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// Timer B: no response to an INVITE within 64*T1 (RFC 3261 17.1.1.2). The request
    /// failed as with a 408 (8.1.3.1).
    TimerB,
    /// Timer F: no final response to a non-INVITE request within 64*T1 (17.1.2.2).
    TimerF,
    /// Timer H: the ACK for a non-2xx final response to an incoming INVITE never came
    /// (17.2.1).
    TimerH,
    /// The 2xx to an incoming INVITE was sent for 64*T1 and no ACK came: the dialog is
    /// confirmed, but RFC 3261 13.3.1.4 says to end the session with a BYE.
    NoAckFor2xx,
    /// A CANCEL was sent for a client INVITE and no final response came within 64*T1:
    /// the INVITE is considered cancelled and dropped (RFC 3261 9.1).
    NoFinalAfterCancel,
}

/// What a transaction tells the application, taken with
/// [`poll_event`](TransactionLayer::poll_event).
///
/// Every key a layer hands out (a transaction it started, a CANCEL it queued) ends with
/// exactly one [`Terminated`](TransactionEvent::Terminated), after which the key is
/// never named again.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum TransactionEvent {
    /// A provisional response (1xx) to a client transaction.
    Provisional {
        /// The client transaction.
        key: TransactionKey,
        /// The response.
        response: IncomingResponse,
    },
    /// A final response (2xx to 6xx) to a client transaction. A non-2xx comes once
    /// (the layer ACKs it and absorbs its copies). A 2xx to an INVITE comes once per
    /// copy received while the transaction waits in Accepted (RFC 6026 7.2): the
    /// application answers each with its ACK (RFC 3261 13.2.2.4); `repeated` says a 2xx
    /// with the same To tag came before (a retransmission rather than a new dialog from
    /// another fork).
    Final {
        /// The client transaction.
        key: TransactionKey,
        /// The response.
        response: IncomingResponse,
        /// A 2xx with this To tag was already reported for this transaction.
        repeated: bool,
    },
    /// The transaction gave up; [`Terminated`](TransactionEvent::Terminated) follows
    /// (for [`TimeoutKind::NoAckFor2xx`], at once too: Timer L ends at the same time).
    Timeout {
        /// The transaction.
        key: TransactionKey,
        /// Which wait ran out.
        kind: TimeoutKind,
    },
    /// The application reported, with
    /// [`transport_error`](TransactionLayer::transport_error), that the transaction's
    /// message could not be sent (RFC 3261 17.1.4, 17.2.4); it is terminated.
    TransportError {
        /// The transaction.
        key: TransactionKey,
    },
    /// An incoming CANCEL matched this server INVITE transaction before its final
    /// response: the layer answered the CANCEL with 200 and the INVITE with 487 Request
    /// Terminated (RFC 3261 9.2). Drop the pending answer; a later
    /// [`respond`](TransactionLayer::respond) with a final response is refused.
    Cancelled {
        /// The server INVITE transaction.
        key: TransactionKey,
        /// The server transaction of the CANCEL.
        cancel: TransactionKey,
    },
    /// The transaction is over and forgotten.
    Terminated {
        /// The transaction.
        key: TransactionKey,
    },
}

impl TransactionEvent {
    /// The transaction the event is about.
    pub fn key(&self) -> TransactionKey {
        match self {
            TransactionEvent::Provisional { key, .. }
            | TransactionEvent::Final { key, .. }
            | TransactionEvent::Timeout { key, .. }
            | TransactionEvent::TransportError { key }
            | TransactionEvent::Cancelled { key, .. }
            | TransactionEvent::Terminated { key } => *key,
        }
    }
}

/// What [`handle_incoming`](TransactionLayer::handle_incoming) made of a message.
#[derive(Debug)]
#[non_exhaustive]
pub enum Inbound {
    /// A request that starts a server transaction: hand it to the application (the
    /// `Dispatcher` takes `request.as_bytes()`), then give the answer to
    /// [`respond`](TransactionLayer::respond) with this key. Copies of it that arrive
    /// later are never handed out again.
    Request {
        /// The new server transaction.
        key: TransactionKey,
        /// The request.
        request: IncomingRequest,
    },
    /// An ACK outside any transaction: the ACK for a 2xx, which belongs to the dialog
    /// (RFC 3261 17.1.1.3, 13.3.1.4). `acknowledges` names the server INVITE transaction
    /// whose 2xx it acknowledges, when this layer sent that 2xx: its retransmissions have
    /// stopped, and copies of this ACK are absorbed. Hand it to the application (the
    /// `Dispatcher` passes it to the dialog handler); it gets no response.
    Ack {
        /// The ACK.
        request: IncomingRequest,
        /// The server INVITE transaction whose 2xx it acknowledges.
        acknowledges: Option<TransactionKey>,
    },
    /// A response that matched a client transaction (RFC 3261 17.1.3); what it means
    /// for the application, if anything, is in [`poll_event`](TransactionLayer::poll_event)
    /// (a copy of a final response is absorbed there).
    Response {
        /// The client transaction.
        key: TransactionKey,
    },
    /// A copy of a request already received (RFC 3261 17.2.3): answered again with the
    /// transaction's latest response if it has one, or absorbed. Also a copy of an ACK
    /// for a 2xx already acknowledged.
    Retransmission {
        /// The server transaction the copy belongs to.
        key: TransactionKey,
    },
    /// An ACK for a non-2xx final response, part of the INVITE transaction it matched
    /// (RFC 3261 17.2.1): it stops the response's retransmissions; nothing to do.
    Absorbed {
        /// The server INVITE transaction.
        key: TransactionKey,
    },
    /// A CANCEL, answered by the layer (RFC 3261 9.2): 200 when it matched a server
    /// transaction (and then 487 to a pending INVITE, with
    /// [`TransactionEvent::Cancelled`]), 481 when it matched none.
    Cancel {
        /// The server transaction of the CANCEL.
        key: TransactionKey,
        /// The server transaction it matched.
        matched: Option<TransactionKey>,
    },
    /// A response that matches no client transaction: dropped, as RFC 3261 17.1.3 and
    /// 18.1.2 say (a late 2xx after Timer M is one).
    Stray(IncomingResponse),
    /// Bytes that read as neither a request nor a response. No transaction is made;
    /// the `Dispatcher` answers the bytes with a 400 when they hold a Via to answer
    /// along, which the application sends as it is.
    Unreadable {
        /// The bytes, given back.
        bytes: Bytes,
        /// Why they do not read (as a request, or as a response when they start with a
        /// status line).
        error: ParseError,
    },
}

/// Where a transaction stands (RFC 3261 section 17 and RFC 6026); a terminated
/// transaction is gone, and [`TransactionLayer::state`] says `None` for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionState {
    /// Client INVITE: sent, no response yet (Timers A, B).
    Calling,
    /// Client or server non-INVITE: sent or received, no response yet (Timers E, F).
    Trying,
    /// A provisional response was received (client) or the request waits for, or has
    /// had, provisional answers (server).
    Proceeding,
    /// A non-2xx final response to an INVITE, or any final response to a non-INVITE
    /// request, was received or sent: copies are absorbed (Timers D, G, H, J, K).
    Completed,
    /// Server INVITE: the ACK for its non-2xx final came (Timer I).
    Confirmed,
    /// INVITE: a 2xx was received or sent (RFC 6026, Timers L and M).
    Accepted,
}

/// Why the layer refused a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransactionError {
    /// No transaction has this key: it never existed or has terminated.
    #[error("no transaction {0}: it never existed or has terminated")]
    UnknownTransaction(TransactionKey),
    /// The request given to [`send_request`](TransactionLayer::send_request) does not
    /// read.
    #[error("the request does not read: {0}")]
    UnreadableRequest(ParseError),
    /// The response given to [`respond`](TransactionLayer::respond) does not read.
    #[error("the response does not read: {0}")]
    UnreadableResponse(ParseError),
    /// The request's top Via has no branch, by which the responses to it are matched
    /// (RFC 3261 17.1.3).
    #[error(
        "the request's top Via has no branch parameter to match its responses by (RFC 3261 17.1.3)"
    )]
    NoBranch,
    /// A client transaction with the same branch and method is running.
    #[error("a client transaction with this branch and method is running: {0}")]
    DuplicateBranch(TransactionKey),
    /// An ACK was given to [`send_request`](TransactionLayer::send_request): the ACK
    /// for a non-2xx is the layer's, the ACK for a 2xx the dialog's, and neither is a
    /// transaction of its own.
    #[error(
        "an ACK starts no transaction: the ACK for a 2xx is sent directly (RFC 3261 13.2.2.4)"
    )]
    AckIsNotATransaction,
    /// [`respond`](TransactionLayer::respond) named a client transaction.
    #[error("{0} is a client transaction: only server transactions are answered")]
    NotAServerTransaction(TransactionKey),
    /// [`cancel`](TransactionLayer::cancel) named something other than a client INVITE.
    #[error("{0} is not a client INVITE transaction: only an INVITE is cancelled")]
    NotAnInvite(TransactionKey),
    /// The server transaction already sent its final response (or a CANCEL had the
    /// layer send 487).
    #[error("{0} has already sent its final response")]
    AlreadyAnswered(TransactionKey),
    /// The client INVITE already has a final response: a CANCEL would have no effect
    /// (RFC 3261 9.1).
    #[error("{0} already has a final response: a CANCEL would have no effect")]
    AlreadyFinal(TransactionKey),
    /// The client INVITE was already cancelled.
    #[error("{0} is already being cancelled")]
    AlreadyCancelled(TransactionKey),
    /// The response given to [`respond`](TransactionLayer::respond) answers another
    /// request: its top Via branch or CSeq method differ from the request's.
    #[error("the response does not answer the request of {key}: its {what} differs")]
    ResponseMismatch {
        /// The server transaction.
        key: TransactionKey,
        /// `top Via branch` or `CSeq`.
        what: &'static str,
    },
}

/// Where a machine puts what it sends and reports: the layer's queues, with the key,
/// destination and transport of the transaction.
struct Sink<'a, P> {
    key: TransactionKey,
    peer: &'a P,
    transport: Transport,
    transmits: &'a mut VecDeque<Transmit<P>>,
    events: &'a mut VecDeque<TransactionEvent>,
}

impl<P: Clone> Sink<'_, P> {
    fn send(&mut self, bytes: &Bytes, retransmission: bool) {
        tracing::trace!(
            key = self.key.0,
            retransmission,
            len = bytes.len(),
            "transmit"
        );
        self.transmits.push_back(Transmit {
            key: self.key,
            destination: self.peer.clone(),
            transport: self.transport,
            bytes: bytes.clone(),
            retransmission,
        });
    }

    fn event(&mut self, event: TransactionEvent) {
        self.events.push_back(event);
    }
}

/// A retransmission timer: when it fires next, and the interval it was last set to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Resend {
    at: Instant,
    interval: Duration,
}

impl Resend {
    /// A timer first firing `interval` after `now` (none if that is past the clock's
    /// range).
    fn after(now: Instant, interval: Duration) -> Option<Resend> {
        Some(Resend {
            at: now.checked_add(interval)?,
            interval,
        })
    }
}

/// `now + span`, or `None` (never) past the clock's range.
fn after(now: Instant, span: Duration) -> Option<Instant> {
    now.checked_add(span)
}

/// The earliest of some optional instants.
fn earliest(times: impl IntoIterator<Item = Option<Instant>>) -> Option<Instant> {
    times.into_iter().flatten().min()
}

/// What a machine's step leaves for the layer to do.
#[derive(Debug, Default)]
struct Step {
    /// The transaction is over: remove it and report
    /// [`TransactionEvent::Terminated`].
    done: bool,
    /// A queued CANCEL to start now (its key and bytes).
    start_cancel: Option<(TransactionKey, Bytes)>,
    /// A queued CANCEL that will never be sent: report its end.
    drop_cancel: Option<TransactionKey>,
}

impl Step {
    fn alive() -> Step {
        Step::default()
    }

    fn done() -> Step {
        Step {
            done: true,
            ..Step::default()
        }
    }
}
