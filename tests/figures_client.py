#!/usr/bin/env python3
"""The HTTP side of tests/figures.sh: what is awkward in bash.

Each subcommand does one mechanical job and prints what it saw as JSON (or
TSV) for the script to count; none of them decides what a figure means.

  jwt-corpus    forged and malformed access tokens, one "name<TAB>token" a line
  json-corpus   bodies that are not strict JSON, one file each in a directory
  burst         N requests from P parallel clients started together; counts statuses
                (spread over several --url in turn, per URL and per rate window)
  creates       clients creating leads with Idempotency-Keys, retrying what
                got no clear answer (on the next --url when several are
                given, as a load balancer would), while health is probed;
                writes what was acknowledged
  lost          acknowledged creates against the rows the database holds
  stub          a one-answer HTTP server that counts its hits (redirect checks)
  receiver      a webhook receiver: answers 200, logs each X-Webhook-Id

Standard library only (Debian's python3).
"""
import argparse
import base64
import collections
import hashlib
import hmac
import http.client
import json
import os
import random
import signal
import socket
import sys
import threading
import time
import urllib.parse


URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value):
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ---------------------------------------------------------------- requests

def request(base_url, method, path, headers=None, body=None, timeout_s=30):
    """One request on a fresh connection: (status, headers dict, body bytes).
    Status 0 means no answer (connection refused, reset or timed out)."""
    url = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout_s)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    except (OSError, http.client.HTTPException):
        return 0, {}, b""
    finally:
        connection.close()


def spoofed_headers(rng):
    """Headers a client could send to pass for another address."""
    address = "%d.%d.%d.%d" % (rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))
    return {
        "X-Forwarded-For": address,
        "X-Real-IP": address,
        "Forwarded": "for=%s" % address,
        "X-Client-IP": address,
        "True-Client-IP": address,
        "CF-Connecting-IP": address,
    }


# ---------------------------------------------------------------- jwt-corpus

def read_jwt_key(secrets_file):
    """(kid, key bytes) of the first jwt_key.<kid> line of a secrets file."""
    with open(secrets_file) as handle:
        for line in handle:
            name, _, value = line.partition("=")
            name = name.strip()
            if name.startswith("jwt_key."):
                text = value.strip()
                return name[len("jwt_key."):], base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_")
    raise SystemExit("no jwt_key.<kid> in %s" % secrets_file)


