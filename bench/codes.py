"""Authorization codes for bench/suite.sh, got as a browser gets them: one sign-in on keygate's login page, then
/oauth/authorize answered from the sign-in session (a 302 with a code, no page) as often as asked, on four
connections at once. Codes live a minute: they are made just before the scenario that spends them.

Usage: codes.py <keygate url> <tenant slug> <client id> <redirect uri> <code verifier> <count> codes|refresh
Prints a Lua assignment: `codes = {"code", ...}`, or with `refresh` the refresh tokens those codes are exchanged
for (ID-token-bearing ones: the scope is openid offline_access), `refresh = {"token", ...}`.
"""

import base64
import hashlib
import html
import http.client
import json
import re
import sys
import threading
import urllib.parse

url, tenant, client_id, redirect_uri, verifier, count, what = sys.argv[1:]
host = urllib.parse.urlsplit(url).netloc
challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
query = urllib.parse.urlencode({
    "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "tenant": tenant,
    "scope": "openid offline_access", "code_challenge": challenge, "code_challenge_method": "S256",
})
authorize = "/oauth/authorize?" + query


def cookies_of(response, jar):
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            jar[key] = val


def cookie_header(jar):
    return "; ".join(f"{k}={v}" for k, v in jar.items() if v)


def sign_in():
    conn, jar = http.client.HTTPConnection(host), {}
    conn.request("GET", authorize)
    page = conn.getresponse()
    cookies_of(page, jar)
    body = page.read().decode()
    assert page.status == 200, f"the login page: {page.status}"
    form = {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body)}
    form.update(username="bench", password="bench password")
    conn.request("POST", "/oauth/authorize", urllib.parse.urlencode(form),
                 {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie_header(jar)})
    answer = conn.getresponse()
    answer.read()
    cookies_of(answer, jar)
    assert answer.status == 303, f"signed in: {answer.status}"
    return cookie_header(jar)


def code_from(location):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["code"][0]


cookie = sign_in()
codes, lock = [], threading.Lock()


def collect(n):
    conn, mine = http.client.HTTPConnection(host), []
    for _ in range(n):
        conn.request("GET", authorize, headers={"Cookie": cookie})
        response = conn.getresponse()
        response.read()
        assert response.status == 302, f"authorize from the session: {response.status}"
        mine.append(code_from(response.getheader("Location")))
    with lock:
        codes.extend(mine)


total = int(count)
threads = [threading.Thread(target=collect, args=(total // 4 + (i < total % 4),)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()


def exchange(code):
    conn = http.client.HTTPConnection(host)
    form = {"grant_type": "authorization_code", "client_id": client_id, "code": code, "redirect_uri": redirect_uri,
            "code_verifier": verifier}
    conn.request("POST", "/oauth/token", urllib.parse.urlencode(form),
                 {"Content-Type": "application/x-www-form-urlencoded"})
    answer = conn.getresponse()
    token = json.load(answer)
    assert answer.status == 200 and "id_token" in token, token
    return token["refresh_token"]


values = codes if what == "codes" else [exchange(code) for code in codes]
print(f"{what} = {{" + ",".join(json.dumps(v) for v in values) + "}")
