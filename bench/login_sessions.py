#!/usr/bin/env python3
"""Logs in N times and prints each session's Cookie header value, one per line, for the
page benchmarks (bench/cookies.lua). Standard library only.

  login_sessions.py --port P --username U --password W --count N [--staff SECRET_HEX]

--staff logs in on /assistenza/accedi (Servizio Clienti 191) instead of /accedi, as the
operators U1, U2, ... U<N> (an app's code is accepted once per 30-second step, so each
session is another operator), each with an authenticator app of the secret SECRET_HEX:
the password, then the app's code at /assistenza/accedi/verifica.
"""
import argparse
import hashlib
import hmac
import http.client
import re
import struct
import sys
import time
import urllib.parse

CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')


def cookie_pairs(resp):
    return [v.split(";", 1)[0] for k, v in resp.getheaders() if k.lower() == "set-cookie"]


def totp(secret, unix_time):
    """RFC 6238: SHA-1, 6 digits, 30-second steps, as the portal's authenticator app."""
    digest = hmac.new(secret, struct.pack(">Q", int(unix_time) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1000000)


def post(conn, path, fields, jar):
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": "; ".join("%s=%s" % kv for kv in jar.items()),
    }
    conn.request("POST", path, body=urllib.parse.urlencode(fields), headers=headers)
    resp = conn.getresponse()
    resp.read()
    if resp.status != 303:
        sys.exit("POST %s: %d" % (path, resp.status))
    # The session id is renewed at login: keep the newest value of each cookie.
    jar.update(dict(p.split("=", 1) for p in cookie_pairs(resp)))
    return resp.getheader("Location")


def login(conn, path, username, password, secret=None):
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    token = CSRF.search(body)
    jar = dict(p.split("=", 1) for p in cookie_pairs(resp))
    if resp.status != 200 or not token:
        sys.exit("GET %s: %d" % (path, resp.status))
    csrf = token.group(1).decode()
    fields = {"username": username, "password": password, "csrf_token": csrf}
    to = post(conn, path, fields, jar)
    if secret is not None:
        if to != path + "/verifica":
            sys.exit("POST %s as %s: went to %s, not the app's code" % (path, username, to))
        post(conn, to, {"code": totp(secret, time.time()), "csrf_token": csrf}, jar)
    return "; ".join("%s=%s" % kv for kv in jar.items())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--username", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--count", type=int, default=50)
    p.add_argument("--staff", metavar="SECRET_HEX")
    a = p.parse_args()
    path = "/assistenza/accedi" if a.staff else "/accedi"
    secret = bytes.fromhex(a.staff) if a.staff else None
    for i in range(1, a.count + 1):
        conn = http.client.HTTPConnection(a.host, a.port, timeout=30)
        username = "%s%d" % (a.username, i) if a.staff else a.username
        print(login(conn, path, username, a.password, secret))
        conn.close()


if __name__ == "__main__":
    main()
