//! The dispatcher through the public API: every route reaches its handler with a
//! correct view, and every response it builds reads back (with rsip and with the
//! library's own reader) with the headers RFC 3261 section 8.2.6 requires.

use std::sync::{Arc, Mutex};

mod common;

use bytes::Bytes;
use cpm_client::outgoing::{ContactAddress, MsrpEndpoint, Transport};
use cpm_client::sip::{IncomingResponse, KnownHeader};
use cpm_client::{
    Accept, ClientConfig, Decision, DeferredGroupSession, DeferredHandler, DialogHandler,
    Dispatcher, FileTransferHandler, FileTransferInvitation, Handling, InDialogRequest,
    LargeMessageHandler, LargeMessageInvitation, Method, OtherRequestHandler, PagerHandler,
    PagerMessage, ParseErrorKind, RequestView, Response, Route, RoutedRequest, SessionHandler,
    SessionInvitation, StatusCode,
};

fn data(name: &str) -> Bytes {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    Bytes::from(std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
}

/// Writes down what each handler saw, and answers as told.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<String>>,
    later: bool,
}

impl Recorder {
    fn note(&self, line: String) -> Decision {
        self.seen.lock().unwrap().push(line);
        if self.later {
            Decision::later()
        } else {
            Decision::accept()
        }
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.seen.lock().unwrap())
    }
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

impl PagerHandler for Recorder {
    fn pager_message(&self, m: &PagerMessage<'_>) -> Decision {
        let cpim = m.cpim().expect("a CPIM body");
        self.note(format!(
            "pager deferred={} from={} conv={} msgid={} type={} content={:?}",
            m.is_deferred(),
            text(m.sender().unwrap().uri()),
            m.conversation_id().unwrap_or("-"),
            cpim.message_id().unwrap_or("-"),
            m.content_type()
                .map(|t| t.essence().to_ascii_lowercase())
                .unwrap_or_default(),
            String::from_utf8_lossy(m.content()),
        ))
    }
}

impl LargeMessageHandler for Recorder {
    fn large_message(&self, m: &LargeMessageInvitation<'_>) -> Decision {
        let msrp = m.msrp().expect("an MSRP offer");
        self.note(format!(
            "large-message deferred={} path={}",
            m.is_deferred(),
            msrp.path().next().unwrap_or("-")
        ))
    }
}

impl SessionHandler for Recorder {
    fn session_invitation(&self, s: &SessionInvitation<'_>) -> Decision {
        self.note(format!(
            "session group={} contribution={} path={}",
            s.is_group(),
            s.contribution_id().unwrap_or("-"),
            s.msrp().and_then(|m| m.path().next()).unwrap_or("-")
        ))
    }
}

impl FileTransferHandler for Recorder {
    fn file_transfer(&self, f: &FileTransferInvitation<'_>) -> Decision {
        let file = f.file_selector().expect("a file selector");
        self.note(format!(
            "file-transfer name={} type={} size={:?} id={}",
            file.name_decoded().unwrap_or_default(),
            file.media_type.as_deref().unwrap_or("-"),
            file.size,
            f.file_transfer_id().unwrap_or("-"),
        ))
    }
}

impl DeferredHandler for Recorder {
    fn deferred_group_session(&self, d: &DeferredGroupSession<'_>) -> Decision {
        self.note(format!(
            "deferred-group-session from={} path={}",
            text(d.sender().unwrap().uri()),
            d.msrp().and_then(|m| m.path().next()).unwrap_or("-")
        ))
    }
}

impl DialogHandler for Recorder {
    fn in_dialog(&self, r: &InDialogRequest<'_>) -> Decision {
        let dialog = r
            .dialog()
            .map(|d| {
                format!(
                    "{}/{}/{}",
                    text(&d.call_id),
                    text(&d.local_tag),
                    text(&d.remote_tag)
                )
            })
            .unwrap_or_else(|| "-".into());
        self.note(format!("dialog {} {dialog}", r.method().as_str()))
    }
}

impl OtherRequestHandler for Recorder {
    fn other_request(&self, r: &RequestView<'_>) -> Decision {
        self.note(format!("other {}", r.request().method().as_str()))
    }
}

/// The client answering: its Contact and MSRP endpoint.
fn client() -> ClientConfig {
    ClientConfig::new(
        "sip:+15550100002@ims.example.net",
        ContactAddress::new("192.0.2.20", 5060, Transport::Tcp).unwrap(),
    )
    .unwrap()
    .with_msrp(MsrpEndpoint::new().with_port(2855))
}

fn full(recorder: &Arc<Recorder>) -> Dispatcher {
    Dispatcher::builder()
        .client(client())
        .pager(Arc::clone(recorder))
        .large_message(Arc::clone(recorder))
        .session(Arc::clone(recorder))
        .file_transfer(Arc::clone(recorder))
        .deferred(Arc::clone(recorder))
        .dialog(Arc::clone(recorder))
        .other(Arc::clone(recorder))
        .build()
}

/// Checks what every response must hold, against the request it answers, and returns
/// the response as read back by the library.
fn check_response(request: &[u8], response: &Response) -> IncomingResponse {
    #[cfg(feature = "rsip")]
    {
        let typed = response.to_rsip().unwrap_or_else(|e| {
            panic!(
                "rsip refuses {:?}: {e}",
                String::from_utf8_lossy(response.as_bytes())
            )
        });
        assert_eq!(
            u16::from(typed.status_code.clone()),
            response.status().code()
        );
    }
    let read = response.read().unwrap_or_else(|e| {
        panic!(
            "own reader refuses {:?}: {e}",
            String::from_utf8_lossy(response.as_bytes())
        )
    });
    assert_eq!(read.status(), response.status().code());
    assert_eq!(read.content_length(), Some(read.body().len()));

    let request = RoutedRequest::parse(Bytes::copy_from_slice(request)).unwrap();
    let request_vias: Vec<&[u8]> = request.header_values("Via").collect();
    let response_vias: Vec<&[u8]> = read.header_values("Via").collect();
    assert_eq!(request_vias, response_vias, "every Via, in order");
    for name in ["From", "Call-ID", "CSeq"] {
        assert_eq!(
            request.header(name).unwrap().value(),
            read.header(name).unwrap().value(),
            "{name} copied"
        );
    }
    let to_request = request.header("To").unwrap().value();
    let to_response = read.header("To").unwrap().value();
    assert!(to_response.starts_with(to_request), "To copied");
    let to = cpm_client::sip::NameAddr::parse(to_response).unwrap();
    assert!(to.tag().is_some_and(|t| !t.is_empty()), "To-tag present");
    let server = read.header("Server").expect("Server").value();
    assert!(server.starts_with(b"CPM-client/OMA2.0"), "release stamp");
    read
}

