#!/usr/bin/python3
# stall-http.py — a web server on 127.0.0.1 for download fault tests: serves FILE at /NAME (its base
# name), honouring "Range: bytes=N-" (resumed downloads), and stalls the first request for the whole
# file after sending STALL_BYTES of it, until the client goes away. The port it listens on is written
# to PORTFILE; each request is appended to PORTFILE.log ("GET /NAME range=N-" or "range=-").
#
#   stall-http.py FILE PORTFILE [STALL_BYTES]
import http.server
import os
import socketserver
import sys
import time

path, portfile = sys.argv[1], sys.argv[2]
stall_bytes = int(sys.argv[3]) if len(sys.argv) > 3 else 2 * 1024 * 1024
name = "/" + os.path.basename(path)
stalled = False


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_HEAD(self):
        self.serve(head=True)

    def do_GET(self):
        self.serve(head=False)

    def serve(self, head):
        global stalled
        rng = self.headers.get("Range", "")
        with open(portfile + ".log", "a") as log:
            log.write(f"{self.command} {self.path} range={rng[6:] if rng.startswith('bytes=') else '-'}\n")
        if self.path != name:
            self.send_error(404)
            return
        size = os.path.getsize(path)
        start = 0
        if rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
        if start > size:
            self.send_error(416)
            return
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(size - start))
        self.send_header("Accept-Ranges", "bytes")
        if start:
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.end_headers()
        if head:
            return
        stall = not stalled and start == 0
        stalled = stalled or stall
        with open(path, "rb") as f:
            f.seek(start)
            sent = 0
            while True:
                chunk = f.read(65536)
                if not chunk:
                    break
                try:
                    self.wfile.write(chunk)
                    self.wfile.flush()
                except OSError:
                    return
                sent += len(chunk)
                if stall and sent >= stall_bytes:
                    # hold the connection open, sending nothing, until the client is gone
                    while True:
                        time.sleep(0.2)
                        try:
                            self.connection.send(b"")
                            if self.connection.recv(1, 0x40) == b"":   # MSG_DONTWAIT: EOF = gone
                                return
                        except BlockingIOError:
                            continue
                        except OSError:
                            return


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
