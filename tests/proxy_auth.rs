//! Answering a 401/407 to any request (`outgoing::authorize`, RFC 3261 8.1.3.5 and
//! 22.2): the new request keeps the dialog identifiers and the body, takes the next
//! CSeq and a new branch, and carries a digest answer that is recomputed here with
//! the hash crates (RFC 7616 3.4.1).

use std::collections::BTreeMap;
use std::time::SystemTime;

use bytes::Bytes;
use cpm_client::outgoing::{
    authorize, ChallengeAnswerError, ClientConfig, ContactAddress, Content, DigestCredentials,
    OutgoingRequest, Pager, SequentialIds, Session, Transport,
};
use cpm_client::sip::{DigestChallenge, IncomingResponse};
use md5::Md5;
use sha2::{Digest, Sha256};

const PASSWORD: &str = "cpm-test-secret";

fn config() -> ClientConfig {
    ClientConfig::new(
        "sip:alice@cpm.test",
        ContactAddress::new("192.0.2.10", 5060, Transport::Udp).unwrap(),
    )
    .unwrap()
    .with_outbound_proxy("sip:proxy.cpm.test;lr")
    .unwrap()
}

fn alice(challenge: &DigestChallenge) -> Option<DigestCredentials> {
    (challenge.realm() == "cpm.test").then(|| DigestCredentials::new("alice", PASSWORD))
}

fn message(ids: &mut SequentialIds) -> OutgoingRequest {
    Pager::new(
        "sip:bob@cpm.test",
        Content::text("Hi Bob"),
        SystemTime::UNIX_EPOCH,
    )
    .build(&config(), ids)
    .unwrap()
    .into_pager()
    .unwrap()
}

/// A response to `request` with `status` and the extra header lines `extra`.
fn response(request: &OutgoingRequest, status: &str, extra: &str) -> IncomingResponse {
    let text = format!(
        "SIP/2.0 {status}\r\nVia: {}\r\nFrom: <sip:alice@cpm.test>;tag={}\r\n\
         To: <sip:bob@cpm.test>;tag=proxy1\r\nCall-ID: {}\r\nCSeq: {} {}\r\n{extra}\
         Content-Length: 0\r\n\r\n",
        request.header("Via").unwrap(),
        request.from_tag(),
        request.call_id(),
        request.cseq(),
        request.method(),
    );
    IncomingResponse::parse(Bytes::from(text)).unwrap()
}

fn challenge_407(nonce: &str, stale: bool, algorithm: &str) -> String {
    let stale = if stale { ", stale=true" } else { "" };
    format!(
        "Proxy-Authenticate: Digest realm=\"cpm.test\", nonce=\"{nonce}\", qop=\"auth\", \
         algorithm={algorithm}{stale}\r\n"
    )
}

/// The directives of a `Digest ...` value, unquoted.
fn directives(value: &str) -> BTreeMap<String, String> {
    let rest = value.trim().strip_prefix("Digest ").unwrap();
    rest.split(", ")
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap();
            (k.to_owned(), v.trim_matches('"').to_owned())
        })
        .collect()
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hash(algorithm: &str, data: &str) -> String {
    match algorithm {
        "MD5" => hex_of(&Md5::digest(data.as_bytes())),
        "SHA-256" => hex_of(&Sha256::digest(data.as_bytes())),
        other => panic!("{other}"),
    }
}

/// Checks the answer of `answered` against a digest recomputed from its parts.
fn verify(answered: &OutgoingRequest, header: &str, nonce: &str, algorithm: &str) {
    let d = directives(answered.header(header).unwrap());
    let request_uri = answered.to_string().split(' ').nth(1).unwrap().to_owned();
    assert_eq!(d["username"], "alice");
    assert_eq!(d["realm"], "cpm.test");
    assert_eq!(d["nonce"], nonce);
    assert_eq!(d["uri"], request_uri);
    assert_eq!(d["qop"], "auth");
    assert_eq!(d["nc"], "00000001");
    assert_eq!(d["algorithm"], algorithm);
    assert_eq!(d["cnonce"].len(), 32);
    let ha1 = hash(algorithm, &format!("alice:cpm.test:{PASSWORD}"));
    let ha2 = hash(algorithm, &format!("{}:{request_uri}", answered.method()));
    let expected = hash(
        algorithm,
        &format!("{ha1}:{nonce}:00000001:{}:auth:{ha2}", d["cnonce"]),
    );
    assert_eq!(d["response"], expected);
}

/// Everything but the top Via, the CSeq and the answer is the same, body included.
fn same_otherwise(before: &OutgoingRequest, after: &OutgoingRequest) {
    assert_eq!(after.call_id(), before.call_id());
    assert_eq!(after.from_tag(), before.from_tag());
    assert_eq!(after.cseq(), before.cseq() + 1);
    assert_ne!(after.branch(), before.branch());
    assert!(after.header("Via").unwrap().contains(after.branch()));
    assert_eq!(after.body(), before.body());
    assert_eq!(after.next_hop(), before.next_hop());
    assert_eq!(
        after.header("CSeq").unwrap(),
        format!("{} {}", before.cseq() + 1, before.method())
    );
    let strip = |r: &OutgoingRequest| -> Vec<(String, String)> {
        r.headers()
            .filter(|(n, _)| !["Via", "CSeq", "Proxy-Authorization", "Authorization"].contains(n))
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    };
    assert_eq!(strip(after), strip(before));
    assert_eq!(
        after.to_string().lines().next(),
        before.to_string().lines().next()
    );
    assert_eq!(
        after.header("Content-Length"),
        Some(before.body().len().to_string().as_str())
    );
}