fn sdp_line<'a>(response: &'a IncomingResponse, prefix: &str) -> Option<&'a str> {
    text(response.body())
        .split("\r\n")
        .find(|l| l.starts_with(prefix))
}

#[test]
fn every_route_reaches_its_handler_with_its_view() {
    let recorder = Arc::new(Recorder::default());
    let dispatcher = full(&recorder);
    let cases = [
        ("row01-message-msg.sip", Route::Pager,
         "pager deferred=false from=sip:+15555698982@ims.example.net conv=4a58fb43-fd56-4a09-a0af-4fe8cf423ad5 msgid=x7z6tqmhyhyviyh6 type=text/plain content=\"Running 10 minutes late, sorry!\""),
        ("row07-invite-largemsg.sip", Route::LargeMessage,
         "large-message deferred=false path=msrp://198.51.100.75:9/6jrakgjt3xvt;tcp"),
        ("row08-invite-deferred-no-focus.sip", Route::LargeMessage,
         "large-message deferred=true path=msrp://198.51.100.132:9/mxq4qe2ib846;tcp"),
        ("row05-invite-session.sip", Route::Session,
         "session group=false contribution=b2e89d51-3cbe-499c-b3ef-6e2ff34956d2 path=msrp://192.0.2.89:9/2xmx4rg9hk5q;tcp"),
        ("row04-invite-filetransfer.sip", Route::FileTransfer,
         "file-transfer name=IMG_9464.jpg type=image/jpeg size=Some(244911) id=m6uii9mc37dfimarwmp5"),
        ("row08-invite-deferred-isfocus.sip", Route::DeferredGroupSession,
         "deferred-group-session from="),
        ("row11-message-no-accept-contact.sip", Route::NotCpm, "other MESSAGE"),
    ];
    for (file, route, expected) in cases {
        let wire = data(file);
        let outcome = dispatcher.dispatch(wire.clone());
        assert_eq!(outcome.route(), Some(route), "{file}");
        assert_eq!(outcome.handling(), &Handling::Handled, "{file}");
        let seen = recorder.take();
        assert_eq!(seen.len(), 1, "{file}: {seen:?}");
        assert!(
            seen[0].starts_with(expected),
            "{file}: {} vs {expected}",
            seen[0]
        );
        let response = outcome.response().expect("a response");
        assert_eq!(response.status(), StatusCode::OK, "{file}");
        check_response(&wire, response);
    }
}

#[test]
fn deferred_pager_messages_are_flagged() {
    let recorder = Arc::new(Recorder::default());
    let outcome = full(&recorder).dispatch(data("row02-message-deferred-only.sip"));
    assert_eq!(outcome.route(), Some(Route::Pager));
    assert!(recorder.take()[0].starts_with("pager deferred=true"));
}

#[test]
fn invite_answers_carry_contact_and_the_sdp_answer_of_their_procedure() {
    let recorder = Arc::new(Recorder::default());
    let dispatcher = full(&recorder);
    for (file, icsi, direction) in [
        ("row05-invite-session.sip", "oma.cpm.session", "a=sendrecv"),
        (
            "row07-invite-largemsg.sip",
            "oma.cpm.largemsg",
            "a=recvonly",
        ),
        (
            "row04-invite-filetransfer.sip",
            "oma.cpm.filetransfer",
            "a=recvonly",
        ),
        (
            "row08-invite-deferred-isfocus.sip",
            "oma.cpm.deferred",
            "a=recvonly",
        ),
    ] {
        let wire = data(file);
        let outcome = dispatcher.dispatch(wire.clone());
        let read = check_response(&wire, outcome.response().unwrap());
        let contact = text(read.header("Contact").expect("Contact").value());
        assert!(
            contact.starts_with(
                "<sip:+15550100002@192.0.2.20:5060;transport=tcp>;+g.3gpp.icsi-ref=\""
            ),
            "{contact}"
        );
        assert!(contact.ends_with(&format!("{icsi}\"")), "{file}: {contact}");
        assert_eq!(
            text(read.header("Content-Type").unwrap().value()),
            "application/sdp"
        );
        assert_eq!(sdp_line(&read, "a=s").map(|_| ()), Some(()));
        assert!(
            text(read.body()).split("\r\n").any(|l| l == direction),
            "{file}"
        );
        assert_eq!(
            sdp_line(&read, "a=setup:"),
            Some("a=setup:passive"),
            "offer was active"
        );
        assert!(
            sdp_line(&read, "a=path:msrp://192.0.2.20:2855/").is_some(),
            "{file}"
        );
        assert_eq!(sdp_line(&read, "m="), Some("m=message 2855 TCP/MSRP *"));
        // The answer is SDP the library's own reader understands.
        let sdp = cpm_client::sdp::Sdp::parse(read.body()).unwrap();
        assert!(sdp.msrp().is_some());
        // CPM identifiers are echoed.
        let request = RoutedRequest::parse(wire).unwrap();
        for name in ["Conversation-ID", "Contribution-ID"] {
            if let Some(h) = request.header(name) {
                assert_eq!(
                    read.header(name).unwrap().value(),
                    h.value(),
                    "{file} {name}"
                );
            }
        }
    }
    // RFC 5547: the file-transfer answer repeats the offer's selector and id.
    let outcome = dispatcher.dispatch(data("row04-invite-filetransfer.sip"));
    let read = outcome.response().unwrap().read().unwrap();
    assert_eq!(
        sdp_line(&read, "a=file-selector:"),
        Some("a=file-selector:name:\"IMG_9464.jpg\" type:image/jpeg size:244911")
    );
    assert_eq!(
        sdp_line(&read, "a=file-transfer-id:"),
        Some("a=file-transfer-id:m6uii9mc37dfimarwmp5")
    );
}

#[test]
fn a_procedure_without_handler_gets_the_standard_rejection() {
    let dispatcher = Dispatcher::builder().build();
    for (file, status) in [
        ("row01-message-msg.sip", StatusCode::FORBIDDEN),
        ("row05-invite-session.sip", StatusCode::DECLINE),
        ("row07-invite-largemsg.sip", StatusCode::DECLINE),
        ("row04-invite-filetransfer.sip", StatusCode::DECLINE),
        ("row08-invite-deferred-isfocus.sip", StatusCode::DECLINE),
        ("row11-message-no-accept-contact.sip", StatusCode::FORBIDDEN),
        ("row11-invite-rcse-sip-im.sip", StatusCode::DECLINE),
    ] {
        let wire = data(file);
        let outcome = dispatcher.dispatch(wire.clone());
        assert_eq!(outcome.handling(), &Handling::NoHandler, "{file}");
        let response = outcome.response().unwrap();
        assert_eq!(response.status(), status, "{file}");
        let read = check_response(&wire, response);
        assert!(
            read.header("Contact").is_none(),
            "a rejection creates no dialog"
        );
        assert_eq!(read.body(), b"");
    }
}

