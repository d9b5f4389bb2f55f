#!/usr/bin/env python3
"""A local SMTP sink for Trove's e-mail tests (aiosmtpd, from PyPI).

Listens on 127.0.0.1 (a free port unless --port is given), prints "listening on HOST:PORT"
once ready, and writes each message it accepts to DIR/NNNNN.eml with an "X-Sink-To:" line per
envelope recipient first. Recipients whose local part starts with "refuse" are refused with
550, so tests can see a failing delivery recorded. Stops on SIGTERM or SIGINT.

Usage: scripts/smtp-sink.py DIR [--port PORT]
"""
import argparse
import itertools
import os
import signal
import socket
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.numbers = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@", 1)[0].lower().startswith("refuse"):
            return "550 5.1.1 mailbox refused by the test sink"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            number = next(self.numbers)
        head = "".join(f"X-Sink-To: {to}\r\n" for to in envelope.rcpt_tos).encode()
        path = os.path.join(self.folder, f"{number:05d}.eml")
        with open(path + ".part", "wb") as out:
            out.write(head + envelope.original_content)
        os.replace(path + ".part", path)
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.folder, exist_ok=True)
    port = args.port or free_port()
    controller = Controller(Sink(args.folder), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"listening on 127.0.0.1:{port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
