//! A small CPM client endpoint on loopback: the library with sockets around it.
//!
//! ```text
//! cargo run --example cpm_endpoint -- [--port 5060] [--transport udp|tcp] [--release OMA2.0]
//!     [--enable pager,large-message,session,file-transfer,deferred]
//!     [--max-requests N] [--seconds S] [--quiet]
//!     [--registrar sip:HOST:PORT [--password PW] [--auth-user NAME] [--expires S]]
//! cargo run --example cpm_endpoint -- --send pager|large-message|session|file-transfer
//!     --to sip:USER@127.0.0.1:PORT [--port 0] [--transport udp|tcp] [--release OMA2.0]
//!     [--text TEXT | --file PATH] [--chunk-size N] [--setup active|passive|actpass]
//!     [--no-bye] [--no-msrp] [--seconds S] [--proxy sip:HOST:PORT]
//!     [--registrar sip:HOST:PORT [--password PW] [--auth-user NAME] [--expires S]]
//! ```
//!
//! Both roles take `--identity URI`, the client's public identity (default
//! `sip:+15550100002@127.0.0.1` receiving, `sip:+15550100001@127.0.0.1` sending), and `--release`, the CPM release of the
//! `CPM-client/OMA<v>` stamp in User-Agent and Server (default OMA2.0).
//!
//! **Receiving** (the default). The endpoint listens on 127.0.0.1 (UDP, or TCP with the
//! byte stream cut into messages by the library's
//! [`StreamReader`](cpm_client::sip::StreamReader), each keep-alive ping, a double CRLF,
//! answered with a pong, RFC 5626 4.4.1) and feeds every request to a
//! [`Dispatcher`] whose handlers print a one-line summary (route, section, sender,
//! Conversation-ID, content type, size) and accept. It sends back the response the
//! library built: 200 for a MESSAGE, 180 then 200 with an MSRP SDP answer for a
//! session INVITE (the handler answers later, the "user" says yes at once), 200 with
//! an SDP answer for the other INVITEs, nothing for an ACK, 200 for a BYE, and the
//! library's standard answers for the rest (603/403 for a procedure left out of
//! `--enable`, 400 for a malformed request, OPTIONS listing the enabled services).
//! Over TCP a message the stream reader sets aside (no Content-Length, one over the
//! size limit) is reported on stderr and not answered, and the connection reads on;
//! a head with no end within the size limit closes the connection.
//! Every message goes through the library's
//! [`TransactionLayer`](cpm_client::transaction::TransactionLayer) first (RFC 3261
//! 17): a retransmitted request gets the response already sent, without reaching the
//! handlers again; the 2xx to an INVITE is sent again until its ACK comes (13.3.1.4);
//! a final non-2xx to an INVITE is sent again on Timer G until its ACK. The Via of each
//! answer gets `received` and `rport` (RFC 3581 4). The port
//! is 5060 unless `--port` says another; `--port 0` takes any free port, and the first
//! line printed names the address really bound. The Contact of the answers names that
//! address, and the SDP answers name the TCP port where the endpoint's MSRP listener
//! waits (`msrp.rs`).
//!
//! **MSRP** (both roles, `msrp.rs`). Each accepted INVITE that sets up an MSRP session
//! (large message 7.2.2.2, chat session 7.3.2, deferred group session 7.3.11, file
//! transfer 7.4.2) runs one library [`MsrpSession`](cpm_client::msrp::MsrpSession) on
//! a TCP connection and a thread of its own: the endpoint connects to the peer's
//! `a=path` when its negotiated role is active, or takes the connection the peer
//! opens to its listener when passive (RFC 4145; RFC 4975 sections 5.4 and 8.1). For
//! every message received whole it prints
//! `msrp <large-message|file-transfer|session|deferred-group-session> message-id=<id>
//! type=<type> bytes=<n> sha256=<hex>`, the size and SHA-256 of the body as sent; the
//! BYE of the dialog ends the session. `--setup` sets the `a=setup` role offered (a
//! sender) or answered to an `actpass` offer (a receiver); by default the library's,
//! `active` offered, so the answerer is passive.
//!
//! The run ends after `--max-requests` requests (retransmissions not counted) or
//! `--seconds` seconds, whichever comes first, with a summary line:
//! `cpm_endpoint: 3 requests, 0 retransmissions; answered 200 x 3`. The exit status
//! is 0, or 1 when `--seconds` ran out before `--max-requests` requests came. Over TCP
//! the process then waits, up to 5 s within `--seconds`, until the peers have closed
//! the connections they opened (RFC 3261 18).
//!
//! **Sending** (`--send`). The endpoint binds `--port` (default: any free port), builds
//! the request with the library's outgoing builders, its Via and Contact naming that
//! address, sends it to the host and port of `--to`, prints the status line
//! of every response, and for a 2xx to an INVITE sends the ACK, then the content over
//! MSRP (a large message: `--text`, or `--file` CPIM-wrapped; a file transfer:
//! `--file`, offered with its name, type, size and SHA-1; a session: `--text` in
//! CPIM) in chunks of `--chunk-size` bytes (2048) with `Success-Report: yes`, waits
//! for the 200s and the REPORT, then (unless `--no-bye`) a BYE, both along the
//! dialog's route set (the 2xx's Record-Route), and prints `msrp sent bytes=<n>
//! sha256=<hex> report=<code>` (`--no-msrp`: no MSRP, the BYE follows the ACK). The
//! transaction layer runs the request: over UDP it is sent again on Timers A and E, and
//! given up on Timers B and F (32 s). Requests that arrive meanwhile are dispatched as
//! when receiving. `--proxy sip:HOST:PORT` sends the request through that outbound
//! proxy (RFC 3261 8.1.2). The exit status is 0 for a 2xx (and, with MSRP, the
//! message acknowledged and reported 200), 1 for any other final answer or none, or
//! an MSRP failure (said on stderr).
//!
//! **Registering** (both roles, `--registrar sip:HOST:PORT`). Before anything else the
//! endpoint registers `--identity` with the library's
//! [`Registrant`](cpm_client::outgoing::Registrant) (OMA CPM 7.1, RFC 3261 10), its
//! Contact naming the address really bound, and prints `registered <AoR>
//! expires=<seconds>`. `--password PW` answers digest challenges as `--auth-user NAME`
//! (default: the user part of the identity); `--expires S` asks for S seconds (600).
//! The binding is refreshed before it expires (`refreshed <AoR> expires=<seconds>`) and
//! removed when the run ends (`deregistered <AoR>`). Requests outside a dialog then go
//! through the registrar as outbound proxy, or along the Service-Route it returned.
//! When the registration fails, the endpoint prints the final status line and exits 1.
//!
//! **Around each message** (both roles; `around.rs`). A pager message that asks for a
//! delivery notification is answered 200 and then with an IMDN `delivered` (RFC 5438),
//! sent as a client transaction to the address the message came from (`--no-imdn`:
//! not sent). Each notification received prints `imdn delivered message-id=<id>
//! status=delivered`, each is-composing indication `is-composing active` (or `idle`).
//! In a chat session (7.3.2) or a deferred group session (7.3.11) the content of
//! each MSRP message is read too (`chat.rs`): an IMDN or an is-composing indication in
//! it prints the same lines, and a chat message of a one-to-one session asking for a
//! delivery notification is answered with an IMDN `delivered` sent inside the session
//! (`-> imdn delivered message-id=<id> (in the session)`; `--no-imdn`: not sent).
//! `--send session --imdn delivery` asks for one in its chat message (printing
//! `cpm_endpoint: chat message imdn.Message-ID=<id> asks for positive-delivery`) and,
//! once the message is reported, waits up to 5 s inside the session for the IMDN,
//! printing its `imdn delivered ...` line before the BYE.
//! `--accept-plain` takes plain RFC 3428 MESSAGEs (printed like pager messages).
//! `--send pager --imdn delivery,display` asks for notifications and waits up to 5 s
//! for the first one; `--send pager --plain` sends the text bare, without CPIM, for a
//! plain RFC 3428 peer (the library's `Pager::without_cpim`), as `--send pager` does
//! by itself after a 415 whose Accept lacks `message/cpim` (`accepts_cpim`); `--send options` prints the peer's services:
//! `cpm_endpoint: peer services msg,session other-icsis=- iaris=-`.

