//! The dialog the client's INVITE sets up (`outgoing::Dialog`): the ACK and BYE built
//! from the peer's 2xx reach the peer's dispatcher as requests of that dialog; route
//! sets, strict routers and every response that cannot set up a dialog.

use bytes::Bytes;
use cpm_client::outgoing::*;
use cpm_client::sip::IncomingResponse;
use cpm_client::{
    Decision, DialogHandler, Dispatcher, Handling, InDialogRequest, Method, RoutedRequest,
    SessionHandler,
};
use cpm_client::{OutgoingRequest, StatusCode};

struct Yes;

impl SessionHandler for Yes {
    fn session_invitation(&self, _: &cpm_client::SessionInvitation<'_>) -> Decision {
        Decision::accept()
    }
}

impl DialogHandler for Yes {
    fn in_dialog(&self, _: &InDialogRequest<'_>) -> Decision {
        Decision::accept()
    }
}

fn config() -> ClientConfig {
    ClientConfig::new(
        "sip:+15550100001@ims.example.net",
        ContactAddress::new("192.0.2.10", 5060, Transport::Tcp).unwrap(),
    )
    .unwrap()
}

fn peer() -> Dispatcher {
    let peer = ClientConfig::new(
        "sip:+15550100002@ims.example.net",
        ContactAddress::new("192.0.2.20", 5062, Transport::Tcp).unwrap(),
    )
    .unwrap()
    .with_msrp(MsrpEndpoint::new().with_port(2855));
    Dispatcher::builder()
        .client(peer)
        .session(Yes)
        .dialog(Yes)
        .build()
}

fn invite(ids: &mut SequentialIds) -> OutgoingRequest {
    Session::one_to_one("sip:+15550100002@ims.example.net")
        .build(&config(), ids)
        .unwrap()
}

/// A 2xx to `invite` with the given extra header lines (Contact, Record-Route, ...).
fn answer(invite: &OutgoingRequest, status: u16, to_tag: &str, extra: &str) -> IncomingResponse {
    let text = format!(
        "SIP/2.0 {status} Whatever\r\nVia: {}\r\nFrom: {}\r\n\
         To: <sip:+15550100002@ims.example.net>{to_tag}\r\nCall-ID: {}\r\nCSeq: {} INVITE\r\n\
         {extra}Content-Length: 0\r\n\r\n",
        invite.header("Via").unwrap(),
        invite.header("From").unwrap(),
        invite.call_id(),
        invite.cseq()
    );
    IncomingResponse::parse(Bytes::from(text)).unwrap()
}

#[test]
fn ack_and_bye_reach_the_peer_as_requests_of_its_dialog() {
    let mut ids = SequentialIds::new(7);
    let invite = invite(&mut ids);
    let peer = peer();
    let outcome = peer.dispatch(invite.bytes());
    assert_eq!(outcome.handling(), &Handling::Handled);
    let ok =
        IncomingResponse::parse(outcome.response().unwrap().as_bytes().to_vec().into()).unwrap();
    assert_eq!(ok.status(), 200);

    let mut dialog = Dialog::from_answer(&invite, &ok).unwrap();
    assert_eq!(dialog.call_id(), invite.call_id());
    assert_eq!(dialog.local_tag(), invite.from_tag());
    assert!(!dialog.remote_tag().is_empty());
    assert_eq!(
        dialog.remote_target(),
        "sip:+15550100002@192.0.2.20:5062;transport=tcp"
    );

    let ack = dialog.ack(&mut ids);
    let bye = dialog.bye(&mut ids);
    for (request, method, cseq) in [
        (&ack, Method::Ack, invite.cseq()),
        (&bye, Method::Bye, invite.cseq() + 1),
    ] {
        let read = RoutedRequest::parse(request.bytes()).unwrap();
        assert_eq!(read.method(), method);
        assert_eq!(read.cseq(), cseq);
        assert_eq!(read.request_uri(), dialog.remote_target().as_bytes());
        assert_ne!(request.branch(), invite.branch(), "a new transaction");
        assert!(request.branch().starts_with("z9hG4bK"));
        assert_eq!(request.header("User-Agent"), invite.header("User-Agent"));
        assert_eq!(request.header("From"), invite.header("From"));
        assert_eq!(request.header("Route"), None, "no Record-Route, no Route");
        #[cfg(feature = "rsip")]
        request.to_rsip().unwrap();
        let outcome = peer.dispatch(request.bytes());
        // The peer sees the same dialog, from its side.
        let Handling::InDialog(Some(id)) = outcome.handling() else {
            panic!("{method:?}: {:?}", outcome.handling());
        };
        assert_eq!(&id.call_id[..], dialog.call_id().as_bytes());
        assert_eq!(&id.local_tag[..], dialog.remote_tag().as_bytes());
        assert_eq!(&id.remote_tag[..], dialog.local_tag().as_bytes());
        if method == Method::Bye {
            assert_eq!(outcome.response().unwrap().status().code(), 200);
        } else {
            assert!(outcome.response().is_none(), "an ACK is not answered");
        }
    }
    // Each BYE-like request takes the next CSeq; the ACK keeps the INVITE's.
    assert_eq!(dialog.bye(&mut ids).cseq(), invite.cseq() + 2);
    assert_eq!(dialog.ack(&mut ids).cseq(), invite.cseq());
}

