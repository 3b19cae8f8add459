//! [`TransactionLayer`]: every transaction of one endpoint, matched, timed and driven
//! by the application's loop.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::hash::BuildHasher;
use std::time::Instant;

use bytes::Bytes;

use super::client::{CancelState, ClientInvite, ClientNonInvite};
use super::matching::{ClientMatch, DialogAck, ServerMatch, Target};
use super::message;
use super::server::{Repeat, ServerInvite, ServerNonInvite};
use super::{
    Inbound, Sink, Step, TransactionConfig, TransactionError, TransactionEvent, TransactionKey,
    TransactionState, Transmit,
};
use crate::error::ParseErrorKind;
use crate::sip::via::ViaValue;
use crate::sip::{IncomingRequest, IncomingResponse, KnownHeader, Method, StatusCode, Transport};

/// One transaction's state machine.
#[derive(Debug)]
enum Machine {
    InviteClient(ClientInvite),
    NonInviteClient(ClientNonInvite),
    InviteServer(ServerInvite),
    NonInviteServer(ServerNonInvite),
}

impl Machine {
    fn next_deadline(&self) -> Option<Instant> {
        match self {
            Machine::InviteClient(m) => m.next_deadline(),
            Machine::NonInviteClient(m) => m.next_deadline(),
            Machine::InviteServer(m) => m.next_deadline(),
            Machine::NonInviteServer(m) => m.next_deadline(),
        }
    }

    fn state(&self) -> TransactionState {
        match self {
            Machine::InviteClient(m) => m.state(),
            Machine::NonInviteClient(m) => m.state(),
            Machine::InviteServer(m) => m.state(),
            Machine::NonInviteServer(m) => m.state(),
        }
    }
}

/// Where a transaction is found from, removed when it ends.
#[derive(Debug)]
enum Index {
    Client(ClientMatch),
    Server {
        own: ServerMatch,
        /// Whether a CANCEL may name it (every server transaction but a CANCEL's).
        cancel_target: bool,
        /// The ACK of its 2xx, once it sent one.
        ack: Option<DialogAck>,
    },
}

struct Entry<P> {
    /// Where its messages go.
    peer: P,
    transport: Transport,
    machine: Machine,
    index: Index,
}

/// The transactions of one SIP endpoint, sans-IO: bytes and instants in, bytes to send,
/// deadlines and events out. `P` is whatever the application addresses a peer by (a
/// `SocketAddr`, a connection id); the layer only hands it back in [`Transmit`]s.
///
/// One loop drives it:
///
/// ```text
/// loop {
///     while let Some(t) = layer.poll_transmit() { send t.bytes to t.destination }
///     while let Some(e) = layer.poll_event() { act on e }
///     wait for a message or until layer.poll_timeout()
///     on a message: match layer.handle_incoming(bytes, transport, from, now) { ... }
///     on the deadline: layer.handle_timeout(now)
/// }
/// ```
///
/// What it does by the RFCs is in the [module documentation](super); the loop written
/// out, for a blocking UDP socket and for tokio, is in `docs/transactions.md` and
/// `examples/transaction_loop.rs`.
///
/// Work per call: matching is a hash lookup; [`poll_timeout`](Self::poll_timeout) and
/// [`handle_timeout`](Self::handle_timeout) look at every live transaction, which for a
/// client (a few dozen at most) is cheaper than keeping a timer heap in step.
pub struct TransactionLayer<P> {
    config: TransactionConfig,
    last_key: u64,
    /// Ordered by key, so that timers due together fire in the order the transactions
    /// started, the same on every run.
    entries: BTreeMap<TransactionKey, Entry<P>>,
    clients: HashMap<ClientMatch, TransactionKey>,
    servers: HashMap<ServerMatch, TransactionKey>,
    targets: HashMap<Target, TransactionKey>,
    acks: HashMap<DialogAck, TransactionKey>,
    transmits: VecDeque<Transmit<P>>,
    events: VecDeque<TransactionEvent>,
    /// Keys the To tags of the layer's own responses, as the Dispatcher's are keyed.
    secret: RandomState,
}

