//! Builds one request a CPM Client originates and prints it as it would go on the wire.
//!
//! ```text
//! cargo run --example cpm_compose -- PROCEDURE [--to URI]... [--text TEXT] [--file PATH] [--release OMA2.0]
//! ```
//!
//! PROCEDURE is one of `register`, `pager`, `large-message`, `session`,
//! `group-session`, `rejoin`, `file-transfer`, `imdn`.
//!
//! `imdn` prints the delivery notification (RFC 5438) the client sends for a sample
//! pager message it received from `sip:+15550100002@ims.example.net` (or `--to`)
//! asking for one: the notified `imdn.Message-ID` is `34jk324j`.
//!
//! - `--to` is the recipient (`pager`, `large-message`, `session`, `file-transfer`), a
//!   participant (`group-session`, repeat it for several), or the session identity
//!   (`rejoin`). Defaults: `sip:+15550100002@ims.example.net`, and for a group also
//!   `sip:+15550100003@ims.example.net`.
//! - `--text` is the message of `pager` and `large-message` (default `Hello, Bob!`).
//! - `--file` names the file offered by `file-transfer`: its name and size are read,
//!   its type guessed from the extension (default: a 48213-byte `beach.jpg`).
//! - `--release` is the CPM release in User-Agent (default `OMA2.0`).
//!
//! The client is `sip:+15550100001@ims.example.net` at `192.0.2.10:5060` over TCP.
//! Identifiers come from a seeded generator and the CPIM DateTime is fixed
//! (2026-11-24T10:15:00Z), so the output is the same on every run. For
//! `large-message` the INVITE is followed by a blank line and the first MSRP SEND
//! chunk, framed for the path `msrp://192.0.2.20:9/peer0001;tcp` as if the
//! recipient's SDP answer had given it. Lines end with CRLF, as on the wire.
//!
//! Exit status: 0 when printed, 1 when the library refused to build the request (the
//! reason on standard error), 2 for a usage error.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use cpm_client::cpim::CpimMessage;
use cpm_client::imdn::{DeliveryStatus, ImdnStatus};
use cpm_client::outgoing::ImdnMessage;
use cpm_client::ReleaseVersion;
use cpm_client::{
    outgoing::{
        ClientConfig, ContactAddress, Content, DispositionNotification, FileDisposition,
        FileTransfer, LargeMessage, Pager, Registration, SequentialIds, Session, Standalone,
        Transport,
    },
    sdp::FileSelector,
    BuildError,
};

const USAGE: &str =
    "usage: cpm_compose PROCEDURE [--to URI]... [--text TEXT] [--file PATH] [--release OMA2.0]
PROCEDURE: register | pager | large-message | session | group-session | rejoin | file-transfer | imdn";

const BOB: &str = "sip:+15550100002@ims.example.net";
const CAROL: &str = "sip:+15550100003@ims.example.net";
const FACTORY: &str = "sip:conference-factory@ims.example.net";
const FOCUS: &str = "sip:chat-7f3e@focus.ims.example.net";
const PEER_PATH: &str = "msrp://192.0.2.20:9/peer0001;tcp";