mod around;
mod chat;
mod msrp;
mod registration;
mod sender;
mod transport;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cpm_client::outgoing::{ContactAddress, MsrpEndpoint, Transport};
use cpm_client::sdp::Setup;
use cpm_client::{
    Accept, ClientConfig, Decision, DeferredGroupSession, DeferredHandler, Dispatcher, FeatureTag,
    FileTransferHandler, FileTransferInvitation, LargeMessageHandler, LargeMessageInvitation,
    PagerHandler, PagerMessage, ReleaseVersion, RequestView, SessionHandler, SessionInvitation,
    TagSet,
};

use registration::Registration;
use transport::{Engine, Listener, Stats};

const USAGE: &str = "usage: cpm_endpoint [--port N] [--transport udp|tcp] [--release OMA2.0]
         [--enable pager,large-message,session,file-transfer,deferred]
         [--identity URI] [--max-requests N] [--seconds S] [--quiet]
         [--no-imdn] [--accept-plain] [--setup active|passive]
         [--registrar sip:HOST:PORT [--password PW] [--auth-user NAME] [--expires S]]
       cpm_endpoint --send pager|large-message|session|file-transfer|options --to URI
         [--imdn delivery,display,processing] [--plain]
         [--port N] [--transport udp|tcp] [--release OMA2.0] [--identity URI]
         [--text TEXT | --file PATH] [--chunk-size N] [--setup active|passive|actpass]
         [--no-bye] [--no-msrp] [--seconds S] [--proxy sip:HOST:PORT]
         [--registrar sip:HOST:PORT [--password PW] [--auth-user NAME] [--expires S]]";