#[test]
fn a_request_that_does_not_read_gets_400_with_the_reason() {
    let dispatcher = Dispatcher::builder().build();
    for file in std::fs::read_dir(format!("{}/tests/data", env!("CARGO_MANIFEST_DIR"))).unwrap() {
        let path = file.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("err-") {
            continue;
        }
        let wire = Bytes::from(std::fs::read(&path).unwrap());
        let error = RoutedRequest::parse(wire.clone()).unwrap_err();
        let outcome = dispatcher.dispatch(wire.clone());
        assert_eq!(outcome.route(), None, "{name}");
        assert_eq!(
            outcome.handling(),
            &Handling::Malformed(error.clone()),
            "{name}"
        );
        // Every err- case is a request with a Via, so each gets its answer; the copied
        // headers are as written, so the answer is framed but may not read back.
        let Some(response) = outcome.response() else {
            // Nothing to answer: not a request line, or no Via to answer along.
            let no_way_back = matches!(
                error.kind(),
                ParseErrorKind::NotARequest | ParseErrorKind::MissingHeader(KnownHeader::Via)
            ) || wire.starts_with(b" ");
            assert!(no_way_back, "{name}: {error}");
            continue;
        };
        assert_eq!(response.status().code(), error.status_code(), "{name}");
        common::framed(response.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let status_line = response.as_bytes().split(|&b| b == b'\r').next().unwrap();
        assert_eq!(text(&status_line[12..]), error.to_string(), "{name}");
    }
    // Even a request with bare LF line ends gets its 400, with every Via.
    let wire = Bytes::from_static(
        b"MESSAGE sip:b@example.net SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1\n\
          Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK-2\nFrom: <sip:a@example.net>;tag=1\n\
          To: <sip:b@example.net>\nCall-ID: lf-1\nCSeq: 1 MESSAGE\nContent-Length: 0\n\n",
    );
    let outcome = dispatcher.dispatch(wire);
    let read = outcome.response().unwrap().read().unwrap();
    assert_eq!(read.status(), 400);
    assert_eq!(text(read.reason()), "line 1: line does not end in CRLF");
    assert_eq!(read.header_values("Via").count(), 2);
    assert_eq!(read.header("Call-ID").unwrap().value(), b"lf-1");
    // A version other than SIP/2.0 is 505.
    let outcome = dispatcher.dispatch(Bytes::from_static(
        b"MESSAGE sip:b@example.net SIP/3.0\r\nVia: SIP/3.0/UDP h;branch=z9hG4bK-1\r\n\
          From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: v3\r\nCSeq: 1 MESSAGE\r\n\r\n",
    ));
    assert_eq!(
        outcome.response().unwrap().status(),
        StatusCode::VERSION_NOT_SUPPORTED
    );
    // Without Via nothing can be answered, but the outcome says why.
    let outcome = dispatcher.dispatch(Bytes::from_static(
        b"MESSAGE sip:b@x SIP/2.0\r\nCSeq: 1 MESSAGE\r\n\r\n",
    ));
    assert!(outcome.response().is_none());
    assert!(matches!(outcome.handling(), Handling::Malformed(_)));
    // Without From, To and Call-ID, or with a CSeq out of range, the 400 still goes
    // back along the Via, copying what is there (RFC 4475 sections 3.3.1 and 3.1.2.4).
    let outcome = dispatcher.dispatch(Bytes::from_static(
        b"OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK-1\r\n\
          CSeq: 4294967296 OPTIONS\r\n\r\n",
    ));
    let response = outcome.response().unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    common::framed(response.as_bytes()).unwrap();
    let wire = text(response.as_bytes());
    assert!(
        wire.contains("\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK-1\r\n"),
        "{wire}"
    );
    assert!(wire.contains("\r\nCSeq: 4294967296 OPTIONS\r\n"), "{wire}");
    assert!(
        !wire.contains("\r\nTo:") && !wire.contains("\r\nCall-ID:"),
        "{wire}"
    );
    // A To that is not an address reads, but cannot be answered with a tag: 400.
    let outcome = dispatcher.dispatch(Bytes::from_static(
        b"MESSAGE sip:b@example.net SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK-1\r\n\
          From: <sip:a@x>;tag=1\r\nTo: \"Bob <sip:b@x>\r\nCall-ID: to-1\r\nCSeq: 1 MESSAGE\r\n\r\n",
    ));
    let read = outcome.response().unwrap().read().unwrap();
    assert_eq!(
        (read.status(), text(read.reason())),
        (
            StatusCode::BAD_REQUEST,
            "line 4: malformed To header: not an address"
        )
    );
    assert!(matches!(outcome.handling(), Handling::Malformed(_)));
    // A response is not answered.
    let outcome = dispatcher.dispatch(Bytes::from_static(b"SIP/2.0 200 OK\r\n\r\n"));
    assert!(outcome.response().is_none());
}

const OPTIONS: &[u8] = b"OPTIONS sip:+15550100002@192.0.2.20 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK-o1\r\nMax-Forwards: 70\r\n\
From: <sip:+15550100001@ims.example.net>;tag=o1\r\nTo: <sip:+15550100002@ims.example.net>\r\n\
Call-ID: opt-1\r\nCSeq: 1 OPTIONS\r\nAccept: application/sdp\r\nContent-Length: 0\r\n\r\n";

#[test]
fn options_advertises_the_services_that_have_handlers() {
    let recorder = Arc::new(Recorder::default());
    let outcome = full(&recorder).dispatch(Bytes::from_static(OPTIONS));
    assert_eq!(outcome.handling(), &Handling::Options);
    let read = check_response(OPTIONS, outcome.response().unwrap());
    let contact = read.header("Contact").unwrap().value();
    let expected = cpm_client::FeatureTag::ALL
        .map(|t| t.encoded_urn())
        .join(",");
    assert_eq!(
        text(contact),
        format!("<sip:+15550100002@192.0.2.20:5060;transport=tcp>;+g.3gpp.icsi-ref=\"{expected}\"")
    );
    assert!(read.header("Allow").is_some() && read.header("Accept").is_some());

    // Only the registered services: here the pager and sessions.
    let dispatcher = Dispatcher::builder()
        .pager(Arc::clone(&recorder))
        .session(Arc::clone(&recorder))
        .build();
    let outcome = dispatcher.dispatch(Bytes::from_static(OPTIONS));
    let read = check_response(OPTIONS, outcome.response().unwrap());
    let contact = text(read.header("Contact").unwrap().value());
    assert_eq!(
        contact,
        "<sip:+15550100002@192.0.2.20>;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\""
    );
    // The advertised tags read back as CPM tags with the library's own reader.
    let value = contact
        .split_once(";+g.3gpp.icsi-ref=\"")
        .unwrap()
        .1
        .trim_end_matches('"');
    let tags: Vec<_> = value
        .split(',')
        .map(|v| {
            cpm_client::FeatureTag::match_value(v.as_bytes())
                .unwrap()
                .short_name()
        })
        .collect();
    assert_eq!(tags, ["msg", "session"]);
}

fn request(method: &str, to_tag: Option<&str>, extra: &str) -> Bytes {
    let tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    Bytes::from(format!(
        "{method} sip:+15550100002@192.0.2.20:5060;transport=tcp SIP/2.0\r\n\
         Via: SIP/2.0/TCP 192.0.2.7:5060;branch=z9hG4bK-{method}\r\n\
         Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK-proxy\r\nMax-Forwards: 70\r\n\
         From: <sip:+15550100001@ims.example.net>;tag=remote-7\r\n\
         To: <sip:+15550100002@ims.example.net>{tag}\r\nCall-ID: dlg-42\r\nCSeq: 9 {method}\r\n\
         {extra}Content-Length: 0\r\n\r\n"
    ))
}

#[test]
fn methods_the_client_does_not_serve() {
    let dispatcher = Dispatcher::builder().build();
    for (method, status) in [
        ("PUBLISH", StatusCode::METHOD_NOT_ALLOWED),
        ("SUBSCRIBE", StatusCode::METHOD_NOT_ALLOWED),
        ("REGISTER", StatusCode::METHOD_NOT_ALLOWED),
        ("FOO", StatusCode::NOT_IMPLEMENTED),
        ("invite", StatusCode::NOT_IMPLEMENTED),
        ("BYE", StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST),
        ("UPDATE", StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST),
    ] {
        let wire = request(method, None, "");
        let outcome = dispatcher.dispatch(wire.clone());
        assert_eq!(outcome.handling(), &Handling::MethodNotServed, "{method}");
        let response = outcome.response().unwrap();
        assert_eq!(response.status(), status, "{method}");
        let read = check_response(&wire, response);
        if status.code() == 405 || status.code() == 501 {
            let allow = text(read.header("Allow").expect("Allow").value());
            assert_eq!(
                allow, "INVITE, ACK, CANCEL, BYE, MESSAGE, OPTIONS",
                "{method}"
            );
        }
    }
}

#[test]
fn in_dialog_requests_reach_the_dialog_handler() {
    let recorder = Arc::new(Recorder::default());
    let dispatcher = full(&recorder);
    for (method, answered) in [
        ("BYE", true),
        ("INVITE", true),
        ("UPDATE", true),
        ("INFO", true),
        ("MESSAGE", true),
        ("ACK", false),
    ] {
        let wire = request(method, Some("local-3"), "");
        let outcome = dispatcher.dispatch(wire.clone());
        let Handling::InDialog(Some(dialog)) = outcome.handling() else {
            panic!("{method}: {:?}", outcome.handling());
        };
        assert_eq!(
            (
                &dialog.call_id[..],
                &dialog.local_tag[..],
                &dialog.remote_tag[..]
            ),
            (&b"dlg-42"[..], &b"local-3"[..], &b"remote-7"[..])
        );
        assert_eq!(
            recorder.take(),
            [format!("dialog {method} dlg-42/local-3/remote-7")]
        );
        assert_eq!(outcome.response().is_some(), answered, "{method}");
        if let Some(response) = outcome.response() {
            // A re-INVITE is answered with the application's SDP, which this handler
            // did not give: the library does not make up a new session for it.
            let status = if method == "INVITE" {
                StatusCode::NOT_ACCEPTABLE_HERE
            } else {
                StatusCode::OK
            };
            assert_eq!(response.status(), status, "{method}");
            let read = check_response(&wire, response);
            assert_eq!(
                read.header("To").unwrap().value(),
                b"<sip:+15550100002@ims.example.net>;tag=local-3",
                "the To-tag is kept"
            );
        }
    }
    // With its own SDP, a re-INVITE is accepted as the handler says.
    let wire = request("INVITE", Some("local-3"), "");
    let outcome = Dispatcher::builder()
        .dialog(ReInvite)
        .build()
        .dispatch(wire.clone());
    let read = check_response(&wire, outcome.response().unwrap());
    assert_eq!((read.status().code(), read.body()), (200, &b"v=0\r\n"[..]));
    assert_eq!(
        read.header("Content-Type").unwrap().value(),
        b"application/sdp"
    );
    // CANCEL carries the To of the INVITE it cancels: no tag, still the dialog handler's.
    let outcome = dispatcher.dispatch(request("CANCEL", None, ""));
    assert_eq!(outcome.handling(), &Handling::InDialog(None));
    assert_eq!(recorder.take(), ["dialog CANCEL -"]);
    assert_eq!(outcome.response().unwrap().status(), StatusCode::OK);
}

#[test]
fn in_dialog_requests_without_a_dialog_handler() {
    let dispatcher = Dispatcher::builder().build();
    for (method, status) in [
        ("BYE", Some(StatusCode::OK)),
        ("CANCEL", Some(StatusCode::OK)),
        (
            "INVITE",
            Some(StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST),
        ),
        ("INFO", Some(StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST)),
        ("ACK", None),
    ] {
        let wire = request(method, Some("local-3"), "");
        let outcome = dispatcher.dispatch(wire.clone());
        assert_eq!(outcome.response().map(|r| r.status()), status, "{method}");
        if let Some(response) = outcome.response() {
            check_response(&wire, response);
        } else {
            assert!(matches!(outcome.handling(), Handling::Unanswered(_)));
        }
    }
}

#[test]
fn answer_later_sends_180_then_the_final_response_with_the_same_to_tag() {
    let recorder = Arc::new(Recorder {
        later: true,
        ..Recorder::default()
    });
    let dispatcher = full(&recorder);
    let wire = data("row05-invite-session.sip");
    let mut outcome = dispatcher.dispatch(wire.clone());
    let ringing = outcome.take_response().unwrap();
    assert_eq!(ringing.status(), StatusCode::RINGING);
    let ringing = check_response(&wire, &ringing);
    assert!(
        ringing.header("Contact").is_some(),
        "18x to an INVITE creates an early dialog"
    );
    assert_eq!(ringing.body(), b"");
    let pending = outcome.take_pending().expect("a pending response");
    assert_eq!(pending.request().method(), Method::Invite);

    // The handle outlives the dispatcher and moves to another thread.
    drop(dispatcher);
    let ok = std::thread::spawn(move || {
        pending.accept_with(Accept::default().with_msrp_path("msrp://192.0.2.20:2855/later;tcp"))
    })
    .join()
    .unwrap();
    let ok = check_response(&wire, &ok);
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.header("To").unwrap().value(),
        ringing.header("To").unwrap().value()
    );
    assert_eq!(
        sdp_line(&ok, "a=path:"),
        Some("a=path:msrp://192.0.2.20:2855/later;tcp")
    );

    // A MESSAGE answered later gets nothing now, then its final response.
    let mut outcome = full(&recorder).dispatch(data("row01-message-msg.sip"));
    assert!(outcome.response().is_none());
    let busy = outcome
        .take_pending()
        .unwrap()
        .reject(StatusCode::BUSY_HERE);
    assert_eq!(busy.status(), StatusCode::BUSY_HERE);
    check_response(&data("row01-message-msg.sip"), &busy);
}