impl<P> fmt::Debug for TransactionLayer<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransactionLayer")
            .field("config", &self.config)
            .field("transactions", &self.entries.len())
            .field("transmits", &self.transmits.len())
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

impl<P> Default for TransactionLayer<P> {
    fn default() -> Self {
        TransactionLayer::new(TransactionConfig::new())
    }
}

impl<P> TransactionLayer<P> {
    /// A layer with no transactions.
    pub fn new(config: TransactionConfig) -> Self {
        TransactionLayer {
            config,
            last_key: 0,
            entries: BTreeMap::new(),
            clients: HashMap::new(),
            servers: HashMap::new(),
            targets: HashMap::new(),
            acks: HashMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            secret: RandomState::new(),
        }
    }

    /// The configuration the layer runs with.
    pub fn config(&self) -> &TransactionConfig {
        &self.config
    }

    /// How many transactions are live (not yet terminated).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no transaction is live: with [`poll_timeout`](Self::poll_timeout) `None`
    /// and the queues drained, the layer has nothing left to do.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Where the transaction stands; `None` once it has terminated (or for a CANCEL
    /// still queued behind an INVITE that has had no provisional response).
    pub fn state(&self, key: TransactionKey) -> Option<TransactionState> {
        self.entries.get(&key).map(|e| e.machine.state())
    }

    /// The next message to send, oldest first. Call until `None` after every other
    /// call.
    pub fn poll_transmit(&mut self) -> Option<Transmit<P>> {
        self.transmits.pop_front()
    }

    /// The next event, oldest first. Call until `None` after every other call.
    pub fn poll_event(&mut self) -> Option<TransactionEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next: the earliest
    /// timer of any transaction; `None` when none runs.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.entries
            .values()
            .filter_map(|e| e.machine.next_deadline())
            .min()
    }

    fn new_key(&mut self) -> TransactionKey {
        self.last_key = self.last_key.saturating_add(1);
        TransactionKey(self.last_key)
    }

    /// A To tag of the layer's own for the responses to `request`, when the
    /// application gave none: a keyed hash of what names the request, so that the 200
    /// to a CANCEL and the 487 carry the same one (RFC 3261 9.2). 16 hex digits.
    fn own_tag(&self, request: &IncomingRequest) -> Box<[u8]> {
        let identity = (
            request.header_values("Via").next(),
            request.first_known(KnownHeader::CallId).map(|h| h.value()),
            request.cseq(),
        );
        let mut value = self.secret.hash_one(identity);
        let mut tag = [0u8; 16];
        for slot in tag.iter_mut().rev() {
            *slot = b"0123456789abcdef"[(value & 0xf) as usize];
            value >>= 4;
        }
        Box::from(&tag[..])
    }
}

impl<P: Clone> TransactionLayer<P> {
    /// Starts a client transaction for `request` (the bytes of a request with a branch
    /// in its top Via, such as an `OutgoingRequest` of the outgoing builders), sent to
    /// `destination` over `transport`. The request is queued for
    /// [`poll_transmit`](Self::poll_transmit) at once; over UDP it is resent on Timer A
    /// (INVITE) or E (others).
    ///
    /// # Errors
    ///
    /// The request does not read, is an ACK, has no branch, or a client transaction
    /// with the same branch and method runs.
    pub fn send_request(
        &mut self,
        request: Bytes,
        transport: Transport,
        destination: P,
        now: Instant,
    ) -> Result<TransactionKey, TransactionError> {
        let request = IncomingRequest::parse_with(request, &self.config.limits)
            .map_err(TransactionError::UnreadableRequest)?;
        let method = request.method();
        if method == Method::Ack {
            return Err(TransactionError::AckIsNotATransaction);
        }
        let matcher = ClientMatch::of_request(&request).ok_or(TransactionError::NoBranch)?;
        if let Some(&running) = self.clients.get(&matcher) {
            return Err(TransactionError::DuplicateBranch(running));
        }
        let is_invite = method == Method::Invite;
        let key = self.new_key();
        tracing::debug!(key = key.0, %method, %transport, "client transaction started");
        let mut out = Sink {
            key,
            peer: &destination,
            transport,
            transmits: &mut self.transmits,
            events: &mut self.events,
        };
        let machine = if is_invite {
            Machine::InviteClient(ClientInvite::start(request, &self.config, now, &mut out))
        } else {
            Machine::NonInviteClient(ClientNonInvite::start(
                request.as_bytes(),
                &self.config,
                now,
                &mut out,
            ))
        };
        self.clients.insert(matcher.clone(), key);
        self.entries.insert(
            key,
            Entry {
                peer: destination,
                transport,
                machine,
                index: Index::Client(matcher),
            },
        );
        Ok(key)
    }

