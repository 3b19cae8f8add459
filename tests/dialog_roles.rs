//! Dialogs in both roles (`outgoing::Dialog`): the callee's dialog, from the INVITE
//! the client accepted and the 2xx its dispatcher sent, reaches the caller's
//! dispatcher as requests of that dialog; route sets in order and reversed, strict
//! routers, next hops, target refresh; and the dispatcher's `received`/`rport`
//! (RFC 3581).

use std::net::SocketAddr;

use bytes::Bytes;
use cpm_client::outgoing::*;
use cpm_client::sip::IncomingResponse;
use cpm_client::{
    Decision, DialogHandler, Dispatcher, Handling, InDialogRequest, IncomingRequest, Method,
    RoutedRequest, SessionHandler, SessionInvitation, StatusCode,
};

struct Yes;

impl SessionHandler for Yes {
    fn session_invitation(&self, _: &SessionInvitation<'_>) -> Decision {
        Decision::accept()
    }
}

impl DialogHandler for Yes {
    fn in_dialog(&self, _: &InDialogRequest<'_>) -> Decision {
        Decision::accept()
    }
}

struct Later;

impl SessionHandler for Later {
    fn session_invitation(&self, _: &SessionInvitation<'_>) -> Decision {
        Decision::later()
    }
}

fn alice() -> ClientConfig {
    ClientConfig::new(
        "sip:+15550100001@ims.example.net",
        ContactAddress::new("192.0.2.10", 5060, Transport::Tcp).unwrap(),
    )
    .unwrap()
    .with_msrp(MsrpEndpoint::new().with_port(2855))
}

fn bob() -> ClientConfig {
    ClientConfig::new(
        "sip:+15550100002@ims.example.net",
        ContactAddress::new("192.0.2.20", 5062, Transport::Tcp).unwrap(),
    )
    .unwrap()
    .with_msrp(MsrpEndpoint::new().with_port(2856))
}

fn dispatcher(config: ClientConfig) -> Dispatcher {
    Dispatcher::builder()
        .client(config)
        .session(Yes)
        .dialog(Yes)
        .build()
}

fn invite(ids: &mut SequentialIds) -> OutgoingRequest {
    Session::one_to_one("sip:+15550100002@ims.example.net")
        .build(&alice(), ids)
        .unwrap()
}

/// `request`'s bytes with `lines` inserted after its Max-Forwards line (as proxies
/// on the way would add Record-Route).
fn with_lines(request: &OutgoingRequest, lines: &str) -> Bytes {
    let text = request.to_string();
    let at = text.find("Max-Forwards: 70\r\n").unwrap() + "Max-Forwards: 70\r\n".len();
    Bytes::from(format!("{}{lines}{}", &text[..at], &text[at..]))
}

