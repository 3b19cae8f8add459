//! HTTP Digest authentication as SIP carries it (RFC 3261 section 22, RFC 2617,
//! RFC 7616): the challenges of `WWW-Authenticate` (401) and `Proxy-Authenticate`
//! (407) read into [`DigestChallenge`], and the `Authorization` or
//! `Proxy-Authorization` value answering one written from a [`DigestAnswer`].
//!
//! Algorithms: `MD5`, `MD5-sess`, `SHA-256`, `SHA-256-sess`, `SHA-512-256` and
//! `SHA-512-256-sess` ([`DigestAlgorithm`]); quality of protection `auth` (preferred)
//! and `auth-int`, or none for an RFC 2069 challenge ([`DigestQop`]); `opaque` echoed;
//! `userhash` (RFC 7616 section 3.4.4) honoured. Where a response carries several
//! challenges, [`DigestChallenge::select`] keeps the strongest supported one for each
//! realm.
//!
//! Reading is bounded: at most 64 parameters in one challenge, 16 challenges in one
//! header value, 1024 bytes in one parameter value; past that, and for unterminated
//! quoted strings, a missing `realm` or `nonce` or a repeated one, the error is a
//! [`DigestError`] naming the byte offset in the header value.
//!
//! ```
//! use cpm_client::sip::{ChallengeHeader, DigestAlgorithm, DigestAnswer, DigestChallenge};
//!
//! let challenge = DigestChallenge::parse(
//!     ChallengeHeader::WwwAuthenticate,
//!     br#"Digest realm="ims.example.net", nonce="a1b2c3", qop="auth,auth-int", algorithm=SHA-256"#,
//! )?;
//! assert_eq!(challenge.algorithm(), DigestAlgorithm::Sha256);
//! let value = challenge.authorization(&DigestAnswer {
//!     username: "alice@ims.example.net",
//!     password: b"secret",
//!     method: "REGISTER",
//!     uri: "sip:ims.example.net",
//!     body: b"",
//!     cnonce: "0a4f113b",
//!     nc: 1,
//! })?;
//! assert!(value.starts_with(r#"Digest username="alice@ims.example.net", realm="ims.example.net", nonce="a1b2c3", uri="sip:ims.example.net", response=""#));
//! assert!(value.ends_with(r#", algorithm=SHA-256, cnonce="0a4f113b", qop=auth, nc=00000001"#));
//! # Ok::<(), cpm_client::sip::DigestError>(())
//! ```

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use md5::Md5;
use sha2::digest::Digest;
use sha2::{Sha256, Sha512_256};
use thiserror::Error;

use super::grammar::{is_lws, is_token_char, lws, quoted_string, trim_lws};
use super::IncomingResponse;

/// Parameters read in one challenge at most.
const MAX_PARAMS: usize = 64;
/// Challenges read in one header value at most.
const MAX_CHALLENGES: usize = 16;
/// Bytes in one parameter value at most (a nonce of RFC 7616's examples is 44).
const MAX_VALUE: usize = 1024;