/// The procedures `--enable` and `--send` name.
const PROCEDURES: [&str; 5] = [
    "pager",
    "large-message",
    "session",
    "file-transfer",
    "deferred",
];

/// The command line, read by hand.
struct Args {
    /// `--port`; the default depends on the role.
    port: Option<u16>,
    transport: Transport,
    release: ReleaseVersion,
    /// `--identity`; the default depends on the role.
    identity: Option<String>,
    /// The procedures whose handlers are registered (a subset of [`PROCEDURES`]).
    enabled: Vec<String>,
    max_requests: Option<u64>,
    seconds: Option<u64>,
    quiet: bool,
    send: Option<String>,
    to: Option<String>,
    text: String,
    /// `--file`: the content of a large message or file transfer.
    file: Option<String>,
    /// `--chunk-size`: content bytes per MSRP SEND.
    chunk_size: usize,
    /// `--setup`: the `a=setup` role offered, or answered to an `actpass` offer.
    setup: Option<Setup>,
    bye: bool,
    /// `--no-msrp`: the sending role sets up the session and sends no MSRP.
    msrp: bool,
    /// `--registrar`: register first, and send through it.
    registrar: Option<String>,
    /// `--no-imdn`: do not answer the messages that ask for a delivery notification.
    imdn_answers: bool,
    /// `--accept-plain`: take plain RFC 3428 MESSAGEs (a `PlainMessageHandler`).
    accept_plain: bool,
    /// `--imdn delivery,display`: ask for these notifications (`--send pager`).
    imdn_request: bool,
    /// `--proxy`: the outbound proxy without registering.
    proxy: Option<String>,
    password: Option<String>,
    auth_user: Option<String>,
    expires: u32,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        port: None,
        transport: Transport::Udp,
        release: ReleaseVersion::default(),
        identity: None,
        enabled: PROCEDURES.iter().map(|p| (*p).to_owned()).collect(),
        max_requests: None,
        seconds: None,
        quiet: false,
        send: None,
        to: None,
        text: "Hello from cpm_endpoint".to_owned(),
        file: None,
        chunk_size: 2048,
        setup: None,
        bye: true,
        msrp: true,
        registrar: None,
        proxy: None,
        imdn_answers: true,
        accept_plain: false,
        imdn_request: false,
        password: None,
        auth_user: None,
        expires: 600,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => parsed.port = Some(number(&flag, &value()?)?),
            "--transport" => {
                parsed.transport = match value()?.to_ascii_lowercase().as_str() {
                    "udp" => Transport::Udp,
                    "tcp" => Transport::Tcp,
                    other => return Err(format!("--transport: `{other}` is not udp or tcp")),
                }
            }
            "--release" => {
                parsed.release = value()?.parse().map_err(|e| format!("--release: {e}"))?;
            }
            "--identity" => parsed.identity = Some(value()?),
            "--enable" => {
                let list = value()?;
                parsed.enabled = list
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect();
                if let Some(bad) = parsed
                    .enabled
                    .iter()
                    .find(|p| !PROCEDURES.contains(&p.as_str()))
                {
                    return Err(format!("--enable: unknown procedure `{bad}`"));
                }
            }
            "--max-requests" => parsed.max_requests = Some(number(&flag, &value()?)?),
            "--seconds" => parsed.seconds = Some(number(&flag, &value()?)?),
            "--quiet" => parsed.quiet = true,
            "--send" => {
                let procedure = value()?;
                if procedure != "options" && !PROCEDURES[..4].contains(&procedure.as_str()) {
                    return Err(format!("--send: `{procedure}` is not one of pager, large-message, session, file-transfer, options"));
                }
                parsed.send = Some(procedure);
            }
            "--to" => parsed.to = Some(value()?),
            "--text" => parsed.text = value()?,
            "--file" => parsed.file = Some(value()?),
            "--chunk-size" => {
                parsed.chunk_size = number(&flag, &value()?)?;
                if parsed.chunk_size == 0 {
                    return Err("--chunk-size: 0 is not a chunk size".to_owned());
                }
            }
            "--setup" => {
                parsed.setup = match value()?.to_ascii_lowercase().as_str() {
                    "active" => Some(Setup::Active),
                    "passive" => Some(Setup::Passive),
                    "actpass" => Some(Setup::ActPass),
                    other => {
                        return Err(format!(
                            "--setup: `{other}` is not active, passive or actpass"
                        ))
                    }
                }
            }
            "--no-bye" => parsed.bye = false,
            "--no-msrp" => parsed.msrp = false,
            "--no-imdn" => parsed.imdn_answers = false,
            "--accept-plain" => parsed.accept_plain = true,
            "--imdn" => {
                around::ask(around::parse_dispositions(&value()?)?);
                parsed.imdn_request = true;
            }
            "--plain" => around::send_plain(),
            "--registrar" => parsed.registrar = Some(value()?),
            "--proxy" => parsed.proxy = Some(value()?),
            "--password" => parsed.password = Some(value()?),
            "--auth-user" => parsed.auth_user = Some(value()?),
            "--expires" => parsed.expires = number(&flag, &value()?)?,
            other => return Err(format!("unknown flag `{other}`")),
        }
    }
    if parsed.send.is_some() && parsed.to.is_none() {
        return Err("--send needs --to URI".to_owned());
    }
    Ok(parsed)
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{flag}: `{text}` is not a number in range"))
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("cpm_endpoint: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match args.send.as_deref() {
        Some("options") => around::query(&args),
        Some(procedure) => sender::run(&args, procedure).inspect(|_| {
            // `--imdn`: the first notification may come after the 200.
            if procedure == "pager"
                && args.imdn_request
                && !around::wait_notification(around::NOTIFICATION_WAIT)
            {
                println!(
                    "cpm_endpoint: no notification in {} s",
                    around::NOTIFICATION_WAIT.as_secs()
                );
            }
        }),
        None => serve(&args),
    };
    result.unwrap_or_else(|e| {
        eprintln!("cpm_endpoint: {e}");
        ExitCode::FAILURE
    })
}

