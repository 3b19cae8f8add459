//! The four machines, each timer, each matching rule and CANCEL, driven through the
//! layer with instants fed by hand (no clock is read, nothing sleeps).

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::*;
use crate::sip::{IncomingRequest, Method, Transport};

type Layer = TransactionLayer<&'static str>;

fn layer() -> Layer {
    TransactionLayer::new(TransactionConfig::new())
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A request from Alice (sent-by `sent_by`), with two Route headers.
fn request_from(method: &str, branch: &str, sent_by: &str, cseq: u32) -> Bytes {
    Bytes::from(format!(
        "{method} sip:bob@192.0.2.20:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {sent_by};branch={branch}\r\n\
         Max-Forwards: 70\r\n\
         Route: <sip:p1.example.net;lr>\r\n\
         Route: <sip:p2.example.net;lr>\r\n\
         From: \"Alice\" <sip:alice@example.net>;tag=a1\r\n\
         To: <sip:bob@example.net>\r\n\
         Call-ID: call-1@192.0.2.10\r\n\
         CSeq: {cseq} {method}\r\n\
         Contact: <sip:alice@192.0.2.10:5060>\r\n\
         Content-Length: 0\r\n\r\n"
    ))
}

fn request(method: &str, branch: &str) -> Bytes {
    request_from(method, branch, "192.0.2.10:5060", 1)
}

/// An INVITE that came through a proxy: two Vias.
fn invite_two_vias(branch: &str) -> Bytes {
    Bytes::from(format!(
        "INVITE sip:bob@192.0.2.20:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.10:5060;branch={branch}\r\n\
         Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-below\r\n\
         Max-Forwards: 70\r\n\
         Route: <sip:p1.example.net;lr>\r\n\
         Route: <sip:p2.example.net;lr>\r\n\
         From: \"Alice\" <sip:alice@example.net>;tag=a1\r\n\
         To: <sip:bob@example.net>\r\n\
         Call-ID: call-1@192.0.2.10\r\n\
         CSeq: 1 INVITE\r\n\
         Content-Length: 0\r\n\r\n"
    ))
}

/// The response `status` to `request`, as a peer writes it: Vias, From, To (with
/// `to_tag`), Call-ID, CSeq copied.
fn answer(request: &Bytes, status: u16, to_tag: Option<&str>) -> Bytes {
    let request = IncomingRequest::parse(request.clone()).unwrap();
    let text = |v: &[u8]| String::from_utf8(v.to_vec()).unwrap();
    let mut out = format!("SIP/2.0 {status} Whatever\r\n");
    for via in request.header_values("Via") {
        out.push_str(&format!("Via: {}\r\n", text(via)));
    }
    out.push_str(&format!(
        "From: {}\r\n",
        text(request.header("From").unwrap().value())
    ));
    let to = text(request.header("To").unwrap().value());
    match to_tag {
        Some(tag) => out.push_str(&format!("To: {to};tag={tag}\r\n")),
        None => out.push_str(&format!("To: {to}\r\n")),
    }
    out.push_str(&format!(
        "Call-ID: {}\r\nCSeq: {}\r\n",
        text(request.header("Call-ID").unwrap().value()),
        text(request.header("CSeq").unwrap().value())
    ));
    out.push_str("Contact: <sip:bob@192.0.2.20:5060>\r\nContent-Length: 0\r\n\r\n");
    Bytes::from(out)
}

/// The ACK Alice's dialog sends for a 2xx: a branch of its own.
fn dialog_ack(branch: &str, to_tag: &str) -> Bytes {
    Bytes::from(format!(
        "ACK sip:bob@192.0.2.20:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.10:5060;branch={branch}\r\n\
         Max-Forwards: 70\r\n\
         From: \"Alice\" <sip:alice@example.net>;tag=a1\r\n\
         To: <sip:bob@example.net>;tag={to_tag}\r\n\
         Call-ID: call-1@192.0.2.10\r\n\
         CSeq: 1 ACK\r\n\
         Content-Length: 0\r\n\r\n"
    ))
}

fn transmits(layer: &mut Layer) -> Vec<Transmit<&'static str>> {
    std::iter::from_fn(|| layer.poll_transmit()).collect()
}

fn events(layer: &mut Layer) -> Vec<TransactionEvent> {
    std::iter::from_fn(|| layer.poll_event()).collect()
}

fn text(bytes: &Bytes) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The status of a response the layer sent.
fn status_of(transmit: &Transmit<&str>) -> u16 {
    IncomingResponse::parse(transmit.bytes.clone())
        .unwrap()
        .status()
        .code()
}

fn is_terminated(event: &TransactionEvent, key: TransactionKey) -> bool {
    matches!(event, TransactionEvent::Terminated { key: k } if *k == key)
}

/// Fires the timer at `t0 + at` after checking that it is the next one.
fn fire_at(layer: &mut Layer, t0: Instant, at: Duration) {
    assert_eq!(layer.poll_timeout(), Some(t0 + at), "next timer");
    layer.handle_timeout(t0 + at);
}

// ---------------------------------------------------------------------------------
// Client INVITE
// ---------------------------------------------------------------------------------

#[test]
fn client_invite_timer_a_doubles_and_timer_b_gives_up() {
    let t0 = Instant::now();
    let mut layer = layer();
    let invite = request("INVITE", "z9hG4bK-a");
    let key = layer
        .send_request(invite.clone(), Transport::Udp, "bob", t0)
        .unwrap();
    let first = transmits(&mut layer);
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].key, first[0].destination, first[0].retransmission),
        (key, "bob", false)
    );
    assert_eq!(first[0].bytes, invite);
    assert_eq!(layer.state(key), Some(TransactionState::Calling));
    // Timer A: T1, 2*T1, 4*T1, ... with no cap for an INVITE.
    for at in [500, 1_500, 3_500, 7_500, 15_500, 31_500] {
        fire_at(&mut layer, t0, ms(at));
        let sent = transmits(&mut layer);
        assert_eq!(sent.len(), 1, "at {at} ms");
        assert!(sent[0].retransmission);
        assert_eq!(sent[0].bytes, invite);
    }
    // Timer B (64*T1) before the next Timer A (63.5 s).
    fire_at(&mut layer, t0, ms(32_000));
    assert!(transmits(&mut layer).is_empty());
    let ev = events(&mut layer);
    assert!(matches!(
        ev[0],
        TransactionEvent::Timeout { key: k, kind: TimeoutKind::TimerB } if k == key
    ));
    assert!(is_terminated(&ev[1], key));
    assert_eq!(ev.len(), 2);
    assert!(layer.is_empty() && layer.poll_timeout().is_none());
}

