#!/usr/bin/env python3
"""A real SMTP server for Sealpost's mail tests (aiosmtpd).

    python3 smtp_sink.py --port 2525 --dir /tmp/received

Listens on 127.0.0.1:<port> and stores each accepted message in <dir> as
`<n>.eml` (the DATA bytes exactly as received, after the SMTP dot-unstuffing)
next to `<n>.peer` (the client's address and port: which connection brought it)
and `<n>.env` (the envelope: the MAIL FROM address on the first line, one RCPT
TO address per following line). Each file appears atomically (written to a
temporary name, then renamed; the .env last), before the server answers 250.
Each QUIT leaves `quit-<client port>.quit`.

Recipients are refused by their local part, so tests can choose the outcome:
    tempfail*  -> 451 4.3.0 (try again later)
    reject*    -> 550 5.1.1 (no such user)
anything else is accepted. Prints "ready <port>" once listening; stops on
SIGTERM/SIGINT or when stdin closes.

    --delay-ms N   after storing each message, wait N milliseconds before
                   answering 250 (a slow relay; default 0). A client killed in
                   that window has delivered a message it does not know about and
                   will send again: what crash tests need to see duplicates.

Needs aiosmtpd: pip install aiosmtpd
"""

import argparse
import asyncio
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory, delay_ms=0):
        self.directory = directory
        self.delay = max(delay_ms, 0) / 1000.0
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("tempfail"):
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: Recipient address rejected: no such user" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        base = os.path.join(self.directory, "%04d" % n)
        write_atomically(base + ".eml", envelope.original_content)
        write_atomically(base + ".peer", peer_of(session).encode("utf-8"))
        lines = [envelope.mail_from or ""] + list(envelope.rcpt_tos)
        write_atomically(base + ".env", ("\n".join(lines) + "\n").encode("utf-8"))
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 2.0.0 Queued as %04d" % n

    async def handle_QUIT(self, server, session, envelope):
        port = session.peer[1] if session.peer else 0
        write_atomically(os.path.join(self.directory, "quit-%d.quit" % port), peer_of(session).encode("utf-8"))
        return "221 Bye"


def peer_of(session):
    return "%s:%s" % tuple(session.peer[:2]) if session.peer else "-"


def write_atomically(path, data):
    temp = path + ".part"
    with open(temp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--delay-ms", type=int, default=0,
                        help="wait this long after storing each message before answering 250")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    controller = Controller(Sink(args.dir, args.delay_ms), hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready %d" % args.port, flush=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    def watch_stdin():
        # The parent holds our stdin; when it dies without killing us, we stop too.
        try:
            sys.stdin.read()
        finally:
            stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
