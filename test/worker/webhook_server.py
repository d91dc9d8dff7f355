#!/usr/bin/python3
"""A webhook receiver for the worker test: records every request (path,
Idempotency-Key, body, arrival time) as a JSON line and answers by path,
counting the requests of each idempotency key:

  /ok      200 with feedback events: {"events": [{"name": "<channel>_delivered", ...}, "junk",
           {"name": "<channel>_opened", ...}]}, the last with a NUL that jsonb refuses
  /flaky   503 with Retry-After: 0 the first time, then 200
  /busy    429 with Retry-After: 3 the first time, 503 without it the second, then 200
  /bad     400
  /moved   302 to /ok (a redirect is not followed)
  /slow    sleeps 3 s before answering 200 (longer than the worker's time-out)
  /hold    the first time sleeps 4 s before answering 200 (the worker's lease runs
           out meanwhile, or the worker is killed), then 200 at once

    webhook_server.py PORT_FILE LOG_FILE    (writes the port it listens on)
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

seen = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        key = self.headers.get("Idempotency-Key")
        with lock:
            count = seen[(self.path, key)] = seen.get((self.path, key), 0) + 1
            with open(LOG, "a") as f:
                f.write(json.dumps({"path": self.path, "key": key, "t": time.time(), "body": body}) + "\n")
        if self.path == "/ok":
            self.answer(200, {"events": [{"name": body["channel"] + "_delivered", "properties": {"provider": "test"}},
                                         "junk",
                                         {"name": body["channel"] + "_opened", "properties": {"nul": "\u0000"}}]})
        elif self.path == "/flaky":
            if count == 1:
                self.answer(503, {"error": "busy"}, {"Retry-After": "0"})
            else:
                self.answer(200, {})
        elif self.path == "/busy":
            if count == 1:
                self.answer(429, {"error": "slow down"}, {"Retry-After": "3"})
            elif count == 2:
                self.answer(503, {"error": "busy"})
            else:
                self.answer(200, {})
        elif self.path == "/bad":
            self.answer(400, {"error": "no such address"})
        elif self.path == "/moved":
            self.answer(302, {}, {"Location": "/ok"})
        elif self.path == "/slow":
            time.sleep(3)
            self.answer(200, {})
        elif self.path == "/hold":
            if count == 1:
                time.sleep(4)
            self.answer(200, {})
        else:
            self.answer(404, {})

    def answer(self, status, doc, headers=None):
        data = json.dumps(doc).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the worker gave up waiting, or was killed

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    PORT_FILE, LOG = sys.argv[1], sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(PORT_FILE + ".new", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(PORT_FILE + ".new", PORT_FILE)
    server.serve_forever()
