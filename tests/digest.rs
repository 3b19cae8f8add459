//! HTTP Digest (`cpm_client::sip::DigestChallenge`): the worked examples of RFC 2617
//! section 3.5 and RFC 7616 section 3.9.1 reproduced exactly, the other algorithms
//! against values computed independently (Python's hashlib), the choice of the
//! strongest challenge, and hostile challenges refused with typed errors.

use std::collections::BTreeMap;

use bytes::Bytes;
use cpm_client::sip::{
    ChallengeHeader, DigestAlgorithm, DigestAnswer, DigestChallenge, DigestError, DigestQop,
    IncomingResponse,
};
use proptest::prelude::*;

/// The parameters of a `Digest ...` credentials value, unquoted, by name.
fn params(value: &str) -> BTreeMap<String, String> {
    let rest = value.trim().strip_prefix("Digest").expect("a Digest value");
    let mut out = BTreeMap::new();
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=').expect("name=value");
        let after = after.trim_start();
        let (value, after) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').expect("closing quote");
                (&quoted[..end], &quoted[end + 1..])
            }
            None => after.split_at(after.find(',').unwrap_or(after.len())),
        };
        out.insert(name.trim().to_owned(), value.trim().to_owned());
        rest = after.trim_start().trim_start_matches(',').trim_start();
    }
    out
}

const RFC_2617_CHALLENGE: &str = "Digest\r\n realm=\"testrealm@host.com\",\r\n \
    qop=\"auth,auth-int\",\r\n nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n \
    opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";

const RFC_2617_AUTHORIZATION: &str = r#"Digest username="Mufasa",
                 realm="testrealm@host.com",
                 nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
                 uri="/dir/index.html",
                 qop=auth,
                 nc=00000001,
                 cnonce="0a4f113b",
                 response="6629fae49393a05397450978507c4ef1",
                 opaque="5ccc069c403ebaf9f0171e9517f40e41""#;

#[test]
fn rfc_2617_section_3_5_is_reproduced() {
    let challenge = DigestChallenge::parse(
        ChallengeHeader::WwwAuthenticate,
        RFC_2617_CHALLENGE.as_bytes(),
    )
    .unwrap();
    assert_eq!(challenge.realm(), "testrealm@host.com");
    assert_eq!(challenge.nonce(), "dcd98b7102dd2f0e8b11d0f600bfb0c093");
    assert_eq!(challenge.opaque(), Some("5ccc069c403ebaf9f0171e9517f40e41"));
    assert_eq!(challenge.qop(), Some(DigestQop::Auth));
    assert_eq!(challenge.algorithm(), DigestAlgorithm::Md5);
    let ours = challenge
        .authorization(&DigestAnswer {
            username: "Mufasa",
            password: b"Circle Of Life",
            method: "GET",
            uri: "/dir/index.html",
            body: b"",
            cnonce: "0a4f113b",
            nc: 1,
        })
        .unwrap();
    let mut expected = params(RFC_2617_AUTHORIZATION);
    // The RFC's client leaves the default algorithm unsaid; this one names it.
    expected.insert("algorithm".into(), "MD5".into());
    assert_eq!(params(&ours), expected);
    assert_eq!(
        ours,
        "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", \
         nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", \
         response=\"6629fae49393a05397450978507c4ef1\", algorithm=MD5, cnonce=\"0a4f113b\", \
         opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", qop=auth, nc=00000001"
    );
}

/// RFC 7616 section 3.9.1: one 401 with a SHA-256 and an MD5 challenge.
const RFC_7616_401: &str = "SIP/2.0 401 Unauthorized\r\n\
    Via: SIP/2.0/TCP 192.0.2.10:5060;rport;branch=z9hG4bK-1\r\n\
    From: <sip:a@example.org>;tag=1\r\nTo: <sip:a@example.org>;tag=2\r\nCall-ID: c\r\n\
    CSeq: 1 REGISTER\r\n\
    WWW-Authenticate: Digest\r\n realm=\"http-auth@example.org\",\r\n qop=\"auth, auth-int\",\r\n \
    algorithm=SHA-256,\r\n nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n \
    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"\r\n\
    WWW-Authenticate: Digest\r\n realm=\"http-auth@example.org\",\r\n qop=\"auth, auth-int\",\r\n \
    algorithm=MD5,\r\n nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n \
    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"\r\n\
    Content-Length: 0\r\n\r\n";

const RFC_7616_SHA256: &str = r#"Digest username="Mufasa",
       realm="http-auth@example.org",
       uri="/dir/index.html",
       algorithm=SHA-256,
       nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
       nc=00000001,
       cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
       qop=auth,
       response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
       opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;