def jwt_corpus(args):
    kid, key = read_jwt_key(args.secrets)
    header_text, payload_text, signature_text = args.token.split(".")
    header = json.loads(b64url_decode(header_text))
    claims = json.loads(b64url_decode(payload_text))
    now = int(time.time())
    wrong_key = os.urandom(48)

    def sign(header_part, payload_part, secret=key, digest=hashlib.sha256):
        signing_input = header_part + "." + payload_part
        return signing_input + "." + b64url(hmac.new(secret, signing_input.encode(), digest).digest())

    def token(claims_changes=None, header_changes=None, secret=key, digest=hashlib.sha256, drop=()):
        new_header = dict(header, **(header_changes or {}))
        new_claims = dict(claims, **(claims_changes or {}))
        for name in drop:
            new_claims.pop(name, None)
            new_header.pop(name, None)
        return sign(b64url_json(new_header), b64url_json(new_claims), secret, digest)

    def raw(header_json, claims_json, secret=key):
        return sign(b64url(header_json.encode()), b64url(claims_json.encode()), secret)

    legit = args.token
    # A validly signed token whose text holds "-" or "_", spelt with "+" and "/".
    counter = 0
    while not set("-_") & set(token({"n": counter})):
        counter += 1
    standard_alphabet = token({"n": counter}).replace("-", "+").replace("_", "/")
    claims_json = json.dumps(claims, separators=(",", ":"))
    header_json = json.dumps(header, separators=(",", ":"))
    unsigned = b64url_json(dict(header, alg="none")) + "." + payload_text
    corpus = [
        ("legitimate", legit),
        # Algorithm and key
        ("alg none, empty signature", unsigned + "."),
        ("alg none, no signature part", unsigned),
        ("alg None (capitalised)", b64url_json(dict(header, alg="None")) + "." + payload_text + "."),
        ("alg none, original signature", b64url_json(dict(header, alg="none")) + "." + payload_text + "." + signature_text),
        ("HS256 with a wrong key", token(secret=wrong_key)),
        ("HS256 with an empty key", token(secret=b"")),
        ("HS512 with the real key", token(header_changes={"alg": "HS512"}, digest=hashlib.sha512)),
        ("HS384 with the real key", token(header_changes={"alg": "HS384"}, digest=hashlib.sha384)),
        ("RS256 header, HMAC signature", token(header_changes={"alg": "RS256"})),
        ("ES256 header, HMAC signature", token(header_changes={"alg": "ES256"})),
        ("alg missing", token(drop=("alg",))),
        ("alg as an array", token(header_changes={"alg": ["HS256"]})),
        ("jwk header with the attacker's key", token(header_changes={
            "jwk": {"kty": "oct", "k": b64url(wrong_key)}}, secret=wrong_key)),
        ("jku header, attacker's key", token(header_changes={"jku": "http://127.0.0.1/keys.json"}, secret=wrong_key)),
        ("kid unknown", token(header_changes={"kid": "k9"})),
        ("kid missing", token(drop=("kid",))),
        ("kid path traversal", token(header_changes={"kid": "../../../../dev/null"}, secret=b"")),
        ("kid SQL", token(header_changes={"kid": "' OR '1'='1"}, secret=wrong_key)),
        ("kid as a number", token(header_changes={"kid": 1})),
        ("typ JWE", token(header_changes={"typ": "JWE"})),
        ("crit header", token(header_changes={"crit": ["exp"]})),
        ("signature of another payload", b64url_json(header) + "." + b64url_json(dict(claims, sub=str(int(claims["sub"]) + 1)))
            + "." + signature_text),
        ("signature flipped in one bit", legit[:-5] + ("A" if legit[-5] != "A" else "B") + legit[-4:]),
        # Time
        ("expired an hour ago", token({"exp": now - 3600, "iat": now - 4500})),
        ("expired just past the leeway", token({"exp": now - 40})),
        ("exp missing", token(drop=("exp",))),
        ("exp as a string", token({"exp": str(now + 600)})),
        ("exp as a float", token({"exp": now + 600.5})),
        ("exp beyond int64", raw(header_json, claims_json.replace('"exp":%d' % claims["exp"], '"exp":9223372036854775808'))),
        ("nbf an hour ahead", token({"nbf": now + 3600})),
        ("nbf as a string", token({"nbf": str(now - 10)})),
        ("iat an hour ahead", token({"iat": now + 3600})),
        # Audience, issuer, subject, tenant, session
        ("wrong aud", token({"aud": "other-api"})),
        ("aud as an array", token({"aud": [claims["aud"], "other-api"]})),
        ("wrong iss", token({"iss": "someone-else"})),
        ("iss missing", token(drop=("iss",))),
        ("sub of another user", token({"sub": str(int(claims["sub"]) + 1)})),
        ("sub not decimal", token({"sub": claims["sub"] + " OR 1=1"})),
        ("sub as a number", token({"sub": int(claims["sub"])})),
        ("tid of another tenant", token({"tid": int(claims["tid"]) + 1})),
        ("tid zero", token({"tid": 0})),
        ("sid of no session", token({"sid": int(claims["sid"]) + 100000})),
        ("sid negative", token({"sid": -1})),
        ("pv negative", token({"pv": -1})),
        ("jti with a control character", token({"jti": "a\u0001b"})),
        # Duplicate members, decided only by which one a reader keeps
        ("duplicate exp (valid, then expired)", raw(header_json, claims_json[:-1] + ',"exp":%d}' % (now - 3600))),
        ("duplicate sub", raw(header_json, claims_json[:-1] + ',"sub":"1"}')),
        ("duplicate aud", raw(header_json, claims_json[:-1] + ',"aud":"other-api"}')),
        ("duplicate alg in the header", raw('{"alg":"none",' + header_json[1:], claims_json)),
        ("duplicate kid, escaped", raw(header_json[:-1] + ',"k\\u0069d":"k9"}', claims_json)),
        # Encoding
        ("padding '=' after the header", header_text + "=." + payload_text + "." + signature_text),
        ("standard base64 alphabet (+ and /)", standard_alphabet),
        ("non-canonical last character", legit[:-1] + URL_ALPHABET[URL_ALPHABET.index(legit[-1]) ^ 1]),
        ("space inside", legit[:20] + " " + legit[20:]),
        ("bad base64 character", legit[:15] + "*" + legit[16:]),
        ("header not JSON", sign(b64url(b"not json"), payload_text)),
        ("payload not JSON", sign(b64url_json(header), b64url(b"{sub:1}"))),
        ("payload a JSON array", sign(b64url_json(header), b64url_json([claims]))),
        ("payload nested deeper than 5", token({"x": [[[[[[1]]]]]]})),
        ("payload with \\u0000", raw(header_json, claims_json[:-1] + ',"x":"a\\u0000b"}')),
        ("payload not UTF-8", sign(b64url_json(header), b64url(claims_json[:-1].encode() + b',"x":"\xc0\xaf"}'))),
        ("payload with a BOM", sign(b64url_json(header), b64url(b"\xef\xbb\xbf" + claims_json.encode()))),
        # Shape and size
        ("truncated by one character", legit[:-1]),
        ("truncated to header.payload.", legit[: legit.rindex(".") + 1]),
        ("truncated to the header", header_text),
        ("four parts", legit + ".AAAA"),
        ("five parts (JWE shape)", legit + ".AAAA.BBBB"),
        ("empty", ""),
        ("only dots", ".."),
        ("huge: 8 KB of claims", token({"x": "a" * 6000})),
        ("huge: 17 KB header line", token({"x": "a" * 12600})),
        ("huge: 30 KB header line", token({"x": "a" * 22000})),
    ]
    for name, text in corpus:
        sys.stdout.write("%s\t%s\n" % (name, text))


