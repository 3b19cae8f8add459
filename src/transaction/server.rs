//! The server transactions: INVITE (RFC 3261 17.2.1, RFC 6026 7.1, with the 2xx
//! retransmissions of 13.3.1.4) and non-INVITE (17.2.2).

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::message;
use super::{
    after, earliest, Resend, Sink, Step, TimeoutKind, TransactionConfig, TransactionError,
    TransactionEvent, TransactionState,
};
use crate::sip::{IncomingRequest, StatusCode};

/// How long a server INVITE waits for the application's first response before sending
/// 100 Trying itself (RFC 3261 17.2.1: "unless it knows that the TU will generate a
/// provisional or final response within 200 ms").
const TRYING_AFTER: Duration = Duration::from_millis(200);

/// What a copy of the request, or an ACK, did to a server transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Repeat {
    /// Answered again, or absorbed: never handed to the application.
    Retransmission,
    /// An ACK that belongs to the transaction (for its non-2xx final).
    AckAbsorbed,
    /// The first ACK of the 2xx (RFC 6026: passed up).
    FirstAckOf2xx,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InviteState {
    Proceeding,
    Completed,
    Confirmed,
    Accepted,
}

/// A server INVITE transaction.
///
/// ```text
///        INVITE received: to the application; 100 Trying after 200 ms unanswered
///             |
///          Proceeding (copies of the INVITE: the latest provisional again)
///             |                                   |
///             | 300-699 from the app: send        | 2xx from the app: send
///             v                                   v
///          Completed (Timer G: resend;         Accepted (2xx resent on T1 doubling
///          Timer H: Timeout)                   to T2 until its ACK; copies of the
///             | ACK                            INVITE absorbed; Timer L)
///             v                                   |
///          Confirmed (Timer I; ACKs absorbed)     |
///             |                                   |
///             +----------> Terminated <-----------+
/// ```
#[derive(Debug)]
pub(super) struct ServerInvite {
    state: InviteState,
    request: IncomingRequest,
    reliable: bool,
    /// The latest provisional (Proceeding) or the final (after), sent again for a copy
    /// of the INVITE or on a timer.
    last: Option<Bytes>,
    /// The To tag of the responses: the application's, or the layer's own.
    to_tag: Option<Box<[u8]>>,
    /// The 200 ms wait for the application's first response.
    trying: Option<Instant>,
    /// Timer G (Completed) or the 2xx retransmission timer (Accepted).
    resend: Option<Resend>,
    /// Timer H.
    deadline: Option<Instant>,
    /// Timer I (Confirmed) or Timer L (Accepted).
    end: Option<Instant>,
    /// The ACK of the 2xx came.
    acked: bool,
}

impl ServerInvite {
    pub(super) fn new(request: IncomingRequest, reliable: bool, now: Instant) -> ServerInvite {
        ServerInvite {
            state: InviteState::Proceeding,
            to_tag: message::request_to_tag(&request),
            request,
            reliable,
            last: None,
            trying: after(now, TRYING_AFTER),
            resend: None,
            deadline: None,
            end: None,
            acked: false,
        }
    }

    pub(super) fn state(&self) -> TransactionState {
        match self.state {
            InviteState::Proceeding => TransactionState::Proceeding,
            InviteState::Completed => TransactionState::Completed,
            InviteState::Confirmed => TransactionState::Confirmed,
            InviteState::Accepted => TransactionState::Accepted,
        }
    }

    pub(super) fn request(&self) -> &IncomingRequest {
        &self.request
    }

    pub(super) fn to_tag(&self) -> Option<&[u8]> {
        self.to_tag.as_deref()
    }

    pub(super) fn is_proceeding(&self) -> bool {
        self.state == InviteState::Proceeding
    }

    pub(super) fn next_deadline(&self) -> Option<Instant> {
        earliest([
            self.trying,
            self.resend.map(|r| r.at),
            self.deadline,
            self.end,
        ])
    }

