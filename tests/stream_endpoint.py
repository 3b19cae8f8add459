#!/usr/bin/env python3
"""The cpm_endpoint example over TCP, where the library's StreamReader cuts the stream.

    python3 tests/stream_endpoint.py PATH/TO/cpm_endpoint [ENDPOINT_LOG]

Starts the endpoint with `--transport tcp --port 0`, reads the port it bound from its
first line, then checks on loopback:

1. a keep-alive ping (a double CRLF, RFC 5626 4.4.1) gets a pong, a single CRLF, and
   nothing else;
2. two pager MESSAGEs (examples/messages/pager.sip with distinct Call-IDs and
   branches) sent in ONE write on one connection get two 2xx answers, one per Call-ID;
3. one MESSAGE sent ONE BYTE AT A TIME (a write per byte, Nagle off) gets a 2xx.

The endpoint must then have answered exactly three requests and exit 0 (it ends
after the third, which is why the ping comes first). Python 3
standard library only. Exits 0 when every check passes; otherwise prints what failed
and exits 1. The endpoint's output goes to ENDPOINT_LOG (default: a temporary file,
named on failure).
"""

import os
import re
import socket
import sys
import time

from endpoint_process import EndpointProcess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGER = os.path.join(ROOT, "examples", "messages", "pager.sip")
TIMEOUT = 10.0  # seconds, for every wait

failures = []


def fail(why):
    failures.append(why)
    print(f"FAILED  {why}")


def why(error):
    """An exception, said for the failure message."""
    if isinstance(error, (TimeoutError, socket.timeout)):
        return f"no complete answer within {TIMEOUT:g} s"
    return str(error) or type(error).__name__


def pager(n):
    """examples/messages/pager.sip with a Call-ID and a top-Via branch of its own."""
    with open(PAGER, "rb") as f:
        message = f.read()
    message, calls = re.subn(rb"(?m)^Call-ID: ", b"Call-ID: stream-%d-" % n, message, count=1)
    message, branches = re.subn(rb"branch=z9hG4bK", b"branch=z9hG4bKstream%d" % n, message, count=1)
    if calls != 1 or branches != 1:
        sys.exit(f"stream_endpoint: {PAGER} has no Call-ID or no branch")
    return message


def call_id(message):
    found = re.search(rb"(?mi)^(?:call-id|i)[ \t]*:[ \t]*(\S+)", message)
    return found.group(1).decode(errors="replace") if found else None


class Reader:
    """Responses read back from one connection, framed by Content-Length."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no answer in time")
        self.sock.settimeout(left)
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the endpoint closed the connection")
        self.buffer += data

    def message(self, deadline):
        """The next message (CRLFs before it are keep-alives, skipped)."""
        while True:
            self.buffer = self.buffer.lstrip(b"\r\n")
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                head = self.buffer[: end + 4]
                found = re.search(rb"(?mi)^(?:content-length|l)[ \t]*:[ \t]*(\d+)", head)
                length = int(found.group(1)) if found else 0
                if len(self.buffer) >= end + 4 + length:
                    message = self.buffer[: end + 4 + length]
                    self.buffer = self.buffer[end + 4 + length :]
                    return message
            self.fill(deadline)

    def final_responses(self, count):
        """The next `count` final responses (provisional ones skipped), as
        (status, Call-ID, first line)."""
        deadline = time.monotonic() + TIMEOUT
        out = []
        while len(out) < count:
            message = self.message(deadline)
            first = message.split(b"\r\n", 1)[0].decode(errors="replace")
            status = re.match(r"SIP/2\.0 (\d{3}) ", first)
            if not status:
                raise ValueError(f"not a response: {first!r}")
            if int(status.group(1)) >= 200:
                out.append((int(status.group(1)), call_id(message), first))
        return out


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def two_in_one_write(port):
    name = "two requests in one write"
    first, second = pager(1), pager(2)
    with connect(port) as sock:
        sock.sendall(first + second)
        try:
            answers = Reader(sock).final_responses(2)
        except (OSError, ValueError) as e:
            fail(f"{name}: {why(e)}")
            return
    wanted = [call_id(first), call_id(second)]
    got = [c for (_, c, _) in answers]
    bad = [line for (status, _, line) in answers if not 200 <= status < 300]
    if bad:
        fail(f"{name}: not 2xx: {bad}")
    elif sorted(got) != sorted(wanted):
        fail(f"{name}: answers for Call-IDs {got}, wanted {wanted}")
    else:
        print(f"ok      {name}: {', '.join(line for (_, _, line) in answers)}")


def ping(port):
    name = "a ping gets a pong"
    with connect(port) as sock:
        sock.sendall(b"\r\n\r\n")
        reader = Reader(sock)
        try:
            reader.fill(time.monotonic() + TIMEOUT)
            # Anything more would come at once: wait a little for it.
            sock.settimeout(0.3)
            try:
                reader.buffer += sock.recv(65536)
            except socket.timeout:
                pass
        except (OSError, TimeoutError) as e:
            fail(f"{name}: {why(e)}")
            return
    if reader.buffer != b"\r\n":
        fail(f"{name}: got {reader.buffer!r}, wanted b'\\r\\n'")
    else:
        print(f"ok      {name}")


def byte_at_a_time(port):
    name = "one request one byte at a time"
    message = pager(3)
    with connect(port) as sock:
        for i in range(len(message)):
            sock.sendall(message[i : i + 1])
            if i % 64 == 0:
                time.sleep(0.001)  # let some bytes go out as segments of their own
        try:
            answers = Reader(sock).final_responses(1)
        except (OSError, ValueError) as e:
            fail(f"{name}: {why(e)}")
            return
    status, got, line = answers[0]
    if not 200 <= status < 300 or got != call_id(message):
        fail(f"{name}: got {line!r} for Call-ID {got}")
    else:
        print(f"ok      {name}: {line}")


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    args = ["--transport", "tcp", "--port", "0", "--no-imdn", "--max-requests", "3",
            "--seconds", "30"]
    log_path = sys.argv[2] if len(sys.argv) == 3 else None
    with EndpointProcess(sys.argv[1], args, log_path, prefix="stream_endpoint_") as endpoint:
        if endpoint.port is None:
            fail("the endpoint did not start")
        else:
            ping(endpoint.port)
            two_in_one_write(endpoint.port)
            byte_at_a_time(endpoint.port)
            code = endpoint.wait(TIMEOUT)
            if code != 0:
                fail(f"the endpoint did not end after 3 requests (exit status {code})")
            else:
                summary = endpoint.output().decode(errors="replace").strip().splitlines()[-1]
                if not summary.startswith("cpm_endpoint: 3 requests"):
                    fail(f"the endpoint's summary is {summary!r}")
    if failures:
        print(f"stream_endpoint: {len(failures)} failed; the endpoint's output is in "
              f"{endpoint.log_path}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
