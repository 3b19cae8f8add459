//! A small CPM client endpoint on loopback: the library with sockets around it.
//!
//! ```text
//! cargo run --example cpm_endpoint -- [--port 5060] [--transport udp|tcp] [--release OMA2.0]
//!     [--enable pager,large-message,session,file-transfer,deferred]
//!     [--max-requests N] [--seconds S] [--quiet] [--no-imdn] [--accept-plain]
//! cargo run --example cpm_endpoint -- --send pager|large-message|session|file-transfer|options
//!     --to sip:USER@127.0.0.1:PORT [--port 0] [--transport udp|tcp] [--release OMA2.0]
//!     [--text TEXT] [--imdn delivery,display] [--no-bye] [--seconds S]
//! ```
//!
//! **Notifications (RFC 5438).** Either role answers every pager message that asks for
//! a delivery notification (`imdn.Disposition-Notification: positive-delivery`) with
//! an IMDN MESSAGE saying `delivered`, sent to the peer right after the 200 (on the
//! same connection, or to the datagram's source; the example runs no client
//! transaction for it); `--no-imdn` turns this off. Every notification received is
//! printed as `imdn <delivered|displayed|processed> message-id=<id> status=<status>`
//! (the first word names the notification: delivery, display or processing).
//! `--send pager --imdn delivery,display` asks for those notifications and waits up to
//! 5 s after the 200 for the first one. `--send options` sends a capability query and
//! prints the peer's services (`cpm_endpoint: peer services msg,session ...`).
//! `--accept-plain` takes MESSAGEs naming no CPM service (RFC 3428) instead of
//! answering 403.
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
//! Over UDP a retransmitted request is answered with the response already sent,
//! without reaching the handlers again (RFC 3261 17.2); the endpoint does not
//! retransmit its own answers (a 2xx to an INVITE until the ACK, other final answers
//! on Timer G, RFC 3261 13.3.1.4 and 17.2.1): on loopback nothing is lost. The port
//! is 5060 unless `--port` says another; `--port 0` takes any free port, and the first
//! line printed names the address really bound. The Contact of the answers names that
//! address, and the SDP answers name a TCP port where a small MSRP sink listens (it
//! reads and discards: the example does not speak MSRP).
//!
//! The run ends after `--max-requests` requests (retransmissions not counted) or
//! `--seconds` seconds, whichever comes first, with a summary line:
//! `cpm_endpoint: 3 requests, 0 retransmissions; answered 200 x 3`. The exit status
//! is 0, or 1 when `--seconds` ran out before `--max-requests` requests came.
//!
//! **Sending** (`--send`). The endpoint binds `--port` (default: any free port), builds
//! the request with the library's outgoing builders, its Via and Contact naming that
//! address, sends it to the host and port of `--to`, prints the status line
//! of every response, and for a 2xx to an INVITE sends the ACK, then (unless
//! `--no-bye`) a BYE. Over UDP it retransmits as RFC 3261 Timers A and E say (from
//! 500 ms, doubling; non-INVITE capped at 4 s; INVITE retransmissions stop at a
//! provisional answer) and gives up after 32 s (Timers B and F). Requests that arrive
//! meanwhile are dispatched as when receiving. The exit status is 0 for a 2xx, 1 for
//! any other final answer or none.

mod sender;
mod transport;

use std::cell::RefCell;
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use cpm_client::cpim::Disposition;
use cpm_client::imdn::{DeliveryStatus, ImdnStatus};
use cpm_client::outgoing::{ContactAddress, MsrpEndpoint, RandomIds, Transport};
use cpm_client::{
    ClientConfig, Decision, DeferredGroupSession, DeferredHandler, Dispatcher, FeatureTag,
    FileTransferHandler, FileTransferInvitation, ImdnReceived, LargeMessageHandler,
    LargeMessageInvitation, NotificationHandler, PagerHandler, PagerMessage, PlainMessage,
    PlainMessageHandler, ReleaseVersion, RequestView, SessionHandler, SessionInvitation, TagSet,
};

use transport::{Listener, Stats};