#[test]
fn the_callees_bye_reaches_the_caller_as_a_request_of_its_dialog() {
    let mut ids = SequentialIds::new(3);
    let invite = invite(&mut ids);
    let (alice_side, bob_side) = (dispatcher(alice()), dispatcher(bob()));

    // Bob accepts.
    let outcome = bob_side.dispatch(invite.bytes());
    let ok = outcome.response().unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let mut bob_dialog = Dialog::from_accepted(&bob(), outcome.request().unwrap(), ok).unwrap();
    assert_eq!(bob_dialog.role(), DialogRole::Callee);
    assert_eq!(bob_dialog.call_id(), invite.call_id());
    assert_eq!(bob_dialog.remote_tag(), invite.from_tag());
    assert_eq!(
        bob_dialog.remote_target(),
        "sip:+15550100001@192.0.2.10:5060;transport=tcp"
    );
    assert_eq!(bob_dialog.next_hop(), bob_dialog.remote_target());
    assert!(bob_dialog.routes().is_empty());
    assert_eq!(bob_dialog.local_cseq(), 0);
    assert_eq!(bob_dialog.last_invite_cseq(), None);

    // Alice's side of the same dialog, from the same 2xx.
    let ok_read = IncomingResponse::parse(ok.as_bytes().to_vec().into()).unwrap();
    let alice_dialog = Dialog::from_answer(&invite, &ok_read).unwrap();
    assert_eq!(alice_dialog.local_tag(), bob_dialog.remote_tag());
    assert_eq!(alice_dialog.remote_tag(), bob_dialog.local_tag());
    assert_eq!(
        alice_dialog.remote_target(),
        "sip:+15550100002@192.0.2.20:5062;transport=tcp"
    );

    let bye = bob_dialog.bye(&mut ids);
    assert_eq!(bye.cseq(), 1, "the callee's CSeq starts afresh");
    assert_eq!(bye.header("To"), invite.header("From"));
    assert_eq!(
        bye.header("From"),
        ok_read.header("To").and_then(|h| h.value_str())
    );
    assert!(bye
        .header("Via")
        .unwrap()
        .starts_with("SIP/2.0/TCP 192.0.2.20:5062;rport;branch=z9hG4bK"));
    assert_eq!(bye.header("User-Agent"), Some(bob().user_agent().as_str()));
    assert_eq!(
        bye.next_hop(),
        "sip:+15550100001@192.0.2.10:5060;transport=tcp"
    );
    let read = RoutedRequest::parse(bye.bytes()).unwrap();
    assert_eq!(read.method(), Method::Bye);
    assert_eq!(read.request_uri(), alice_dialog_target(&invite));
    #[cfg(feature = "rsip")]
    bye.to_rsip().unwrap();

    let outcome = alice_side.dispatch(bye.bytes());
    let Handling::InDialog(Some(id)) = outcome.handling() else {
        panic!("{:?}", outcome.handling());
    };
    assert_eq!(&id.call_id[..], invite.call_id().as_bytes());
    assert_eq!(&id.local_tag[..], alice_dialog.local_tag().as_bytes());
    assert_eq!(&id.remote_tag[..], alice_dialog.remote_tag().as_bytes());
    assert_eq!(outcome.response().unwrap().status(), StatusCode::OK);

    // UPDATE and re-INVITE too, each with the next CSeq and Bob's Contact.
    let update = bob_dialog.update(&mut ids, None).unwrap();
    let reinvite = bob_dialog
        .reinvite(&mut ids, Some(("application/sdp", b"v=0\r\n")))
        .unwrap();
    assert_eq!((update.cseq(), reinvite.cseq()), (2, 3));
    assert_eq!(bob_dialog.last_invite_cseq(), Some(3));
    assert_eq!(reinvite.body(), b"v=0\r\n");
    assert_eq!(reinvite.header("Content-Type"), Some("application/sdp"));
    for request in [&update, &reinvite] {
        assert!(request
            .header("Contact")
            .unwrap()
            .contains("192.0.2.20:5062"));
        let outcome = alice_side.dispatch(request.bytes());
        assert!(
            matches!(outcome.handling(), Handling::InDialog(Some(_))),
            "{:?}",
            outcome.handling()
        );
    }
    let ack = bob_dialog.ack(&mut ids);
    assert_eq!(ack.cseq(), 3, "the ACK for the re-INVITE's 2xx");
    assert_eq!(ack.method(), "ACK");
    assert!(bob_dialog
        .reinvite(&mut ids, Some(("not a type", b"")))
        .is_err());
}

/// The URI of the INVITE's Contact, which is the callee's remote target.
fn alice_dialog_target(invite: &OutgoingRequest) -> &[u8] {
    let contact = invite.header("Contact").unwrap();
    let start = contact.find('<').unwrap() + 1;
    let end = contact.find('>').unwrap();
    &contact.as_bytes()[start..end]
}