#[test]
fn client_invite_over_tcp_is_sent_once_and_timer_b_still_runs() {
    let t0 = Instant::now();
    let mut layer = layer();
    let key = layer
        .send_request(request("INVITE", "z9hG4bK-t"), Transport::Tcp, "bob", t0)
        .unwrap();
    assert_eq!(transmits(&mut layer)[0].transport, Transport::Tcp);
    fire_at(&mut layer, t0, ms(32_000));
    assert!(transmits(&mut layer).is_empty());
    assert!(matches!(
        events(&mut layer)[0],
        TransactionEvent::Timeout { key: k, kind: TimeoutKind::TimerB } if k == key
    ));
}

#[test]
fn client_invite_provisional_stops_timer_a_and_every_one_goes_up() {
    let t0 = Instant::now();
    let mut layer = layer();
    let invite = request("INVITE", "z9hG4bK-p");
    let key = layer
        .send_request(invite.clone(), Transport::Udp, "bob", t0)
        .unwrap();
    transmits(&mut layer);
    let ringing = answer(&invite, 180, Some("b1"));
    assert!(matches!(
        layer.handle_incoming(ringing.clone(), Transport::Udp, "bob", t0 + ms(100)),
        Inbound::Response { key: k } if k == key
    ));
    assert_eq!(layer.state(key), Some(TransactionState::Proceeding));
    // No Timer A, no Timer B in Proceeding: the application cancels if it wants.
    assert_eq!(layer.poll_timeout(), None);
    layer.handle_incoming(ringing, Transport::Udp, "bob", t0 + ms(200));
    let ev = events(&mut layer);
    assert_eq!(ev.len(), 2);
    assert!(ev.iter().all(
        |e| matches!(e, TransactionEvent::Provisional { response, .. } if response.status() == 180)
    ));
}

#[test]
fn client_invite_non_2xx_is_acked_by_the_layer_as_rfc_3261_17_1_1_3_says() {
    let t0 = Instant::now();
    let mut layer = layer();
    let invite = invite_two_vias("z9hG4bK-n");
    let key = layer
        .send_request(invite.clone(), Transport::Udp, "bob", t0)
        .unwrap();
    transmits(&mut layer);
    let busy = answer(&invite, 486, Some("b9"));
    layer.handle_incoming(busy.clone(), Transport::Udp, "bob", t0 + ms(300));
    let sent = transmits(&mut layer);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        text(&sent[0].bytes),
        "ACK sip:bob@192.0.2.20:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-n\r\n\
         Max-Forwards: 70\r\n\
         Route: <sip:p1.example.net;lr>\r\n\
         Route: <sip:p2.example.net;lr>\r\n\
         From: \"Alice\" <sip:alice@example.net>;tag=a1\r\n\
         To: <sip:bob@example.net>;tag=b9\r\n\
         Call-ID: call-1@192.0.2.10\r\n\
         CSeq: 1 ACK\r\n\
         Content-Length: 0\r\n\r\n"
    );
    assert_eq!(
        (sent[0].destination, sent[0].retransmission),
        ("bob", false)
    );
    let ev = events(&mut layer);
    assert!(matches!(
        &ev[..],
        [TransactionEvent::Final { key: k, response, repeated: false }] if *k == key && response.status() == 486
    ));
    assert_eq!(layer.state(key), Some(TransactionState::Completed));
    // Each copy of the 486: the same ACK again, nothing to the application.
    for n in 1..=2 {
        let inbound = layer.handle_incoming(busy.clone(), Transport::Udp, "bob", t0 + ms(300 + n));
        assert!(matches!(inbound, Inbound::Response { .. }));
        let again = transmits(&mut layer);
        assert_eq!(again.len(), 1);
        assert!(again[0].retransmission);
        assert_eq!(again[0].bytes, sent[0].bytes);
        assert!(events(&mut layer).is_empty());
    }
    // Timer D: 32 s over UDP.
    fire_at(&mut layer, t0, ms(32_300));
    assert!(is_terminated(&events(&mut layer)[0], key));
    assert!(layer.is_empty());
}

#[test]
fn client_invite_non_2xx_over_tcp_ends_at_once() {
    let t0 = Instant::now();
    let mut layer = layer();
    let invite = request("INVITE", "z9hG4bK-nt");
    let key = layer
        .send_request(invite.clone(), Transport::Tcp, "bob", t0)
        .unwrap();
    transmits(&mut layer);
    layer.handle_incoming(answer(&invite, 603, Some("b")), Transport::Tcp, "bob", t0);
    assert!(text(&transmits(&mut layer)[0].bytes).starts_with("ACK "));
    let ev = events(&mut layer);
    assert!(matches!(ev[0], TransactionEvent::Final { .. }));
    assert!(is_terminated(&ev[1], key));
    assert!(layer.is_empty() && layer.poll_timeout().is_none());
}

