#!/usr/bin/env python3
"""An MSRP peer written from the wire formats alone, against the cpm_endpoint example.

    python3 tests/msrp_peer.py PATH/TO/cpm_endpoint [ENDPOINT_LOG]

It plays the network side: SIP over UDP (RFC 3261: INVITE with an SDP offer, ACK for
the 2xx, BYE) and MSRP over TCP (RFC 4975: SEND chunks with Byte-Range, their 200s,
the REPORT asked for with `Success-Report: yes`), written and read here, not with the
library. The INVITEs carry the OMA CPM feature tags of the routing decision table
(docs/decisions.md): `oma.cpm.largemsg` (7.2.2.2), `oma.cpm.session` (7.3.2),
`oma.cpm.deferred` from a focus (a Contact with `isfocus`: 7.3.11, a deferred group
session; without it the same tag is a large message). The offers cover both MSRP
roles (RFC 4145): `a=setup:active`, where this peer connects to the endpoint's path,
and `passive`/`actpass`, where the endpoint connects here and sends its empty SEND
first (RFC 4975 section 5.4).

Scenarios, each checked against what the endpoint prints (`msrp <kind>
message-id=<id> type=<type> bytes=<n> sha256=<hex>`):

- deferred-group: a deferred group session delivering two CPIM messages, two lines;
- large-out-of-order: a large message in 3 chunks sent last, first, middle (the
  endpoint active), one line with the SHA-256 of the whole;
- interrupted: a chat message whose second chunk is flagged `#` (no line), then a
  message that is printed;
- refused-type: a large message of a type outside the endpoint's accept-types,
  answered 415, no line;
- wrong-to-path: a SEND whose To-Path is not the endpoint's, answered 481, no line;
- chat-imdn: an is-composing indication and an IMDN inside CPIM (printed
  `is-composing active`, `imdn delivered message-id=.. status=delivered`) and a chat
  message asking for `positive-delivery`, answered with an IMDN `delivered` about its
  imdn.Message-ID sent inside the session (a SEND that comes here).

Prints `scenario NAME ok (endpoint active|passive)` or `scenario NAME failed WHY` per scenario (tests/interop.sh
counts them), and exits 0 when every one passed. Python 3 standard library only. The
endpoint's output goes to ENDPOINT_LOG (default: a temporary file).
"""

import hashlib
import random
import re
import socket
import sys
import time

from endpoint_process import EndpointProcess

TIMEOUT = 5.0  # seconds, for every wait
ICSI = "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm."
ME = "sip:+15550100001@127.0.0.1"
ENDPOINT_USER = "+15550100002"


def token(n=12):
    return "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))


class Failure(Exception):
    pass


# SIP over UDP.


