#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# A real SMTP server for the notify tests and bench (python3-aiosmtpd):
#   smtp_sink.py PORT DIR [DELAY] [--tls CERT KEY] [--auth USER:PASSWORD]
# Listens on 127.0.0.1:PORT and writes each message it accepts to DIR as a
# file of its own (written to a dot-file, then renamed), DELAY seconds (0)
# after the message's data arrived (a slow server, to kill a sender while
# mails go out). Recipients whose
# local part starts with "tempfail" get 451, with "reject" get 550.
# --tls: STARTTLS with that certificate, required before MAIL; --auth: AUTH
# (PLAIN, LOGIN; after STARTTLS) with that user and password, required.
# Prints "ready" once listening; runs until killed.
import argparse
import asyncio
import os
import ssl
import signal
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    def __init__(self, directory, delay):
        self.directory = directory
        self.delay = delay
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local.startswith("tempfail"):
            return "451 4.3.0 try again later"
        if local.startswith("reject"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        self.count += 1
        name = "%d-%d-%d.eml" % (time.time_ns(), os.getpid(), self.count)
        tmp = os.path.join(self.directory, "." + name)
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(self.directory, name))
        return "250 OK"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("directory")
    p.add_argument("delay", type=float, nargs="?", default=0.0)
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--auth", metavar="USER:PASSWORD")
    a = p.parse_args()
    options = {}
    if a.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(a.tls[0], a.tls[1])
        options.update(tls_context=context, require_starttls=True)
    if a.auth:
        user, password = a.auth.split(":", 1)

        def check(server, session, envelope, mechanism, data):
            ok = data.login == user.encode() and data.password == password.encode()
            return AuthResult(success=ok, handled=False)

        options.update(authenticator=check, auth_required=True,
                       auth_require_tls=bool(a.tls))
    controller = Controller(Sink(a.directory, a.delay), hostname="127.0.0.1", port=a.port,
                            **options)
    controller.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


if __name__ == "__main__":
    main()
