#!/usr/bin/env python3
"""Logs in N times and prints each session's Cookie header value, one per line, for the
page benchmarks (bench/cookies.lua). Standard library only.

  login_sessions.py --port P --username U --password W --count N [--staff]

--staff logs in on /assistenza/accedi (Servizio Clienti 191) instead of /accedi.
"""
import argparse
import http.client
import re
import sys
import urllib.parse

CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')


def cookie_pairs(resp):
    return [v.split(";", 1)[0] for k, v in resp.getheaders() if k.lower() == "set-cookie"]


def login(conn, path, username, password):
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    token = CSRF.search(body)
    jar = dict(p.split("=", 1) for p in cookie_pairs(resp))
    if resp.status != 200 or not token:
        sys.exit("GET %s: %d" % (path, resp.status))
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrf_token": token.group(1).decode()}
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": "; ".join("%s=%s" % kv for kv in jar.items()),
    }
    conn.request("POST", path, body=form, headers=headers)
    resp = conn.getresponse()
    resp.read()
    if resp.status != 303:
        sys.exit("POST %s as %s: %d" % (path, username, resp.status))
    # The session id is renewed at login: keep the newest value of each cookie.
    jar.update(dict(p.split("=", 1) for p in cookie_pairs(resp)))
    return "; ".join("%s=%s" % kv for kv in jar.items())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--username", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--count", type=int, default=50)
    p.add_argument("--staff", action="store_true")
    a = p.parse_args()
    path = "/assistenza/accedi" if a.staff else "/accedi"
    for _ in range(a.count):
        conn = http.client.HTTPConnection(a.host, a.port, timeout=30)
        print(login(conn, path, a.username, a.password))
        conn.close()


if __name__ == "__main__":
    main()
