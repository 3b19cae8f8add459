//! Transactions over a lossy UDP network: two endpoints, each a `TransactionLayer` and
//! a `Dispatcher`, talk through an in-memory channel that drops 30% of the datagrams,
//! duplicates some and delays each by its own amount (so they overtake one another),
//! all drawn from a fixed seed. Time is virtual: the loop jumps to the next instant
//! anything happens (a datagram lands, a timer of either layer fires), so the 32 s of
//! RFC 3261 timers pass in a few milliseconds.
//!
//! Alice sends pager MESSAGEs and session INVITEs to Bob and ACKs every 2xx she gets
//! (the ACK of a 2xx belongs to the dialog: `Dialog::from_answer(..).ack(..)`, sent
//! again for each copy of the 2xx). The test checks that every request completes
//! (Alice sees its 2xx), that Bob's handlers are called exactly once per request
//! whatever the copies, that no transaction times out, and that both layers are empty
//! with no timer left once the network is quiet.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use cpm_client::outgoing::{
    ClientConfig, ContactAddress, Content, Dialog, MsrpEndpoint, OutgoingRequest, Pager,
    SequentialIds, Session, Transport,
};
use cpm_client::sip::IncomingResponse;
use cpm_client::transaction::{
    Inbound, TransactionConfig, TransactionEvent, TransactionKey, TransactionLayer,
};
use cpm_client::{
    Decision, Dispatcher, PagerHandler, PagerMessage, SessionHandler, SessionInvitation,
};

const SEED: u64 = 0x5eed_2026_0417;
const PAGER_MESSAGES: usize = 40;
const SESSIONS: usize = 15;
/// Per mille of datagrams lost, and of those delivered that arrive twice.
const LOSS: u64 = 300;
const DUPLICATION: u64 = 100;
/// Each copy of a datagram lands 5 to 124 ms after it was sent.
const MIN_DELAY_MS: u64 = 5;
const DELAY_SPREAD_MS: u64 = 120;

/// SplitMix64: small, deterministic, good enough to draw losses and delays.
struct Prng(u64);

impl Prng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// True `per_mille` times in a thousand.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Side {
    Alice,
    Bob,
}

impl Side {
    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Default)]
struct Figures {
    datagrams: usize,
    dropped: usize,
    duplicated: usize,
    retransmissions: usize,
    ack_copies: usize,
    absorbed: usize,
}

/// The in-memory UDP channel.
struct Network {
    rng: Prng,
    /// Datagrams in flight, by landing time and then sending order.
    in_flight: BTreeMap<(Instant, u64), (Side, Side, Bytes)>,
    sent: u64,
    figures: Figures,
}

impl Network {
    fn send(&mut self, now: Instant, from: Side, to: Side, bytes: Bytes) {
        self.figures.datagrams += 1;
        if self.rng.chance(LOSS) {
            self.figures.dropped += 1;
            return;
        }
        let copies = if self.rng.chance(DUPLICATION) {
            self.figures.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let delay = MIN_DELAY_MS + self.rng.next() % DELAY_SPREAD_MS;
            self.sent += 1;
            self.in_flight.insert(
                (now + Duration::from_millis(delay), self.sent),
                (from, to, bytes.clone()),
            );
        }
    }

    fn next_landing(&self) -> Option<Instant> {
        self.in_flight.keys().next().map(|(at, _)| *at)
    }

    fn land(&mut self, now: Instant) -> Option<(Side, Side, Bytes)> {
        let (&(at, seq), _) = self.in_flight.iter().next()?;
        (at <= now).then(|| self.in_flight.remove(&(at, seq)))?
    }
}

struct Counter(Arc<AtomicUsize>);

impl PagerHandler for Counter {
    fn pager_message(&self, _: &PagerMessage<'_>) -> Decision {
        self.0.fetch_add(1, Ordering::SeqCst);
        Decision::accept()
    }
}

impl SessionHandler for Counter {
    fn session_invitation(&self, _: &SessionInvitation<'_>) -> Decision {
        self.0.fetch_add(1, Ordering::SeqCst);
        Decision::accept()
    }
}

struct Endpoint {
    layer: TransactionLayer<Side>,
    dispatcher: Dispatcher,
    pager_calls: Arc<AtomicUsize>,
    session_calls: Arc<AtomicUsize>,
}