struct ReInvite;

impl DialogHandler for ReInvite {
    fn in_dialog(&self, _: &InDialogRequest<'_>) -> Decision {
        Decision::Accept(Accept::default().with_body("application/sdp", &b"v=0\r\n"[..]))
    }
}

struct Panics;

impl PagerHandler for Panics {
    fn pager_message(&self, _: &PagerMessage<'_>) -> Decision {
        panic!("a bug in the application");
    }
}

#[test]
fn a_panicking_handler_costs_that_request_a_500() {
    let dispatcher = Dispatcher::builder().pager(Panics).build();
    let wire = data("row01-message-msg.sip");
    for _ in 0..2 {
        let outcome = dispatcher.dispatch(wire.clone());
        assert_eq!(outcome.handling(), &Handling::HandlerPanicked);
        let response = outcome.response().unwrap();
        assert_eq!(response.status(), StatusCode::SERVER_INTERNAL_ERROR);
        check_response(&wire, response);
    }
}

struct Refuses(Decision);

impl SessionHandler for Refuses {
    fn session_invitation(&self, _: &SessionInvitation<'_>) -> Decision {
        self.0.clone()
    }
}

#[test]
fn handlers_refuse_with_status_and_reason() {
    let wire = data("row05-invite-session.sip");
    let outcome = Dispatcher::builder()
        .session(Refuses(Decision::reject_with_reason(
            StatusCode::DECLINE,
            "Not now\r\nX-Injected: 1",
        )))
        .build()
        .dispatch(wire.clone());
    let read = check_response(&wire, outcome.response().unwrap());
    assert_eq!(
        (read.status(), text(read.reason())),
        (StatusCode::DECLINE, "Not now X-Injected: 1")
    );
    assert!(read.header("X-Injected").is_none());

    let outcome = Dispatcher::builder()
        .session(Refuses(Decision::reject(StatusCode::OK)))
        .build()
        .dispatch(wire.clone());
    assert_eq!(
        outcome.response().unwrap().status(),
        StatusCode::SERVER_INTERNAL_ERROR
    );
}

