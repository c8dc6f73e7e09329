#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# A real SMTP server for the notify tests and bench (python3-aiosmtpd):
#   smtp_sink.py PORT DIR [DELAY]
# Listens on 127.0.0.1:PORT and writes each message it accepts to DIR as a
# file of its own (written to a dot-file, then renamed), DELAY seconds (0)
# after the message's data arrived (a slow server, to kill a sender while
# mails go out). Recipients whose
# local part starts with "tempfail" get 451, with "reject" get 550.
# Prints "ready" once listening; runs until killed.
import asyncio
import os
import signal
import sys
import time

from aiosmtpd.controller import Controller


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
    port, directory = int(sys.argv[1]), sys.argv[2]
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    controller = Controller(Sink(directory, delay), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


if __name__ == "__main__":
    main()
