//! The sockets around the library: one UDP socket, or a TCP listener and the
//! connections it accepts or opens, all feeding one
//! [`TransactionLayer`](cpm_client::transaction::TransactionLayer) (RFC 3261 17). The
//! layer retransmits the requests sent over UDP (Timers A and E), answers a copy of a
//! request with the response already sent (the handlers never hear of it twice), and
//! sends the 2xx to an INVITE again until its ACK comes (13.3.1.4). Requests that start
//! a server transaction go to the [`Dispatcher`]; what happens to the client
//! transactions of the sending role goes to whoever subscribed with
//! [`Engine::subscribe`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cpm_client::outgoing::Transport;
use cpm_client::sip::{StreamError, StreamItem, StreamReader};
use cpm_client::transaction::{
    Inbound, TransactionConfig, TransactionEvent, TransactionKey, TransactionLayer,
};
use cpm_client::Dispatcher;

use crate::answer;

/// Where a message goes or came from: a UDP address, or one TCP connection (with the
/// address at its far end, for the Via `received`/`rport` of the answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Peer {
    Udp(SocketAddr),
    Tcp {
        connection: u64,
        address: SocketAddr,
    },
}

impl Peer {
    /// The address at the far end.
    fn address(self) -> SocketAddr {
        match self {
            Peer::Udp(address) | Peer::Tcp { address, .. } => address,
        }
    }
}

/// The endpoint's SIP side: the socket(s), the transaction layer, the dispatcher.
pub struct Engine {
    transport: Transport,
    udp: Option<UdpSocket>,
    dispatcher: Arc<Dispatcher>,
    stats: Arc<Stats>,
    quiet: bool,
    state: Mutex<State>,
}

/// What the threads share, behind the engine's lock.
struct State {
    layer: TransactionLayer<Peer>,
    /// The write side of each open TCP connection.
    connections: HashMap<u64, TcpStream>,
    /// The connections by far-end address, to reuse one for a request to that address.
    by_address: HashMap<SocketAddr, u64>,
    /// The connections the far end opened (the listener accepted them), still open.
    accepted: HashSet<u64>,
    next_connection: u64,
    /// The ACKs for non-2xx finals already counted (their copies are not).
    absorbed: HashSet<TransactionKey>,
    /// Where the events of the layer go (the sending role's waits).
    events: Option<Sender<TransactionEvent>>,
}