# ---------------------------------------------------------------- json-corpus

def deep(opening, closing, depth, inner=b"1"):
    return opening * depth + inner + closing * depth


JSON_CORPUS = [
    # raw control characters inside strings
    ("raw TAB", b'{"lastName":"a\tb"}'),
    ("raw byte 01", b'{"lastName":"a\x01b"}'),
    ("raw line feed", b'{"lastName":"a\nb"}'),
    ("raw byte 1F", b'{"lastName":"a\x1fb"}'),
    ("raw NUL byte", b'{"lastName":"a\x00b"}'),
    # escaped surrogates that do not pair
    ("lone high surrogate", b'{"lastName":"\\ud800"}'),
    ("lone low surrogate", b'{"lastName":"\\udc00"}'),
    ("high surrogate then text", b'{"lastName":"\\ud800x"}'),
    ("high surrogate then BMP escape", b'{"lastName":"\\ud800\\u0041"}'),
    ("reversed pair", b'{"lastName":"\\udc00\\ud800"}'),
    # UTF-8 that is not UTF-8
    ("CESU-8 pair", b'{"lastName":"\xed\xa0\xbd\xed\xb8\x80"}'),
    ("UTF-8 encoded surrogate", b'{"lastName":"\xed\xa0\x80"}'),
    ("overlong slash C0 AF", b'{"lastName":"\xc0\xaf"}'),
    ("overlong C1 BF", b'{"lastName":"\xc1\xbf"}'),
    ("overlong 3 bytes", b'{"lastName":"\xe0\x80\xaf"}'),
    ("overlong 4 bytes", b'{"lastName":"\xf0\x80\x80\xaf"}'),
    ("overlong quote", b'{"lastName":"a\xc0\xa2}'),
    ("above U+10FFFF (F4 90)", b'{"lastName":"\xf4\x90\x80\x80"}'),
    ("F5 lead byte", b'{"lastName":"\xf5\x80\x80\x80"}'),
    ("5-byte form", b'{"lastName":"\xf8\x88\x80\x80\x80"}'),
    ("stray continuation byte", b'{"lastName":"a\x80b"}'),
    ("byte FF", b'{"lastName":"\xff"}'),
    ("truncated sequence", b'{"lastName":"\xe2\x82"}'),
    ("non-UTF-8 member name", b'{"last\xffName":"a"}'),
    # duplicate members
    ("duplicate member", b'{"lastName":"a","lastName":"b"}'),
    ("duplicate member, escaped", b'{"lastName":"a","last\\u004eame":"b"}'),
    ("duplicate member, nested", b'{"lastName":"a","notes":"x","x":{"k":1,"k":2}}'),
    # NUL
    ("escaped NUL", b'{"lastName":"a\\u0000b"}'),
    ("escaped NUL in a name", b'{"lastName\\u0000x":"a"}'),
    # nesting
    ("33 arrays deep", deep(b"[", b"]", 33)),
    ("33 objects deep", b'{"a":' * 33 + b"1" + b"}" * 33),
    ("100000 arrays deep", deep(b"[", b"]", 100000)),
    ("100000 unclosed arrays", b"[" * 100000),
    # outside the grammar
    ("byte-order mark", b'\xef\xbb\xbf{"lastName":"a"}'),
    ("single quotes", b"{'lastName':'a'}"),
    ("comment", b'{"lastName":"a"/* c */}'),
    ("trailing comma", b'{"lastName":"a",}'),
    ("NaN", b'{"lastName":"a","probability":NaN}'),
    ("Infinity", b'{"lastName":"a","probability":Infinity}'),
    ("leading zero", b'{"lastName":"a","probability":01}'),
    ("plus sign", b'{"lastName":"a","probability":+1}'),
    ("integer beyond int64", b'{"lastName":"a","probability":9223372036854775808}'),
    ("1e309", b'{"lastName":"a","probability":1e309}'),
    ("text after the value", b'{"lastName":"a"} x'),
    ("two values", b'{"lastName":"a"}{"lastName":"b"}'),
    ("unterminated string", b'{"lastName":"a'),
    ("truncated object", b'{"lastName":'),
    ("True", b'{"lastName":"a","x":True}'),
    ("bad escape", b'{"lastName":"a\\x41"}'),
    ("short unicode escape", b'{"lastName":"\\u12"}'),
]


