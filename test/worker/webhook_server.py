#!/usr/bin/python3
"""A webhook receiver for the worker test: records every request and answers
by path.

  /ok      200, and a feedback event {"events": [{"name": "<channel>_delivered"}]}
  /flaky   503 with Retry-After: 0 the first time a key is seen, then 200
  /bad     400
  /slow    sleeps 3 s before answering 200 (longer than the worker's timeout)

    webhook_server.py PORT_FILE LOG_FILE    (writes the port it listens on)
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

seen = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        key = self.headers.get("Idempotency-Key")
        with lock:
            seen[(self.path, key)] = seen.get((self.path, key), 0) + 1
            count = seen[(self.path, key)]
            with open(LOG, "a") as f:
                f.write(json.dumps({"path": self.path, "key": key, "body": json.loads(body)}) + "\n")
        if self.path == "/ok":
            channel = json.loads(body)["channel"]
            self.answer(200, {"events": [{"name": channel + "_delivered", "properties": {"provider": "test"}}]})
        elif self.path == "/flaky":
            if count == 1:
                self.answer(503, {"error": "busy"}, {"Retry-After": "0"})
            else:
                self.answer(200, {})
        elif self.path == "/bad":
            self.answer(400, {"error": "no such address"})
        elif self.path == "/slow":
            time.sleep(3)
            self.answer(200, {})
        else:
            self.answer(404, {})

    def answer(self, status, doc, headers=None):
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(data)
        except BrokenPipeError:
            pass

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    PORT_FILE, LOG = sys.argv[1], sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(PORT_FILE, "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()
