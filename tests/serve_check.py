"""serve_check.py - tests/test_serve.sh's client: every model's server (--serve), driven
with Python's socket module, as a standard HTTP/1.1 client would.

Per model: each pair's served checksum for ids 0..K-1 equals the fan-out run's for the
same ids; malformed, oversized, pipelined and half-closed requests, a bad id, HTTP/1.0,
Connection: close, a client that resets with its request pending and a slow reader get
what serve.h promises (400/404/405/431, answers in order) and the server leaks no
descriptor; EMFILE at accept is survived; SIGTERM ends each server with its stats line
counting exactly the 200s the clients received.  Prints "ok - " / "not ok - " lines.

Usage: serve_check.py BIN_DIR SCRATCH_DIR [MODEL...]
"""
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

K = 40                  # ids per pair, 0..K-1
SLOW_REQUESTS = 5000    # a slow reader's pipelined requests
EMFILE_CLIENTS = 12     # clients against a server with 3 descriptors to spare
WAIT_S = 10             # no single step of a sound server takes this long
M64 = (1 << 64) - 1
PAIRS = ("io_sleep", "io_backend", "cpu_hash", "file_read", "redis_get")
MODELS = {              # the series of harness/models.def, as the sweep runs them
    "threads": ("threads", []),
    "pool": ("threads", ["--pool", "4"]),
    "async": ("async", []),
    "async-mt": ("async", ["--loops", "2"]),
    "hybrid": ("async", ["--workers", "2"]),
    "green": ("green", []),
    "green-mt": ("green", ["--loops", "2"]),
    "uring": ("uring", []),
}

failures = 0
servers = []  # every server started: none may outlive the check


def say(good, what):
    global failures
    print(("ok - " if good else "not ok - ") + what, flush=True)
    if not good:
        failures += 1


def fold(task_id, result):
    """workload.h's wl_fold: one task's share of the checksum."""
    z = (result ^ (task_id * 0x9E3779B97F4A7C15)) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def req(path, extra=b"", version=b"HTTP/1.1"):
    return b"GET " + path + b" " + version + b"\r\nHost: t\r\n" + extra + b"\r\n"


class Reader:
    """Responses from one socket, parsed as a client would (Content-Length bodies)."""

    def __init__(self, sock):
        self.sock, self.buf, self.eof = sock, b"", False

    def fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self.sock], [], [], left)[0]:
            raise TimeoutError("no answer in time")
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
        self.buf += data

    def response(self, timeout=WAIT_S):
        """(status, headers, body) of the next response; None at the end of the stream."""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if self.eof:
                return None
            self.fill(deadline)
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        hdrs = {k.strip().lower(): v.strip() for k, _, v in (l.partition(b":") for l in lines[1:])}
        n = int(hdrs.get(b"content-length", b"0"))
        while len(rest) < n:
            if self.eof:
                return None
            self.fill(deadline)
            head, _, rest = self.buf.partition(b"\r\n\r\n")
        self.buf = rest[n:]
        return status, hdrs, rest[:n]

    def closed(self, timeout=WAIT_S):
        """True if the server closes the stream next (no more bytes)."""
        deadline = time.monotonic() + timeout
        while not self.eof and not self.buf:
            self.fill(deadline)
        return self.eof and not self.buf


