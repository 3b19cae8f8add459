//! The MSRP session the dispatcher hands out with its SDP answer is made from the
//! values it writes, without reading the answer back: it must be the session that
//! reading the answer gives (`NegotiatedMsrp::from_media` on the answer and the offer).

use bytes::Bytes;
use cpm_client::sdp::{NegotiatedMsrp, Sdp};
use cpm_client::{
    Accept, Decision, Dispatcher, FileTransferHandler, FileTransferInvitation, SessionHandler,
    SessionInvitation,
};

#[derive(Clone)]
struct Accepting(Accept);

impl SessionHandler for Accepting {
    fn session_invitation(&self, _: &SessionInvitation<'_>) -> Decision {
        Decision::Accept(self.0.clone())
    }
}

impl FileTransferHandler for Accepting {
    fn file_transfer(&self, _: &FileTransferInvitation<'_>) -> Decision {
        Decision::Accept(self.0.clone())
    }
}

fn invite(icsi: &str, sdp: &str) -> Bytes {
    Bytes::from(format!(
        "INVITE sip:bob@192.0.2.20 SIP/2.0\r\n\
         Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-n1\r\n\
         From: <sip:alice@example.net>;tag=a1\r\nTo: <sip:bob@example.net>\r\n\
         Call-ID: n1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.10>\r\n\
         Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.{icsi}\"\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    ))
}

#[test]
fn the_session_handed_out_is_the_one_the_answer_reads_to() {
    let offers = [
        ("session", "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=message 9 TCP/MSRP *\r\na=accept-types:message/cpim application/im-iscomposing+xml\r\na=path:msrp://192.0.2.10:9/s1;tcp\r\na=setup:actpass\r\na=max-size:4096\r\n"),
        ("session", "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\na=setup:passive\r\na=sendonly\r\nm=audio 4000 RTP/AVP 0\r\nm=message 2855 TCP/TLS/MSRP *\r\na=path:msrps://192.0.2.9:1/r msrps://192.0.2.10:2855/s2;tcp\r\nm=video 4002 RTP/AVP 96\r\n"),
        ("filetransfer", "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=message 9 TCP/MSRP *\r\na=accept-types:message/cpim\r\na=file-selector:name:\"a b.jpg\" type:image/jpeg size:7\r\na=file-transfer-id:ft1\r\na=path:msrp://192.0.2.10:9/f1;tcp\r\na=setup:active\r\na=sendonly\r\n"),
        ("session", "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=message 9 TCP/MSRP *\r\na=path:\r\n"),
        // Repeated attributes: the first of each name counts; a bare maxsize has no value.
        ("session", "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=message 9 TCP/MSRP *\r\na=maxsize\r\na=max-size:10\r\na=PATH:msrp://192.0.2.10:9/p1;tcp\r\na=path:msrp://192.0.2.10:9/p2;tcp\r\na=accept-types:\r\na=accept-types:text/plain\r\na=setup:passive\r\n"),
        ("filetransfer", "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=message 9 TCP/MSRP *\r\na=file-selector\r\na=file-selector:name:\"x\" type:a/b size:1\r\na=MaxSize: 77 \r\na=path:msrp://192.0.2.10:9/f2;tcp\r\n"),
    ];
    let accepts = [
        Accept::default(),
        Accept::accepted().active(),
        Accept::accepted()
            .passive()
            .with_msrp_path("msrp://192.0.2.20:7777/own;tcp")
            .with_accept_types("message/cpim  text/plain")
            .with_max_size(1 << 20),
        Accept::accepted().with_accept_types("message/cpim\r\nX-Evil: 1"),
        Accept::accepted().with_msrp_path("msrp://192.0.2.20:7777/a\tb;tcp extra"),
    ];
    let mut compared = 0;
    for (icsi, sdp) in offers {
        for accept in &accepts {
            let handler = Accepting(accept.clone());
            let dispatcher = Dispatcher::builder()
                .session(handler.clone())
                .file_transfer(handler)
                .build();
            let outcome = dispatcher.dispatch(invite(icsi, sdp));
            let Some(response) = outcome.response() else {
                continue;
            };
            let read = response.read().unwrap();
            let expected = Sdp::parse(read.body()).ok().and_then(|answer| {
                let offer = Sdp::parse(sdp.as_bytes()).unwrap();
                NegotiatedMsrp::from_media(&answer.msrp()?, &offer.msrp()?, false)
            });
            assert_eq!(
                outcome.msrp(),
                expected.as_ref(),
                "{icsi} {accept:?}\n{sdp}"
            );
            compared += usize::from(expected.is_some());
        }
    }
    assert!(compared >= 10, "{compared}");
}
