//! Header names (case-insensitive, with their compact forms) and header views.

use std::borrow::Cow;
use std::fmt;

use super::grammar;

macro_rules! known_headers {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal $(, $compact:literal)? ; )*) => {
        /// A header the library knows by name.
        ///
        /// Names compare without regard to case, and every compact form of the IANA
        /// registry is understood (`a` is Accept-Contact, `v` is Via, ...).
        ///
        /// ```
        /// use cpm_client::sip::KnownHeader;
        ///
        /// assert_eq!(KnownHeader::from_name(b"a"), Some(KnownHeader::AcceptContact));
        /// assert_eq!(KnownHeader::from_name(b"aCCEPT-cONTACT"), Some(KnownHeader::AcceptContact));
        /// assert_eq!(KnownHeader::AcceptContact.compact(), Some('a'));
        /// assert_eq!(KnownHeader::Via.as_str(), "Via");
        /// assert_eq!(KnownHeader::from_name(b"X-Unknown"), None);
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum KnownHeader {
            $( $(#[$doc])* $variant, )*
        }

        impl KnownHeader {
            /// Every known header, in declaration order.
            pub const ALL: &'static [KnownHeader] = &[$(KnownHeader::$variant),*];

            /// How many headers the library knows.
            pub(crate) const COUNT: usize = KnownHeader::ALL.len();

            /// The full name, in its usual spelling.
            pub const fn as_str(self) -> &'static str {
                match self { $(KnownHeader::$variant => $name,)* }
            }

            /// The compact form, for the headers that have one.
            pub const fn compact(self) -> Option<char> {
                match self {
                    $( $(KnownHeader::$variant => Some($compact),)? )*
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }

            /// The header a name stands for: full name in any case, or compact form.
            pub fn from_name(name: &[u8]) -> Option<KnownHeader> {
                /// Every full name with its header.
                const NAMES: &[(&[u8], KnownHeader)] = &[$(($name.as_bytes(), KnownHeader::$variant)),*];
                /// The indexes into `NAMES` of the names of each length, so that a
                /// lookup compares a name with the few of its length only.
                const BY_LENGTH: [[u8; BUCKET]; MAX_NAME + 1] = {
                    let mut table = [[u8::MAX; BUCKET]; MAX_NAME + 1];
                    let mut i = 0;
                    while i < NAMES.len() {
                        let bucket = &mut table[NAMES[i].0.len()];
                        let mut slot = 0;
                        while bucket[slot] != u8::MAX {
                            slot += 1;
                        }
                        bucket[slot] = i as u8;
                        i += 1;
                    }
                    table
                };
                if let [c] = name {
                    let c = char::from(c.to_ascii_lowercase());
                    return KnownHeader::ALL.iter().copied().find(|h| h.compact() == Some(c));
                }
                BY_LENGTH
                    .get(name.len())?
                    .iter()
                    .take_while(|&&i| i != u8::MAX)
                    .map(|&i| NAMES[usize::from(i)])
                    // Equal first bytes but for bit 0x20 (needed to be equal in any
                    // case) before the whole comparison: most candidates fail there.
                    .find(|(full, _)| {
                        matches!((full.first(), name.first()), (Some(a), Some(b)) if (a ^ b) & !0x20 == 0)
                            && full.eq_ignore_ascii_case(name)
                    })
                    .map(|(_, header)| header)
            }

            /// [`KnownHeader::from_name`] for a name the line reader has checked to be
            /// a token: setting bit 0x20 of each byte lowers exactly the letters of a
            /// token and makes no other token byte equal to another (`_` becomes DEL,
            /// which no token holds), so comparing the lowered bytes eight at a time
            /// compares without regard to case.
            #[inline]
            pub(crate) fn from_token(name: &[u8]) -> Option<KnownHeader> {
                /// Up to eight bytes as a word, each with bit 0x20 set.
                #[inline(always)]
                fn lowered(part: &[u8]) -> u64 {
                    let mut bytes = [0u8; 8];
                    match (part.get(..8), bytes.get_mut(..part.len())) {
                        (Some(word), _) => bytes.copy_from_slice(word),
                        (None, Some(head)) => head.copy_from_slice(part),
                        (None, None) => {}
                    }
                    u64::from_le_bytes(bytes) | u64::from_le_bytes([0x20; 8])
                }
                if name.len() == 1 {
                    return KnownHeader::from_name(name);
                }
                let first = name.first()? | 0x20;
                KnownHeader::from_name_bucket(name.len())?
                    .find(|(full, _)| {
                        full.first().is_some_and(|&b| b | 0x20 == first)
                            && full
                                .chunks(8)
                                .zip(name.chunks(8))
                                .all(|(a, b)| lowered(a) == lowered(b))
                    })
                    .map(|(_, header)| header)
            }

            /// The known full names of `len` bytes, with their headers.
            fn from_name_bucket(
                len: usize,
            ) -> Option<impl Iterator<Item = (&'static [u8], KnownHeader)>> {
                /// Every full name with its header.
                const NAMES: &[(&[u8], KnownHeader)] = &[$(($name.as_bytes(), KnownHeader::$variant)),*];
                const BY_LENGTH: [[u8; BUCKET]; MAX_NAME + 1] = {
                    let mut table = [[u8::MAX; BUCKET]; MAX_NAME + 1];
                    let mut i = 0;
                    while i < NAMES.len() {
                        let bucket = &mut table[NAMES[i].0.len()];
                        let mut slot = 0;
                        while bucket[slot] != u8::MAX {
                            slot += 1;
                        }
                        bucket[slot] = i as u8;
                        i += 1;
                    }
                    table
                };
                Some(
                    BY_LENGTH
                        .get(len)?
                        .iter()
                        .take_while(|&&i| i != u8::MAX)
                        .filter_map(|&i| NAMES.get(usize::from(i)).copied()),
                )
            }
        }
    };
}

/// The longest known full header name, and how many known names share one length at
/// most (the shape of the lookup table of [`KnownHeader::from_name`]; a build error
/// says when a new name needs them larger).
const MAX_NAME: usize = 25;
const BUCKET: usize = 6;

known_headers! {
    /// Accept-Contact (RFC 3841): the caller's feature preferences; CPM routing reads it.
    AcceptContact = "Accept-Contact", 'a';
    /// Referred-By (RFC 3892).
    ReferredBy = "Referred-By", 'b';
    /// Content-Type.
    ContentType = "Content-Type", 'c';
    /// Request-Disposition (RFC 3841).
    RequestDisposition = "Request-Disposition", 'd';
    /// Content-Encoding.
    ContentEncoding = "Content-Encoding", 'e';
    /// From.
    From = "From", 'f';
    /// Call-ID.
    CallId = "Call-ID", 'i';
    /// Reject-Contact (RFC 3841).
    RejectContact = "Reject-Contact", 'j';
    /// Supported.
    Supported = "Supported", 'k';
    /// Content-Length.
    ContentLength = "Content-Length", 'l';
    /// Contact.
    Contact = "Contact", 'm';
    /// Identity-Info (RFC 4474, obsolete but still registered).
    IdentityInfo = "Identity-Info", 'n';
    /// Event (RFC 6665).
    Event = "Event", 'o';
    /// Refer-To (RFC 3515).
    ReferTo = "Refer-To", 'r';
    /// Subject.
    Subject = "Subject", 's';
    /// To.
    To = "To", 't';
    /// Allow-Events (RFC 6665).
    AllowEvents = "Allow-Events", 'u';
    /// Via.
    Via = "Via", 'v';
    /// Session-Expires (RFC 4028).
    SessionExpires = "Session-Expires", 'x';
    /// Identity (RFC 8224).
    Identity = "Identity", 'y';
    /// CSeq.
    CSeq = "CSeq";
    /// Max-Forwards.
    MaxForwards = "Max-Forwards";
    /// Route.
    Route = "Route";
    /// Record-Route.
    RecordRoute = "Record-Route";
    /// Require.
    Require = "Require";
    /// Proxy-Require.
    ProxyRequire = "Proxy-Require";
    /// Allow.
    Allow = "Allow";
    /// Accept.
    Accept = "Accept";
    /// Expires.
    Expires = "Expires";
    /// User-Agent (carries the CPM release token of a request's sender).
    UserAgent = "User-Agent";
    /// Server (carries the CPM release token of a response's sender).
    Server = "Server";
    /// Date.
    Date = "Date";
    /// P-Asserted-Identity (RFC 3325).
    PAssertedIdentity = "P-Asserted-Identity";
    /// P-Preferred-Identity (RFC 3325).
    PPreferredIdentity = "P-Preferred-Identity";
    /// P-Asserted-Service (RFC 6050).
    PAssertedService = "P-Asserted-Service";
    /// P-Preferred-Service (RFC 6050).
    PPreferredService = "P-Preferred-Service";
    /// Conversation-ID (OMA CPM).
    ConversationId = "Conversation-ID";
    /// Contribution-ID (OMA CPM).
    ContributionId = "Contribution-ID";
    /// InReplyTo-Contribution-ID (OMA CPM).
    InReplyToContributionId = "InReplyTo-Contribution-ID";
    /// Session-Replaces (OMA CPM).
    SessionReplaces = "Session-Replaces";
}

impl KnownHeader {
    /// Whether the header's grammar is a comma-separated list, so that several values
    /// may share one line (RFC 3261 section 7.3.1).
    pub const fn is_list(self) -> bool {
        matches!(
            self,
            KnownHeader::AcceptContact
                | KnownHeader::RejectContact
                | KnownHeader::RequestDisposition
                | KnownHeader::ContentEncoding
                | KnownHeader::Supported
                | KnownHeader::Contact
                | KnownHeader::AllowEvents
                | KnownHeader::Via
                | KnownHeader::Route
                | KnownHeader::RecordRoute
                | KnownHeader::Require
                | KnownHeader::ProxyRequire
                | KnownHeader::Allow
                | KnownHeader::Accept
                | KnownHeader::PAssertedIdentity
                | KnownHeader::PPreferredIdentity
                | KnownHeader::PAssertedService
                | KnownHeader::PPreferredService
        )
    }

    /// The headers the line reader itself checks or routing reads, told apart by the
    /// name's length and first byte before one comparison of at most two `u64` words
    /// (the hot path does not search the whole table).
    ///
    /// `name` is a token (the line reader checked it), so setting bit 0x20 of each of
    /// its bytes lowers exactly its letters, and no other token byte becomes a letter:
    /// comparing the result with the lower-case name compares without regard to case.
    #[inline(always)]
    pub(crate) fn core(name: &[u8]) -> Option<KnownHeader> {
        /// The name's bytes from `at`, eight of them, each with bit 0x20 set.
        #[inline]
        fn word(name: &[u8], at: usize) -> u64 {
            let mut bytes = [0u8; 8];
            if let Some(part) = name.get(at..at + 8) {
                bytes.copy_from_slice(part);
            }
            u64::from_le_bytes(bytes) | u64::from_le_bytes([0x20; 8])
        }
        /// The first bytes of `name` (at most 4) as a little-endian `u32`, lowered.
        #[inline]
        fn short(name: &[u8]) -> u32 {
            let mut bytes = [0u8; 4];
            for (to, from) in bytes.iter_mut().zip(name) {
                *to = from | 0x20;
            }
            u32::from_le_bytes(bytes)
        }
        /// Two overlapping words cover the names of 8 to 16 bytes.
        #[inline]
        fn long(name: &[u8], full: &[u8; 16]) -> bool {
            let len = name.len();
            let (mut head, mut tail) = ([0u8; 8], [0u8; 8]);
            head.copy_from_slice(&full[..8]);
            tail.copy_from_slice(&full[len - 8..len]);
            word(name, 0) == u64::from_le_bytes(head)
                && word(name, len - 8) == u64::from_le_bytes(tail)
        }
        let first = name.first()? | 0x20;
        let header = match (name.len(), first) {
            (1, b'v') => KnownHeader::Via,
            (1, b'f') => KnownHeader::From,
            (1, b't') => KnownHeader::To,
            (1, b'i') => KnownHeader::CallId,
            (1, b'l') => KnownHeader::ContentLength,
            (1, b'a') => KnownHeader::AcceptContact,
            (1, b'm') => KnownHeader::Contact,
            (2, b't') if short(name) == u32::from_le_bytes(*b"to\0\0") => KnownHeader::To,
            (3, b'v') if short(name) == u32::from_le_bytes(*b"via\0") => KnownHeader::Via,
            (4, b'f') if short(name) == u32::from_le_bytes(*b"from") => KnownHeader::From,
            (4, b'c') if short(name) == u32::from_le_bytes(*b"cseq") => KnownHeader::CSeq,
            (7, b'c') => {
                // Two overlapping halves: bytes 0..4 and 3..7.
                match (short(name), short(name.get(3..)?)) {
                    (c, t)
                        if c == u32::from_le_bytes(*b"call")
                            && t == u32::from_le_bytes(*b"l-id") =>
                    {
                        KnownHeader::CallId
                    }
                    (c, t)
                        if c == u32::from_le_bytes(*b"cont")
                            && t == u32::from_le_bytes(*b"tact") =>
                    {
                        KnownHeader::Contact
                    }
                    _ => return None,
                }
            }
            (14, b'c') if long(name, b"content-length\0\0") => KnownHeader::ContentLength,
            (14, b'a') if long(name, b"accept-contact\0\0") => KnownHeader::AcceptContact,
            _ => return None,
        };
        Some(header)
    }
}

impl fmt::Display for KnownHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One header line of a request, as slices of the request's bytes.
///
/// The value is what follows the colon, with the white space around it trimmed. A folded
/// header (a line continued by CRLF and SP or HTAB) is one header whose value still holds
/// the fold; [`Header::unfolded`] gives it with each fold turned into one space.
///
/// ```
/// use cpm_client::sip::KnownHeader;
///
/// let request = cpm_client::IncomingRequest::parse(bytes::Bytes::from_static(
///     b"OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:c@d>;tag=1\r\n\
///       t: <sip:a@b>\r\ni: x\r\nCSeq: 1 OPTIONS\r\nSubject: folded\r\n  here\r\n\r\n",
/// )).unwrap();
/// let subject = request.header("s").unwrap();
/// assert_eq!(subject.name(), "Subject");
/// assert_eq!(subject.known(), Some(KnownHeader::Subject));
/// assert_eq!(subject.value(), b"folded\r\n  here");
/// assert_eq!(&*subject.unfolded(), b"folded here");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The name as written; a token (checked by the reader), so ASCII.
    pub(crate) name: &'a [u8],
    pub(crate) known: Option<KnownHeader>,
    pub(crate) value: &'a [u8],
}

