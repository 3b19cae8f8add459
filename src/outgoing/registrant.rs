//! 7.1 registration as a sans-IO state machine: [`Registrant`] sends REGISTER,
//! answers digest challenges, learns the granted expiry and the Service-Route,
//! refreshes before expiry and de-registers.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;
use thiserror::Error;

use super::{BuildError, ClientConfig, OutgoingRequest, Registration};
use crate::error::ParseError;
use crate::ids::IdGenerator;
use crate::sip::{
    split_list, DigestAnswer, DigestChallenge, DigestError, IncomingResponse, Method, NameAddr,
    StatusCode,
};

/// Expires asked for by default, in seconds (RFC 3261 10.2.1.1 suggests one hour).
const DEFAULT_EXPIRES: u32 = 3600;
/// How many times in a row a REGISTER is sent again without a final success: stale
/// nonces and 423 answers each count, so a registrar that keeps asking cannot loop
/// the client.
const MAX_RETRIES: u8 = 4;

/// A user name and password for a digest realm.
#[derive(Clone, PartialEq, Eq)]
pub struct DigestCredentials {
    username: String,
    password: Vec<u8>,
}

impl DigestCredentials {
    /// Credentials: in IMS, the private user identity and its password (or, for IMS
    /// AKA, the RES computed from the challenge's nonce).
    pub fn new(username: &str, password: impl AsRef<[u8]>) -> DigestCredentials {
        DigestCredentials {
            username: username.to_owned(),
            password: password.as_ref().to_vec(),
        }
    }

    /// The user name.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password bytes (kept out of the public API so that they are not printed
    /// or copied by accident).
    pub(crate) fn password(&self) -> &[u8] {
        &self.password
    }
}

impl fmt::Debug for DigestCredentials {
    /// The user name only: the password is never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestCredentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Where a [`Registrant`] gets the credentials that answer a challenge: asked once per
/// fresh challenge (not again for a `stale=true` one, whose nonce alone changed).
///
/// The whole challenge is given, not only its realm, so that a scheme computing the
/// password from the nonce (IMS AKA, RFC 3310) can plug in here. A closure taking
/// `&DigestChallenge` is one:
///
/// ```
/// use cpm_client::outgoing::{Credentials, DigestCredentials};
/// use cpm_client::sip::DigestChallenge;
///
/// let by_realm = |challenge: &DigestChallenge| {
///     (challenge.realm() == "ims.example.net")
///         .then(|| DigestCredentials::new("alice@ims.example.net", "secret"))
/// };
/// fn takes(_: impl Credentials) {}
/// takes(by_realm);
/// ```
pub trait Credentials {
    /// The user name and password for `challenge` (its [`realm`](DigestChallenge::realm)
    /// says which account); `None` when the client has none, which fails the
    /// registration.
    fn digest_credentials(&self, challenge: &DigestChallenge) -> Option<DigestCredentials>;
}

impl<F> Credentials for F
where
    F: Fn(&DigestChallenge) -> Option<DigestCredentials>,
{
    fn digest_credentials(&self, challenge: &DigestChallenge) -> Option<DigestCredentials> {
        self(challenge)
    }
}

/// What a [`Registrant`] tells the application, from [`Registrant::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistrationEvent {
    /// The registrar bound the contact for `expires` seconds (the first 2xx, or the
    /// first after a failure or a de-registration).
    Registered {
        /// The granted expiry, in seconds.
        expires: u32,
    },
    /// A refresh succeeded: the binding now lasts `expires` seconds more.
    Refreshed {
        /// The granted expiry, in seconds.
        expires: u32,
    },
    /// The de-registration succeeded: the binding is gone.
    Deregistered,
    /// The REGISTER (a first one, a refresh or a de-registration) failed: `status` is
    /// the final response that ended it (408 when no response came), `reason` says
    /// why it was not answered. No refresh is scheduled after a failure;
    /// [`Registrant::start`] tries again.
    Failed {
        /// The final status.
        status: StatusCode,
        /// Why.
        reason: RegistrationFailure,
    },
}