def json_corpus(args):
    os.makedirs(args.directory, exist_ok=True)
    for number, (name, body) in enumerate(JSON_CORPUS, 1):
        with open(os.path.join(args.directory, "%02d.body" % number), "wb") as handle:
            handle.write(body)
        with open(os.path.join(args.directory, "%02d.name" % number), "w") as handle:
            handle.write(name + "\n")


# ---------------------------------------------------------------- burst

def burst(args):
    """COUNT requests from PARALLEL threads that start together; each request
    may carry spoofed client-address headers and a body made from a template
    where {i} is the request's number."""
    headers = dict(header.split(": ", 1) for header in args.header)
    statuses = collections.Counter()
    by_url = collections.defaultdict(collections.Counter)
    # Answers other than 429 per rate window, keyed by X-RateLimit-Reset (the
    # window's end): a burst that straddles two windows shows both.
    accepted_by_window = collections.Counter()
    lock = threading.Lock()
    numbers = iter(range(args.count))
    gate = threading.Barrier(args.parallel)

    def client(seed):
        rng = random.Random(seed)
        gate.wait()
        while True:
            with lock:
                i = next(numbers, None)
            if i is None:
                return
            request_headers = dict(headers)
            if args.spoof:
                request_headers.update(spoofed_headers(rng))
            body = args.body.replace("{i}", str(i)).encode() if args.body is not None else None
            if body is not None:
                request_headers.setdefault("Content-Type", "application/json")
            url = args.url[i % len(args.url)]
            status, answer_headers, _ = request(url, args.method, args.path, request_headers, body)
            with lock:
                statuses[str(status)] += 1
                by_url[url][str(status)] += 1
                if 200 <= status < 300:
                    accepted_by_window[answer_headers.get("x-ratelimit-reset", "-")] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    json.dump({"statuses": dict(statuses), "seconds": round(time.monotonic() - started, 2),
               "by_url": {url: dict(counts) for url, counts in by_url.items()},
               "accepted_by_window": dict(accepted_by_window)}, sys.stdout)
    sys.stdout.write("\n")


