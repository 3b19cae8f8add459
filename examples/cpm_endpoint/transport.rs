//! The sockets around the library: UDP datagrams and TCP streams on 127.0.0.1, a
//! stream cut into messages by the library's [`StreamReader`] (its keep-alive pings
//! answered), the UDP retransmissions absorbed, and what the endpoint counts.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cpm_client::outgoing::Transport;
use cpm_client::sip::{StreamError, StreamItem, StreamReader};
use cpm_client::Dispatcher;

use crate::answer;

/// RFC 3261's T1, the round-trip estimate all its timers start from.
pub const T1: Duration = Duration::from_millis(500);
/// RFC 3261's T2, the longest interval between retransmissions of a non-INVITE request.
pub const T2: Duration = Duration::from_secs(4);

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

    /// Answers every request that arrives, on threads of its own: one for UDP, one per
    /// connection for TCP.
    pub fn serve(self, dispatcher: Arc<Dispatcher>, stats: Arc<Stats>, quiet: bool) {
        match self {
            Listener::Udp(socket) => {
                std::thread::spawn(move || serve_udp(&socket, &dispatcher, &stats, quiet));
            }
            Listener::Tcp(listener) => {
                std::thread::spawn(move || {
                    for stream in listener.incoming() {
                        let Ok(stream) = stream else { continue };
                        let (dispatcher, stats) = (Arc::clone(&dispatcher), Arc::clone(&stats));
                        std::thread::spawn(move || {
                            if let Err(e) = serve_tcp(stream, &dispatcher, &stats, quiet) {
                                eprintln!("cpm_endpoint: connection closed: {e}");
                            }
                        });
                    }
                });
            }
        }
    }
}

/// The UDP loop: one datagram is one request; the answers go back to where it came
/// from.
fn serve_udp(socket: &UdpSocket, dispatcher: &Dispatcher, stats: &Stats, quiet: bool) {
    let mut buffer = vec![0u8; 65_535];
    let mut seen = Transactions::default();
    loop {
        let (len, from) = match socket.recv_from(&mut buffer) {
            Ok(received) => received,
            Err(e) => {
                eprintln!("cpm_endpoint: receive: {e}");
                continue;
            }
        };
        let datagram = match StreamItem::message(Bytes::copy_from_slice(&buffer[..len])) {
            StreamItem::Request(datagram) => datagram,
            // This role sends no requests, so a response is a stray one.
            _ => continue,
        };
        if let Some(responses) = seen.answered(&datagram) {
            for response in responses {
                let _ = socket.send_to(response, from);
            }
            stats.retransmission();
            continue;
        }
        let responses = answer(dispatcher, datagram.clone(), quiet);
        for response in &responses {
            if let Err(e) = socket.send_to(response, from) {
                eprintln!("cpm_endpoint: send to {from}: {e}");
            }
        }
        for request in crate::outbox(quiet) {
            if let Err(e) = socket.send_to(&request, from) {
                eprintln!("cpm_endpoint: send to {from}: {e}");
            }
        }
        stats.record(&responses);
        seen.remember(datagram, responses);
    }
}

/// One TCP connection: requests are cut out of the stream and answered on it, and
/// each keep-alive ping is answered with a pong.
fn serve_tcp(
    mut stream: TcpStream,
    dispatcher: &Dispatcher,
    stats: &Stats,
    quiet: bool,
) -> io::Result<()> {
    let mut reader = StreamReader::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        while let Some(item) = next_item(&mut reader, &mut stream)? {
            // This role sends no requests on the connections it accepts, so a response
            // is a stray one.
            let StreamItem::Request(message) = item else {
                continue;
            };
            let responses = answer(dispatcher, message, quiet);
            for response in &responses {
                stream.write_all(response)?;
            }
            for request in crate::outbox(quiet) {
                stream.write_all(&request)?;
            }
            stats.record(&responses);
        }
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            return Ok(());
        }
        reader.push(&chunk[..read]);
    }
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

/// The requests answered over UDP in the last 64*T1 (32 s, RFC 3261 Timer J), with
/// what was sent back. A UDP client retransmits the request it sent byte for byte
/// (RFC 3261 17.1.1.2, 17.1.2.2), so a datagram seen before is a retransmission: it
/// gets the same answer again, and the handlers do not hear of it twice.
#[derive(Default)]
struct Transactions {
    answers: HashMap<Bytes, Vec<Bytes>>,
    arrived: VecDeque<(Instant, Bytes)>,
}

impl Transactions {
    /// What was sent for this datagram, if it was seen.
    fn answered(&self, datagram: &Bytes) -> Option<&[Bytes]> {
        self.answers.get(datagram).map(Vec::as_slice)
    }

    /// Keeps what was sent for a new datagram, and forgets the old ones.
    fn remember(&mut self, datagram: Bytes, responses: Vec<Bytes>) {
        let now = Instant::now();
        while let Some((at, _)) = self.arrived.front() {
            if now.duration_since(*at) < 64 * T1 {
                break;
            }
            if let Some((_, old)) = self.arrived.pop_front() {
                self.answers.remove(&old);
            }
        }
        self.arrived.push_back((now, datagram.clone()));
        self.answers.insert(datagram, responses);
    }
}

/// The sender's way to its peer: one UDP socket, or one TCP connection.
pub enum Channel {
    Udp {
        socket: UdpSocket,
        peer: SocketAddr,
    },
    Tcp {
        stream: TcpStream,
        reader: StreamReader,
    },
}

impl Channel {
    /// A TCP connection to `peer`.
    pub fn connect(peer: SocketAddr) -> Result<Channel, String> {
        let stream = TcpStream::connect_timeout(&peer, Duration::from_secs(5))
            .map_err(|e| format!("cannot connect to {peer}: {e}"))?;
        Ok(Channel::Tcp {
            stream,
            reader: StreamReader::new(),
        })
    }

    /// Whether the transport delivers by itself (no retransmissions, RFC 3261 17.1).
    pub fn reliable(&self) -> bool {
        matches!(self, Channel::Tcp { .. })
    }

    /// Sends one message to the peer.
    pub fn send(&mut self, message: &[u8]) -> io::Result<()> {
        match self {
            Channel::Udp { socket, peer } => socket.send_to(message, *peer).map(drop),
            Channel::Tcp { stream, .. } => stream.write_all(message),
        }
    }

    /// The next message from the peer (a request or a response, never a keep-alive:
    /// those are answered or passed over on the way), or `None` when `wait` passes
    /// first.
    pub fn receive(&mut self, wait: Duration) -> io::Result<Option<StreamItem>> {
        let wait = wait.max(Duration::from_millis(1));
        let timed_out = |e: &io::Error| {
            matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            )
        };
        match self {
            Channel::Udp { socket, .. } => {
                socket.set_read_timeout(Some(wait))?;
                let mut buffer = vec![0u8; 65_535];
                match socket.recv_from(&mut buffer) {
                    Ok((len, _)) => Ok(Some(StreamItem::message(Bytes::copy_from_slice(
                        &buffer[..len],
                    )))),
                    Err(e) if timed_out(&e) => Ok(None),
                    Err(e) => Err(e),
                }
            }
            Channel::Tcp { stream, reader } => loop {
                if let Some(message) = next_item(reader, stream)? {
                    return Ok(Some(message));
                }
                stream.set_read_timeout(Some(wait))?;
                let mut chunk = vec![0u8; 16 * 1024];
                match stream.read(&mut chunk) {
                    Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                    Ok(read) => reader.push(&chunk[..read]),
                    Err(e) if timed_out(&e) => return Ok(None),
                    Err(e) => return Err(e),
                }
            },
        }
    }
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