#[test]
fn client_invite_2xx_goes_to_accepted_and_every_copy_goes_up_for_its_ack() {
    let t0 = Instant::now();
    let mut layer = layer();
    let invite = request("INVITE", "z9hG4bK-ok");
    let key = layer
        .send_request(invite.clone(), Transport::Udp, "bob", t0)
        .unwrap();
    transmits(&mut layer);
    let ok = answer(&invite, 200, Some("b1"));
    layer.handle_incoming(ok.clone(), Transport::Udp, "bob", t0 + ms(100));
    // The layer does not ACK a 2xx: the dialog does.
    assert!(transmits(&mut layer).is_empty());
    assert_eq!(layer.state(key), Some(TransactionState::Accepted));
    layer.handle_incoming(ok.clone(), Transport::Udp, "bob", t0 + ms(600));
    layer.handle_incoming(
        answer(&invite, 200, Some("b2")),
        Transport::Udp,
        "bob",
        t0 + ms(700),
    );
    let repeated: Vec<bool> = events(&mut layer)
        .iter()
        .map(|e| match e {
            TransactionEvent::Final { repeated, .. } => *repeated,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(repeated, [false, true, false]);
    // Timer M: 64*T1 after the first 2xx.
    fire_at(&mut layer, t0, ms(32_100));
    assert!(is_terminated(&events(&mut layer)[0], key));
    assert!(matches!(
        layer.handle_incoming(ok, Transport::Udp, "bob", t0 + ms(40_000)),
        Inbound::Stray(_)
    ));
}

// ---------------------------------------------------------------------------------
// Client non-INVITE
// ---------------------------------------------------------------------------------

#[test]
fn client_non_invite_timer_e_doubles_up_to_t2_and_timer_f_gives_up() {
    let t0 = Instant::now();
    let mut layer = layer();
    let key = layer
        .send_request(request("MESSAGE", "z9hG4bK-e"), Transport::Udp, "bob", t0)
        .unwrap();
    transmits(&mut layer);
    for at in [
        500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500,
    ] {
        fire_at(&mut layer, t0, ms(at));
        let sent = transmits(&mut layer);
        assert_eq!(sent.len(), 1, "at {at}");
        assert!(sent[0].retransmission);
    }
    fire_at(&mut layer, t0, ms(32_000));
    let ev = events(&mut layer);
    assert!(matches!(
        ev[0],
        TransactionEvent::Timeout { key: k, kind: TimeoutKind::TimerF } if k == key
    ));
    assert!(is_terminated(&ev[1], key));
    assert!(transmits(&mut layer).is_empty() && layer.is_empty());
}

#[test]
fn client_non_invite_provisional_sets_timer_e_to_t2() {
    let t0 = Instant::now();
    let mut layer = layer();
    let message = request("MESSAGE", "z9hG4bK-e2");
    let key = layer
        .send_request(message.clone(), Transport::Udp, "bob", t0)
        .unwrap();
    fire_at(&mut layer, t0, ms(500));
    layer.handle_incoming(
        answer(&message, 100, None),
        Transport::Udp,
        "bob",
        t0 + ms(600),
    );
    assert_eq!(layer.state(key), Some(TransactionState::Proceeding));
    assert!(matches!(
        events(&mut layer)[..],
        [TransactionEvent::Provisional { .. }]
    ));
    // Timer E was set to 1 s at 0.5 s; from then on it is T2.
    fire_at(&mut layer, t0, ms(1_500));
    fire_at(&mut layer, t0, ms(5_500));
    fire_at(&mut layer, t0, ms(9_500));
    assert_eq!(transmits(&mut layer).len(), 1 + 1 + 3);
}

#[test]
fn client_non_invite_final_is_reported_once_then_timer_k() {
    let t0 = Instant::now();
    let mut layer = layer();
    let message = request("MESSAGE", "z9hG4bK-k");
    let key = layer
        .send_request(message.clone(), Transport::Udp, "bob", t0)
        .unwrap();
    transmits(&mut layer);
    let ok = answer(&message, 200, Some("b"));
    layer.handle_incoming(ok.clone(), Transport::Udp, "bob", t0 + ms(50));
    layer.handle_incoming(ok, Transport::Udp, "bob", t0 + ms(60));
    let ev = events(&mut layer);
    assert!(matches!(
        &ev[..],
        [TransactionEvent::Final { key: k, response, .. }] if *k == key && response.status() == 200
    ));
    assert_eq!(layer.state(key), Some(TransactionState::Completed));
    // No retransmission after the final; Timer K = T4.
    fire_at(&mut layer, t0, ms(5_050));
    assert!(transmits(&mut layer).is_empty());
    assert!(is_terminated(&events(&mut layer)[0], key));
}

#[test]
fn client_non_invite_over_tcp_ends_with_its_final() {
    let t0 = Instant::now();
    let mut layer = layer();
    let message = request("MESSAGE", "z9hG4bK-kt");
    let key = layer
        .send_request(message.clone(), Transport::Tls, "bob", t0)
        .unwrap();
    assert_eq!(layer.poll_timeout(), Some(t0 + ms(32_000)), "Timer F only");
    layer.handle_incoming(answer(&message, 202, None), Transport::Tls, "bob", t0);
    let ev = events(&mut layer);
    assert!(matches!(ev[0], TransactionEvent::Final { .. }));
    assert!(is_terminated(&ev[1], key));
}

// ---------------------------------------------------------------------------------
// Server INVITE
// ---------------------------------------------------------------------------------

/// Receives `bytes` and returns the key of the new server transaction.
fn receive_new(
    layer: &mut Layer,
    bytes: Bytes,
    transport: Transport,
    now: Instant,
) -> TransactionKey {
    match layer.handle_incoming(bytes, transport, "alice", now) {
        Inbound::Request { key, .. } => key,
        other => panic!("{other:?}"),
    }
}

#[test]
fn server_invite_copies_get_the_latest_provisional_and_never_reach_the_application() {
    let t0 = Instant::now();
    let mut layer = layer();
    let invite = request("INVITE", "z9hG4bK-s1");
    let key = receive_new(&mut layer, invite.clone(), Transport::Udp, t0);
    assert_eq!(layer.state(key), Some(TransactionState::Proceeding));
    // A copy before any answer: the layer's 100 Trying quenches it.
    assert!(matches!(
        layer.handle_incoming(invite.clone(), Transport::Udp, "alice", t0 + ms(10)),
        Inbound::Retransmission { key: k } if k == key
    ));
    let trying = transmits(&mut layer);
    assert_eq!(trying.len(), 1);
    assert_eq!(trying[0].destination, "alice");
    let trying_text = text(&trying[0].bytes);
    assert!(trying_text.starts_with(
        "SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-s1\r\n"
    ));
    assert!(
        trying_text.contains("\r\nTo: <sip:bob@example.net>\r\n"),
        "no To tag in a 100"
    );
    layer
        .respond(key, answer(&invite, 180, Some("b7")), t0 + ms(20))
        .unwrap();
    assert_eq!(status_of(&transmits(&mut layer)[0]), 180);
    for n in 0..3 {
        assert!(matches!(
            layer.handle_incoming(invite.clone(), Transport::Udp, "alice", t0 + ms(30 + n)),
            Inbound::Retransmission { .. }
        ));
        let again = transmits(&mut layer);
        assert_eq!(status_of(&again[0]), 180);
        assert!(again[0].retransmission);
    }
    assert!(events(&mut layer).is_empty());
    // No timer runs in Proceeding once the application has answered.
    assert_eq!(layer.poll_timeout(), None);
}

#[test]
fn server_invite_sends_100_trying_when_the_application_is_silent_200_ms() {
    let t0 = Instant::now();
    let mut layer = layer();
    let key = receive_new(
        &mut layer,
        request("INVITE", "z9hG4bK-s2"),
        Transport::Udp,
        t0,
    );
    fire_at(&mut layer, t0, ms(200));
    let sent = transmits(&mut layer);
    assert_eq!(
        (sent.len(), status_of(&sent[0]), sent[0].key),
        (1, 100, key)
    );
    assert_eq!(layer.poll_timeout(), None);
}

#[test]
fn server_invite_non_2xx_is_resent_on_timer_g_until_timer_h() {
    let t0 = Instant::now();
    let mut layer = layer();
    let invite = request("INVITE", "z9hG4bK-g");
    let key = receive_new(&mut layer, invite.clone(), Transport::Udp, t0);
    layer
        .respond(key, answer(&invite, 486, Some("b")), t0)
        .unwrap();
    assert_eq!(transmits(&mut layer).len(), 1);
    assert_eq!(layer.state(key), Some(TransactionState::Completed));
    // Timer G: T1, doubling, capped at T2.
    for at in [
        500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500,
    ] {
        fire_at(&mut layer, t0, ms(at));
        let sent = transmits(&mut layer);
        assert_eq!((sent.len(), status_of(&sent[0])), (1, 486), "at {at}");
        assert!(sent[0].retransmission);
    }
    // Timer H: no ACK in 64*T1.
    fire_at(&mut layer, t0, ms(32_000));
    let ev = events(&mut layer);
    assert!(matches!(
        ev[0],
        TransactionEvent::Timeout { key: k, kind: TimeoutKind::TimerH } if k == key
    ));
    assert!(is_terminated(&ev[1], key));
}

#[test]
fn server_invite_ack_of_a_non_2xx_confirms_and_timer_i_ends_it() {
    let t0 = Instant::now();
    let mut layer = layer();
    let invite = request("INVITE", "z9hG4bK-i");
    let key = receive_new(&mut layer, invite.clone(), Transport::Udp, t0);
    layer
        .respond(key, answer(&invite, 404, Some("b")), t0)
        .unwrap();
    fire_at(&mut layer, t0, ms(500));
    transmits(&mut layer);
    // The ACK of a non-2xx carries the INVITE's branch: part of the transaction.
    let ack = request("ACK", "z9hG4bK-i");
    assert!(matches!(
        layer.handle_incoming(ack.clone(), Transport::Udp, "alice", t0 + ms(700)),
        Inbound::Absorbed { key: k } if k == key
    ));
    assert_eq!(layer.state(key), Some(TransactionState::Confirmed));
    assert!(matches!(
        layer.handle_incoming(ack, Transport::Udp, "alice", t0 + ms(800)),
        Inbound::Absorbed { .. }
    ));
    // Timer G stopped; Timer I = T4.
    fire_at(&mut layer, t0, ms(5_700));
    assert!(transmits(&mut layer).is_empty());
    assert!(is_terminated(&events(&mut layer)[0], key));
}

#[test]
fn server_invite_over_tcp_sends_its_non_2xx_once_and_ends_on_the_ack() {
    let t0 = Instant::now();
    let mut layer = layer();
    let invite = request("INVITE", "z9hG4bK-it");
    let key = receive_new(&mut layer, invite.clone(), Transport::Tcp, t0);
    layer
        .respond(key, answer(&invite, 486, Some("b")), t0)
        .unwrap();
    transmits(&mut layer);
    assert_eq!(
        layer.poll_timeout(),
        Some(t0 + ms(32_000)),
        "Timer H, no Timer G"
    );
    layer.handle_incoming(
        request("ACK", "z9hG4bK-it"),
        Transport::Tcp,
        "alice",
        t0 + ms(5),
    );
    assert!(
        is_terminated(&events(&mut layer)[0], key),
        "Timer I is zero"
    );
    assert!(layer.is_empty());
}

#[test]
fn server_invite_2xx_is_resent_until_its_ack_arrives() {
    let t0 = Instant::now();
    let mut layer = layer();
    let invite = request("INVITE", "z9hG4bK-2xx");
    let key = receive_new(&mut layer, invite.clone(), Transport::Udp, t0);
    let ok = answer(&invite, 200, Some("b5"));
    layer.respond(key, ok.clone(), t0).unwrap();
    assert_eq!(transmits(&mut layer)[0].bytes, ok);
    assert_eq!(layer.state(key), Some(TransactionState::Accepted));
    // RFC 3261 13.3.1.4: T1, doubling to T2.
    for at in [500, 1_500, 3_500, 7_500] {
        fire_at(&mut layer, t0, ms(at));
        let sent = transmits(&mut layer);
        assert_eq!(sent[0].bytes, ok);
        assert!(sent[0].retransmission);
    }
    // A copy of the INVITE is absorbed in Accepted (RFC 6026 7.1).
    assert!(matches!(
        layer.handle_incoming(invite, Transport::Udp, "alice", t0 + ms(7_600)),
        Inbound::Retransmission { .. }
    ));
    assert!(transmits(&mut layer).is_empty());
    // The ACK has a branch of its own; it is found by Call-ID, From tag and CSeq.
    let ack = dialog_ack("z9hG4bK-ack", "b5");
    match layer.handle_incoming(ack.clone(), Transport::Udp, "alice", t0 + ms(8_000)) {
        Inbound::Ack {
            request,
            acknowledges: Some(k),
        } => {
            assert_eq!(k, key);
            assert_eq!(request.as_bytes(), ack);
        }
        other => panic!("{other:?}"),
    }
    // Copies of the ACK are not handed out again.
    assert!(matches!(
        layer.handle_incoming(ack, Transport::Udp, "alice", t0 + ms(8_100)),
        Inbound::Retransmission { key: k } if k == key
    ));
    // No more 2xx; Timer L ends the transaction without a timeout.
    fire_at(&mut layer, t0, ms(32_000));
    assert!(transmits(&mut layer).is_empty());
    let ev = events(&mut layer);
    assert_eq!(ev.len(), 1);
    assert!(is_terminated(&ev[0], key));
}

#[test]
fn server_invite_2xx_without_ack_gives_up_after_64_t1_even_over_tcp() {
    let t0 = Instant::now();
    let mut layer = layer();
    let invite = request("INVITE", "z9hG4bK-noack");
    let key = receive_new(&mut layer, invite.clone(), Transport::Tcp, t0);
    layer
        .respond(key, answer(&invite, 200, Some("b")), t0)
        .unwrap();
    transmits(&mut layer);
    // 13.3.1.4 resends the 2xx whatever the transport: a later hop may be UDP.
    let mut resent = 0;
    while let Some(at) = layer.poll_timeout() {
        layer.handle_timeout(at);
        resent += transmits(&mut layer).len();
    }
    // 0.5, 1.5, 3.5, 7.5, then every 4 s up to 31.5.
    assert_eq!(resent, 4 + 6);
    let ev = events(&mut layer);
    assert!(matches!(
        ev[0],
        TransactionEvent::Timeout { key: k, kind: TimeoutKind::NoAckFor2xx } if k == key
    ));
    assert!(is_terminated(&ev[1], key));
}

// ---------------------------------------------------------------------------------
// Server non-INVITE
// ---------------------------------------------------------------------------------

#[test]
fn server_non_invite_absorbs_copies_then_resends_its_final_until_timer_j() {
    let t0 = Instant::now();
    let mut layer = layer();
    let message = request("MESSAGE", "z9hG4bK-j");
    let key = receive_new(&mut layer, message.clone(), Transport::Udp, t0);
    assert_eq!(layer.state(key), Some(TransactionState::Trying));
    // A copy before the answer: nothing to send, nothing to the application.
    assert!(matches!(
        layer.handle_incoming(message.clone(), Transport::Udp, "alice", t0 + ms(500)),
        Inbound::Retransmission { key: k } if k == key
    ));
    assert!(transmits(&mut layer).is_empty());
    assert_eq!(layer.poll_timeout(), None, "no 100 Trying for a non-INVITE");
    layer
        .respond(key, answer(&message, 200, Some("b")), t0 + ms(600))
        .unwrap();
    assert_eq!(transmits(&mut layer).len(), 1);
    layer.handle_incoming(message.clone(), Transport::Udp, "alice", t0 + ms(1_500));
    let again = transmits(&mut layer);
    assert_eq!((status_of(&again[0]), again[0].retransmission), (200, true));
    // Timer J: 64*T1 over UDP.
    fire_at(&mut layer, t0, ms(32_600));
    assert!(is_terminated(&events(&mut layer)[0], key));
    // A copy after Timer J would be a new request: the sender gave up long before.
    assert!(matches!(
        layer.handle_incoming(message, Transport::Udp, "alice", t0 + ms(40_000)),
        Inbound::Request { .. }
    ));
}

#[test]
fn server_non_invite_copies_get_the_latest_provisional() {
    let t0 = Instant::now();
    let mut layer = layer();
    let message = request("OPTIONS", "z9hG4bK-pr");
    let key = receive_new(&mut layer, message.clone(), Transport::Udp, t0);
    layer.respond(key, answer(&message, 100, None), t0).unwrap();
    assert_eq!(layer.state(key), Some(TransactionState::Proceeding));
    transmits(&mut layer);
    layer.handle_incoming(message, Transport::Udp, "alice", t0 + ms(500));
    assert_eq!(status_of(&transmits(&mut layer)[0]), 100);
}

#[test]
fn server_non_invite_over_tcp_ends_with_its_final() {
    let t0 = Instant::now();
    let mut layer = layer();
    let message = request("MESSAGE", "z9hG4bK-jt");
    let key = receive_new(&mut layer, message.clone(), Transport::Tcp, t0);
    layer.respond(key, answer(&message, 200, None), t0).unwrap();
    assert_eq!(transmits(&mut layer).len(), 1);
    assert!(
        is_terminated(&events(&mut layer)[0], key),
        "Timer J is zero"
    );
    assert!(layer.is_empty());
}

// ---------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------

#[test]
fn responses_match_by_top_via_branch_and_cseq_method() {
    let t0 = Instant::now();
    let mut layer = layer();
    let message = request("MESSAGE", "z9hG4bK-m");
    let key = layer
        .send_request(message.clone(), Transport::Udp, "bob", t0)
        .unwrap();
    let other_branch = answer(&request("MESSAGE", "z9hG4bK-other"), 200, None);
    assert!(matches!(
        layer.handle_incoming(other_branch, Transport::Udp, "bob", t0),
        Inbound::Stray(_)
    ));
    let other_method = answer(&request("OPTIONS", "z9hG4bK-m"), 200, None);
    assert!(matches!(
        layer.handle_incoming(other_method, Transport::Udp, "bob", t0),
        Inbound::Stray(_)
    ));
    assert!(events(&mut layer).is_empty());
    assert!(matches!(
        layer.handle_incoming(answer(&message, 200, None), Transport::Udp, "bob", t0),
        Inbound::Response { key: k } if k == key
    ));
}

#[test]
fn requests_match_by_branch_sent_by_and_method() {
    let t0 = Instant::now();
    let mut layer = layer();
    let first = receive_new(
        &mut layer,
        request_from("MESSAGE", "z9hG4bK-x", "host.example.net:5060", 1),
        Transport::Udp,
        t0,
    );
    // The sent-by host compares without case.
    assert!(matches!(
        layer.handle_incoming(
            request_from("MESSAGE", "z9hG4bK-x", "HOST.example.NET:5060", 1),
            Transport::Udp,
            "alice",
            t0
        ),
        Inbound::Retransmission { key } if key == first
    ));
    // Another sent-by (port, or host), or another method: another transaction.
    for other in [
        request_from("MESSAGE", "z9hG4bK-x", "host.example.net:5070", 1),
        request_from("MESSAGE", "z9hG4bK-x", "other.example.net:5060", 1),
        request_from("OPTIONS", "z9hG4bK-x", "host.example.net:5060", 1),
    ] {
        let key = receive_new(&mut layer, other, Transport::Udp, t0);
        assert_ne!(key, first);
    }
    assert_eq!(layer.len(), 4);
}

#[test]
fn an_ack_with_a_branch_of_its_own_is_not_part_of_the_invite_transaction() {
    let t0 = Instant::now();
    let mut layer = layer();
    let invite = request("INVITE", "z9hG4bK-nack");
    let key = receive_new(&mut layer, invite.clone(), Transport::Udp, t0);
    layer
        .respond(key, answer(&invite, 486, Some("b")), t0)
        .unwrap();
    // Another branch: not this transaction's ACK (a 2xx's ACK, to the application).
    assert!(matches!(
        layer.handle_incoming(
            dialog_ack("z9hG4bK-elsewhere", "b"),
            Transport::Udp,
            "alice",
            t0
        ),
        Inbound::Ack {
            acknowledges: None,
            ..
        }
    ));
    assert_eq!(layer.state(key), Some(TransactionState::Completed));
}

#[test]
fn rfc_2543_requests_without_the_magic_cookie_still_match_their_copies() {
    let t0 = Instant::now();
    let mut layer = layer();
    let old = request_from("MESSAGE", "390skdjuw", "192.0.2.10:5060", 4);
    let key = receive_new(&mut layer, old.clone(), Transport::Udp, t0);
    assert!(matches!(
        layer.handle_incoming(old, Transport::Udp, "alice", t0),
        Inbound::Retransmission { key: k } if k == key
    ));
    let next = request_from("MESSAGE", "390skdjuw", "192.0.2.10:5060", 5);
    assert_ne!(receive_new(&mut layer, next, Transport::Udp, t0), key);
}

#[test]
fn a_request_sent_to_oneself_starts_a_server_transaction_beside_the_client_one() {
    let t0 = Instant::now();
    let mut layer = layer();
    let message = request("MESSAGE", "z9hG4bK-self");
    let client = layer
        .send_request(message.clone(), Transport::Udp, "me", t0)
        .unwrap();
    let server = receive_new(&mut layer, message.clone(), Transport::Udp, t0);
    assert_ne!(client, server);
    layer
        .respond(server, answer(&message, 200, None), t0)
        .unwrap();
    let response = transmits(&mut layer).pop().unwrap();
    assert!(matches!(
        layer.handle_incoming(response.bytes, Transport::Udp, "me", t0),
        Inbound::Response { key } if key == client
    ));
}

// ---------------------------------------------------------------------------------
// CANCEL
// ---------------------------------------------------------------------------------

#[test]
fn cancel_is_built_per_rfc_3261_9_1_and_waits_for_a_provisional() {
    let t0 = Instant::now();
    let mut layer = layer();
    let invite = invite_two_vias("z9hG4bK-c");
    let key = layer
        .send_request(invite.clone(), Transport::Udp, "bob", t0)
        .unwrap();
    transmits(&mut layer);
    let cancel = layer.cancel(key, t0 + ms(10)).unwrap();
    assert!(
        transmits(&mut layer).is_empty(),
        "no CANCEL before a provisional"
    );
    assert_eq!(layer.state(cancel), None);
    layer.handle_incoming(
        answer(&invite, 180, Some("b3")),
        Transport::Udp,
        "bob",
        t0 + ms(400),
    );
    let sent = transmits(&mut layer);
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].key, sent[0].destination), (cancel, "bob"));
    assert_eq!(
        text(&sent[0].bytes),
        "CANCEL sip:bob@192.0.2.20:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-c\r\n\
         Max-Forwards: 70\r\n\
         Route: <sip:p1.example.net;lr>\r\n\
         Route: <sip:p2.example.net;lr>\r\n\
         From: \"Alice\" <sip:alice@example.net>;tag=a1\r\n\
         To: <sip:bob@example.net>\r\n\
         Call-ID: call-1@192.0.2.10\r\n\
         CSeq: 1 CANCEL\r\n\
         Content-Length: 0\r\n\r\n"
    );
    assert_eq!(layer.state(cancel), Some(TransactionState::Trying));
    // The CANCEL is a non-INVITE transaction: Timer E resends it.
    fire_at(&mut layer, t0, ms(900));
    assert_eq!(transmits(&mut layer)[0].bytes, sent[0].bytes);
    // Its 200, then the INVITE's 487 (ACKed by the layer).
    let cancel_request = sent[0].bytes.clone();
    layer.handle_incoming(
        answer(&cancel_request, 200, Some("b3")),
        Transport::Udp,
        "bob",
        t0 + ms(950),
    );
    layer.handle_incoming(
        answer(&invite, 487, Some("b3")),
        Transport::Udp,
        "bob",
        t0 + ms(960),
    );
    assert!(text(&transmits(&mut layer)[0].bytes).starts_with("ACK "));
    let finals: Vec<(TransactionKey, u16)> = events(&mut layer)
        .into_iter()
        .filter_map(|e| match e {
            TransactionEvent::Final { key, response, .. } => Some((key, response.status().code())),
            _ => None,
        })
        .collect();
    assert_eq!(finals, [(cancel, 200), (key, 487)]);
}

