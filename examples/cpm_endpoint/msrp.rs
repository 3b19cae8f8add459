//! The endpoint's MSRP side (RFC 4975): one [`MsrpSession`] per session set up by
//! an INVITE, each on a TCP connection of its own and a thread of its own, driven with
//! the real clock.
//!
//! - The **hub** listens on the TCP port that the SDP offers and answers name. A
//!   connection the peer opens (this end passive, RFC 4145) is handed to the session
//!   whose path the To-Path of its first request names (RFC 4975 section 5.4: the
//!   active end's first SEND binds the connection to the session).
//! - When this end is active it connects to the authority of the last URI of the
//!   peer's `a=path` (RFC 4975 section 8.1) and the session sends its first SEND.
//! - **Receiving** ([`receive`]): every message whole prints
//!   `msrp <kind> message-id=<id> type=<type> bytes=<n> sha256=<hex>`; the session
//!   ends with the BYE of its dialog ([`end_dialog`]) or when the peer closes.
//! - **Sending** ([`send`]): one message, chunked, with `Success-Report: yes`; done when
//!   every chunk is answered 200 and the REPORT came (RFC 4975 section 7.1.2).

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use cpm_client::msrp::{
    MsrpEvent, MsrpMessage, MsrpSession, MsrpSessionConfig, MsrpUri, ReceivePolicy,
};
use cpm_client::sdp::{NegotiatedMsrp, Setup};
use cpm_client::Route;
use sha2::{Digest, Sha256};

use crate::chat;

/// How long a passive end waits for the peer's connection.
const ACCEPT_WAIT: Duration = Duration::from_secs(30);
/// How long a sender waits, once its message is reported, for the IMDN it asked for.
const NOTIFICATION_WAIT: Duration = Duration::from_secs(5);
/// How long a sender waits for its message to be acknowledged and reported.
const SEND_WAIT: Duration = Duration::from_secs(120);
/// The longest a session's thread sleeps in a read without looking at its timers.
const TICK: Duration = Duration::from_millis(50);
/// Bytes read at once.
const READ_SIZE: usize = 64 * 1024;
/// The largest chunk body a receiving session reads (the library's default is 1 MiB).
const MAX_CHUNK: usize = 64 << 20;
/// The most bytes of a connection read before its To-Path is known.
const HEAD_LIMIT: usize = 16 * 1024;

/// A connection the peer opened, with what was read of it to find its session.
pub struct Accepted {
    stream: TcpStream,
    head: Vec<u8>,
}

/// The listening side of the MSRP port, and the sessions of the receiving role.
pub struct Hub {
    addr: SocketAddr,
    /// Passive sessions waiting for their connection, by the session part of the
    /// local path.
    waiting: Mutex<HashMap<String, Sender<Accepted>>>,
    /// Running receiving sessions, by the Call-ID of their dialog: set to stop.
    dialogs: Mutex<HashMap<String, Arc<AtomicBool>>>,
}

static HUB: OnceLock<Arc<Hub>> = OnceLock::new();

/// The endpoint's hub, listening on a free port of 127.0.0.1 from the first call on.
pub fn hub() -> Result<Arc<Hub>, String> {
    if let Some(hub) = HUB.get() {
        return Ok(Arc::clone(hub));
    }
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("MSRP listener: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let hub = Arc::new(Hub {
        addr,
        waiting: Mutex::new(HashMap::new()),
        dialogs: Mutex::new(HashMap::new()),
    });
    if HUB.set(Arc::clone(&hub)).is_err() {
        return HUB.get().cloned().ok_or_else(|| "MSRP hub".to_owned());
    }
    let accepting = Arc::clone(&hub);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let hub = Arc::clone(&accepting);
            std::thread::spawn(move || hub.route(stream));
        }
    });
    Ok(hub)
}

impl Hub {
    /// The address listened on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits for a connection to the session whose local path is `local_path`; the
    /// connection comes out of the returned channel.
    pub fn expect(&self, local_path: &str) -> Receiver<Accepted> {
        let (sender, receiver) = mpsc::channel();
        if let Some(id) = session_id(local_path) {
            lock(&self.waiting).insert(id, sender);
        }
        receiver
    }