#[test]
fn message_challenged_407_is_answered() {
    let mut ids = SequentialIds::new(1);
    let sent = message(&mut ids);
    let challenge = response(
        &sent,
        "407 Proxy Authentication Required",
        &challenge_407("n-message", false, "MD5"),
    );
    let again = authorize(&sent, &challenge, &alice, &mut ids).unwrap();
    same_otherwise(&sent, &again);
    assert!(again.header("Authorization").is_none());
    verify(&again, "Proxy-Authorization", "n-message", "MD5");
}

#[test]
fn invite_challenged_407_is_answered() {
    let mut ids = SequentialIds::new(2);
    let sent = Session::one_to_one("sip:bob@cpm.test")
        .build(&config(), &mut ids)
        .unwrap();
    assert!(!sent.body().is_empty());
    let challenge = response(
        &sent,
        "407 Proxy Authentication Required",
        &challenge_407("n-invite", false, "SHA-256"),
    );
    let again = authorize(&sent, &challenge, &alice, &mut ids).unwrap();
    same_otherwise(&sent, &again);
    assert_eq!(again.local_msrp_path(), sent.local_msrp_path());
    verify(&again, "Proxy-Authorization", "n-invite", "SHA-256");
}

#[test]
fn a_401_is_answered_in_authorization() {
    let mut ids = SequentialIds::new(3);
    let sent = message(&mut ids);
    let challenge = response(
        &sent,
        "401 Unauthorized",
        "WWW-Authenticate: Digest realm=\"cpm.test\", nonce=\"n401\", qop=\"auth\"\r\n",
    );
    let again = authorize(&sent, &challenge, &alice, &mut ids).unwrap();
    assert!(again.header("Proxy-Authorization").is_none());
    verify(&again, "Authorization", "n401", "MD5");
}

#[test]
fn a_second_challenge_with_the_same_nonce_is_refused() {
    let mut ids = SequentialIds::new(4);
    let sent = message(&mut ids);
    let first = response(
        &sent,
        "407 Proxy Authentication Required",
        &challenge_407("n1", false, "MD5"),
    );
    let answered = authorize(&sent, &first, &alice, &mut ids).unwrap();
    let second = response(
        &answered,
        "407 Proxy Authentication Required",
        &challenge_407("n1", false, "MD5"),
    );
    assert_eq!(
        authorize(&answered, &second, &alice, &mut ids).unwrap_err(),
        ChallengeAnswerError::CredentialsRejected {
            realm: "cpm.test".into(),
            same_nonce: true
        }
    );
    // A fresh nonce without stale is a refusal too: a server cannot loop the client.
    let third = response(
        &answered,
        "407 Proxy Authentication Required",
        &challenge_407("n2", false, "MD5"),
    );
    assert_eq!(
        authorize(&answered, &third, &alice, &mut ids).unwrap_err(),
        ChallengeAnswerError::CredentialsRejected {
            realm: "cpm.test".into(),
            same_nonce: false
        }
    );
}

#[test]
fn a_stale_challenge_is_answered_again() {
    let mut ids = SequentialIds::new(5);
    let sent = message(&mut ids);
    let first = response(
        &sent,
        "407 Proxy Authentication Required",
        &challenge_407("old", false, "MD5"),
    );
    let answered = authorize(&sent, &first, &alice, &mut ids).unwrap();
    let stale = response(
        &answered,
        "407 Proxy Authentication Required",
        &challenge_407("new", true, "MD5"),
    );
    let again = authorize(&answered, &stale, &alice, &mut ids).unwrap();
    assert_eq!(again.cseq(), sent.cseq() + 2);
    assert_eq!(
        again
            .headers()
            .filter(|(n, _)| *n == "Proxy-Authorization")
            .count(),
        1
    );
    verify(&again, "Proxy-Authorization", "new", "MD5");
    same_otherwise(&answered, &again);
}

#[test]
fn what_is_not_a_challenge_to_this_request_is_refused() {
    let mut ids = SequentialIds::new(6);
    let sent = message(&mut ids);
    let ok = response(&sent, "200 OK", "");
    assert_eq!(
        authorize(&sent, &ok, &alice, &mut ids).unwrap_err(),
        ChallengeAnswerError::NotChallenge(200)
    );
    let other = message(&mut ids);
    let challenge = response(
        &other,
        "407 Proxy Authentication Required",
        &challenge_407("n", false, "MD5"),
    );
    assert_eq!(
        authorize(&sent, &challenge, &alice, &mut ids).unwrap_err(),
        ChallengeAnswerError::OtherRequest("Call-ID")
    );
    let nobody = |_: &DigestChallenge| None;
    let challenge = response(
        &sent,
        "407 Proxy Authentication Required",
        &challenge_407("n", false, "MD5"),
    );
    assert_eq!(
        authorize(&sent, &challenge, &nobody, &mut ids).unwrap_err(),
        ChallengeAnswerError::NoCredentials {
            realm: "cpm.test".into()
        }
    );
    let bare = response(&sent, "407 Proxy Authentication Required", "");
    assert!(matches!(
        authorize(&sent, &bare, &alice, &mut ids).unwrap_err(),
        ChallengeAnswerError::Challenge(_)
    ));
}
