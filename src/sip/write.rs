//! What the writers of this crate share: the checks that keep what an application
//! writes inside its RFC 3261 grammar (so nothing can break a header line), and the
//! scrubbing of text copied from elsewhere into a message.

use crate::error::{invalid, shown, BuildError};
use crate::sip::grammar::is_token_char;

/// An RFC 3261 token (Conversation-ID, Contribution-ID, tags, branches, ids), at most
/// 256 bytes.
pub(crate) fn check_token<'v>(field: &'static str, value: &'v str) -> Result<&'v str, BuildError> {
    if value.is_empty() || value.len() > 256 || !value.bytes().all(is_token_char) {
        return Err(invalid(
            field,
            value,
            "a token (letters, digits, -.!%*_+`'~)",
        ));
    }
    Ok(value)
}

/// A Call-ID: `word [ "@" word ]` with the token bytes plus `:` and brackets.
pub(crate) fn check_call_id<'v>(
    field: &'static str,
    value: &'v str,
) -> Result<&'v str, BuildError> {
    let ok = |b: u8| is_token_char(b) || matches!(b, b':' | b'[' | b']' | b'/' | b'?');
    let mut parts = value.split('@');
    let valid = !value.is_empty()
        && value.len() <= 256
        && value.split('@').count() <= 2
        && parts.all(|p| !p.is_empty() && p.bytes().all(ok));
    if !valid {
        return Err(invalid(field, value, "a Call-ID (word or word@word)"));
    }
    Ok(value)
}

/// A `sip:`, `sips:` or `tel:` URI made only of bytes RFC 3261 allows unescaped in a
/// URI, so it can stand in a request line and inside `<...>`.
pub(crate) fn check_uri<'v>(field: &'static str, value: &'v str) -> Result<&'v str, BuildError> {
    let bad = || BuildError::InvalidUri {
        field,
        value: shown(value),
    };
    let (scheme, rest) = value.split_once(':').ok_or_else(bad)?;
    let known = ["sip", "sips", "tel"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(scheme));
    let uri_byte = |b: u8| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'_'
                    | b'.'
                    | b'!'
                    | b'~'
                    | b'*'
                    | b'\''
                    | b'('
                    | b')'
                    | b'%'
                    | b';'
                    | b'/'
                    | b'?'
                    | b':'
                    | b'@'
                    | b'&'
                    | b'='
                    | b'+'
                    | b'$'
                    | b','
                    | b'['
                    | b']'
            )
    };
    if !known || rest.is_empty() || value.len() > 1024 || !rest.bytes().all(uri_byte) {
        return Err(bad());
    }
    if !scheme.eq_ignore_ascii_case("tel") && !rest.contains(|c: char| c.is_ascii_alphanumeric()) {
        return Err(bad());
    }
    Ok(value)
}

/// A URI as [`check_uri`] takes it, without URI headers (`?name=value`): RFC 3261
/// section 19.1.1 (table 1) forbids them in the Request-URI, To and From.
pub(crate) fn check_uri_without_headers<'v>(
    field: &'static str,
    value: &'v str,
) -> Result<&'v str, BuildError> {
    check_uri(field, value)?;
    if value.contains('?') {
        return Err(invalid(
            field,
            value,
            "a URI without headers ('?'), which RFC 3261 forbids in the Request-URI, To and From",
        ));
    }
    Ok(value)
}

/// A URN (`urn:nid:nss`) for `+sip.instance`.
pub(crate) fn check_urn<'v>(field: &'static str, value: &'v str) -> Result<&'v str, BuildError> {
    let ok = |b: u8| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b':'
                    | b'_'
                    | b'!'
                    | b'~'
                    | b'*'
                    | b'\''
                    | b'('
                    | b')'
                    | b'%'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
                    | b'$'
                    | b'/'
            )
    };
    let valid = value.len() > 4
        && value.len() <= 256
        && value
            .as_bytes()
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"urn:"))
        && value.bytes().all(ok);
    if !valid {
        return Err(invalid(field, value, "a URN such as urn:uuid:..."));
    }
    Ok(value)
}

/// A host: a name or IPv4 address (letters, digits, `-`, `.`) or an IPv6 address in
/// brackets.
pub(crate) fn check_host<'v>(field: &'static str, value: &'v str) -> Result<&'v str, BuildError> {
    let valid = if let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
        !inner.is_empty()
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    } else {
        !value.is_empty()
            && value.len() <= 255
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            && !value.starts_with(['-', '.'])
    };
    if !valid {
        return Err(invalid(
            field,
            value,
            "a host name, IPv4 address or [IPv6] address",
        ));
    }
    Ok(value)
}

/// Text for a header (Subject, ...): any UTF-8 without control characters, since
/// RFC 3261 has no escape for them outside a quoted string (and none inside one for
/// CR and LF).
pub(crate) fn check_text<'v>(field: &'static str, value: &'v str) -> Result<&'v str, BuildError> {
    if value.chars().any(char::is_control) {
        return Err(BuildError::ControlCharacter { field });
    }
    Ok(value)
}

/// A display name as an RFC 3261 quoted string: `"` and `\` escaped as quoted
/// pairs; control characters (CR, LF, NUL, TAB, DEL, C1) refused.
///
/// ```text
/// Ann "the \ one"  ->  "Ann \"the \\ one\""
/// ```
pub(crate) fn quoted_display_name(field: &'static str, name: &str) -> Result<String, BuildError> {
    check_text(field, name)?;
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Ok(out)
}

