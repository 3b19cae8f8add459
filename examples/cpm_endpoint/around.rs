//! What the endpoint does around each message (OMA CPM 7.2.1.1 / 7.2.2.1): it answers
//! the pager messages that ask for a delivery notification with an IMDN `delivered`
//! (RFC 5438 section 7.2.1.1; off with `--no-imdn`), prints the notifications
//! (`imdn delivered message-id=<id> status=delivered`) and is-composing indications
//! (RFC 3994: `is-composing active`) it receives, takes plain RFC 3428 MESSAGEs with
//! `--accept-plain`, asks for notifications with `--send pager --imdn
//! delivery,display`, sends a pager message bare to a plain peer with `--send pager
//! --plain`, and queries a peer's capabilities with `--send options`.
//!
//! The handlers run inside the dispatcher, while the engine holds its lock; an IMDN
//! they build is set aside on the thread ([`take_built`]), [`crate::answer`] hands it
//! on with the source address of the request, and a thread of this module sends it
//! through the engine's transaction layer once the 200 is out (towards the source
//! address: over TCP on the connection the request came on, which the engine keeps by
//! address).

use std::cell::RefCell;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use cpm_client::cpim::{Disposition, DispositionNotification};
use cpm_client::imdn::{DeliveryStatus, ImdnStatus};
use cpm_client::outgoing::{
    accepts_cpim, CapabilityQuery, Content, OutgoingRequest, Pager, PeerCapabilities, RandomIds,
};
use cpm_client::sip::IncomingResponse;
use cpm_client::transaction::{TransactionEvent, TransactionKey};
use cpm_client::{
    ClientConfig, ComposingHandler, ComposingReceived, Decision, ImdnReceived, NotificationHandler,
    PagerHandler, PagerMessage, PlainMessage, PlainMessageHandler,
};

use crate::transport::{Engine, Listener, Stats};
use crate::{status_line, Args, Endpoint, Log};

/// How long `--send pager --imdn ...` waits for the first notification.
pub const NOTIFICATION_WAIT: Duration = Duration::from_secs(5);

/// How long the receiving role waits, at its end, for the answers to the IMDNs it sent.
const SETTLE_WAIT: Duration = Duration::from_secs(5);

/// How long the receiving role waits, at its very end, for the peers to close the TCP
/// connections they opened (SIPp still pausing after the IMDN it answered).
pub const LINGER: Duration = Duration::from_secs(5);

thread_local! {
    /// The IMDNs the handlers built while dispatching the current request.
    static BUILT: RefCell<Vec<Bytes>> = const { RefCell::new(Vec::new()) };
}

/// Where [`send_later`] puts the IMDNs for the sending thread.
static OUTBOX: OnceLock<Mutex<Sender<(Bytes, SocketAddr)>>> = OnceLock::new();

/// The client transactions of the IMDNs sent and not yet ended.
static IN_FLIGHT: Mutex<Option<HashSet<TransactionKey>>> = Mutex::new(None);

/// The notifications received so far, and a condition to wait for the next.
static NOTIFIED: (Mutex<u64>, Condvar) = (Mutex::new(0), Condvar::new());

/// `--imdn`, for the pager builder of the sending role.
static ASKED: OnceLock<DispositionNotification<'static>> = OnceLock::new();

/// `--plain`: the pager message goes without CPIM.
static PLAIN: AtomicBool = AtomicBool::new(false);

/// The final answer to the request the sending role sent last, for [`bare_again`].
static LAST_FINAL: Mutex<Option<IncomingResponse>> = Mutex::new(None);

/// Reads `--imdn delivery,display` (also `negative-delivery`, `processing`).
pub fn parse_dispositions(list: &str) -> Result<DispositionNotification<'static>, String> {
    let mut dispositions = Vec::new();
    for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        dispositions.push(match item {
            "delivery" | "positive-delivery" => Disposition::PositiveDelivery,
            "negative-delivery" => Disposition::NegativeDelivery,
            "display" => Disposition::Display,
            "processing" => Disposition::Processing,
            other => {
                return Err(format!(
                    "--imdn: `{other}` is not delivery, negative-delivery, display or processing"
                ))
            }
        });
    }
    if dispositions.is_empty() {
        return Err("--imdn needs at least one of delivery, display, processing".to_owned());
    }
    Ok(DispositionNotification::of(&dispositions))
}

/// Remembers what `--imdn` asks for, for [`asking`].
pub fn ask(disposition: DispositionNotification<'static>) {
    let _ = ASKED.set(disposition);
}

/// What `--imdn` asks for, if given (a chat message of `--send session` asks it too).
pub fn asked() -> Option<DispositionNotification<'static>> {
    ASKED.get().cloned()
}

/// Remembers `--plain`, for [`asking`].
pub fn send_plain() {
    PLAIN.store(true, Ordering::SeqCst);
}