/// Why a registration failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RegistrationFailure {
    /// The registrar refused with a final status the procedure has no answer to
    /// (403, 404, 5xx, 6xx, ...).
    #[error("the registrar refused the REGISTER")]
    Rejected,
    /// A challenge for a realm the [`Credentials`] have nothing for.
    #[error("no credentials for realm {realm:?}")]
    NoCredentials {
        /// The realm.
        realm: String,
    },
    /// The credentials were refused: a 401 or 407 answered a REGISTER that carried
    /// an answer to a fresh challenge, and the new challenge is not `stale` (RFC 3261
    /// 22.2: do not retry with credentials just rejected).
    #[error("the credentials were refused")]
    CredentialsRejected,
    /// A challenge that cannot be answered (unsupported algorithm or qop, or one
    /// that does not read).
    #[error("the challenge cannot be answered: {0}")]
    Challenge(DigestError),
    /// 423 without a Min-Expires above the Expires asked, or too many times in a row.
    #[error("423 Interval Too Brief without a usable Min-Expires")]
    IntervalTooBrief,
    /// The registrar kept challenging with stale nonces or asking longer intervals.
    #[error("too many REGISTER retries without a final answer")]
    TooManyRetries,
    /// The 2xx granted an expiry of 0 to this client's contact: nothing is bound.
    #[error("the 2xx binds nothing for this contact")]
    NotBound,
    /// No final response came ([`Registrant::handle_no_response`]).
    #[error("no response to the REGISTER")]
    NoResponse,
    /// The REGISTER answering the challenge could not be built (credentials holding
    /// control characters, ...).
    #[error("the REGISTER could not be built: {0}")]
    Build(BuildError),
}

/// Why [`Registrant::handle_response`] or a method starting a REGISTER refused its
/// input. Nothing changed in the state machine.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RegistrantError {
    /// The bytes are not a SIP response.
    #[error("not a response: {0}")]
    Parse(ParseError),
    /// The response answers no REGISTER in progress: its Call-ID, CSeq or top Via
    /// branch is not the REGISTER's, or none is in progress.
    #[error("the response answers no REGISTER in progress: {0}")]
    NotOurs(&'static str),
    /// A REGISTER is in progress: RFC 3261 10.2 allows one at a time.
    #[error("a REGISTER is in progress")]
    InProgress,
    /// The REGISTER could not be built.
    #[error(transparent)]
    Build(#[from] BuildError),
}

/// Where a [`Registrant`] stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegistrationState {
    /// Nothing sent yet, or de-registered.
    Unregistered,
    /// A first REGISTER is in progress.
    Registering,
    /// Bound; a refresh is scheduled ([`Registrant::poll_timeout`]).
    Registered,
    /// A refresh is in progress; the binding still holds.
    Refreshing,
    /// A de-registration is in progress.
    Unregistering,
    /// The last REGISTER failed.
    Failed,
}

/// What the REGISTER in progress is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Register,
    Refresh,
    Unregister,
}

/// The REGISTER in progress.
#[derive(Debug)]
struct Outstanding {
    request: OutgoingRequest,
    purpose: Purpose,
    /// It answered challenges that came in the response to the previous REGISTER:
    /// a further non-stale challenge means the credentials were refused.
    answered_fresh: bool,
    /// The nonces it answered.
    nonces: Vec<String>,
}

/// A challenge answered once, reused on later REGISTERs (RFC 3261 22.3 lets a client
/// send credentials again for the same realm; the nonce count goes up).
#[derive(Debug)]
struct Answered {
    challenge: DigestChallenge,
    credentials: DigestCredentials,
    nc: u32,
}