const USAGE: &str = "usage: cpm_endpoint [--port N] [--transport udp|tcp] [--release OMA2.0]
         [--enable pager,large-message,session,file-transfer,deferred]
         [--identity URI] [--max-requests N] [--seconds S] [--quiet] [--no-imdn] [--accept-plain]
       cpm_endpoint --send pager|large-message|session|file-transfer|options --to URI
         [--port N] [--transport udp|tcp] [--release OMA2.0] [--identity URI]
         [--text TEXT] [--imdn delivery,display] [--no-bye] [--seconds S]";

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
    bye: bool,
    /// Answer pager messages asking for delivery notifications (`--no-imdn`: no).
    answer_imdn: bool,
    /// `--accept-plain`.
    accept_plain: bool,
    /// `--imdn`: the notifications a sent pager message asks for.
    ask_imdn: Vec<Disposition<'static>>,
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
        bye: true,
        answer_imdn: true,
        accept_plain: false,
        ask_imdn: Vec::new(),
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
                if !PROCEDURES[..4].contains(&procedure.as_str()) && procedure != "options" {
                    return Err(format!("--send: `{procedure}` is not one of pager, large-message, session, file-transfer, options"));
                }
                parsed.send = Some(procedure);
            }
            "--to" => parsed.to = Some(value()?),
            "--text" => parsed.text = value()?,
            "--no-bye" => parsed.bye = false,
            "--no-imdn" => parsed.answer_imdn = false,
            "--accept-plain" => parsed.accept_plain = true,
            "--imdn" => {
                for item in value()?.split(',').filter(|i| !i.is_empty()) {
                    parsed.ask_imdn.push(match item {
                        "delivery" => Disposition::PositiveDelivery,
                        "negative-delivery" => Disposition::NegativeDelivery,
                        "display" => Disposition::Display,
                        "processing" => Disposition::Processing,
                        other => return Err(format!("--imdn: `{other}` is not delivery, negative-delivery, display or processing")),
                    });
                }
            }
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
    let result = match &args.send {
        Some(procedure) => sender::run(&args, procedure),
        None => serve(&args),
    };
    result.unwrap_or_else(|e| {
        eprintln!("cpm_endpoint: {e}");
        ExitCode::FAILURE
    })
}

/// The receiving role: listen, dispatch, answer, until the run's bound.
fn serve(args: &Args) -> Result<ExitCode, String> {
    let listener = Listener::bind(args.transport, args.port.unwrap_or(5060))?;
    let local = listener.local_addr();
    let endpoint = Endpoint::start(args, local)?;
    println!(
        "cpm_endpoint: listening on {} {local}, MSRP sink on tcp {}, release {}, procedures {}",
        args.transport.uri_param(),
        endpoint.msrp,
        args.release,
        args.enabled.join(","),
    );
    let stats = Arc::new(Stats::default());
    listener.serve(
        Arc::clone(&endpoint.dispatcher),
        Arc::clone(&stats),
        args.quiet,
    );

    // The run's bound: enough requests, or enough time.
    let deadline = args
        .seconds
        .map(|s| Instant::now() + Duration::from_secs(s));
    loop {
        if args.max_requests.is_some_and(|n| stats.requests() >= n) {
            println!("cpm_endpoint: {}", stats.summary());
            return Ok(ExitCode::SUCCESS);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            println!("cpm_endpoint: {}", stats.summary());
            let Some(wanted) = args.max_requests else {
                return Ok(ExitCode::SUCCESS);
            };
            eprintln!(
                "cpm_endpoint: {} s passed with {} of {wanted} requests",
                args.seconds.unwrap_or_default(),
                stats.requests()
            );
            return Ok(ExitCode::FAILURE);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What both roles set up: the client's configuration, the dispatcher, the MSRP sink.
struct Endpoint {
    config: ClientConfig,
    dispatcher: Arc<Dispatcher>,
    msrp: SocketAddr,
}

impl Endpoint {
    /// The endpoint whose SIP address is `local`.
    fn start(args: &Args, local: SocketAddr) -> Result<Endpoint, String> {
        let msrp = msrp_sink()?;
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
        let config = ClientConfig::new(identity, contact)
            .and_then(|c| c.with_product("cpm-endpoint/0.1"))
            .map_err(|e| format!("--identity: {e}"))?
            .with_release(args.release)
            .with_services(services)
            .with_msrp(MsrpEndpoint::new().with_port(msrp.port()));

        let log = Log {
            quiet: args.quiet,
            notify: args.answer_imdn.then(|| Arc::new(config.clone())),
        };
        let mut builder = Dispatcher::builder()
            .client(config.clone())
            .notifications(log.clone());
        if args.accept_plain {
            builder = builder.plain_messages(log.clone());
        }
        for procedure in &args.enabled {
            let log = log.clone();
            builder = match procedure.as_str() {
                "pager" => builder.pager(log),
                "large-message" => builder.large_message(log),
                "session" => builder.session(log),
                "file-transfer" => builder.file_transfer(log),
                _ => builder.deferred(log),
            };
        }
        Ok(Endpoint {
            config,
            dispatcher: Arc::new(builder.build()),
            msrp,
        })
    }
}

/// A TCP port for the MSRP sessions the SDP answers offer. The example does not speak
/// MSRP: it reads what a peer sends and drops it.
fn msrp_sink() -> Result<SocketAddr, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("MSRP sink: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            std::thread::spawn(move || std::io::copy(&mut stream, &mut std::io::sink()));
        }
    });
    Ok(addr)
}

