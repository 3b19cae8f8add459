//! Content-Type values: `type/subtype *(;param)` (RFC 2045, RFC 3261 section 20.15).

use std::fmt;

use super::{is_mime_token_char, BodyError, BodyErrorKind};
use crate::error::{invalid, BuildError};
use crate::sip::grammar::{is_lws, is_token_char, lws, quoted_string, trim_lws};

/// A media type read from a Content-Type value, such as
/// `multipart/mixed; boundary="b0undary7q"`.
///
/// Linear white space (folds included) is allowed around `/`, `;` and `=`; parameter
/// values may be tokens or quoted strings. Every accessor returns a slice of the value.
///
/// ```
/// use cpm_client::mime::MediaType;
///
/// let media = MediaType::parse("Multipart/Mixed ; boundary=\"b0undary7q\"; x=1")?;
/// assert_eq!(media.type_(), "Multipart");
/// assert_eq!(media.subtype(), "Mixed");
/// assert!(media.is("multipart/mixed"));
/// assert_eq!(media.essence(), "Multipart/Mixed");
/// assert_eq!(media.param("BOUNDARY"), Some("b0undary7q"));
/// assert_eq!(media.param("charset"), None);
/// # Ok::<(), cpm_client::mime::BodyError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MediaType<'a> {
    raw: &'a str,
    type_: &'a str,
    subtype: &'a str,
    essence: &'a str,
    /// From the first `;` (or the end) to the end of the value.
    params: &'a str,
}

impl<'a> MediaType<'a> {
    /// Reads a Content-Type value (`&str` or `&[u8]`). Errors name the byte of the
    /// value at which the fault lies: a type or subtype that is not a token, a missing
    /// `/`, a parameter without name or value, an unterminated quoted string, anything
    /// after the parameters, or text that is not UTF-8.
    ///
    /// ```
    /// use cpm_client::mime::{BodyErrorKind, MediaType};
    ///
    /// let err = MediaType::parse(b"text plain".as_slice()).unwrap_err();
    /// assert_eq!(err.offset(), 5);
    /// assert!(matches!(err.kind(), BodyErrorKind::MediaType(_)));
    /// ```
    pub fn parse<T: AsRef<[u8]> + ?Sized>(value: &'a T) -> Result<Self, BodyError> {
        let raw = std::str::from_utf8(value.as_ref())
            .map_err(|e| BodyError::new(BodyErrorKind::NotUtf8, e.valid_up_to()))?;
        MediaType::parse_str(raw)
    }

    /// [`MediaType::parse`] of a value known to be text (no UTF-8 check again).
    pub(crate) fn parse_str(raw: &'a str) -> Result<Self, BodyError> {
        let bytes = raw.as_bytes();
        let fail = |what, rest: &[u8]| {
            BodyError::new(BodyErrorKind::MediaType(what), bytes.len() - rest.len())
        };
        let start = lws(bytes);
        let type_end = mime_token(start);
        if type_end == 0 {
            return Err(fail("type is not a token", start));
        }
        let after_type = lws(&start[type_end..]);
        let Some(after_slash) = after_type.strip_prefix(b"/") else {
            return Err(fail("no '/' after the type", after_type));
        };
        let at_subtype = lws(after_slash);
        let subtype_end = mime_token(at_subtype);
        if subtype_end == 0 {
            return Err(fail("subtype is not a token", at_subtype));
        }
        let pos = |rest: &[u8]| bytes.len() - rest.len();
        let (type_at, subtype_at) = (pos(start), pos(at_subtype));
        let params_at = subtype_at + subtype_end;
        let mut rest = &bytes[params_at..];
        for item in Params::new(rest) {
            let (_, _, after) = item.map_err(|(what, at)| fail(what, at))?;
            rest = after;
        }
        // Empty parameters at the end (`;;`, a trailing `;`) are let pass.
        let rest = trim_lws(rest);
        let rest = rest
            .iter()
            .position(|&b| b != b';' && !is_lws(b))
            .map_or(&rest[rest.len()..], |n| &rest[n..]);
        if !rest.is_empty() {
            return Err(fail("unexpected character after the media type", rest));
        }
        // The positions above stand at ASCII bytes of a valid UTF-8 string.
        let slice = |from: usize, to: usize| raw.get(from..to).unwrap_or_default();
        Ok(MediaType {
            raw,
            type_: slice(type_at, type_at + type_end),
            subtype: slice(subtype_at, subtype_at + subtype_end),
            essence: slice(type_at, subtype_at + subtype_end),
            params: slice(params_at, raw.len()),
        })
    }