    /// Cancels the client INVITE `key` (RFC 3261 9.1): builds the CANCEL (the INVITE's
    /// Request-URI, top Via, Route, From, To, Call-ID and CSeq number) and starts its
    /// client transaction towards the INVITE's destination, or, before any provisional
    /// response, queues it until one comes. Returns the CANCEL's key; its own final
    /// response (200, or 481) comes as a [`TransactionEvent::Final`] for it, and the
    /// INVITE's (487, usually) for the INVITE, which the layer then ACKs. If no final
    /// response comes to the INVITE within 64*T1 of the CANCEL,
    /// [`TimeoutKind::NoFinalAfterCancel`](super::TimeoutKind::NoFinalAfterCancel) ends
    /// it. A queued CANCEL whose INVITE gets a final response first is never sent: its
    /// key terminates.
    ///
    /// # Errors
    ///
    /// `key` is not a live client INVITE, has a final response, or was cancelled.
    pub fn cancel(
        &mut self,
        key: TransactionKey,
        now: Instant,
    ) -> Result<TransactionKey, TransactionError> {
        let entry = self
            .entries
            .get(&key)
            .ok_or(TransactionError::UnknownTransaction(key))?;
        let Machine::InviteClient(invite) = &entry.machine else {
            return Err(TransactionError::NotAnInvite(key));
        };
        if invite.has_final() {
            return Err(TransactionError::AlreadyFinal(key));
        }
        if *invite.cancel_state() != CancelState::None {
            return Err(TransactionError::AlreadyCancelled(key));
        }
        let bytes = message::cancel_for(invite.request());
        let proceeding = invite.is_proceeding();
        let cancel_key = self.new_key();
        let Some(entry) = self.entries.get_mut(&key) else {
            return Err(TransactionError::UnknownTransaction(key));
        };
        let Machine::InviteClient(invite) = &mut entry.machine else {
            return Err(TransactionError::NotAnInvite(key));
        };
        if proceeding {
            invite.set_cancel(CancelState::Sent(cancel_key), &self.config, now);
            self.start_cancel(key, cancel_key, bytes, now);
        } else {
            tracing::debug!(key = key.0, "CANCEL queued until a provisional response");
            invite.set_cancel(
                CancelState::Queued {
                    key: cancel_key,
                    bytes,
                },
                &self.config,
                now,
            );
        }
        Ok(cancel_key)
    }

    /// Starts the client transaction of the CANCEL of `invite`.
    fn start_cancel(
        &mut self,
        invite: TransactionKey,
        key: TransactionKey,
        bytes: Bytes,
        now: Instant,
    ) {
        let Some(entry) = self.entries.get(&invite) else {
            return;
        };
        let Index::Client(invite_match) = &entry.index else {
            return;
        };
        let matcher = invite_match.with_method(Method::Cancel);
        let peer = entry.peer.clone();
        let transport = entry.transport;
        let mut out = Sink {
            key,
            peer: &peer,
            transport,
            transmits: &mut self.transmits,
            events: &mut self.events,
        };
        let machine = ClientNonInvite::start(bytes, &self.config, now, &mut out);
        tracing::debug!(key = key.0, invite = invite.0, "CANCEL sent");
        self.clients.insert(matcher.clone(), key);
        self.entries.insert(
            key,
            Entry {
                peer,
                transport,
                machine: Machine::NonInviteClient(machine),
                index: Index::Client(matcher),
            },
        );
    }

