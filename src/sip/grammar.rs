//! Grammar pieces of RFC 3261 section 25 shared by the header readers: tokens, linear
//! white space, quoted strings, `<...>` URIs and `;name=value` parameters.
//!
//! Every piece works on one header value as the line reader hands it over, so a folded
//! line (CRLF followed by SP or HTAB) is still inside it: here CR and LF count as white
//! space. Nothing is copied or decoded; every result is a slice of the value.

use nom::character::complete::char;
use nom::{IResult, Parser};

use crate::error::{ParseErrorKind, ValueError};

/// Byte classes, one table lookup per byte on the hot path.
const TOKEN: u8 = 1;
const LWS: u8 = 2;
/// Ends a bare parameter value: `;` `,` `"` `<` `>` and white space.
const BARE_END: u8 = 4;
/// May stand in a host name or IPv4 address.
const HOST: u8 = 8;
/// May stand in a bare parameter value: every byte but the `BARE_END` ones.
const BARE: u8 = 16;

const CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            )
        {
            table[c] |= TOKEN;
        }
        if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            table[c] |= LWS | BARE_END;
        }
        if matches!(b, b';' | b',' | b'"' | b'<' | b'>') {
            table[c] |= BARE_END;
        }
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_') {
            table[c] |= HOST;
        }
        if table[c] & BARE_END == 0 {
            table[c] |= BARE;
        }
        c += 1;
    }
    table
};

/// Whether `b` may appear in an RFC 3261 `token` (alphanumerics and
/// ``-.!%*_+`'~``).
#[inline]
pub(crate) fn is_token_char(b: u8) -> bool {
    CLASS[usize::from(b)] & TOKEN != 0
}

/// Whether `b` may appear in a host name or an IPv4 address.
#[inline]
pub(crate) fn is_host_char(b: u8) -> bool {
    CLASS[usize::from(b)] & HOST != 0
}

/// How many bytes of `class` `bytes` starts with.
///
/// Eight bytes at a time while all eight are in the class (their table entries ANDed
/// together: one branch per eight bytes instead of one per byte), then byte by byte.
#[inline]
fn run_of(class: u8, bytes: &[u8]) -> usize {
    let mut n = 0;
    while let Some(chunk) = bytes.get(n..n + 8) {
        if chunk
            .iter()
            .fold(class, |all, &b| all & CLASS[usize::from(b)])
            == 0
        {
            break;
        }
        n += 8;
    }
    while n < bytes.len() && CLASS[usize::from(bytes[n])] & class != 0 {
        n += 1;
    }
    n
}

/// How many bytes of `class` `bytes` starts with, for the short runs of a header line
/// (a name, a transport, a host, a parameter): one table lookup per byte, and one
/// bounds check per sixteen, eight or four bytes while that many are left, with no
/// work spent on a chunk the run ends inside.
#[inline(always)]
fn short_run(class: u8, bytes: &[u8]) -> usize {
    let is = |b: u8| CLASS[usize::from(b)] & class != 0;
    let mut n = 0;
    while let Some(chunk) = bytes.get(n..n + 16) {
        for (i, &b) in chunk.iter().enumerate() {
            if !is(b) {
                return n + i;
            }
        }
        n += 16;
    }
    if let Some(chunk) = bytes.get(n..n + 8) {
        for (i, &b) in chunk.iter().enumerate() {
            if !is(b) {
                return n + i;
            }
        }
        n += 8;
    }
    if let Some(&[a, b, c, d]) = bytes.get(n..n + 4) {
        if !is(a) {
            return n;
        }
        if !is(b) {
            return n + 1;
        }
        if !is(c) {
            return n + 2;
        }
        if !is(d) {
            return n + 3;
        }
        n += 4;
    }
    while n < bytes.len() && is(bytes[n]) {
        n += 1;
    }
    n
}

/// [`token_len`] for a run that is usually short (a header name, a parameter name).
#[inline(always)]
pub(crate) fn short_token_len(bytes: &[u8]) -> usize {
    short_run(TOKEN, bytes)
}