class Server:
    """One model's server: started with --ready-fd, stopped with SIGTERM."""

    def __init__(self, bindir, model, pair, args, env=None):
        binary, margs = MODELS[model]
        rfd, wfd = os.pipe()
        self.cmd = [os.path.join(bindir, binary), pair, "--serve", "0", "--json",
                    "--ready-fd", str(wfd)] + margs + args
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     pass_fds=(wfd,), env=dict(os.environ, **(env or {})))
        os.close(wfd)
        servers.append(self)
        with os.fdopen(rfd, "rb") as r:
            line = r.readline().decode()
        self.port = int(line.rsplit(":", 1)[1]) if line.startswith("listening") else None
        self.answered = 0  # 200s the clients received

    def connect(self, rcvbuf=0):
        s = socket.socket()
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.connect(("127.0.0.1", self.port))
        return s

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def stop(self):
        """SIGTERM; (exit status, stats line or None, stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, err = self.proc.communicate(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            return None, None, "hung after SIGTERM"
        lines = out.decode().splitlines()
        stats = json.loads(lines[-1]) if lines else None
        return self.proc.returncode, stats, err.decode()


def fanout_checksum(bindir, model, pair, args):
    binary, margs = MODELS[model]
    out = subprocess.run([os.path.join(bindir, binary), pair, "-c", "2", "-n", str(K), "--json"]
                         + margs + args, capture_output=True, timeout=60).stdout.decode()
    return json.loads(out)["checksum"] if out.strip() else None


def served_checksum(srv, pair):
    """ids 0..K-1 pipelined on one connection, answered in order: their fold."""
    s = srv.connect()
    s.sendall(b"".join(req(b"/%s?id=%d" % (pair.encode(), i)) for i in range(K)))
    rd, total = Reader(s), 0
    for i in range(K):
        r = rd.response()
        if r is None or r[0] != 200:
            return None
        srv.answered += 1
        total = (total + fold(i, int(r[2][:16], 16))) & M64
    s.close()
    return "%016x" % total


def reset_pending(srv, pair):
    """A client that resets its connection with its request pending."""
    s = srv.connect()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.sendall(req(b"/%s?id=7" % pair.encode()))
    s.close()


def check_pair(bindir, model, pair, args):
    """The served checksum against the fan-out's, then SIGTERM's count."""
    srv = Server(bindir, model, pair, args)
    if srv.port is None:
        rc, stats, err = srv.stop()
        why = stats.get("reason", "") if stats else err.strip()
        say(rc == 3 and "unsupported" in why,
            "%s %s: # skip %s" % (model, pair, why) if "unsupported" in why
            else "%s %s: the server did not start: %s" % (model, pair, why))
        return
    want = fanout_checksum(bindir, model, pair, args)
    got = served_checksum(srv, pair)
    say(got is not None and got == want,
        "%s %s: served checksum of ids 0..%d %s, fan-out %s" % (model, pair, K - 1, got, want))
    # The server closes as it answers: on a callback model, inside the pair's
    # own reply callback (async redis_get freed hiredis's context there and
    # crashed on the disconnect callback hiredis runs after it).
    s = srv.connect()
    s.sendall(req(b"/%s?id=0" % pair.encode(), b"Connection: close\r\n"))
    rd = Reader(s)
    r = rd.response()
    closed = r is not None and rd.closed()
    srv.answered += r is not None and r[0] == 200
    extra = fold(0, int(r[2][:16], 16)) if r is not None and r[0] == 200 else 0
    s.close()
    say(r is not None and r[0] == 200 and closed and srv.proc.poll() is None,
        "%s %s: Connection: close answered, then closed, the server alive (%s)"
        % (model, pair, r and r[0]))
    if pair == "io_sleep":  # a task that waits: the reset lands while it runs
        reset_pending(srv, pair)
        time.sleep(0.05)
    rc, stats, err = srv.stop()
    want = "%016x" % ((int(want, 16) + extra) & M64) if want else want  # and id 0 again
    ok = rc == 0 and stats and stats["status"] == "ok" and stats["requests"] == srv.answered \
        and stats["checksum"] == want
    say(ok, "%s %s: SIGTERM: exit %s, stats line requests %s (clients got %d), checksum %s%s"
        % (model, pair, rc, stats and stats["requests"], srv.answered, stats and stats["checksum"],
           "" if ok else ": " + err.strip()[-300:]))
    if pair == "io_sleep" and stats:
        say(stats["dropped"] >= 1, "%s: a client reset with its request pending: %d reply "
            "dropped, the server went on" % (model, stats["dropped"]))


def expect(rd, statuses, what, model):
    """The next responses have these statuses, in order."""
    got = []
    for _ in statuses:
        r = rd.response()
        got.append(r and r[0])
    say(got == list(statuses), "%s: %s: %s (want %s)" % (model, what, got, list(statuses)))
    return got == list(statuses)


def slow_reader(srv, model):
    """A client that pipelines SLOW_REQUESTS and reads nothing: another client is served
    meanwhile, and then every answer arrives, in order."""
    slow = srv.connect(rcvbuf=4096)
    batch = b"".join(req(b"/cpu_hash?id=%d" % (i % 100)) for i in range(SLOW_REQUESTS))
    sender = threading.Thread(target=slow.sendall, args=(batch,), daemon=True)
    sender.start()
    time.sleep(0.3)
    other = srv.connect()
    t0 = time.monotonic()
    other.sendall(req(b"/cpu_hash?id=1"))
    r = Reader(other).response()
    took = time.monotonic() - t0
    say(r is not None and r[0] == 200 and took < 2,
        "%s: a slow reader's unread answers hold up no other client (%.3f s)" % (model, took))
    srv.answered += r is not None and r[0] == 200
    other.close()
    rd, n = Reader(slow), 0
    try:
        while n < SLOW_REQUESTS:
            r = rd.response()
            if r is None or r[0] != 200:
                break
            n += 1
    except TimeoutError:
        pass
    sender.join(WAIT_S)
    srv.answered += n
    say(n == SLOW_REQUESTS, "%s: the slow reader got all %d answers (%d)" % (model, SLOW_REQUESTS, n))
    slow.close()


def protocol(bindir, model):
    """Malformed, oversized, pipelined, half-closed; no descriptor leaked; EMFILE."""
    # A send buffer of 4 KiB (the server's test hook): the slow reader's answers fill it.
    srv = Server(bindir, model, "cpu_hash", ["--work", "10"], {"TVSA_SERVE_SNDBUF": "4096"})
    if srv.port is None:
        say(False, "%s: the cpu_hash server did not start: %s" % (model, srv.stop()[2]))
        return
    time.sleep(0.1)
    before = srv.fds()
    cases = [  # (what, bytes sent, statuses, closed after)
        ("pipelined, answered in order", req(b"/cpu_hash?id=1") + req(b"/nope?id=1")
         + req(b"/cpu_hash?id=2") + b"POST /cpu_hash?id=3 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
         + req(b"/cpu_hash?id=1"), [200, 404, 200, 405, 200], False),
        ("malformed request: 400, then closed", b"GARBAGE \x01\r\n\r\n", [400], True),
        ("request head over 8 KiB: 431, then closed",
         req(b"/cpu_hash?id=1", b"X-Big: " + b"a" * 9000 + b"\r\n"), [431], True),
        ("id out of range: 400", req(b"/cpu_hash?id=4294967296"), [400], True),
        ("no id: 400", req(b"/cpu_hash"), [400], True),
        ("HTTP/1.0: answered, then closed", req(b"/cpu_hash?id=3", version=b"HTTP/1.0"), [200], True),
        ("Connection: close honoured", req(b"/cpu_hash?id=3", b"Connection: close\r\n"), [200], True),
    ]
    for what, data, statuses, closes in cases:
        s = srv.connect()
        s.sendall(data)
        rd = Reader(s)
        good = expect(rd, statuses, what, model)
        srv.answered += statuses.count(200) if good else 0
        if closes:
            say(rd.closed(), "%s: %s: the server closed the connection" % (model, what))
        s.close()
    # Half-closed: three requests, then the client shuts its side: three answers, then EOF.
    s = srv.connect()
    s.sendall(req(b"/cpu_hash?id=4") * 3)
    s.shutdown(socket.SHUT_WR)
    rd = Reader(s)
    if expect(rd, [200, 200, 200], "half-closed after 3 requests: all answered", model):
        srv.answered += 3
    say(rd.closed(), "%s: half-closed: closed after its answers" % model)
    s.close()
    # Bytes of a request, then the client's close mid-way: nothing owed, nothing broken.
    s = srv.connect()
    s.sendall(b"GET /cpu_hash?id=1 HTT")
    s.close()
    slow_reader(srv, model)
    after, deadline = srv.fds(), time.monotonic() + 3
    while after != before and time.monotonic() < deadline:
        time.sleep(0.05)
        after = srv.fds()
    say(after == before, "%s: descriptors before the clients %d, after %d" % (model, before, after))
    emfile(srv, model)
    idle = srv.connect()  # SIGTERM with a connection open: it is closed, the line written
    time.sleep(0.05)
    rc, stats, err = srv.stop()
    idle.close()
    ok = rc == 0 and stats and stats["requests"] == srv.answered
    say(ok, "%s: SIGTERM with an idle connection: exit %s, requests %s, clients got %d%s"
        % (model, rc, stats and stats["requests"], srv.answered, "" if ok else ": " + err[-300:]))
    if stats:
        say(stats["accept_errors"] >= 1 and stats["bad_requests"] >= 6,
            "%s: counted: %d accept errors, %d bad requests" % (model, stats["accept_errors"],
                                                              stats["bad_requests"]))


def emfile(srv, model):
    """The server's descriptor limit lowered to what it holds + 3: clients past it wait in the
    backlog while accept fails with EMFILE, and are served as others close."""
    limit = srv.fds() + 3
    with open("/proc/%d/limits" % srv.proc.pid) as f:  # the soft limit only: raising it back
        soft = next(l.split()[3] for l in f if l.startswith("Max open files"))  # needs no privilege
    subprocess.run(["prlimit", "--pid", str(srv.proc.pid), "--nofile=%d:" % limit], check=True)
    socks = [srv.connect() for _ in range(EMFILE_CLIENTS)]
    for s in socks:
        s.sendall(req(b"/cpu_hash?id=5"))
    readers = {s: Reader(s) for s in socks}
    deadline, served = time.monotonic() + WAIT_S, 0
    while readers and time.monotonic() < deadline:
        ready = select.select(list(readers), [], [], max(0.0, deadline - time.monotonic()))[0]
        for s in ready:
            r = readers[s].response(timeout=1)
            if r and r[0] == 200:
                served += 1
            del readers[s]
            s.close()  # frees a descriptor of the server's for the next client
    for s in readers:
        s.close()
    srv.answered += served
    subprocess.run(["prlimit", "--pid", str(srv.proc.pid), "--nofile=%s:" % soft], check=True)
    say(served == EMFILE_CLIENTS and srv.proc.poll() is None,
        "%s: EMFILE at accept survived: %d of %d clients served past a limit of %d descriptors"
        % (model, served, EMFILE_CLIENTS, limit))


def kill_servers():
    """Whatever a failed step left running is killed, and said."""
    for srv in servers:
        if srv.proc.poll() is None:
            srv.proc.kill()
            srv.proc.wait()
            say(False, "a server was left running after its step: %s" % " ".join(srv.cmd))


def main():
    try:
        return run(sys.argv[1], sys.argv[2], sys.argv[3:])
    finally:
        kill_servers()


def run(bindir, scratch, models):
    """Every model's checks; 1 if any failed."""
    models = models or list(MODELS)
    if "pool" in models and "--pool" not in subprocess.run(
            [os.path.join(bindir, "threads"), "--help"], capture_output=True).stdout.decode():
        models.remove("pool")
        say(True, "pool: # skip: bin/threads has no --pool yet")
    data = ["--data-dir", os.path.join(scratch, "data"), "--file-mib", "8"]
    for model in models:
        steps = [(check_pair, (bindir, model, pair, data if pair == "file_read" else []))
                 for pair in PAIRS] + [(protocol, (bindir, model))]
        for step, args in steps:
            try:
                step(*args)
            except Exception as e:  # a hung or broken server: a failure, and on to the next
                say(False, "%s: %s%s: %s: %s" % (model, step.__name__, args[2:3], type(e).__name__, e))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
