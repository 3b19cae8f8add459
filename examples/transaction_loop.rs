//! The transaction layer driven by a plain blocking loop over one UDP socket.
//!
//! ```text
//! cargo run --example transaction_loop
//! ```
//!
//! The endpoint binds 127.0.0.1 on any free port and sends a pager MESSAGE to itself:
//! the request leaves through a client transaction, comes back in as a new server
//! transaction, is handed to the `Dispatcher`, whose 200 goes back through the server
//! transaction and ends the client one. The loop is the one of
//! `docs/transactions.md`: send what the layer queued, act on its events, wait on the
//! socket no longer than `poll_timeout`, then feed what came (or the time) back in.
//! It stops at the MESSAGE's final response (a long-running endpoint keeps looping;
//! the transactions would end on their own after Timers J and K).

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use cpm_client::outgoing::{ClientConfig, ContactAddress, Content, Pager, RandomIds, Transport};
use cpm_client::transaction::{Inbound, TransactionConfig, TransactionEvent, TransactionLayer};
use cpm_client::{Decision, Dispatcher, PagerHandler, PagerMessage};

struct Inbox;

impl PagerHandler for Inbox {
    fn pager_message(&self, message: &PagerMessage<'_>) -> Decision {
        println!("received: {}", String::from_utf8_lossy(message.content()));
        Decision::accept()
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("transaction_loop: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Sends one MESSAGE to itself; true when it got a 2xx.
fn run() -> Result<bool, Box<dyn std::error::Error>> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    let me = socket.local_addr()?;
    println!("bound {me}");
    let identity = format!("sip:+15550100001@127.0.0.1:{}", me.port());
    let config = ClientConfig::new(
        &identity,
        ContactAddress::new("127.0.0.1", me.port(), Transport::Udp)?,
    )?;
    let dispatcher = Dispatcher::builder()
        .client(config.clone())
        .pager(Inbox)
        .build();
    let mut layer: TransactionLayer<SocketAddr> = TransactionLayer::new(TransactionConfig::new());

    let message = Pager::new(
        &identity,
        Content::text("Hello from the transaction loop"),
        SystemTime::now(),
    )
    .build(&config, &mut RandomIds::new())?
    .into_pager()
    .ok_or("the text is too large for pager mode")?;
    let sent = layer.send_request(message.bytes(), Transport::Udp, me, Instant::now())?;

    let mut buffer = vec![0u8; 65_535];
    loop {
        // 1. Send what the layer queued.
        while let Some(transmit) = layer.poll_transmit() {
            if socket
                .send_to(&transmit.bytes, transmit.destination)
                .is_err()
            {
                layer.transport_error(transmit.key)?;
            }
        }
        // 2. Act on what happened.
        while let Some(event) = layer.poll_event() {
            match event {
                TransactionEvent::Final { key, response, .. } if key == sent => {
                    println!(
                        "final response: {} {}",
                        response.status().code(),
                        String::from_utf8_lossy(response.reason())
                    );
                    return Ok(response.status().is_success());
                }
                TransactionEvent::Timeout { key, kind } if key == sent => {
                    println!("no answer: {kind:?}");
                    return Ok(false);
                }
                TransactionEvent::TransportError { key } if key == sent => return Ok(false),
                _ => {}
            }
        }
        // 3. Wait for a datagram, no longer than the next timer (a zero read timeout
        //    is refused by the socket: wait at least a millisecond).
        let wait = layer
            .poll_timeout()
            .map_or(Duration::from_secs(1), |at| {
                at.saturating_duration_since(Instant::now())
            })
            .max(Duration::from_millis(1));
        socket.set_read_timeout(Some(wait))?;
        match socket.recv_from(&mut buffer) {
            Ok((n, from)) => {
                let bytes = Bytes::copy_from_slice(&buffer[..n]);
                match layer.handle_incoming(bytes, Transport::Udp, from, Instant::now()) {
                    Inbound::Request { key, request } => {
                        let mut outcome = dispatcher.dispatch(request.as_bytes());
                        if let Some(response) = outcome.take_response() {
                            layer.respond(key, response.into_bytes(), Instant::now())?;
                        }
                    }
                    Inbound::Ack { request, .. } => {
                        let _ = dispatcher.dispatch(request.as_bytes());
                    }
                    Inbound::Unreadable { bytes, .. } => {
                        // A 400 when the bytes have a Via to answer along; no
                        // transaction for it.
                        if let Some(response) = dispatcher.dispatch(bytes).take_response() {
                            socket.send_to(response.as_bytes(), from)?;
                        }
                    }
                    _ => {}
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e.into()),
        }
        // 4. Fire the timers that are due.
        layer.handle_timeout(Instant::now());
    }
}