    fn forget(&self, local_path: &str) {
        if let Some(id) = session_id(local_path) {
            lock(&self.waiting).remove(&id);
        }
    }

    /// Reads a new connection up to the To-Path of its first request and hands it
    /// to that session; a connection for no session waiting is closed.
    fn route(&self, mut stream: TcpStream) {
        let _ = stream.set_read_timeout(Some(ACCEPT_WAIT));
        let mut head = Vec::new();
        let mut buffer = [0u8; 4096];
        let to_path = loop {
            if let Some(path) = to_path(&head) {
                break path;
            }
            if head.len() > HEAD_LIMIT {
                eprintln!("cpm_endpoint: MSRP connection without a To-Path; closed");
                return;
            }
            match stream.read(&mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buffer[..n]),
            }
        };
        let waiting = session_id(&to_path).and_then(|id| lock(&self.waiting).remove(&id));
        match waiting {
            Some(sender) => {
                let _ = stream.set_read_timeout(None);
                let _ = sender.send(Accepted { stream, head });
            }
            None => eprintln!("cpm_endpoint: MSRP connection for no session ({to_path}); closed"),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The session part of the first MSRP URI of a path.
fn session_id(path: &str) -> Option<String> {
    let first = path.split_ascii_whitespace().next()?;
    MsrpUri::parse(first).ok()?.session_id().map(str::to_owned)
}

/// The To-Path of the first request in `head`, once its line is whole (followed by
/// its CRLF); `None` while it is not, or when the headers ended without one.
fn to_path(head: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n").peekable();
    // The start line.
    lines.next()?;
    while let Some(line) = lines.next() {
        // The last piece has no CRLF after it yet; an empty line ends the headers.
        if lines.peek().is_none() || line.is_empty() {
            return None;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("to-path") {
                return Some(value.trim().to_owned());
            }
        }
    }
    None
}

/// The connection of a negotiated session: opened to the peer when this end is
/// active, else the one the peer opens (from `accepted`), waited for until `stop`.
fn connect(
    negotiated: &NegotiatedMsrp,
    accepted: Option<&Receiver<Accepted>>,
    stop: &AtomicBool,
) -> Result<Accepted, String> {
    if negotiated.tls {
        return Err("MSRP over TLS is not offered by this example".to_owned());
    }
    match negotiated.setup {
        Setup::Active => {
            let last = negotiated
                .remote_path
                .split_ascii_whitespace()
                .last()
                .unwrap_or_default();
            let uri = MsrpUri::parse(last).map_err(|e| format!("peer path `{last}`: {e}"))?;
            let host = uri.host().trim_start_matches('[').trim_end_matches(']');
            let address = (host, uri.port_or_default())
                .to_socket_addrs()
                .ok()
                .and_then(|mut a| a.next())
                .ok_or_else(|| format!("no address for `{last}`"))?;
            let stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))
                .map_err(|e| format!("MSRP connect to {address}: {e}"))?;
            Ok(Accepted {
                stream,
                head: Vec::new(),
            })
        }
        Setup::Passive => {
            let accepted = accepted.ok_or("no listener for a passive session")?;
            let give_up = Instant::now() + ACCEPT_WAIT;
            loop {
                if stop.load(Ordering::SeqCst) {
                    return Err("the dialog ended before the MSRP connection came".to_owned());
                }
                let now = Instant::now();
                if now >= give_up {
                    return Err(format!("no MSRP connection in {} s", ACCEPT_WAIT.as_secs()));
                }
                match accepted.recv_timeout((give_up - now).min(TICK)) {
                    Ok(connection) => return Ok(connection),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => {
                        return Err("the MSRP listener stopped".to_owned())
                    }
                }
            }
        }
        other => Err(format!("MSRP role {other:?}: no connection to make")),
    }
}

/// A session on its connection.
struct Link {
    stream: TcpStream,
    session: MsrpSession,
    /// Each read goes here and is handed to the session whole
    /// (`MsrpSession::handle_bytes_owned`), which reads the messages in place.
    buffer: BytesMut,
    /// Bytes read before the session had the connection (the hub's look at the
    /// To-Path), handled by the first turn.
    head: Vec<u8>,
}

