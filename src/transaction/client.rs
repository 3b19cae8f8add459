//! The client transactions: INVITE (RFC 3261 17.1.1, RFC 6026 7.2) and non-INVITE
//! (17.1.2).

use std::time::Instant;

use bytes::Bytes;

use super::message;
use super::{
    after, earliest, Resend, Sink, Step, TimeoutKind, TransactionConfig, TransactionEvent,
    TransactionKey, TransactionState,
};
use crate::sip::{IncomingRequest, IncomingResponse};

/// What became of the CANCEL of a client INVITE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum CancelState {
    /// None asked for.
    None,
    /// Asked for before any provisional response: sent when one comes (RFC 3261 9.1).
    Queued { key: TransactionKey, bytes: Bytes },
    /// Sent, as the client transaction `key`.
    Sent(TransactionKey),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InviteState {
    Calling,
    Proceeding,
    Completed,
    Accepted,
}

/// A client INVITE transaction.
///
/// ```text
///            INVITE sent; Timer A (UDP), Timer B
///                 |
///   Timer A: resend, double A      Timer B: Timeout, Terminated
///                 v
///              Calling ----1xx----> Proceeding (1xx: to the application)
///                 |                     |
///                 +--------+------------+
///                 | 2xx: to the app     | 300-699: ACK sent, to the app
///                 v                     v
///   Accepted (Timer M; 2xx copies   Completed (Timer D; copies of the final:
///   to the app, each to be ACKed)    ACK sent again)
///                 |                     |
///                 +------> Terminated <-+
/// ```
#[derive(Debug)]
pub(super) struct ClientInvite {
    state: InviteState,
    /// The INVITE as sent, read: resent as it is, and the source of the ACK and CANCEL.
    request: IncomingRequest,
    reliable: bool,
    /// Timer A.
    resend: Option<Resend>,
    /// Timer B in Calling; the RFC 3261 9.1 wait once a CANCEL is sent.
    deadline: Option<(Instant, TimeoutKind)>,
    /// Timer D (Completed) or Timer M (Accepted).
    end: Option<Instant>,
    /// The ACK for the non-2xx final, once built.
    ack: Option<Bytes>,
    /// The To tags of the 2xx responses reported.
    success_tags: Vec<Box<[u8]>>,
    cancel: CancelState,
}

impl ClientInvite {
    /// Starts the transaction: sends the INVITE, starts Timers A (UDP) and B.
    pub(super) fn start<P: Clone>(
        request: IncomingRequest,
        config: &TransactionConfig,
        now: Instant,
        out: &mut Sink<'_, P>,
    ) -> ClientInvite {
        let reliable = out.transport.is_reliable();
        out.send(&request.as_bytes(), false);
        ClientInvite {
            state: InviteState::Calling,
            reliable,
            resend: if reliable {
                None
            } else {
                Resend::after(now, config.t1)
            },
            deadline: after(now, config.long()).map(|at| (at, TimeoutKind::TimerB)),
            end: None,
            ack: None,
            success_tags: Vec::new(),
            cancel: CancelState::None,
            request,
        }
    }

    pub(super) fn state(&self) -> TransactionState {
        match self.state {
            InviteState::Calling => TransactionState::Calling,
            InviteState::Proceeding => TransactionState::Proceeding,
            InviteState::Completed => TransactionState::Completed,
            InviteState::Accepted => TransactionState::Accepted,
        }
    }

    pub(super) fn request(&self) -> &IncomingRequest {
        &self.request
    }

    pub(super) fn cancel_state(&self) -> &CancelState {
        &self.cancel
    }

    pub(super) fn next_deadline(&self) -> Option<Instant> {
        earliest([
            self.resend.map(|r| r.at),
            self.deadline.map(|(at, _)| at),
            self.end,
        ])
    }

    /// Whether a CANCEL may be sent now: a provisional response came and no final.
    pub(super) fn is_proceeding(&self) -> bool {
        self.state == InviteState::Proceeding
    }

    /// Whether a final response came.
    pub(super) fn has_final(&self) -> bool {
        matches!(self.state, InviteState::Completed | InviteState::Accepted)
    }