/// Why a challenge could not be read, or an answer not written. Offsets are 0-based
/// byte offsets into the header value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DigestError {
    /// A quoted string that never ends.
    #[error("byte {at}: unterminated quoted string")]
    Unterminated {
        /// Where the opening quote stands.
        at: usize,
    },
    /// The value is not `scheme 1*SP param *(COMMA param)`.
    #[error("byte {at}: {what}")]
    Syntax {
        /// Where the fault lies.
        at: usize,
        /// What was wrong.
        what: &'static str,
    },
    /// A challenge with more parameters than the reader takes.
    #[error("byte {at}: more than {limit} parameters in one challenge")]
    TooManyParams {
        /// Where the first parameter over the limit starts.
        at: usize,
        /// The limit.
        limit: usize,
    },
    /// A header value with more challenges than the reader takes.
    #[error("byte {at}: more than {limit} challenges in one header value")]
    TooManyChallenges {
        /// Where the first challenge over the limit starts.
        at: usize,
        /// The limit.
        limit: usize,
    },
    /// A parameter value longer than the reader takes.
    #[error("byte {at}: a parameter value longer than {limit} bytes")]
    TooLong {
        /// Where the value starts.
        at: usize,
        /// The limit.
        limit: usize,
    },
    /// A directive given twice in one challenge (RFC 7616 section 3.3 allows each once).
    #[error("byte {at}: {param} given twice")]
    Duplicate {
        /// The directive, as written the second time.
        param: String,
        /// Where its second occurrence starts.
        at: usize,
    },
    /// A Digest challenge without `realm` or `nonce` (RFC 3261 section 25.1 and
    /// RFC 7616 section 3.3 require both).
    #[error("the Digest challenge has no {0}")]
    Missing(&'static str),
    /// An `algorithm` the library does not compute (`AKAv1-MD5` of IMS AKA among
    /// them).
    #[error("algorithm {0:?} is not supported (MD5, MD5-sess, SHA-256, SHA-256-sess, SHA-512-256, SHA-512-256-sess are)")]
    UnsupportedAlgorithm(String),
    /// A `qop` list offering neither `auth` nor `auth-int`.
    #[error("qop {0:?} offers neither auth nor auth-int")]
    UnsupportedQop(String),
    /// A challenge of another scheme (`Basic`, `Bearer`, ...).
    #[error("scheme {0:?} is not Digest")]
    NotDigest(String),
    /// The response carries no `WWW-Authenticate` or `Proxy-Authenticate` at all.
    #[error("the response carries no WWW-Authenticate or Proxy-Authenticate challenge")]
    NoChallenge,
    /// An input of the answer that cannot be written into the header (a control
    /// character, a double quote in the URI or the client nonce, a method that is not
    /// a token, a nonce count of 0).
    #[error("{0}: cannot be written in an Authorization header")]
    Unwritable(&'static str),
}

/// A hash algorithm of HTTP Digest (RFC 7616 section 3.2 and its IANA registry). The
/// `-sess` variants hash the client nonce into the first hash (RFC 7616 3.4.2).
///
/// ```
/// use cpm_client::sip::DigestAlgorithm;
/// assert_eq!(DigestAlgorithm::from_name(b"sha-256-SESS"), Some(DigestAlgorithm::Sha256Sess));
/// assert_eq!(DigestAlgorithm::Sha256Sess.name(), "SHA-256-sess");
/// assert!(DigestAlgorithm::Sha256 > DigestAlgorithm::Md5Sess, "ordered by strength");
/// assert_eq!(DigestAlgorithm::from_name(b"AKAv1-MD5"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum DigestAlgorithm {
    /// MD5, the default when a challenge names none (RFC 2617 3.2.1).
    #[default]
    Md5,
    /// MD5-sess.
    Md5Sess,
    /// SHA-256 (RFC 7616).
    Sha256,
    /// SHA-256-sess (RFC 7616).
    Sha256Sess,
    /// SHA-512/256 (RFC 7616).
    Sha512_256,
    /// SHA-512/256-sess (RFC 7616).
    Sha512_256Sess,
}

