//! The sending role (`--send`): one request built by the library's outgoing builders,
//! its client transaction (RFC 3261 17.1), and for an INVITE the ACK and BYE of the
//! dialog its 2xx sets up. A real client would send the large message or the file
//! over MSRP between the ACK and the BYE; the example does not speak MSRP, so the
//! BYE follows the ACK.

use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use cpm_client::cpim::Disposition;
use cpm_client::outgoing::{
    CapabilityQuery, Content, Dialog, DispositionNotification, FileSelector, FileTransfer,
    LargeMessage, OutgoingRequest, Pager, PeerCapabilities, RandomIds, Session,
};
use cpm_client::sip::{IncomingResponse, StreamItem};
use cpm_client::{ClientConfig, Dispatcher};

use crate::transport::{Channel, Listener, Stats, T1, T2};
use crate::{answer, notified, status_line, text, Args, Endpoint};

/// Sends `procedure` to `--to` and reports what came back.
pub fn run(args: &Args, procedure: &str) -> Result<ExitCode, String> {
    let to = args.to.as_deref().unwrap_or_default();
    let peer = peer_address(to)?;
    let listener = Listener::bind(args.transport, args.port.unwrap_or(0))?;
    let local = listener.local_addr();
    let endpoint = Endpoint::start(args, local)?;
    let stats = Arc::new(Stats::default());
    // Over UDP the one socket sends, receives the answers and hears requests; over TCP
    // the request goes on a connection of its own, and the listener named in Via and
    // Contact serves whoever connects.
    let channel = match listener {
        Listener::Udp(socket) => Channel::Udp { socket, peer },
        tcp => {
            let channel = Channel::connect(peer)?;
            tcp.serve(Arc::clone(&endpoint.dispatcher), stats, args.quiet);
            channel
        }
    };
    println!(
        "cpm_endpoint: sending {procedure} from {} {local} to {peer}, release {}",
        args.transport.uri_param(),
        args.release
    );
    let request = build(procedure, &endpoint.config, to, &args.text, &args.ask_imdn)?;
    let wait = args
        .seconds
        .map_or(64 * T1, |s| Duration::from_secs(s).min(64 * T1));
    let mut client = Client {
        channel,
        dispatcher: &endpoint.dispatcher,
        quiet: args.quiet,
        wait,
        ack: None,
    };

    let Some(response) =
        client.transaction(request.as_bytes(), request.branch(), request.method())?
    else {
        println!(
            "cpm_endpoint: no answer to the {} in {} s",
            request.method(),
            wait.as_secs()
        );
        return Ok(ExitCode::FAILURE);
    };
    let answered = status_line(&response.as_bytes());
    let success = (200..300).contains(&response.status());
    if procedure == "options" {
        let peer = PeerCapabilities::of_response(&response);
        let services: Vec<&str> = peer.services.iter().map(|t| t.short_name()).collect();
        println!(
            "cpm_endpoint: peer services {} other-icsis={} iaris={}",
            if services.is_empty() {
                "-".to_owned()
            } else {
                services.join(",")
            },
            peer.other_icsis.join(","),
            peer.iaris.join(",")
        );
    }
    if procedure == "pager" && success && !args.ask_imdn.is_empty() {
        // The peer's IMDN comes after its 200: wait a little for it.
        let until = Instant::now() + Duration::from_secs(5).min(wait);
        while notified() == 0 && Instant::now() < until {
            let left = until.saturating_duration_since(Instant::now());
            let received = client
                .channel
                .receive(left)
                .map_err(|e| format!("receive: {e}"))?;
            if let Some(StreamItem::Request(message)) = received {
                client.incoming(message)?;
            }
        }
        if notified() == 0 {
            println!("cpm_endpoint: no IMDN came within 5 s");
        }
    }
    if request.method() != "INVITE" || !success {
        println!("cpm_endpoint: {procedure} answered {answered}");
        return Ok(exit(success));
    }

    // RFC 3261 13.2.2.4: the 2xx to an INVITE is acknowledged end to end, in the dialog.
    // The library's Dialog builds both, from the INVITE and its 2xx (RFC 3261 12.1.2).
    let mut dialog = Dialog::from_answer(&request, &response).map_err(|e| e.to_string())?;
    let ids = &mut RandomIds::new();
    let ack = dialog.ack(ids).into_bytes();
    client.channel.send(&ack).map_err(|e| e.to_string())?;
    println!("-> {}", status_line(&ack));
    client.ack = Some(ack);
    if !args.bye {
        println!("cpm_endpoint: {procedure} answered {answered}");
        return Ok(ExitCode::SUCCESS);
    }
    let bye = dialog.bye(ids);
    let bye_answer = client.transaction(bye.as_bytes(), bye.branch(), "BYE")?;
    let ended = bye_answer.as_ref().map(|r| status_line(&r.as_bytes()));
    println!(
        "cpm_endpoint: {procedure} answered {answered}; BYE answered {}",
        ended.as_deref().unwrap_or("nothing")
    );
    Ok(exit(
        bye_answer.is_some_and(|r| (200..300).contains(&r.status())),
    ))
}