#[test]
fn a_queued_cancel_is_dropped_when_the_final_response_comes_first() {
    let t0 = Instant::now();
    let mut layer = layer();
    let invite = request("INVITE", "z9hG4bK-cq");
    let key = layer
        .send_request(invite.clone(), Transport::Udp, "bob", t0)
        .unwrap();
    let cancel = layer.cancel(key, t0).unwrap();
    layer.handle_incoming(
        answer(&invite, 486, Some("b")),
        Transport::Udp,
        "bob",
        t0 + ms(5),
    );
    let ev = events(&mut layer);
    assert!(matches!(ev[0], TransactionEvent::Final { key: k, .. } if k == key));
    assert!(is_terminated(&ev[1], cancel));
    let sent = transmits(&mut layer);
    assert_eq!(sent.len(), 2, "the INVITE and its ACK, no CANCEL");
    assert!(sent.iter().all(|t| !text(&t.bytes).starts_with("CANCEL")));
}

#[test]
fn cancel_is_refused_where_it_has_no_meaning() {
    let t0 = Instant::now();
    let mut layer = layer();
    let message = layer
        .send_request(request("MESSAGE", "z9hG4bK-cm"), Transport::Udp, "bob", t0)
        .unwrap();
    assert_eq!(
        layer.cancel(message, t0),
        Err(TransactionError::NotAnInvite(message))
    );
    let invite = request("INVITE", "z9hG4bK-cf");
    let key = layer
        .send_request(invite.clone(), Transport::Udp, "bob", t0)
        .unwrap();
    layer.handle_incoming(answer(&invite, 180, None), Transport::Udp, "bob", t0);
    layer.cancel(key, t0).unwrap();
    assert_eq!(
        layer.cancel(key, t0),
        Err(TransactionError::AlreadyCancelled(key))
    );
    let answered = request("INVITE", "z9hG4bK-ca");
    let done = layer
        .send_request(answered.clone(), Transport::Udp, "bob", t0)
        .unwrap();
    layer.handle_incoming(answer(&answered, 200, Some("b")), Transport::Udp, "bob", t0);
    assert_eq!(
        layer.cancel(done, t0),
        Err(TransactionError::AlreadyFinal(done))
    );
    let gone = TransactionKey(999);
    assert_eq!(
        layer.cancel(gone, t0),
        Err(TransactionError::UnknownTransaction(gone))
    );
}

