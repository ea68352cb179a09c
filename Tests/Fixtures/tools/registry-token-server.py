#!/usr/bin/env python3
"""A Docker registry token server for imgtool's push tests (python3 stdlib + the openssl command).

Implements the token flow of the distribution registry (`auth.token` in its config) on a free
loopback port:

    GET /token?service=S&scope=repository:NAME:pull,push&scope=...&account=A
        with HTTP Basic credentials (or none);
    POST /token  (the OAuth2 form: grant_type=password, username, password, service, scope;
        grant_type=refresh_token answers 400: no refresh tokens are issued).

Users come from the command line: `--user alice:secret:pull,push --user reader:secret:pull`
(the rights hold for every repository; `*` grants every action). The token grants, for each
`repository` scope asked for, the actions asked for that the user holds (the intersection; a scope
of another type, such as `registry:catalog:*`, only to a user holding `*`). Wrong credentials
(unknown user, wrong password, malformed header) get 401 with `WWW-Authenticate: Basic`.
Anonymous requests (no Authorization) get a token with an empty access list, as Docker Hub does:
the registry then answers 401/insufficient_scope (pull) or denies (push).

The token is a JWT signed RS256 (RSASSA-PKCS1-v1_5 with SHA-256, by `openssl dgst -sha256 -sign
KEY`); its header carries `x5c` (the DER of --cert, base64), which distribution 2.8 verifies
against its `rootcertbundle` (that same certificate). Claims: iss (--issuer), sub (the user, ""
when anonymous), aud (the service asked for), exp (now + --expires-in), nbf and iat (now - 1 s,
for clock skew), jti, access.

Answers `{"token": JWT, "access_token": JWT, "expires_in": N, "issued_at": RFC 3339}`.

It prints the port it listens on as the first line of stdout when ready. With --log FILE it
appends one JSON line per request: {"method", "path", "user", "scopes", "granted", "status"}.

Usage: registry-token-server.py --key KEY.pem --cert CERT.pem --issuer ISS [--user U:P:ACTIONS]...
       [--expires-in SECONDS] [--port N] [--log FILE]
"""
import argparse
import base64
import datetime
import http.server
import json
import os
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

parser = argparse.ArgumentParser()
parser.add_argument("--key", required=True, help="the RSA private key (PEM) that signs tokens")
parser.add_argument("--cert", required=True, help="its certificate (PEM), sent as x5c")
parser.add_argument("--issuer", required=True)
parser.add_argument("--user", action="append", default=[], help="NAME:PASSWORD:ACTIONS (comma-separated, or *)")
parser.add_argument("--expires-in", type=int, default=300)
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--log", default=None)
args = parser.parse_args()

users = {}
for spec in args.user:
    name, sep, rest = spec.partition(":")
    password, sep2, actions = rest.rpartition(":")
    if not sep or not sep2 or not name:
        sys.exit("--user wants NAME:PASSWORD:ACTIONS, got %r" % spec)
    users[name] = (password, set(a for a in actions.split(",") if a))

with open(args.cert) as f:
    der = ssl.PEM_cert_to_DER_cert(f.read())
x5c = base64.b64encode(der).decode()

log_lock = threading.Lock()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(payload):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [x5c]}
    signing_input = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + b64url(
        json.dumps(payload, separators=(",", ":")).encode()
    )
    signature = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", args.key],
        input=signing_input.encode(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        check=True,
    ).stdout
    return signing_input + "." + b64url(signature)


def parse_scope(text):
    """`type:name:actions`; the name may hold colons (a port), the type may not."""
    kind, sep, rest = text.partition(":")
    name, sep2, actions = rest.rpartition(":")
    if not sep or not sep2:
        return None
    return kind, name, [a for a in actions.split(",") if a]


def grant(user, scopes):
    rights = users[user][1] if user is not None else set()
    access = []
    for text in scopes:
        parsed = parse_scope(text)
        if parsed is None:
            continue
        kind, name, wanted = parsed
        if kind == "repository":
            actions = [a for a in wanted if "*" in rights or a in rights]
        else:
            actions = list(wanted) if "*" in rights else []
        if actions:
            # One entry per resource, the actions merged (a client may ask twice).
            for entry in access:
                if entry["type"] == kind and entry["name"] == name:
                    entry["actions"] = sorted(set(entry["actions"]) | set(actions))
                    break
            else:
                access.append({"type": kind, "name": name, "actions": actions})
    return access


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def record(self, user, scopes, granted, status):
        if not args.log:
            return
        line = json.dumps(
            {
                "method": self.command,
                "path": urllib.parse.urlsplit(self.path).path,
                "user": user,
                "scopes": scopes,
                "granted": granted,
                "status": status,
            }
        )
        with log_lock:
            with open(args.log, "a") as f:
                f.write(line + "\n")

    def answer(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def unauthorized(self, scopes):
        self.record(None, scopes, None, 401)
        self.answer(
            401,
            {"errors": [{"code": "UNAUTHORIZED", "message": "wrong user name or password"}]},
            [("WWW-Authenticate", 'Basic realm="registry-token-server"')],
        )

    def issue(self, user, service, scopes):
        granted = grant(user, scopes)
        now = int(time.time())
        claims = {
            "iss": args.issuer,
            "sub": user or "",
            "aud": service,
            "exp": now + args.expires_in,
            "nbf": now - 1,
            "iat": now - 1,
            "jti": b64url(os.urandom(12)),
            "access": granted,
        }
        token = sign(claims)
        issued = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.record(user, scopes, granted, 200)
        self.answer(200, {"token": token, "access_token": token, "expires_in": args.expires_in, "issued_at": issued})

    def check(self, name, password):
        """The user name if the credentials are right; raises LookupError if wrong."""
        entry = users.get(name)
        if entry is None or entry[0] != password:
            raise LookupError(name)
        return name

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        scopes = [s for value in query.get("scope", []) for s in value.split(" ") if s]
        if url.path != "/token":
            self.record(None, scopes, None, 404)
            return self.answer(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
        service = query.get("service", [""])[0]
        header = self.headers.get("Authorization")
        user = None
        if header is not None:
            try:
                kind, _, value = header.partition(" ")
                if kind.lower() != "basic":
                    raise LookupError(kind)
                name, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
                if not sep:
                    raise LookupError(name)
                user = self.check(name, password)
            except (LookupError, ValueError, UnicodeDecodeError):
                return self.unauthorized(scopes)
        self.issue(user, service, scopes)

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode(errors="replace"))
        scopes = [s for value in form.get("scope", []) for s in value.split(" ") if s]
        if url.path != "/token":
            self.record(None, scopes, None, 404)
            return self.answer(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
        grant_type = form.get("grant_type", [""])[0]
        if grant_type != "password":
            self.record(None, scopes, None, 400)
            return self.answer(400, {"error": "unsupported_grant_type"})
        try:
            user = self.check(form.get("username", [""])[0], form.get("password", [""])[0])
        except LookupError:
            return self.unauthorized(scopes)
        self.issue(user, form.get("service", [""])[0], scopes)


server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