impl Engine {
    /// Starts receiving on `listener` (a thread for UDP, one per TCP connection) and
    /// the timer thread.
    pub fn start(
        listener: Listener,
        dispatcher: Arc<Dispatcher>,
        stats: Arc<Stats>,
        quiet: bool,
    ) -> Result<Arc<Engine>, String> {
        let (transport, udp, tcp) = match listener {
            Listener::Udp(socket) => (Transport::Udp, Some(socket), None),
            Listener::Tcp(listener) => (Transport::Tcp, None, Some(listener)),
        };
        let engine = Arc::new(Engine {
            transport,
            udp,
            dispatcher,
            stats,
            quiet,
            state: Mutex::new(State {
                layer: TransactionLayer::new(TransactionConfig::new()),
                connections: HashMap::new(),
                by_address: HashMap::new(),
                accepted: HashSet::new(),
                next_connection: 0,
                absorbed: HashSet::new(),
                events: None,
            }),
        });
        if let Some(socket) = &engine.udp {
            let socket = socket.try_clone().map_err(|e| e.to_string())?;
            let receiver = Arc::clone(&engine);
            std::thread::spawn(move || receiver.receive_udp(&socket));
        }
        if let Some(listener) = tcp {
            let acceptor = Arc::clone(&engine);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    if let Err(e) = acceptor.adopt(stream, true) {
                        eprintln!("cpm_endpoint: connection: {e}");
                    }
                }
            });
        }
        let timer = Arc::clone(&engine);
        std::thread::spawn(move || timer.run_timers());
        Ok(engine)
    }

    /// The events of the layer, from now on, on a channel (the client transactions'
    /// responses and timeouts; the receiver ignores keys it did not start).
    pub fn subscribe(&self) -> Receiver<TransactionEvent> {
        let (sender, receiver) = mpsc::channel();
        self.lock().events = Some(sender);
        receiver
    }

    /// Starts a client transaction for `request`, sent towards `uri` (its host and
    /// port; over TCP on a connection to that address, opened if none is).
    pub fn send_request(
        self: &Arc<Self>,
        request: Bytes,
        uri: &str,
    ) -> Result<TransactionKey, String> {
        let peer = self.peer_for(uri)?;
        let mut state = self.lock();
        let key = state
            .layer
            .send_request(request, self.transport, peer, Instant::now())
            .map_err(|e| e.to_string())?;
        self.flush(&mut state);
        Ok(key)
    }

    /// Sends `message` towards `uri` outside any transaction (the ACK of a 2xx).
    pub fn send_direct(self: &Arc<Self>, message: &[u8], uri: &str) -> Result<(), String> {
        let peer = self.peer_for(uri)?;
        let mut state = self.lock();
        self.write(&mut state, peer, message)
            .map_err(|e| format!("send to {}: {e}", peer.address()))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Where a request for `uri` goes.
    fn peer_for(self: &Arc<Self>, uri: &str) -> Result<Peer, String> {
        let address = uri_address(uri)?;
        if self.transport != Transport::Tcp {
            return Ok(Peer::Udp(address));
        }
        if let Some(&connection) = self.lock().by_address.get(&address) {
            return Ok(Peer::Tcp {
                connection,
                address,
            });
        }
        let stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))
            .map_err(|e| format!("cannot connect to {address}: {e}"))?;
        self.adopt(stream, false)
    }

    /// Waits until the far ends have closed the connections they opened, or until
    /// `until`; returns how many are still open. RFC 3261 18 shares a connection
    /// between client and server transactions (an IMDN goes back on the connection
    /// its message came on, indexed by the far end's address) and recommends keeping
    /// it open for a while after its last message: the peer may still have a
    /// transaction or a call to finish on it, which a close from this side would cut
    /// off. Connections this side opened are not waited for.
    pub fn linger(&self, until: Instant) -> usize {
        loop {
            let open = self.lock().accepted.len();
            if open == 0 || Instant::now() >= until {
                return open;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Keeps a TCP connection (`accepted`: one the far end opened) and reads it on a
    /// thread of its own.
    fn adopt(self: &Arc<Self>, stream: TcpStream, accepted: bool) -> Result<Peer, String> {
        let address = stream.peer_addr().map_err(|e| e.to_string())?;
        let reading = stream.try_clone().map_err(|e| e.to_string())?;
        let connection = {
            let mut state = self.lock();
            let connection = state.next_connection;
            state.next_connection += 1;
            state.connections.insert(connection, stream);
            state.by_address.insert(address, connection);
            if accepted {
                state.accepted.insert(connection);
            }
            connection
        };
        let peer = Peer::Tcp {
            connection,
            address,
        };
        let engine = Arc::clone(self);
        std::thread::spawn(move || {
            if let Err(e) = engine.receive_tcp(reading, peer) {
                eprintln!("cpm_endpoint: connection closed: {e}");
            }
            let mut state = engine.lock();
            state.connections.remove(&connection);
            state.accepted.remove(&connection);
            if state.by_address.get(&address) == Some(&connection) {
                state.by_address.remove(&address);
            }
        });
        Ok(peer)
    }

    /// The UDP loop: one datagram is one message.
    fn receive_udp(&self, socket: &UdpSocket) {
        let mut buffer = vec![0u8; 65_535];
        loop {
            match socket.recv_from(&mut buffer) {
                Ok((len, from)) => {
                    self.incoming(Bytes::copy_from_slice(&buffer[..len]), Peer::Udp(from));
                }
                Err(e) => eprintln!("cpm_endpoint: receive: {e}"),
            }
        }
    }

    /// One TCP connection: messages are cut out of the stream, and each keep-alive
    /// ping is answered with a pong.
    fn receive_tcp(&self, mut stream: TcpStream, peer: Peer) -> io::Result<()> {
        let mut reader = StreamReader::new();
        let mut chunk = vec![0u8; 16 * 1024];
        loop {
            while let Some(item) = next_item(&mut reader, &mut stream)? {
                if let Some(message) = item.into_message() {
                    self.incoming(message, peer);
                }
            }
            let read = stream.read(&mut chunk)?;
            if read == 0 {
                return Ok(());
            }
            reader.push(&chunk[..read]);
        }
    }

    /// Fires the layer's timers when they are due (looked at every 10 ms at least, so
    /// that a transaction started meanwhile is not missed).
    fn run_timers(&self) {
        loop {
            let next = self.lock().layer.poll_timeout();
            let now = Instant::now();
            let wait = next.map_or(Duration::from_millis(10), |at| {
                at.saturating_duration_since(now)
                    .min(Duration::from_millis(10))
            });
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
            let mut state = self.lock();
            if state
                .layer
                .poll_timeout()
                .is_some_and(|at| at <= Instant::now())
            {
                state.layer.handle_timeout(Instant::now());
                self.flush(&mut state);
            }
        }
    }

    /// One message from `peer`, through the layer, then to the dispatcher when it is
    /// a request to answer.
    fn incoming(&self, bytes: Bytes, peer: Peer) {
        let mut state = self.lock();
        let inbound = state
            .layer
            .handle_incoming(bytes, self.transport, peer, Instant::now());
        match inbound {
            Inbound::Request { key, request } => {
                let responses = answer(
                    &self.dispatcher,
                    request.as_bytes(),
                    peer.address(),
                    self.quiet,
                );
                for response in &responses {
                    if let Err(e) = state.layer.respond(key, response.clone(), Instant::now()) {
                        eprintln!("cpm_endpoint: respond: {e}");
                    }
                }
                self.stats.record(&responses);
            }
            Inbound::Ack { request, .. } => {
                let responses = answer(
                    &self.dispatcher,
                    request.as_bytes(),
                    peer.address(),
                    self.quiet,
                );
                self.stats.record(&responses);
            }
            Inbound::Absorbed { key } => {
                // The ACK of a non-2xx final: a request of its own for the counts, once.
                if state.absorbed.insert(key) {
                    self.stats.record(&[]);
                } else {
                    self.stats.retransmission();
                }
            }
            Inbound::Retransmission { .. } => self.stats.retransmission(),
            Inbound::Cancel { .. } => self.stats.record(&[]),
            Inbound::Unreadable { bytes, error } => {
                if bytes.iter().all(|b| b.is_ascii_whitespace()) {
                    return;
                }
                // The dispatcher answers 400 when there is a Via to answer along.
                let responses = answer(&self.dispatcher, bytes, peer.address(), self.quiet);
                if responses.is_empty() {
                    eprintln!("cpm_endpoint: a message that does not read: {error}");
                }
                for response in &responses {
                    if let Err(e) = self.write(&mut state, peer, response) {
                        eprintln!("cpm_endpoint: send to {}: {e}", peer.address());
                    }
                }
                self.stats.record(&responses);
            }
            // Responses to client transactions come out as events; strays are dropped
            // (RFC 3261 17.1.3).
            _ => {}
        }
        self.flush(&mut state);
    }

    /// Sends what the layer has to send, and passes its events on.
    fn flush(&self, state: &mut State) {
        while let Some(transmit) = state.layer.poll_transmit() {
            if let Err(e) = self.write(state, transmit.destination, &transmit.bytes) {
                eprintln!(
                    "cpm_endpoint: send to {}: {e}",
                    transmit.destination.address()
                );
                let _ = state.layer.transport_error(transmit.key);
            }
        }
        while let Some(event) = state.layer.poll_event() {
            match &event {
                TransactionEvent::Terminated { key } => {
                    state.absorbed.remove(key);
                }
                TransactionEvent::Timeout { kind, .. } if !self.quiet => {
                    eprintln!("cpm_endpoint: transaction timeout: {kind:?}");
                }
                _ => {}
            }
            if let Some(events) = &state.events {
                let _ = events.send(event);
            }
        }
    }

    /// Sends one message to `peer`.
    fn write(&self, state: &mut State, peer: Peer, message: &[u8]) -> io::Result<()> {
        match peer {
            Peer::Udp(address) => match &self.udp {
                Some(socket) => socket.send_to(message, address).map(drop),
                None => Err(io::ErrorKind::NotConnected.into()),
            },
            Peer::Tcp { connection, .. } => match state.connections.get_mut(&connection) {
                Some(stream) => stream.write_all(message).inspect_err(|_| {
                    let _ = stream.shutdown(Shutdown::Both);
                }),
                None => Err(io::ErrorKind::NotConnected.into()),
            },
        }
    }
}

/// Where the endpoint receives SIP: one UDP socket, or a TCP listener.
pub enum Listener {
    Udp(UdpSocket),
    Tcp(TcpListener),
}

impl Listener {
    /// Binds 127.0.0.1:`port` (0: any free port).
    pub fn bind(transport: Transport, port: u16) -> Result<Listener, String> {
        let at = ("127.0.0.1", port);
        let bound = match transport {
            Transport::Udp => UdpSocket::bind(at).map(Listener::Udp),
            Transport::Tcp => TcpListener::bind(at).map(Listener::Tcp),
            Transport::Tls => return Err("TLS is not offered by this example".to_owned()),
        };
        bound.map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))
    }

    /// The address really bound.
    pub fn local_addr(&self) -> SocketAddr {
        let addr = match self {
            Listener::Udp(socket) => socket.local_addr(),
            Listener::Tcp(listener) => listener.local_addr(),
        };
        addr.unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }
}

