//! The other routers `benches/route.rs` measures `cpm_client::route` against, on the
//! same bytes. Shared with `examples/route_profile.rs`, which runs one of them in a loop
//! under a profiler.
//!
//! Each returns whether the request names a CPM service in Accept-Contact, so that the
//! optimiser cannot drop the work.

use memchr::memmem::Finder;

/// What every CPM ICSI carries, percent-encoded or not.
pub const CPM_ICSI: &[u8] = b"3gpp-service.ims.icsi.oma.cpm.";

/// Whether a header name is Accept-Contact, full or compact (`a`).
fn is_accept_contact(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"a") || name.eq_ignore_ascii_case(b"accept-contact")
}

/// The floor: one pass over the head with `memchr` for line ends that looks only at
/// the first byte of each line, searches the lines starting with `a` (Accept-Contact
/// and `a:`, and whatever else starts so) for the ICSI with `memmem`, reads
/// Content-Length and stops at the empty line. It validates nothing: no correct
/// router can do less. The searcher is built once, outside the measured call.
pub fn floor(input: &[u8], icsi: &Finder<'_>) -> Option<(bool, usize)> {
    let mut tagged = false;
    let mut length = 0;
    let mut pos = memchr::memchr(b'\n', input)? + 1;
    loop {
        let end = memchr::memchr(b'\n', &input[pos..])? + pos;
        let line = &input[pos..end];
        match line.first()? {
            b'\r' => return Some((tagged, length)),
            b'a' | b'A' => tagged |= icsi.find(line).is_some(),
            b'l' | b'L' | b'C' | b'c' => {
                if let Some(colon) = memchr::memchr(b':', line) {
                    let name = &line[..colon];
                    if name.eq_ignore_ascii_case(b"l")
                        || name.eq_ignore_ascii_case(b"content-length")
                    {
                        length = line[colon + 1..]
                            .iter()
                            .filter(|b| b.is_ascii_digit())
                            .fold(0, |n, &b| n * 10 + usize::from(b - b'0'));
                    }
                }
            }
            _ => {}
        }
        pos = end + 1;
    }
}

/// `httparse`: the request line split by hand (its `Request::parse` refuses
/// `SIP/2.0`), then `httparse::parse_headers` into an array on the stack, then the
/// Accept-Contact values searched for the ICSI.
pub fn httparse(input: &[u8], icsi: &Finder<'_>) -> Option<bool> {
    let line_end = memchr::memmem::find(input, b"\r\n")?;
    let mut line = input[..line_end].split(|&b| b == b' ');
    let (_method, _uri, version) = (line.next()?, line.next()?, line.next()?);
    if version != b"SIP/2.0" || line.next().is_some() {
        return None;
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    match httparse::parse_headers(&input[line_end + 2..], &mut headers).ok()? {
        httparse::Status::Complete((_, headers)) => Some(
            headers
                .iter()
                .any(|h| is_accept_contact(h.name.as_bytes()) && icsi.find(h.value).is_some()),
        ),
        httparse::Status::Partial => None,
    }
}

/// `rsip`: `rsip::Request::try_from`, then the Accept-Contact headers (which rsip keeps
/// as `Header::Other`) searched for the ICSI.
pub fn rsip(input: &[u8], icsi: &Finder<'_>) -> Option<bool> {
    let request = rsip::Request::try_from(input).ok()?;
    let tagged = request.headers.iter().any(|h| match h {
        rsip::Header::Other(name, value) => {
            is_accept_contact(name.as_bytes()) && icsi.find(value.as_bytes()).is_some()
        }
        _ => false,
    });
    Some(tagged)
}
