//! Answering a 401 or 407 to any request this client sent (RFC 3261 8.1.3.5 and
//! 22.2): [`authorize`] writes the request again with the answer to the challenge.

use std::ops::Range;

use bytes::Bytes;
use thiserror::Error;

use super::{Credentials, OutgoingRequest};
use crate::ids::IdGenerator;
use crate::sip::{DigestAnswer, DigestChallenge, DigestError, IncomingResponse};

/// Why [`authorize`] wrote no new request.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ChallengeAnswerError {
    /// The response is not a 401 or 407.
    #[error("status {0} is not a challenge (401 or 407)")]
    NotChallenge(u16),
    /// The response does not answer this request: its Call-ID, CSeq or top Via
    /// branch differ.
    #[error("the response does not answer this request: {0}")]
    OtherRequest(&'static str),
    /// No challenge of the response can be answered (none, not Digest, an
    /// unsupported algorithm or qop, or a header that does not read).
    #[error("the challenge cannot be answered: {0}")]
    Challenge(DigestError),
    /// A challenge for a realm the [`Credentials`] have nothing for.
    #[error("no credentials for realm {realm:?}")]
    NoCredentials {
        /// The realm.
        realm: String,
    },
    /// The request already carried an answer for this realm and the new challenge is
    /// not `stale`: the credentials were refused, and RFC 3261 22.2 says not to send
    /// them again. `same_nonce` tells whether the server repeated its nonce.
    #[error("the credentials for realm {realm:?} were refused")]
    CredentialsRejected {
        /// The realm.
        realm: String,
        /// Whether the new challenge has the nonce that was answered.
        same_nonce: bool,
    },
    /// The request cannot be written again: its CSeq is at 2^31-1, or the answer
    /// cannot be written (credentials holding control characters or a `"`).
    #[error("the answering request cannot be written: {0}")]
    Unwritable(String),
}

/// The request that answers a 401 or 407 to `request` (RFC 3261 8.1.3.5 and 22.2),
/// for any method: MESSAGE, INVITE, BYE, ... (the [`Registrant`](super::Registrant)
/// does this itself for REGISTER).
///
/// The new request keeps the Call-ID, the From tag, the To, the Route lines and the
/// body; its CSeq number is one more, its top Via has a new branch (a new
/// transaction), and it carries one `Authorization` (for a 401's
/// `WWW-Authenticate`) or `Proxy-Authorization` (for a 407's `Proxy-Authenticate`)
/// per realm, answering the challenge that [`DigestChallenge::select`] keeps:
/// nonce count 1, client nonce 32 hex digits from `ids`, the Request-URI as the
/// digest `uri`. Answers for other realms already in the request stay (RFC 3261
/// 22.3); an earlier answer for a challenged realm is replaced.
///
/// `credentials` are asked once for each challenge. Call this once per response: to
/// keep a server from looping the client, a non-`stale` challenge for a realm that
/// `request` already answered is [`ChallengeAnswerError::CredentialsRejected`];
/// a `stale=true` one is answered again with the new nonce.
///
/// ```
/// use bytes::Bytes;
/// use cpm_client::outgoing::*;
/// use cpm_client::sip::{DigestChallenge, IncomingResponse};
///
/// let config = ClientConfig::new("sip:alice@cpm.test",
///     ContactAddress::new("192.0.2.10", 5060, Transport::Udp)?)?;
/// let mut ids = SequentialIds::new(7);
/// let message = Pager::new("sip:bob@cpm.test", Content::text("Hi"),
///     std::time::SystemTime::UNIX_EPOCH)
///     .build(&config, &mut ids)?
///     .into_pager()
///     .expect("small enough for pager mode");
/// let challenge = format!(
///     "SIP/2.0 407 Proxy Authentication Required\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch={}\r\n\
///      From: <sip:alice@cpm.test>;tag={}\r\nTo: <sip:bob@cpm.test>;tag=p1\r\n\
///      Call-ID: {}\r\nCSeq: 1 MESSAGE\r\n\
///      Proxy-Authenticate: Digest realm=\"cpm.test\", nonce=\"abc\", qop=\"auth\"\r\n\
///      Content-Length: 0\r\n\r\n",
///     message.branch(), message.from_tag(), message.call_id());
/// let response = IncomingResponse::parse(Bytes::from(challenge))?;
/// let alice = |_: &DigestChallenge| Some(DigestCredentials::new("alice", "secret"));
/// let again = authorize(&message, &response, &alice, &mut ids)?;
/// assert_eq!(again.cseq(), 2);
/// assert_eq!(again.call_id(), message.call_id());
/// assert_ne!(again.branch(), message.branch());
/// assert!(again.header("Proxy-Authorization").unwrap().contains("nc=00000001"));
/// assert_eq!(again.body(), message.body());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// A [`ChallengeAnswerError`]: the response is not a challenge to this request, no
/// challenge can be answered, credentials are missing or were refused, or the new
/// request cannot be written.
pub fn authorize(
    request: &OutgoingRequest,
    response: &IncomingResponse,
    credentials: &dyn Credentials,
    ids: &mut dyn IdGenerator,
) -> Result<OutgoingRequest, ChallengeAnswerError> {
    let status = response.status();
    if !matches!(status.code(), 401 | 407) {
        return Err(ChallengeAnswerError::NotChallenge(status.code()));
    }
    check_ours(request, response)?;
    let challenges = DigestChallenge::select(response).map_err(ChallengeAnswerError::Challenge)?;
    let head = request_head(request)?;
    let uri = head
        .lines
        .first()
        .and_then(|line| line.split(' ').nth(1))
        .ok_or_else(|| unwritable("no Request-URI"))?
        .to_owned();
    let earlier = earlier_answers(&head.lines);
    let mut answers = Vec::with_capacity(challenges.len());
    for challenge in &challenges {
        let answer_name = challenge.header().answer_name();
        if let Some((_, _, nonce)) = earlier.iter().find(|(name, realm, _)| {
            name.eq_ignore_ascii_case(answer_name) && realm == challenge.realm()
        }) {
            if !challenge.stale() {
                return Err(ChallengeAnswerError::CredentialsRejected {
                    realm: challenge.realm().to_owned(),
                    same_nonce: nonce == challenge.nonce(),
                });
            }
        }
        let Some(given) = credentials.digest_credentials(challenge) else {
            return Err(ChallengeAnswerError::NoCredentials {
                realm: challenge.realm().to_owned(),
            });
        };
        let cnonce = ids.token(32);
        let value = challenge
            .authorization(&DigestAnswer {
                username: given.username(),
                password: given.password(),
                method: request.method(),
                uri: &uri,
                body: request.body(),
                cnonce: &cnonce,
                nc: 1,
            })
            .map_err(|error| unwritable(&error.to_string()))?;
        answers.push((answer_name, challenge.realm().to_owned(), value));
    }
    let cseq = request.cseq().saturating_add(1);
    if cseq >= 1 << 31 {
        return Err(unwritable("CSeq at 2^31-1"));
    }
    let branch = format!("z9hG4bK{}", ids.token(16));
    rewrite(request, &head, &answers, cseq, &branch)
}