/// The host and port of a SIP URI (5060 when it names none), resolved.
pub fn uri_address(uri: &str) -> Result<SocketAddr, String> {
    let uri = uri.trim().trim_start_matches('<');
    let after_scheme = uri.split_once(':').map_or(uri, |(_, rest)| rest);
    let host_port = after_scheme
        .rsplit_once('@')
        .map_or(after_scheme, |(_, host)| host);
    let host_port = host_port.split([';', '?', '>']).next().unwrap_or_default();
    let with_port = if host_port.ends_with(']') || !host_port.contains(':') {
        format!("{host_port}:5060")
    } else {
        host_port.to_owned()
    };
    with_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| format!("no host and port to send to in `{uri}`"))
}

/// The next message the reader has whole, `None` when it needs more bytes. On the
/// way, a ping (RFC 5626 4.4.1) is answered with a pong, a single CRLF, and a pong
/// is passed over; a message the reader had to set aside (no Content-Length, one over
/// the size limit) is reported and not answered, the reader going on with the next
/// one; a fatal framing error ends the connection.
fn next_item(reader: &mut StreamReader, stream: &mut TcpStream) -> io::Result<Option<StreamItem>> {
    loop {
        match reader.next_item() {
            Ok(Some(StreamItem::Ping)) => stream.write_all(b"\r\n")?,
            Ok(Some(StreamItem::Pong)) => {}
            Ok(item) => return Ok(item),
            Err(e) if e.is_fatal() => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            Err(e) => set_aside(&e),
        }
    }
}