impl DigestAlgorithm {
    /// The name as RFC 7616 writes it in `algorithm=`.
    pub const fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Md5 => "MD5",
            DigestAlgorithm::Md5Sess => "MD5-sess",
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Sha256Sess => "SHA-256-sess",
            DigestAlgorithm::Sha512_256 => "SHA-512-256",
            DigestAlgorithm::Sha512_256Sess => "SHA-512-256-sess",
        }
    }

    /// The algorithm named `name` (any case); `None` for one the library does not
    /// compute.
    pub fn from_name(name: &[u8]) -> Option<DigestAlgorithm> {
        [
            DigestAlgorithm::Md5,
            DigestAlgorithm::Md5Sess,
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha256Sess,
            DigestAlgorithm::Sha512_256,
            DigestAlgorithm::Sha512_256Sess,
        ]
        .into_iter()
        .find(|a| a.name().as_bytes().eq_ignore_ascii_case(name))
    }

    /// Whether it is a `-sess` variant.
    pub const fn is_session(self) -> bool {
        matches!(
            self,
            DigestAlgorithm::Md5Sess
                | DigestAlgorithm::Sha256Sess
                | DigestAlgorithm::Sha512_256Sess
        )
    }

    /// The strength of the hash: MD5 < SHA-256 < SHA-512/256; a `-sess` variant ranks
    /// with its hash.
    const fn rank(self) -> u8 {
        match self {
            DigestAlgorithm::Md5 | DigestAlgorithm::Md5Sess => 1,
            DigestAlgorithm::Sha256 | DigestAlgorithm::Sha256Sess => 2,
            DigestAlgorithm::Sha512_256 | DigestAlgorithm::Sha512_256Sess => 3,
        }
    }

    /// `H(parts joined by ':')` in lower-case hex.
    fn hash(self, parts: &[&[u8]]) -> String {
        match self {
            DigestAlgorithm::Md5 | DigestAlgorithm::Md5Sess => hex_hash::<Md5>(parts),
            DigestAlgorithm::Sha256 | DigestAlgorithm::Sha256Sess => hex_hash::<Sha256>(parts),
            DigestAlgorithm::Sha512_256 | DigestAlgorithm::Sha512_256Sess => {
                hex_hash::<Sha512_256>(parts)
            }
        }
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The hash of `parts` joined by `:`, in lower-case hex.
fn hex_hash<D: Digest>(parts: &[&[u8]]) -> String {
    let mut hasher = D::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update(b":");
        }
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut out = String::with_capacity(digest.len() * 2);
    for byte in digest.iter() {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// The quality of protection an answer uses (RFC 7616 3.4.3): `auth` hashes the
/// method and URI, `auth-int` the body too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestQop {
    /// `auth`.
    Auth,
    /// `auth-int`.
    AuthInt,
}

impl DigestQop {
    /// `auth` or `auth-int`.
    pub const fn name(self) -> &'static str {
        match self {
            DigestQop::Auth => "auth",
            DigestQop::AuthInt => "auth-int",
        }
    }
}

/// Which header a challenge came in, and so which header answers it (RFC 3261 22.2,
/// 22.3): a 401's `WWW-Authenticate` is answered by `Authorization`, a 407's
/// `Proxy-Authenticate` by `Proxy-Authorization`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChallengeHeader {
    /// `WWW-Authenticate`, from a registrar or user agent.
    #[default]
    WwwAuthenticate,
    /// `Proxy-Authenticate`, from a proxy.
    ProxyAuthenticate,
}

impl ChallengeHeader {
    /// The challenge header's name.
    pub const fn name(self) -> &'static str {
        match self {
            ChallengeHeader::WwwAuthenticate => "WWW-Authenticate",
            ChallengeHeader::ProxyAuthenticate => "Proxy-Authenticate",
        }
    }

    /// The name of the header that answers it.
    pub const fn answer_name(self) -> &'static str {
        match self {
            ChallengeHeader::WwwAuthenticate => "Authorization",
            ChallengeHeader::ProxyAuthenticate => "Proxy-Authorization",
        }
    }
}

/// One Digest challenge, read: what an answer to it must hash and echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestChallenge {
    header: ChallengeHeader,
    realm: String,
    nonce: String,
    opaque: Option<String>,
    algorithm: DigestAlgorithm,
    qop: Option<DigestQop>,
    stale: bool,
    userhash: bool,
    domain: Option<String>,
}

/// What an answer to a challenge is computed from (RFC 7616 section 3.4).
#[derive(Debug, Clone, Copy)]
pub struct DigestAnswer<'a> {
    /// The user name, as the credentials give it (hashed when the challenge says
    /// `userhash=true`).
    pub username: &'a str,
    /// The password (bytes: an IMS AKA answer is binary).
    pub password: &'a [u8],
    /// The request's method (`REGISTER`, `INVITE`, ...).
    pub method: &'a str,
    /// The `digest-uri`: the Request-URI as written (RFC 3261 22.4).
    pub uri: &'a str,
    /// The request's body, hashed under `qop=auth-int`.
    pub body: &'a [u8],
    /// The client nonce (written under `qop` and for `-sess` algorithms): fresh and
    /// unpredictable for each answer.
    pub cnonce: &'a str,
    /// How many requests this answer makes with this nonce, this one included (1 for
    /// the first; RFC 7616 3.4 `nc`).
    pub nc: u32,
}

