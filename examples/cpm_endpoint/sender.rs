//! The sending role (`--send`): one request built by the library's outgoing builders,
//! its client transaction run by the library's transaction layer (RFC 3261 17.1: over
//! UDP it retransmits on Timers A and E and gives up on Timers B and F), and for an
//! INVITE the ACK and BYE of the dialog its 2xx sets up, sent along the dialog's route
//! set (its Record-Route). With `--registrar` the endpoint registers first and
//! de-registers at the end; the request then goes through the registrar (or the
//! Service-Route it returned). Between the ACK and the BYE of a large message, a file
//! transfer or a session, the content goes over MSRP (`msrp.rs`): the endpoint
//! connects to the path of the SDP answer, or takes the connection the peer opens,
//! as the roles negotiated say (RFC 4145), sends the content in chunks of
//! `--chunk-size` bytes with `Success-Report: yes` and waits for the 200s and the
//! REPORT (RFC 4975 section 7.1.2), then sends the BYE and prints
//! `msrp sent bytes=<n> sha256=<hex> report=<code>` (`--no-msrp`: signalling only).
//!
//! A 401 or 407 to the request is answered once with `--password` (as `--auth-user`,
//! else the user part of `--identity`), by the library's `outgoing::authorize` (RFC
//! 3261 22.2): the request goes again with the next CSeq, a new branch and the
//! answer. Without `--password`, or when the answer is challenged again, the
//! challenge is the final status printed and the exit status is 1.

use std::process::ExitCode;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use cpm_client::cpim::{CpimBuilder, Disposition};
use cpm_client::msrp::MsrpMessage;
use cpm_client::outgoing::{
    authorize, Content, Dialog, DigestCredentials, FileSelector, FileTransfer, LargeMessage,
    OutgoingRequest, Pager, RandomIds, Session,
};
use cpm_client::sdp::{FileHash, NegotiatedMsrp, Sdp};
use cpm_client::sip::{DigestChallenge, IncomingResponse};
use cpm_client::transaction::{TransactionEvent, TransactionKey};
use cpm_client::ClientConfig;
use sha1::Digest;

use crate::msrp::{self, Accepted};
use crate::registration::{user_part, Registration};
use crate::transport::{uri_address, Engine, Listener, Stats};
use crate::{status_line, Args, Endpoint};

/// How long a request waits for its final answer at most (64*T1, Timers B and F).
const WAIT: Duration = Duration::from_secs(32);

/// Sends `procedure` to `--to` and reports what came back.
pub fn run(args: &Args, procedure: &str) -> Result<ExitCode, String> {
    let to = args.to.as_deref().unwrap_or_default();
    let listener = Listener::bind(args.transport, args.port.unwrap_or(0))?;
    let local = listener.local_addr();
    let endpoint = Endpoint::start(args, local)?;
    let stats = Arc::new(Stats::default());
    // One engine sends, receives the answers and hears requests (a BYE from the
    // peer); over TCP the request goes on a connection of its own to the next hop,
    // and the listener named in Via and Contact serves whoever connects.
    let engine = Engine::start(
        listener,
        Arc::clone(&endpoint.dispatcher),
        stats,
        args.quiet,
    )?;
    let events = engine.subscribe();
    let mut registration = None;
    let mut config = endpoint.config.clone();
    if let Some(mut registering) = Registration::from_args(args, &endpoint.config)? {
        if !registering.register(&engine, &events)? {
            return Ok(ExitCode::FAILURE);
        }
        if !registering.service_route().is_empty() {
            config = config
                .with_route_set(registering.service_route())
                .map_err(|e| format!("Service-Route: {e}"))?;
        }
        registration = Some(registering);
    }
    let (request, message, awaiting) = build(procedure, &config, to, args)?;
    // A passive end (RFC 4145) must be ready for the peer's connection before the
    // INVITE goes.
    let transfer = match (message, request.local_msrp_path()) {
        (Some(message), Some(path)) if args.msrp => Some(Transfer {
            message,
            accepted: msrp::hub()?.expect(path),
            awaiting,
        }),
        _ => None,
    };
    let peer = uri_address(request.next_hop())?;
    println!(
        "cpm_endpoint: sending {procedure} from {} {local} to {peer}, release {}",
        args.transport.uri_param(),
        args.release
    );
    let wait = args
        .seconds
        .map_or(WAIT, |s| Duration::from_secs(s).min(WAIT));
    let mut client = Client {
        engine: &engine,
        events: &events,
        registration,
        wait,
        ack: None,
        transfer,
        credentials: args.password.as_ref().map(|password| {
            let user = args
                .auth_user
                .clone()
                .unwrap_or_else(|| user_part(config.identity()));
            DigestCredentials::new(&user, password)
        }),
    };
    let mut code = client.exchange(procedure, &request, args.bye);
    // A 415 without message/cpim in Accept: the text again, bare (around.rs).
    if let Some(bare) = crate::around::bare_again(procedure, &config, to, &args.text)? {
        code = client.exchange(procedure, &bare, args.bye);
    }
    if let Some(registration) = &mut client.registration {
        registration.deregister(&engine, &events)?;
    }
    code
}