#[test]
fn a_retransmission_gets_the_same_to_tag_and_other_requests_other_tags() {
    let dispatcher = Dispatcher::builder().build();
    let to_tag = |wire: Bytes| {
        let outcome = dispatcher.dispatch(wire);
        let read = outcome.response().unwrap().read().unwrap();
        let to = read.header("To").unwrap().value().to_vec();
        to
    };
    let a = to_tag(data("row01-message-msg.sip"));
    assert_eq!(a, to_tag(data("row01-message-msg.sip")));
    assert_ne!(a, to_tag(data("row02-message-deferred-only.sip")));
}

#[test]
fn the_dispatcher_is_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Dispatcher>();
    fn send<T: Send>() {}
    send::<cpm_client::PendingResponse>();
    send::<cpm_client::Outcome>();

    let recorder = Arc::new(Recorder::default());
    let dispatcher = Arc::new(full(&recorder));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let dispatcher = Arc::clone(&dispatcher);
            std::thread::spawn(move || {
                (0..25)
                    .map(|_| {
                        dispatcher
                            .dispatch(data("row01-message-msg.sip"))
                            .response()
                            .unwrap()
                            .status()
                    })
                    .filter(|s| *s == StatusCode::OK)
                    .count()
            })
        })
        .collect();
    let answered: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(answered, 100);
    assert_eq!(recorder.take().len(), 100);
}

#[test]
fn every_corpus_message_gets_an_outcome_and_readable_responses() {
    let recorder = Arc::new(Recorder::default());
    let dispatcher = full(&recorder);
    let empty = Dispatcher::builder().build();
    for dir in ["tests/corpus", "tests/data"] {
        for file in std::fs::read_dir(format!("{}/{dir}", env!("CARGO_MANIFEST_DIR"))).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_none_or(|e| e != "sip") {
                continue;
            }
            let wire = Bytes::from(std::fs::read(&path).unwrap());
            for d in [&dispatcher, &empty] {
                let outcome = d.dispatch(wire.clone());
                if let Some(response) = outcome.response() {
                    if let Err(e) = response.read() {
                        // Only the 400 to a request that did not read may copy headers
                        // that do not read; it is still framed.
                        assert!(
                            matches!(outcome.handling(), Handling::Malformed(_)),
                            "{}: {e}",
                            path.display()
                        );
                        common::framed(response.as_bytes())
                            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                        continue;
                    }
                    #[cfg(feature = "rsip")]
                    if outcome.request().is_some_and(|r| r.to_rsip().is_ok()) {
                        response
                            .to_rsip()
                            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    }
                } else {
                    assert!(
                        matches!(
                            outcome.handling(),
                            Handling::Malformed(_)
                                | Handling::Unanswered(_)
                                | Handling::InDialog(_)
                                | Handling::Handled
                        ),
                        "{}: {:?}",
                        path.display(),
                        outcome.handling()
                    );
                }
            }
        }
    }
}

/// An INVITE for `tag` with `sdp` as its body (and `extra` headers).
fn invite(tag: &str, sdp: &str, extra: &str) -> Bytes {
    Bytes::from(format!(
        "INVITE sip:+15550100002@192.0.2.20:5060;transport=tcp SIP/2.0\r\n\
         Via: SIP/2.0/TCP 192.0.2.7:5060;branch=z9hG4bK-sdp\r\nMax-Forwards: 70\r\n\
         From: <sip:+15550100001@ims.example.net>;tag=r1\r\n\
         To: <sip:+15550100002@ims.example.net>\r\nCall-ID: sdp-1\r\nCSeq: 1 INVITE\r\n\
         Contact: <sip:+15550100001@192.0.2.7:5060;transport=tcp>\r\n\
         Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.{tag}\"\r\n\
         {extra}Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    ))
}

fn offer(setup: &str, direction: &str, extra_media: &str) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n{extra_media}\
         m=message 9 TCP/MSRP *\r\na=accept-types:message/cpim\r\n\
         a=file-selector:name:\"a.jpg\" type:image/jpeg size:10\r\na=file-transfer-id:ft1\r\n\
         a=path:msrp://192.0.2.7:9/x;tcp\r\na=setup:{setup}\r\na={direction}\r\n"
    )
}

