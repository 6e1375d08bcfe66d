#!/bin/sh
# test_web.sh - results/<run>/index.html, the report as a web page: built by
# `make report RUN=dir` beside report.md, written atomically, the report's own
# text in its own order (whatever report.md opens with, the page opens with),
# every figure inline as SVG; then loaded from disk in a real browser,
# Debian's chromium headless, driven over the DevTools protocol on a pipe
# (tests/web_check.py): every figure laid out and drawn, no console error, no
# request that is not a file, and a screenshot of the first screen.
# TVSA_WEB_SHOTS=DIR keeps the screenshots.  Chromium comes from
# `scripts/deps.sh web`; where it cannot be installed the browser part is
# skipped with one line (TVSA_REQUIRE_CHROMIUM=1: a failure instead).
. "$(dirname "$0")/lib.sh"

FX="$SCRATCH/fx"
python3 "$ROOT/tests/fixture_figures.py" "$FX" || { not_ok "fixture_figures.py failed"; finish; }
RUN="$FX/figs"
# A figure the report does not name (as a new part of the sweep would draw):
# the page must show it anyway.
mkdir -p "$RUN/extra"
gnuplot -e "set terminal svg size 800,400 dynamic; set output '$RUN/extra/extra-figure.svg'; plot sin(x)"

# ---- built by make report, atomically, beside report.md ------------------------
make -s --no-print-directory -C "$ROOT" report RUN="$RUN" >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
check "make report RUN=dir: exit $rc$( [ $rc = 0 ] || printf ': %s' "$(tail -1 "$SCRATCH/err")")" [ $rc = 0 ]
check "index.html written beside report.md" test -s "$RUN/index.html"
check "no temporary file left in the run folder" sh -c "! find '$RUN' -name '.*tmp*' | grep -q ."
before=$(cksum <"$RUN/index.html")
rm "$RUN/wcpu.svg"
make -s --no-print-directory -C "$ROOT" plots RUN="$RUN" >"$SCRATCH/out" 2>"$SCRATCH/err"
check "make plots redraws the figures and rewrites index.html from report.md" \
	sh -c "test -s '$RUN/wcpu.svg' && test -s '$RUN/index.html'"
check "... the same page as before (the same figures)" [ "$before" = "$(cksum <"$RUN/index.html")" ]

# ---- the page: report.md's text, its order, figures inline ----------------------
python3 - "$ROOT" "$RUN" <<'PY' || not_ok "the page checks stopped (a Python error above)"
import os, re, sys
root, run = sys.argv[1:3]
sys.path.insert(0, root)
from scripts.report import web
def say(good, what):
    print(("ok - " if good else "not ok - ") + what)
page = open(os.path.join(run, "index.html")).read()
md = open(os.path.join(run, "report.md")).read()
heads_md = [re.sub(r"[*`]", "", h) for h in re.findall(r"^##? (.*)$", md, re.M)]
heads_page = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<h[12] id=\"[^\"]*\">(.*?)</h[12]>", page)]
import html as h
heads_page = [h.unescape(x) for x in heads_page]
say(heads_page[:len(heads_md)] == heads_md,
    "the page's headings are report.md's, in its order (first: %s)" % (heads_page[1:2]))
imgs = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
say(page.count("<figure") == len(imgs) + 1,
    "a figure per image of report.md (%d) and the one report.md does not name" % len(imgs))
say("<svg" in page and "<img" not in page,
    "every figure inline as SVG (each has its .svg beside it), no <img>")
ids = re.findall(r"""\bid=["']([^"']+)["']""", page)
say(len(ids) == len(set(ids)), "no id twice in the page (%d ids: each figure's prefixed)" % len(ids))
refs = set(re.findall(r"""href=["']#([^"']+)["']""", page)) | set(re.findall(r"url\(#([^)]+)\)", page))
say(refs <= set(ids), "every #reference names an id of the page%s" % (
    "" if refs <= set(ids) else ": missing " + ", ".join(sorted(refs - set(ids))[:5])))