/// How many host bytes (name or IPv4 address) `bytes` starts with, for a run that is
/// usually short.
#[inline(always)]
pub(crate) fn short_host_len(bytes: &[u8]) -> usize {
    short_run(HOST, bytes)
}

/// [`bare_len`] for a run that is usually short.
#[inline(always)]
pub(crate) fn short_bare_len(bytes: &[u8]) -> usize {
    short_run(BARE, bytes)
}

/// How many token bytes `bytes` starts with.
#[inline]
pub(crate) fn token_len(bytes: &[u8]) -> usize {
    run_of(TOKEN, bytes)
}

/// How many bytes of a bare parameter value `bytes` starts with (see [`bare_value`]).
#[inline]
pub(crate) fn bare_len(bytes: &[u8]) -> usize {
    run_of(BARE, bytes)
}

/// Whether `bytes` is a non-empty token.
pub(crate) fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|&b| is_token_char(b))
}

/// SP, HTAB, or the CR/LF of a fold.
#[inline]
pub(crate) fn is_lws(b: u8) -> bool {
    CLASS[usize::from(b)] & LWS != 0
}

/// Skips linear white space (folds included).
#[inline]
pub(crate) fn lws(i: &[u8]) -> &[u8] {
    match i.first() {
        Some(&b) if is_lws(b) => {
            let n = i.iter().position(|&b| !is_lws(b)).unwrap_or(i.len());
            &i[n..]
        }
        _ => i,
    }
}

/// Strips linear white space from both ends.
pub(crate) fn trim_lws(v: &[u8]) -> &[u8] {
    trim_end_lws(lws(v))
}

/// Strips linear white space from the end.
pub(crate) fn trim_end_lws(mut v: &[u8]) -> &[u8] {
    while let [rest @ .., last] = v {
        if !is_lws(*last) {
            break;
        }
        v = rest;
    }
    v
}

/// One token.
#[inline]
pub(crate) fn token(i: &[u8]) -> IResult<&[u8], &[u8]> {
    match token_len(i) {
        0 => Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::TakeWhile1,
        ))),
        n => Ok((&i[n..], &i[..n])),
    }
}

/// A quoted string: returns what stands between the quotes, escapes (`\"`, `\\`)
/// left in place. An unterminated string is an error.
pub(crate) fn quoted_string(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let (body, _) = char('"').parse(i)?;
    let mut at = 0;
    loop {
        match memchr::memchr2(b'"', b'\\', &body[at..]) {
            Some(n) if body[at + n] == b'"' => {
                let end = at + n;
                return Ok((&body[end + 1..], &body[..end]));
            }
            // A backslash escapes the next byte, whatever it is.
            Some(n) if at + n + 1 < body.len() => at += n + 2,
            _ => {
                return Err(nom::Err::Error(nom::error::Error::new(
                    &body[body.len()..],
                    nom::error::ErrorKind::Char,
                )))
            }
        }
    }
}

/// `<` URI `>`: returns the URI. The URI itself is not checked beyond having no `>`.
pub(crate) fn angle_uri(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let (rest, _) = char('<').parse(i)?;
    // The URI runs to the first `>` or `<`, which must be a `>`.
    match memchr::memchr2(b'>', b'<', rest) {
        Some(n) if rest[n] == b'>' => Ok((&rest[n + 1..], &rest[..n])),
        n => Err(nom::Err::Error(nom::error::Error::new(
            &rest[n.unwrap_or(rest.len())..],
            nom::error::ErrorKind::Char,
        ))),
    }
}

/// A bare (unquoted) parameter value: anything up to the next separator. This is
/// wider than RFC 3261's `token / host`, to take the unquoted, unencoded URNs that
/// some networks send.
fn bare_value(i: &[u8]) -> Option<(&[u8], &[u8])> {
    let n = bare_len(i);
    (n > 0).then(|| (&i[n..], &i[..n]))
}

/// The value of a parameter: what follows `=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamValue<'a> {
    /// Between double quotes, escapes left in place.
    Quoted(&'a [u8]),
    /// As written, without quotes.
    Bare(&'a [u8]),
}

/// One `;name[=value]` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Param<'a> {
    pub(crate) name: &'a [u8],
    pub(crate) value: Option<ParamValue<'a>>,
    /// Where the value starts, as an offset into the header value.
    pub(crate) value_at: usize,
}