/// OMA CPM 7.1 registration, with RFC 3261 section 10's rules, as a sans-IO state
/// machine: whole messages and `Instant`s in, REGISTERs, a deadline and events out.
/// Retransmission belongs to the transaction layer below; the registrant sees one
/// final response per REGISTER (or [`handle_no_response`](Self::handle_no_response)).
///
/// - [`start`](Self::start) gives the first REGISTER; [`handle_response`](Self::handle_response)
///   takes each response to it; what must be sent in reaction (the answer to a
///   401/407, the retry after 423 with Min-Expires, a de-registration asked for
///   while a REGISTER was in progress) comes from [`poll_transmit`](Self::poll_transmit).
/// - A 2xx grants the expiry of the Contact matching this client's (its `expires`
///   parameter, else the Expires header, else what was asked); its Service-Route
///   becomes [`service_route`](Self::service_route) (RFC 3608); the refresh is due at
///   [`poll_timeout`](Self::poll_timeout): 600 seconds before expiry when more than
///   1200 were granted, else at half the time (3GPP TS 24.229 5.1.1.4.1);
///   [`handle_timeout`](Self::handle_timeout) then queues it.
/// - Every REGISTER keeps the Call-ID and From tag and takes the next CSeq (RFC 3261
///   10.2.4), and carries `Expires` and the Contact of the [`ClientConfig`].
/// - A 401 or 407 is answered with [`Credentials`] once per fresh challenge, for the
///   strongest supported challenge of each realm; `stale=true` is answered with the
///   same credentials and the new nonce; a second challenge after a fresh answer
///   fails with [`RegistrationFailure::CredentialsRejected`]. Later REGISTERs carry
///   the last answer again with the next nonce count.
/// - [`unregister`](Self::unregister) sends `Expires: 0`.
///
/// ```
/// use std::time::{Duration, Instant};
/// use bytes::Bytes;
/// use cpm_client::outgoing::*;
///
/// let config = ClientConfig::new("sip:+15550100001@ims.example.net",
///     ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?)?
///     .with_instance("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427")?;
/// let no_credentials = |_: &cpm_client::sip::DigestChallenge| None;
/// let mut registrant = Registrant::new(config, no_credentials, SequentialIds::new(1));
///
/// let now = Instant::now();
/// let register = registrant.start(now)?;
/// // The registrar's 200, granting 600 seconds.
/// let ok = format!(
///     "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=r1\r\nCall-ID: {}\r\n\
///      CSeq: {} REGISTER\r\nContact: {};expires=600\r\n\
///      Service-Route: <sip:orig@scscf.ims.example.net;lr>\r\nContent-Length: 0\r\n\r\n",
///     register.header("Via").unwrap(), register.header("From").unwrap(),
///     register.header("To").unwrap(), register.call_id(), register.cseq(),
///     register.header("Contact").unwrap(),
/// );
/// registrant.handle_response(Bytes::from(ok), now)?;
/// assert_eq!(registrant.poll_event(), Some(RegistrationEvent::Registered { expires: 600 }));
/// assert_eq!(registrant.service_route(), ["<sip:orig@scscf.ims.example.net;lr>"]);
/// assert_eq!(registrant.poll_timeout(), Some(now + Duration::from_secs(300)));
///
/// registrant.handle_timeout(now + Duration::from_secs(300));
/// let refresh = registrant.poll_transmit().expect("the refresh is due");
/// assert_eq!((refresh.call_id(), refresh.cseq()), (register.call_id(), 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Registrant {
    config: ClientConfig,
    credentials: Box<dyn Credentials + Send>,
    ids: Box<dyn IdGenerator + Send>,
    expires: u32,
    call_id: Option<String>,
    from_tag: Option<String>,
    cseq: u32,
    state: RegistrationState,
    outstanding: Option<Outstanding>,
    /// A de-registration asked for while a REGISTER was in progress.
    unregister_next: bool,
    answered: Vec<Answered>,
    retries: u8,
    service_route: Vec<String>,
    refresh_at: Option<Instant>,
    expires_at: Option<Instant>,
    transmits: VecDeque<OutgoingRequest>,
    events: VecDeque<RegistrationEvent>,
}

impl fmt::Debug for Registrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registrant")
            .field("state", &self.state)
            .field("call_id", &self.call_id)
            .field("cseq", &self.cseq)
            .field("expires", &self.expires)
            .field("refresh_at", &self.refresh_at)
            .finish_non_exhaustive()
    }
}

