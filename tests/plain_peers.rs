//! Plain SIP peers (RFC 3428): a MESSAGE naming no CPM service keeps its default
//! handling (403, or the other-request handler) unless the dispatcher was given a
//! plain-message handler; a pager message can be sent without CPIM, and a 415's
//! Accept says whether CPIM would have been taken.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use bytes::Bytes;
use cpm_client::outgoing::{
    accepts_cpim, ContactAddress, Content, Pager, SequentialIds, Transport,
};
use cpm_client::{
    ClientConfig, Decision, Dispatcher, IncomingResponse, OtherRequestHandler, PagerHandler,
    PagerMessage, PlainMessage, PlainMessageHandler, RequestView, Route, StatusCode,
};

const PLAIN: &[u8] = b"MESSAGE sip:+15550100002@ims.example.net SIP/2.0\r\n\
Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK-plain1\r\n\
Max-Forwards: 70\r\n\
From: <sip:carol@example.org>;tag=49583\r\n\
To: <sip:+15550100002@ims.example.net>\r\n\
Call-ID: asd88asd77a@198.51.100.7\r\n\
CSeq: 1 MESSAGE\r\n\
Content-Type: text/plain\r\n\
Content-Length: 18\r\n\
\r\n\
Watson, come here.";

#[derive(Default)]
struct Plain(Mutex<Vec<String>>);

impl PlainMessageHandler for Plain {
    fn plain_message(&self, m: &PlainMessage<'_>) -> Decision {
        assert!(!m.is_cpim());
        self.0
            .lock()
            .unwrap()
            .push(String::from_utf8_lossy(m.content()).into_owned());
        Decision::accept()
    }
}

struct Other;
impl OtherRequestHandler for Other {
    fn other_request(&self, _: &RequestView<'_>) -> Decision {
        Decision::reject(StatusCode::NOT_ACCEPTABLE_HERE)
    }
}

struct Chat(Mutex<usize>);
impl PagerHandler for Chat {
    fn pager_message(&self, _: &PagerMessage<'_>) -> Decision {
        *self.0.lock().unwrap() += 1;
        Decision::accept()
    }
}

#[test]
fn plain_messages_are_refused_by_default_and_taken_when_asked() {
    let d = Dispatcher::builder().build();
    let outcome = d.dispatch(Bytes::from_static(PLAIN));
    assert_eq!(outcome.route(), Some(Route::NotCpm));
    assert_eq!(outcome.response().unwrap().status(), StatusCode::FORBIDDEN);

    let d = Dispatcher::builder().other(Other).build();
    let outcome = d.dispatch(Bytes::from_static(PLAIN));
    assert_eq!(
        outcome.response().unwrap().status(),
        StatusCode::NOT_ACCEPTABLE_HERE
    );

    let plain = Arc::new(Plain::default());
    let d = Dispatcher::builder()
        .other(Other)
        .plain_messages(Arc::clone(&plain))
        .build();
    let outcome = d.dispatch(Bytes::from_static(PLAIN));
    assert_eq!(outcome.route(), Some(Route::NotCpm));
    assert_eq!(outcome.response().unwrap().status(), StatusCode::OK);
    assert_eq!(plain.0.lock().unwrap().as_slice(), ["Watson, come here."]);

    // A MESSAGE naming a service only in P-Preferred-Service is not plain.
    let named = String::from_utf8_lossy(PLAIN).replace(
        "CSeq: 1 MESSAGE\r\n",
        "CSeq: 1 MESSAGE\r\nP-Preferred-Service: urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg\r\n",
    );
    let outcome = d.dispatch(Bytes::from(named));
    assert_eq!(
        outcome.response().unwrap().status(),
        StatusCode::NOT_ACCEPTABLE_HERE
    );
    assert_eq!(plain.0.lock().unwrap().len(), 1);
}

#[test]
fn a_pager_message_without_cpim_reaches_a_plain_peer_and_a_cpm_one() {
    let config = ClientConfig::new(
        "sip:+15550100001@ims.example.net",
        ContactAddress::new("192.0.2.10", 5060, Transport::Tcp).unwrap(),
    )
    .unwrap();
    let bare = Pager::new(
        "sip:+15550100002@ims.example.net",
        Content::text("Hello, plain peer"),
        SystemTime::UNIX_EPOCH,
    )
    .without_cpim()
    .build(&config, &mut SequentialIds::new(1))
    .unwrap()
    .into_pager()
    .unwrap();
    assert_eq!(bare.body(), b"Hello, plain peer");
    let text = String::from_utf8_lossy(bare.as_bytes()).into_owned();
    assert!(text.contains("Content-Type: text/plain;charset=UTF-8\r\n"));
    assert!(!text.contains("message/cpim"));

    // A CPM client routes it as pager mode; its view gives the bare content.
    let chat = Arc::new(Chat(Mutex::new(0)));
    let d = Dispatcher::builder().pager(Arc::clone(&chat)).build();
    let outcome = d.dispatch(Bytes::copy_from_slice(bare.as_bytes()));
    assert_eq!(outcome.route(), Some(Route::Pager));
    assert_eq!(*chat.0.lock().unwrap(), 1);

    let too_big = Pager::new(
        "sip:+15550100002@ims.example.net",
        Content::text(&"x".repeat(2000)),
        SystemTime::UNIX_EPOCH,
    )
    .without_cpim()
    .build(&config, &mut SequentialIds::new(1));
    assert!(too_big.is_err());
}

#[test]
fn a_415_says_whether_cpim_is_accepted() {
    let answer = |accept: &str| {
        IncomingResponse::parse(Bytes::from(format!(
            "SIP/2.0 415 Unsupported Media Type\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\
             From: <sip:a@x.net>;tag=1\r\nTo: <sip:b@x.net>;tag=2\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\n\
             {accept}Content-Length: 0\r\n\r\n"
        )))
        .unwrap()
    };
    assert_eq!(accepts_cpim(&answer("Accept: text/plain\r\n")), Some(false));
    assert_eq!(
        accepts_cpim(&answer("Accept: text/plain\r\nAccept: message/*\r\n")),
        Some(true)
    );
    assert_eq!(accepts_cpim(&answer("Accept: */*\r\n")), Some(true));
    assert_eq!(accepts_cpim(&answer("Accept: \r\n")), Some(false));
    assert_eq!(
        accepts_cpim(&answer("Accept: garbage, message/cpim\r\n")),
        Some(true)
    );
    assert_eq!(accepts_cpim(&answer("")), None);
}