#[test]
fn the_callee_takes_record_route_in_order_and_the_caller_reversed() {
    let mut ids = SequentialIds::new(1);
    let invite = invite(&mut ids);
    // The proxy nearest Bob added its Record-Route last, on top.
    let proxied = with_lines(
        &invite,
        "Record-Route: <sip:p2.example.net;lr>\r\nRecord-Route: <sip:p1.example.net;lr;ftag=x>\r\n",
    );
    let bob_side = dispatcher(bob());
    let outcome = bob_side.dispatch(proxied);
    let ok = outcome.response().unwrap();
    let mut bob_dialog = Dialog::from_accepted(&bob(), outcome.request().unwrap(), ok).unwrap();
    assert_eq!(
        bob_dialog.routes(),
        ["<sip:p2.example.net;lr>", "<sip:p1.example.net;lr;ftag=x>"]
    );
    assert_eq!(bob_dialog.next_hop(), "sip:p2.example.net;lr");
    let bye = bob_dialog.bye(&mut ids);
    assert_eq!(bye.next_hop(), "sip:p2.example.net;lr");
    let read = RoutedRequest::parse(bye.bytes()).unwrap();
    assert_eq!(read.request_uri(), alice_dialog_target(&invite));
    let routes: Vec<&[u8]> = read.header_values("Route").collect();
    assert_eq!(
        routes,
        [
            &b"<sip:p2.example.net;lr>"[..],
            b"<sip:p1.example.net;lr;ftag=x>"
        ]
    );

    // The 2xx carries the Record-Route back; Alice's route set is its reverse.
    let ok_read = IncomingResponse::parse(ok.as_bytes().to_vec().into()).unwrap();
    let alice_dialog = Dialog::from_answer(&invite, &ok_read).unwrap();
    assert_eq!(
        alice_dialog.routes(),
        ["<sip:p1.example.net;lr;ftag=x>", "<sip:p2.example.net;lr>"]
    );
    assert_eq!(alice_dialog.next_hop(), "sip:p1.example.net;lr;ftag=x");
    assert_eq!(
        alice_dialog.ack(&mut ids).next_hop(),
        "sip:p1.example.net;lr;ftag=x"
    );
}

#[test]
fn a_strict_router_first_in_the_callees_route_set() {
    let mut ids = SequentialIds::new(1);
    let invite = invite(&mut ids);
    let proxied = with_lines(
        &invite,
        "Record-Route: <sip:strict.example.net>, <sip:p2.example.net;lr>\r\n",
    );
    let outcome = dispatcher(bob()).dispatch(proxied);
    let mut dialog = Dialog::from_accepted(
        &bob(),
        outcome.request().unwrap(),
        outcome.response().unwrap(),
    )
    .unwrap();
    assert_eq!(dialog.next_hop(), "sip:strict.example.net");
    let bye = dialog.bye(&mut ids);
    assert_eq!(bye.next_hop(), "sip:strict.example.net");
    let read = RoutedRequest::parse(bye.bytes()).unwrap();
    assert_eq!(read.request_uri(), b"sip:strict.example.net");
    let routes: Vec<&[u8]> = read.header_values("Route").collect();
    assert_eq!(
        routes,
        [
            &b"<sip:p2.example.net;lr>"[..],
            b"<sip:+15550100001@192.0.2.10:5060;transport=tcp>"
        ]
    );
}