/// The user name the challenge is answered as.
fn given_user(credentials: &Option<DigestCredentials>) -> &str {
    credentials.as_ref().map_or("", DigestCredentials::username)
}

fn exit(success: bool) -> ExitCode {
    if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The request the library builds for the procedure, the MSRP message that goes
/// once the session is up (large message, file transfer, session), and the
/// `imdn.Message-ID` of a chat message that asks for a delivery notification.
fn build(
    procedure: &str,
    config: &ClientConfig,
    to: &str,
    args: &Args,
) -> Result<(OutgoingRequest, Option<MsrpMessage>, Option<String>), String> {
    let ids = &mut RandomIds::new();
    let now = SystemTime::now();
    let text = args.text.as_str();
    // `--file`: its bytes and a type guessed from its name; else `--text`.
    let file = match &args.file {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| format!("--file {path}: {e}"))?;
            Some((file_name(path), media_type(path), bytes))
        }
        None => None,
    };
    let e = |e: cpm_client::BuildError| e.to_string();
    let chunk = args.chunk_size;
    Ok(match procedure {
        "pager" => {
            let pager = crate::around::asking(Pager::new(to, Content::text(text), now))
                .build(config, ids)
                .map_err(e)?
                .into_pager()
                .ok_or("--text is too large for a pager-mode MESSAGE")?;
            (pager, None, None)
        }
        "large-message" => {
            let content = match file {
                Some((_, media_type, bytes)) => Content::new(media_type, bytes),
                None => Content::text(text),
            };
            let large = LargeMessage::new(to, content, now)
                .chunk_size(chunk)
                .build(config, ids)
                .map_err(e)?;
            (large.invite, Some(large.message), None)
        }
        "session" => {
            let invite = Session::one_to_one(to).build(config, ids).map_err(e)?;
            // The session accepts message/cpim (7.3.1): the text goes wrapped, asking
            // for the notifications of `--imdn` (RFC 5438 section 6.2).
            let mut builder = CpimBuilder::new(config.identity(), to, now, Content::text(text));
            let asked = crate::around::asked();
            if let Some(disposition) = asked.clone() {
                builder = builder.disposition(disposition);
            }
            let (cpim, message_id) = builder.write(ids).map_err(e)?;
            let message =
                MsrpMessage::new(local_path(&invite)?, "message/cpim", cpim).chunk_size(chunk);
            // A delivery notification comes back inside the session (msrp.rs).
            let awaiting = match (&asked, message_id) {
                (Some(d), Some(id)) if d.contains(Disposition::PositiveDelivery) => {
                    println!(
                        "cpm_endpoint: chat message imdn.Message-ID={id} asks for {}",
                        d.as_str()
                    );
                    Some(id)
                }
                _ => None,
            };
            (invite, Some(message), awaiting)
        }
        _ => {
            let (name, media_type, bytes) = file.unwrap_or_else(|| {
                (
                    "message.txt".to_owned(),
                    "text/plain",
                    text.as_bytes().to_vec(),
                )
            });
            // RFC 5547 section 6: name, type, size and the SHA-1 of the file.
            let sha1: [u8; 20] = sha1::Sha1::digest(&bytes).into();
            let selector = FileSelector::new(&name, media_type, bytes.len() as u64)
                .with_hash(FileHash::sha1(&sha1));
            let invite = FileTransfer::new(to, selector)
                .build(config, ids)
                .map_err(e)?;
            let message =
                MsrpMessage::new(local_path(&invite)?, media_type, bytes).chunk_size(chunk);
            (invite, Some(message), None)
        }
    })
}

/// The `a=path` of an INVITE's offer.
fn local_path(invite: &OutgoingRequest) -> Result<&str, String> {
    invite
        .local_msrp_path()
        .ok_or_else(|| "the INVITE offers no MSRP path".to_owned())
}

/// The last component of a path.
fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or_else(|| "file".to_owned(), |n| n.to_string_lossy().into_owned())
}