/// The receiving role: listen (after registering, with `--registrar`), dispatch,
/// answer, until the run's bound; then de-register.
fn serve(args: &Args) -> Result<ExitCode, String> {
    let listener = Listener::bind(args.transport, args.port.unwrap_or(5060))?;
    let local = listener.local_addr();
    let endpoint = Endpoint::start(args, local)?;
    let stats = Arc::new(Stats::default());
    let engine = Engine::start(
        listener,
        Arc::clone(&endpoint.dispatcher),
        Arc::clone(&stats),
        args.quiet,
    )?;
    let events = engine.subscribe();
    around::start_sending(&engine);
    println!(
        "cpm_endpoint: listening on {} {local}, MSRP on tcp {}, release {}, procedures {}",
        args.transport.uri_param(),
        endpoint.msrp,
        args.release,
        args.enabled.join(","),
    );
    let mut registration = match Registration::from_args(args, &endpoint.config)? {
        Some(mut registration) => {
            if !registration.register(&engine, &events)? {
                return Ok(ExitCode::FAILURE);
            }
            Some(registration)
        }
        None => None,
    };

    // The run's bound: enough requests, or enough time.
    let deadline = args
        .seconds
        .map(|s| Instant::now() + Duration::from_secs(s));
    let code = loop {
        if args.max_requests.is_some_and(|n| stats.requests() >= n) {
            println!("cpm_endpoint: {}", stats.summary());
            break ExitCode::SUCCESS;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            println!("cpm_endpoint: {}", stats.summary());
            let Some(wanted) = args.max_requests else {
                break ExitCode::SUCCESS;
            };
            eprintln!(
                "cpm_endpoint: {} s passed with {} of {wanted} requests",
                args.seconds.unwrap_or_default(),
                stats.requests()
            );
            break ExitCode::FAILURE;
        }
        // Refreshes go on meanwhile; the events of the server transactions are
        // passed over (all of them: under load they come by the thousand).
        let first = match events.recv_timeout(Duration::from_millis(20)) {
            Ok(event) => Some(event),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return Err("the engine stopped".to_owned()),
        };
        for event in first.into_iter().chain(events.try_iter()) {
            around::on_event(&event);
            if let Some(registration) = &mut registration {
                registration.on_event(&engine, &event)?;
            }
        }
        if let Some(registration) = &mut registration {
            registration.pump(&engine)?;
        }
    };
    // The IMDNs sent get their answers before the end.
    around::settle(&events);
    if let Some(registration) = &mut registration {
        registration.deregister(&engine, &events)?;
    }
    // Over TCP, the connections the peers opened stay open until they close them
    // (a few seconds at most, within `--seconds`).
    let linger = Instant::now() + around::LINGER;
    engine.linger(deadline.map_or(linger, |d| d.min(linger)));
    Ok(code)
}