    /// The top-level type (`multipart`), as written.
    pub fn type_(&self) -> &'a str {
        self.type_
    }

    /// The subtype (`mixed`), as written.
    pub fn subtype(&self) -> &'a str {
        self.subtype
    }

    /// `type/subtype` as written (white space around the `/`, if any, included).
    pub fn essence(&self) -> &'a str {
        self.essence
    }

    /// The whole value as given.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// Whether this is `essence` (`type/subtype`), ignoring ASCII case. A `*` subtype
    /// in `essence` matches any subtype.
    ///
    /// ```
    /// let media = cpm_client::mime::MediaType::parse("Application/SDP")?;
    /// assert!(media.is("application/sdp"));
    /// assert!(media.is("application/*"));
    /// assert!(!media.is("application/sdp+xml"));
    /// # Ok::<(), cpm_client::mime::BodyError>(())
    /// ```
    pub fn is(&self, essence: &str) -> bool {
        // `/` is ASCII: the byte search finds the `/` that `split_once('/')` would.
        let Some(slash) = essence.bytes().position(|b| b == b'/') else {
            return false;
        };
        let (Some(t), Some(s)) = (essence.get(..slash), essence.get(slash + 1..)) else {
            return false;
        };
        let (t, s) = (trimmed(t), trimmed(s));
        self.type_.eq_ignore_ascii_case(t) && (s == "*" || self.subtype.eq_ignore_ascii_case(s))
    }

    /// The value of parameter `name` (compared ignoring ASCII case): a token as written,
    /// or what stands between the quotes of a quoted string. Backslash escapes are left
    /// in place (they are rare in media type parameters).
    ///
    /// ```
    /// let media = cpm_client::mime::MediaType::parse("text/plain;charset=UTF-8")?;
    /// assert_eq!(media.param("Charset"), Some("UTF-8"));
    /// # Ok::<(), cpm_client::mime::BodyError>(())
    /// ```
    pub fn param(&self, name: &str) -> Option<&'a str> {
        self.params()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The parameters in order, as `(name, value)` (a quoted value without its quotes).
    ///
    /// ```
    /// let media = cpm_client::mime::MediaType::parse("a/b; x=1; y=\"2 3\"")?;
    /// let params: Vec<_> = media.params().collect();
    /// assert_eq!(params, [("x", "1"), ("y", "2 3")]);
    /// # Ok::<(), cpm_client::mime::BodyError>(())
    /// ```
    pub fn params(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let raw = self.params;
        Params::new(raw.as_bytes())
            .map_while(Result::ok)
            .filter_map(move |(name, value, _)| {
                let base = raw.as_ptr() as usize;
                let at = |s: &[u8]| (s.as_ptr() as usize).wrapping_sub(base);
                Some((
                    raw.get(at(name)..at(name).wrapping_add(name.len()))?,
                    raw.get(at(value)..at(value).wrapping_add(value.len()))?,
                ))
            })
    }
}

impl fmt::Debug for MediaType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaType")
            .field("type", &self.type_)
            .field("subtype", &self.subtype)
            .field("params", &self.params().collect::<Vec<_>>())
            .finish()
    }
}

impl fmt::Display for MediaType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw)
    }
}

/// `text` without the white space around it, as [`str::trim`] makes it; a `text`
/// that starts and ends with a visible ASCII byte (a constant such as `message/cpim`
/// always does) is returned as it is without the Unicode search.
#[inline]
fn trimmed(text: &str) -> &str {
    let visible = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b < 0x80);
    let bytes = text.as_bytes();
    if visible(bytes.first()) && visible(bytes.last()) {
        text
    } else {
        text.trim()
    }
}

/// Length of the MIME token at the start of `i` (0 when there is none).
fn mime_token(i: &[u8]) -> usize {
    i.iter()
        .position(|&b| !is_mime_token_char(b))
        .unwrap_or(i.len())
}

/// Reads `*(";" name "=" value)`: yields each parameter's name, value (without quotes)
/// and the input after it, or the fault and where it lies. Empty parameters (`;;`, a
/// trailing `;`) are skipped, as some peers write them. Stops before the first byte
/// after white space that is not `;`.
struct Params<'a> {
    rest: &'a [u8],
    failed: bool,
}

type ParamItem<'a> = Result<(&'a [u8], &'a [u8], &'a [u8]), (&'static str, &'a [u8])>;

impl<'a> Params<'a> {
    fn new(rest: &'a [u8]) -> Self {
        Params {
            rest,
            failed: false,
        }
    }
}

impl<'a> Iterator for Params<'a> {
    type Item = ParamItem<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.step()?;
        match item {
            Ok((_, _, after)) => self.rest = after,
            Err(_) => self.failed = true,
        }
        Some(item)
    }
}