#[test]
fn target_refresh_moves_the_remote_target() {
    let mut ids = SequentialIds::new(1);
    let invite = invite(&mut ids);
    let outcome = dispatcher(bob()).dispatch(invite.bytes());
    let ok = outcome.response().unwrap();
    let mut bob_dialog = Dialog::from_accepted(&bob(), outcome.request().unwrap(), ok).unwrap();
    let ok_read = IncomingResponse::parse(ok.as_bytes().to_vec().into()).unwrap();
    let mut alice_dialog = Dialog::from_answer(&invite, &ok_read).unwrap();

    // Alice re-INVITEs from a new address (her Contact rewritten as a moved client's).
    let reinvite = alice_dialog
        .reinvite(&mut ids, Some(("application/sdp", b"v=0\r\n")))
        .unwrap();
    let moved = reinvite.to_string().replace(
        "192.0.2.10:5060;transport=tcp",
        "198.51.100.7:5070;transport=tcp",
    );
    let moved = IncomingRequest::parse(Bytes::from(moved)).unwrap();
    assert_eq!(bob_dialog.refresh_target_from_request(&moved), Ok(true));
    assert_eq!(
        bob_dialog.remote_target(),
        "sip:+15550100001@198.51.100.7:5070;transport=tcp"
    );
    assert_eq!(bob_dialog.refresh_target_from_request(&moved), Ok(false));
    let bye = bob_dialog.bye(&mut ids);
    assert!(bye
        .as_bytes()
        .starts_with(b"BYE sip:+15550100001@198.51.100.7:5070;transport=tcp SIP/2.0\r\n"));
    assert_eq!(
        bye.next_hop(),
        "sip:+15550100001@198.51.100.7:5070;transport=tcp"
    );

    // A request of another dialog is refused; a BYE refreshes nothing.
    let other = reinvite
        .to_string()
        .replace(invite.call_id(), "another-call");
    let other = IncomingRequest::parse(Bytes::from(other)).unwrap();
    assert_eq!(
        bob_dialog.refresh_target_from_request(&other),
        Err(DialogError::OtherDialog("Call-ID"))
    );
    let alice_bye = alice_dialog.bye(&mut ids);
    let alice_bye = IncomingRequest::parse(alice_bye.bytes()).unwrap();
    assert_eq!(
        bob_dialog.refresh_target_from_request(&alice_bye),
        Ok(false)
    );

    // Bob's UPDATE is answered with a new Contact: Alice... as seen by Bob.
    let update = bob_dialog.update(&mut ids, None).unwrap();
    let answer = format!(
        "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {} UPDATE\r\n\
         Contact: <sip:alice@203.0.113.5:5080>\r\nContent-Length: 0\r\n\r\n",
        update.header("Via").unwrap(),
        update.header("From").unwrap(),
        update.header("To").unwrap(),
        update.call_id(),
        update.cseq()
    );
    let answer = IncomingResponse::parse(Bytes::from(answer)).unwrap();
    assert_eq!(bob_dialog.refresh_target_from_response(&answer), Ok(true));
    assert_eq!(bob_dialog.next_hop(), "sip:alice@203.0.113.5:5080");
    // A response of the wrong direction is another dialog's.
    assert_eq!(
        alice_dialog.refresh_target_from_response(&answer),
        Err(DialogError::OtherDialog("From tag"))
    );
}

#[test]
fn what_sets_up_no_callee_dialog_is_refused() {
    let mut ids = SequentialIds::new(1);
    let invite = invite(&mut ids);
    // A rejected INVITE.
    let refused = Dispatcher::builder()
        .client(bob())
        .build()
        .dispatch(invite.bytes());
    assert_eq!(
        Dialog::from_accepted(
            &bob(),
            refused.request().unwrap(),
            refused.response().unwrap()
        ),
        Err(DialogError::NotSuccess(StatusCode::DECLINE))
    );
    // A 2xx to another request.
    let outcome = dispatcher(bob()).dispatch(invite.bytes());
    let other = dispatcher(bob()).dispatch(self::invite(&mut ids).bytes());
    assert_eq!(
        Dialog::from_accepted(
            &bob(),
            outcome.request().unwrap(),
            other.response().unwrap()
        ),
        Err(DialogError::OtherRequest("Call-ID"))
    );
    // A MESSAGE sets up no dialog.
    let message = Pager::new(
        "sip:+15550100002@ims.example.net",
        Content::text("Hi"),
        std::time::SystemTime::UNIX_EPOCH,
    )
    .build(&alice(), &mut ids)
    .unwrap()
    .into_pager()
    .unwrap();
    let message = IncomingRequest::parse(message.bytes()).unwrap();
    assert_eq!(
        Dialog::from_accepted(&bob(), &message, outcome.response().unwrap()),
        Err(DialogError::NotAnInvite("MESSAGE"))
    );
    // An INVITE without Contact.
    let text = invite.to_string();
    let start = text.find("Contact:").unwrap();
    let end = start + text[start..].find("\r\n").unwrap() + 2;
    let bare =
        IncomingRequest::parse(Bytes::from(format!("{}{}", &text[..start], &text[end..]))).unwrap();
    assert_eq!(
        Dialog::from_accepted(&bob(), &bare, outcome.response().unwrap()),
        Err(DialogError::NoRemoteTarget)
    );
}