/// Offset of `rest` inside `whole` (`rest` is a suffix of `whole`).
#[inline]
pub(crate) fn offset(whole: &[u8], rest: &[u8]) -> usize {
    whole.len() - rest.len()
}

/// Where `part` (a slice of `whole`, not necessarily a suffix) starts in `whole`.
#[inline]
pub(crate) fn position(whole: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize)
        .saturating_sub(whole.as_ptr() as usize)
        .min(whole.len())
}

/// Reads `*(SEMI param)` from `rest` (a suffix of `whole`) and hands each parameter to
/// `each`. Stops, without consuming it, at the first byte after LWS that is not `;`:
/// the caller decides whether that byte (`,`, end of value) is allowed.
///
/// Errors, made with `bad` so that they name the header: an empty parameter (`;;` or a
/// trailing `;`), a name that is not a token, `=` with no value, an unterminated quoted
/// string; and more than `max_params` parameters.
pub(crate) fn params<'a>(
    whole: &'a [u8],
    mut rest: &'a [u8],
    max_params: usize,
    bad: fn(&'static str) -> ParseErrorKind,
    mut each: impl FnMut(Param<'a>) -> Result<(), ValueError>,
) -> Result<&'a [u8], ValueError> {
    let fail = |kind, at: &[u8]| ValueError::new(kind, offset(whole, at));
    let mut count = 0;
    loop {
        let after = lws(rest);
        let Some(after_semi) = after.strip_prefix(b";") else {
            return Ok(after);
        };
        count += 1;
        if count > max_params {
            return Err(fail(ParseErrorKind::TooManyParams(max_params), after));
        }
        let at_name = lws(after_semi);
        let Ok((after_name, name)) = token(at_name) else {
            let what = match at_name.first() {
                None | Some(b';') | Some(b',') => "empty parameter",
                Some(_) => "parameter name is not a token",
            };
            return Err(fail(bad(what), at_name));
        };
        let (next, value, value_at) = match lws(after_name).strip_prefix(b"=") {
            None => (after_name, None, offset(whole, after_name)),
            Some(after_eq) => {
                let at_value = lws(after_eq);
                let value_at = offset(whole, at_value);
                if at_value.first() == Some(&b'"') {
                    let Ok((next, inner)) = quoted_string(at_value) else {
                        return Err(fail(bad("unterminated quoted string"), at_value));
                    };
                    (next, Some(ParamValue::Quoted(inner)), value_at)
                } else {
                    let Some((next, raw)) = bare_value(at_value) else {
                        return Err(fail(bad("parameter has '=' but no value"), at_value));
                    };
                    (next, Some(ParamValue::Bare(raw)), value_at)
                }
            }
        };
        each(Param {
            name,
            value,
            value_at,
        })?;
        rest = next;
    }
}

/// How the grammar writes the value of a parameter it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueForm {
    /// A value not in quotes: a `token` as RFC 3261 writes it, read as widely as every
    /// unquoted parameter value is read here (see [`bare_value`]: NUL and non-ASCII
    /// bytes are data).
    Unquoted,
    /// `1*DIGIT`.
    Digits,
    /// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`.
    QValue,
    /// `ttl = 1*3DIGIT`, 0 to 255.
    Ttl,
    /// A host name or an IPv4 or IPv6 address (bracketed or not): the bytes of a
    /// `host`, `[`, `]` and `:`.
    Host,
    /// A quoted string.
    Quoted,
}

impl ValueForm {
    /// Whether `value` has this form.
    fn accepts(self, value: ParamValue<'_>) -> bool {
        let bare = match value {
            ParamValue::Quoted(_) => return self == ValueForm::Quoted,
            ParamValue::Bare(bare) => bare,
        };
        let digits = |v: &[u8]| !v.is_empty() && v.iter().all(u8::is_ascii_digit);
        match self {
            ValueForm::Unquoted => !bare.is_empty(),
            ValueForm::Digits => digits(bare),
            ValueForm::QValue => match bare {
                [b'0'] | [b'1'] => true,
                [b'0', b'.', rest @ ..] => rest.len() <= 3 && rest.iter().all(u8::is_ascii_digit),
                [b'1', b'.', rest @ ..] => rest.len() <= 3 && rest.iter().all(|&b| b == b'0'),
                _ => false,
            },
            ValueForm::Ttl => {
                digits(bare)
                    && bare.len() <= 3
                    && bare.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0')) <= 255
            }
            ValueForm::Host => bare
                .iter()
                .all(|&b| is_host_char(b) || matches!(b, b'[' | b']' | b':')),
            ValueForm::Quoted => false,
        }
    }
}