impl<'a> Header<'a> {
    /// The name as written (`a`, `ACCEPT-CONTACT`, ...).
    pub fn name(&self) -> &'a str {
        // A token is ASCII, so this never fails for a header the reader handed out.
        std::str::from_utf8(self.name).unwrap_or_default()
    }

    /// The header this name stands for, if the library knows it.
    pub fn known(&self) -> Option<KnownHeader> {
        self.known
    }

    /// Whether this header has the given name (any case, compact forms understood).
    ///
    /// ```
    /// let req = cpm_client::IncomingRequest::parse(bytes::Bytes::from_static(
    ///     b"OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:c@d>;tag=1\r\n\
    ///       t: <sip:a@b>\r\ni: x\r\nCSeq: 1 OPTIONS\r\n\r\n",
    /// )).unwrap();
    /// assert!(req.headers().next().unwrap().is("Via"));
    /// ```
    pub fn is(&self, name: &str) -> bool {
        HeaderName::new(name).matches(self)
    }

    /// The raw value bytes (folds kept).
    pub fn value(&self) -> &'a [u8] {
        self.value
    }

    /// The value as text, if it is UTF-8.
    pub fn value_str(&self) -> Option<&'a str> {
        std::str::from_utf8(self.value).ok()
    }

    /// The value with every fold (CRLF and the white space after it) turned into one
    /// space. Borrowed unless the header was folded.
    pub fn unfolded(&self) -> Cow<'a, [u8]> {
        if memchr::memchr(b'\n', self.value).is_none() {
            return Cow::Borrowed(self.value);
        }
        let mut out = Vec::with_capacity(self.value.len());
        let mut rest = self.value;
        while let Some(n) = memchr::memchr(b'\r', rest) {
            out.extend_from_slice(&rest[..n]);
            out.push(b' ');
            rest = grammar::lws(&rest[n..]);
        }
        out.extend_from_slice(rest);
        Cow::Owned(out)
    }

    /// The comma-separated values of a list header (see [`KnownHeader::is_list`]); any
    /// other header gives its whole value once. Commas inside quoted strings and `<...>`
    /// do not split.
    pub fn values(&self) -> impl Iterator<Item = &'a [u8]> {
        let list = self.known.is_some_and(KnownHeader::is_list);
        let mut whole = (!list).then_some(self.value);
        let mut split = list.then(|| grammar::split_list(self.value));
        std::iter::from_fn(move || match split.as_mut() {
            Some(parts) => parts.next(),
            None => whole.take(),
        })
    }

    /// The first of [`Header::values`] (a header always has one), found without
    /// walking the value when it holds no comma: only a comma ends a value of a list.
    pub(crate) fn first_value(&self) -> &'a [u8] {
        if !self.known.is_some_and(KnownHeader::is_list) {
            return self.value;
        }
        match memchr::memchr(b',', self.value) {
            None => grammar::trim_lws(self.value),
            Some(_) => grammar::split_list(self.value).next().unwrap_or_default(),
        }
    }
}