impl<'a> Params<'a> {
    fn step(&mut self) -> Option<ParamItem<'a>> {
        let mut at = lws(self.rest).strip_prefix(b";")?;
        // Skip empty parameters.
        loop {
            at = lws(at);
            match at.strip_prefix(b";") {
                Some(next) => at = next,
                None => break,
            }
        }
        if at.is_empty() {
            self.rest = at;
            return None;
        }
        let name_len = mime_token(at);
        if name_len == 0 {
            return Some(Err(("parameter name is not a token", at)));
        }
        let (name, after_name) = at.split_at(name_len);
        let Some(after_eq) = lws(after_name).strip_prefix(b"=") else {
            return Some(Err(("parameter has no '='", lws(after_name))));
        };
        let at_value = lws(after_eq);
        if at_value.first() == Some(&b'"') {
            return Some(match quoted_string(at_value) {
                Ok((after, inner)) => Ok((name, inner, after)),
                Err(_) => Err(("unterminated quoted string", at_value)),
            });
        }
        // A bare value: wider than a token, as peers send unquoted boundaries with
        // `=`, `/`, `:` or `?` in them.
        let len = at_value
            .iter()
            .position(|&b| b == b';' || b == b'"' || !b.is_ascii_graphic())
            .unwrap_or(at_value.len());
        if len == 0 {
            return Some(Err(("parameter has '=' but no value", at_value)));
        }
        Some(Ok((name, trim_lws(&at_value[..len]), &at_value[len..])))
    }
}

/// A MIME media type with optional parameters: `type/subtype *(;name=value)`, value a
/// token or a quoted string without control characters.
pub(crate) fn check_media_type<'v>(
    field: &'static str,
    value: &'v str,
) -> Result<&'v str, BuildError> {
    let bad = || {
        invalid(
            field,
            value,
            "a media type such as text/plain;charset=UTF-8",
        )
    };
    let mut params = value.split(';');
    let essence = params.next().unwrap_or_default();
    let (kind, sub) = essence.split_once('/').ok_or_else(bad)?;
    let token = |t: &str| !t.is_empty() && t.bytes().all(is_token_char);
    if !token(kind) || !token(sub) || value.len() > 512 {
        return Err(bad());
    }
    for param in params {
        let param = param.trim_start_matches(' ');
        let (name, val) = param.split_once('=').ok_or_else(bad)?;
        let quoted = val
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .is_some_and(|inner| !inner.contains(['"', '\\']) && !inner.contains(char::is_control));
        if !token(name) || !(token(val) || quoted) {
            return Err(bad());
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_types_and_params() {
        let m = MediaType::parse("text/plain").unwrap();
        assert_eq!(
            (m.type_(), m.subtype(), m.params().count()),
            ("text", "plain", 0)
        );
        let m = MediaType::parse(" multipart / mixed ;\r\n boundary = \"a;b\" ;; ").unwrap();
        assert_eq!(m.essence(), "multipart / mixed");
        assert!(m.is("multipart/mixed"));
        assert_eq!(m.param("boundary"), Some("a;b"));
        let m = MediaType::parse("multipart/mixed;boundary=----=_Part_1.2").unwrap();
        assert_eq!(m.param("boundary"), Some("----=_Part_1.2"));
        let m = MediaType::parse(r#"a/b;q="x\"y""#).unwrap();
        assert_eq!(m.param("q"), Some(r#"x\"y"#));
    }

    #[test]
    fn is_agrees_with_split_and_trim() {
        // What `is` was written as before it searched bytes and trimmed only when
        // needed: the two must agree on every pair.
        fn reference(media: &MediaType<'_>, essence: &str) -> bool {
            let Some((t, s)) = essence.split_once('/') else {
                return false;
            };
            media.type_.eq_ignore_ascii_case(t.trim())
                && (s.trim() == "*" || media.subtype.eq_ignore_ascii_case(s.trim()))
        }
        let values = [
            "message/cpim",
            "Message/CPIM;x=1",
            "text/plain",
            "application/im-iscomposing+xml",
            " multipart / mixed ",
            "a/b",
        ];
        let essences = [
            "message/cpim",
            "MESSAGE/cpim",
            " message / cpim ",
            "\tmessage/cpim\n",
            "\u{a0}message/cpim\u{2003}",
            "message/\u{85}",
            "message/*",
            "message/ * ",
            "*/*",
            "message",
            "message/",
            "/cpim",
            "/",
            "",
            "message//cpim",
            "message/cpim/x",
            "text/plain",
            "multipart/mixed",
            "a/b",
            "A/B",
            "\u{e9}/b",
            "a/\u{e9}",
            "application/im-iscomposing+xml",
        ];
        for value in values {
            let media = MediaType::parse(value).unwrap();
            for essence in essences {
                assert_eq!(
                    media.is(essence),
                    reference(&media, essence),
                    "{value:?} is {essence:?}"
                );
            }
        }
    }

    #[test]
    fn refuses_broken_values_with_offsets() {
        let cases: [(&str, usize); 8] = [
            ("", 0),
            ("text", 4),
            ("text/", 5),
            ("/plain", 0),
            ("text/plain;=1", 11),
            ("text/plain;a", 12),
            ("text/plain;a=\"x", 13),
            ("text/plain x", 11),
        ];
        for (value, at) in cases {
            let err = MediaType::parse(value).unwrap_err();
            assert_eq!(err.offset(), at, "{value:?}: {err}");
        }
        let err = MediaType::parse(b"text/pl\xffain".as_slice()).unwrap_err();
        assert_eq!((err.kind(), err.offset()), (&BodyErrorKind::NotUtf8, 7));
    }
}
