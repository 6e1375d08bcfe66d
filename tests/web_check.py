"""web_check.py - load a page in headless Chromium and report what rendered (tests/test_web.sh).

    python3 tests/web_check.py CHROMIUM PAGE SHOT [SHOT2]

Starts CHROMIUM headless with a fresh profile and talks to it over the
DevTools protocol on --remote-debugging-pipe (commands on fd 3, replies and
events on fd 4, each message a JSON text ending in a NUL byte): no websocket,
no npm package, the standard library only.  It opens PAGE (a file) in a
1600x2000 viewport, waits for the load event, then prints one JSON object:

  figures     per <figure>: kind (svg or img), its laid-out width and height
              (px), for an SVG the elements it draws and the extent of what it
              drew (getBBox), for an <img> its natural width (0: not loaded)
  svgs        every <svg> in the page, <figure> or not
  headings    the h1 and h2 texts in page order
  console     console messages and log entries of level error or warning
              (Runtime.consoleAPICalled, Runtime.exceptionThrown, Log.entryAdded)
  requests    URLs the page asked for that are not file: or data: (the page
              must need no network)
  load_ms     navigation to load event

and saves SHOT, a PNG of the first screen (the viewport, 1600x2000), and
SHOT2, when given, of the screen scrolled to the first figure.

Exit 0 when it could report; 3 when the browser could not be started or did
not answer in time (one line on stderr).
"""

import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

TIMEOUT_S = 90                  # the whole check, start to screenshot
VIEW_W, VIEW_H = 1600, 2000     # the viewport: the page at a screen's width
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--remote-debugging-pipe",
         "--window-size=%d,%d" % (VIEW_W, VIEW_H)]
# What the page drew, read in the page after its load event.
PROBE = r"""JSON.stringify({
  figures: [...document.querySelectorAll('figure')].map(f => {
    const s = f.querySelector('svg'), i = f.querySelector('img'), e = s || i;
    const r = e ? e.getBoundingClientRect() : {width: 0, height: 0};
    if (s) {
      let bb = {width: 0, height: 0};
      try { bb = s.getBBox(); } catch (x) {}
      return {kind: 'svg', width: r.width, height: r.height,
              drawn: s.querySelectorAll('path,line,polyline,polygon,circle,rect,text,use').length,
              bbox_w: bb.width, bbox_h: bb.height,
              caption: (f.querySelector('figcaption') || {}).textContent || ''};
    }
    return {kind: i ? 'img' : 'none', width: r.width, height: r.height,
            natural: i ? i.naturalWidth : 0, src: i ? i.getAttribute('src') : '',
            caption: (f.querySelector('figcaption') || {}).textContent || ''};
  }),
  svgs: document.querySelectorAll('svg').length,
  headings: [...document.querySelectorAll('h1, h2')].map(h => h.tagName + ' ' + h.textContent),
  first_figure_y: (() => { const f = document.querySelector('figure');
                           return f ? f.getBoundingClientRect().top + window.scrollY : -1; })()
})"""


class Browser:
    """A Chromium process and its DevTools pipe."""

    def __init__(self, chromium, profile):
        cmd_r, self.cmd_w = os.pipe()       # we write commands, Chromium reads fd 3
        self.evt_r, evt_w = os.pipe()       # Chromium writes fd 4, we read

        def child_fds():
            os.dup2(cmd_r, 3)
            os.dup2(evt_w, 4)
        self.proc = subprocess.Popen(
            [chromium] + FLAGS + ["--user-data-dir=" + profile, "about:blank"],
            pass_fds=(3, 4), preexec_fn=child_fds, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(cmd_r)
        os.close(evt_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.deadline = time.monotonic() + TIMEOUT_S

    def _read_message(self):
        while b"\0" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from the browser in %d s" % TIMEOUT_S)
            ready, _, _ = select.select([self.evt_r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.evt_r, 1 << 16)
            if not chunk:
                raise EOFError("the browser closed its DevTools pipe (exit %s)"
                               % self.proc.poll())
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None):
        """Send one command and wait for its reply (events that arrive in
        between are kept in self.events); returns its result."""
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read_message()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"].get("message")))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method):
        """Wait until an event named method has arrived."""
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._read_message())

    def close(self):
        try:
            self.call("Browser.close")
        except (OSError, EOFError, TimeoutError, RuntimeError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.cmd_w)
        os.close(self.evt_r)


def console_of(events):
    """Error and warning messages among the events, one string each."""
    out = []
    for e in events:
        p, m = e.get("params", {}), e.get("method")
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            out.append("%s: %s" % (p["type"], " ".join(
                str(a.get("value", a.get("description", ""))) for a in p.get("args", []))))
        elif m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.append("error: exception: %s" % (d.get("exception", {}).get("description")
                                                 or d.get("text")))
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
            ent = p["entry"]
            out.append("%s: %s %s" % (ent["level"], ent.get("text", ""), ent.get("url", "")))
    return out


def check(chromium, page, shot, shot2=None):
    """Load page, probe it, save the screenshots; the report as a dict."""
    profile = tempfile.mkdtemp(prefix="tvsa-chromium-")
    b = Browser(chromium, profile)
    try:
        target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        sid = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            b.call(domain + ".enable", session=sid)
        b.call("Emulation.setDeviceMetricsOverride", {"width": VIEW_W, "height": VIEW_H,
                                                      "deviceScaleFactor": 1, "mobile": False},
               session=sid)
        t0 = time.monotonic()
        b.call("Page.navigate", {"url": "file://" + os.path.abspath(page)}, session=sid)
        b.wait_event("Page.loadEventFired")
        load_ms = (time.monotonic() - t0) * 1000
        res = b.call("Runtime.evaluate", {"expression": PROBE, "returnByValue": True},
                     session=sid)
        report = json.loads(res["result"]["value"])
        img = b.call("Page.captureScreenshot", {"format": "png"}, session=sid)
        with open(shot, "wb") as f:
            f.write(base64.b64decode(img["data"]))
        if shot2 and report["first_figure_y"] >= 0:
            b.call("Runtime.evaluate", {"expression": "window.scrollTo(0, %d)" % max(
                0, report["first_figure_y"] - 20)}, session=sid)
            img = b.call("Page.captureScreenshot", {"format": "png"}, session=sid)
            with open(shot2, "wb") as f:
                f.write(base64.b64decode(img["data"]))
        report["load_ms"] = round(load_ms)
        report["console"] = console_of(b.events)
        report["requests"] = sorted({e["params"]["request"]["url"] for e in b.events
                                     if e.get("method") == "Network.requestWillBeSent"
                                     and not e["params"]["request"]["url"].startswith(
                                         ("file:", "data:"))})
        return report
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)


def main(argv):
    if len(argv) not in (3, 4):
        print("usage: web_check.py CHROMIUM PAGE SHOT [SHOT2]", file=sys.stderr)
        return 2
    try:
        report = check(*argv)
    except (OSError, EOFError, TimeoutError, RuntimeError, KeyError, ValueError) as e:
        print("web_check.py: %s" % e, file=sys.stderr)
        return 3
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