class Sip:
    """One UDP socket, one dialog at a time."""

    def __init__(self, endpoint_port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.target = ("127.0.0.1", endpoint_port)

    def close(self):
        self.sock.close()

    def request(self, lines, body=b""):
        head = "\r\n".join(lines + [f"Content-Length: {len(body)}", "", ""]).encode()
        self.sock.sendto(head + body, self.target)

    def final(self, call_id, cseq):
        """The final response to the request of `cseq` in `call_id` (provisional ones
        and copies of earlier ones are passed over)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure(f"no final answer to {cseq}")
            self.sock.settimeout(left)
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.decode(errors="replace").split("\r\n")
            if not lines[0].startswith("SIP/2.0 "):
                continue
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers.setdefault(name.strip().lower(), value.strip())
            if headers.get("call-id") != call_id or headers.get("cseq") != cseq:
                continue
            code = int(lines[0].split()[1])
            if code >= 200:
                return code, headers, body

    def invite(self, service, sdp, focus=False):
        """INVITE with the CPM feature tag `service`; ACKs a 2xx. Returns the dialog and
        the SDP answer."""
        call_id = token() + "@127.0.0.1"
        tag = token(8)
        ruri = f"sip:{ENDPOINT_USER}@127.0.0.1:{self.target[1]}"
        contact = (
            f"<sip:group-{token(6)}@127.0.0.1:{self.port}>;isfocus"
            if focus
            else f"<sip:+15550100001@127.0.0.1:{self.port}>"
        )
        contact += f';+g.3gpp.icsi-ref="{ICSI}{service}"'
        self.request(
            [
                f"INVITE {ruri} SIP/2.0",
                f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK{token()};rport",
                "Max-Forwards: 70",
                f"From: <{ME}>;tag={tag}",
                f"To: <sip:{ENDPOINT_USER}@127.0.0.1>",
                f"Call-ID: {call_id}",
                "CSeq: 1 INVITE",
                f"Contact: {contact}",
                f"P-Asserted-Identity: <{ME}>",
                f'Accept-Contact: *;+g.3gpp.icsi-ref="{ICSI}{service}"',
                f"Contribution-ID: {token()}",
                f"Conversation-ID: {token()}",
                "Content-Type: application/sdp",
            ],
            sdp.encode(),
        )
        code, headers, body = self.final(call_id, "1 INVITE")
        if code != 200:
            raise Failure(f"INVITE answered {code}")
        remote_contact = re.search(r"<([^>]+)>", headers.get("contact", "")) or re.search(
            r"(sip:[^;>\s]+)", headers.get("contact", "")
        )
        dialog = {
            "call_id": call_id,
            "from": f"<{ME}>;tag={tag}",
            "to": headers.get("to", ""),
            "target": remote_contact.group(1) if remote_contact else ruri,
        }
        self.in_dialog(dialog, "ACK", 1)
        return dialog, body.decode(errors="replace")

    def in_dialog(self, dialog, method, cseq):
        self.request(
            [
                f"{method} {dialog['target']} SIP/2.0",
                f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK{token()};rport",
                "Max-Forwards: 70",
                f"From: {dialog['from']}",
                f"To: {dialog['to']}",
                f"Call-ID: {dialog['call_id']}",
                f"CSeq: {cseq} {method}",
            ]
        )

    def bye(self, dialog):
        self.in_dialog(dialog, "BYE", 2)
        code, _, _ = self.final(dialog["call_id"], "2 BYE")
        if code != 200:
            raise Failure(f"BYE answered {code}")


def offer(port, path, setup, direction, accept="message/cpim application/im-iscomposing+xml"):
    return "\r\n".join(
        [
            "v=0",
            f"o=- {random.randint(1, 1 << 30)} 1 IN IP4 127.0.0.1",
            "s=-",
            "c=IN IP4 127.0.0.1",
            "t=0 0",
            f"m=message {port} TCP/MSRP *",
            f"a=accept-types:{accept}",
            "a=accept-wrapped-types:*",
            f"a=path:{path}",
            f"a=setup:{setup}",
            f"a={direction}",
            "",
        ]
    )


def attribute(sdp, name):
    found = re.search(rf"^a={name}:(.*?)\r?$", sdp, re.M)
    if not found:
        raise Failure(f"the SDP answer has no a={name}")
    return found.group(1).strip()


# MSRP over TCP.


class Msrp:
    """One MSRP connection: this peer's path `local`, the endpoint's `remote`."""

    def __init__(self, sock, local, remote):
        self.sock = sock
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.local, self.remote = local, remote
        self.buf = b""
        self.responses = {}  # transaction id -> status code
        self.reports = {}  # Message-ID -> Status value
        self.received = []  # (headers, body) of the SENDs the endpoint sent

    def close(self):
        self.sock.close()

    def send(self, message_id, body, start, end, total, flag, content_type, report=False,
             to_path=None):
        """One SEND chunk with bytes start..end (0-based, end excluded) of `body`."""
        tid = token(10)
        lines = [
            f"MSRP {tid} SEND",
            f"To-Path: {to_path or self.remote}",
            f"From-Path: {self.local}",
            f"Message-ID: {message_id}",
        ]
        if report:
            lines.append("Success-Report: yes")
        lines += [f"Byte-Range: {start + 1}-{end}/{total}", f"Content-Type: {content_type}", "", ""]
        frame = "\r\n".join(lines).encode() + body[start:end] + f"\r\n-------{tid}{flag}\r\n".encode()
        self.sock.sendall(frame)
        return tid

    def send_whole(self, message_id, body, content_type, report=True):
        return self.send(message_id, body, 0, len(body), len(body), "$", content_type, report)

    def frame(self, deadline):
        """The next whole frame: (start line words, headers, body)."""
        while True:
            end_line = self.buf.find(b"\r\n")
            if end_line > 0:
                words = self.buf[:end_line].decode(errors="replace").split(" ", 3)
                if len(words) < 3 or words[0] != "MSRP":
                    raise Failure(f"not an MSRP frame: {self.buf[:60]!r}")
                marker = b"\r\n-------" + words[1].encode()
                at = self.buf.find(marker, end_line)
                close = at + len(marker) + 3
                if at >= 0 and len(self.buf) >= close:
                    if self.buf[close - 2:close] != b"\r\n":
                        raise Failure("an MSRP end-line without CRLF")
                    blank = self.buf.find(b"\r\n\r\n", end_line)
                    if 0 <= blank < at:
                        head, body = self.buf[end_line + 2:blank], self.buf[blank + 4:at]
                    else:
                        head, body = self.buf[end_line + 2:at], b""
                    self.buf = self.buf[close:]
                    headers = {}
                    for line in head.decode(errors="replace").split("\r\n"):
                        name, _, value = line.partition(":")
                        if name:
                            headers[name.strip().lower()] = value.strip()
                    return words, headers, body
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("MSRP: nothing more came")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise Failure("MSRP: the endpoint closed the connection")
            self.buf += data

    def pump(self, deadline):
        """Reads one frame: a response is noted, a REPORT noted, a SEND answered 200."""
        words, headers, body = self.frame(deadline)
        if words[2].isdigit():
            self.responses[words[1]] = int(words[2])
        elif words[2] == "REPORT":
            self.reports[headers.get("message-id")] = headers.get("status", "")
        elif words[2] == "SEND":
            self.received.append((headers, body))
            if headers.get("failure-report", "yes") == "yes":
                self.sock.sendall(
                    (f"MSRP {words[1]} 200 OK\r\nTo-Path: {headers.get('from-path')}\r\n"
                     f"From-Path: {self.local}\r\n-------{words[1]}$\r\n").encode())

    def until(self, done, what):
        deadline = time.monotonic() + TIMEOUT
        while not done():
            try:
                self.pump(deadline)
            except Failure as e:
                raise Failure(f"waiting for {what}: {e}") from None

    def response(self, tid):
        self.until(lambda: tid in self.responses, f"the answer to SEND {tid}")
        return self.responses[tid]

    def report(self, message_id):
        self.until(lambda: message_id in self.reports, f"the REPORT of {message_id}")
        return self.reports[message_id]

    def expect_200s(self, tids):
        for tid in tids:
            code = self.response(tid)
            if code != 200:
                raise Failure(f"SEND {tid} answered {code}")

    def expect_reported(self, message_id):
        status = self.report(message_id)
        if not status.startswith("000 200"):
            raise Failure(f"REPORT of {message_id}: Status {status}")


class Session:
    """A dialog and its MSRP connection, with `setup` this peer's a=setup."""

    def __init__(self, sip, listener, service, setup, direction="sendrecv", focus=False,
                 accept="message/cpim application/im-iscomposing+xml"):
        self.sip = sip
        port = listener.getsockname()[1]
        local = f"msrp://127.0.0.1:{port}/{token()};tcp"
        self.dialog, answer = sip.invite(service, offer(port, local, setup, direction, accept),
                                         focus)
        remote = attribute(answer, "path")
        answered = attribute(answer, "setup")
        if answered == "passive":
            last = remote.split()[-1]
            host_port = re.match(r"msrps?://([^/;]+)", last).group(1)
            host, _, endpoint_port = host_port.rpartition(":")
            sock = socket.create_connection((host, int(endpoint_port)), timeout=TIMEOUT)
            self.msrp = Msrp(sock, local, remote)
            self.endpoint_active = False
            ROLES.append("endpoint passive")
        elif answered == "active":
            listener.settimeout(TIMEOUT)
            try:
                sock, _ = listener.accept()
            except socket.timeout:
                raise Failure("the endpoint did not connect (it answered active)") from None
            self.msrp = Msrp(sock, local, remote)
            # Its empty SEND binds the connection (RFC 4975 section 5.4): answered 200.
            self.msrp.until(lambda: self.msrp.received, "the endpoint's first SEND")
            self.endpoint_active = True
            ROLES.append("endpoint active")
        else:
            raise Failure(f"the SDP answer says a=setup:{answered}")

    def end(self):
        self.msrp.close()
        self.sip.bye(self.dialog)


# The MSRP role the endpoint took in each session of the current scenario.
ROLES = []


# Content.


def cpim(body, content_type="text/plain;charset=UTF-8", message_id=None, disposition=None,
         extra=()):
    lines = [
        f"From: <{ME}>",
        f"To: <sip:{ENDPOINT_USER}@127.0.0.1>",
        "DateTime: 2026-12-04T19:00:00Z",
        "NS: imdn <urn:ietf:params:imdn>",
        f"imdn.Message-ID: {message_id or token()}",
    ]
    if disposition:
        lines.append(f"imdn.Disposition-Notification: {disposition}")
    lines += ["", f"Content-Type: {content_type}", *extra, f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode() + body


def line_of(kind, message_id, content_type, body):
    return (f"msrp {kind} message-id={message_id} type={content_type} bytes={len(body)} "
            f"sha256={hashlib.sha256(body).hexdigest()}")


class Endpoint:
    def __init__(self, process):
        self.process = process

    def lines(self):
        return self.process.output().decode(errors="replace").splitlines()

    def expect(self, line):
        deadline = time.monotonic() + TIMEOUT
        while line not in self.lines():
            if time.monotonic() >= deadline:
                raise Failure(f"the endpoint did not print {line!r}")
            time.sleep(0.02)

    def never(self, message_id):
        printed = [l for l in self.lines() if l.startswith("msrp ") and f"message-id={message_id} " in l]
        if printed:
            raise Failure(f"the endpoint printed {printed[0]!r}")


# Scenarios.


def deferred_group(sip, listener, endpoint):
    """7.3.11: the focus delivers two stored messages; the peer connects (active)."""
    session = Session(sip, listener, "deferred", "active", "sendonly", focus=True,
                      accept="message/cpim")
    m = session.msrp
    first = cpim(b"Stored while you were away")
    second = cpim("Second one, \u00e9t\u00e9".encode(), message_id="stored-2")
    ids = [token(), token()]
    tids = [m.send_whole(ids[0], first, "message/cpim"),
            m.send_whole(ids[1], second, "message/cpim")]
    m.expect_200s(tids)
    for message_id in ids:
        m.expect_reported(message_id)
    for message_id, body in zip(ids, (first, second)):
        endpoint.expect(line_of("deferred-group-session", message_id, "message/cpim", body))
    session.end()


def large_out_of_order(sip, listener, endpoint):
    """7.2.2.2: one large message in 3 chunks, last first; the endpoint is active."""
    session = Session(sip, listener, "largemsg", "passive", "sendonly")
    if not session.endpoint_active:
        raise Failure("offered passive, the endpoint did not answer active")
    m = session.msrp
    body = cpim(bytes(random.getrandbits(8) for _ in range(30000)),
                content_type="application/octet-stream")
    message_id, total = token(), len(body)
    cuts = [0, total // 3, 2 * total // 3, total]
    tids = [m.send(message_id, body, cuts[2], cuts[3], total, "$", "message/cpim", report=True),
            m.send(message_id, body, cuts[0], cuts[1], total, "+", "message/cpim", report=True),
            m.send(message_id, body, cuts[1], cuts[2], total, "+", "message/cpim", report=True)]
    m.expect_200s(tids)
    m.expect_reported(message_id)
    endpoint.expect(line_of("large-message", message_id, "message/cpim", body))
    session.end()


def interrupted(sip, listener, endpoint):
    """A chat message given up (its second chunk flagged `#`), then a whole one."""
    session = Session(sip, listener, "session", "actpass")
    m = session.msrp
    dropped, dropped_id = cpim(b"x" * 5000), token()
    tids = [m.send(dropped_id, dropped, 0, 2000, len(dropped), "+", "message/cpim"),
            m.send(dropped_id, dropped, 2000, 4000, len(dropped), "#", "message/cpim")]
    m.expect_200s(tids)
    after, after_id = cpim(b"After the interrupted one"), token()
    m.expect_200s([m.send_whole(after_id, after, "message/cpim")])
    m.expect_reported(after_id)
    endpoint.expect(line_of("session", after_id, "message/cpim", after))
    endpoint.never(dropped_id)
    session.end()


def refused_type(sip, listener, endpoint):
    """A large message of a type outside the endpoint's accept-types: 415."""
    session = Session(sip, listener, "largemsg", "active", "sendonly")
    m = session.msrp
    body, message_id = b"\x89PNG\r\n\x1a\n" + b"\0" * 100, token()
    code = m.response(m.send_whole(message_id, body, "image/png"))
    if code != 415:
        raise Failure(f"a SEND of image/png answered {code}, not 415")
    # The session goes on: a message of an accepted type is still taken.
    good, good_id = cpim(b"Accepted type"), token()
    m.expect_200s([m.send_whole(good_id, good, "message/cpim")])
    m.expect_reported(good_id)
    endpoint.expect(line_of("large-message", good_id, "message/cpim", good))
    endpoint.never(message_id)
    session.end()


def wrong_to_path(sip, listener, endpoint):
    """A SEND on the session's connection whose To-Path names another session: 481."""
    session = Session(sip, listener, "session", "active")
    m = session.msrp
    first, first_id = cpim(b"Binds the connection"), token()
    m.expect_200s([m.send_whole(first_id, first, "message/cpim")])
    m.expect_reported(first_id)
    endpoint.expect(line_of("session", first_id, "message/cpim", first))
    stray_id = token()
    other = re.sub(r"/[^/;]+;tcp$", f"/{token()};tcp", m.remote.split()[-1])
    code = m.response(m.send(stray_id, b"stray", 0, 5, 5, "$", "text/plain", report=True,
                             to_path=other))
    if code != 481:
        raise Failure(f"a SEND to {other} answered {code}, not 481")
    endpoint.never(stray_id)
    session.end()


def chat_imdn(sip, listener, endpoint):
    """is-composing and an IMDN inside CPIM, then a message asking for delivery."""
    session = Session(sip, listener, "session", "active")
    m = session.msrp
    composing = cpim(
        b'<?xml version="1.0" encoding="UTF-8"?>\r\n'
        b'<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing">'
        b"<state>active</state><contenttype>text/plain</contenttype><refresh>60</refresh>"
        b"</isComposing>",
        content_type="application/im-iscomposing+xml",
    )
    notified = "peer-sent-" + token(6)
    imdn = cpim(
        (f'<?xml version="1.0" encoding="UTF-8"?>\r\n'
         f'<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>{notified}</message-id>'
         f"<datetime>2026-12-04T18:59:00Z</datetime>"
         f"<delivery-notification><status><delivered/></status></delivery-notification>"
         f"</imdn>").encode(),
        content_type="message/imdn+xml",
        extra=("Content-Disposition: notification",),
    )
    asking_id = "chat-" + token(6)
    message = cpim(b"Did it arrive?", message_id=asking_id, disposition="positive-delivery")
    ids = [token(), token(), token()]
    for message_id, body in zip(ids, (composing, imdn, message)):
        m.expect_200s([m.send_whole(message_id, body, "message/cpim")])
        m.expect_reported(message_id)
    endpoint.expect("is-composing active")
    endpoint.expect(f"imdn delivered message-id={notified} status=delivered")
    for message_id, body in zip(ids, (composing, imdn, message)):
        endpoint.expect(line_of("session", message_id, "message/cpim", body))

    def answered():
        for headers, body in m.received:
            if (headers.get("content-type", "").startswith("message/cpim")
                    and f"<message-id>{asking_id}</message-id>".encode() in body
                    and b"<delivered/>" in body):
                return True
        return False

    m.until(answered, f"an IMDN delivered about {asking_id} inside the session")
    endpoint.expect(f"-> imdn delivered message-id={asking_id} (in the session)")
    session.end()


SCENARIOS = [
    ("deferred-group", deferred_group),
    ("large-out-of-order", large_out_of_order),
    ("interrupted", interrupted),
    ("refused-type", refused_type),
    ("wrong-to-path", wrong_to_path),
    ("chat-imdn", chat_imdn),
]


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    log_path = sys.argv[2] if len(sys.argv) == 3 else None
    requests = 3 * len(SCENARIOS)  # INVITE, ACK, BYE each
    args = ["--port", "0", "--max-requests", str(requests), "--seconds", "30"]
    failed = 0
    with EndpointProcess(sys.argv[1], args, log_path, prefix="msrp_peer_") as process:
        if process.port is None:
            for name, _ in SCENARIOS:
                print(f"scenario {name} failed the endpoint did not start")
            return 1
        endpoint = Endpoint(process)
        for name, run in SCENARIOS:
            sip = Sip(process.port)
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            ROLES.clear()
            try:
                run(sip, listener, endpoint)
                print(f"scenario {name} ok ({', '.join(ROLES)})", flush=True)
            except (Failure, OSError) as e:
                failed += 1
                print(f"scenario {name} failed {e}", flush=True)
            finally:
                listener.close()
                sip.close()
        code = process.wait(TIMEOUT)
        if code != 0 and failed == 0:
            print(f"msrp_peer: the endpoint did not end after {requests} requests (exit {code})")
            failed += 1
    if failed:
        print(f"msrp_peer: the endpoint's output is in {process.log_path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