/// A parameter that a header's grammar names and gives a value of a set form, with
/// the error text of each way of breaking it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NamedParam {
    /// The name (parameter names are compared in any case, RFC 3261 section 7.3.1).
    name: &'static str,
    /// The name's length and first byte (see [`name_key`]), compared before the name.
    key: u16,
    /// Whether the name may stand alone (`rport`).
    value_optional: bool,
    form: ValueForm,
    no_value: &'static str,
    bad_value: &'static str,
    twice: &'static str,
}

macro_rules! named_param {
    ($name:literal, $form:ident, $what:literal) => {
        named_param!($name, $form, $what, false)
    };
    ($name:literal, $form:ident, $what:literal, $optional:expr) => {
        NamedParam {
            name: $name,
            key: name_key($name.as_bytes()),
            value_optional: $optional,
            form: ValueForm::$form,
            no_value: concat!($name, " parameter has no value"),
            bad_value: concat!($name, " parameter ", $what),
            twice: concat!($name, " parameter appears twice"),
        }
    };
}

/// The named parameters of From and To: `tag-param = "tag" EQUAL token` (RFC 3261
/// section 25.1; sections 20.20 and 20.39).
pub(crate) const FROM_TO_PARAMS: &[NamedParam] =
    &[named_param!("tag", Unquoted, "is quoted (tag=token)")];

/// The named parameters of Contact: `c-p-q = "q" EQUAL qvalue` and `c-p-expires =
/// "expires" EQUAL delta-seconds` (RFC 3261 section 25.1; section 20.10).
pub(crate) const CONTACT_PARAMS: &[NamedParam] = &[
    named_param!(
        "q",
        QValue,
        "is not a qvalue (0 to 1, three decimals at most)"
    ),
    named_param!("expires", Digits, "is not a number of seconds"),
];

/// The named parameters of Via: `via-ttl`, `via-maddr`, `via-received` and
/// `via-branch` (RFC 3261 section 25.1; section 20.42), and `response-port = "rport"
/// [EQUAL 1*DIGIT]` (RFC 3581 section 5), the one that may stand alone.
pub(crate) const VIA_PARAMS: &[NamedParam] = &[
    named_param!("branch", Unquoted, "is quoted (branch=token)"),
    named_param!("received", Host, "is not an IP address"),
    named_param!("rport", Digits, "is not a port number", true),
    named_param!("ttl", Ttl, "is not a ttl (0 to 255)"),
    named_param!("maddr", Host, "is not a host"),
];

/// The named parameters of Referred-By: `referredby-id-param = "cid" EQUAL
/// sip-clean-msg-id`, a quoted string (RFC 3892 section 3).
pub(crate) const REFERRED_BY_PARAMS: &[NamedParam] =
    &[named_param!("cid", Quoted, "is not a quoted Content-ID")];

/// Checks one parameter of a header value against the parameters its grammar names
/// (`named`): a named one needs a value of its form and may appear once in the value
/// (RFC 3261 section 7.3.1), which `seen` (one bit per entry of `named`, cleared by
/// the caller for each value) keeps track of. Other parameters are `generic-param`s
/// and pass. Returns the error text of the fault.
#[inline]
pub(crate) fn check_named(
    named: &[NamedParam],
    seen: &mut u32,
    name: &[u8],
    value: Option<ParamValue<'_>>,
) -> Result<(), &'static str> {
    let key = name_key(name);
    let Some(index) = named
        .iter()
        .position(|p| p.key == key && is_named(p.name.as_bytes(), name))
    else {
        return Ok(());
    };
    let param = &named[index];
    let bit = 1u32 << index;
    if *seen & bit != 0 {
        return Err(param.twice);
    }
    *seen |= bit;
    match value {
        None if param.value_optional => Ok(()),
        None => Err(param.no_value),
        Some(value) if param.form.accepts(value) => Ok(()),
        Some(_) => Err(param.bad_value),
    }
}