#[test]
fn an_invite_cancelled_without_a_final_response_is_dropped_after_64_t1() {
    let t0 = Instant::now();
    let mut layer = layer();
    let invite = request("INVITE", "z9hG4bK-cw");
    let key = layer
        .send_request(invite.clone(), Transport::Tcp, "bob", t0)
        .unwrap();
    layer.handle_incoming(answer(&invite, 180, None), Transport::Tcp, "bob", t0);
    let cancel = layer.cancel(key, t0 + ms(1_000)).unwrap();
    let cancel_bytes = transmits(&mut layer).pop().unwrap().bytes;
    layer.handle_incoming(
        answer(&cancel_bytes, 200, None),
        Transport::Tcp,
        "bob",
        t0 + ms(1_100),
    );
    events(&mut layer);
    assert_eq!(layer.state(cancel), None, "over TCP, Timer K is zero");
    fire_at(&mut layer, t0, ms(33_000));
    let ev = events(&mut layer);
    assert!(matches!(
        ev[0],
        TransactionEvent::Timeout { key: k, kind: TimeoutKind::NoFinalAfterCancel } if k == key
    ));
    assert!(is_terminated(&ev[1], key));
}

#[test]
fn an_incoming_cancel_gets_200_and_its_invite_487_with_the_same_to_tag() {
    let t0 = Instant::now();
    let mut layer = layer();
    let invite = request("INVITE", "z9hG4bK-ic");
    let key = receive_new(&mut layer, invite.clone(), Transport::Udp, t0);
    layer
        .respond(key, answer(&invite, 180, Some("b7")), t0)
        .unwrap();
    transmits(&mut layer);
    let cancel = request("CANCEL", "z9hG4bK-ic");
    let cancel_key =
        match layer.handle_incoming(cancel.clone(), Transport::Udp, "alice", t0 + ms(50)) {
            Inbound::Cancel {
                key: c,
                matched: Some(m),
            } => {
                assert_eq!(m, key);
                c
            }
            other => panic!("{other:?}"),
        };
    let sent = transmits(&mut layer);
    assert_eq!(sent.len(), 2);
    let ok = IncomingResponse::parse(sent[0].bytes.clone()).unwrap();
    assert_eq!(
        (ok.status().code(), ok.cseq_method()),
        (200, Some(Method::Cancel))
    );
    assert_eq!(
        ok.header("To").unwrap().value(),
        b"<sip:bob@example.net>;tag=b7"
    );
    assert_eq!(sent[0].key, cancel_key);
    let terminated = IncomingResponse::parse(sent[1].bytes.clone()).unwrap();
    assert_eq!(
        (terminated.status().code(), terminated.cseq_method()),
        (487, Some(Method::Invite))
    );
    assert_eq!(
        terminated.header("To").unwrap().value(),
        b"<sip:bob@example.net>;tag=b7"
    );
    assert_eq!(sent[1].key, key);
    assert!(matches!(
        events(&mut layer)[..],
        [TransactionEvent::Cancelled { key: k, cancel: c }] if k == key && c == cancel_key
    ));
    // The application's late answer is refused; the 487 waits for its ACK.
    assert_eq!(
        layer.respond(key, answer(&invite, 200, Some("b7")), t0 + ms(60)),
        Err(TransactionError::AlreadyAnswered(key))
    );
    assert_eq!(layer.state(key), Some(TransactionState::Completed));
    // A copy of the CANCEL gets its 200 again.
    assert!(matches!(
        layer.handle_incoming(cancel, Transport::Udp, "alice", t0 + ms(70)),
        Inbound::Retransmission { key: c } if c == cancel_key
    ));
    assert_eq!(status_of(&transmits(&mut layer)[0]), 200);
    assert!(matches!(
        layer.handle_incoming(
            request("ACK", "z9hG4bK-ic"),
            Transport::Udp,
            "alice",
            t0 + ms(80)
        ),
        Inbound::Absorbed { .. }
    ));
}