    /// Takes one message received from `source` over `transport`, and says what it is
    /// and what the application has to do with it (see [`Inbound`]).
    ///
    /// Requests are matched to server transactions by RFC 3261 17.2.3 (the top Via's
    /// branch and sent-by, and the method, an ACK matching its INVITE's); responses to
    /// client transactions by 17.1.3 (the top Via's branch and the CSeq method). A copy
    /// of a request already received is answered with the latest response again, or
    /// absorbed, and never handed out twice.
    pub fn handle_incoming(
        &mut self,
        bytes: Bytes,
        transport: Transport,
        source: P,
        now: Instant,
    ) -> Inbound {
        match IncomingRequest::parse_with(bytes.clone(), &self.config.limits) {
            Ok(request) => self.on_request(request, transport, source, now),
            Err(error) if matches!(error.kind(), ParseErrorKind::NotARequest) => {
                match IncomingResponse::parse_with(bytes.clone(), &self.config.limits) {
                    Ok(response) => self.on_response(response, now),
                    Err(error) => Inbound::Unreadable { bytes, error },
                }
            }
            Err(error) => Inbound::Unreadable { bytes, error },
        }
    }

    fn on_response(&mut self, response: IncomingResponse, now: Instant) -> Inbound {
        let found = ClientMatch::of_response(&response).and_then(|m| self.clients.get(&m).copied());
        let Some(key) = found else {
            tracing::debug!(status = response.status().code(), "stray response dropped");
            return Inbound::Stray(response);
        };
        let Some(entry) = self.entries.get_mut(&key) else {
            return Inbound::Stray(response);
        };
        let mut out = Sink {
            key,
            peer: &entry.peer,
            transport: entry.transport,
            transmits: &mut self.transmits,
            events: &mut self.events,
        };
        let step = match &mut entry.machine {
            Machine::InviteClient(m) => m.on_response(response, &self.config, now, &mut out),
            Machine::NonInviteClient(m) => m.on_response(response, &self.config, now, &mut out),
            Machine::InviteServer(_) | Machine::NonInviteServer(_) => {
                return Inbound::Stray(response)
            }
        };
        self.apply(key, step, now);
        Inbound::Response { key }
    }

    fn on_request(
        &mut self,
        request: IncomingRequest,
        transport: Transport,
        source: P,
        now: Instant,
    ) -> Inbound {
        let matcher = ServerMatch::of_request(&request);
        if let Some(&key) = self.servers.get(&matcher) {
            return self.on_copy(key, request, now);
        }
        match request.method() {
            Method::Ack => self.on_dialog_ack(request),
            Method::Cancel => self.on_cancel(request, matcher, transport, source, now),
            method => {
                let key = self.new_key();
                let reliable = transport.is_reliable();
                let machine = if method == Method::Invite {
                    Machine::InviteServer(ServerInvite::new(request.clone(), reliable, now))
                } else {
                    Machine::NonInviteServer(ServerNonInvite::new(request.clone(), reliable))
                };
                tracing::debug!(key = key.0, %method, %transport, "server transaction started");
                self.servers.insert(matcher.clone(), key);
                self.targets.insert(matcher.target().clone(), key);
                self.entries.insert(
                    key,
                    Entry {
                        peer: source,
                        transport,
                        machine,
                        index: Index::Server {
                            own: matcher,
                            cancel_target: true,
                            ack: None,
                        },
                    },
                );
                Inbound::Request { key, request }
            }
        }
    }