fn answer_lines(response: &Response) -> Vec<String> {
    let read = response.read().unwrap();
    text(read.body()).split("\r\n").map(str::to_owned).collect()
}

#[test]
fn sdp_answers_follow_the_offer() {
    let recorder = Arc::new(Recorder::default());
    let dispatcher = full(&recorder);
    let answer = |wire: Bytes| {
        let outcome = dispatcher.dispatch(wire.clone());
        let _ = recorder.take();
        let response = outcome.response().unwrap().clone();
        check_response(&wire, &response);
        response
    };
    let has = |lines: &[String], line: &str| lines.iter().any(|l| l == line);

    // The direction mirrors the offer's: a file offered for pulling (recvonly) is sent.
    let lines = answer_lines(&answer(invite(
        "filetransfer",
        &offer("active", "recvonly", ""),
        "",
    )));
    assert!(has(&lines, "a=sendonly"), "{lines:?}");
    let lines = answer_lines(&answer(invite(
        "session",
        &offer("active", "sendonly", ""),
        "",
    )));
    assert!(has(&lines, "a=recvonly"), "{lines:?}");

    // RFC 4145: passive answers an active offer, active a passive one; actpass gets the
    // client's configured role (active by default).
    for (offered, answered) in [
        ("active", "passive"),
        ("passive", "active"),
        ("actpass", "active"),
    ] {
        let lines = answer_lines(&answer(invite(
            "session",
            &offer(offered, "sendrecv", ""),
            "",
        )));
        assert!(
            has(&lines, &format!("a=setup:{answered}")),
            "{offered}: {lines:?}"
        );
    }

    // One m-line per offered stream, in order; the others refused with port 0.
    let lines = answer_lines(&answer(invite(
        "session",
        &offer("active", "sendrecv", "m=audio 49170 RTP/AVP 0 8\r\n"),
        "",
    )));
    let m_lines: Vec<&String> = lines.iter().filter(|l| l.starts_with("m=")).collect();
    assert_eq!(
        m_lines,
        ["m=audio 0 RTP/AVP 0 8", "m=message 2855 TCP/MSRP *"]
    );

    // The MSRP session id of the path has 128 bits (RFC 4975 asks for 80 at least).
    let path = lines.iter().find(|l| l.starts_with("a=path:")).unwrap();
    let id = path.rsplit('/').next().unwrap().trim_end_matches(";tcp");
    assert_eq!(id.len(), 32, "{path}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));

    // No MSRP stream, or no offer at all: 488 saying why.
    let audio_only =
        "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 h\r\nt=0 0\r\nm=audio 4 RTP/AVP 0\r\n";
    let refused = answer(invite("session", audio_only, ""));
    assert_eq!(refused.status(), StatusCode::NOT_ACCEPTABLE_HERE);
    assert_eq!(
        text(refused.read().unwrap().reason()),
        "no MSRP media in the offer"
    );
    assert_eq!(
        answer(invite("session", "", "")).status(),
        StatusCode::NOT_ACCEPTABLE_HERE
    );
}

#[test]
fn a_passive_answer_needs_a_listening_port() {
    // The client's MSRP endpoint keeps the default port 9: it only connects out, so an
    // active offer (which wants this side to listen) cannot be taken.
    let connects_only = ClientConfig::new(
        "sip:+15550100002@ims.example.net",
        ContactAddress::new("192.0.2.20", 5060, Transport::Tcp).unwrap(),
    )
    .unwrap();
    let recorder = Arc::new(Recorder::default());
    let dispatcher = Dispatcher::builder()
        .client(connects_only)
        .session(Arc::clone(&recorder))
        .build();
    let outcome = dispatcher.dispatch(invite("session", &offer("active", "sendrecv", ""), ""));
    let response = outcome.response().unwrap();
    assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE_HERE);
    // A passive offer is fine: this side connects.
    let outcome = dispatcher.dispatch(invite("session", &offer("passive", "sendrecv", ""), ""));
    let lines = answer_lines(outcome.response().unwrap());
    assert!(lines.iter().any(|l| l == "a=setup:active"), "{lines:?}");
}

#[test]
fn extensions_the_client_lacks_are_refused_with_420() {
    let recorder = Arc::new(Recorder::default());
    let wire = invite(
        "session",
        &offer("active", "sendrecv", ""),
        "Require: 100rel, timer\r\n",
    );
    let outcome = full(&recorder).dispatch(wire.clone());
    assert_eq!(outcome.handling(), &Handling::UnsupportedExtension);
    assert!(recorder.take().is_empty(), "the handler is not called");
    let read = check_response(&wire, outcome.response().unwrap());
    assert_eq!(read.status(), 420);
    let unsupported: Vec<&[u8]> = read.header_values("Unsupported").collect();
    assert_eq!(unsupported, [&b"100rel"[..], b"timer"]);
    // Method inspection and reading come first: a method not served gets its 501, a
    // To that is not an address its 400, whatever they require.
    let outcome = full(&recorder).dispatch(request("FOO", None, "Require: timer\r\n"));
    assert_eq!(
        outcome.response().unwrap().status(),
        StatusCode::NOT_IMPLEMENTED
    );
    let outcome = full(&recorder).dispatch(Bytes::from_static(
        b"MESSAGE sip:b@example.net SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK-1\r\n\
          From: <sip:a@x>;tag=1\r\nTo: \"Bob <sip:b@x>\r\nCall-ID: r-1\r\nCSeq: 1 MESSAGE\r\n\
          Require: timer\r\n\r\n",
    ));
    assert_eq!(
        outcome.response().unwrap().status(),
        StatusCode::BAD_REQUEST
    );
}

#[test]
fn a_request_uri_of_another_scheme_gets_416() {
    let recorder = Arc::new(Recorder::default());
    let dispatcher = full(&recorder);
    let to = |uri: &str, method: &str, extra: &str| {
        let wire = request(method, None, extra);
        let text = text(&wire).replacen("sip:+15550100002@192.0.2.20:5060;transport=tcp", uri, 1);
        Bytes::from(text)
    };
    let msg = "Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"\r\n";
    for uri in [
        "im:bob@example.net",
        "nobodyKnowsThisScheme:totallyopaquecontent",
        "http://x",
    ] {
        for method in ["MESSAGE", "OPTIONS"] {
            // Checked before Require (RFC 3261 8.2.2.1 before 8.2.2.3).
            let wire = to(uri, method, &format!("{msg}Require: timer\r\n"));
            let outcome = dispatcher.dispatch(wire.clone());
            assert_eq!(outcome.handling(), &Handling::UnsupportedUriScheme, "{uri}");
            let read = check_response(&wire, outcome.response().unwrap());
            assert_eq!(read.status(), 416, "{uri}");
        }
    }
    assert!(recorder.take().is_empty(), "no handler is called");
    for uri in [
        "sip:bob@example.net",
        "SIPS:bob@example.net",
        "tel:+15550100002",
    ] {
        let outcome = dispatcher.dispatch(to(uri, "OPTIONS", ""));
        assert_eq!(outcome.handling(), &Handling::Options, "{uri}");
    }
    // A method the client does not serve is refused as such, whatever its scheme.
    let outcome = dispatcher.dispatch(to("im:bob@example.net", "REGISTER", ""));
    assert_eq!(outcome.handling(), &Handling::MethodNotServed);
}