/// A media type from a file name's extension; `application/octet-stream` when unknown.
fn media_type(path: &str) -> &'static str {
    let extension = std::path::Path::new(path)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        Some("txt") => "text/plain",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("pdf") => "application/pdf",
        Some("mp4") => "video/mp4",
        _ => "application/octet-stream",
    }
}

/// The MSRP side of an INVITE: the message to send once the session is up, and where
/// the peer's connection comes when this end is passive.
struct Transfer {
    message: MsrpMessage,
    accepted: Receiver<Accepted>,
    /// The `imdn.Message-ID` whose delivery notification is waited for.
    awaiting: Option<String>,
}

/// One client transaction at a time, with what the sender needs while it waits.
struct Client<'a> {
    engine: &'a Arc<Engine>,
    events: &'a Receiver<TransactionEvent>,
    /// The registration (`--registrar`), kept refreshed while waiting.
    registration: Option<Registration>,
    /// How long to wait for a final answer.
    wait: Duration,
    /// The INVITE's transaction and the ACK sent for its 2xx, sent again for each copy
    /// of the 2xx (RFC 3261 13.2.2.4).
    ack: Option<(TransactionKey, Bytes, String)>,
    /// The MSRP message of a large message, file transfer or session.
    transfer: Option<Transfer>,
    /// `--password` (as `--auth-user`): answers one 401/407 to the request.
    credentials: Option<DigestCredentials>,
}