    /// Records a CANCEL: queued until a provisional response comes, or sent now (the
    /// caller starts its transaction) with the 9.1 wait for the INVITE's final.
    pub(super) fn set_cancel(
        &mut self,
        cancel: CancelState,
        config: &TransactionConfig,
        now: Instant,
    ) {
        if matches!(cancel, CancelState::Sent(_)) {
            self.deadline =
                after(now, config.long()).map(|at| (at, TimeoutKind::NoFinalAfterCancel));
        }
        self.cancel = cancel;
    }

    /// A response matched to this transaction.
    pub(super) fn on_response<P: Clone>(
        &mut self,
        response: IncomingResponse,
        config: &TransactionConfig,
        now: Instant,
        out: &mut Sink<'_, P>,
    ) -> Step {
        let status = response.status();
        let mut step = Step::alive();
        if status.is_provisional() {
            match self.state {
                InviteState::Calling | InviteState::Proceeding => {
                    if self.state == InviteState::Calling {
                        tracing::debug!(key = out.key.0, "client INVITE: Calling -> Proceeding");
                        self.state = InviteState::Proceeding;
                        self.resend = None;
                        self.deadline = None;
                        if let CancelState::Queued { key, bytes } =
                            std::mem::replace(&mut self.cancel, CancelState::None)
                        {
                            step.start_cancel = Some((key, bytes));
                            self.set_cancel(CancelState::Sent(key), config, now);
                        }
                    }
                    out.event(TransactionEvent::Provisional {
                        key: out.key,
                        response,
                    });
                }
                // A late provisional after the final: nothing to do.
                InviteState::Completed | InviteState::Accepted => {}
            }
            return step;
        }
        if status.is_success() {
            let tag = message::to_tag(&response);
            let repeated = self
                .success_tags
                .iter()
                .any(|t| Some(&**t) == tag.as_deref());
            if !repeated {
                if let Some(tag) = tag {
                    self.success_tags.push(tag);
                }
            }
            if matches!(self.state, InviteState::Calling | InviteState::Proceeding) {
                tracing::debug!(key = out.key.0, "client INVITE: 2xx, -> Accepted");
                self.state = InviteState::Accepted;
                self.resend = None;
                self.deadline = None;
                self.end = after(now, config.long());
                step.drop_cancel = self.drop_queued_cancel();
            }
            // In Accepted (RFC 6026 7.2) every 2xx goes up, to be ACKed by the
            // application; in Completed, a 2xx from another fork does too.
            out.event(TransactionEvent::Final {
                key: out.key,
                response,
                repeated,
            });
            return step;
        }
        match self.state {
            InviteState::Calling | InviteState::Proceeding => {
                tracing::debug!(
                    key = out.key.0,
                    status = status.code(),
                    "client INVITE: -> Completed"
                );
                let ack = message::ack_for(&self.request, &response);
                out.send(&ack, false);
                self.ack = Some(ack);
                self.state = InviteState::Completed;
                self.resend = None;
                self.deadline = None;
                step.drop_cancel = self.drop_queued_cancel();
                out.event(TransactionEvent::Final {
                    key: out.key,
                    response,
                    repeated: false,
                });
                if self.reliable {
                    step.done = true;
                } else {
                    self.end = after(now, config.timer_d(out.transport));
                }
            }
            InviteState::Completed => {
                // A copy of the final: the ACK again, nothing to the application.
                if let Some(ack) = &self.ack {
                    out.send(ack, true);
                }
            }
            // A non-2xx after a 2xx (from another fork): RFC 6026 7.2 passes only 2xx
            // responses up in Accepted.
            InviteState::Accepted => {}
        }
        step
    }

    fn drop_queued_cancel(&mut self) -> Option<TransactionKey> {
        match std::mem::replace(&mut self.cancel, CancelState::None) {
            CancelState::Queued { key, .. } => Some(key),
            other => {
                self.cancel = other;
                None
            }
        }
    }