impl Link {
    fn new(connection: Accepted, session: MsrpSession) -> io::Result<Link> {
        connection.stream.set_nodelay(true)?;
        Ok(Link {
            stream: connection.stream,
            session,
            buffer: BytesMut::with_capacity(READ_SIZE),
            head: connection.head,
        })
    }

    /// Writes what the session has to send, reads what came (waiting at most until
    /// the next timer, or [`TICK`]), fires the timers due. `false` once the peer
    /// closed the connection. The events of what was read are the caller's to take
    /// before the next turn writes the answers (a message is printed before its
    /// REPORT goes).
    fn turn(&mut self) -> io::Result<bool> {
        if !self.head.is_empty() {
            let head = std::mem::take(&mut self.head);
            self.session.handle_bytes(Instant::now(), &head);
            return Ok(true);
        }
        while let Some(bytes) = self.session.poll_transmit(Instant::now()) {
            self.stream.write_all(&bytes)?;
        }
        let now = Instant::now();
        let wait = self
            .session
            .poll_timeout()
            .map_or(TICK, |at| at.saturating_duration_since(now).min(TICK))
            .max(Duration::from_millis(1));
        self.stream.set_read_timeout(Some(wait))?;
        // Once the session and the application have let go of the last read, its
        // room is used again.
        self.buffer.resize(READ_SIZE, 0);
        let open = match self.stream.read(&mut self.buffer) {
            Ok(0) => false,
            Ok(n) => {
                self.buffer.truncate(n);
                let read = self.buffer.split().freeze();
                self.session.handle_bytes_owned(Instant::now(), read);
                true
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                true
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => true,
            Err(e) => return Err(e),
        };
        let now = Instant::now();
        if self.session.poll_timeout().is_some_and(|at| at <= now) {
            self.session.handle_timeout(now);
        }
        Ok(open)
    }
}

/// The word the output lines use for the procedure of a route.
pub fn kind(route: Route) -> Option<&'static str> {
    match route {
        Route::LargeMessage => Some("large-message"),
        Route::FileTransfer => Some("file-transfer"),
        Route::Session => Some("session"),
        Route::DeferredGroupSession => Some("deferred-group-session"),
        _ => None,
    }
}

/// Runs the receiving side of the session an accepted INVITE set up, on a thread of
/// its own: connects (active) or waits for the connection (passive, registered
/// before this returns, so before the 200 goes out), and prints each message whole.
/// The BYE of the dialog `call_id` ends it.
pub fn receive(kind: &'static str, call_id: &str, negotiated: NegotiatedMsrp, peer: String) {
    let hub = match hub() {
        Ok(hub) => hub,
        Err(e) => {
            eprintln!("cpm_endpoint: {e}");
            return;
        }
    };
    let accepted = (negotiated.setup == Setup::Passive).then(|| hub.expect(&negotiated.local_path));
    let stop = Arc::new(AtomicBool::new(false));
    lock(&hub.dialogs).insert(call_id.to_owned(), Arc::clone(&stop));
    let call_id = call_id.to_owned();
    std::thread::spawn(move || {
        if let Err(e) = run_receiver(kind, &negotiated, accepted.as_ref(), &stop, &peer) {
            eprintln!("cpm_endpoint: MSRP {kind} ({call_id}): {e}");
        }
        hub.forget(&negotiated.local_path);
        lock(&hub.dialogs).remove(&call_id);
    });
}

/// Ends the receiving session of the dialog `call_id`, if one runs (its BYE came).
pub fn end_dialog(call_id: &str) {
    if let Some(hub) = HUB.get() {
        if let Some(stop) = lock(&hub.dialogs).get(call_id) {
            stop.store(true, Ordering::SeqCst);
        }
    }
}

