#!/usr/bin/env python3
"""The cpm_endpoint example over UDP, where the library's TransactionLayer runs.

    python3 tests/udp_transactions.py PATH/TO/cpm_endpoint [ENDPOINT_LOG]

Starts the endpoint with `--transport udp --port 0 --max-requests 3`, reads the port
it bound from its first line, then checks on loopback:

1. a pager MESSAGE sent twice, byte for byte (a UDP retransmission, RFC 3261
   17.2.3), gets the same 200 twice, and the handler is called once;
2. a session INVITE left unacknowledged gets its 200 again and again (RFC 3261
   13.3.1.4: from T1, doubling), and no more once the ACK is sent.

The endpoint must then have counted three requests (MESSAGE, INVITE, ACK) and one
retransmission, and exit 0. Python 3 standard library only. Exits 0 when every check
passes; otherwise prints what failed and exits 1.
"""

import re
import socket
import sys
import time

from endpoint_process import EndpointProcess

TIMEOUT = 10.0
failures = []


def fail(why):
    failures.append(why)
    print(f"FAILED  {why}")


def request(method, port, local, branch, call_id, cseq, extra, body=b""):
    head = (
        f"{method} sip:+15550100002@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch={branch};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:+15550100001@127.0.0.1>;tag=py{call_id}\r\n"
        f"To: <sip:+15550100002@127.0.0.1>{extra.get('to_tag', '')}\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq} {method}\r\n"
        f"Contact: <sip:+15550100001@127.0.0.1:{local}>\r\n"
        + extra.get("headers", "")
        + f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def receive(sock, until):
    """Every datagram received before `until` (monotonic), as bytes."""
    got = []
    while True:
        left = until - time.monotonic()
        if left <= 0:
            return got
        sock.settimeout(left)
        try:
            data, _ = sock.recvfrom(65535)
        except socket.timeout:
            return got
        got.append(data)


def first_line(message):
    return message.split(b"\r\n", 1)[0].decode(errors="replace")


def status(message):
    found = re.match(rb"SIP/2\.0 (\d{3})", message)
    return int(found.group(1)) if found else None


def check(endpoint):
    port = endpoint.port
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    local = sock.getsockname()[1]
    target = ("127.0.0.1", port)

    # 1. A MESSAGE and its copy.
    pager = request(
        "MESSAGE", port, local, "z9hG4bKpy-msg", "py-msg", 1,
        {"headers": "Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"\r\n"
                    "Content-Type: text/plain\r\n"},
        b"Hello over UDP",
    )
    sock.sendto(pager, target)
    first = receive(sock, time.monotonic() + 0.5)
    sock.sendto(pager, target)
    second = receive(sock, time.monotonic() + 0.5)
    name = "a MESSAGE sent twice gets the same answer twice"
    if len(first) != 1 or len(second) != 1 or first[0] != second[0] or status(first[0]) != 200:
        fail(f"{name}: got {[first_line(m) for m in first + second]}")
    else:
        print(f"ok      {name}: {first_line(first[0])}")

    # 2. An INVITE whose 200 is not acknowledged for 2 s, then is.
    sdp = (b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           b"m=message 9 TCP/MSRP *\r\na=accept-types:message/cpim\r\n"
           b"a=path:msrp://127.0.0.1:9/py;tcp\r\na=setup:active\r\na=sendrecv\r\n")
    invite = request(
        "INVITE", port, local, "z9hG4bKpy-inv", "py-inv", 1,
        {"headers": "Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"\r\n"
                    "P-Preferred-Service: urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session\r\n"
                    "Content-Type: application/sdp\r\n"},
        sdp,
    )
    sock.sendto(invite, target)
    answers = receive(sock, time.monotonic() + 2.0)
    oks = [m for m in answers if status(m) == 200]
    name = "the 200 to an INVITE is sent again until the ACK"
    if len(oks) < 2:
        fail(f"{name}: {len(oks)} copies of the 200 in 2 s, wanted at least 2")
        return
    to_tag = re.search(rb"(?mi)^To:.*(;tag=[^;\r\n]+)", oks[0])
    ack = request("ACK", port, local, "z9hG4bKpy-ack", "py-inv", 1,
                  {"to_tag": to_tag.group(1).decode() if to_tag else ""})
    sock.sendto(ack, target)
    # A copy already on its way may still come; nothing after that.
    receive(sock, time.monotonic() + 0.2)
    late = [m for m in receive(sock, time.monotonic() + 2.5) if status(m) == 200]
    if late:
        fail(f"{name}: {len(late)} more 200s after the ACK")
    else:
        print(f"ok      {name}: {len(oks)} copies in 2 s, none after the ACK")

    code = endpoint.wait(TIMEOUT)
    if code is None:
        fail("the endpoint did not end after three requests")
        return
    summary = re.search(rb"cpm_endpoint: (\d+) requests, (\d+) retransmissions", endpoint.output())
    counts = (int(summary.group(1)), int(summary.group(2))) if summary else None
    if code != 0 or counts != (3, 1):
        fail(f"the endpoint exited {code} counting (requests, retransmissions) = {counts}, wanted (3, 1)")
    else:
        print("ok      the endpoint counted 3 requests and 1 retransmission")


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    args = ["--transport", "udp", "--port", "0", "--no-imdn", "--max-requests", "3",
            "--seconds", "30"]
    log_path = sys.argv[2] if len(sys.argv) == 3 else None
    with EndpointProcess(sys.argv[1], args, log_path, prefix="udp_transactions_") as endpoint:
        if endpoint.port is None:
            sys.exit(f"udp_transactions: the endpoint did not start (see {endpoint.log_path})")
        check(endpoint)


if __name__ == "__main__":
    main()
    if failures:
        sys.exit(1)