impl DigestChallenge {
    /// The strongest supported Digest challenge of one header value (several
    /// challenges may share it).
    ///
    /// # Errors
    ///
    /// A [`DigestError`]: the value does not read (a syntax error, a limit passed or
    /// a repeated directive anywhere in it refuses the whole value), or none of its
    /// challenges is a Digest challenge the library can answer (the error of the
    /// first Digest one).
    pub fn parse(header: ChallengeHeader, value: &[u8]) -> Result<DigestChallenge, DigestError> {
        strongest(whole_value(DigestChallenge::parse_all(header, value)))
            .map(|mut best| best.swap_remove(0))
    }

    /// Every challenge of one header value, in order, each read or refused; the
    /// value is read up to its first syntax error, which ends the list.
    ///
    /// ```
    /// use cpm_client::sip::{ChallengeHeader, DigestChallenge, DigestError};
    ///
    /// let all = DigestChallenge::parse_all(
    ///     ChallengeHeader::ProxyAuthenticate,
    ///     br#"Basic realm="x", Digest realm="a", nonce="n1", algorithm=AKAv1-MD5, Digest realm="a", nonce="n2""#,
    /// );
    /// assert_eq!(all[0], Err(DigestError::NotDigest("Basic".into())));
    /// assert_eq!(all[1], Err(DigestError::UnsupportedAlgorithm("AKAv1-MD5".into())));
    /// assert_eq!(all[2].as_ref().unwrap().nonce(), "n2");
    /// ```
    pub fn parse_all(
        header: ChallengeHeader,
        value: &[u8],
    ) -> Vec<Result<DigestChallenge, DigestError>> {
        let mut out = Vec::new();
        let items = match items(value) {
            Ok(items) => items,
            Err(error) => {
                out.push(Err(error));
                return out;
            }
        };
        // Each item is `scheme [SP first-param]` or a further parameter.
        let mut current: Option<(&[u8], Vec<Item<'_>>)> = None;
        for item in items {
            let text = item.text;
            let scheme_len = text.iter().take_while(|&&b| is_token_char(b)).count();
            let after = &text[scheme_len..];
            let starts_challenge = scheme_len > 0
                && (after.is_empty() || (is_lws(after[0]) && lws(after).first() != Some(&b'=')));
            if starts_challenge {
                if let Some((scheme, params)) = current.take() {
                    out.push(challenge(header, scheme, &params));
                }
                if out.len() == MAX_CHALLENGES {
                    out.push(Err(DigestError::TooManyChallenges {
                        at: item.at,
                        limit: MAX_CHALLENGES,
                    }));
                    return out;
                }
                let rest = lws(after);
                let mut params = Vec::new();
                if !rest.is_empty() {
                    params.push(Item {
                        at: item.at + (text.len() - rest.len()),
                        text: rest,
                    });
                }
                current = Some((&text[..scheme_len], params));
                continue;
            }
            match &mut current {
                None => {
                    out.push(Err(DigestError::Syntax {
                        at: item.at,
                        what: "a challenge starts with its scheme, a token",
                    }));
                    return out;
                }
                Some((_, params)) => {
                    if params.len() == MAX_PARAMS {
                        out.push(Err(DigestError::TooManyParams {
                            at: item.at,
                            limit: MAX_PARAMS,
                        }));
                        return out;
                    }
                    params.push(item);
                }
            }
        }
        if let Some((scheme, params)) = current {
            out.push(challenge(header, scheme, &params));
        }
        out
    }

    /// Every challenge of a response: those of each `WWW-Authenticate` and each
    /// `Proxy-Authenticate` header, in order; a header value that does not read (a
    /// syntax error, a limit passed, a repeated directive) adds only its first error,
    /// and leaves the other headers be.
    pub fn in_response(response: &IncomingResponse) -> Vec<Result<DigestChallenge, DigestError>> {
        let mut out = Vec::new();
        for header in response.headers() {
            let kind = if header.is("WWW-Authenticate") {
                ChallengeHeader::WwwAuthenticate
            } else if header.is("Proxy-Authenticate") {
                ChallengeHeader::ProxyAuthenticate
            } else {
                continue;
            };
            out.extend(whole_value(DigestChallenge::parse_all(
                kind,
                header.value(),
            )));
        }
        out
    }

    /// The challenges to answer in a response: for each header kind and realm, the
    /// strongest supported one (the first listed among equals, RFC 7616 3.7 lets the
    /// server list its preference first). RFC 3261 22.3 answers each realm.
    ///
    /// # Errors
    ///
    /// When no challenge can be answered: the first error that is about a Digest
    /// challenge, else [`DigestError::NotDigest`], else
    /// [`DigestError::NoChallenge`].
    pub fn select(response: &IncomingResponse) -> Result<Vec<DigestChallenge>, DigestError> {
        strongest(DigestChallenge::in_response(response))
    }

    /// The header the challenge came in.
    pub fn header(&self) -> ChallengeHeader {
        self.header
    }

    /// The realm: which user name and password to use.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The server nonce.
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// The opaque value, echoed in the answer.
    pub fn opaque(&self) -> Option<&str> {
        self.opaque.as_deref()
    }

    /// The algorithm (MD5 when the challenge names none).
    pub fn algorithm(&self) -> DigestAlgorithm {
        self.algorithm
    }

    /// The quality of protection the answer uses: `auth` when offered, else
    /// `auth-int`; `None` for a challenge without `qop` (RFC 2069 compatibility).
    pub fn qop(&self) -> Option<DigestQop> {
        self.qop
    }

    /// `stale=true`: the previous answer's credentials were right but its nonce had
    /// expired, so answer again with the new nonce without asking the user (RFC 7616
    /// 3.3).
    pub fn stale(&self) -> bool {
        self.stale
    }

    /// `userhash=true`: the answer carries `H(username:realm)` instead of the user name
    /// (RFC 7616 3.4.4).
    pub fn userhash(&self) -> bool {
        self.userhash
    }

    /// The `domain` list as written (the URIs the credentials also protect), if any.
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// The `response` value of an answer: `H(A1):nonce[:nc:cnonce:qop]:H(A2)` hashed
    /// (RFC 7616 3.4.1, RFC 2617 3.2.2.1 without qop).
    ///
    /// # Errors
    ///
    /// [`DigestError::Unwritable`] as [`DigestChallenge::authorization`] says.
    pub fn response_hash(&self, answer: &DigestAnswer<'_>) -> Result<String, DigestError> {
        check_answer(answer)?;
        let alg = self.algorithm;
        let nc = format!("{:08x}", answer.nc);
        let mut ha1 = alg.hash(&[
            answer.username.as_bytes(),
            self.realm.as_bytes(),
            answer.password,
        ]);
        if alg.is_session() {
            ha1 = alg.hash(&[
                ha1.as_bytes(),
                self.nonce.as_bytes(),
                answer.cnonce.as_bytes(),
            ]);
        }
        let ha2 = match self.qop {
            Some(DigestQop::AuthInt) => {
                let body = alg.hash(&[answer.body]);
                alg.hash(&[
                    answer.method.as_bytes(),
                    answer.uri.as_bytes(),
                    body.as_bytes(),
                ])
            }
            _ => alg.hash(&[answer.method.as_bytes(), answer.uri.as_bytes()]),
        };
        Ok(match self.qop {
            Some(qop) => alg.hash(&[
                ha1.as_bytes(),
                self.nonce.as_bytes(),
                nc.as_bytes(),
                answer.cnonce.as_bytes(),
                qop.name().as_bytes(),
                ha2.as_bytes(),
            ]),
            None => alg.hash(&[ha1.as_bytes(), self.nonce.as_bytes(), ha2.as_bytes()]),
        })
    }

    /// The value of the `Authorization` (or `Proxy-Authorization`, see
    /// [`ChallengeHeader::answer_name`]) header answering this challenge:
    /// `Digest username, realm, nonce, uri, response, algorithm`, then `cnonce` (under
    /// `qop` or a `-sess` algorithm), `opaque` (when the challenge had one), `qop` and
    /// `nc` (when the challenge offered `qop`), `userhash=true` (when asked).
    ///
    /// # Errors
    ///
    /// [`DigestError::Unwritable`] naming the input when the user name, URI or client
    /// nonce holds a control character, the URI or client nonce a double quote, the
    /// method is not a token, or `nc` is 0.
    pub fn authorization(&self, answer: &DigestAnswer<'_>) -> Result<String, DigestError> {
        let response = self.response_hash(answer)?;
        let hashed_user;
        let username = if self.userhash {
            hashed_user = self
                .algorithm
                .hash(&[answer.username.as_bytes(), self.realm.as_bytes()]);
            hashed_user.as_str()
        } else {
            answer.username
        };
        let mut out = String::with_capacity(256);
        out.push_str("Digest username=");
        quoted(&mut out, username);
        out.push_str(", realm=");
        quoted(&mut out, &self.realm);
        out.push_str(", nonce=");
        quoted(&mut out, &self.nonce);
        let _ = write!(
            out,
            ", uri=\"{}\", response=\"{response}\", algorithm={}",
            answer.uri, self.algorithm
        );
        if self.qop.is_some() || self.algorithm.is_session() {
            let _ = write!(out, ", cnonce=\"{}\"", answer.cnonce);
        }
        if let Some(opaque) = &self.opaque {
            out.push_str(", opaque=");
            quoted(&mut out, opaque);
        }
        if let Some(qop) = self.qop {
            let _ = write!(out, ", qop={}, nc={:08x}", qop.name(), answer.nc);
        }
        if self.userhash {
            out.push_str(", userhash=true");
        }
        Ok(out)
    }
}

/// The challenges of one value, or only its first read error when it has one (a
/// syntax error, a limit passed, a repeated directive): a value that does not read
/// is not trusted in part.
fn whole_value(
    mut all: Vec<Result<DigestChallenge, DigestError>>,
) -> Vec<Result<DigestChallenge, DigestError>> {
    let read_error = all.iter().position(|result| {
        matches!(
            result,
            Err(DigestError::Unterminated { .. }
                | DigestError::Syntax { .. }
                | DigestError::TooManyParams { .. }
                | DigestError::TooManyChallenges { .. }
                | DigestError::TooLong { .. }
                | DigestError::Duplicate { .. })
        )
    });
    if let Some(at) = read_error {
        all.truncate(at + 1);
        all.drain(..at);
    }
    all
}

/// Refuses answer inputs that cannot be written.
fn check_answer(answer: &DigestAnswer<'_>) -> Result<(), DigestError> {
    let control = |s: &str| s.chars().any(char::is_control);
    if control(answer.username) {
        return Err(DigestError::Unwritable("username"));
    }
    if control(answer.uri) || answer.uri.contains('"') || answer.uri.is_empty() {
        return Err(DigestError::Unwritable("uri"));
    }
    if control(answer.cnonce) || answer.cnonce.contains(['"', '\\']) || answer.cnonce.is_empty() {
        return Err(DigestError::Unwritable("cnonce"));
    }
    if answer.method.is_empty() || !answer.method.bytes().all(is_token_char) {
        return Err(DigestError::Unwritable("method"));
    }
    if answer.nc == 0 {
        return Err(DigestError::Unwritable("nc"));
    }
    Ok(())
}

/// Writes `text` as a quoted string, `"` and `\` escaped.
fn quoted(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// For each header kind and realm, the strongest challenge; the error rule of
/// [`DigestChallenge::select`] when there is none.
fn strongest(
    all: Vec<Result<DigestChallenge, DigestError>>,
) -> Result<Vec<DigestChallenge>, DigestError> {
    let mut chosen: Vec<DigestChallenge> = Vec::new();
    let mut first_error: Option<DigestError> = None;
    let mut not_digest: Option<DigestError> = None;
    for result in all {
        match result {
            Ok(challenge) => {
                match chosen
                    .iter_mut()
                    .find(|c| c.header == challenge.header && c.realm == challenge.realm)
                {
                    Some(kept) if challenge.algorithm.rank() > kept.algorithm.rank() => {
                        *kept = challenge;
                    }
                    Some(_) => {}
                    None => chosen.push(challenge),
                }
            }
            Err(error @ DigestError::NotDigest(_)) => {
                not_digest.get_or_insert(error);
            }
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    if chosen.is_empty() {
        return Err(first_error
            .or(not_digest)
            .unwrap_or(DigestError::NoChallenge));
    }
    Ok(chosen)
}

/// One comma-separated item of a header value, trimmed, and where it starts.
#[derive(Debug, Clone, Copy)]
struct Item<'v> {
    at: usize,
    text: &'v [u8],
}

/// Splits a value at the commas outside quoted strings; empty items are dropped.
fn items(value: &[u8]) -> Result<Vec<Item<'_>>, DigestError> {
    fn push<'v>(value: &'v [u8], from: usize, to: usize, out: &mut Vec<Item<'v>>) {
        let raw = &value[from..to];
        let text = trim_lws(raw);
        if !text.is_empty() {
            out.push(Item {
                at: from + (raw.len() - lws(raw).len()),
                text,
            });
        }
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < value.len() {
        match value[i] {
            b'"' => {
                let open = i;
                i += 1;
                loop {
                    match value.get(i) {
                        None => return Err(DigestError::Unterminated { at: open }),
                        Some(b'"') => break,
                        Some(b'\\') => i += 2,
                        Some(_) => i += 1,
                    }
                }
            }
            b',' => {
                push(value, start, i, &mut out);
                start = i + 1;
                // Bounds the work on a hostile value of many empty or short items.
                if out.len() > (MAX_PARAMS + 1) * (MAX_CHALLENGES + 1) {
                    return Err(DigestError::TooManyParams {
                        at: i,
                        limit: MAX_PARAMS,
                    });
                }
            }
            _ => {}
        }
        i += 1;
    }
    push(value, start, value.len(), &mut out);
    Ok(out)
}

/// One `name = value` parameter of a Digest challenge, the value unquoted.
fn param<'v>(item: Item<'v>) -> Result<(&'v [u8], Cow<'v, str>), DigestError> {
    let syntax = |at: usize, what| DigestError::Syntax { at, what };
    let text = item.text;
    let name_len = text.iter().take_while(|&&b| is_token_char(b)).count();
    if name_len == 0 {
        return Err(syntax(item.at, "a parameter name must be a token"));
    }
    let offset = |rest: &[u8]| item.at + (text.len() - rest.len());
    let rest = lws(&text[name_len..]);
    let Some(rest) = rest.strip_prefix(b"=") else {
        return Err(syntax(
            offset(rest),
            "expected '=' after the parameter name",
        ));
    };
    let rest = lws(rest);
    let value_at = offset(rest);
    let (raw, after, was_quoted) = if rest.first() == Some(&b'"') {
        match quoted_string(rest) {
            Ok((after, inner)) => (inner, after, true),
            Err(_) => return Err(DigestError::Unterminated { at: value_at }),
        }
    } else {
        let n = rest.iter().take_while(|&&b| is_token_char(b)).count();
        if n == 0 {
            return Err(syntax(
                value_at,
                "a parameter value must be a token or a quoted string",
            ));
        }
        (&rest[..n], &rest[n..], false)
    };
    if !lws(after).is_empty() {
        return Err(syntax(
            offset(lws(after)),
            "expected a comma after the value",
        ));
    }
    if raw.len() > MAX_VALUE {
        return Err(DigestError::TooLong {
            at: value_at,
            limit: MAX_VALUE,
        });
    }
    if raw.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(syntax(value_at, "a control character in a value"));
    }
    let unescaped: Cow<'v, [u8]> = if was_quoted && raw.contains(&b'\\') {
        let mut out = Vec::with_capacity(raw.len());
        let mut bytes = raw.iter();
        while let Some(&b) = bytes.next() {
            match b {
                b'\\' => out.extend(bytes.next()),
                _ => out.push(b),
            }
        }
        Cow::Owned(out)
    } else {
        Cow::Borrowed(raw)
    };
    let value = match unescaped {
        Cow::Borrowed(b) => std::str::from_utf8(b).map(Cow::Borrowed),
        Cow::Owned(v) => String::from_utf8(v)
            .map(Cow::Owned)
            .map_err(|e| e.utf8_error()),
    }
    .map_err(|_| syntax(value_at, "a value that is not UTF-8"))?;
    Ok((&text[..name_len], value))
}