/// The pager builder with the `imdn.Disposition-Notification` of `--imdn`, if given,
/// and without CPIM with `--plain` (RFC 3428: the body is the text itself).
pub fn asking(pager: Pager) -> Pager {
    let pager = match ASKED.get() {
        Some(disposition) => pager.disposition(disposition.clone()),
        None => pager,
    };
    if PLAIN.load(Ordering::SeqCst) {
        pager.without_cpim()
    } else {
        pager
    }
}

/// Registers this module's handlers on the dispatcher being built.
pub fn handlers(
    builder: cpm_client::DispatcherBuilder,
    args: &Args,
    log: Log,
) -> cpm_client::DispatcherBuilder {
    let builder = builder.notifications(log).composing(log);
    if args.accept_plain {
        builder.plain_messages(log)
    } else {
        builder
    }
}

/// The pager handler: prints like [`Log`], and builds the IMDN `delivered` a message
/// asks for.
pub struct Delivering {
    pub log: Log,
    pub config: ClientConfig,
}

impl PagerHandler for Delivering {
    fn pager_message(&self, message: &PagerMessage<'_>) -> Decision {
        let decision = self.log.pager_message(message);
        if message.asks_for(Disposition::PositiveDelivery) {
            let status = ImdnStatus::Delivery(DeliveryStatus::Delivered);
            let built = message
                .notification(status, SystemTime::now())
                .and_then(|n| n.build(&self.config, &mut RandomIds::new()));
            match built {
                Ok(request) => BUILT.with(|b| b.borrow_mut().push(request.into_bytes())),
                Err(e) => eprintln!("cpm_endpoint: no IMDN: {e}"),
            }
        }
        decision
    }
}

/// Remembers the final answer to the request sent, for [`bare_again`].
pub fn answered(response: &IncomingResponse) {
    *LAST_FINAL.lock().unwrap_or_else(PoisonError::into_inner) = Some(response.clone());
}

/// After a pager message in CPIM answered 415 with an Accept that lacks
/// `message/cpim` (the library's `accepts_cpim` says `Some(false)`; RFC 3261 21.4.18
/// makes a 415 carry Accept), the same text again, bare (`Pager::without_cpim`, RFC
/// 3428): a plain peer such as baresip takes it. `None` when that does not apply
/// (another answer, no Accept, or `--plain` already).
pub fn bare_again(
    procedure: &str,
    config: &ClientConfig,
    to: &str,
    text: &str,
) -> Result<Option<OutgoingRequest>, String> {
    let last = LAST_FINAL
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    let Some(response) = last else {
        return Ok(None);
    };
    if procedure != "pager"
        || PLAIN.load(Ordering::SeqCst)
        || response.status() != 415
        || accepts_cpim(&response) != Some(false)
    {
        return Ok(None);
    }
    println!("cpm_endpoint: the peer takes no message/cpim: sending the text bare");
    Pager::new(to, Content::text(text), SystemTime::now())
        .without_cpim()
        .build(config, &mut RandomIds::new())
        .map_err(|e| e.to_string())?
        .into_pager()
        .map(Some)
        .ok_or_else(|| "--text is too large for a pager-mode MESSAGE".to_owned())
}

/// The IMDNs built while the current request was dispatched (on this thread).
pub fn take_built() -> Vec<Bytes> {
    BUILT.with(|b| std::mem::take(&mut *b.borrow_mut()))
}

/// Hands `request` to the sending thread, for `source`.
pub fn send_later(request: Bytes, source: SocketAddr) {
    match OUTBOX.get() {
        Some(outbox) => {
            let outbox = outbox.lock().unwrap_or_else(PoisonError::into_inner);
            let _ = outbox.send((request, source));
        }
        None => eprintln!("cpm_endpoint: no IMDN sender running"),
    }
}

/// Starts the thread that sends the IMDNs through `engine`.
pub fn start_sending(engine: &Arc<Engine>) {
    let (sender, receiver) = mpsc::channel::<(Bytes, SocketAddr)>();
    if OUTBOX.set(Mutex::new(sender)).is_err() {
        return;
    }
    let engine = Arc::clone(engine);
    std::thread::spawn(move || {
        for (request, source) in receiver {
            let line = status_line(&request);
            match engine.send_request(request, &format!("sip:{source}")) {
                Ok(key) => {
                    IN_FLIGHT
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .get_or_insert_with(HashSet::new)
                        .insert(key);
                    println!("-> {line} (IMDN delivered, to {source})");
                }
                Err(e) => eprintln!("cpm_endpoint: IMDN to {source}: {e}"),
            }
        }
    });
}