    /// A copy of the INVITE.
    pub(super) fn on_copy<P: Clone>(
        &mut self,
        config: &TransactionConfig,
        out: &mut Sink<'_, P>,
    ) -> Repeat {
        match self.state {
            InviteState::Proceeding => match &self.last {
                Some(last) => out.send(last, true),
                // Nothing sent yet: the 100 Trying now quenches the copies.
                None => self.send_trying(config, out),
            },
            InviteState::Completed => {
                if let Some(last) = &self.last {
                    out.send(last, true);
                }
            }
            // Absorbed: after the ACK (17.2.1), and in Accepted, where the 2xx is
            // resent on its own timer (RFC 6026 7.1).
            InviteState::Confirmed | InviteState::Accepted => {}
        }
        Repeat::Retransmission
    }

    /// An ACK matched to the transaction (by branch, 17.2.3).
    pub(super) fn on_ack(&mut self, config: &TransactionConfig, now: Instant) -> Repeat {
        match self.state {
            InviteState::Completed => {
                tracing::debug!("server INVITE: ACK, -> Confirmed");
                self.state = InviteState::Confirmed;
                self.resend = None;
                self.deadline = None;
                self.end = if self.reliable {
                    Some(now)
                } else {
                    after(now, config.t4)
                };
                Repeat::AckAbsorbed
            }
            // RFC 6026 7.1: in Accepted, an ACK goes to the transaction user.
            InviteState::Accepted => self.on_2xx_ack(),
            InviteState::Proceeding | InviteState::Confirmed => Repeat::AckAbsorbed,
        }
    }

    /// The ACK of the 2xx, found by its dialog: stops the 2xx retransmissions.
    pub(super) fn on_2xx_ack(&mut self) -> Repeat {
        if self.state != InviteState::Accepted || self.acked {
            return Repeat::Retransmission;
        }
        tracing::debug!("server INVITE: the 2xx is acknowledged");
        self.acked = true;
        self.resend = None;
        Repeat::FirstAckOf2xx
    }

    /// A response from the application, or the layer's own.
    pub(super) fn respond<P: Clone>(
        &mut self,
        status: StatusCode,
        bytes: Bytes,
        to_tag: Option<Box<[u8]>>,
        config: &TransactionConfig,
        now: Instant,
        out: &mut Sink<'_, P>,
    ) -> Result<Step, TransactionError> {
        if self.state != InviteState::Proceeding {
            return Err(TransactionError::AlreadyAnswered(out.key));
        }
        if self.to_tag.is_none() {
            self.to_tag = to_tag;
        }
        self.trying = None;
        out.send(&bytes, false);
        self.last = Some(bytes);
        if status.is_provisional() {
            return Ok(Step::alive());
        }
        if status.is_success() {
            tracing::debug!(key = out.key.0, "server INVITE: 2xx, -> Accepted");
            // 13.3.1.4: resent on T1 doubling to T2, over any transport (a hop further
            // on may be UDP), until the ACK or 64*T1; Timer L ends the wait with it.
            self.state = InviteState::Accepted;
            self.resend = Resend::after(now, config.t1);
            self.end = after(now, config.long());
            return Ok(Step::alive());
        }
        tracing::debug!(
            key = out.key.0,
            status = status.code(),
            "server INVITE: -> Completed"
        );
        self.state = InviteState::Completed;
        if !self.reliable {
            self.resend = Resend::after(now, config.t1);
        }
        self.deadline = after(now, config.long());
        Ok(Step::alive())
    }

    fn send_trying<P: Clone>(&mut self, config: &TransactionConfig, out: &mut Sink<'_, P>) {
        // 17.2.1: no To tag in a 100 (8.2.6.2 is downgraded to SHOULD NOT).
        let trying = message::response_to(
            &self.request,
            StatusCode::TRYING,
            None,
            config.server.as_deref(),
        );
        out.send(&trying, false);
        self.last = Some(trying);
        self.trying = None;
    }