#[test]
fn the_route_set_is_the_record_route_reversed() {
    let mut ids = SequentialIds::new(1);
    let invite = invite(&mut ids);
    let ok = answer(
        &invite,
        200,
        ";tag=b0b",
        "Record-Route: <sip:p2.example.net;lr>, <sip:p1.example.net;lr>\r\n\
         Record-Route: <sip:p0.example.net;lr;ftag=x>\r\nContact: <sip:bob@192.0.2.20>\r\n",
    );
    let dialog = Dialog::from_answer(&invite, &ok).unwrap();
    assert_eq!(
        dialog.routes(),
        [
            "<sip:p0.example.net;lr;ftag=x>",
            "<sip:p1.example.net;lr>",
            "<sip:p2.example.net;lr>"
        ]
    );
    let ack = dialog.ack(&mut ids);
    let read = RoutedRequest::parse(ack.bytes()).unwrap();
    assert_eq!(read.request_uri(), b"sip:bob@192.0.2.20");
    let routes: Vec<&[u8]> = read.header_values("Route").collect();
    assert_eq!(
        routes,
        [
            &b"<sip:p0.example.net;lr;ftag=x>"[..],
            b"<sip:p1.example.net;lr>",
            b"<sip:p2.example.net;lr>"
        ]
    );
}

#[test]
fn a_strict_router_takes_the_request_uri_and_the_target_goes_last() {
    let mut ids = SequentialIds::new(1);
    let invite = invite(&mut ids);
    let ok = answer(
        &invite,
        200,
        ";tag=b0b",
        "Record-Route: <sip:p1.example.net;lr>, <sip:strict.example.net>\r\n\
         Contact: <sip:bob@192.0.2.20>\r\n",
    );
    let mut dialog = Dialog::from_answer(&invite, &ok).unwrap();
    let bye = dialog.bye(&mut ids);
    let read = RoutedRequest::parse(bye.bytes()).unwrap();
    assert_eq!(read.request_uri(), b"sip:strict.example.net");
    let routes: Vec<&[u8]> = read.header_values("Route").collect();
    assert_eq!(
        routes,
        [&b"<sip:p1.example.net;lr>"[..], b"<sip:bob@192.0.2.20>"]
    );
}

#[test]
fn responses_that_set_up_no_dialog_are_refused() {
    let mut ids = SequentialIds::new(1);
    let invite = invite(&mut ids);
    let contact = "Contact: <sip:bob@192.0.2.20>\r\n";
    let cases = [
        (
            answer(&invite, 180, ";tag=b0b", contact),
            DialogError::NotSuccess(StatusCode::RINGING),
        ),
        (
            answer(&invite, 486, ";tag=b0b", contact),
            DialogError::NotSuccess(StatusCode::BUSY_HERE),
        ),
        (answer(&invite, 200, "", contact), DialogError::NoRemoteTag),
        (
            answer(&invite, 200, ";tag=b0b", ""),
            DialogError::NoRemoteTarget,
        ),
        (
            answer(
                &invite,
                200,
                ";tag=b0b",
                "Contact: <sip:bob@192.0.2.20 x>\r\n",
            ),
            DialogError::Unwritable("Contact"),
        ),
    ];
    for (response, error) in cases {
        assert_eq!(Dialog::from_answer(&invite, &response), Err(error.clone()));
        assert!(!error.to_string().is_empty());
    }
    // A 2xx to another request.
    let other = self::invite(&mut ids);
    let ok = answer(&other, 200, ";tag=b0b", contact);
    assert_eq!(
        Dialog::from_answer(&invite, &ok),
        Err(DialogError::OtherRequest("Call-ID"))
    );
    // Only an INVITE sets up a dialog.
    let message = Pager::new(
        "sip:+15550100002@ims.example.net",
        Content::text("Hi"),
        std::time::SystemTime::UNIX_EPOCH,
    )
    .build(&config(), &mut ids)
    .unwrap()
    .into_pager()
    .unwrap();
    let ok = answer(&invite, 200, ";tag=b0b", contact);
    assert_eq!(
        Dialog::from_answer(&message, &ok),
        Err(DialogError::NotAnInvite("MESSAGE"))
    );
}

#[test]
fn a_folded_to_is_written_on_one_line() {
    let mut ids = SequentialIds::new(1);
    let invite = invite(&mut ids);
    let text = format!(
        "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: \"Bob\"\r\n <sip:+15550100002@ims.example.net>;tag=b0b\r\n\
         Call-ID: {}\r\nCSeq: {} INVITE\r\nContact: <sip:bob@192.0.2.20>\r\nContent-Length: 0\r\n\r\n",
        invite.header("Via").unwrap(),
        invite.header("From").unwrap(),
        invite.call_id(),
        invite.cseq()
    );
    let ok = IncomingResponse::parse(Bytes::from(text)).unwrap();
    let dialog = Dialog::from_answer(&invite, &ok).unwrap();
    let ack = dialog.ack(&mut ids);
    assert_eq!(
        ack.header("To"),
        Some("\"Bob\" <sip:+15550100002@ims.example.net>;tag=b0b")
    );
    RoutedRequest::parse(ack.bytes()).unwrap();
}