/// What both roles set up: the client's configuration, the dispatcher, the MSRP
/// listener.
struct Endpoint {
    config: ClientConfig,
    dispatcher: Arc<Dispatcher>,
    msrp: SocketAddr,
}

impl Endpoint {
    /// The endpoint whose SIP address is `local`.
    fn start(args: &Args, local: SocketAddr) -> Result<Endpoint, String> {
        let msrp = msrp::hub()?.addr();
        let mut services = TagSet::EMPTY;
        for procedure in &args.enabled {
            services.insert(match procedure.as_str() {
                "pager" => FeatureTag::Msg,
                "large-message" => FeatureTag::LargeMsg,
                "session" => FeatureTag::Session,
                "file-transfer" => FeatureTag::FileTransfer,
                _ => FeatureTag::Deferred,
            });
        }
        let contact = ContactAddress::new(&local.ip().to_string(), local.port(), args.transport)
            .map_err(|e| e.to_string())?;
        let identity = match (&args.identity, &args.send) {
            (Some(identity), _) => identity.as_str(),
            (None, None) => "sip:+15550100002@127.0.0.1",
            (None, Some(_)) => "sip:+15550100001@127.0.0.1",
        };
        chat::configure(identity, args.imdn_answers);
        let config = ClientConfig::new(identity, contact)
            .and_then(|c| c.with_product("cpm-endpoint/0.1"))
            .map_err(|e| format!("--identity: {e}"))?
            .with_release(args.release)
            .with_services(services)
            .with_msrp(msrp_endpoint(msrp.port(), args.setup));
        // Requests outside a dialog go through the registrar, or the proxy, first
        // (RFC 3261 8.1.2); the registrar needs the Contact's +sip.instance (7.1).
        let config = match args.registrar.as_deref().or(args.proxy.as_deref()) {
            Some(proxy) => config
                .with_outbound_proxy(&loose(proxy, args.transport))
                .map_err(|e| format!("--registrar/--proxy: {e}"))?,
            None => config,
        };
        let config = match &args.registrar {
            Some(_) => config
                .with_instance(&instance())
                .map_err(|e| e.to_string())?,
            None => config,
        };

        let log = Log { quiet: args.quiet };
        let mut builder = Dispatcher::builder().client(config.clone());
        for procedure in &args.enabled {
            builder = match procedure.as_str() {
                "pager" if args.imdn_answers => builder.pager(around::Delivering {
                    log,
                    config: config.clone(),
                }),
                "pager" => builder.pager(log),
                "large-message" => builder.large_message(log),
                "session" => builder.session(log),
                "file-transfer" => builder.file_transfer(log),
                _ => builder.deferred(log),
            };
        }
        let builder = around::handlers(builder, args, log);
        Ok(Endpoint {
            config,
            dispatcher: Arc::new(builder.build()),
            msrp,
        })
    }
}