const RFC_7616_MD5: &str = r#"Digest username="Mufasa",
       realm="http-auth@example.org",
       uri="/dir/index.html",
       algorithm=MD5,
       nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
       nc=00000001,
       cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
       qop=auth,
       response="8ca523f5e9506fed4657c9700eebdbec",
       opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;

fn mufasa() -> DigestAnswer<'static> {
    DigestAnswer {
        username: "Mufasa",
        password: b"Circle of Life",
        method: "GET",
        uri: "/dir/index.html",
        body: b"",
        cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        nc: 1,
    }
}

#[test]
fn rfc_7616_section_3_9_1_is_reproduced_for_sha_256_and_md5() {
    let response = IncomingResponse::parse(Bytes::from_static(RFC_7616_401.as_bytes())).unwrap();
    let all = DigestChallenge::in_response(&response);
    assert_eq!(all.len(), 2);
    let sha = all[0].clone().unwrap();
    let md5 = all[1].clone().unwrap();
    assert_eq!(sha.algorithm(), DigestAlgorithm::Sha256);
    assert_eq!(md5.algorithm(), DigestAlgorithm::Md5);
    assert_eq!(
        params(&sha.authorization(&mufasa()).unwrap()),
        params(RFC_7616_SHA256)
    );
    assert_eq!(
        params(&md5.authorization(&mufasa()).unwrap()),
        params(RFC_7616_MD5)
    );
    // The strongest of the two is chosen, whichever comes first.
    assert_eq!(DigestChallenge::select(&response).unwrap(), [sha]);
    let swapped = RFC_7616_401.replacen("algorithm=SHA-256", "algorithm=MD5-sess", 1);
    let swapped = swapped.replacen("algorithm=MD5,", "algorithm=SHA-256,", 1);
    let response = IncomingResponse::parse(Bytes::from(swapped)).unwrap();
    let chosen = DigestChallenge::select(&response).unwrap();
    assert_eq!(chosen.len(), 1);
    assert_eq!(chosen[0].algorithm(), DigestAlgorithm::Sha256);
}

