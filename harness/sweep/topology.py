"""topology.py - where the backend runs: on this host, or on another (BACKEND=HOST:PORT).

By default every run of a backend pair starts its own bin/backend on loopback,
on the cores the model under test needs.  With BACKEND=HOST:PORT (a bin/backend
started on another host: `bin/backend --bind ADDR --port PORT`) every run of a
pair that uses the backend (`bin/threads --list -v`: backend=yes) talks to that
one instead; the pairs without a backend (redis_get starts its own
redis-server, file_read reads a local file, the CPU and timer pairs) run on
this host as before.

The value is checked before anything runs: HOST:PORT with a port 1..65535, a
host that resolves, and one real request answered at delay 0 with the reply
bin/backend gives (workloads/wire.h), within PROBE_TIMEOUT_S.  A bad value is
one line (UsageError: exit 2).  The round trip that meta.json and the report
state comes from bin/calibrate (backend_rtt_us, tcp_rtt_us on loopback),
recorded by record_rtt() once calibration has run.

Imports only common (a leaf); standard library otherwise.
"""

import socket
import struct

from . import common

PROBE_TIMEOUT_S = 3.0   # connect and reply, each: past this the backend is unreachable
PROBE_ID = 0x7476736170726F62  # the probe request's id ("tvsaprob")
REQ_MAGIC = 0x51425654  # "TVBQ" (workloads/wire.h)
REP_MAGIC = 0x52425654  # "TVBR"
REP_LEN = 24            # a reply's bytes
FNV_OFFSET = 0xcbf29ce484222325  # the reply's digest: FNV-1a 64 over id and delay
FNV_PRIME = 0x100000001b3
START_HINT = "start one there: bin/backend --bind ADDR --port PORT"


def parse(text):
    """BACKEND as (host, port); UsageError naming what is wrong."""
    if text is None:
        return None
    t = text.strip()
    host, sep, port = t.rpartition(":")
    if not t:
        raise common.UsageError("BACKEND: empty; give HOST:PORT of a running bin/backend")
    if not sep or not host:
        raise common.UsageError("BACKEND: '%s' is not HOST:PORT (%s)" % (text, START_HINT))
    port = common.whole(port, "BACKEND port", 1, 65535)
    if host.startswith("[") or ":" in host:
        raise common.UsageError("BACKEND: '%s': IPv6 is not supported, give an IPv4 address "
                                "or a host name" % text)
    return host, port


def digest(req_id, delay_us=0):
    """What bin/backend answers for a request with no payload (wire_digest)."""
    h = FNV_OFFSET
    for b in struct.pack("<QI", req_id, delay_us):
        h = ((h ^ b) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def probe(host, port):
    """One request at delay 0 to HOST:PORT, its reply checked: returns the
    IPv4 address the host resolved to.  UsageError in one line when the host
    does not resolve, nothing listens, it does not answer in time, or what
    answers is not bin/backend."""
    what = "BACKEND=%s:%d" % (host, port)
    try:
        ip = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
    except (socket.gaierror, UnicodeError) as e:
        raise common.UsageError("%s: cannot resolve %s: %s" % (
            what, host, getattr(e, "strerror", None) or e))
    try:
        with socket.create_connection((ip, port), timeout=PROBE_TIMEOUT_S) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.sendall(struct.pack("<IIQII", REQ_MAGIC, 0, PROBE_ID, 0, 0))
            rep = b""
            while len(rep) < REP_LEN:
                chunk = s.recv(REP_LEN - len(rep))
                if not chunk:
                    break
                rep += chunk
    except socket.timeout:
        raise common.UsageError("%s: no answer within %g s (a firewall? %s)" % (
            what, PROBE_TIMEOUT_S, START_HINT))
    except OSError as e:
        raise common.UsageError("%s: cannot reach it: %s (%s)" % (
            what, e.strerror or e, START_HINT))
    if len(rep) < REP_LEN:
        raise common.UsageError("%s: the connection closed before a reply (not bin/backend?)"
                                % what)
    magic, status, rid, dig = struct.unpack("<IIQQ", rep)
    if (magic, status, rid, dig) != (REP_MAGIC, 0, PROBE_ID, digest(PROBE_ID)):
        raise common.UsageError("%s: answered, but not as bin/backend does (wrong reply)" % what)
    return ip


def check(text):
    """Validate BACKEND (None: the default, loopback) before anything runs.
    Returns (the value for the model binaries' --backend, "HOST:PORT", and
    the address it resolved to), or (None, None); UsageError otherwise."""
    hp = parse(text)
    if hp is None:
        return None, None
    return "%s:%d" % hp, probe(*hp)


def describe(backend, ip, pairs):
    """meta.json's "topology": where the backend runs (backend, ip: check's
    results), which pairs use it, and (filled by record_rtt) the round trip."""
    users = [p["name"] for p in pairs if p["needs_backend"]]
    others = [p["name"] for p in pairs if not p["needs_backend"]]
    topo = {"backend": "remote" if backend else "local", "address": backend, "ip": ip,
            "pairs": users, "local_pairs": others, "rtt_us": None, "rtt_source": None}
    topo["what"] = ("the pairs that use a backend talk to a bin/backend on another host; the "
                    "others run on this host as without BACKEND" if backend else
                    "each run starts its own bin/backend on loopback, on this host")
    return topo


def record_rtt(meta, cal):
    """Put calibration's round trip into meta["topology"]: backend_rtt_us to
    the remote backend, tcp_rtt_us on loopback (cal: {name: value})."""
    topo = meta.get("topology")
    if not topo:
        return
    name = "backend_rtt_us" if topo["backend"] == "remote" else "tcp_rtt_us"
    if cal.get(name):
        topo["rtt_us"] = round(float(cal[name]), 3)
        topo["rtt_source"] = "bin/calibrate %s" % name


def say_start(backend, pairs, quiet):
    """The progress line that says where the backend is and which pairs use it."""
    if backend is None:
        return
    users = [p["name"] for p in pairs if p["needs_backend"]]
    others = [p["name"] for p in pairs if not p["needs_backend"]]
    if not users:
        common.say("bench: BACKEND=%s: none of these pairs (%s) uses a backend; it changes "
                   "nothing" % (backend, ", ".join(others)), quiet)
        return
    common.say("bench: backend on another host: %s for %s%s" % (
        backend, ", ".join(users), "; %s run on this host as before" % ", ".join(others)
        if others else ""), quiet)