/// A proxy URI as a loose router (`;lr`), over the endpoint's transport.
fn loose(uri: &str, transport: Transport) -> String {
    let mut uri = uri
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned();
    if transport == Transport::Tcp && !uri.to_ascii_lowercase().contains("transport=") {
        uri.push_str(";transport=tcp");
    }
    if !uri.split(';').skip(1).any(|p| p.eq_ignore_ascii_case("lr")) {
        uri.push_str(";lr");
    }
    uri
}

/// A `+sip.instance` URN for this run (RFC 5626 4.1): a UUID-shaped value drawn from
/// the clock and the process id, enough to tell runs apart on one machine.
fn instance() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = nanos ^ (u128::from(std::process::id()) << 64);
    let hex = format!("{seed:032x}");
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The MSRP end the offers and answers name: the hub's port, and `--setup` (the
/// library's default, `active`, when not given).
fn msrp_endpoint(port: u16, setup: Option<Setup>) -> MsrpEndpoint {
    let endpoint = MsrpEndpoint::new().with_port(port);
    match setup {
        Some(setup) => endpoint.with_setup(setup),
        None => endpoint,
    }
}

/// The handlers: each prints what it was handed, then accepts. A session is answered
/// later (180 now), as an application that asks its user would.
#[derive(Clone, Copy)]
struct Log {
    quiet: bool,
}

