//! What a request the reader refused still offers for its error response.
//!
//! A 400 (or 505, 513) must copy Via, From, To, Call-ID and CSeq like any response.
//! The reader stops at the first fault, so this module walks the refused bytes again
//! with forgiving rules (bare LF line ends, any header order, values as written) and
//! keeps the first of each of those headers and every Via, as written. A request that
//! lacks some of them still gets its 400 with the others (RFC 4475 section 3.3.1 asks
//! for a 400 to a request without From, To and Call-ID); only a request without any
//! Via, the bytes of a response and an ACK get nothing.

use crate::sip::{KnownHeader, Limits, Method};

/// The headers of a refused request that its error response copies.
#[derive(Debug, Default)]
pub(crate) struct Salvaged<'a> {
    vias: Vec<&'a [u8]>,
    from: Option<&'a [u8]>,
    to: Option<&'a [u8]>,
    call_id: Option<&'a [u8]>,
    cseq: Option<&'a [u8]>,
}

/// Why a refused request gets no response at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unanswerable {
    /// The bytes do not start with a request line (a response, or noise).
    NotARequest,
    /// An ACK is never answered (RFC 3261 section 17.2.3 context).
    Ack,
    /// No Via: a response would have no way back (RFC 3261 section 18.2.2).
    NoVia,
}

impl Unanswerable {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Unanswerable::NotARequest => "not a request",
            Unanswerable::Ack => "an ACK is never answered",
            Unanswerable::NoVia => "no Via to send a response along",
        }
    }
}

impl<'a> Salvaged<'a> {
    /// Reads what an error response needs from `input`, within `limits`.
    pub(crate) fn read(input: &'a [u8], limits: &Limits) -> Result<Salvaged<'a>, Unanswerable> {
        let input = &input[..input.len().min(limits.max_message_size)];
        let start = input
            .iter()
            .position(|&b| b != b'\r' && b != b'\n')
            .unwrap_or(input.len());
        let mut lines = Lines {
            rest: &input[start..],
        };
        let request_line = lines.next().ok_or(Unanswerable::NotARequest)?;
        let method = request_line
            .split(|&b| b == b' ')
            .next()
            .filter(|m| !m.is_empty() && m.iter().all(|&b| crate::sip::grammar::is_token_char(b)))
            .ok_or(Unanswerable::NotARequest)?;
        if method.starts_with(b"SIP/") || !request_line.windows(4).any(|w| w == b"SIP/") {
            return Err(Unanswerable::NotARequest);
        }
        if Method::parse(method) == Method::Ack {
            return Err(Unanswerable::Ack);
        }

        let mut salvaged = Salvaged::default();
        for line in lines.take(limits.max_headers) {
            if line.is_empty() {
                break;
            }
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                continue;
            };
            let name = crate::sip::grammar::trim_lws(&line[..colon]);
            let value = crate::sip::grammar::trim_lws(&line[colon + 1..]);
            match KnownHeader::from_name(name) {
                Some(KnownHeader::Via) if salvaged.vias.len() < limits.max_headers => {
                    salvaged.vias.push(value)
                }
                Some(KnownHeader::From) => {
                    salvaged.from.get_or_insert(value);
                }
                Some(KnownHeader::To) => {
                    salvaged.to.get_or_insert(value);
                }
                Some(KnownHeader::CallId) => {
                    salvaged.call_id.get_or_insert(value);
                }
                Some(KnownHeader::CSeq) => {
                    salvaged.cseq.get_or_insert(value);
                }
                _ => {}
            }
        }
        if salvaged.vias.is_empty() {
            return Err(Unanswerable::NoVia);
        }
        Ok(salvaged)
    }

    /// Calls `each` with every salvaged value of `wanted`, in order.
    pub(crate) fn each(&self, wanted: KnownHeader, mut each: impl FnMut(&'a [u8])) {
        match wanted {
            KnownHeader::Via => self.vias.iter().for_each(|v| each(v)),
            KnownHeader::From => self.from.into_iter().for_each(each),
            KnownHeader::To => self.to.into_iter().for_each(each),
            KnownHeader::CallId => self.call_id.into_iter().for_each(each),
            KnownHeader::CSeq => self.cseq.into_iter().for_each(each),
            _ => {}
        }
    }
}

/// Header lines with their continuation lines, ended by CRLF or a bare LF or CR.
struct Lines<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let mut at = 0;
        loop {
            let Some(n) = self.rest[at..]
                .iter()
                .position(|&b| b == b'\r' || b == b'\n')
            else {
                let line = self.rest;
                self.rest = &[];
                return Some(line);
            };
            let end = at + n;
            let mut next = end + 1;
            if self.rest[end] == b'\r' && self.rest.get(next) == Some(&b'\n') {
                next += 1;
            }
            // A continuation line (SP or HTAB first) belongs to this header; an empty
            // line never continues anything.
            if end > 0 && matches!(self.rest.get(next), Some(b' ' | b'\t')) {
                at = next;
                continue;
            }
            let line = &self.rest[..end];
            self.rest = &self.rest[next..];
            return Some(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salvages_from_bare_lf_and_folds() {
        let input = b"\r\nMESSAGE sip:b@x SIP/2.0\nv: SIP/2.0/UDP h;branch=z9hG4bK1\nVia: SIP/2.0/UDP p\r\n ;branch=z9hG4bK2\n\
            f: <sip:a@x>;tag=1\nt: <sip:b@x>\ni: c1\nCSeq: 1 INVITE\n\nbody";
        let s = Salvaged::read(input, &Limits::DEFAULT).unwrap();
        assert_eq!(
            s.vias,
            [
                &b"SIP/2.0/UDP h;branch=z9hG4bK1"[..],
                b"SIP/2.0/UDP p\r\n ;branch=z9hG4bK2"
            ]
        );
        assert_eq!(s.cseq, Some(&b"1 INVITE"[..]));
    }

    #[test]
    fn refuses_what_cannot_be_answered() {
        let limits = Limits::DEFAULT;
        assert_eq!(
            Salvaged::read(b"", &limits).unwrap_err(),
            Unanswerable::NotARequest
        );
        assert_eq!(
            Salvaged::read(b"SIP/2.0 200 OK\r\nVia: x\r\n\r\n", &limits).unwrap_err(),
            Unanswerable::NotARequest
        );
        assert_eq!(
            Salvaged::read(b"ACK sip:x SIP/2.0\r\nVia: x\r\n\r\n", &limits).unwrap_err(),
            Unanswerable::Ack
        );
        assert_eq!(
            Salvaged::read(
                b"BYE sip:x SIP/2.0\r\nFrom: a\r\nTo: b\r\nCall-ID: c\r\nCSeq: 1 BYE\r\n\r\n",
                &limits
            )
            .unwrap_err(),
            Unanswerable::NoVia
        );
    }

    #[test]
    fn a_via_is_enough() {
        let s = Salvaged::read(
            b"BYE sip:x SIP/2.0\r\nVia: x\r\nCSeq: 99999999999 BYE\r\n\r\n",
            &Limits::DEFAULT,
        )
        .unwrap();
        assert_eq!(s.vias, [&b"x"[..]]);
        assert_eq!((s.from, s.to, s.call_id), (None, None, None));
        assert_eq!(s.cseq, Some(&b"99999999999 BYE"[..]));
    }
}