    /// A request that matched the server transaction `key`: a copy, or an ACK.
    fn on_copy(&mut self, key: TransactionKey, request: IncomingRequest, now: Instant) -> Inbound {
        let Some(entry) = self.entries.get_mut(&key) else {
            return Inbound::Retransmission { key };
        };
        let mut out = Sink {
            key,
            peer: &entry.peer,
            transport: entry.transport,
            transmits: &mut self.transmits,
            events: &mut self.events,
        };
        let is_ack = request.method() == Method::Ack;
        let repeat = match &mut entry.machine {
            Machine::InviteServer(m) if is_ack => m.on_ack(&self.config, now),
            Machine::InviteServer(m) => m.on_copy(&self.config, &mut out),
            Machine::NonInviteServer(m) => m.on_copy(&mut out),
            Machine::InviteClient(_) | Machine::NonInviteClient(_) => Repeat::Retransmission,
        };
        self.run_due(key, now);
        match repeat {
            Repeat::Retransmission => Inbound::Retransmission { key },
            Repeat::AckAbsorbed => Inbound::Absorbed { key },
            Repeat::FirstAckOf2xx => Inbound::Ack {
                request,
                acknowledges: Some(key),
            },
        }
    }

    /// An ACK with a branch of its own: the ACK of a 2xx (RFC 3261 13.3.1.4).
    fn on_dialog_ack(&mut self, request: IncomingRequest) -> Inbound {
        let found = DialogAck::of_request(&request).and_then(|a| self.acks.get(&a).copied());
        if let Some(key) = found {
            if let Some(Entry {
                machine: Machine::InviteServer(m),
                ..
            }) = self.entries.get_mut(&key)
            {
                return match m.on_2xx_ack() {
                    Repeat::FirstAckOf2xx => Inbound::Ack {
                        request,
                        acknowledges: Some(key),
                    },
                    Repeat::Retransmission | Repeat::AckAbsorbed => Inbound::Retransmission { key },
                };
            }
        }
        Inbound::Ack {
            request,
            acknowledges: None,
        }
    }

    /// A CANCEL that is no copy (RFC 3261 9.2): its own server transaction, answered
    /// 200 when it matches a transaction, 481 when not; a pending INVITE it matches
    /// gets 487.
    fn on_cancel(
        &mut self,
        request: IncomingRequest,
        matcher: ServerMatch,
        transport: Transport,
        source: P,
        now: Instant,
    ) -> Inbound {
        let key = self.new_key();
        let target = self.targets.get(matcher.target()).copied();
        let machine = ServerNonInvite::new(request.clone(), transport.is_reliable());
        self.servers.insert(matcher.clone(), key);
        self.entries.insert(
            key,
            Entry {
                peer: source,
                transport,
                machine: Machine::NonInviteServer(machine),
                index: Index::Server {
                    own: matcher,
                    cancel_target: false,
                    ack: None,
                },
            },
        );
        let server = self.config.server.clone();
        let server = server.as_deref();
        // The INVITE (or other request) cancelled: its To tag, and its 487 if pending.
        let matched = target.and_then(|t| {
            let entry = self.entries.get(&t)?;
            let (tag, request, pending) = match &entry.machine {
                Machine::InviteServer(m) => (m.to_tag(), m.request(), m.is_proceeding()),
                Machine::NonInviteServer(m) => (m.to_tag(), m.request(), false),
                Machine::InviteClient(_) | Machine::NonInviteClient(_) => return None,
            };
            let tag = tag.map_or_else(|| self.own_tag(request), Box::from);
            let terminated = pending.then(|| {
                message::response_to(request, StatusCode::REQUEST_TERMINATED, Some(&tag), server)
            });
            Some((t, tag, terminated))
        });
        let Some((target, tag, terminated)) = matched else {
            tracing::debug!(key = key.0, "CANCEL matches no transaction: 481");
            let tag = self.own_tag(&request);
            let status = StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST;
            let answer = message::response_to(&request, status, Some(&tag), server);
            let _ = self.respond_as(key, status, answer, Some(tag), now);
            return Inbound::Cancel { key, matched: None };
        };
        let ok = message::response_to(&request, StatusCode::OK, Some(&tag), server);
        let _ = self.respond_as(key, StatusCode::OK, ok, Some(tag.clone()), now);
        if let Some(terminated) = terminated {
            tracing::debug!(key = target.0, cancel = key.0, "INVITE cancelled: 487");
            let status = StatusCode::REQUEST_TERMINATED;
            if self
                .respond_as(target, status, terminated, Some(tag), now)
                .is_ok()
            {
                self.events.push_back(TransactionEvent::Cancelled {
                    key: target,
                    cancel: key,
                });
            }
        }
        Inbound::Cancel {
            key,
            matched: Some(target),
        }
    }