/// Follows the events of the IMDNs' client transactions: one ends on its final answer,
/// a timeout or a transport error.
pub fn on_event(event: &TransactionEvent) {
    let ended = match event {
        TransactionEvent::Final { response, .. } => {
            println!("<- {} (IMDN)", status_line(&response.as_bytes()));
            true
        }
        TransactionEvent::Timeout { .. }
        | TransactionEvent::TransportError { .. }
        | TransactionEvent::Terminated { .. } => true,
        _ => false,
    };
    if ended {
        if let Some(keys) = IN_FLIGHT
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            keys.remove(&event.key());
        }
    }
}

/// Waits (up to a few seconds) until the IMDNs sent have their answers, reading the
/// engine's events meanwhile.
pub fn settle(events: &Receiver<TransactionEvent>) {
    let give_up = Instant::now() + SETTLE_WAIT;
    loop {
        let empty = IN_FLIGHT
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map_or(true, HashSet::is_empty);
        if empty || Instant::now() >= give_up {
            return;
        }
        if let Ok(event) = events.recv_timeout(Duration::from_millis(20)) {
            on_event(&event);
        }
    }
}

/// Waits up to `wait` for a notification (counted since the start): whether one came.
pub fn wait_notification(wait: Duration) -> bool {
    let (count, arrived) = &NOTIFIED;
    let count = count.lock().unwrap_or_else(PoisonError::into_inner);
    let (count, _) = arrived
        .wait_timeout_while(count, wait, |n| *n == 0)
        .unwrap_or_else(PoisonError::into_inner);
    let came = *count > 0;
    drop(count);
    if came {
        // The handler counted it while the engine was answering it: give the 200 the
        // time to go out before the process ends.
        std::thread::sleep(Duration::from_millis(200));
    }
    came
}

impl NotificationHandler for Log {
    fn notification(&self, notification: &ImdnReceived<'_>) -> Decision {
        println!(
            "{}",
            crate::chat::imdn_line(notification.status(), notification.notified_message_id())
        );
        let (count, arrived) = &NOTIFIED;
        *count.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        arrived.notify_all();
        Decision::accept()
    }
}

impl ComposingHandler for Log {
    fn is_composing(&self, indication: &ComposingReceived<'_>) -> Decision {
        println!("{}", crate::chat::composing_line(indication.state()));
        Decision::accept()
    }
}

impl PlainMessageHandler for Log {
    fn plain_message(&self, message: &PlainMessage<'_>) -> Decision {
        let content = message.content_type().map(|t| t.essence()).unwrap_or("-");
        // A text body is shown too (escaped like a Rust string: one line, quoted).
        let shown = if content.eq_ignore_ascii_case("text/plain") {
            format!(" text={:?}", String::from_utf8_lossy(message.body()))
        } else {
            String::new()
        };
        self.summary(message, &format!(" content={content} (plain){shown}"));
        Decision::accept()
    }
}

/// `--send options --to URI`: an OPTIONS built by the library's [`CapabilityQuery`],
/// run as a client transaction; for a 2xx, the services the peer names
/// ([`PeerCapabilities`]) on one line.
pub fn query(args: &Args) -> Result<ExitCode, String> {
    let to = args.to.as_deref().unwrap_or_default();
    let listener = Listener::bind(args.transport, args.port.unwrap_or(0))?;
    let local = listener.local_addr();
    let endpoint = Endpoint::start(args, local)?;
    let engine = Engine::start(
        listener,
        Arc::clone(&endpoint.dispatcher),
        Arc::new(Stats::default()),
        args.quiet,
    )?;
    let events = engine.subscribe();
    let request = CapabilityQuery::new(to)
        .build(&endpoint.config, &mut RandomIds::new())
        .map_err(|e| e.to_string())?;
    println!("-> {}", status_line(request.as_bytes()));
    let key = engine.send_request(request.bytes(), request.next_hop())?;
    let wait = Duration::from_secs(args.seconds.unwrap_or(32).min(32));
    let give_up = Instant::now() + wait;
    let response = loop {
        let left = give_up.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break None;
        }
        match events.recv_timeout(left) {
            Ok(TransactionEvent::Final {
                key: k, response, ..
            }) if k == key => break Some(response),
            Ok(
                TransactionEvent::Timeout { key: k, .. }
                | TransactionEvent::TransportError { key: k },
            ) if k == key => break None,
            Ok(_) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Err("the engine stopped".to_owned()),
        }
    };
    let Some(response) = response else {
        println!("cpm_endpoint: no answer to the OPTIONS");
        return Ok(ExitCode::FAILURE);
    };
    println!("<- {}", status_line(&response.as_bytes()));
    if !(200..300).contains(&response.status()) {
        return Ok(ExitCode::FAILURE);
    }
    let peer = PeerCapabilities::of_response(&response);
    let or_none = |s: String| if s.is_empty() { "-".to_owned() } else { s };
    println!(
        "cpm_endpoint: peer services {} other-icsis={} iaris={}",
        or_none(peer.services.to_string()),
        or_none(peer.other_icsis.join(",")),
        or_none(peer.iaris.join(",")),
    );
    Ok(ExitCode::SUCCESS)
}