/// Appends `text` (the library's or a handler's), each run of control characters (CR,
/// LF, NUL, ...) and the white space after it written as one space, so that nothing
/// it holds can start a line of its own.
pub(crate) fn write_text(out: &mut Vec<u8>, text: &[u8]) {
    if may_hold_control(text) {
        write_runs_as_space(out, text, is_control);
    } else {
        out.extend_from_slice(text);
    }
}

/// Whether `text` may hold a control character (or an HTAB, which the careful path
/// then keeps): eight bytes at a time, since text is almost always clean.
fn may_hold_control(text: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const SPACES: u64 = u64::from_ne_bytes([0x20; 8]);
    const DELS: u64 = u64::from_ne_bytes([0x7f; 8]);
    // A byte below 0x20 sets its high bit in `x - 0x20..` where `x` had it clear; a
    // 0x7f byte is a zero byte of `x ^ 0x7f..` (the usual zero-byte test).
    let below_space = |x: u64| x.wrapping_sub(SPACES) & !x & HIGHS != 0;
    let has_del = |x: u64| {
        let y = x ^ DELS;
        y.wrapping_sub(ONES) & !y & HIGHS != 0
    };
    let mut chunks = text.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_ne_bytes(word);
        if below_space(x) || has_del(x) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| b < 0x20 || b == 0x7f)
}

/// Appends `text`, writing each run of bytes that `breaks` (with the SP and HTAB
/// after it) as one space.
pub(crate) fn write_runs_as_space(out: &mut Vec<u8>, text: &[u8], breaks: impl Fn(u8) -> bool) {
    let mut rest = text;
    while let Some(n) = rest.iter().position(|&b| breaks(b)) {
        out.extend_from_slice(&rest[..n]);
        out.push(b' ');
        let after = &rest[n..];
        let run = after
            .iter()
            .position(|&b| !breaks(b) && b != b' ' && b != b'\t')
            .unwrap_or(after.len());
        rest = &after[run..];
    }
    out.extend_from_slice(rest);
}

/// Control characters other than HTAB, which header values may hold.
fn is_control(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::check_media_type;

    #[test]
    fn display_names_are_quoted_and_escaped() {
        assert_eq!(quoted_display_name("n", "Ann").unwrap(), "\"Ann\"");
        assert_eq!(
            quoted_display_name("n", "a \"b\" \\ c é").unwrap(),
            "\"a \\\"b\\\" \\\\ c é\""
        );
        for bad in ["a\r\nVia: x", "a\nb", "a\0", "a\tb", "\u{7f}", "\u{85}"] {
            assert_eq!(
                quoted_display_name("n", bad),
                Err(BuildError::ControlCharacter { field: "n" })
            );
        }
    }

    #[test]
    fn uris_are_checked() {
        for good in [
            "sip:+15550100002@ims.example.net",
            "sips:bob@[2001:db8::1]:5061;transport=tls",
            "tel:+15550100002",
            "sip:conference-factory@ims.example.net",
        ] {
            assert!(check_uri("u", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "bob@example.net",
            "http://example.net",
            "sip:",
            "sip:a b@example.net",
            "sip:a@example.net\r\nVia: x",
            "sip:a@example.net>",
            "sip:\"a\"@example.net",
        ] {
            assert!(check_uri("u", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn uri_headers_are_refused_where_rfc_3261_forbids_them() {
        let with_headers = "sip:bob@example.net?Subject=hi";
        assert!(check_uri("participant", with_headers).is_ok());
        assert_eq!(
            check_uri_without_headers("request URI", with_headers),
            Err(invalid(
                "request URI",
                with_headers,
                "a URI without headers ('?'), which RFC 3261 forbids in the Request-URI, To and From",
            ))
        );
        assert!(check_uri_without_headers("To", "sip:bob@example.net;user=phone").is_ok());
        assert!(matches!(
            check_uri_without_headers("To", "sip:a b@x"),
            Err(BuildError::InvalidUri { .. })
        ));
    }

    #[test]
    fn ids_and_types_are_checked() {
        assert!(check_token("t", "0f6c5d2e-8a41-4c1b").is_ok());
        assert!(check_token("t", "a b").is_err());
        assert!(check_token("t", "").is_err());
        assert!(check_call_id("c", "9b0c1e2d-pager@192.0.2.10").is_ok());
        assert!(check_call_id("c", "a@b@c").is_err());
        assert!(check_media_type("m", "text/plain;charset=UTF-8").is_ok());
        assert!(check_media_type("m", "multipart/mixed;boundary=\"x y\"").is_ok());
        assert!(check_media_type("m", "text").is_err());
        assert!(check_media_type("m", "text/plain\r\nX: y").is_err());
        assert!(check_host("h", "[2001:db8::1]").is_ok());
        assert!(check_host("h", "192.0.2.10").is_ok());
        assert!(check_host("h", "a b").is_err());
    }

    #[test]
    fn control_characters_are_found_in_any_position() {
        for len in 0..24 {
            for at in 0..len {
                for bad in [0x00, 0x09, 0x0a, 0x0d, 0x1f, 0x7f] {
                    let mut text = vec![b'a'; len];
                    text[at] = bad;
                    assert!(may_hold_control(&text), "{len} {at} {bad}");
                }
            }
            let clean: Vec<u8> = (0..len)
                .map(|i| [b' ', b'~', 0x80, 0xff, b'x'][i % 5])
                .collect();
            assert!(!may_hold_control(&clean), "{len}");
        }
    }

    #[test]
    fn control_runs_become_one_space() {
        let mut out = Vec::new();
        write_text(&mut out, b"a\r\n  b\rc\n\x00d\te");
        assert_eq!(out, b"a b c d\te");
    }
}