#[test]
fn without_a_provisional_the_200_and_the_487_share_a_tag_of_the_layer() {
    let t0 = Instant::now();
    let mut layer = layer();
    let invite = request("INVITE", "z9hG4bK-it2");
    let key = receive_new(&mut layer, invite, Transport::Udp, t0);
    layer.handle_incoming(
        request("CANCEL", "z9hG4bK-it2"),
        Transport::Udp,
        "alice",
        t0,
    );
    let tags: Vec<Vec<u8>> = transmits(&mut layer)
        .iter()
        .map(|t| {
            let response = IncomingResponse::parse(t.bytes.clone()).unwrap();
            let to = crate::sip::NameAddr::parse(response.header("To").unwrap().value()).unwrap();
            to.tag().unwrap().to_vec()
        })
        .collect();
    assert_eq!(tags.len(), 2);
    assert_eq!(tags[0], tags[1]);
    assert_eq!(tags[0].len(), 16);
    assert!(
        matches!(events(&mut layer)[..], [TransactionEvent::Cancelled { key: k, .. }] if k == key)
    );
}

#[test]
fn a_cancel_matching_nothing_gets_481_and_one_for_an_answered_request_200_only() {
    let t0 = Instant::now();
    let mut layer = layer();
    assert!(matches!(
        layer.handle_incoming(
            request("CANCEL", "z9hG4bK-none"),
            Transport::Udp,
            "alice",
            t0
        ),
        Inbound::Cancel { matched: None, .. }
    ));
    assert_eq!(status_of(&transmits(&mut layer)[0]), 481);

    let invite = request("INVITE", "z9hG4bK-done");
    let key = receive_new(&mut layer, invite.clone(), Transport::Udp, t0);
    layer
        .respond(key, answer(&invite, 200, Some("b")), t0)
        .unwrap();
    transmits(&mut layer);
    assert!(matches!(
        layer.handle_incoming(request("CANCEL", "z9hG4bK-done"), Transport::Udp, "alice", t0),
        Inbound::Cancel { matched: Some(k), .. } if k == key
    ));
    let sent = transmits(&mut layer);
    assert_eq!(sent.len(), 1);
    assert_eq!(status_of(&sent[0]), 200);
    assert!(
        events(&mut layer).is_empty(),
        "no Cancelled: the INVITE was answered"
    );
    assert_eq!(layer.state(key), Some(TransactionState::Accepted));
}