# ---------------------------------------------------------------- creates

class Outages:
    """Health probes: the longest run of failed probes, from the first
    failure to the next healthy answer."""

    def __init__(self):
        self.failed_since = None
        self.longest_s = 0.0
        self.total_failed_s = 0.0
        self.failures = 0
        self.probes = 0
        self.recovered_at = None

    def observe(self, healthy, now):
        self.probes += 1
        if not healthy:
            self.failures += 1
            if self.failed_since is None:
                self.failed_since = now
        elif self.failed_since is not None:
            span = now - self.failed_since
            self.longest_s = max(self.longest_s, span)
            self.total_failed_s += span
            self.failed_since = None
            self.recovered_at = now


def creates(args):
    """CLIENTS threads create leads for SECONDS: each create has its own
    Idempotency-Key and lastName; an answer that is not a clear yes or no
    (no answer, 5xx, 409 still in progress) is retried with the same key and
    body, as a client should, for up to RETRY_S seconds after the run. 201
    is an acknowledgement; the acknowledged (key, id) pairs go to OUT.
    With several URLs (web nodes), client n starts on URL n modulo their
    count and moves to the next URL after an answer that is not clear.
    longest_write_gap_s is the longest time without any acknowledgement
    while creates were being tried: how long writes did not succeed."""
    urls = args.url
    headers = {"Authorization": "Bearer " + args.token, "Content-Type": "application/json"}
    deadline = time.monotonic() + args.seconds
    give_up = deadline + args.retry_s
    lock = threading.Lock()
    statuses = collections.Counter()
    acknowledged = []
    without_id = []
    refused = []
    unanswered = []
    replays = [0]
    outages = Outages()
    stop_probe = threading.Event()
    started = time.monotonic()

    acknowledged_at = []

    journal = open(args.journal, "w") if args.journal else None

    def create_one(key, url_index):
        body = json.dumps({"lastName": key, "source": "figures"}).encode()
        while True:
            sent_at = time.monotonic() - started
            status, response_headers, data = request(
                urls[url_index % len(urls)], "POST", "/api/v1/sales/leads",
                dict(headers, **{"Idempotency-Key": key}), body)
            with lock:
                statuses[str(status)] += 1
                if journal:
                    # One line per request: what a lost write is traced by
                    # (the request id names its lines in the intukad logs).
                    journal.write("%.3f\t%.3f\t%s\t%d\t%d\t%s\t%s\t%s\n" % (
                        sent_at, time.monotonic() - started, key, url_index % len(urls), status,
                        response_headers.get("x-request-id", "-"),
                        response_headers.get("idempotent-replayed", "-"),
                        data[:160].decode("utf-8", "replace").replace("\t", " ").replace("\n", " ")))
            if status == 201:
                try:
                    lead_id = json.loads(data)["data"]["id"]
                except (ValueError, KeyError, TypeError):
                    lead_id = None
                with lock:
                    if lead_id is None:
                        # A yes without the record: not a lost write (the
                        # rows decide that), a wrong answer of its own.
                        without_id.append((key, data[:200].decode("utf-8", "replace")))
                        return url_index
                    acknowledged.append((key, lead_id))
                    acknowledged_at.append(time.monotonic() - started)
                    if response_headers.get("idempotent-replayed") == "true":
                        replays[0] += 1
                return url_index
            if status != 0 and status < 500 and status != 409:
                with lock:
                    refused.append((key, status, data[:200].decode("utf-8", "replace")))
                return url_index
            if time.monotonic() > give_up:
                with lock:
                    unanswered.append(key)
                return url_index
            url_index += 1
            time.sleep(0.2)

    def client(number):
        sequence = 0
        url_index = number
        while time.monotonic() < deadline:
            sequence += 1
            url_index = create_one("%s-%d-%d" % (args.prefix, number, sequence), url_index)
            if args.pause_ms:
                time.sleep(args.pause_ms / 1000)

    def probe():
        while not stop_probe.is_set():
            status, _, data = request(urls[0], "GET", "/api/v1/health", timeout_s=5)
            outages.observe(status == 200 and b'"database":{"status":"ok"' in data, time.monotonic() - started)
            stop_probe.wait(args.probe_ms / 1000)

    prober = threading.Thread(target=probe)
    prober.start()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Let the probe see the service back before it stops.
    while outages.failed_since is not None and time.monotonic() < give_up:
        time.sleep(0.1)
    stop_probe.set()
    prober.join()
    if journal:
        journal.close()
    with open(args.out, "w") as handle:
        for key, lead_id in acknowledged:
            handle.write("%s\t%s\n" % (key, lead_id))
    fivexx = sum(count for status, count in statuses.items() if status.startswith("5"))
    moments = sorted(acknowledged_at)
    gap, gap_from = 0.0, None
    for earlier, later in zip([0.0] + moments, moments):
        if later - earlier > gap:
            gap, gap_from = later - earlier, earlier
    requests_made = sum(statuses.values())
    json.dump({
        "creates": len(acknowledged) + len(without_id) + len(refused) + len(unanswered),
        "acknowledged": len(acknowledged),
        "acknowledged_without_id": len(without_id),
        "without_id_first": without_id[0] if without_id else None,
        "replayed": replays[0],
        "refused": len(refused),
        "refused_first": refused[0] if refused else None,
        "unanswered": len(unanswered),
        "requests": requests_made,
        "failed_requests": requests_made - statuses.get("201", 0),
        "longest_write_gap_s": round(gap, 2),
        "longest_write_gap_from_s": round(gap_from, 2) if gap_from is not None else None,
        "statuses": dict(statuses),
        "fivexx": fivexx,
        "health_probes": outages.probes,
        "health_failures": outages.failures,
        "longest_outage_s": round(outages.longest_s, 2),
        "still_down": outages.failed_since is not None,
        "recovered_at_s": round(outages.recovered_at, 2) if outages.recovered_at is not None else None,
    }, sys.stdout)
    sys.stdout.write("\n")