fn run_receiver(
    kind: &str,
    negotiated: &NegotiatedMsrp,
    accepted: Option<&Receiver<Accepted>>,
    stop: &AtomicBool,
    peer: &str,
) -> Result<(), String> {
    let connection = connect(negotiated, accepted, stop)?;
    let mut config = MsrpSessionConfig::from_negotiated(negotiated);
    // Everything into the sink: hashed as it comes, never held whole.
    config.receive = ReceivePolicy::Sink;
    // A sender may cut its message in chunks larger than the reader's default limit
    // of 1 MiB (`--chunk-size`); up to this one, a chunk is read whole.
    config.limits.max_body_size = MAX_CHUNK;
    if let Some(selector) = &negotiated.file_selector {
        config = config.check_file(selector);
    }
    // The content of a chat or deferred group session is read too (`chat.rs`): its
    // bytes are kept besides the hash, up to `chat::MAX_READ`.
    let reading = matches!(kind, "session" | "deferred-group-session");
    // Notifications go back in a one-to-one session only: the focus offers a
    // deferred group session `a=sendonly` (OMA CPM 7.3.11).
    let answering = kind == "session";
    let mut link = Link::new(connection, MsrpSession::new(config)).map_err(|e| e.to_string())?;
    let mut hashing: HashMap<Arc<str>, Incoming> = HashMap::new();
    loop {
        let open = link.turn().map_err(|e| format!("MSRP connection: {e}"))?;
        while let Some(event) = link.session.poll_event() {
            match event {
                MsrpEvent::MessageStarted { message_id, .. } => {
                    hashing.insert(message_id, Incoming::new(reading));
                }
                MsrpEvent::Data {
                    message_id, data, ..
                } => hashing
                    .entry(message_id)
                    .or_insert_with(|| Incoming::new(reading))
                    .update(&data),
                MsrpEvent::MessageReceived(message) => {
                    let mut incoming = hashing
                        .remove(&message.message_id)
                        .unwrap_or_else(|| Incoming::new(reading));
                    if let Some(body) = &message.body {
                        incoming.update(body);
                    }
                    print_line(&format!(
                        "msrp {kind} message-id={} type={} bytes={} sha256={}",
                        message.message_id,
                        message.content_type,
                        message.size,
                        hex(&incoming.hasher.finalize())
                    ));
                    if let Some(check) = message.file_check.filter(|c| !c.is_ok()) {
                        eprintln!("cpm_endpoint: MSRP file check failed: {check:?}");
                    }
                    if let Some(body) = incoming.kept {
                        let content = chat::read(&message.content_type, &body, peer, answering);
                        chat::print(&content);
                        if let chat::Content::Chat {
                            answer: Some((cpim, notified)),
                        } = content
                        {
                            let imdn = link.session.message("message/cpim", cpim);
                            match link.session.send(imdn) {
                                Ok(_) => print_line(&format!(
                                    "-> imdn delivered message-id={notified} (in the session)"
                                )),
                                Err(e) => eprintln!("cpm_endpoint: IMDN in the session: {e}"),
                            }
                        }
                    }
                }
                MsrpEvent::MessageInterrupted { message_id, .. }
                | MsrpEvent::MessageRefused { message_id, .. } => {
                    hashing.remove(&message_id);
                }
                MsrpEvent::StreamFailed { error } => return Err(error.to_string()),
                _ => {}
            }
        }
        // What is still to write (a REPORT) goes before the end.
        if !open || stop.load(Ordering::SeqCst) {
            while let Some(bytes) = link.session.poll_transmit(Instant::now()) {
                let _ = link.stream.write_all(&bytes);
            }
            return Ok(());
        }
    }
}

/// A message being received: its hash, and its bytes when its content is to be read
/// (`None` once over [`chat::MAX_READ`]).
struct Incoming {
    hasher: Sha256,
    kept: Option<Vec<u8>>,
}

impl Incoming {
    fn new(reading: bool) -> Incoming {
        Incoming {
            hasher: Sha256::new(),
            kept: reading.then(Vec::new),
        }
    }

    fn update(&mut self, data: &[u8]) {
        self.hasher.update(data);
        if let Some(kept) = &mut self.kept {
            if kept.len() + data.len() > chat::MAX_READ {
                eprintln!(
                    "cpm_endpoint: MSRP message over {} bytes: content not read",
                    chat::MAX_READ
                );
                self.kept = None;
            } else {
                kept.extend_from_slice(data);
            }
        }
    }
}