impl Log {
    /// One line: route, section, sender, Conversation-ID, content type, size, and what
    /// the procedure adds.
    fn summary(self, view: &RequestView<'_>, extra: &str) {
        if self.quiet {
            return;
        }
        let route = view.routing().route;
        let from = view.sender().map(|s| text(s.uri())).unwrap_or_default();
        let content_type = view.content_type().map(|t| t.essence()).unwrap_or("-");
        println!(
            "{route} {} from={from} conversation={} type={content_type} size={}{extra}",
            route.section().unwrap_or("-"),
            view.conversation_id().unwrap_or("-"),
            view.body().len(),
        );
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl PagerHandler for Log {
    fn pager_message(&self, message: &PagerMessage<'_>) -> Decision {
        let content = message.content_type().map(|t| t.essence()).unwrap_or("-");
        let stored = if message.is_deferred() {
            " (deferred)"
        } else {
            ""
        };
        self.summary(message, &format!(" content={content}{stored}"));
        Decision::accept()
    }
}

impl LargeMessageHandler for Log {
    fn large_message(&self, invitation: &LargeMessageInvitation<'_>) -> Decision {
        let path = invitation.msrp().and_then(|m| m.path().next());
        self.summary(invitation, &format!(" msrp={}", path.unwrap_or("-")));
        Decision::accept()
    }
}

impl SessionHandler for Log {
    fn session_invitation(&self, invitation: &SessionInvitation<'_>) -> Decision {
        let kind = if invitation.is_group() {
            "group"
        } else {
            "one-to-one"
        };
        self.summary(invitation, &format!(" {kind}"));
        Decision::later()
    }
}

impl FileTransferHandler for Log {
    fn file_transfer(&self, invitation: &FileTransferInvitation<'_>) -> Decision {
        let file = invitation
            .file_selector()
            .and_then(|f| f.name_decoded())
            .unwrap_or_default();
        self.summary(invitation, &format!(" file={file:?}"));
        Decision::accept()
    }
}

impl DeferredHandler for Log {
    fn deferred_group_session(&self, delivery: &DeferredGroupSession<'_>) -> Decision {
        self.summary(delivery, "");
        Decision::accept()
    }
}

/// Dispatches one request from `source` (whose address and port the Via of the
/// answers gets as `received` and `rport`, RFC 3581 4) and returns what to send back, in order (a 180 and then the
/// final answer of a request answered later), printing one line about it.
fn answer(dispatcher: &Dispatcher, bytes: Bytes, source: SocketAddr, quiet: bool) -> Vec<Bytes> {
    let mut outcome = dispatcher.dispatch_from(bytes, source);
    // The IMDNs the handlers built go out after the answer, to where the request came
    // from.
    for imdn in around::take_built() {
        around::send_later(imdn, source);
    }
    let mut responses: Vec<Bytes> = outcome
        .take_response()
        .map(|r| r.into_bytes())
        .into_iter()
        .collect();
    // A handler that answered later: here the "user" accepts at once.
    let mut negotiated = outcome.msrp().cloned();
    if let Some(pending) = outcome.take_pending() {
        let (response, msrp) = pending.accept_with_msrp(Accept::default());
        responses.push(response.into_bytes());
        negotiated = negotiated.or(msrp);
    }
    // The MSRP session of an accepted INVITE runs on its own; a BYE ends it.
    if let Some(request) = outcome.request() {
        let view = RequestView::new(request);
        let call_id = view.call_id().to_owned();
        // The other party: the To of what goes back in the session.
        let peer = view.sender().map(|s| text(s.uri())).unwrap_or_default();
        let method = request.method().as_str();
        let kind = outcome.route().and_then(msrp::kind);
        match (method, kind, negotiated) {
            ("INVITE", Some(kind), Some(negotiated)) => {
                msrp::receive(kind, &call_id, negotiated, peer);
            }
            ("BYE", ..) => msrp::end_dialog(&call_id),
            _ => {}
        }
    }
    if !quiet {
        let (method, call_id) = match outcome.request() {
            Some(request) => (
                request.method().as_str().to_owned(),
                RequestView::new(request).call_id().to_owned(),
            ),
            None => ("?".to_owned(), "?".to_owned()),
        };
        let sent: Vec<String> = responses.iter().map(|r| status_line(r)).collect();
        let sent = if sent.is_empty() {
            "nothing sent".to_owned()
        } else {
            sent.join(", ")
        };
        println!("  {method} {call_id}: {} -> {sent}", outcome.handling());
    }
    responses
}

/// The first line of a message, without its CRLF.
fn status_line(message: &[u8]) -> String {
    let end = memchr::memchr(b'\r', message).unwrap_or(message.len());
    text(&message[..end])
}
