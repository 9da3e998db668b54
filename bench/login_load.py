#!/usr/bin/env python3
"""Login load generator for bench/run.sh (issue 8, target 1). Standard library only.

Each login is what a browser does: GET /accedi on a fresh session (session cookie + CSRF
token from the form), then POST /accedi with username, password and token; a success is
the 303 redirect to /area-clienti; a 503 with Retry-After is a refusal (over capacity),
counted apart with its own latency. Latency is measured on the POST alone (the login
request; the GET is a cheap page). Each worker thread keeps one keep-alive connection.

  closed mode: --workers N logins in flight, back to back, for --seconds (capacity).
  paced mode:  --rate R logins/s scheduled open-loop (start i at t0 + i/R) for --seconds;
               a start is "late" when no worker was free at its slot, so queueing in the
               generator is visible instead of hidden (coordinated omission).

With --totp-secret HEX every user has that authenticator app (bench/run.sh seeds it):
the login is the password POST, then POST /accedi/verifica with the app's current code
(RFC 6238, computed here), and the latency covers both. Each user's browser cookie is
kept, as a browser keeps it, so only a user's first login is from a new browser.

Prints one line of key=value pairs.
"""
import argparse
import hashlib
import hmac
import http.client
import re
import struct
import threading
import time
import urllib.parse

CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')


def cookies_of(resp, jar=None):
    """The cookies a response sets, over those of `jar` (name -> "name=value")."""
    jar = dict(jar or {})
    for name, value in resp.getheaders():
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            jar[pair.split("=", 1)[0]] = pair
    return jar


def header_of(jar):
    return "; ".join(jar.values())


def totp(secret, at):
    """RFC 6238: SHA-1, 6 digits, 30-second steps."""
    mac = hmac.new(secret, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)


def post(conn, path, fields, jar):
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": header_of(jar)}
    conn.request("POST", path, body=urllib.parse.urlencode(fields), headers=headers)
    resp = conn.getresponse()
    resp.read()
    return resp


def one_login(conn, username, password, secret, browsers):
    """Returns (status, latency in seconds of the POSTs)."""
    conn.request("GET", "/accedi", headers={"Cookie": header_of(browsers.get(username, {}))})
    resp = conn.getresponse()
    body = resp.read()
    jar = cookies_of(resp, browsers.get(username))
    token = CSRF.search(body)
    if resp.status != 200 or not token or not jar:
        return ("get-%d" % resp.status, 0.0)
    token = token.group(1).decode()
    start = time.perf_counter()
    fields = {"username": username, "password": password, "csrf_token": token}
    resp = post(conn, "/accedi", fields, jar)
    if secret and resp.status == 303 and resp.getheader("Location") == "/accedi/verifica":
        jar = cookies_of(resp, jar)
        fields = {"code": totp(secret, time.time()), "csrf_token": token}
        resp = post(conn, "/accedi/verifica", fields, jar)
    latency = time.perf_counter() - start
    ok = resp.status == 303 and resp.getheader("Location") == "/area-clienti"
    if ok:
        # The browser id cookie, as the browser keeps it; never the session.
        kept = {k: v for k, v in cookies_of(resp, jar).items() if "browser" in k}
        browsers[username] = kept
    if resp.status == 503 and resp.getheader("Retry-After"):
        return ("refused", latency)
    if ok:
        return ("ok", latency)
    if resp.status == 303:
        # Where a failed login was sent says why (e.g. /accedi: the second step ended).
        return ("303>%s" % resp.getheader("Location"), latency)
    return (str(resp.status), latency)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--users", type=int, required=True, help="usernames bench1..benchN")
    p.add_argument("--password", required=True)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--rate", type=float, help="paced mode: logins per second")
    p.add_argument("--totp-secret", help="hex secret of every user's app: log in with its code")
    p.add_argument("--offset", type=int, default=0,
                   help="first user: runs within 30 s of each other must not reuse a user's code")
    a = p.parse_args()
    secret = bytes.fromhex(a.totp_secret) if a.totp_secret else None
    browsers = {}

    lock = threading.Lock()
    results = []  # (status, latency)
    late = [0]
    counter = [0]
    t0 = time.perf_counter() + 0.2
    deadline = t0 + a.seconds

    def next_slot():
        with lock:
            i = counter[0]
            counter[0] += 1
        return i

    def worker():
        conn = http.client.HTTPConnection(a.host, a.port, timeout=30)
        while True:
            i = next_slot()
            if a.rate:
                slot = t0 + i / a.rate
                if slot >= deadline:
                    return
                now = time.perf_counter()
                if now < slot:
                    time.sleep(slot - now)
                elif now - slot > 0.01:
                    with lock:
                        late[0] += 1
            elif time.perf_counter() >= deadline:
                return
            try:
                r = one_login(conn, "bench%d" % ((a.offset + i) % a.users + 1), a.password, secret, browsers)
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = http.client.HTTPConnection(a.host, a.port, timeout=30)
                r = (type(e).__name__, 0.0)
            with lock:
                results.append(r)

    threads = [threading.Thread(target=worker) for _ in range(a.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    ok = sorted(lat for status, lat in results if status == "ok")
    refused = sorted(lat for status, lat in results if status == "refused")
    failures = {}
    for status, _ in results:
        if status not in ("ok", "refused"):
            failures[status] = failures.get(status, 0) + 1

    def pct(values, q):
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")

    print(
        "mode=%s ok=%d elapsed=%.2f logins_per_sec=%.1f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f "
        "refused=%d refused_p99_ms=%.1f late=%d failures=%s"
        % (
            "paced@%.1f" % a.rate if a.rate else "closed",
            len(ok), elapsed, len(ok) / elapsed, pct(ok, 0.50), pct(ok, 0.99),
            ok[-1] * 1000 if ok else float("nan"), len(refused), pct(refused, 0.99),
            late[0], ",".join("%s:%d" % kv for kv in sorted(failures.items())) or "none",
        )
    )


if __name__ == "__main__":
    main()