/// Prints one line and flushes it.
pub fn print_line(line: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a sender sent: the body's size and SHA-256, the REPORT's status code.
pub struct Sent {
    pub bytes: u64,
    pub sha256: String,
    pub report: u16,
}

/// Sends `message` over the session `negotiated` describes (connecting, or taking
/// the connection from `accepted`), with `Success-Report: yes`, and waits until every
/// chunk is answered and the REPORT came; with `awaiting` (the `imdn.Message-ID` of a
/// chat message that asks for a delivery notification), then up to
/// [`NOTIFICATION_WAIT`] more for the IMDN about it to come back inside the session.
/// Notifications and is-composing indications received meanwhile are printed as the
/// receiving role prints them.
pub fn send(
    negotiated: &NegotiatedMsrp,
    accepted: &Receiver<Accepted>,
    message: MsrpMessage,
    awaiting: Option<&str>,
) -> Result<Sent, String> {
    let never = AtomicBool::new(false);
    let connection = connect(negotiated, Some(accepted), &never)?;
    if let Some(hub) = HUB.get() {
        hub.forget(&negotiated.local_path);
    }
    let mut config = MsrpSessionConfig::from_negotiated(negotiated);
    config.report_timeout = Some(Duration::from_secs(30));
    // What the peer sends back (an IMDN) is read whole.
    config.receive = ReceivePolicy::Buffer;
    let bytes = message.content().len() as u64;
    let sha256 = hex(&Sha256::digest(message.content()));
    let mut link = Link::new(connection, MsrpSession::new(config)).map_err(|e| e.to_string())?;
    let id = link
        .session
        .send(message.success_report(true))
        .map_err(|e| format!("MSRP send: {e}"))?;
    let give_up = Instant::now() + SEND_WAIT;
    let (mut acknowledged, mut report) = (false, None);
    let mut notified = awaiting.is_none();
    // Set once the message is acknowledged and reported: how long the notification
    // is waited for.
    let mut notification_deadline = None;
    loop {
        if Instant::now() >= give_up {
            return Err(format!("MSRP: not done in {} s", SEND_WAIT.as_secs()));
        }
        let open = link.turn().map_err(|e| format!("MSRP connection: {e}"))?;
        while let Some(event) = link.session.poll_event() {
            match event {
                MsrpEvent::MessageAcknowledged { message_id } if message_id == id => {
                    acknowledged = true;
                }
                MsrpEvent::ReportReceived {
                    message_id, code, ..
                } if message_id == id => report = Some(code),
                MsrpEvent::SendFailed {
                    message_id,
                    code,
                    comment,
                } if message_id == id || !link.session.is_established() => {
                    return Err(format!(
                        "MSRP SEND answered {code}{}",
                        comment.map(|c| format!(" {c}")).unwrap_or_default()
                    ));
                }
                MsrpEvent::ReportTimedOut { message_id } if message_id == id => {
                    return Err("MSRP: no REPORT came".to_owned());
                }
                MsrpEvent::MessageReceived(received) => {
                    let body = received.body.unwrap_or_default();
                    let content = chat::read(&received.content_type, &body, "", false);
                    chat::print(&content);
                    if let chat::Content::Notification(imdn) = content {
                        notified |= awaiting == Some(imdn.message_id.as_str());
                    }
                }
                MsrpEvent::StreamFailed { error } => return Err(error.to_string()),
                _ => {}
            }
        }
        if let (true, Some(report)) = (acknowledged, report) {
            let now = Instant::now();
            let deadline = *notification_deadline.get_or_insert(now + NOTIFICATION_WAIT);
            if notified || now >= deadline {
                if !notified {
                    print_line(&format!(
                        "cpm_endpoint: no notification in {} s",
                        NOTIFICATION_WAIT.as_secs()
                    ));
                }
                return Ok(Sent {
                    bytes,
                    sha256,
                    report,
                });
            }
        }
        if !open {
            return Err("MSRP: the peer closed the connection".to_owned());
        }
    }
}
