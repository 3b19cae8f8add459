//! Dispatches SIP requests read from files to a small inbox, and prints what the
//! handler saw and the response the library built for each.
//!
//! ```text
//! cargo run --example cpm_dispatch -- examples/messages/*.sip
//! cargo run --example cpm_dispatch -- --full examples/messages/session.sip
//! ```
//!
//! The inbox accepts pager and large messages, deferred group-session deliveries and
//! file transfers, and answers session invitations later (180 now, then 200 once "the
//! user" has said yes). `--full` prints each response whole instead of its status line.

use std::process::ExitCode;

use bytes::Bytes;
use cpm_client::outgoing::{ContactAddress, MsrpEndpoint, Transport};
use cpm_client::{
    ClientConfig, Decision, DeferredGroupSession, DeferredHandler, Dispatcher, FileTransferHandler,
    FileTransferInvitation, LargeMessageHandler, LargeMessageInvitation, PagerHandler,
    PagerMessage, Response, SessionHandler, SessionInvitation,
};

/// Says what each procedure handed over, on standard output.
struct Inbox;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl PagerHandler for Inbox {
    fn pager_message(&self, message: &PagerMessage<'_>) -> Decision {
        let from = message.sender().map(|s| text(s.uri())).unwrap_or_default();
        let id = message.cpim().and_then(|c| c.message_id()).unwrap_or("-");
        println!(
            "  pager message from {from}{}: imdn.Message-ID {id}, {:?}",
            if message.is_deferred() {
                " (stored)"
            } else {
                ""
            },
            text(message.content())
        );
        Decision::accept()
    }
}

impl LargeMessageHandler for Inbox {
    fn large_message(&self, invitation: &LargeMessageInvitation<'_>) -> Decision {
        let path = invitation
            .msrp()
            .and_then(|m| m.path().next())
            .unwrap_or("-");
        println!("  large message over MSRP from {path}");
        Decision::accept()
    }
}

impl SessionHandler for Inbox {
    fn session_invitation(&self, invitation: &SessionInvitation<'_>) -> Decision {
        let kind = if invitation.is_group() {
            "group"
        } else {
            "one-to-one"
        };
        println!(
            "  {kind} session invitation, Contribution-ID {}: ringing",
            invitation.contribution_id().unwrap_or("-")
        );
        Decision::later()
    }
}

impl FileTransferHandler for Inbox {
    fn file_transfer(&self, invitation: &FileTransferInvitation<'_>) -> Decision {
        match invitation.file_selector() {
            Some(file) => println!(
                "  file offered: {} ({}, {} bytes)",
                file.name_decoded().unwrap_or_default(),
                file.media_type.as_deref().unwrap_or("?"),
                file.size.map_or("?".into(), |s| s.to_string())
            ),
            None => println!("  file offered without a file-selector"),
        }
        Decision::accept()
    }
}

impl DeferredHandler for Inbox {
    fn deferred_group_session(&self, delivery: &DeferredGroupSession<'_>) -> Decision {
        let from = delivery.sender().map(|s| text(s.uri())).unwrap_or_default();
        println!("  stored group-session messages from {from}");
        Decision::accept()
    }
}

fn main() -> ExitCode {
    let mut full = false;
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--full" => full = true,
            "-h" | "--help" => files.clear(),
            _ => files.push(arg),
        }
    }
    if files.is_empty() {
        eprintln!("usage: cpm_dispatch [--full] FILE...\ndispatches each file as one SIP request and prints the response built for it");
        return ExitCode::from(2);
    }
    let me = match ClientConfig::new(
        "sip:+15550100002@ims.example.net",
        ContactAddress::new("192.0.2.20", 5060, Transport::Tcp).expect("a valid address"),
    ) {
        Ok(config) => config.with_msrp(MsrpEndpoint::new().with_port(2855)),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let dispatcher = Dispatcher::builder()
        .client(me)
        .pager(Inbox)
        .large_message(Inbox)
        .session(Inbox)
        .file_transfer(Inbox)
        .deferred(Inbox)
        .build();

    let show = |response: &Response| {
        if full {
            println!("{}", text(response.as_bytes()));
        } else {
            let status_line = response
                .as_bytes()
                .split(|&b| b == b'\r')
                .next()
                .unwrap_or_default();
            println!("  -> {}", text(status_line));
        }
    };
    for file in &files {
        println!("{file}");
        let bytes = match std::fs::read(file) {
            Ok(bytes) => Bytes::from(bytes),
            Err(e) => {
                println!("  cannot read: {e}");
                continue;
            }
        };
        let mut outcome = dispatcher.dispatch(bytes);
        let route = outcome.route().map_or("none", |r| r.as_str());
        println!("  route {route}: {}", outcome.handling());
        match outcome.take_response() {
            Some(response) => show(&response),
            None => println!("  -> nothing to send"),
        }
        if let Some(pending) = outcome.take_pending() {
            println!("  (the user accepts)");
            show(&pending.accept());
        }
    }
    ExitCode::SUCCESS
}
