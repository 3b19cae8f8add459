//! `--registrar`: the library's sans-IO [`Registrant`] (OMA CPM 7.1, RFC 3261 10)
//! driven over the endpoint's transaction layer. It prints `registered <AoR>
//! expires=<s>`, `refreshed <AoR> expires=<s>` and `deregistered <AoR>`, and on a
//! failure the final status line that ended the REGISTER.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cpm_client::outgoing::{
    DigestCredentials, OutgoingRequest, RandomIds, Registrant, RegistrationEvent,
};
use cpm_client::sip::DigestChallenge;
use cpm_client::transaction::{TransactionEvent, TransactionKey};
use cpm_client::ClientConfig;

use crate::transport::Engine;
use crate::{status_line, Args};

/// How long the first registration and the de-registration may take (Timer F is
/// 32 s; a challenge doubles the round trips).
const WAIT: Duration = Duration::from_secs(70);

/// One registration: the registrant, where its REGISTERs go, what is in flight.
pub struct Registration {
    registrant: Registrant,
    aor: String,
    /// The registrar's URI: every REGISTER goes there.
    registrar: String,
    /// The client transaction of the REGISTER in flight.
    current: Option<TransactionKey>,
    /// The status line of the last final response to a REGISTER.
    last_status: Option<String>,
}

/// How a registration step ended, once it did.
enum Step {
    Done,
    Failed,
}

impl Registration {
    /// The registration `--registrar` asks for, if it does.
    pub fn from_args(args: &Args, config: &ClientConfig) -> Result<Option<Registration>, String> {
        let Some(registrar) = &args.registrar else {
            return Ok(None);
        };
        let aor = config.identity().to_owned();
        let user = args.auth_user.clone().unwrap_or_else(|| user_part(&aor));
        let password = args.password.clone();
        // Asked once per fresh challenge: any realm gets the one account of the run.
        let credentials = move |_: &DigestChallenge| {
            password
                .as_deref()
                .map(|password| DigestCredentials::new(&user, password))
        };
        let registrant = Registrant::new(config.clone(), credentials, RandomIds::new())
            .with_expires(args.expires);
        Ok(Some(Registration {
            registrant,
            aor,
            registrar: registrar.clone(),
            current: None,
            last_status: None,
        }))
    }

    /// The Service-Route the registrar returned (RFC 3608), to preload in later
    /// requests.
    pub fn service_route(&self) -> &[String] {
        self.registrant.service_route()
    }

    /// Registers, waiting for the outcome: `true` once registered, `false` (the final
    /// status line printed) when it failed.
    pub fn register(
        &mut self,
        engine: &Arc<Engine>,
        events: &Receiver<TransactionEvent>,
    ) -> Result<bool, String> {
        let request = self
            .registrant
            .start(Instant::now())
            .map_err(|e| format!("register: {e}"))?;
        self.send(engine, &request)?;
        Ok(matches!(self.wait(engine, events)?, Step::Done))
    }

    /// De-registers, waiting for the outcome (a failure is printed, not returned).
    pub fn deregister(
        &mut self,
        engine: &Arc<Engine>,
        events: &Receiver<TransactionEvent>,
    ) -> Result<(), String> {
        if let Some(request) = self
            .registrant
            .unregister(Instant::now())
            .map_err(|e| format!("de-register: {e}"))?
        {
            self.send(engine, &request)?;
        }
        self.wait(engine, events).map(drop)
    }

    /// Takes an event of the layer; those of other transactions are passed over.
    pub fn on_event(
        &mut self,
        engine: &Arc<Engine>,
        event: &TransactionEvent,
    ) -> Result<(), String> {
        self.step(engine, event).map(drop)
    }

    /// Refreshes when due, and sends what the registrant queued; the registration's
    /// own outcome, if one came.
    pub fn pump(&mut self, engine: &Arc<Engine>) -> Result<Option<bool>, String> {
        let now = Instant::now();
        if self.registrant.poll_timeout().is_some_and(|at| at <= now) {
            self.registrant.handle_timeout(now);
        }
        while let Some(request) = self.registrant.poll_transmit() {
            self.send(engine, &request)?;
        }
        let mut outcome = None;
        while let Some(event) = self.registrant.poll_event() {
            match event {
                RegistrationEvent::Registered { expires } => {
                    println!("registered {} expires={expires}", self.aor);
                    outcome = Some(true);
                }
                RegistrationEvent::Refreshed { expires } => {
                    println!("refreshed {} expires={expires}", self.aor);
                    outcome = Some(true);
                }
                RegistrationEvent::Deregistered => {
                    println!("deregistered {}", self.aor);
                    outcome = Some(true);
                }
                RegistrationEvent::Failed { status, reason } => {
                    let line = self
                        .last_status
                        .clone()
                        .unwrap_or_else(|| format!("SIP/2.0 {status}"));
                    println!("registration of {} failed: {line} ({reason})", self.aor);
                    outcome = Some(false);
                }
                _ => {}
            }
        }
        Ok(outcome)
    }

    /// One event, and what the registrant made of it.
    fn step(
        &mut self,
        engine: &Arc<Engine>,
        event: &TransactionEvent,
    ) -> Result<Option<bool>, String> {
        if self.current == Some(event.key()) {
            let now = Instant::now();
            match event {
                TransactionEvent::Final { response, .. } => {
                    self.current = None;
                    self.last_status = Some(status_line(&response.as_bytes()));
                    if let Err(e) = self.registrant.handle_response(response.as_bytes(), now) {
                        eprintln!("cpm_endpoint: REGISTER answer: {e}");
                    }
                }
                TransactionEvent::Timeout { .. } | TransactionEvent::TransportError { .. } => {
                    self.current = None;
                    self.last_status = Some("no answer (Timer F)".to_owned());
                    self.registrant.handle_no_response(now);
                }
                _ => {}
            }
        }
        self.pump(engine)
    }

    /// Waits until the registrant reports an outcome (or `WAIT` passes).
    fn wait(
        &mut self,
        engine: &Arc<Engine>,
        events: &Receiver<TransactionEvent>,
    ) -> Result<Step, String> {
        let give_up = Instant::now() + WAIT;
        loop {
            let now = Instant::now();
            if now >= give_up {
                println!("registration of {} failed: no outcome", self.aor);
                return Ok(Step::Failed);
            }
            let outcome = match events.recv_timeout((give_up - now).min(Duration::from_millis(100)))
            {
                Ok(event) => self.step(engine, &event)?,
                Err(RecvTimeoutError::Timeout) => self.pump(engine)?,
                Err(RecvTimeoutError::Disconnected) => return Err("the engine stopped".to_owned()),
            };
            match outcome {
                Some(true) => return Ok(Step::Done),
                Some(false) => return Ok(Step::Failed),
                None => {}
            }
        }
    }

    /// Sends one REGISTER to the registrar as a client transaction.
    fn send(&mut self, engine: &Arc<Engine>, request: &OutgoingRequest) -> Result<(), String> {
        self.current = Some(engine.send_request(request.bytes(), &self.registrar)?);
        Ok(())
    }
}

/// The user part of a SIP URI (`alice` of `sip:alice@example.net`).
pub fn user_part(uri: &str) -> String {
    let after_scheme = uri.split_once(':').map_or(uri, |(_, rest)| rest);
    after_scheme
        .split_once('@')
        .map_or(after_scheme, |(user, _)| user)
        .to_owned()
}
