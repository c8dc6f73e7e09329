#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# A tiny fake LAVA server for kci's tests: the three REST calls kci makes
# (devices, queued jobs, job submission), on 127.0.0.1, a port of its own.
# Usage: fake-lava.py TOKEN GOOD_DEVICES QUEUED_JOBS REQUESTS
# Prints "PORT <n>", serves REQUESTS requests, then prints what was
# submitted ("SUBMITTED <definition as JSON>") and exits.
import http.server
import json
import sys
import urllib.parse

token, good, queued, requests = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
submitted = []


class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorised(self):
        if self.headers.get("Authorization") != "Token " + token:
            self.reply(401, {"detail": "Invalid token."})
            return False
        return True

    def do_GET(self):
        if not self.authorised():
            return
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/api/v0.2/devices/":
            devices = [{"hostname": f"{query['device_type'][0]}-{i}", "health": "Good"}
                       for i in range(good)] + [{"hostname": "bad", "health": "Bad"}]
            self.reply(200, {"count": len(devices), "results": devices})
        elif url.path == "/api/v0.2/jobs/":
            assert query["state"] == ["Submitted"]
            self.reply(200, {"count": queued, "results": []})
        else:
            self.reply(404, {"detail": "Not found."})

    def do_POST(self):
        if not self.authorised():
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        submitted.append(body["definition"])
        self.reply(201, {"message": "job(s) successfully submitted", "job_ids": [4242]})

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
server.timeout = 30
print("PORT", server.server_address[1], flush=True)
for _ in range(requests):
    server.handle_request()
for definition in submitted:
    print("SUBMITTED", json.dumps(definition), flush=True)
