"""The cpm_endpoint example run as a child process, for the Python checks in tests/.

    from endpoint_process import EndpointProcess

    with EndpointProcess(binary, ["--transport", "tcp", "--port", "0"], log_path,
                         prefix="stream_endpoint_") as endpoint:
        if endpoint.port is None:
            ...  # it did not start within TIMEOUT
        ...
        code = endpoint.wait()

The endpoint's output (stdout and stderr) goes to a log file: the path given, or a
temporary file whose name starts with `prefix`. `port` is read from the endpoint's
first line, `listening on <udp|tcp> 127.0.0.1:<port>, ...`, which it prints once it
has bound its socket, so a check can start sending as soon as `port` is set. Leaving
the `with` block kills the endpoint if it is still running. Python 3 standard library
only.
"""

import os
import re
import subprocess
import tempfile
import time

TIMEOUT = 5.0  # seconds to wait for the endpoint's first line, and for it to end

LISTENING = re.compile(rb"listening on (?:udp|tcp) 127\.0\.0\.1:(\d+),")


class EndpointProcess:
    """One cpm_endpoint process, its log, and the port it listens on."""

    def __init__(self, binary, args, log_path=None, prefix="cpm_endpoint_"):
        if log_path is None:
            handle, log_path = tempfile.mkstemp(prefix=prefix, suffix=".log")
            os.close(handle)
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                [binary, *args], stdout=log, stderr=subprocess.STDOUT
            )
        self.port = self._wait_for_port()

    def _wait_for_port(self):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            found = LISTENING.search(self.output())
            if found:
                return int(found.group(1))
            if self.process.poll() is not None:
                return None
            time.sleep(0.02)
        return None

    def output(self):
        """Everything the endpoint has printed so far, as bytes."""
        with open(self.log_path, "rb") as log:
            return log.read()

    def wait(self, timeout=TIMEOUT):
        """The endpoint's exit status once it ends, or None if it runs past `timeout`."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """Kills the endpoint if it is still running."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.stop()
        return False