impl Endpoint {
    fn new(config: ClientConfig) -> Endpoint {
        let pager_calls = Arc::new(AtomicUsize::new(0));
        let session_calls = Arc::new(AtomicUsize::new(0));
        Endpoint {
            layer: TransactionLayer::new(TransactionConfig::new()),
            dispatcher: Dispatcher::builder()
                .client(config)
                .pager(Counter(Arc::clone(&pager_calls)))
                .session(Counter(Arc::clone(&session_calls)))
                .build(),
            pager_calls,
            session_calls,
        }
    }
}

fn config(identity: &str, host: &str) -> ClientConfig {
    ClientConfig::new(
        identity,
        ContactAddress::new(host, 5060, Transport::Udp).unwrap(),
    )
    .unwrap()
    .with_msrp(MsrpEndpoint::new().with_port(2855))
}

/// What Alice's application keeps about her requests.
#[derive(Default)]
struct Alice {
    invites: HashMap<TransactionKey, OutgoingRequest>,
    /// The ACK of each 2xx (by transaction and To tag), sent again for its copies.
    acks: HashMap<(TransactionKey, Vec<u8>), Bytes>,
    completed: BTreeSet<TransactionKey>,
    failures: Vec<String>,
}

#[test]
fn every_request_completes_once_through_a_lossy_network() {
    let t0 = Instant::now();
    let mut now = t0;
    let alice_config = config("sip:+15550100001@ims.example.net", "192.0.2.10");
    let bob_config = config("sip:+15550100002@ims.example.net", "192.0.2.20");
    let mut ends = [
        Endpoint::new(alice_config.clone()),
        Endpoint::new(bob_config),
    ];
    let mut net = Network {
        rng: Prng(SEED),
        in_flight: BTreeMap::new(),
        sent: 0,
        figures: Figures::default(),
    };
    let mut alice = Alice::default();
    let mut ids = SequentialIds::new(1);
    let bob_uri = "sip:+15550100002@ims.example.net";

    // Alice's requests, all started at t0.
    let mut clients = Vec::new();
    for n in 0..PAGER_MESSAGES {
        let message = Pager::new(
            bob_uri,
            Content::text(&format!("message {n}")),
            SystemTime::UNIX_EPOCH,
        )
        .build(&alice_config, &mut ids)
        .unwrap()
        .into_pager()
        .unwrap();
        let key = ends[0]
            .layer
            .send_request(message.bytes(), Transport::Udp, Side::Bob, now)
            .unwrap();
        clients.push(key);
    }
    for _ in 0..SESSIONS {
        let invite = Session::one_to_one(bob_uri)
            .build(&alice_config, &mut ids)
            .unwrap();
        let key = ends[0]
            .layer
            .send_request(invite.bytes(), Transport::Udp, Side::Bob, now)
            .unwrap();
        alice.invites.insert(key, invite);
        clients.push(key);
    }

    let mut steps = 0;
    loop {
        steps += 1;
        assert!(steps < 100_000, "the run does not settle");
        // Everything the layers want sent goes on the network; events are acted on
        // (an ACK sent for a 2xx goes straight on the network too).
        for side in [Side::Alice, Side::Bob] {
            let end = &mut ends[side.index()];
            while let Some(transmit) = end.layer.poll_transmit() {
                net.figures.retransmissions += usize::from(transmit.retransmission);
                net.send(now, side, transmit.destination, transmit.bytes);
            }
            while let Some(event) = end.layer.poll_event() {
                match (side, event) {
                    (
                        Side::Alice,
                        TransactionEvent::Final {
                            key,
                            response,
                            repeated,
                        },
                    ) => {
                        alice_final(&mut alice, &mut net, &mut ids, now, key, response, repeated);
                    }
                    (_, TransactionEvent::Timeout { key, kind }) => {
                        alice
                            .failures
                            .push(format!("{side:?} {key}: timeout {kind:?}"));
                    }
                    (_, TransactionEvent::TransportError { key }) => {
                        alice
                            .failures
                            .push(format!("{side:?} {key}: transport error"));
                    }
                    _ => {}
                }
            }
        }
        let next = [
            net.next_landing(),
            ends[0].layer.poll_timeout(),
            ends[1].layer.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else { break };
        now = now.max(next);
        while let Some((from, to, bytes)) = net.land(now) {
            let end = &mut ends[to.index()];
            match end.layer.handle_incoming(bytes, Transport::Udp, from, now) {
                Inbound::Request { key, request } => {
                    let mut outcome = end.dispatcher.dispatch(request.as_bytes());
                    let response = outcome
                        .take_response()
                        .expect("the dispatcher answers at once");
                    end.layer.respond(key, response.into_bytes(), now).unwrap();
                }
                Inbound::Ack { request, .. } => {
                    // The dialog's ACK: the dispatcher hears of it (no dialog handler
                    // here, so it stays unanswered).
                    let outcome = end.dispatcher.dispatch(request.as_bytes());
                    assert!(outcome.response().is_none());
                }
                Inbound::Retransmission { .. } => net.figures.absorbed += 1,
                Inbound::Response { .. } | Inbound::Absorbed { .. } | Inbound::Stray(_) => {}
                other => panic!("unexpected at {to:?}: {other:?}"),
            }
        }
        for end in &mut ends {
            if end.layer.poll_timeout().is_some_and(|at| at <= now) {
                end.layer.handle_timeout(now);
            }
        }
    }

    let bob = &ends[1];
    let pager_calls = bob.pager_calls.load(Ordering::SeqCst);
    let session_calls = bob.session_calls.load(Ordering::SeqCst);
    let duplicate_calls = (pager_calls + session_calls).saturating_sub(PAGER_MESSAGES + SESSIONS);
    let f = &net.figures;
    eprintln!(
        "loss test (seed {SEED:#x}, {}% loss, {}% duplication, virtual {:.1} s): \
         {} messages ({PAGER_MESSAGES} MESSAGE, {SESSIONS} INVITE), {} datagrams sent, \
         {} dropped, {} duplicated, {} retransmissions by the layers, {} ACKs resent for \
         2xx copies, {} request copies absorbed, {duplicate_calls} duplicate handler calls",
        LOSS / 10,
        DUPLICATION / 10,
        (now - t0).as_secs_f64(),
        PAGER_MESSAGES + SESSIONS,
        f.datagrams,
        f.dropped,
        f.duplicated,
        f.retransmissions,
        f.ack_copies,
        f.absorbed,
    );

    assert!(alice.failures.is_empty(), "{:?}", alice.failures);
    let expected: BTreeSet<TransactionKey> = clients.iter().copied().collect();
    assert_eq!(alice.completed, expected, "every request got its 2xx");
    assert_eq!(
        pager_calls, PAGER_MESSAGES,
        "the pager handler, once per MESSAGE"
    );
    assert_eq!(
        session_calls, SESSIONS,
        "the session handler, once per INVITE"
    );
    assert_eq!(duplicate_calls, 0);
    assert_eq!(ends[0].pager_calls.load(Ordering::SeqCst), 0);
    assert_eq!(ends[0].session_calls.load(Ordering::SeqCst), 0);
    for end in &ends {
        assert!(end.layer.is_empty(), "transactions left: {:?}", end.layer);
        assert_eq!(end.layer.poll_timeout(), None);
    }
    assert!(net.in_flight.is_empty());
    // The network did get in the way.
    assert!(f.dropped > 0 && f.duplicated > 0 && f.retransmissions > 0 && f.absorbed > 0);
}

/// Alice's application on a final response: a 2xx completes the request; the 2xx of an
/// INVITE is ACKed (the same ACK for every copy of one 2xx).
fn alice_final(
    alice: &mut Alice,
    net: &mut Network,
    ids: &mut SequentialIds,
    now: Instant,
    key: TransactionKey,
    response: IncomingResponse,
    repeated: bool,
) {
    if !response.status().is_success() {
        alice.failures.push(format!("{key}: {}", response.status()));
        return;
    }
    if !repeated {
        assert!(alice.completed.insert(key), "{key}: a second new 2xx");
    }
    let Some(invite) = alice.invites.get(&key) else {
        assert!(!repeated, "a MESSAGE's final comes once");
        return;
    };
    let to_tag = response
        .header("To")
        .and_then(|to| cpm_client::sip::NameAddr::parse(to.value()))
        .and_then(|to| to.tag().map(<[u8]>::to_vec))
        .expect("a 2xx has a To tag");
    let ack = alice
        .acks
        .entry((key, to_tag))
        .or_insert_with(|| {
            let dialog = Dialog::from_answer(invite, &response).expect("a 2xx sets up a dialog");
            dialog.ack(ids).bytes()
        })
        .clone();
    if repeated {
        net.figures.ack_copies += 1;
    }
    net.send(now, Side::Alice, Side::Bob, ack);
}