// ---------------------------------------------------------------------------------
// Errors, transport errors, configuration
// ---------------------------------------------------------------------------------

#[test]
fn send_request_refuses_what_is_no_client_transaction() {
    let t0 = Instant::now();
    let mut layer = layer();
    assert_eq!(
        layer.send_request(request("ACK", "z9hG4bK-1"), Transport::Udp, "bob", t0),
        Err(TransactionError::AckIsNotATransaction)
    );
    let no_branch = Bytes::from_static(
        b"MESSAGE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@x>;tag=1\r\n\
          To: <sip:b@x>\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(
        layer.send_request(no_branch, Transport::Udp, "bob", t0),
        Err(TransactionError::NoBranch)
    );
    assert!(matches!(
        layer.send_request(Bytes::from_static(b"nonsense"), Transport::Udp, "bob", t0),
        Err(TransactionError::UnreadableRequest(_))
    ));
    let key = layer
        .send_request(request("MESSAGE", "z9hG4bK-d"), Transport::Udp, "bob", t0)
        .unwrap();
    assert_eq!(
        layer.send_request(request("MESSAGE", "z9hG4bK-d"), Transport::Udp, "bob", t0),
        Err(TransactionError::DuplicateBranch(key))
    );
    assert_eq!(layer.len(), 1);
}