/// A name's length (up to 255) and its first byte with bit 0x20 set, in one number:
/// two names equal in any case have the same key, so most names a grammar does not
/// name are told apart from the ones it names by one comparison each.
#[inline(always)]
const fn name_key(name: &[u8]) -> u16 {
    let len = if name.len() > 255 {
        255
    } else {
        name.len() as u16
    };
    let first = match name.first() {
        Some(&b) => b | 0x20,
        None => 0,
    };
    (len << 8) | first as u16
}

/// Whether `name` is `lower` in any case, `lower` being a lower-case name of letters
/// only (every name of a [`NamedParam`]): the length first, then each byte with bit
/// 0x20 set, which lowers exactly the letters and turns no other byte into one.
#[inline(always)]
fn is_named(lower: &[u8], name: &[u8]) -> bool {
    lower.len() == name.len() && lower.iter().zip(name).all(|(&l, &b)| b | 0x20 == l)
}

/// One step of [`address_list`]: the start of a value, or one of its parameters.
pub(crate) enum ListItem<'a> {
    /// A value starts at this offset of the header value.
    Value(usize),
    /// A parameter of the current value.
    Param(Param<'a>),
}

/// Reads a list written as Accept-Contact and Contact are:
/// `("*" / address) *(SEMI param)` values separated by commas. `address` reads what
/// is not `*` ([`name_addr`] or [`address`]), `address_fault` names it when it fails,
/// and `bad` makes the header's error kind. `each` hears of every value and parameter.
#[inline]
pub(crate) fn address_list<'a>(
    value: &'a [u8],
    max_params: usize,
    bad: fn(&'static str) -> ParseErrorKind,
    address: impl Fn(&'a [u8], &'a [u8]) -> Result<(&'a [u8], &'a [u8]), usize>,
    address_fault: &'static str,
    mut each: impl FnMut(ListItem<'a>) -> Result<(), ValueError>,
) -> Result<(), ValueError> {
    let fail = |what, at: &[u8]| ValueError::new(bad(what), offset(value, at));
    let mut rest = value;
    loop {
        let start = lws(rest);
        each(ListItem::Value(offset(value, start)))?;
        let after_target = match start.first() {
            Some(b'*') => &start[1..],
            None | Some(b',') => return Err(fail("empty value", start)),
            Some(_) => match address(value, start) {
                Ok((after, _uri)) => after,
                Err(at) => return Err(fail(address_fault, &value[at..])),
            },
        };
        let after = params(value, after_target, max_params, bad, |p| {
            each(ListItem::Param(p))
        })?;
        match after.first() {
            None => return Ok(()),
            Some(b',') => rest = &after[1..],
            Some(_) => return Err(fail("unexpected character after a value", after)),
        }
    }
}

/// Reads a `name-addr`: an optional display name (quoted string or tokens), then
/// `<URI>`. Returns the rest and the URI, or the offset of the fault.
pub(crate) fn name_addr<'a>(whole: &'a [u8], i: &'a [u8]) -> Result<(&'a [u8], &'a [u8]), usize> {
    let i = lws(i);
    let at_bracket = at_angle_bracket(i).ok_or_else(|| offset(whole, i))?;
    angle_uri(at_bracket).map_err(|_| offset(whole, at_bracket))
}