#[test]
fn session_algorithms_and_auth_int_match_independent_values() {
    // Expected values computed with Python's hashlib from RFC 7616 3.4's formulas.
    for (algorithm, expected) in [
        ("MD5-sess", "4d3959a83c6f2dfd177fffba2e2c7ffc"),
        (
            "SHA-256-sess",
            "df94245f4caf8b1e739f445e51235bcb934a83fb5d10a0fe92b5ef582b335f0a",
        ),
        (
            "SHA-512-256-sess",
            "f51dcf35233f9e84637c8619bf44d5c8b815d473332fcd3606820b19b885b61e",
        ),
    ] {
        let challenge = DigestChallenge::parse(
            ChallengeHeader::ProxyAuthenticate,
            format!(r#"Digest realm="ims.example.net", nonce="n0nce", qop="auth-int", algorithm={algorithm}"#)
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(challenge.qop(), Some(DigestQop::AuthInt));
        assert!(challenge.algorithm().is_session());
        assert_eq!(challenge.header().answer_name(), "Proxy-Authorization");
        let value = challenge
            .authorization(&DigestAnswer {
                username: "alice",
                password: b"secret",
                method: "REGISTER",
                uri: "sip:ims.example.net",
                body: b"",
                cnonce: "c1",
                nc: 2,
            })
            .unwrap();
        let p = params(&value);
        assert_eq!(p["response"], expected, "{algorithm}");
        assert_eq!(p["qop"], "auth-int");
        assert_eq!(p["nc"], "00000002");
        assert_eq!(p["algorithm"], algorithm);
    }
    // No qop (RFC 2069 compatibility): no cnonce, qop or nc written.
    let challenge = DigestChallenge::parse(
        ChallengeHeader::WwwAuthenticate,
        br#"Digest realm="ims.example.net", nonce="n0nce""#,
    )
    .unwrap();
    let value = challenge
        .authorization(&DigestAnswer {
            username: "alice",
            password: b"secret",
            method: "REGISTER",
            uri: "sip:ims.example.net",
            body: b"",
            cnonce: "c1",
            nc: 1,
        })
        .unwrap();
    let p = params(&value);
    assert_eq!(p["response"], "c25d8394c0b64fb8cde4c1550d788ad2");
    assert!(!p.contains_key("cnonce") && !p.contains_key("qop") && !p.contains_key("nc"));
}

#[test]
fn userhash_sends_the_hashed_user_name() {
    let challenge = DigestChallenge::parse(
        ChallengeHeader::WwwAuthenticate,
        br#"Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true"#,
    )
    .unwrap();
    assert!(challenge.userhash());
    let value = challenge
        .authorization(&DigestAnswer {
            username: "J\u{e4}s\u{f8}n Doe",
            password: b"Secret, or not?",
            method: "GET",
            uri: "/doc/index.html",
            body: b"",
            cnonce: "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
            nc: 1,
        })
        .unwrap();
    let p = params(&value);
    // SHA-512/256("Jäsøn Doe:api@example.org"), computed with Python's hashlib.
    assert_eq!(
        p["username"],
        "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b"
    );
    assert_eq!(
        p["response"],
        "93308f41873a77f41ea3d87886878276f1a92271362e72275c3d3a38cf9f5fd6"
    );
    assert_eq!(p["userhash"], "true");
}

#[test]
fn several_challenges_in_one_value_and_other_schemes() {
    let value = br#"Basic realm="legacy", Bearer abc/def==, Digest realm="a", nonce="n1", algorithm=MD5, Digest realm="a", nonce="n2", algorithm=SHA-256, stale=true, Digest realm="b", nonce="n3""#;
    let all = DigestChallenge::parse_all(ChallengeHeader::WwwAuthenticate, value);
    assert_eq!(all.len(), 5);
    assert_eq!(all[0], Err(DigestError::NotDigest("Basic".into())));
    assert_eq!(all[1], Err(DigestError::NotDigest("Bearer".into())));
    let best = DigestChallenge::parse(ChallengeHeader::WwwAuthenticate, value).unwrap();
    assert_eq!(best.nonce(), "n2");
    assert!(best.stale());
    let text = String::from_utf8_lossy(value);
    let response = IncomingResponse::parse(Bytes::from(format!(
        "SIP/2.0 407 Proxy Authentication Required\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
         From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: c\r\nCSeq: 2 REGISTER\r\n\
         Proxy-Authenticate: {text}\r\nContent-Length: 0\r\n\r\n"
    )))
    .unwrap();
    let chosen = DigestChallenge::select(&response).unwrap();
    let picked: Vec<(&str, &str)> = chosen.iter().map(|c| (c.realm(), c.nonce())).collect();
    assert_eq!(
        picked,
        [("a", "n2"), ("b", "n3")],
        "one per realm, the strongest"
    );
    assert!(chosen
        .iter()
        .all(|c| c.header() == ChallengeHeader::ProxyAuthenticate));
}

#[test]
fn hostile_challenges_give_typed_errors() {
    let parse = |v: &[u8]| DigestChallenge::parse(ChallengeHeader::WwwAuthenticate, v);
    assert_eq!(
        parse(br#"Digest realm="ims.example.net", nonce="x"#),
        Err(DigestError::Unterminated { at: 38 })
    );
    assert_eq!(
        parse(br#"Digest realm="ims.example.net, nonce="x"#),
        Err(DigestError::Syntax {
            at: 38,
            what: "expected a comma after the value"
        })
    );
    assert!(matches!(
        parse(br#"Digest realm="a", nonce="\""#),
        Err(DigestError::Unterminated { .. })
    ));
    assert_eq!(
        parse(br#"Digest realm="a", opaque="o""#),
        Err(DigestError::Missing("nonce"))
    );
    assert_eq!(
        parse(br#"Digest nonce="n""#),
        Err(DigestError::Missing("realm"))
    );
    assert_eq!(
        parse(br#"Digest realm="a", nonce="n", NONCE="m""#),
        Err(DigestError::Duplicate {
            param: "NONCE".into(),
            at: 29
        })
    );
    assert_eq!(
        parse(br#"Digest realm="a", nonce="n", algorithm=AKAv1-MD5"#),
        Err(DigestError::UnsupportedAlgorithm("AKAv1-MD5".into()))
    );
    assert_eq!(
        parse(br#"Digest realm="a", nonce="n", qop="auth-conf""#),
        Err(DigestError::UnsupportedQop("auth-conf".into()))
    );
    assert_eq!(parse(b""), Err(DigestError::NoChallenge));
    assert_eq!(
        parse(br#"Basic realm="a""#),
        Err(DigestError::NotDigest("Basic".into()))
    );
    assert!(matches!(
        parse(b"Digest realm=\"a\x01\", nonce=n"),
        Err(DigestError::Syntax { .. })
    ));
    assert!(matches!(
        parse(br#"Digest realm "a", nonce=n"#),
        Err(DigestError::Syntax { .. })
    ));
    assert!(matches!(
        parse(br#"Digest realm=, nonce=n"#),
        Err(DigestError::Syntax { .. })
    ));
    assert!(matches!(
        parse(br#"=x, Digest realm="a", nonce=n"#),
        Err(DigestError::Syntax { at: 0, .. })
    ));

    // 10 000 parameters.
    let mut many = String::from("Digest realm=\"a\", nonce=\"n\"");
    for i in 0..10_000 {
        many.push_str(&format!(", p{i}=v"));
    }
    assert!(matches!(
        parse(many.as_bytes()),
        Err(DigestError::TooManyParams { limit: 64, .. })
    ));
    // 20 challenges; 10 000 challenges; 10 000 empty items.
    let challenges = "Digest realm=a, nonce=n, ".repeat(20);
    assert!(matches!(
        parse(challenges.as_bytes()),
        Err(DigestError::TooManyChallenges { limit: 16, .. })
    ));
    let challenges = "Digest realm=a, nonce=n, ".repeat(10_000);
    assert!(matches!(
        parse(challenges.as_bytes()),
        Err(DigestError::TooManyParams { .. })
    ));
    // One bad challenge refuses the whole value, good ones around it too.
    assert!(matches!(
        parse(br#"Digest realm="a", nonce="n", Digest realm=, nonce=m"#),
        Err(DigestError::Syntax { at: 42, .. })
    ));
    let commas = format!("Digest realm=a, nonce=n{}", ",".repeat(10_000));
    assert!(parse(commas.as_bytes()).is_ok(), "empty items are skipped");
    let long = format!("Digest realm=a, nonce=\"{}\"", "n".repeat(5000));
    assert_eq!(
        parse(long.as_bytes()),
        Err(DigestError::TooLong {
            at: 22,
            limit: 1024
        })
    );
    for error in [
        DigestError::Unterminated { at: 3 },
        DigestError::TooManyParams { at: 9, limit: 64 },
        DigestError::Missing("nonce"),
    ] {
        assert!(!error.to_string().is_empty());
    }
}

#[test]
fn answers_that_cannot_be_written_are_refused() {
    let challenge = DigestChallenge::parse(
        ChallengeHeader::WwwAuthenticate,
        br#"Digest realm="a", nonce="n", qop=auth"#,
    )
    .unwrap();
    let good = DigestAnswer {
        username: "alice",
        password: b"p",
        method: "REGISTER",
        uri: "sip:a",
        body: b"",
        cnonce: "c",
        nc: 1,
    };
    assert!(challenge.authorization(&good).is_ok());
    for (answer, field) in [
        (
            DigestAnswer {
                username: "al\r\nice",
                ..good
            },
            "username",
        ),
        (
            DigestAnswer {
                uri: "sip:a\"",
                ..good
            },
            "uri",
        ),
        (
            DigestAnswer {
                cnonce: "c\"",
                ..good
            },
            "cnonce",
        ),
        (
            DigestAnswer {
                method: "REG ISTER",
                ..good
            },
            "method",
        ),
        (DigestAnswer { nc: 0, ..good }, "nc"),
    ] {
        assert_eq!(
            challenge.authorization(&answer),
            Err(DigestError::Unwritable(field))
        );
    }
    // A user name with a quote is escaped, not refused.
    let value = challenge
        .authorization(&DigestAnswer {
            username: "a\"b\\c",
            ..good
        })
        .unwrap();
    assert!(value.starts_with(r#"Digest username="a\"b\\c""#), "{value}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_value_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = DigestChallenge::parse_all(ChallengeHeader::WwwAuthenticate, &bytes);
    }

    #[test]
    fn no_near_miss_panics(
        pieces in proptest::collection::vec(
            prop_oneof![
                Just("Digest".to_owned()), Just(" ".to_owned()), Just(",".to_owned()),
                Just("=".to_owned()), Just("\"".to_owned()), Just("\\".to_owned()),
                Just("realm".to_owned()), Just("nonce".to_owned()), Just("qop".to_owned()),
                Just("auth".to_owned()), Just("\r\n ".to_owned()), "[a-z0-9]{1,4}",
            ],
            0..40,
        )
    ) {
        let value = pieces.concat();
        for challenge in DigestChallenge::parse_all(ChallengeHeader::WwwAuthenticate, value.as_bytes())
            .into_iter()
            .flatten()
        {
            let answer = challenge.authorization(&DigestAnswer {
                username: "u", password: b"p", method: "REGISTER", uri: "sip:x",
                body: b"", cnonce: "c", nc: 1,
            });
            prop_assert!(answer.is_ok());
        }
    }
}