# ---------------------------------------------------------------- lost

def lost(args):
    """Acknowledged (key, id) pairs against the database's (id, lastName)
    rows: lost = acknowledged but absent; duplicates = one key stored twice."""
    acknowledged = {}
    with open(args.acknowledged) as handle:
        for line in handle:
            key, _, lead_id = line.rstrip("\n").partition("\t")
            acknowledged[key] = lead_id
    stored = collections.defaultdict(list)
    with open(args.rows) as handle:
        for line in handle:
            lead_id, _, key = line.rstrip("\n").partition("\t")
            stored[key].append(lead_id)
    missing = [key for key, lead_id in acknowledged.items() if lead_id not in stored.get(key, [])]
    duplicates = [key for key, ids in stored.items() if len(ids) > 1]
    json.dump({"acknowledged": len(acknowledged), "stored": sum(len(ids) for ids in stored.values()),
               "lost": len(missing), "lost_first": missing[:5],
               "duplicates": len(duplicates), "duplicates_first": duplicates[:5]}, sys.stdout)
    sys.stdout.write("\n")


# ---------------------------------------------------------------- stub

def stub(args):
    """Answers every request with STATUS (and Location), appends one line per
    hit to HITS. Runs until SIGTERM."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(16)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    reason = {200: "OK", 301: "Moved Permanently", 302: "Found", 307: "Temporary Redirect"}.get(args.status, "X")
    answer = "HTTP/1.1 %d %s\r\nContent-Length: 2\r\nConnection: close\r\n" % (args.status, reason)
    if args.location:
        answer += "Location: %s\r\n" % args.location
    answer = (answer + "\r\n{}").encode()
    while True:
        connection, _ = listener.accept()
        connection.settimeout(5)
        try:
            connection.recv(65536)
            with open(args.hits, "a") as handle:
                handle.write("hit\n")
            connection.sendall(answer)
        except OSError:
            pass
        finally:
            connection.close()


# ---------------------------------------------------------------- receiver

def receiver(args):
    """A webhook receiver on 127.0.0.1:PORT: every POST is answered 200 after
    DELAY_MS (so one delivery process cannot take every due delivery alone)
    and appends its X-Webhook-Id to LOG, one a line. Runs until SIGTERM."""
    import http.server

    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            with lock, open(args.log, "a") as handle:
                handle.write("%s\n" % self.headers.get("X-Webhook-Id", "-"))
            time.sleep(args.delay_ms / 1000.0)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    command = commands.add_parser("jwt-corpus")
    command.add_argument("--token", required=True, help="a genuine access token to start from")
    command.add_argument("--secrets", required=True, help="the stack's secrets file (jwt_key.<kid>)")
    command.set_defaults(run=jwt_corpus)

    command = commands.add_parser("json-corpus")
    command.add_argument("directory")
    command.set_defaults(run=json_corpus)

    command = commands.add_parser("burst")
    command.add_argument("--url", required=True, action="append",
                         help="http://HOST:PORT, repeatable: request i goes to the (i mod n)th")
    command.add_argument("--method", default="GET")
    command.add_argument("--path", required=True)
    command.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    command.add_argument("--body", help="body template; {i} is the request's number")
    command.add_argument("--count", type=int, required=True)
    command.add_argument("--parallel", type=int, default=16)
    command.add_argument("--spoof", action="store_true", help="X-Forwarded-For and friends, random per request")
    command.set_defaults(run=burst)

    command = commands.add_parser("creates")
    command.add_argument("--url", required=True, action="append", help="http://HOST:PORT, repeatable (web nodes)")
    command.add_argument("--token", required=True)
    command.add_argument("--clients", type=int, default=8)
    command.add_argument("--seconds", type=float, required=True)
    command.add_argument("--retry-s", type=float, default=30, help="how long past the run a create is retried")
    command.add_argument("--pause-ms", type=int, default=0, help="pause between creates of one client")
    command.add_argument("--probe-ms", type=int, default=100, help="health probe interval")
    command.add_argument("--prefix", required=True, help="keys and lastNames start with it")
    command.add_argument("--out", required=True, help="acknowledged creates: key<TAB>id a line")
    command.add_argument("--journal", help="every request: sent, answered (s), key, url, status, request id, "
                         "replayed, start of the body; tab-separated")
    command.set_defaults(run=creates)

    command = commands.add_parser("lost")
    command.add_argument("acknowledged", help="creates' --out file")
    command.add_argument("rows", help="lead_id<TAB>last_name a line, from the database")
    command.set_defaults(run=lost)

    command = commands.add_parser("stub")
    command.add_argument("--port", type=int, required=True)
    command.add_argument("--status", type=int, default=200)
    command.add_argument("--location")
    command.add_argument("--hits", required=True)
    command.set_defaults(run=stub)

    command = commands.add_parser("receiver")
    command.add_argument("--port", type=int, required=True)
    command.add_argument("--delay-ms", type=int, default=0)
    command.add_argument("--log", required=True)
    command.set_defaults(run=receiver)

    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