/// Reads a `name-addr`, or a bare `addr-spec` up to the first `;`, `,` or white space
/// (so that the parameters after it belong to the header, as RFC 3261 section 20 says).
/// Returns the rest and the URI, or the offset of the fault.
///
/// The URI must start with a scheme: an `addr-spec` is a SIP, SIPS or absolute URI
/// (RFC 3261 section 25.1), each `scheme ":" ...`. White space just inside the angle
/// brackets is passed over for this check (RFC 4475 section 3.1.2.14 leaves taking it
/// to the receiver) and kept in the URI returned.
pub(crate) fn address<'a>(whole: &'a [u8], i: &'a [u8]) -> Result<(&'a [u8], &'a [u8]), usize> {
    let i = lws(i);
    let (rest, uri) = if at_angle_bracket(i).is_some() || i.first() == Some(&b'"') {
        name_addr(whole, i)?
    } else {
        let end = i
            .iter()
            .position(|&b| matches!(b, b';' | b',') || is_lws(b))
            .unwrap_or(i.len());
        if end == 0 {
            return Err(offset(whole, i));
        }
        (&i[end..], &i[..end])
    };
    if !has_scheme(lws(uri)) {
        return Err(position(whole, uri));
    }
    Ok((rest, uri))
}

/// Whether `uri` starts with `scheme ":"`, `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" /
/// ".")` (RFC 3261 section 25.1, after RFC 2396).
pub(crate) fn has_scheme(uri: &[u8]) -> bool {
    // Nearly every URI here is `sip:`, checked in one comparison: bit 0x20 set on
    // the three letters only, so the colon is compared as it is.
    if let Some(head) = uri.first_chunk::<4>() {
        if u32::from_le_bytes(*head) | u32::from_le_bytes([0x20, 0x20, 0x20, 0])
            == u32::from_le_bytes(*b"sip:")
        {
            return true;
        }
    }
    // The scheme is short: its bytes are read up to the first that is not a scheme
    // byte, which must be the colon (any later colon has that byte before it).
    let scheme_len = uri
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        .count();
    uri.first().is_some_and(u8::is_ascii_alphabetic) && uri.get(scheme_len) == Some(&b':')
}

/// Skips a display name (`quoted-string` or `*(token LWS)`) and returns the input from
/// the `<` that must follow it, or `None` when no `<` follows.
fn at_angle_bracket(i: &[u8]) -> Option<&[u8]> {
    let mut at = if i.first() == Some(&b'"') {
        lws(quoted_string(i).ok()?.0)
    } else {
        i
    };
    loop {
        if at.first() == Some(&b'<') {
            return Some(at);
        }
        at = lws(token(at).ok()?.0);
    }
}