#[test]
fn respond_refuses_what_does_not_answer_the_request() {
    let t0 = Instant::now();
    let mut layer = layer();
    let message = request("MESSAGE", "z9hG4bK-r");
    let key = receive_new(&mut layer, message.clone(), Transport::Udp, t0);
    let client = layer
        .send_request(request("OPTIONS", "z9hG4bK-o"), Transport::Udp, "bob", t0)
        .unwrap();
    assert_eq!(
        layer.respond(client, answer(&message, 200, None), t0),
        Err(TransactionError::NotAServerTransaction(client))
    );
    assert_eq!(
        layer.respond(
            key,
            answer(&request("MESSAGE", "z9hG4bK-zz"), 200, None),
            t0
        ),
        Err(TransactionError::ResponseMismatch {
            key,
            what: "top Via branch"
        })
    );
    assert_eq!(
        layer.respond(
            key,
            answer(
                &request_from("MESSAGE", "z9hG4bK-r", "192.0.2.10:5060", 2),
                200,
                None
            ),
            t0
        ),
        Err(TransactionError::ResponseMismatch { key, what: "CSeq" })
    );
    assert!(matches!(
        layer.respond(key, Bytes::from_static(b"SIP/2.0 200 OK\r\n\r\n"), t0),
        Err(TransactionError::UnreadableResponse(_))
    ));
    layer.respond(key, answer(&message, 200, None), t0).unwrap();
    assert_eq!(
        layer.respond(key, answer(&message, 200, None), t0),
        Err(TransactionError::AlreadyAnswered(key))
    );
    let gone = TransactionKey(77);
    assert_eq!(
        layer.respond(gone, answer(&message, 200, None), t0),
        Err(TransactionError::UnknownTransaction(gone))
    );
}

#[test]
fn a_transport_error_ends_the_transaction_with_an_event() {
    let t0 = Instant::now();
    let mut layer = layer();
    let key = layer
        .send_request(request("MESSAGE", "z9hG4bK-te"), Transport::Tcp, "bob", t0)
        .unwrap();
    layer.transport_error(key).unwrap();
    let ev = events(&mut layer);
    assert!(matches!(ev[0], TransactionEvent::TransportError { key: k } if k == key));
    assert!(is_terminated(&ev[1], key));
    assert_eq!(
        layer.transport_error(key),
        Err(TransactionError::UnknownTransaction(key))
    );
    assert!(layer.is_empty());
}

#[test]
fn terminate_drops_a_transaction_the_application_gives_up_on() {
    let t0 = Instant::now();
    let mut layer = layer();
    let key = receive_new(
        &mut layer,
        request("INVITE", "z9hG4bK-gu"),
        Transport::Udp,
        t0,
    );
    assert!(layer.terminate(key));
    assert!(!layer.terminate(key));
    assert!(is_terminated(&events(&mut layer)[0], key));
    assert!(layer.poll_timeout().is_none());
}

#[test]
fn timers_follow_the_configured_t1_t2_t4() {
    let t0 = Instant::now();
    let config = TransactionConfig::new()
        .with_t1(ms(100))
        .with_t2(ms(300))
        .with_t4(ms(700));
    let mut layer = TransactionLayer::new(config);
    let message = request("MESSAGE", "z9hG4bK-cfg");
    let key = layer
        .send_request(message.clone(), Transport::Udp, "bob", t0)
        .unwrap();
    for at in [100, 300, 600, 900] {
        fire_at(&mut layer, t0, ms(at));
    }
    layer.handle_incoming(
        answer(&message, 200, None),
        Transport::Udp,
        "bob",
        t0 + ms(950),
    );
    fire_at(&mut layer, t0, ms(1_650)); // Timer K = T4
    assert!(events(&mut layer).iter().any(|e| is_terminated(e, key)));
    let invite = layer
        .send_request(request("INVITE", "z9hG4bK-cfg2"), Transport::Tcp, "bob", t0)
        .unwrap();
    fire_at(&mut layer, t0, ms(6_400)); // Timer B = 64*T1
    assert!(events(&mut layer).iter().any(|e| is_terminated(e, invite)));
    // A zero T1 is taken as 1 ms: timers still move forward.
    assert_eq!(TransactionConfig::new().with_t1(Duration::ZERO).t1(), ms(1));
}

#[test]
fn bytes_that_read_as_nothing_are_handed_back() {
    let t0 = Instant::now();
    let mut layer = layer();
    for junk in [&b"hello"[..], b"SIP/2.0 200 OK\r\n\r\n", b""] {
        match layer.handle_incoming(Bytes::copy_from_slice(junk), Transport::Udp, "x", t0) {
            Inbound::Unreadable { bytes, .. } => assert_eq!(bytes, junk),
            other => panic!("{other:?}"),
        }
    }
    assert!(layer.is_empty() && transmits(&mut layer).is_empty());
}

#[test]
fn a_layer_moves_between_threads_with_its_peer_type() {
    fn send<T: Send>() {}
    send::<TransactionLayer<std::net::SocketAddr>>();
    send::<TransactionEvent>();
    send::<Inbound>();
}