/// Reports a message the stream reader set aside.
fn set_aside(error: &StreamError) {
    let first_line = error.head().map(|head| crate::status_line(head));
    eprintln!(
        "cpm_endpoint: {error}; not answered: {}",
        first_line.as_deref().unwrap_or("-")
    );
}

/// What the endpoint counts: requests answered (retransmissions apart) and the
/// statuses it sent.
#[derive(Default)]
pub struct Stats {
    requests: AtomicU64,
    retransmissions: AtomicU64,
    statuses: Mutex<BTreeMap<String, u64>>,
}

impl Stats {
    /// One request answered with `responses` (none for an ACK).
    pub fn record(&self, responses: &[Bytes]) {
        {
            let mut statuses = self.statuses.lock().unwrap_or_else(PoisonError::into_inner);
            if responses.is_empty() {
                *statuses.entry("none".to_owned()).or_default() += 1;
            }
            for response in responses {
                let code = response.get(8..11).unwrap_or(b"???");
                *statuses.entry(crate::text(code)).or_default() += 1;
            }
        }
        self.requests.fetch_add(1, Ordering::SeqCst);
    }

    /// One retransmission absorbed.
    pub fn retransmission(&self) {
        self.retransmissions.fetch_add(1, Ordering::SeqCst);
    }

    /// The requests answered so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// `3 requests, 0 retransmissions; answered 180 x 1, 200 x 3`.
    pub fn summary(&self) -> String {
        let statuses = self.statuses.lock().unwrap_or_else(PoisonError::into_inner);
        let answered: Vec<String> = statuses.iter().map(|(s, n)| format!("{s} x {n}")).collect();
        format!(
            "{} requests, {} retransmissions; answered {}",
            self.requests(),
            self.retransmissions.load(Ordering::SeqCst),
            if answered.is_empty() {
                "nothing".to_owned()
            } else {
                answered.join(", ")
            }
        )
    }
}