    /// Fires the timers due at `now`, earliest first.
    pub(super) fn on_timer<P: Clone>(
        &mut self,
        config: &TransactionConfig,
        now: Instant,
        out: &mut Sink<'_, P>,
    ) -> Step {
        loop {
            if self.deadline.is_some_and(|at| at <= now) {
                tracing::debug!(key = out.key.0, "server INVITE: Timer H, no ACK");
                out.event(TransactionEvent::Timeout {
                    key: out.key,
                    kind: TimeoutKind::TimerH,
                });
                return Step::done();
            }
            if self.end.is_some_and(|at| at <= now) {
                if self.state == InviteState::Accepted && !self.acked {
                    tracing::debug!(key = out.key.0, "server INVITE: no ACK for the 2xx");
                    out.event(TransactionEvent::Timeout {
                        key: out.key,
                        kind: TimeoutKind::NoAckFor2xx,
                    });
                }
                return Step::done();
            }
            if self.trying.is_some_and(|at| at <= now) {
                self.send_trying(config, out);
                continue;
            }
            match self.resend {
                Some(resend) if resend.at <= now => {
                    if let Some(last) = &self.last {
                        out.send(last, true);
                    }
                    let interval = resend.interval.saturating_mul(2).min(config.t2);
                    self.resend = Resend::after(now, interval);
                }
                _ => return Step::alive(),
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NonInviteState {
    Trying,
    Proceeding,
    Completed,
}

/// A server non-INVITE transaction.
///
/// ```text
///        request received: to the application
///             |
///          Trying (copies absorbed) --1xx from the app: send--> Proceeding
///             |                             (copies: the latest 1xx again)
///             | 200-699 from the app: send       |
///             v                                  |
///          Completed (Timer J; copies: the final again) <-------+
///             |
///          Terminated
/// ```
#[derive(Debug)]
pub(super) struct ServerNonInvite {
    state: NonInviteState,
    request: IncomingRequest,
    reliable: bool,
    last: Option<Bytes>,
    to_tag: Option<Box<[u8]>>,
    /// Timer J.
    end: Option<Instant>,
}

impl ServerNonInvite {
    pub(super) fn new(request: IncomingRequest, reliable: bool) -> ServerNonInvite {
        ServerNonInvite {
            state: NonInviteState::Trying,
            to_tag: message::request_to_tag(&request),
            request,
            reliable,
            last: None,
            end: None,
        }
    }

    pub(super) fn state(&self) -> TransactionState {
        match self.state {
            NonInviteState::Trying => TransactionState::Trying,
            NonInviteState::Proceeding => TransactionState::Proceeding,
            NonInviteState::Completed => TransactionState::Completed,
        }
    }

    pub(super) fn request(&self) -> &IncomingRequest {
        &self.request
    }

    pub(super) fn to_tag(&self) -> Option<&[u8]> {
        self.to_tag.as_deref()
    }

    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.end
    }

    /// A copy of the request: the latest response again, if any.
    pub(super) fn on_copy<P: Clone>(&mut self, out: &mut Sink<'_, P>) -> Repeat {
        if let Some(last) = &self.last {
            out.send(last, true);
        }
        Repeat::Retransmission
    }

    /// A response from the application, or the layer's own.
    pub(super) fn respond<P: Clone>(
        &mut self,
        status: StatusCode,
        bytes: Bytes,
        to_tag: Option<Box<[u8]>>,
        config: &TransactionConfig,
        now: Instant,
        out: &mut Sink<'_, P>,
    ) -> Result<Step, TransactionError> {
        if self.state == NonInviteState::Completed {
            return Err(TransactionError::AlreadyAnswered(out.key));
        }
        if self.to_tag.is_none() {
            self.to_tag = to_tag;
        }
        out.send(&bytes, false);
        self.last = Some(bytes);
        if status.is_provisional() {
            self.state = NonInviteState::Proceeding;
            return Ok(Step::alive());
        }
        tracing::debug!(
            key = out.key.0,
            status = status.code(),
            "server non-INVITE: -> Completed"
        );
        self.state = NonInviteState::Completed;
        if self.reliable {
            return Ok(Step::done());
        }
        self.end = after(now, config.timer_j(out.transport));
        Ok(Step::alive())
    }

    /// Fires Timer J when due.
    pub(super) fn on_timer(&mut self, now: Instant) -> Step {
        if self.end.is_some_and(|at| at <= now) {
            Step::done()
        } else {
            Step::alive()
        }
    }
}