/// Splits a list header value at commas that stand outside quoted strings and `<...>`,
/// trimming white space from each element.
///
/// ```
/// use cpm_client::sip::split_list;
///
/// let parts: Vec<&[u8]> = split_list(br#"*;a="x,y", <sip:b@c;p=1,2>;q , *"#).collect();
/// assert_eq!(parts, [&br#"*;a="x,y""#[..], b"<sip:b@c;p=1,2>;q", b"*"]);
/// ```
pub fn split_list(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(value);
    std::iter::from_fn(move || {
        let v = rest?;
        let mut quoted = false;
        let mut angle = false;
        let mut i = 0;
        while i < v.len() {
            match v[i] {
                b'\\' if quoted => i += 1,
                b'"' if !angle => quoted = !quoted,
                b'<' if !quoted => angle = true,
                b'>' if !quoted => angle = false,
                b',' if !quoted && !angle => {
                    rest = Some(&v[i + 1..]);
                    return Some(trim_lws(&v[..i]));
                }
                _ => {}
            }
            i += 1;
        }
        rest = None;
        Some(trim_lws(v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(v: &[u8]) -> Result<(Vec<Param<'_>>, &[u8]), ValueError> {
        let mut out = Vec::new();
        let rest = params(v, v, 8, ParseErrorKind::BadContact, |p| {
            out.push(p);
            Ok(())
        })?;
        Ok((out, rest))
    }

    /// The short runs, sixteen, eight and four bytes per bounds check, count what one
    /// table lookup per byte counts: runs of every length to 40 ended by every byte
    /// value, for each class.
    #[test]
    fn short_runs_count_what_the_table_counts() {
        for class in [TOKEN, HOST, BARE] {
            let fill: Vec<u8> = b"aZ9-.".iter().copied().cycle().take(41).collect();
            for len in 0..=40 {
                for end in 0..=255u8 {
                    let mut bytes = fill[..=len].to_vec();
                    bytes[len] = end;
                    let table = bytes
                        .iter()
                        .position(|&b| CLASS[usize::from(b)] & class == 0)
                        .unwrap_or(bytes.len());
                    assert_eq!(short_run(class, &bytes), table, "{class} {bytes:?}");
                    assert_eq!(short_run(class, &bytes[..len]), len);
                }
            }
        }
    }

    #[test]
    fn named_parameters_are_lower_case_letters_compared_in_any_case() {
        for named in [
            VIA_PARAMS,
            CONTACT_PARAMS,
            FROM_TO_PARAMS,
            REFERRED_BY_PARAMS,
        ] {
            for p in named {
                assert!(p.name.bytes().all(|b| b.is_ascii_lowercase()), "{}", p.name);
                let upper = p.name.to_ascii_uppercase();
                assert!(is_named(p.name.as_bytes(), upper.as_bytes()));
                assert!(is_named(p.name.as_bytes(), p.name.as_bytes()));
            }
        }
        assert!(!is_named(b"ttl", b"tt"));
        assert!(!is_named(b"ttl", b"ttlx"));
        assert!(is_named(b"ttl", b"tTL"));
        // Only the two cases of a letter give that letter with bit 0x20 set.
        for b in 0..=255u8 {
            assert_eq!(is_named(b"q", &[b]), b == b'q' || b == b'Q', "{b}");
        }
    }

    #[test]
    fn schemes_in_any_case() {
        for uri in [
            "sip:a@b", "SIP:a@b", "sIp:", "sips:a@b", "tel:+1", "im:a@b", "a+-.9:x", "si:",
        ] {
            assert!(has_scheme(uri.as_bytes()), "{uri}");
        }
        for uri in [
            "", "sip", "sip;x:", "1sip:a", ":a", "s\u{3}p:", "sip :a", "<sip:a>",
        ] {
            assert!(!has_scheme(uri.as_bytes()), "{uri}");
        }
    }

    #[test]
    fn tokens_follow_rfc_3261() {
        assert!(is_token(b"z9hG4bK-.!%*_+`'~"));
        assert!(!is_token(b""));
        assert!(!is_token(b"a b"));
        assert!(!is_token(b"a:b"));
        assert!(!is_token(b"a\0"));
    }

    #[test]
    fn quoted_strings_keep_escapes_and_need_a_close() {
        assert_eq!(
            quoted_string(br#""a\"b" x"#).unwrap(),
            (&b" x"[..], &br#"a\"b"#[..])
        );
        assert_eq!(quoted_string(br#""\\" x"#).unwrap().1, br"\\");
        assert_eq!(quoted_string(br#""""#).unwrap().1, b"");
        assert!(quoted_string(br#""abc"#).is_err());
        assert!(quoted_string(br#""abc\""#).is_err());
        assert!(quoted_string(b"abc").is_err());
    }

    #[test]
    fn params_read_names_values_and_flags() {
        let (ps, rest) = collect(b";a=1 ; B = \"x;y\" ;c\r\n ;d=e, next").unwrap();
        assert_eq!(rest, b", next");
        let names: Vec<&[u8]> = ps.iter().map(|p| p.name).collect();
        assert_eq!(names, [&b"a"[..], b"B", b"c", b"d"]);
        assert_eq!(ps[1].value, Some(ParamValue::Quoted(b"x;y")));
        assert_eq!(ps[2].value, None);
        assert_eq!(ps[3].value, Some(ParamValue::Bare(b"e")));
    }

    #[test]
    fn params_refuse_empty_and_broken_ones() {
        assert!(collect(b";;a").is_err());
        assert!(collect(b";a;").is_err());
        assert!(collect(b";a=").is_err());
        assert!(collect(b";a=\"open").is_err());
        assert!(collect(b";=1").is_err());
        let too_many = b";a;a;a;a;a;a;a;a;a";
        assert_eq!(
            collect(too_many).unwrap_err().kind,
            ParseErrorKind::TooManyParams(8)
        );
    }

    #[test]
    fn addresses_with_and_without_brackets() {
        let v = br#""Bob \"B\"" <sip:bob@x;lr>;tag=1"#;
        assert_eq!(
            address(v, v).unwrap(),
            (&b";tag=1"[..], &b"sip:bob@x;lr"[..])
        );
        let v = b"Bob Smith <sip:b@x>";
        assert_eq!(address(v, v).unwrap().1, b"sip:b@x");
        let v = b"sip:b@x;isfocus";
        assert_eq!(address(v, v).unwrap(), (&b";isfocus"[..], &b"sip:b@x"[..]));
        let v = b"<sip:b@x";
        assert!(address(v, v).is_err());
        let v = b";a";
        assert!(address(v, v).is_err());
    }

    #[test]
    fn addresses_need_a_scheme() {
        for good in [
            &b"sip:a@b"[..],
            b"tel:+1555",
            b"<x-y.z+1:q>",
            b"< sip:a@b >",
            b"urn:x",
        ] {
            assert!(address(good, good).is_ok(), "{}", good.escape_ascii());
        }
        for (bad, at) in [
            (&b"."[..], 0),
            (b"a@b", 0),
            (b"<>", 1),
            (b"<:a>", 1),
            (b"<1a:b>", 1),
            (b"\"N\" <a@b>", 5),
            (b"<s p:x>", 1),
        ] {
            assert_eq!(address(bad, bad), Err(at), "{}", bad.escape_ascii());
        }
    }

    #[test]
    fn value_forms() {
        let bare = |form: ValueForm, v: &'static [u8]| form.accepts(ParamValue::Bare(v));
        for q in [&b"0"[..], b"1", b"0.", b"0.5", b"0.333", b"1.0", b"1.000"] {
            assert!(bare(ValueForm::QValue, q), "{}", q.escape_ascii());
        }
        for q in [
            &b"2"[..],
            b"0.3333",
            b"1.5",
            b"1.0001",
            b".5",
            b"01",
            b"0,5",
        ] {
            assert!(!bare(ValueForm::QValue, q), "{}", q.escape_ascii());
        }
        assert!(bare(ValueForm::Ttl, b"0") && bare(ValueForm::Ttl, b"255"));
        assert!(!bare(ValueForm::Ttl, b"256") && !bare(ValueForm::Ttl, b"0001"));
        assert!(bare(ValueForm::Digits, b"0042") && !bare(ValueForm::Digits, b"4a"));
        assert!(bare(ValueForm::Host, b"[2001:db8::1]") && !bare(ValueForm::Host, b"a/b"));
        assert!(!ValueForm::Unquoted.accepts(ParamValue::Quoted(b"x")));
        assert!(bare(ValueForm::Unquoted, b"a\0/\xff"));
        assert!(ValueForm::Quoted.accepts(ParamValue::Quoted(b"")));
        assert!(!bare(ValueForm::Quoted, b"x"));
    }

    #[test]
    fn named_parameters_once_with_their_values() {
        let mut seen = 0;
        let mut check = |name: &'static [u8], value: Option<ParamValue<'static>>| {
            check_named(CONTACT_PARAMS, &mut seen, name, value)
        };
        assert_eq!(check(b"isfocus", None), Ok(()));
        assert_eq!(
            check(b"isfocus", None),
            Ok(()),
            "generic parameters are not counted"
        );
        assert_eq!(check(b"Q", None), Err("q parameter has no value"));
        assert_eq!(
            check(b"q", Some(ParamValue::Bare(b"0.5"))),
            Err("q parameter appears twice")
        );
        assert_eq!(check(b"expires", Some(ParamValue::Bare(b"60"))), Ok(()));
        let mut seen = 0;
        assert_eq!(
            check_named(
                FROM_TO_PARAMS,
                &mut seen,
                b"tag",
                Some(ParamValue::Quoted(b"1"))
            ),
            Err("tag parameter is quoted (tag=token)")
        );
    }

    #[test]
    fn lists_split_outside_quotes_and_brackets() {
        let parts: Vec<&[u8]> = split_list(b"a, \"b,c\" ,<d,e>").collect();
        assert_eq!(parts, [&b"a"[..], b"\"b,c\"", b"<d,e>"]);
        let parts: Vec<&[u8]> = split_list(b"").collect();
        assert_eq!(parts, [&b""[..]]);
    }
}
