#!/usr/bin/env python3
"""A local stand-in for the news site's email service: receives supportd's reminder deliveries
and the reader's pledge messages.

    deploy/local/notify_inbox.py --listen 127.0.0.1:8091 --secret-file var/dev/notify-secret
    deploy/local/notify_inbox.py ... --answer 410     # play a receiver that disabled supportd

Each POST is checked as a Standard Webhook (https://www.standardwebhooks.com/): `webhook-id`,
`webhook-timestamp` (within 5 minutes of now) and `webhook-signature`, a space-separated list of
`v1,<base64 HMAC-SHA256>` over `<id>.<timestamp>.<body>`, keyed with the base64-decoded part of a
`whsec_...` secret. The secret file holds one secret per line (several while rotating: any one
matching is enough). A good delivery prints one line (a reminder with its address and unsubscribe
link; a pledge message with its pledge, amount and links) and gets 204 (or the status given with --answer); a redelivery of a webhook-id already seen is printed as such and gets 204
too (a receiver must be idempotent); a bad signature or a malformed request gets 400.

Python 3 standard library only. Sends no email: this is where a real email service would.
"""
import argparse
import base64
import binascii
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 5 * 60
MAX_BODY_BYTES = 1 << 20


def read_keys(path):
    """The raw HMAC keys of the whsec_ secrets in `path`, one per line."""
    keys = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            if not line.startswith("whsec_"):
                sys.exit(f"{path} line {number}: expected a whsec_... secret")
            try:
                keys.append(base64.b64decode(line[len("whsec_"):], validate=True))
            except binascii.Error:
                sys.exit(f"{path} line {number}: the secret is not base64")
    if not keys:
        sys.exit(f"{path}: no secret")
    return keys


def signature_matches(header, msg_id, timestamp, body, keys):
    """Whether any v1 signature of `header` is the HMAC of the signed content under any key."""
    content = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = [base64.b64encode(hmac.new(k, content, hashlib.sha256).digest()) for k in keys]
    for entry in header.split(" "):
        version, _, signature = entry.partition(",")
        if version != "v1":
            continue
        for want in expected:
            if hmac.compare_digest(signature.encode(), want):
                return True
    return False


class Inbox(BaseHTTPRequestHandler):
    server_version = "notify-inbox"
    keys = []
    log_file = None
    status = 204
    seen = set()
    seen_lock = threading.Lock()

    def answer(self, status, text=""):
        body = text.encode()
        self.send_response(status)
        if body:
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def say(self, line):
        print(f"notify-inbox: {line}", flush=True)
        if self.log_file:
            with open(self.log_file, "a", encoding="utf-8") as f:
                f.write(line + "\n")

    def do_POST(self):
        msg_id = self.headers.get("webhook-id", "")
        timestamp = self.headers.get("webhook-timestamp", "")
        signature = self.headers.get("webhook-signature", "")
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self.say("refused: no or too large Content-Length")
            return self.answer(400, "Content-Length required")
        body = self.rfile.read(length)
        if not (msg_id and timestamp.isdigit() and signature):
            self.say("refused: missing webhook-id, webhook-timestamp or webhook-signature")
            return self.answer(400, "missing Standard Webhooks headers")
        if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
            self.say(f"refused {msg_id}: timestamp {timestamp} is not within 5 minutes of now")
            return self.answer(400, "stale timestamp")
        if not signature_matches(signature, msg_id, timestamp, body, self.keys):
            self.say(f"refused {msg_id}: bad signature")
            return self.answer(400, "bad signature")
        try:
            event = json.loads(body)
            data = event["data"]
        except (ValueError, KeyError, TypeError):
            self.say(f"refused {msg_id}: the body is not an event")
            return self.answer(400, "not an event")
        if self.status != 204:
            self.say(f"answered {self.status} to {msg_id} (--answer)")
            return self.answer(self.status)
        with self.seen_lock:
            duplicate = msg_id in self.seen
            self.seen.add(msg_id)
        if duplicate:
            self.say(f"duplicate {msg_id} (already handled; not sent again)")
            return self.answer(204)
        self.say(describe(event.get("type"), data))
        return self.answer(204)

    def log_message(self, format, *args):  # the one line per delivery is enough
        pass


# Each message's type-specific fields worth seeing, in order (proto/events/ describes them all).
PLEDGE_FIELDS = ("charged_minor", "charged_at", "attempt_count", "next_retry_at", "renews_at",
                 "canceled_by", "update_payment_url", "restart_url", "manage_url")


def describe(kind, data):
    """The one line a delivery prints: what a real email service would send, to whom."""
    if not isinstance(kind, str) or not kind.startswith("pledge."):
        return (f"{kind} reminder={data.get('reminder_id')} email={data.get('email')} "
                f"due_at={data.get('due_at')} give={data.get('give_url')} "
                f"unsubscribe={data.get('unsubscribe_url')}")
    words = [kind, f"pledge={data.get('pledge_id')}", f"email={data.get('email')}",
             f"amount_minor={data.get('amount_minor')} {data.get('currency')}",
             f"interval={data.get('interval')}"]
    words += [f"{name}={data[name]}" for name in PLEDGE_FIELDS if data.get(name) is not None]
    return " ".join(words)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", default="127.0.0.1:8091", help="HOST:PORT (127.0.0.1:8091)")
    parser.add_argument("--secret-file", required=True, help="whsec_... secrets, one per line")
    parser.add_argument("--log", help="also append each line to this file")
    parser.add_argument("--answer", type=int, default=204,
                        help="status for good deliveries (204); e.g. 410 or 503 to try alerts")
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    Inbox.keys = read_keys(args.secret_file)
    Inbox.log_file = args.log
    Inbox.status = args.answer
    server = ThreadingHTTPServer((host, int(port)), Inbox)
    print(f"notify-inbox: listening on http://{args.listen}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