say("extra/extra-figure.svg" in page and web.OTHER_FIGURES in page,
    "a figure report.md does not name is shown under '%s'" % web.OTHER_FIGURES)
say(not re.search(r"<(script|link|iframe)\b|src=\"https?:|href=\"https?:", page),
    "no script, no linked style sheet or frame, nothing fetched from the network")

# The converter on the markdown the report writes.
probe = os.path.join(run, "probe")
os.makedirs(probe, exist_ok=True)
open(os.path.join(probe, "f.svg"), "w").write(
    "<?xml version='1.0'?>\n<!DOCTYPE svg PUBLIC 'x'\n 'y'>\n<svg viewBox=\"0 0 10 10\"><defs><path id='p'/></defs><use xlink:href='#p'/></svg>")
open(os.path.join(probe, "g.png"), "wb").write(b"\x89PNG\r\n\x1a\n")
md = """# T

| a | b \\| c | n |
|---|:-:|--:|
| `x|y` | <script>alert(1)</script> | 1 |

- one **bold** and *it* and p50_us_max, c < 64 & more
  - nested [link](rate/rate.md) and [bad](javascript:alert(1))
- two

> **Warning:** quoted
> second line

<details><summary>The 2 command lines run</summary>

```
a < b && c
```

</details>

![fig](f.png)

![png only](g.png)

![gone](none.png)
"""
out = web.to_html(md, probe)
say('<th style="text-align:center">b | c</th>' in out and '<td style="text-align:right">1</td>' in out,
    "tables: the alignment row read, an escaped bar kept in its cell")
say("<code>x|y</code>" in out, "a bar inside `code` does not split the cell")
say("&lt;script&gt;alert(1)&lt;/script&gt;" in out and "<script>" not in out,
    "text that looks like HTML is shown, not run")
say("<strong>bold</strong>" in out and "<em>it</em>" in out and "p50_us_max" in out and "<em>us" not in out,
    "bold and italics; underscores are never emphasis")
say("c &lt; 64 &amp; more" in out, "< and & escaped in text")
say(re.search(r"<li>one .*<ul>\s*<li>nested", out, re.S) is not None, "a list nested by two spaces")
say('<a href="rate/rate.md">link</a>' in out and "javascript:" not in re.sub(r"\[bad\]\(javascript:alert\(1\)\)", "", out),
    "a relative link kept; a javascript: one left as text")
say("<blockquote>" in out and "second line" in out, "a blockquote of two lines")
say("<details><summary>The 2 command lines run</summary>" in out.replace("\n", "")
    and "<pre><code>a &lt; b &amp;&amp; c</code></pre>" in out and "</details>" in out,
    "<details>/<summary> kept; a fenced block escaped")
say("id='fig1-p'" in out and "xlink:href='#fig1-p'" in out and "<?xml" not in out
    and "DOCTYPE svg" not in out, "an SVG inlined: its declaration and DOCTYPE dropped, ids prefixed")
say('<img src="g.png" alt="png only">' in out, "a PNG without its SVG: an <img>")
say('class="missing">Figure none.png' in out, "a figure that is not there: a line that says so")
PY

# ---- in a browser ---------------------------------------------------------------
skip() {
	if [ "${TVSA_REQUIRE_CHROMIUM:-0}" = 1 ]; then
		not_ok "web: chromium needed (TVSA_REQUIRE_CHROMIUM=1): $1"
		finish
	fi
	ok "skip: web: the page not loaded in a browser: $1"
	finish
}
sh "$ROOT/scripts/deps.sh" web >"$SCRATCH/deps.out" 2>&1 ||
	skip "chromium cannot be installed: $(tail -n 1 "$SCRATCH/deps.out")"
CHROMIUM=$(command -v chromium)
SHOTS=${TVSA_WEB_SHOTS:-$SCRATCH/shots}
mkdir -p "$SHOTS"