#[test]
fn the_dispatcher_fills_received_and_rport() {
    let mut ids = SequentialIds::new(1);
    let invite = invite(&mut ids);
    assert!(invite.header("Via").unwrap().contains(";rport;"));
    let from: SocketAddr = "198.51.100.7:40123".parse().unwrap();
    let outcome = dispatcher(bob()).dispatch_from(invite.bytes(), from);
    let ok = outcome.response().unwrap().read().unwrap();
    let via = ok.header("Via").unwrap().value_str().unwrap();
    assert_eq!(
        via,
        format!(
            "SIP/2.0/TCP 192.0.2.10:5060;rport=40123;branch={};received=198.51.100.7",
            invite.branch()
        )
    );

    // The later response of a handler that answers later carries them too; a second
    // Via is copied as it is.
    let text = invite.to_string().replacen(
        "\r\nMax-Forwards",
        "\r\nVia: SIP/2.0/TCP proxy.example.net;branch=z9hG4bK-p;rport\r\nMax-Forwards",
        1,
    );
    let later = Dispatcher::builder().client(bob()).session(Later).build();
    let mut outcome = later.dispatch_from(Bytes::from(text), "192.0.2.10:5060".parse().unwrap());
    let ringing = outcome.response().unwrap().read().unwrap();
    let vias: Vec<&[u8]> = ringing.header_values("Via").collect();
    assert_eq!(
        vias,
        [
            format!(
                "SIP/2.0/TCP 192.0.2.10:5060;rport=5060;branch={};received=192.0.2.10",
                invite.branch()
            )
            .as_bytes(),
            b"SIP/2.0/TCP proxy.example.net;branch=z9hG4bK-p;rport",
        ]
    );
    let ok = outcome.take_pending().unwrap().accept().read().unwrap();
    assert_eq!(ok.header("Via").unwrap().value(), vias[0]);

    // Without a source, the Via is copied as it came.
    let plain = dispatcher(bob()).dispatch(invite.bytes());
    let ok = plain.response().unwrap().read().unwrap();
    assert_eq!(ok.header("Via").unwrap().value_str(), invite.header("Via"));
    // A malformed request's 400 gets them too.
    let broken = invite
        .to_string()
        .replace("CSeq: 1 INVITE", "CSeq: x INVITE");
    let refused = dispatcher(bob()).dispatch_from(Bytes::from(broken), from);
    let refusal = String::from_utf8_lossy(refused.response().unwrap().as_bytes()).into_owned();
    assert!(refusal.contains(";rport=40123;"), "{refusal}");
}

#[test]
fn a_dialog_from_an_invitation_accepted_later() {
    let mut ids = SequentialIds::new(1);
    let invite = invite(&mut ids);
    let later = Dispatcher::builder().client(bob()).session(Later).build();
    let mut outcome = later.dispatch(invite.bytes());
    assert_eq!(outcome.response().unwrap().status(), StatusCode::RINGING);
    let pending = outcome.take_pending().unwrap();
    // Keep the request: accepting consumes the pending response.
    let request = pending.request().clone();
    let ok = pending.accept();
    let mut dialog = Dialog::from_accepted(&bob(), &request, &ok).unwrap();
    let bye = dialog.bye(&mut ids);
    let outcome = dispatcher(alice()).dispatch(bye.bytes());
    let Handling::InDialog(Some(id)) = outcome.handling() else {
        panic!("{:?}", outcome.handling());
    };
    assert_eq!(&id.local_tag[..], invite.from_tag().as_bytes());
    assert_eq!(&id.remote_tag[..], dialog.local_tag().as_bytes());
    // The To tag of the 180 and of the 200 are the same: one dialog.
    let ringing = later.dispatch(invite.bytes());
    let ringing = ringing.response().unwrap().read().unwrap();
    assert_eq!(
        ringing.header("To").unwrap().value_str().unwrap(),
        format!(
            "<sip:+15550100002@ims.example.net>;tag={}",
            dialog.local_tag()
        )
    );
}
