#!/usr/bin/env python3
"""Hostile clients against the webhook service, on loopback, bounded in time.

    python3 benches/load/hostile.py [path/to/webhook]   (default: target/release/webhook)

Two attacks, each against a fresh service on the example BPMN (outbox off,
journal in a temporary directory), and how long a genuine signed Twilio SMS
then takes to be answered:

  slow-bodies  1,000 connections send a head and one byte of a 100-byte body
               without a valid signature, then stall (body timeout 60 s);
  idle         2,000 connections say nothing, the service runs at
               `ulimit -n 1024` (systemd's default).

Each genuine request is given 15 s; a timeout is reported as such.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time

BINARY = sys.argv[1] if len(sys.argv) > 1 else "target/release/webhook"
TOKEN = "hostile-test-token"
BPMN = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signed(port):
    url = f"http://127.0.0.1:{port}/inbound/sms-received"
    out = subprocess.run(
        [BINARY, "sign", "--token", TOKEN, "--url", url,
         "--form", "SmsStatus=received", "--form", "From=+15005550006",
         "--form", "Body=Hello", "--form", "MessageSid=SM1"],
        check=True, capture_output=True, text=True).stdout
    fields = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    return fields["X-Twilio-Signature"], fields["Body"]


def genuine(port, signature, body, timeout=15.0):
    """Seconds until the answer's status line arrives, and the status."""
    request = (f"POST /inbound/sms-received HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\n"
               f"X-Twilio-Signature: {signature}\r\nConnection: close\r\n"
               f"Content-Length: {len(body)}\r\n\r\n{body}")
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(max(0.1, timeout - (time.monotonic() - started)))
            s.sendall(request.encode())
            answer = s.recv(64).decode(errors="replace")
        return time.monotonic() - started, answer.split(" ")[1] if " " in answer else "?"
    except OSError as e:
        return time.monotonic() - started, f"no answer ({e})"


def start(port, extra, ulimit=None):
    work = tempfile.mkdtemp()
    args = [BINARY, "--bpmn", BPMN, "--listen", f"127.0.0.1:{port}", "--no-outbox",
            "--journal", os.path.join(work, "journal.jsonl"), "--reload-interval-ms", "0",
            "--public-url", f"http://127.0.0.1:{port}"] + extra
    if ulimit:
        args = ["bash", "-c", f"ulimit -n {ulimit} && exec \"$@\"", "bash"] + args
    env = dict(os.environ, SECRET_TWILIO_AUTH_TOKEN=TOKEN, RUST_LOG="error")
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the service did not start")


def attack(name, count, opener, extra, ulimit=None):
    port = free_port()
    proc = start(port, extra, ulimit)
    try:
        signature, body = signed(port)
        held = [opener(port) for _ in range(count)]
        time.sleep(0.3)
        took, status = genuine(port, signature, body)
        print(f"{name:12} {count} held: genuine request -> {status} in {took * 1000:.1f} ms")
        for s in held:
            s.close()
    finally:
        proc.kill()
        proc.wait()


def slow_body(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall((f"POST /inbound/sms-received HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: bogus\r\n"
               "Content-Length: 100\r\n\r\nB").encode())
    return s


def idle(port):
    return socket.create_connection(("127.0.0.1", port))


if __name__ == "__main__":
    attack("slow-bodies", 1000, slow_body, ["--body-read-timeout-ms", "60000"])
    attack("idle", 2000, idle, [], ulimit=1024)
