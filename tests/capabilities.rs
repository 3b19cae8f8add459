//! Capability discovery: the OPTIONS query a client builds reaches a dispatcher, whose
//! answer reads back through `PeerCapabilities` as the services it has handlers for;
//! foreign ICSIs and IARIs are kept, negated ones skipped.

use bytes::Bytes;
use cpm_client::outgoing::{
    CapabilityQuery, ContactAddress, PeerCapabilities, SequentialIds, Transport,
};
use cpm_client::{
    ClientConfig, Decision, Dispatcher, FeatureTag, Handling, IncomingResponse, PagerHandler,
    PagerMessage, SessionHandler, SessionInvitation, StatusCode, TagSet,
};

struct Yes;
impl PagerHandler for Yes {
    fn pager_message(&self, _: &PagerMessage<'_>) -> Decision {
        Decision::accept()
    }
}
impl SessionHandler for Yes {
    fn session_invitation(&self, _: &SessionInvitation<'_>) -> Decision {
        Decision::accept()
    }
}

fn config(identity: &str, host: &str) -> ClientConfig {
    ClientConfig::new(
        identity,
        ContactAddress::new(host, 5060, Transport::Tcp).unwrap(),
    )
    .unwrap()
    .with_instance("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427")
    .unwrap()
}

#[test]
fn the_dispatchers_options_answer_reads_back_as_its_services() {
    let alice = config("sip:+15550100001@ims.example.net", "192.0.2.10").with_services(
        TagSet::EMPTY
            .with(FeatureTag::Msg)
            .with(FeatureTag::FileTransfer),
    );
    let query = CapabilityQuery::new("sip:+15550100002@ims.example.net")
        .build(&alice, &mut SequentialIds::new(1))
        .unwrap();
    let text = String::from_utf8_lossy(query.as_bytes()).into_owned();
    assert!(
        text.contains("Contact: <sip:+15550100001@192.0.2.10:5060;transport=tcp>;+sip.instance"),
        "{text}"
    );
    assert!(text.contains("oma.cpm.filetransfer\"\r\n"));
    assert!(text.contains("Accept: application/sdp, message/cpim, multipart/mixed\r\n"));

    for with_client in [false, true] {
        let mut builder = Dispatcher::builder().pager(Yes).session(Yes);
        if with_client {
            builder = builder.client(config("sip:+15550100002@ims.example.net", "192.0.2.20"));
        }
        let bob = builder.build();
        let outcome = bob.dispatch(Bytes::copy_from_slice(query.as_bytes()));
        assert_eq!(outcome.handling(), &Handling::Options);
        let answer = outcome.response().unwrap().read().unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        let peer = PeerCapabilities::of_response(&answer);
        assert_eq!(
            peer.services,
            TagSet::EMPTY
                .with(FeatureTag::Msg)
                .with(FeatureTag::Session)
        );
        assert!(peer.other_icsis.is_empty() && peer.iaris.is_empty());
    }
}

#[test]
fn foreign_tags_are_kept_and_negations_skipped() {
    let answer = IncomingResponse::parse(Bytes::from_static(
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 192.0.2.10;branch=z9hG4bK1\r\n\
          From: <sip:a@example.net>;tag=1\r\nTo: <sip:b@example.net>;tag=2\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\
          m: \"B; the \\\"icsi\\\" <x>\" <sip:b@192.0.2.20;+g.3gpp.icsi-ref=nothing>;expires=60;\
          +g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session,!urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\";\
          +g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcse.ft,urn%3Aurn-7%3A3gpp-application.ims.iari.rcse.ft\"\r\n\
          Accept-Contact: *;+g.3gpp.icsi-ref=\"urn:urn-7:3gpp-service.ims.icsi.mmtel\";explicit\r\n\
          Content-Length: 0\r\n\r\n",
    ))
    .unwrap();
    let peer = PeerCapabilities::of_response(&answer);
    assert_eq!(peer.services, TagSet::EMPTY.with(FeatureTag::Session));
    assert_eq!(peer.other_icsis, ["urn:urn-7:3gpp-service.ims.icsi.mmtel"]);
    assert_eq!(peer.iaris, ["urn:urn-7:3gpp-application.ims.iari.rcse.ft"]);
    assert!(!peer.is_empty());

    let mut nothing = PeerCapabilities::default();
    for junk in [
        &b""[..],
        b";",
        b"<",
        b"\"",
        b";+g.3gpp.icsi-ref=\"",
        b";+g.3gpp.iari-ref=",
        b";a=\"\\",
    ] {
        nothing.read_value(junk);
    }
    assert!(nothing.is_empty());
}