    /// Sends `response` on the server transaction `key`: a provisional response (as
    /// many as wanted), then one final response. The layer keeps the latest to answer
    /// copies of the request, and retransmits a final response to an INVITE: a 2xx on
    /// T1 doubling to T2 until its ACK (RFC 3261 13.3.1.4), any other on Timer G over
    /// UDP until its ACK (17.2.1).
    ///
    /// # Errors
    ///
    /// `key` is not a live server transaction or has sent its final response (a
    /// CANCEL had the layer send 487), or `response` does not read or answers another
    /// request (top Via branch, CSeq).
    pub fn respond(
        &mut self,
        key: TransactionKey,
        response: Bytes,
        now: Instant,
    ) -> Result<(), TransactionError> {
        let entry = self
            .entries
            .get(&key)
            .ok_or(TransactionError::UnknownTransaction(key))?;
        let request = match &entry.machine {
            Machine::InviteServer(m) => m.request(),
            Machine::NonInviteServer(m) => m.request(),
            Machine::InviteClient(_) | Machine::NonInviteClient(_) => {
                return Err(TransactionError::NotAServerTransaction(key))
            }
        };
        let response = IncomingResponse::parse_with(response, &self.config.limits)
            .map_err(TransactionError::UnreadableResponse)?;
        if top_branch(request.header_values("Via").next())
            != top_branch(response.header_values("Via").next())
        {
            return Err(TransactionError::ResponseMismatch {
                key,
                what: "top Via branch",
            });
        }
        if response.cseq() != request.cseq() || response.cseq_method() != Some(request.method()) {
            return Err(TransactionError::ResponseMismatch { key, what: "CSeq" });
        }
        let status = response.status();
        let tag = message::to_tag(&response);
        self.respond_as(key, status, response.as_bytes(), tag, now)
    }

    /// Sends a response on a server transaction, the application's or the layer's.
    fn respond_as(
        &mut self,
        key: TransactionKey,
        status: StatusCode,
        bytes: Bytes,
        tag: Option<Box<[u8]>>,
        now: Instant,
    ) -> Result<(), TransactionError> {
        let entry = self
            .entries
            .get_mut(&key)
            .ok_or(TransactionError::UnknownTransaction(key))?;
        let mut out = Sink {
            key,
            peer: &entry.peer,
            transport: entry.transport,
            transmits: &mut self.transmits,
            events: &mut self.events,
        };
        let (step, ack) = match &mut entry.machine {
            Machine::InviteServer(m) => {
                let step = m.respond(status, bytes, tag, &self.config, now, &mut out)?;
                let ack = status
                    .is_success()
                    .then(|| DialogAck::of_request(m.request()))
                    .flatten();
                (step, ack)
            }
            Machine::NonInviteServer(m) => (
                m.respond(status, bytes, tag, &self.config, now, &mut out)?,
                None,
            ),
            Machine::InviteClient(_) | Machine::NonInviteClient(_) => {
                return Err(TransactionError::NotAServerTransaction(key))
            }
        };
        if let (Some(ack), Index::Server { ack: slot, .. }) = (ack, &mut entry.index) {
            self.acks.insert(ack.clone(), key);
            *slot = Some(ack);
        }
        self.apply(key, step, now);
        Ok(())
    }