/// The handlers: each prints what it was handed, then accepts. A session is answered
/// later (180 now), as an application that asks its user would.
#[derive(Clone)]
struct Log {
    quiet: bool,
    /// The configuration IMDNs are built with, when pager messages asking for a
    /// delivery notification get one.
    notify: Option<Arc<ClientConfig>>,
}

thread_local! {
    /// The IMDNs the handlers built while dispatching on this thread, sent to the
    /// same peer once the response has gone ([`outbox`]).
    static OUTBOX: RefCell<Vec<Bytes>> = const { RefCell::new(Vec::new()) };
}

/// How many notifications were received (the sender waits for one).
static NOTIFIED: AtomicU64 = AtomicU64::new(0);

/// Takes the requests the handlers want sent to the peer whose request was just
/// dispatched on this thread.
fn outbox(quiet: bool) -> Vec<Bytes> {
    let out = OUTBOX.with(|o| std::mem::take(&mut *o.borrow_mut()));
    if !quiet {
        for request in &out {
            println!("  -> {} (an IMDN)", status_line(request));
        }
    }
    out
}

/// The notifications received so far.
fn notified() -> u64 {
    NOTIFIED.load(AtomicOrdering::SeqCst)
}

impl Log {
    /// One line: route, section, sender, Conversation-ID, content type, size, and what
    /// the procedure adds.
    fn summary(&self, view: &RequestView<'_>, extra: &str) {
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
        if let Some(config) = &self.notify {
            if message.asks_for(Disposition::PositiveDelivery) {
                let delivered = ImdnStatus::Delivery(DeliveryStatus::Delivered);
                match message
                    .notification(delivered, SystemTime::now())
                    .and_then(|n| n.build(config, &mut RandomIds::new()))
                {
                    Ok(request) => OUTBOX.with(|o| o.borrow_mut().push(request.into_bytes())),
                    Err(e) => eprintln!("cpm_endpoint: no IMDN for this message: {e}"),
                }
            }
        }
        Decision::accept()
    }
}

impl NotificationHandler for Log {
    fn notification(&self, notification: &ImdnReceived<'_>) -> Decision {
        let status = notification.status();
        let word = match status {
            ImdnStatus::Delivery(_) => "delivered",
            ImdnStatus::Display(_) => "displayed",
            ImdnStatus::Processing(_) => "processed",
        };
        println!(
            "imdn {word} message-id={} status={}",
            notification.notified_message_id(),
            status.status_name()
        );
        NOTIFIED.fetch_add(1, AtomicOrdering::SeqCst);
        Decision::accept()
    }
}

impl PlainMessageHandler for Log {
    fn plain_message(&self, message: &PlainMessage<'_>) -> Decision {
        let content = message.content_type().map(|t| t.essence()).unwrap_or("-");
        self.summary(message, &format!(" plain content={content}"));
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

/// Dispatches one request and returns what to send back, in order (a 180 and then the
/// final answer of a request answered later), printing one line about it.
fn answer(dispatcher: &Dispatcher, bytes: Bytes, quiet: bool) -> Vec<Bytes> {
    let mut outcome = dispatcher.dispatch(bytes);
    let mut responses: Vec<Bytes> = outcome
        .take_response()
        .map(|r| r.into_bytes())
        .into_iter()
        .collect();
    // A handler that answered later: here the "user" accepts at once.
    if let Some(pending) = outcome.take_pending() {
        responses.push(pending.accept().into_bytes());
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