fn unwritable(why: &str) -> ChallengeAnswerError {
    ChallengeAnswerError::Unwritable(why.to_owned())
}

/// Whether `response` answers `request`: Call-ID, CSeq number and method, top Via
/// branch (RFC 3261 17.1.3).
fn check_ours(
    request: &OutgoingRequest,
    response: &IncomingResponse,
) -> Result<(), ChallengeAnswerError> {
    if response.header("Call-ID").map(|h| h.value()) != Some(request.call_id().as_bytes()) {
        return Err(ChallengeAnswerError::OtherRequest("Call-ID"));
    }
    let method_ok = response
        .cseq_method()
        .is_some_and(|m| m.as_str().eq_ignore_ascii_case(request.method()));
    if response.cseq() != request.cseq() || !method_ok {
        return Err(ChallengeAnswerError::OtherRequest("CSeq"));
    }
    let branch = response
        .header_values("Via")
        .next()
        .and_then(|via| param_of(via, b"branch"));
    if branch != Some(request.branch().as_bytes()) {
        return Err(ChallengeAnswerError::OtherRequest("Via branch"));
    }
    Ok(())
}

/// The value of parameter `name` of a `;`-separated header value.
fn param_of<'v>(value: &'v [u8], name: &[u8]) -> Option<&'v [u8]> {
    value.split(|&b| b == b';').skip(1).find_map(|param| {
        let param = crate::sip::grammar::trim_lws(param);
        let (n, v) = param.split_at(param.iter().position(|&b| b == b'=')?);
        n.eq_ignore_ascii_case(name)
            .then(|| crate::sip::grammar::trim_lws(v.get(1..).unwrap_or_default()))
    })
}

/// The request's head, split in lines (request line first, no empty last line).
struct Head<'r> {
    lines: Vec<&'r str>,
    body: Range<usize>,
}

fn request_head(request: &OutgoingRequest) -> Result<Head<'_>, ChallengeAnswerError> {
    let bytes = request.as_bytes();
    let body_len = request.body().len();
    let body_start = bytes
        .len()
        .checked_sub(body_len)
        .ok_or_else(|| unwritable("body"))?;
    let head = bytes
        .get(..body_start)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| unwritable("head not UTF-8"))?;
    let head = head
        .strip_suffix("\r\n\r\n")
        .ok_or_else(|| unwritable("head not ended by an empty line"))?;
    Ok(Head {
        lines: head.split("\r\n").collect(),
        body: body_start..bytes.len(),
    })
}