/// A challenge from its scheme and parameters.
fn challenge(
    header: ChallengeHeader,
    scheme: &[u8],
    params: &[Item<'_>],
) -> Result<DigestChallenge, DigestError> {
    if !scheme.eq_ignore_ascii_case(b"Digest") {
        return Err(DigestError::NotDigest(
            String::from_utf8_lossy(scheme).into_owned(),
        ));
    }
    const KNOWN: [&str; 8] = [
        "realm",
        "nonce",
        "opaque",
        "algorithm",
        "qop",
        "stale",
        "userhash",
        "domain",
    ];
    let mut seen = [false; KNOWN.len()];
    let mut found: [Option<Cow<'_, str>>; KNOWN.len()] = Default::default();
    for &item in params {
        let (name, value) = param(item)?;
        let Some(slot) = KNOWN
            .iter()
            .position(|k| k.as_bytes().eq_ignore_ascii_case(name))
        else {
            continue;
        };
        if seen[slot] {
            return Err(DigestError::Duplicate {
                param: String::from_utf8_lossy(name).into_owned(),
                at: item.at,
            });
        }
        seen[slot] = true;
        found[slot] = Some(value);
    }
    let [realm, nonce, opaque, algorithm, qop, stale, userhash, domain] = found;
    let algorithm = match algorithm {
        None => DigestAlgorithm::Md5,
        Some(name) => DigestAlgorithm::from_name(name.as_bytes())
            .ok_or_else(|| DigestError::UnsupportedAlgorithm(name.into_owned()))?,
    };
    let qop = match qop {
        None => None,
        Some(list) => {
            let offered: Vec<&str> = list.split(',').map(str::trim).collect();
            let has = |name: &str| offered.iter().any(|q| q.eq_ignore_ascii_case(name));
            if has("auth") {
                Some(DigestQop::Auth)
            } else if has("auth-int") {
                Some(DigestQop::AuthInt)
            } else {
                return Err(DigestError::UnsupportedQop(list.into_owned()));
            }
        }
    };
    let is_true =
        |v: &Option<Cow<'_, str>>| v.as_deref().is_some_and(|v| v.eq_ignore_ascii_case("true"));
    Ok(DigestChallenge {
        header,
        realm: realm.ok_or(DigestError::Missing("realm"))?.into_owned(),
        nonce: nonce.ok_or(DigestError::Missing("nonce"))?.into_owned(),
        opaque: opaque.map(Cow::into_owned),
        algorithm,
        qop,
        stale: is_true(&stale),
        userhash: is_true(&userhash),
        domain: domain.map(Cow::into_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(value: &str) -> Result<DigestChallenge, DigestError> {
        DigestChallenge::parse(ChallengeHeader::WwwAuthenticate, value.as_bytes())
    }

    #[test]
    fn rfc_2617_section_3_5() {
        let challenge = one(
            "Digest\r\n realm=\"testrealm@host.com\",\r\n qop=\"auth,auth-int\",\r\n \
             nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n \
             opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        )
        .unwrap();
        assert_eq!(challenge.qop(), Some(DigestQop::Auth));
        assert_eq!(challenge.algorithm(), DigestAlgorithm::Md5);
        let answer = DigestAnswer {
            username: "Mufasa",
            password: b"Circle Of Life",
            method: "GET",
            uri: "/dir/index.html",
            body: b"",
            cnonce: "0a4f113b",
            nc: 1,
        };
        assert_eq!(
            challenge.response_hash(&answer).unwrap(),
            "6629fae49393a05397450978507c4ef1"
        );
    }

    #[test]
    fn bare_and_quoted_values_and_escapes() {
        let c =
            one(r#"digest REALM="a \"b\" \\ c",nonce=abc123 , stale=TRUE, algorithm="sha-256""#)
                .unwrap();
        assert_eq!(c.realm(), r#"a "b" \ c"#);
        assert_eq!(c.nonce(), "abc123");
        assert!(c.stale());
        assert_eq!(c.algorithm(), DigestAlgorithm::Sha256);
        assert_eq!(c.qop(), None);
        let value = c
            .authorization(&DigestAnswer {
                username: "u",
                password: b"p",
                method: "REGISTER",
                uri: "sip:x",
                body: b"",
                cnonce: "c",
                nc: 1,
            })
            .unwrap();
        assert!(value.contains(r#"realm="a \"b\" \\ c""#), "{value}");
        assert!(!value.contains("cnonce"), "no qop, no -sess: no cnonce");
    }
}