python3 "$ROOT/tests/web_check.py" "$CHROMIUM" "$RUN/index.html" "$SHOTS/index-first-screen.png" \
	"$SHOTS/index-first-figure.png" >"$SCRATCH/web.json" 2>"$SCRATCH/web.err"
rc=$?
check "chromium loaded index.html from disk (exit $rc$( [ $rc = 0 ] || printf ': %s' "$(tail -1 "$SCRATCH/web.err")"))" [ $rc = 0 ]
python3 - "$SCRATCH/web.json" "$RUN" "$SHOTS/index-first-screen.png" <<'PY' || not_ok "the browser checks stopped (a Python error above)"
import json, os, re, struct, sys
rep, run, shot = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
def say(good, what):
    print(("ok - " if good else "not ok - ") + what)
md = open(os.path.join(run, "report.md")).read()
want = len(re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)) + 1
figs = rep["figures"]
say(len(figs) == want and all(f["kind"] == "svg" for f in figs),
    "%d figures in the page, every one an inline SVG (report.md shows %d, one more unnamed)"
    % (len(figs), want - 1))
small = [f["caption"] for f in figs if f["width"] < 600 or f["height"] < 150]
say(not small, "every figure laid out at least 600 px wide%s" % ("" if not small else ": not " + "; ".join(small)))
empty = [f["caption"] for f in figs if f["drawn"] < 20 or f["bbox_w"] < 100 or f["bbox_h"] < 50]
say(not empty, "every figure drew its lines and text (elements %d..%d, extent %dx%d px at least)%s" % (
    min(f["drawn"] for f in figs), max(f["drawn"] for f in figs),
    min(f["bbox_w"] for f in figs), min(f["bbox_h"] for f in figs),
    "" if not empty else ": empty " + "; ".join(empty)))
errors = [c for c in rep["console"] if c.startswith("error")]
say(not errors, "no console error%s" % ("" if not errors else ": " + " | ".join(errors[:3])))
say(not rep["requests"], "no request that is not a file (%s)" % (rep["requests"][:3] or "none"))
say(rep["headings"][0].startswith("H1 ") and rep["headings"][1].startswith("H2 "),
    "the browser shows the title, then report.md's first section: %s" % rep["headings"][1][3:])
with open(shot, "rb") as f:
    head = f.read(24)
w, h = struct.unpack(">II", head[16:24]) if head[:8] == b"\x89PNG\r\n\x1a\n" else (0, 0)
say((w, h) == (1600, 2000), "a screenshot of the first screen: %dx%d PNG (%s)" % (w, h, shot))
PY

# The check can fail: a page with a console error, a broken figure and a
# request to the network is caught on each.
cat >"$SCRATCH/bad.html" <<'EOF'
<!DOCTYPE html><html><body><figure><svg viewBox="0 0 10 10" width="0" height="0"></svg></figure>
<script>console.error("boom")</script><img src="http://192.0.2.1/x.png"></body></html>
EOF
python3 "$ROOT/tests/web_check.py" "$CHROMIUM" "$SCRATCH/bad.html" "$SHOTS/bad.png" >"$SCRATCH/bad.json" 2>"$SCRATCH/bad.err"
python3 - "$SCRATCH/bad.json" <<'PY' || not_ok "the control page was not checked: $(tail -1 "$SCRATCH/bad.err")"
import json, sys
rep = json.load(open(sys.argv[1]))
def say(good, what):
    print(("ok - " if good else "not ok - ") + what)
f = rep["figures"][0]
say(f["width"] < 600 and f["drawn"] < 20, "control: an empty figure is seen as empty (%dx%d, %d drawn)" % (
    f["width"], f["height"], f["drawn"]))
say(any("boom" in c for c in rep["console"]), "control: a console error is seen (%s)" % rep["console"][:1])
say(any(u.startswith("http://192.0.2.1") for u in rep["requests"]), "control: a network request is seen")
PY

finish