/// The (header name, realm, nonce) of every Authorization and Proxy-Authorization
/// line of the request.
fn earlier_answers<'r>(lines: &[&'r str]) -> Vec<(&'r str, String, String)> {
    lines
        .iter()
        .skip(1)
        .filter_map(|line| line.split_once(": "))
        .filter(|(name, _)| {
            name.eq_ignore_ascii_case("Authorization")
                || name.eq_ignore_ascii_case("Proxy-Authorization")
        })
        .map(|(name, value)| {
            (
                name,
                directive(value, "realm").unwrap_or_default(),
                directive(value, "nonce").unwrap_or_default(),
            )
        })
        .collect()
}

/// The value of directive `name` in an Authorization value the library wrote
/// (`Digest a="x", b=y`), unquoted.
fn directive(value: &str, name: &str) -> Option<String> {
    let rest = value.trim_start().strip_prefix("Digest")?;
    let mut rest = rest.trim_start();
    while !rest.is_empty() {
        let eq = rest.find('=')?;
        let key = rest[..eq].trim();
        rest = rest[eq + 1..].trim_start();
        let found;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, next)) = chars.next() {
                            out.push(next);
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => out.push(c),
                }
            }
            found = out;
            rest = quoted.get(end?..).unwrap_or_default();
        } else {
            let stop = rest.find(',').unwrap_or(rest.len());
            found = rest[..stop].trim().to_owned();
            rest = &rest[stop..];
        }
        if key.eq_ignore_ascii_case(name) {
            return Some(found);
        }
        rest = rest
            .trim_start()
            .strip_prefix(',')
            .unwrap_or(rest)
            .trim_start();
    }
    None
}

/// Writes the request again: new top-Via branch, CSeq `cseq`, earlier answers for
/// the answered realms dropped, the new answers before User-Agent/Content-Type/
/// Content-Length (after the other headers), the body unchanged.
fn rewrite(
    request: &OutgoingRequest,
    head: &Head<'_>,
    answers: &[(&'static str, String, String)],
    cseq: u32,
    branch: &str,
) -> Result<OutgoingRequest, ChallengeAnswerError> {
    let mut out = String::with_capacity(request.as_bytes().len() + 512);
    let mut via_done = false;
    let mut cseq_done = false;
    let mut answers_done = false;
    let mut lines = head.lines.iter();
    if let Some(first) = lines.next() {
        out.push_str(first);
        out.push_str("\r\n");
    }
    let push_answers = |out: &mut String| {
        for (name, _, value) in answers {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        }
    };
    for line in lines {
        let Some((name, value)) = line.split_once(": ") else {
            out.push_str(line);
            out.push_str("\r\n");
            continue;
        };
        if !via_done && (name.eq_ignore_ascii_case("Via") || name == "v") {
            via_done = true;
            let old = format!("branch={}", request.branch());
            if !value.contains(&old) {
                return Err(unwritable("top Via without the request's branch"));
            }
            out.push_str(name);
            out.push_str(": ");
            out.push_str(&value.replacen(&old, &format!("branch={branch}"), 1));
            out.push_str("\r\n");
            continue;
        }
        if !cseq_done && name.eq_ignore_ascii_case("CSeq") {
            cseq_done = true;
            out.push_str(&format!("{name}: {cseq} {}\r\n", request.method()));
            continue;
        }
        let is_answer = name.eq_ignore_ascii_case("Authorization")
            || name.eq_ignore_ascii_case("Proxy-Authorization");
        if is_answer {
            let realm = directive(value, "realm").unwrap_or_default();
            if answers
                .iter()
                .any(|(n, r, _)| n.eq_ignore_ascii_case(name) && *r == realm)
            {
                continue;
            }
        }
        if !answers_done
            && ["User-Agent", "Content-Type", "Content-Length"]
                .iter()
                .any(|n| name.eq_ignore_ascii_case(n))
        {
            answers_done = true;
            push_answers(&mut out);
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    if !answers_done {
        push_answers(&mut out);
    }
    if !via_done || !cseq_done {
        return Err(unwritable("request without Via or CSeq"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    let body_start = bytes.len();
    bytes.extend_from_slice(
        request
            .as_bytes()
            .get(head.body.clone())
            .unwrap_or_default(),
    );
    let body = body_start..bytes.len();
    Ok(request.rewritten(Bytes::from(bytes), body, branch.to_owned(), cseq))
}