#[test]
fn refusals_carry_what_their_status_requires() {
    let wire = data("row05-invite-session.sip");
    for (status, header) in [
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "Accept"),
        (StatusCode::METHOD_NOT_ALLOWED, "Allow"),
    ] {
        let outcome = Dispatcher::builder()
            .session(Refuses(Decision::reject(status)))
            .build()
            .dispatch(wire.clone());
        let read = check_response(&wire, outcome.response().unwrap());
        assert!(read.header(header).is_some(), "{status} carries {header}");
    }
    // 202 is a MESSAGE's answer: an INVITE accepted that way gets 200.
    let outcome = Dispatcher::builder()
        .session(Refuses(Decision::Accept(Accept::accepted())))
        .build()
        .dispatch(wire);
    assert_eq!(outcome.response().unwrap().status(), StatusCode::OK);
}

#[test]
fn without_a_client_config_an_odd_request_uri_cannot_break_contact() {
    let wire = Bytes::from_static(
        b"INVITE sip:x@y>,<sip:attacker@evil.example;a=\"b SIP/2.0\r\n\
          Via: SIP/2.0/TCP 192.0.2.7;branch=z9hG4bK-e\r\nFrom: <sip:a@x>;tag=1\r\n\
          To: <sip:b@x>\r\nCall-ID: odd-1\r\nCSeq: 1 INVITE\r\n\
          Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"\r\n\
          Content-Type: application/sdp\r\nContent-Length: 0\r\n\r\n",
    );
    let recorder = Arc::new(Recorder {
        later: true,
        ..Recorder::default()
    });
    let outcome = Dispatcher::builder()
        .session(Arc::clone(&recorder))
        .build()
        .dispatch(wire);
    let read = outcome.response().unwrap().read().unwrap();
    let contact = text(read.header("Contact").unwrap().value());
    // One address, whole: the Request-URI's brackets and quotes stay out of it.
    let address = cpm_client::sip::NameAddr::parse(contact.as_bytes()).expect("one address");
    assert_eq!(address.uri(), b"sip:evil.example", "{contact}");
    assert_eq!(contact.matches('<').count(), 1, "{contact}");
}

/// The pager sample (`examples/messages/pager.sip`) with one header line replaced.
fn pager_with(line: &str, replacement: &str) -> Bytes {
    let path = format!("{}/examples/messages/pager.sip", env!("CARGO_MANIFEST_DIR"));
    let pager = String::from_utf8(std::fs::read(path).unwrap()).unwrap();
    let line = format!("\r\n{line}\r\n");
    assert!(pager.contains(&line), "{line}");
    Bytes::from(pager.replacen(&line, &format!("\r\n{replacement}\r\n"), 1))
}

/// Dispatches `wire` with every handler and with none: both answer 400 before any
/// handler hears of it, and the reason is `reason`. Returns the response of the first.
fn refused_with_400(wire: &Bytes, reason: &str) -> Response {
    let recorder = Arc::new(Recorder::default());
    let mut responses = Vec::new();
    for dispatcher in [full(&recorder), Dispatcher::builder().build()] {
        let mut outcome = dispatcher.dispatch(wire.clone());
        let Handling::Malformed(error) = outcome.handling() else {
            panic!("{:?} for {reason}", outcome.handling());
        };
        assert_eq!(error.to_string(), reason);
        assert!(matches!(
            error.kind(),
            ParseErrorKind::BadAddress(_) | ParseErrorKind::BadAddressParam(..)
        ));
        let response = outcome.take_response().expect("a response");
        let read = response.read().unwrap();
        assert_eq!((read.status().code(), text(read.reason())), (400, reason));
        responses.push(response);
    }
    assert_eq!(
        recorder.take(),
        Vec::<String>::new(),
        "no handler is called"
    );
    responses.swap_remove(0)
}

/// The number of parameters named `tag` in a To value (after the URI's `>` when it
/// has one).
fn tag_params(to: &[u8]) -> usize {
    let to = text(to);
    let params = to.rsplit_once('>').map_or(to, |(_, params)| params);
    params
        .split(';')
        .skip(1)
        .filter(|p| {
            let name = p.split('=').next().unwrap_or_default().trim();
            name.eq_ignore_ascii_case("tag")
        })
        .count()
}