impl Client<'_> {
    /// The request, and for an INVITE's 2xx the ACK and (unless `bye` is off) the BYE.
    fn exchange(
        &mut self,
        procedure: &str,
        request: &OutgoingRequest,
        bye: bool,
    ) -> Result<ExitCode, String> {
        let (mut key, mut response) = self.transaction(request.bytes(), request.next_hop())?;
        let mut request = request.clone();
        if let Some(challenge) = response
            .as_ref()
            .filter(|r| matches!(r.status().code(), 401 | 407))
        {
            let Some(credentials) = self.credentials.clone() else {
                println!(
                    "cpm_endpoint: {procedure} answered {} (no --password to answer it)",
                    status_line(&challenge.as_bytes())
                );
                return Ok(ExitCode::FAILURE);
            };
            // RFC 3261 22.2: the same request again, next CSeq, new branch, with the
            // answer; asked once, whatever the realm.
            let given = move |_: &DigestChallenge| Some(credentials.clone());
            let answered = match authorize(&request, challenge, &given, &mut RandomIds::new()) {
                Ok(answered) => answered,
                Err(error) => {
                    println!(
                        "cpm_endpoint: {procedure} answered {}; cannot answer it: {error}",
                        status_line(&challenge.as_bytes())
                    );
                    return Ok(ExitCode::FAILURE);
                }
            };
            println!(
                "   (answering the challenge as {})",
                given_user(&self.credentials)
            );
            (key, response) = self.transaction(answered.bytes(), answered.next_hop())?;
            request = answered;
            if let Some(again) = response
                .as_ref()
                .filter(|r| matches!(r.status().code(), 401 | 407))
            {
                // One answer per request: a second challenge ends the run, and the
                // library says why (refused credentials, or a stale nonce).
                let why = match authorize(&request, again, &given, &mut RandomIds::new()) {
                    Err(error) => error.to_string(),
                    Ok(_) => "challenged again (not answered twice)".to_owned(),
                };
                println!(
                    "cpm_endpoint: {procedure} answered {}; {why}",
                    status_line(&again.as_bytes())
                );
                return Ok(ExitCode::FAILURE);
            }
        }
        let request = &request;
        let Some(response) = response else {
            println!(
                "cpm_endpoint: no answer to the {} in {} s",
                request.method(),
                self.wait.as_secs()
            );
            return Ok(ExitCode::FAILURE);
        };
        let answered = status_line(&response.as_bytes());
        let success = (200..300).contains(&response.status());
        if request.method() != "INVITE" || !success {
            crate::around::answered(&response);
            println!("cpm_endpoint: {procedure} answered {answered}");
            return Ok(exit(success));
        }

        // RFC 3261 13.2.2.4: the 2xx to an INVITE is acknowledged end to end, in the
        // dialog. The library's Dialog builds both, from the INVITE and its 2xx (RFC
        // 3261 12.1.2), and says where they go first: the first Record-Route hop, or
        // the callee's Contact.
        let mut dialog = Dialog::from_answer(request, &response).map_err(|e| e.to_string())?;
        let ids = &mut RandomIds::new();
        let ack = dialog.ack(ids).into_bytes();
        let hop = dialog.next_hop().to_owned();
        self.engine.send_direct(&ack, &hop)?;
        println!("-> {} (next hop {hop})", status_line(&ack));
        self.ack = Some((key, ack, hop.clone()));
        // The content over MSRP, between the ACK and the BYE.
        let sent = self
            .transfer
            .take()
            .map(|transfer| transfer_msrp(request, &response, &transfer));
        if let Some(Err(e)) = &sent {
            eprintln!("cpm_endpoint: {e}");
        }
        let msrp_ok = match &sent {
            None => true,
            Some(Ok(sent)) => sent.report == 200,
            Some(Err(_)) => false,
        };
        if !bye {
            println!("cpm_endpoint: {procedure} answered {answered}");
            print_sent(sent.as_ref());
            return Ok(exit(msrp_ok));
        }
        let bye = dialog.bye(ids);
        println!("   (the BYE goes to next hop {hop})");
        let (_, bye_answer) = self.transaction(bye.bytes(), &hop)?;
        let ended = bye_answer.as_ref().map(|r| status_line(&r.as_bytes()));
        println!(
            "cpm_endpoint: {procedure} answered {answered}; BYE answered {}",
            ended.as_deref().unwrap_or("nothing")
        );
        print_sent(sent.as_ref());
        Ok(exit(
            msrp_ok && bye_answer.is_some_and(|r| (200..300).contains(&r.status())),
        ))
    }

    /// Sends `request` towards `hop` as a client transaction and waits for its final
    /// response, printing the status line of each response. `None` when the
    /// transaction gave up (Timer B or F) or the wait ran out.
    fn transaction(
        &mut self,
        request: Bytes,
        hop: &str,
    ) -> Result<(TransactionKey, Option<IncomingResponse>), String> {
        println!("-> {}", status_line(&request));
        let key = self.engine.send_request(request, hop)?;
        let give_up = Instant::now() + self.wait;
        loop {
            let now = Instant::now();
            if now >= give_up {
                return Ok((key, None));
            }
            let event = match self
                .events
                .recv_timeout((give_up - now).min(Duration::from_millis(100)))
            {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => {
                    if let Some(registration) = &mut self.registration {
                        registration.pump(self.engine)?;
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return Err("the engine stopped".to_owned()),
            };
            if event.key() != key {
                self.other(&event)?;
                continue;
            }
            match event {
                TransactionEvent::Provisional { response, .. } => {
                    println!("<- {}", status_line(&response.as_bytes()));
                }
                TransactionEvent::Final { response, .. } => {
                    println!("<- {}", status_line(&response.as_bytes()));
                    return Ok((key, Some(response)));
                }
                TransactionEvent::Timeout { .. }
                | TransactionEvent::TransportError { .. }
                | TransactionEvent::Terminated { .. } => return Ok((key, None)),
                _ => {}
            }
        }
    }

    /// An event of another transaction: a copy of the INVITE's 2xx gets the ACK again
    /// (the layer passes each up while the INVITE waits in Accepted, RFC 6026 7.2);
    /// the registration takes its own.
    fn other(&mut self, event: &TransactionEvent) -> Result<(), String> {
        if let (TransactionEvent::Final { key, .. }, Some((invite, ack, hop))) = (event, &self.ack)
        {
            if key == invite {
                return self.engine.send_direct(ack, hop);
            }
        }
        if let Some(registration) = &mut self.registration {
            registration.on_event(self.engine, event)?;
        }
        Ok(())
    }
}

/// Sends the transfer's message over the MSRP session the INVITE's offer and its 2xx's
/// answer set up.
fn transfer_msrp(
    invite: &OutgoingRequest,
    answer: &IncomingResponse,
    transfer: &Transfer,
) -> Result<msrp::Sent, String> {
    let offer = Sdp::parse(invite.body()).map_err(|e| format!("our SDP offer: {e}"))?;
    let answered = Sdp::parse(answer.body()).map_err(|e| format!("the SDP answer: {e}"))?;
    let (Some(local), Some(remote)) = (offer.msrp(), answered.msrp()) else {
        return Err("no MSRP media in the SDP offer or answer".to_owned());
    };
    let negotiated = NegotiatedMsrp::from_media(&local, &remote, true)
        .ok_or("the SDP answer has no MSRP path")?;
    msrp::send(
        &negotiated,
        &transfer.accepted,
        transfer.message.clone(),
        transfer.awaiting.as_deref(),
    )
}

/// `msrp sent bytes=<n> sha256=<hex> report=<code>`, for a transfer that got its REPORT.
fn print_sent(sent: Option<&Result<msrp::Sent, String>>) {
    if let Some(Ok(sent)) = sent {
        msrp::print_line(&format!(
            "msrp sent bytes={} sha256={} report={}",
            sent.bytes, sent.sha256, sent.report
        ));
    }
}