    /// Fires the timers due at `now`, earliest first.
    pub(super) fn on_timer<P: Clone>(&mut self, now: Instant, out: &mut Sink<'_, P>) -> Step {
        let mut step = Step::alive();
        loop {
            if let Some((at, kind)) = self.deadline.filter(|(at, _)| *at <= now) {
                tracing::debug!(key = out.key.0, ?kind, ?at, "client INVITE gives up");
                out.event(TransactionEvent::Timeout { key: out.key, kind });
                step.drop_cancel = self.drop_queued_cancel();
                step.done = true;
                return step;
            }
            if self.end.is_some_and(|at| at <= now) {
                step.done = true;
                return step;
            }
            match self.resend {
                Some(resend) if resend.at <= now => {
                    out.send(&self.request.as_bytes(), true);
                    let interval = resend.interval.saturating_mul(2);
                    self.resend = Resend::after(now, interval);
                }
                _ => return step,
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

/// A client non-INVITE transaction.
///
/// ```text
///        request sent; Timer E (UDP), Timer F
///             |
///   Timer E: resend, E = min(2E, T2)       Timer F: Timeout, Terminated
///             v
///          Trying ----1xx----> Proceeding (Timer E: resend, E = T2)
///             |                    |
///             +--------+-----------+
///                      | 200-699: to the application
///                      v
///          Completed (Timer K; copies of the final absorbed)
///                      |
///                 Terminated
/// ```
#[derive(Debug)]
pub(super) struct ClientNonInvite {
    state: NonInviteState,
    request: Bytes,
    reliable: bool,
    /// Timer E.
    resend: Option<Resend>,
    /// Timer F.
    deadline: Option<Instant>,
    /// Timer K.
    end: Option<Instant>,
}

impl ClientNonInvite {
    /// Starts the transaction: sends the request, starts Timers E (UDP) and F.
    pub(super) fn start<P: Clone>(
        request: Bytes,
        config: &TransactionConfig,
        now: Instant,
        out: &mut Sink<'_, P>,
    ) -> ClientNonInvite {
        let reliable = out.transport.is_reliable();
        out.send(&request, false);
        ClientNonInvite {
            state: NonInviteState::Trying,
            request,
            reliable,
            resend: if reliable {
                None
            } else {
                Resend::after(now, config.t1)
            },
            deadline: after(now, config.long()),
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

    pub(super) fn next_deadline(&self) -> Option<Instant> {
        earliest([self.resend.map(|r| r.at), self.deadline, self.end])
    }

    /// A response matched to this transaction.
    pub(super) fn on_response<P: Clone>(
        &mut self,
        response: IncomingResponse,
        config: &TransactionConfig,
        now: Instant,
        out: &mut Sink<'_, P>,
    ) -> Step {
        if self.state == NonInviteState::Completed {
            // A copy of the final (or a late provisional): absorbed.
            return Step::alive();
        }
        if response.status().is_provisional() {
            self.state = NonInviteState::Proceeding;
            out.event(TransactionEvent::Provisional {
                key: out.key,
                response,
            });
            return Step::alive();
        }
        tracing::debug!(
            key = out.key.0,
            status = response.status().code(),
            "client non-INVITE: -> Completed"
        );
        self.state = NonInviteState::Completed;
        self.resend = None;
        self.deadline = None;
        out.event(TransactionEvent::Final {
            key: out.key,
            response,
            repeated: false,
        });
        if self.reliable {
            return Step::done();
        }
        self.end = after(now, config.timer_ik(out.transport));
        Step::alive()
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
                tracing::debug!(key = out.key.0, "client non-INVITE: Timer F");
                out.event(TransactionEvent::Timeout {
                    key: out.key,
                    kind: TimeoutKind::TimerF,
                });
                return Step::done();
            }
            if self.end.is_some_and(|at| at <= now) {
                return Step::done();
            }
            match self.resend {
                Some(resend) if resend.at <= now => {
                    out.send(&self.request, true);
                    let interval = match self.state {
                        NonInviteState::Proceeding => config.t2,
                        _ => resend.interval.saturating_mul(2).min(config.t2),
                    };
                    self.resend = Resend::after(now, interval);
                }
                _ => return Step::alive(),
            }
        }
    }
}