impl Registrant {
    /// A registrant for the client `config` describes (its identity, home domain,
    /// Contact with `+sip.instance`, outbound proxy), asking `credentials` when
    /// challenged and drawing tags, branches and client nonces from `ids`.
    pub fn new(
        config: ClientConfig,
        credentials: impl Credentials + Send + 'static,
        ids: impl IdGenerator + Send + 'static,
    ) -> Registrant {
        Registrant {
            config,
            credentials: Box::new(credentials),
            ids: Box::new(ids),
            expires: DEFAULT_EXPIRES,
            call_id: None,
            from_tag: None,
            cseq: 0,
            state: RegistrationState::Unregistered,
            outstanding: None,
            unregister_next: false,
            answered: Vec::new(),
            retries: 0,
            service_route: Vec::new(),
            refresh_at: None,
            expires_at: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The Expires asked for, in seconds (3600 by default; a 423 raises it to the
    /// registrar's Min-Expires).
    pub fn with_expires(mut self, seconds: u32) -> Registrant {
        self.expires = seconds.max(1);
        self
    }

    /// Starts registering: the first REGISTER to send (after a failure or a
    /// de-registration, the next one, same Call-ID).
    ///
    /// # Errors
    ///
    /// [`RegistrantError::InProgress`] while a REGISTER is unanswered;
    /// [`RegistrantError::Build`] when the configuration cannot make a REGISTER (no
    /// `+sip.instance`, no home domain).
    pub fn start(&mut self, _now: Instant) -> Result<OutgoingRequest, RegistrantError> {
        if self.outstanding.is_some() {
            return Err(RegistrantError::InProgress);
        }
        self.retries = 0;
        self.unregister_next = false;
        let purpose = if self.is_bound() {
            Purpose::Refresh
        } else {
            Purpose::Register
        };
        let request = self.send(purpose, false)?;
        Ok(request)
    }

    /// De-registers: a REGISTER with `Expires: 0` for this client's contact (RFC 3261
    /// 10.2.2), carrying the last credentials. `Ok(None)` while another REGISTER is
    /// in progress: the de-registration then follows its final response, from
    /// [`poll_transmit`](Self::poll_transmit).
    ///
    /// # Errors
    ///
    /// [`RegistrantError::Build`] when the configuration cannot make a REGISTER.
    pub fn unregister(
        &mut self,
        _now: Instant,
    ) -> Result<Option<OutgoingRequest>, RegistrantError> {
        self.refresh_at = None;
        if self.outstanding.is_some() {
            self.unregister_next = true;
            return Ok(None);
        }
        self.retries = 0;
        self.send(Purpose::Unregister, false).map(Some)
    }

    /// Takes a response to the REGISTER in progress. A 1xx is noted and nothing
    /// else; a final response ends the REGISTER: events and perhaps a new REGISTER
    /// follow.
    ///
    /// # Errors
    ///
    /// [`RegistrantError::Parse`] for bytes that are not a response,
    /// [`RegistrantError::NotOurs`] for a response to anything but the REGISTER in
    /// progress (a stray or late retransmission): both are ignored.
    pub fn handle_response(&mut self, bytes: Bytes, now: Instant) -> Result<(), RegistrantError> {
        let response = IncomingResponse::parse(bytes).map_err(RegistrantError::Parse)?;
        let outstanding = self
            .outstanding
            .as_ref()
            .ok_or(RegistrantError::NotOurs("no REGISTER is in progress"))?;
        let request = &outstanding.request;
        if response.header("Call-ID").map(|h| h.value()) != Some(request.call_id().as_bytes()) {
            return Err(RegistrantError::NotOurs("Call-ID"));
        }
        if response.cseq() != request.cseq() || response.cseq_method() != Some(Method::Register) {
            return Err(RegistrantError::NotOurs("CSeq"));
        }
        let branch = response
            .header_values("Via")
            .next()
            .and_then(|via| via_branch(via));
        if branch != Some(request.branch().as_bytes()) {
            return Err(RegistrantError::NotOurs("Via branch"));
        }
        let status = response.status();
        if status.is_provisional() {
            return Ok(());
        }
        let Some(outstanding) = self.outstanding.take() else {
            return Err(RegistrantError::NotOurs("no REGISTER is in progress"));
        };
        tracing::debug!(status = status.code(), purpose = ?outstanding.purpose, "REGISTER answered");
        match status.code() {
            200..=299 => self.succeeded(&response, outstanding.purpose, now),
            401 | 407 => self.challenged(&response, &outstanding),
            423 => self.too_brief(&response, outstanding.purpose),
            _ => self.fail(status, RegistrationFailure::Rejected),
        }
        if self.unregister_next && self.outstanding.is_none() {
            self.unregister_next = false;
            self.retries = 0;
            match self.send(Purpose::Unregister, false) {
                Ok(request) => self.transmits.push_back(request),
                Err(error) => self.fail(status, RegistrationFailure::Build(error_of(error))),
            }
        }
        Ok(())
    }

    /// Says that the REGISTER in progress got no final response (the transaction
    /// layer's timer F fired, RFC 3261 17.1.2.2): it fails with 408.
    pub fn handle_no_response(&mut self, _now: Instant) {
        if self.outstanding.take().is_some() {
            self.unregister_next = false;
            self.fail(StatusCode::REQUEST_TIMEOUT, RegistrationFailure::NoResponse);
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due: the refresh, while
    /// registered and no REGISTER is in progress.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.outstanding.is_some() {
            return None;
        }
        self.refresh_at
    }

    /// Acts on time: at the refresh time, queues the refreshing REGISTER for
    /// [`poll_transmit`](Self::poll_transmit). A build failure is reported as a
    /// [`RegistrationEvent::Failed`] with status 500.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due = self.refresh_at.is_some_and(|at| at <= now);
        if !due || self.outstanding.is_some() {
            return;
        }
        self.refresh_at = None;
        self.retries = 0;
        match self.send(Purpose::Refresh, false) {
            Ok(request) => self.transmits.push_back(request),
            Err(error) => self.fail(
                StatusCode::SERVER_INTERNAL_ERROR,
                RegistrationFailure::Build(error_of(error)),
            ),
        }
    }

    /// The next REGISTER to send that the application did not ask for itself: the
    /// answer to a challenge, a retry after 423, a refresh, a deferred
    /// de-registration.
    pub fn poll_transmit(&mut self) -> Option<OutgoingRequest> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<RegistrationEvent> {
        self.events.pop_front()
    }

    /// Where the registration stands.
    pub fn state(&self) -> RegistrationState {
        self.state
    }

    /// The Service-Route of the last 2xx, in order (RFC 3608): the route set of the
    /// client's requests outside a dialog other than REGISTER. Hand it to
    /// [`ClientConfig::with_route_set`] for the builders to use.
    pub fn service_route(&self) -> &[String] {
        &self.service_route
    }

    /// When the binding expires, while registered.
    pub fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }

    /// The Call-ID of every REGISTER (set by the first one).
    pub fn call_id(&self) -> Option<&str> {
        self.call_id.as_deref()
    }

    /// The configuration the REGISTERs are built from.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Whether a binding made by a 2xx still holds (as far as the client knows).
    fn is_bound(&self) -> bool {
        matches!(
            self.state,
            RegistrationState::Registered | RegistrationState::Refreshing
        )
    }

    /// Builds the next REGISTER for `purpose`, with the answers to the challenges met
    /// so far, and makes it the one in progress.
    fn send(
        &mut self,
        purpose: Purpose,
        answered_fresh: bool,
    ) -> Result<OutgoingRequest, RegistrantError> {
        let cseq = self.cseq.saturating_add(1);
        let expires = match purpose {
            Purpose::Unregister => 0,
            Purpose::Register | Purpose::Refresh => self.expires,
        };
        let mut builder = Registration::new().cseq(cseq).expires(expires);
        if let Some(call_id) = &self.call_id {
            builder = builder.call_id(call_id);
        }
        if let Some(tag) = &self.from_tag {
            builder = builder.from_tag(tag);
        }
        let uri = format!("sip:{}", self.config.home_domain());
        let mut nonces = Vec::with_capacity(self.answered.len());
        for answered in &mut self.answered {
            answered.nc = answered.nc.saturating_add(1);
            let cnonce = self.ids.token(32);
            let value = answered
                .challenge
                .authorization(&DigestAnswer {
                    username: answered.credentials.username(),
                    password: &answered.credentials.password,
                    method: "REGISTER",
                    uri: &uri,
                    body: b"",
                    cnonce: &cnonce,
                    nc: answered.nc,
                })
                .map_err(|error| {
                    crate::error::invalid(
                        "credentials",
                        &error.to_string(),
                        "credentials that can be written in Authorization",
                    )
                })?;
            builder = builder.extra_header(answered.challenge.header().answer_name(), &value);
            nonces.push(answered.challenge.nonce().to_owned());
        }
        let request = builder.build(&self.config, &mut *self.ids)?;
        self.cseq = request.cseq();
        self.call_id = Some(request.call_id().to_owned());
        self.from_tag = Some(request.from_tag().to_owned());
        self.state = match purpose {
            Purpose::Register => RegistrationState::Registering,
            Purpose::Refresh => RegistrationState::Refreshing,
            Purpose::Unregister => RegistrationState::Unregistering,
        };
        self.outstanding = Some(Outstanding {
            request: request.clone(),
            purpose,
            answered_fresh,
            nonces,
        });
        Ok(request)
    }

    /// Sends the REGISTER again in reaction to a response, queued for
    /// `poll_transmit`; a build failure fails the registration with `status`.
    fn resend(&mut self, purpose: Purpose, answered_fresh: bool, status: StatusCode) {
        if self.retries >= MAX_RETRIES {
            return self.fail(status, RegistrationFailure::TooManyRetries);
        }
        self.retries += 1;
        match self.send(purpose, answered_fresh) {
            Ok(request) => self.transmits.push_back(request),
            Err(error) => self.fail(status, RegistrationFailure::Build(error_of(error))),
        }
    }

    fn succeeded(&mut self, response: &IncomingResponse, purpose: Purpose, now: Instant) {
        self.retries = 0;
        if purpose == Purpose::Unregister {
            self.state = RegistrationState::Unregistered;
            self.refresh_at = None;
            self.expires_at = None;
            self.service_route.clear();
            self.events.push_back(RegistrationEvent::Deregistered);
            return;
        }
        let granted = granted_expiry(response, &self.config).unwrap_or(self.expires);
        if granted == 0 {
            return self.fail(response.status(), RegistrationFailure::NotBound);
        }
        self.service_route = service_route(response);
        let granted_for = Duration::from_secs(u64::from(granted));
        self.expires_at = now.checked_add(granted_for);
        self.refresh_at = now.checked_add(refresh_delay(granted));
        let event = if self.is_bound() && purpose == Purpose::Refresh {
            RegistrationEvent::Refreshed { expires: granted }
        } else {
            RegistrationEvent::Registered { expires: granted }
        };
        self.state = RegistrationState::Registered;
        self.events.push_back(event);
    }

    fn challenged(&mut self, response: &IncomingResponse, outstanding: &Outstanding) {
        let status = response.status();
        let challenges = match DigestChallenge::select(response) {
            Ok(challenges) => challenges,
            Err(error) => return self.fail(status, RegistrationFailure::Challenge(error)),
        };
        // A stale nonce: the same credentials, the new nonce, no question asked.
        let cached = |challenge: &DigestChallenge, answered: &[Answered]| {
            answered
                .iter()
                .find(|a| {
                    a.challenge.realm() == challenge.realm()
                        && a.challenge.header() == challenge.header()
                })
                .map(|a| a.credentials.clone())
        };
        let all_stale = challenges
            .iter()
            .all(|c| c.stale() && cached(c, &self.answered).is_some());
        if all_stale {
            let answered = challenges
                .into_iter()
                .filter_map(|challenge| {
                    let credentials = cached(&challenge, &self.answered)?;
                    Some(Answered {
                        challenge,
                        credentials,
                        nc: 0,
                    })
                })
                .collect();
            self.answered = answered;
            return self.resend(outstanding.purpose, true, status);
        }
        let same_nonce = challenges
            .iter()
            .any(|c| !c.stale() && outstanding.nonces.iter().any(|n| n == c.nonce()));
        if outstanding.answered_fresh || same_nonce {
            return self.fail(status, RegistrationFailure::CredentialsRejected);
        }
        let mut answered = Vec::with_capacity(challenges.len());
        for challenge in challenges {
            let Some(credentials) = self.credentials.digest_credentials(&challenge) else {
                let realm = challenge.realm().to_owned();
                return self.fail(status, RegistrationFailure::NoCredentials { realm });
            };
            answered.push(Answered {
                challenge,
                credentials,
                nc: 0,
            });
        }
        self.answered = answered;
        // A fresh challenge restarts the retry count: only stale ones and 423s loop.
        self.retries = 0;
        self.resend(outstanding.purpose, true, status);
    }

    fn too_brief(&mut self, response: &IncomingResponse, purpose: Purpose) {
        let status = response.status();
        let min = response
            .header("Min-Expires")
            .and_then(|h| std::str::from_utf8(h.value()).ok())
            .and_then(|v| v.trim().parse::<u32>().ok());
        match min {
            Some(min) if min > self.expires && purpose != Purpose::Unregister => {
                self.expires = min;
                self.resend(purpose, false, status);
            }
            _ => self.fail(status, RegistrationFailure::IntervalTooBrief),
        }
    }

    fn fail(&mut self, status: StatusCode, reason: RegistrationFailure) {
        tracing::info!(status = status.code(), reason = %reason, "registration failed");
        self.state = RegistrationState::Failed;
        self.refresh_at = None;
        self.expires_at = None;
        self.outstanding = None;
        self.events
            .push_back(RegistrationEvent::Failed { status, reason });
    }
}

/// The build error inside a registrant error (the only kind `send` returns).
fn error_of(error: RegistrantError) -> BuildError {
    match error {
        RegistrantError::Build(error) => error,
        other => crate::error::invalid("REGISTER", &other.to_string(), "a REGISTER that builds"),
    }
}

/// When to refresh a binding granted for `granted` seconds (3GPP TS 24.229
/// 5.1.1.4.1): 600 seconds before it expires when more than 1200 were granted, else
/// at half the time.
fn refresh_delay(granted: u32) -> Duration {
    let seconds = if granted > 1200 {
        granted - 600
    } else {
        granted / 2
    };
    Duration::from_secs(u64::from(seconds.max(1)))
}

/// The `branch` parameter of a Via value.
fn via_branch(via: &[u8]) -> Option<&[u8]> {
    via.split(|&b| b == b';').skip(1).find_map(|param| {
        let param = crate::sip::grammar::trim_lws(param);
        let (name, value) = param.split_at(param.iter().position(|&b| b == b'=')?);
        name.eq_ignore_ascii_case(b"branch")
            .then(|| crate::sip::grammar::trim_lws(&value[1..]))
    })
}

/// The expiry a 2xx grants this client's contact (RFC 3261 10.2.4): the `expires`
/// parameter of the Contact that is ours (same `+sip.instance`, else same address),
/// else the Expires header; `None` when it says neither.
fn granted_expiry(response: &IncomingResponse, config: &ClientConfig) -> Option<u32> {
    let number = |v: &[u8]| std::str::from_utf8(v).ok()?.trim().parse::<u32>().ok();
    let ours = config.contact_uri();
    let ours = ours.trim_start_matches('<').trim_end_matches('>');
    let instance = config.instance();
    for value in response.header_values("Contact") {
        let Some(contact) = NameAddr::parse(value) else {
            continue;
        };
        let matches = match (instance, contact.param("+sip.instance")) {
            (Some(instance), Some(theirs)) => {
                let theirs = theirs.strip_prefix(b"<").unwrap_or(theirs);
                let theirs = theirs.strip_suffix(b">").unwrap_or(theirs);
                theirs.eq_ignore_ascii_case(instance.as_bytes())
            }
            _ => same_address(contact.uri(), ours.as_bytes()),
        };
        if matches {
            if let Some(expires) = contact.param("expires").and_then(number) {
                return Some(expires);
            }
        }
    }
    response.header("Expires").and_then(|h| number(h.value()))
}

/// Whether two SIP URIs name the same `user@host:port`, parameters aside.
fn same_address(a: &[u8], b: &[u8]) -> bool {
    let base = |uri: &[u8]| -> Vec<u8> {
        let uri = uri.split(|&b| b == b';').next().unwrap_or_default();
        uri.to_ascii_lowercase()
    };
    base(a) == base(b)
}

/// The Service-Route values of a 2xx, in order (RFC 3608 section 6), each written
/// on one line; those that are not a name-addr free of control characters are left
/// out.
fn service_route(response: &IncomingResponse) -> Vec<String> {
    let mut routes = Vec::new();
    for header in response.headers().filter(|h| h.is("Service-Route")) {
        for value in split_list(&header.unfolded()) {
            let Ok(value) = std::str::from_utf8(value) else {
                continue;
            };
            let clean = !value.chars().any(char::is_control);
            if clean && super::route_uri(value).is_some() {
                routes.push(value.to_owned());
            }
        }
    }
    routes
}