fn exit(success: bool) -> ExitCode {
    if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The request the library builds for the procedure.
fn build(
    procedure: &str,
    config: &ClientConfig,
    to: &str,
    message: &str,
    ask_imdn: &[Disposition<'_>],
) -> Result<OutgoingRequest, String> {
    let ids = &mut RandomIds::new();
    let now = SystemTime::now();
    let built = match procedure {
        "pager" => Pager::new(to, Content::text(message), now)
            .disposition(DispositionNotification::of(ask_imdn))
            .build(config, ids)
            .map(|standalone| standalone.into_pager()),
        "large-message" => LargeMessage::new(to, Content::text(message), now)
            .build(config, ids)
            .map(|large| Some(large.invite)),
        "session" => Session::one_to_one(to).build(config, ids).map(Some),
        "options" => CapabilityQuery::new(to).build(config, ids).map(Some),
        _ => FileTransfer::new(to, FileSelector::new("beach.jpg", "image/jpeg", 48213))
            .build(config, ids)
            .map(Some),
    };
    built
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "--text is too large for a pager-mode MESSAGE".to_owned())
}

/// Where the request goes: the host and port of the URI (5060 when it names none).
fn peer_address(uri: &str) -> Result<SocketAddr, String> {
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
        .ok_or_else(|| format!("--to: no host and port to send to in `{uri}`"))
}

/// One client transaction at a time, with what the sender needs while it waits.
struct Client<'a> {
    channel: Channel,
    dispatcher: &'a Dispatcher,
    quiet: bool,
    /// How long to wait for a final answer (64*T1, Timers B and F, unless `--seconds`
    /// says less).
    wait: Duration,
    /// The ACK sent for the INVITE's 2xx, sent again if the 2xx comes again.
    ack: Option<Bytes>,
}

impl Client<'_> {
    /// Sends `request` and waits for its final response, printing the status line of
    /// each response. Over UDP the request is sent again at T1, 2*T1, 4*T1, ...
    /// (Timer A for an INVITE, until a provisional answer; Timer E otherwise, capped
    /// at T2, and every T2 after a provisional answer). `None` when no final answer
    /// came in time.
    fn transaction(
        &mut self,
        request: &[u8],
        branch: &str,
        method: &str,
    ) -> Result<Option<IncomingResponse>, String> {
        let invite = method == "INVITE";
        let started = Instant::now();
        let give_up = started + self.wait;
        let mut interval = T1;
        let mut resend_at = (!self.channel.reliable()).then_some(started + T1);
        self.channel.send(request).map_err(|e| e.to_string())?;
        println!("-> {}", status_line(request));
        loop {
            let now = Instant::now();
            if now >= give_up {
                return Ok(None);
            }
            if let Some(at) = resend_at.filter(|at| now >= *at) {
                self.channel.send(request).map_err(|e| e.to_string())?;
                interval = if invite {
                    interval * 2
                } else {
                    (interval * 2).min(T2)
                };
                resend_at = Some(at + interval);
                continue;
            }
            let until = resend_at.map_or(give_up, |at| at.min(give_up));
            let message = match self
                .channel
                .receive(until - now)
                .map_err(|e| format!("receive: {e}"))?
            {
                Some(StreamItem::Response(message)) => message,
                Some(StreamItem::Request(message)) => {
                    self.incoming(message)?;
                    continue;
                }
                Some(StreamItem::Ping | StreamItem::Pong) | None => continue,
            };
            let response = match IncomingResponse::parse(message) {
                Ok(response) => response,
                Err(e) => {
                    println!("<- a response that does not read: {e}");
                    continue;
                }
            };
            if !answers(&response, branch, method) {
                self.stray(&response)?;
                continue;
            }
            println!("<- {}", status_line(&response.as_bytes()));
            if response.status() >= 200 {
                return Ok(Some(response));
            }
            // A provisional answer: the INVITE is not sent again, another request is
            // sent again every T2 (RFC 3261 17.1.2.2).
            resend_at = if invite {
                None
            } else {
                resend_at.map(|_| now + T2)
            };
            interval = T2;
        }
    }

    /// A request from the peer while waiting: dispatched and answered as when
    /// receiving (say, a BYE from the other side).
    fn incoming(&mut self, request: Bytes) -> Result<(), String> {
        for response in answer(self.dispatcher, request, self.quiet) {
            self.channel.send(&response).map_err(|e| e.to_string())?;
        }
        for request in crate::outbox(self.quiet) {
            self.channel.send(&request).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// A response that answers nothing pending: the INVITE's 2xx sent again because
    /// the ACK was lost is acknowledged again (RFC 3261 13.2.2.4); others are dropped.
    fn stray(&mut self, response: &IncomingResponse) -> Result<(), String> {
        let invite_2xx = (200..300).contains(&response.status())
            && response.cseq_method() == Some(cpm_client::Method::Invite);
        if let (true, Some(ack)) = (invite_2xx, &self.ack) {
            self.channel.send(ack).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// Whether `response` answers the request with this top-Via branch and method (RFC
/// 3261 17.1.3).
fn answers(response: &IncomingResponse, branch: &str, method: &str) -> bool {
    let top_via = response.header_values("Via").next().unwrap_or_default();
    let branch_matches = text(top_via)
        .split(';')
        .any(|param| param.trim() == format!("branch={branch}"));
    branch_matches && response.cseq_method().is_some_and(|m| m.as_str() == method)
}
