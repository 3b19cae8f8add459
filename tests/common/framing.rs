//! The framing of a response, whatever the headers it copied say: shared by the
//! tests (`common::framed`) and the fuzz checks.

/// Checks the framing of a response the library wrote, whatever the headers it copied
/// say: a `SIP/2.0 NNN reason` line, header lines `Name: value` ended by CRLF with no
/// other CR or LF (a quoted-pair may escape other control characters), an empty line, and a body of exactly its
/// Content-Length. The 400 to a request that did not read copies its Via, From, To,
/// Call-ID and CSeq as written, so it may not read back with the strict response
/// reader; it must still be framed.
pub fn framed(bytes: &[u8]) -> Result<(), String> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let head_end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no empty line")?;
    let (head, body) = (&bytes[..head_end], &bytes[head_end + 4..]);
    // Lines are split at CRLF; a CR or LF left inside a line is a control character.
    let mut lines = Vec::new();
    let mut rest = head;
    while let Some(at) = rest.windows(2).position(|w| w == b"\r\n") {
        lines.push(&rest[..at]);
        rest = &rest[at + 2..];
    }
    lines.push(rest);
    let status = lines[0];
    let ok_status = status.len() >= 12
        && status.starts_with(b"SIP/2.0 ")
        && status[8..11].iter().all(u8::is_ascii_digit)
        && status[11] == b' ';
    if !ok_status {
        return Err(format!("bad status line {:?}", text(status)));
    }
    let mut content_length = None;
    for line in &lines {
        if line.iter().any(|&b| b == b'\r' || b == b'\n') {
            return Err(format!("a CR or LF inside {:?}", text(line)));
        }
    }
    for line in &lines[1..] {
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or_else(|| format!("no colon in {:?}", text(line)))?;
        let name = &line[..colon];
        let token = |b: &u8| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(b);
        if name.is_empty() || !name.iter().all(token) {
            return Err(format!("bad header name in {:?}", text(line)));
        }
        if name.eq_ignore_ascii_case(b"Content-Length") {
            content_length = text(&line[colon + 1..]).trim().parse::<usize>().ok();
        }
    }
    match content_length {
        Some(n) if n == body.len() => Ok(()),
        other => Err(format!(
            "Content-Length {other:?} for a body of {}",
            body.len()
        )),
    }
}