/// The command line, read by hand.
struct Args {
    procedure: String,
    to: Vec<String>,
    text: String,
    file: Option<String>,
    release: ReleaseVersion,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let procedure = args.next().ok_or("no PROCEDURE")?;
    let known = [
        "register",
        "pager",
        "large-message",
        "session",
        "group-session",
        "rejoin",
        "file-transfer",
        "imdn",
    ];
    if !known.contains(&procedure.as_str()) {
        return Err(format!("unknown PROCEDURE `{procedure}`"));
    }
    let mut parsed = Args {
        procedure,
        to: Vec::new(),
        text: "Hello, Bob!".to_owned(),
        file: None,
        release: ReleaseVersion::default(),
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--to" => parsed.to.push(value()?),
            "--text" => parsed.text = value()?,
            "--file" => parsed.file = Some(value()?),
            "--release" => {
                let text = value()?;
                parsed.release = text.parse().map_err(|e| format!("--release: {e}"))?;
            }
            other => return Err(format!("unknown flag `{other}`")),
        }
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("cpm_compose: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let wire = match compose(&args) {
        Ok(wire) => wire,
        Err(e) => {
            eprintln!("cpm_compose: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    if out.write_all(&wire).and_then(|()| out.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The bytes to print for the procedure asked.
fn compose(args: &Args) -> Result<Vec<u8>, String> {
    let config = client(args.release).map_err(|e| e.to_string())?;
    let ids = &mut SequentialIds::new(1);
    let sent_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_515_300);
    let to = args.to.first().map(String::as_str);
    let request = match args.procedure.as_str() {
        "register" => Registration::new().build(&config, ids),
        "pager" => Pager::new(to.unwrap_or(BOB), Content::text(&args.text), sent_at)
            .disposition(DispositionNotification::DELIVERY_AND_DISPLAY)
            .build(&config, ids)
            .map(|built| match built {
                Standalone::Pager(request) => request,
                Standalone::LargeMessage(large) => large.invite,
            }),
        "large-message" => {
            let large = LargeMessage::new(to.unwrap_or(BOB), Content::text(&args.text), sent_at)
                .disposition(DispositionNotification::DELIVERY_AND_DISPLAY)
                .max_size(Some(2_048_000))
                .build(&config, ids)
                .map_err(|e| e.to_string())?;
            let chunks = large.chunks(PEER_PATH, ids).map_err(|e| e.to_string())?;
            let mut wire = large.invite.as_bytes().to_vec();
            wire.extend_from_slice(b"\r\n");
            if let Some(first) = chunks.first() {
                wire.extend_from_slice(first);
            }
            return Ok(wire);
        }
        "session" => Session::one_to_one(to.unwrap_or(BOB)).build(&config, ids),
        "group-session" => {
            let participants = if args.to.is_empty() {
                vec![BOB.to_owned(), CAROL.to_owned()]
            } else {
                args.to.clone()
            };
            Session::group(FACTORY, &participants)
                .subject("Weekend plans")
                .build(&config, ids)
        }
        "rejoin" => Session::rejoin(
            to.unwrap_or(FOCUS),
            "8e2f4a6c-0b1d-4e3f-a5c7-9d8e7f6a5b4c",
            "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        )
        .build(&config, ids),
        "file-transfer" => {
            let file = match &args.file {
                Some(path) => file_info(path)?,
                None => FileSelector::new("beach.jpg", "image/jpeg", 48213),
            };
            FileTransfer::new(to.unwrap_or(BOB), file)
                .disposition(FileDisposition::Render)
                .build(&config, ids)
        }
        "imdn" => {
            let sender = to.unwrap_or(BOB);
            let received = format!(
                "From: <{sender}>\r\nTo: <{}>\r\nDateTime: 2026-11-24T10:14:58.000Z\r\n\
                 NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: 34jk324j\r\n\
                 imdn.Disposition-Notification: positive-delivery, display\r\n\r\n\
                 Content-Type: text/plain;charset=UTF-8\r\nContent-Length: 11\r\n\r\nHello, you!",
                config.identity()
            );
            let received = CpimMessage::parse(received.as_bytes()).map_err(|e| e.to_string())?;
            ImdnMessage::for_message(
                &received,
                sender,
                Some(config.identity()),
                ImdnStatus::Delivery(DeliveryStatus::Delivered),
                sent_at,
            )
            .and_then(|m| m.build(&config, ids))
        }
        other => return Err(format!("unknown PROCEDURE `{other}`")),
    };
    request
        .map(|r| r.as_bytes().to_vec())
        .map_err(|e| e.to_string())
}

/// The example's client.
fn client(release: ReleaseVersion) -> Result<ClientConfig, BuildError> {
    ClientConfig::new(
        "sip:+15550100001@ims.example.net",
        ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?,
    )?
    .with_instance("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427")?
    .with_release(release)
    .with_product("cpm-compose/0.1")
}

/// The name, size and guessed type of the file at `path`.
fn file_info(path: &str) -> Result<FileSelector<'_>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("--file {path}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("--file {path}: not a file"));
    }
    let path = Path::new(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let media_type = match extension.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "mp4" => "video/mp4",
        "3gp" => "video/3gpp",
        "mp3" => "audio/mpeg",
        "amr" => "audio/amr",
        "txt" => "text/plain",
        "vcf" => "text/vcard",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    };
    Ok(FileSelector::new(&name, media_type, meta.len()))
}