    /// Fires every timer due at `now`. Call it when
    /// [`poll_timeout`](Self::poll_timeout)'s instant is reached (calling it earlier
    /// or more often does no harm).
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut due: Vec<(Instant, TransactionKey)> = self
            .entries
            .iter()
            .filter_map(|(key, e)| Some((e.machine.next_deadline()?, *key)))
            .filter(|(at, _)| *at <= now)
            .collect();
        due.sort_unstable();
        for (_, key) in due {
            self.fire(key, now);
        }
    }

    fn fire(&mut self, key: TransactionKey, now: Instant) {
        let Some(entry) = self.entries.get_mut(&key) else {
            return;
        };
        let mut out = Sink {
            key,
            peer: &entry.peer,
            transport: entry.transport,
            transmits: &mut self.transmits,
            events: &mut self.events,
        };
        let step = match &mut entry.machine {
            Machine::InviteClient(m) => m.on_timer(now, &mut out),
            Machine::NonInviteClient(m) => m.on_timer(&self.config, now, &mut out),
            Machine::InviteServer(m) => m.on_timer(&self.config, now, &mut out),
            Machine::NonInviteServer(m) => m.on_timer(now),
        };
        self.apply(key, step, now);
    }

    /// Fires the timers of `key` already due (a zero Timer I over a reliable
    /// transport).
    fn run_due(&mut self, key: TransactionKey, now: Instant) {
        let due = self
            .entries
            .get(&key)
            .and_then(|e| e.machine.next_deadline())
            .is_some_and(|at| at <= now);
        if due {
            self.fire(key, now);
        }
    }

    /// Does what a machine's step left to the layer.
    fn apply(&mut self, key: TransactionKey, step: Step, now: Instant) {
        if let Some((cancel, bytes)) = step.start_cancel {
            self.start_cancel(key, cancel, bytes, now);
        }
        if let Some(cancel) = step.drop_cancel {
            tracing::debug!(
                key = cancel.0,
                "queued CANCEL dropped: the INVITE has ended"
            );
            self.events
                .push_back(TransactionEvent::Terminated { key: cancel });
        }
        if step.done {
            self.finish(key);
        } else {
            self.run_due(key, now);
        }
    }

    /// The application could not send a message of transaction `key` (RFC 3261 17.1.4,
    /// 17.2.4): the transaction reports [`TransactionEvent::TransportError`] and
    /// terminates.
    ///
    /// # Errors
    ///
    /// No live transaction has this key.
    pub fn transport_error(&mut self, key: TransactionKey) -> Result<(), TransactionError> {
        if !self.entries.contains_key(&key) {
            return Err(TransactionError::UnknownTransaction(key));
        }
        tracing::debug!(key = key.0, "transport error");
        self.events
            .push_back(TransactionEvent::TransportError { key });
        self.finish(key);
        Ok(())
    }

    /// Ends transaction `key` now, without waiting for its timers: nothing more is
    /// sent or absorbed for it (for an INVITE the application will never answer, whose
    /// server transaction has no timer of its own in Proceeding). Returns whether it
    /// was live.
    pub fn terminate(&mut self, key: TransactionKey) -> bool {
        let live = self.entries.contains_key(&key);
        self.finish(key);
        live
    }

    /// Removes a transaction and reports its end (and that of a CANCEL still queued
    /// behind it).
    fn finish(&mut self, key: TransactionKey) {
        let Some(entry) = self.entries.remove(&key) else {
            return;
        };
        match entry.index {
            Index::Client(matcher) => {
                if self.clients.get(&matcher) == Some(&key) {
                    self.clients.remove(&matcher);
                }
            }
            Index::Server {
                own,
                cancel_target,
                ack,
            } => {
                if cancel_target && self.targets.get(own.target()) == Some(&key) {
                    self.targets.remove(own.target());
                }
                if self.servers.get(&own) == Some(&key) {
                    self.servers.remove(&own);
                }
                if let Some(ack) = ack {
                    if self.acks.get(&ack) == Some(&key) {
                        self.acks.remove(&ack);
                    }
                }
            }
        }
        if let Machine::InviteClient(invite) = &entry.machine {
            if let CancelState::Queued { key: cancel, .. } = invite.cancel_state() {
                self.events
                    .push_back(TransactionEvent::Terminated { key: *cancel });
            }
        }
        tracing::debug!(key = key.0, "transaction terminated");
        self.events.push_back(TransactionEvent::Terminated { key });
    }
}

/// The branch of a top Via value.
fn top_branch(value: Option<&[u8]>) -> Option<&[u8]> {
    value.and_then(ViaValue::parse).and_then(|via| via.branch)
}