#[test]
fn the_fuzzers_bare_to_tag_and_schemeless_from_get_400() {
    // The input the dispatch fuzz target once failed on (tests/data/fuzz/): To `e;tag`,
    // From `.`. It was answered 416 with `To: e;tag;tag=<ours>`.
    let wire = Bytes::from(
        std::fs::read(format!(
            "{}/tests/data/fuzz/dispatch-bare-to-tag-and-from-without-scheme",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    );
    let response = refused_with_400(&wire, "line 3: malformed From header: not an address");
    let read = response.read().unwrap();
    // To is copied as written: no second `tag` beside the bare one (RFC 3261 7.3.1).
    assert_eq!(read.header("To").unwrap().value(), b"e;tag");
    assert_eq!(read.header("From").unwrap().value(), b".");
}

#[test]
fn a_pager_message_with_a_bare_to_tag_gets_400() {
    // It was answered 200 with `To: <...>;tag;tag=<ours>`: two tag parameters, the
    // first empty. `tag-param = "tag" EQUAL token` (RFC 3261 25.1).
    let to = "To: <sip:+15555566686@ims.example.net>";
    let wire = pager_with(to, &format!("{to};tag"));
    let response = refused_with_400(
        &wire,
        "line 6: malformed To header: tag parameter has no value",
    );
    let read = response.read().unwrap();
    assert_eq!(
        read.header("To").unwrap().value(),
        b"<sip:+15555566686@ims.example.net>;tag"
    );
    assert_eq!(tag_params(read.header("To").unwrap().value()), 1);

    // The other ways of writing a tag that is not `tag=token`, or two of them.
    for (written, line, fault) in [
        (";tag=\"\"", 6, "tag parameter is quoted (tag=token)"),
        (";tag=\"a1\"", 6, "tag parameter is quoted (tag=token)"),
        (";tag=a1;TAG=b2", 6, "tag parameter appears twice"),
        // The fault is on the folded line.
        (" ;\r\n tag ;x=1", 7, "tag parameter has no value"),
    ] {
        let wire = pager_with(to, &format!("{to}{written}"));
        let response =
            refused_with_400(&wire, &format!("line {line}: malformed To header: {fault}"));
        // Copied as written (folds undone), no tag of ours added.
        let read = response.read().unwrap();
        let copied = format!(
            "<sip:+15555566686@ims.example.net>{}",
            written.replace("\r\n ", " ")
        );
        assert_eq!(text(read.header("To").unwrap().value()), copied);
    }
    // A From tag follows the same grammar.
    let from = "From: <sip:+15555698982@ims.example.net>;tag=9360292d";
    let wire = pager_with(from, "From: <sip:+15555698982@ims.example.net>;tag");
    refused_with_400(
        &wire,
        "line 5: malformed From header: tag parameter has no value",
    );
}

#[test]
fn a_pager_message_from_a_uri_without_scheme_gets_400() {
    // It was accepted, the handler told `pager message from .`.
    let from = "From: <sip:+15555698982@ims.example.net>;tag=9360292d";
    for (written, reason) in [
        ("From: .", "line 5: malformed From header: not an address"),
        (
            "From: .;tag=1",
            "line 5: malformed From header: not an address",
        ),
        (
            "From: <+15555698982@ims.example.net>;tag=1",
            "line 5: malformed From header: not an address",
        ),
        (
            "From: \"Alice\" <alice>;tag=1",
            "line 5: malformed From header: not an address",
        ),
    ] {
        refused_with_400(&pager_with(from, written), reason);
    }
    let to = "To: <sip:+15555566686@ims.example.net>";
    refused_with_400(
        &pager_with(to, "To: +15555566686"),
        "line 6: malformed To header: not an address",
    );
}

#[test]
fn a_pager_message_gets_exactly_one_to_tag() {
    let recorder = Arc::new(Recorder::default());
    let dispatcher = full(&recorder);
    // Without a tag: one is added. The grammar's other parameters stay as written.
    for to in [
        "To: <sip:+15555566686@ims.example.net>",
        "To: <sip:+15555566686@ims.example.net;tag>;x",
        "To: <tel:+15555566686>;tagx;x=tag",
    ] {
        let wire = pager_with("To: <sip:+15555566686@ims.example.net>", to);
        let outcome = dispatcher.dispatch(wire.clone());
        let response = outcome.response().unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{to}");
        let read = check_response(&wire, response);
        let written = read.header("To").unwrap().value();
        assert_eq!(tag_params(written), 1, "{}", text(written));
        let tag = cpm_client::sip::NameAddr::parse_in(KnownHeader::To, written)
            .unwrap()
            .tag()
            .unwrap();
        assert_eq!(tag.len(), 16);
    }
    assert_eq!(recorder.take().len(), 3);
}

#[test]
fn via_and_contact_parameters_with_a_value_need_one() {
    // The reader refuses them; the 400 copies the Via as written.
    let via = "Via: SIP/2.0/TCP 203.0.113.52:5060;branch=z9hG4bK7bd15203e58a";
    for (written, reason) in [
        (
            "Via: SIP/2.0/TCP 203.0.113.52:5060;branch",
            "line 2: malformed Via: branch parameter has no value",
        ),
        (
            "Via: SIP/2.0/TCP 203.0.113.52:5060;received;branch=z9hG4bK1",
            "line 2: malformed Via: received parameter has no value",
        ),
        (
            "Via: SIP/2.0/TCP 203.0.113.52:5060;branch=z9hG4bK1;branch=z9hG4bK2",
            "line 2: malformed Via: branch parameter appears twice",
        ),
    ] {
        let wire = pager_with(via, written);
        let outcome = Dispatcher::builder().build().dispatch(wire);
        assert_eq!(outcome.route(), None);
        let response = outcome.response().unwrap().as_bytes();
        common::framed(response).unwrap();
        assert!(
            response.starts_with(format!("SIP/2.0 400 {reason}\r\n").as_bytes()),
            "{}",
            text(response)
        );
    }
    // `rport` may stand alone (RFC 3581 section 5).
    let wire = pager_with(via, &format!("{via};rport"));
    let outcome = Dispatcher::builder().build().dispatch(wire);
    assert_eq!(outcome.route(), Some(Route::Pager));

    // An INVITE's Contact is read for routing (`isfocus`): its URI needs a scheme, and
    // `expires` and `q` need their values.
    for (contact, reason) in [
        (
            "Contact: <sip:caller@192.0.2.7>;expires",
            "line 10: malformed Contact: expires parameter has no value",
        ),
        (
            "Contact: <sip:caller@192.0.2.7>;q=high",
            "line 10: malformed Contact: q parameter is not a qvalue (0 to 1, three decimals at most)",
        ),
        (
            "Contact: caller@192.0.2.7;isfocus",
            "line 10: malformed Contact: value is not a name-addr or addr-spec (scheme:...)",
        ),
    ] {
        let wire = invite("i1", "", &format!("{contact}\r\n"));
        let error = RoutedRequest::parse(wire.clone()).unwrap_err();
        assert_eq!(error.to_string(), reason);
        let outcome = Dispatcher::builder().build().dispatch(wire);
        assert_eq!(outcome.response().unwrap().status(), StatusCode::BAD_REQUEST);
    }
}

#[test]
fn views_read_addresses_by_their_headers_grammar() {
    let request = RoutedRequest::parse(Bytes::from_static(
        b"MESSAGE sip:b@example.net SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.7;branch=z9hG4bK-v\r\n\
          From: <sip:a@example.net>;tag=a1\r\nTo: <sip:b@example.net>;tag\r\nCall-ID: v-1\r\n\
          CSeq: 1 MESSAGE\r\nP-Asserted-Identity: <sip:+15550100001@example.net>, +15550100001, <tel:+15550100001>\r\n\
          Referred-By: <sip:r@example.net>;cid\r\nContent-Length: 0\r\n\r\n",
    ))
    .unwrap();
    let view = RequestView::new(&request);
    assert_eq!(view.sender().unwrap().tag(), Some(&b"a1"[..]));
    assert_eq!(view.recipient(), None, "a bare tag is not `tag=token`");
    let identities: Vec<&[u8]> = view.asserted_identities().map(|a| a.uri()).collect();
    assert_eq!(
        identities,
        [&b"sip:+15550100001@example.net"[..], b"tel:+15550100001"],
        "a value without a scheme is skipped"
    );
    assert_eq!(view.referred_by(), None, "cid is a quoted Content-ID");
    assert_eq!(cpm_client::DialogId::of(&request), None);
}