/// A header name looked for, resolved once (to a [`KnownHeader`] when it is one) so
/// that comparing it with each header of a request is one comparison.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeaderName<'n> {
    written: &'n str,
    known: Option<KnownHeader>,
}

impl<'n> HeaderName<'n> {
    /// The known header this name stands for, if any.
    pub(crate) fn known(&self) -> Option<KnownHeader> {
        self.known
    }

    pub(crate) fn new(written: &'n str) -> Self {
        HeaderName {
            written,
            known: KnownHeader::from_name(written.as_bytes()),
        }
    }

    /// Whether `header` has this name (any case, compact forms understood).
    pub(crate) fn matches(&self, header: &Header<'_>) -> bool {
        match (self.known, header.known) {
            (Some(wanted), Some(found)) => wanted == found,
            (None, None) => header.name.eq_ignore_ascii_case(self.written.as_bytes()),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_compact_form_of_the_iana_registry() {
        let table = [
            ('a', KnownHeader::AcceptContact),
            ('b', KnownHeader::ReferredBy),
            ('c', KnownHeader::ContentType),
            ('d', KnownHeader::RequestDisposition),
            ('e', KnownHeader::ContentEncoding),
            ('f', KnownHeader::From),
            ('i', KnownHeader::CallId),
            ('j', KnownHeader::RejectContact),
            ('k', KnownHeader::Supported),
            ('l', KnownHeader::ContentLength),
            ('m', KnownHeader::Contact),
            ('n', KnownHeader::IdentityInfo),
            ('o', KnownHeader::Event),
            ('r', KnownHeader::ReferTo),
            ('s', KnownHeader::Subject),
            ('t', KnownHeader::To),
            ('u', KnownHeader::AllowEvents),
            ('v', KnownHeader::Via),
            ('x', KnownHeader::SessionExpires),
            ('y', KnownHeader::Identity),
        ];
        for (c, header) in table {
            let lower = [c as u8];
            let upper = [c.to_ascii_uppercase() as u8];
            assert_eq!(KnownHeader::from_name(&lower), Some(header), "{c}");
            assert_eq!(KnownHeader::from_name(&upper), Some(header), "{c}");
            assert_eq!(header.compact(), Some(c));
        }
        for c in [b'g', b'h', b'p', b'q', b'w', b'z'] {
            assert_eq!(KnownHeader::from_name(&[c]), None);
        }
    }

    #[test]
    fn token_names_agree_with_the_full_table() {
        for &known in KnownHeader::ALL {
            let name = known.as_str();
            for variant in [
                name.to_string(),
                name.to_ascii_lowercase(),
                name.to_ascii_uppercase(),
            ] {
                assert_eq!(KnownHeader::from_token(variant.as_bytes()), Some(known));
            }
            if let Some(c) = known.compact() {
                assert_eq!(KnownHeader::from_token(&[c as u8]), Some(known));
            }
            // One byte changed to each other token byte: never another header than
            // the full table says.
            for at in 0..name.len() {
                for b in 0..=255u8 {
                    if !grammar::is_token_char(b) {
                        continue;
                    }
                    let mut other = name.as_bytes().to_vec();
                    other[at] = b;
                    assert_eq!(
                        KnownHeader::from_token(&other),
                        KnownHeader::from_name(&other),
                        "{other:?}"
                    );
                }
            }
        }
        assert_eq!(KnownHeader::from_token(b""), None);
        assert_eq!(KnownHeader::from_token(b"X-Unknown"), None);
    }

    #[test]
    fn core_names_agree_with_the_full_table() {
        for name in [
            "Via",
            "v",
            "V",
            "From",
            "f",
            "To",
            "t",
            "Call-ID",
            "call-id",
            "i",
            "CSeq",
            "cseq",
            "Content-Length",
            "l",
            "Accept-Contact",
            "aCCEPT-cONTACT",
            "a",
            "Contact",
            "m",
        ] {
            let core = KnownHeader::core(name.as_bytes());
            assert!(core.is_some(), "{name}");
            assert_eq!(core, KnownHeader::from_name(name.as_bytes()), "{name}");
        }
        for name in ["Subject", "s", "Reject-Contact", "j", "Contact-X", "Tov"] {
            assert_eq!(KnownHeader::core(name.as_bytes()), None, "{name}");
        }
    }

    #[test]
    fn unfolding_turns_each_fold_into_one_space() {
        let h = Header {
            name: b"Subject",
            known: Some(KnownHeader::Subject),
            value: b"a\r\n  b\r\n\tc",
        };
        assert_eq!(&*h.unfolded(), b"a b c");
        let plain = Header { value: b"a b", ..h };
        assert!(matches!(plain.unfolded(), Cow::Borrowed(_)));
    }

    #[test]
    fn the_first_value_is_the_first_of_the_values() {
        let values: [&[u8]; 14] = [
            b"",
            b" ",
            b"SIP/2.0/TCP 192.0.2.7;branch=z9hG4bK-1",
            b"SIP/2.0/TCP h1;branch=z9hG4bK1 , SIP/2.0/UDP h2",
            b",",
            b" , x",
            b"a ,",
            b"\"q,q\" <sip:a@b>, c",
            b"<sip:a@b;x=1,2>;y, z",
            b"\"a\\\",b\", c",
            b"\"unterminated, x",
            b"x\r\n ,y",
            b"x \r\n ",
            b"\t<sip:a@b>\t",
        ];
        for known in [
            Some(KnownHeader::Via),
            Some(KnownHeader::AcceptContact),
            Some(KnownHeader::Date),
            Some(KnownHeader::CallId),
            None,
        ] {
            for value in values {
                let header = Header {
                    name: b"x",
                    known,
                    value,
                };
                assert_eq!(
                    Some(header.first_value()),
                    header.values().next(),
                    "{known:?} {value:?}"
                );
            }
        }
    }

    #[test]
    fn values_split_only_list_headers() {
        let ac = Header {
            name: b"a",
            known: Some(KnownHeader::AcceptContact),
            value: b"*;x, *;y",
        };
        assert_eq!(ac.values().count(), 2);
        let date = Header {
            name: b"Date",
            known: Some(KnownHeader::Date),
            value: b"Sat, 13 Nov 2010 23:29:00 GMT",
        };
        assert_eq!(date.values().count(), 1);
    }
}
