"""web.py - index.html of a run: report.md as a web page, its figures inline.

The page is report.md itself, converted (to_html): it opens with what
report.md opens with, summary first, and says nothing report.md does not.
The converter knows the markdown the report writes (render.py, rate.py,
verdicts and the rest) and nothing more: headings, paragraphs, lists nested
by two spaces, GFM tables (alignment, "\\|" in a cell), fenced code,
blockquotes, **bold**, *italics*, `code`, links, images, a horizontal rule,
and the <details>/<summary> lines render.py writes.  Any other text, "<"
included, is escaped: the page shows it as report.md has it.  Underscores are
never emphasis (p50_us, delay_us).

An image ![alt](NAME.png) whose NAME.svg is beside it becomes that SVG,
inline, its ids prefixed so two figures' ids never collide; without the SVG
it is an <img> of the file; without either, a line saying the file is
missing.  SVG figures of the run folder (and of its subfolders) that
report.md does not show follow in a last section, "Other figures", so a
figure a new part of the sweep draws is on the page before the report names
it.

One file: no script, no style sheet or font from elsewhere, no network;
opened from disk (file://) it needs only the PNGs of figures without an SVG.
Written atomically like every output (load.write_atomic).
"""

import html
import os
import re

from .load import REPORT_MD, write_atomic

INDEX_HTML = "index.html"
FIGURE_EXT = ".svg"             # an image's inline twin: NAME.png -> NAME.svg
OTHER_FIGURES = "Other figures"
SKIP_DIRS = {"stats", "hist", "hgrm", "hyperfine"}  # run data, no figures

STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
       color: #1b1b1b; background: #fff; margin: 0; }
main { max-width: 1640px; margin: 0 auto; padding: 12px 20px 40px; }
h1 { font-size: 26px; margin: 8px 0 4px; }
h2 { font-size: 21px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 3px; }
h3 { font-size: 17px; margin: 20px 0 6px; }
code, pre { font: 13px/1.4 "DejaVu Sans Mono", ui-monospace, monospace; }
code { background: #f3f3f3; padding: 0 3px; border-radius: 3px; }
pre { background: #f6f6f6; padding: 8px 10px; overflow-x: auto; }
pre code { background: none; padding: 0; }
blockquote { margin: 10px 0; padding: 6px 14px; border-left: 4px solid #c00000;
             background: #fff6f6; }
.table { overflow-x: auto; margin: 8px 0 14px; }
table { border-collapse: collapse; font-size: 13.5px; }
th, td { border: 1px solid #d6d6d6; padding: 3px 7px; vertical-align: top; }
th { background: #f2f2f2; position: sticky; top: 0; }
tr:nth-child(even) td { background: #fafafa; }
figure { margin: 12px 0 18px; max-width: 1600px; }
figure svg, figure img { display: block; width: 100%; height: auto; border: 1px solid #e4e4e4; }
figcaption { font-size: 13px; color: #555; margin-top: 3px; }
.missing { color: #c00000; }
details.toc { margin: 4px 0 10px; font-size: 14px; }
details.toc ul { columns: 3 280px; margin: 4px 0; }
footer { color: #777; font-size: 12.5px; margin-top: 30px; }
"""

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^(\s*)```")
_BULLET = re.compile(r"^( *)([-*+]|\d+[.)])\s+(.*)$")
_RULE = re.compile(r"^\s*(-{3,}|\*{3,}|_{3,})\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$")
_IMAGE_ONLY = re.compile(r"^!\[([^\]]*)\]\(([^)\s]+)\)$")
_DETAILS = re.compile(r"^\s*(<details( open)?>|</details>)\s*(.*)$")
_SUMMARY = re.compile(r"^\s*<summary>(.*)</summary>\s*$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _safe_url(url):
    """True for a relative path, an #anchor or an http(s) address; False for
    javascript:, data: and any other scheme."""
    return not _SCHEME.match(url) or url.lower().startswith(("http:", "https:"))


class _Page:
    """What one conversion shares: the run folder (for figures), the figures
    shown so far, the ids given to headings."""

    def __init__(self, run_dir):
        self.run_dir = run_dir
        self.figures = []       # the SVG files inlined, relative to run_dir
        self.ids = set()
        self.headings = []      # (level, id, text) for the contents


def _inline(text):
    """One line's inline markdown as HTML: escaped, then `code`, images,
    links, **bold**, *italics*; "\\|" is a plain bar."""
    parts = re.split(r"(`[^`]*`)", text)
    out = []
    for part in parts:
        if len(part) >= 2 and part.startswith("`") and part.endswith("`"):
            out.append("<code>%s</code>" % html.escape(part[1:-1], quote=False))
            continue
        s = html.escape(part.replace("\\|", "|"), quote=False)
        s = re.sub(r"!\[([^\]]*)\]\(([^)\s]+)\)", lambda m: '<img src="%s" alt="%s">' % (
            html.escape(m.group(2)), m.group(1)) if _safe_url(m.group(2)) else m.group(0), s)
        s = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", lambda m: '<a href="%s">%s</a>' % (
            html.escape(m.group(2)), m.group(1)) if _safe_url(m.group(2)) else m.group(0), s)
        s = re.sub(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", r"<strong>\1</strong>", s)
        s = re.sub(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])", r"<em>\1</em>", s)
        out.append(s)
    return "".join(out)


def _cells(line):
    """A table row's cells: split on "|" not escaped and not in `code`."""
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    cells, cur, code = [], "", False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line) and line[i + 1] == "|":
            cur += "\\|"
            i += 2
            continue
        if ch == "`":
            code = not code
        if ch == "|" and not code:
            cells.append(cur.strip())
            cur = ""
        else:
            cur += ch
        i += 1
    cells.append(cur.strip())
    return cells


def _table(lines):
    """A GFM table (header, separator, rows) as HTML."""
    head = _cells(lines[0])
    aligns = []
    for spec in _cells(lines[1]):
        left, right = spec.startswith(":"), spec.endswith(":")
        aligns.append("center" if left and right else "right" if right else "left" if left
                      else None)

    def row(cells, tag):
        out = []
        for i, c in enumerate(cells):
            a = aligns[i] if i < len(aligns) else None
            out.append("<%s%s>%s</%s>" % (tag, ' style="text-align:%s"' % a if a else "",
                                          _inline(c), tag))
        return "<tr>%s</tr>" % "".join(out)
    body = [row(_cells(ln), "td") for ln in lines[2:]]
    return ('<div class="table"><table>\n<thead>%s</thead>\n<tbody>\n%s\n</tbody></table></div>'
            % (row(head, "th"), "\n".join(body)))


def _slug(page, text):
    """A unique id for a heading."""
    base = re.sub(r"[^a-z0-9]+", "-", html.unescape(re.sub(r"<[^>]+>", "", text)).lower())
    base = base.strip("-") or "section"
    slug, n = base, 2
    while slug in page.ids:
        slug, n = "%s-%d" % (base, n), n + 1
    page.ids.add(slug)
    return slug


def _svg_inline(page, path):
    """The SVG file at path as markup for an HTML page: no XML declaration,
    DOCTYPE or comments; every id, and every reference to one, prefixed with
    the figure's number."""
    with open(path, encoding="utf-8", errors="replace") as f:
        svg = f.read()
    svg = re.sub(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", "", svg, flags=re.S)
    pre = "fig%d-" % (len(page.figures) + 1)
    svg = re.sub(r"""\bid=(["'])""", r"id=\1" + pre, svg)
    svg = re.sub(r"""(href=)(["'])#""", r"\1\2#" + pre, svg)
    svg = re.sub(r"url\(#", "url(#" + pre, svg)
    svg = re.sub(r"<svg\b", '<svg role="img"', svg, count=1)
    page.figures.append(os.path.relpath(path, page.run_dir))
    return svg.strip()


def _figure(page, alt, src):
    """A figure: its SVG inline when there is one beside src, else an <img>,
    else a line saying it is missing."""
    cap = "<figcaption>%s</figcaption>" % _inline(alt) if alt else ""
    if _SCHEME.match(src):      # a figure is a file of the run folder, nothing else
        return "<p>%s</p>" % _inline("![%s](%s)" % (alt, src))
    path = os.path.normpath(os.path.join(page.run_dir, src))
    svg = os.path.splitext(path)[0] + FIGURE_EXT
    if os.path.isfile(svg):
        markup = _svg_inline(page, svg)
        box = re.search(r"""viewBox=["'][-\d.]+ [-\d.]+ ([\d.]+) [\d.]+["']""", markup)
        width = ' style="max-width:%spx"' % box.group(1) if box else ""   # never enlarged
        return "<figure%s>%s%s</figure>" % (width, markup, cap)
    if os.path.isfile(path):
        return '<figure><img src="%s" alt="%s">%s</figure>' % (
            html.escape(src), html.escape(alt), cap)
    return '<p class="missing">Figure %s: not in the run folder.</p>' % html.escape(src)


def _blocks(page, lines):
    """Block-level markdown (a list of lines) as a list of HTML strings."""
    out, i, para = [], 0, []

    def flush():
        if para:
            out.append("<p>%s</p>" % "\n".join(_inline(p) for p in para))
            para.clear()
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            flush()
            i += 1
        elif _FENCE.match(line):
            flush()
            j = i + 1
            while j < len(lines) and not _FENCE.match(lines[j]):
                j += 1
            out.append("<pre><code>%s</code></pre>" % html.escape("\n".join(lines[i + 1:j]),
                                                                  quote=False))
            i = j + 1
        elif _HEADING.match(line):
            flush()
            m = _HEADING.match(line)
            level, text = len(m.group(1)), _inline(m.group(2))
            hid = _slug(page, text)
            page.headings.append((level, hid, text))
            out.append('<h%d id="%s">%s</h%d>' % (level, hid, text, level))
            i += 1
        elif _DETAILS.match(line):
            flush()
            m = _DETAILS.match(line)
            out.append(m.group(1))
            rest = m.group(3)
            if rest and _SUMMARY.match(rest):
                out.append("<summary>%s</summary>" % _inline(_SUMMARY.match(rest).group(1)))
            elif rest:
                para.append(rest)
            i += 1
        elif _SUMMARY.match(line):
            flush()
            out.append("<summary>%s</summary>" % _inline(_SUMMARY.match(line).group(1)))
            i += 1
        elif stripped.startswith("|") and i + 1 < len(lines) and _TABLE_SEP.match(lines[i + 1]) \
                and "-" in lines[i + 1]:
            flush()
            j = i + 2
            while j < len(lines) and lines[j].strip().startswith("|"):
                j += 1
            out.append(_table(lines[i:j]))
            i = j
        elif stripped.startswith(">"):
            flush()
            j, inner = i, []
            while j < len(lines) and lines[j].strip().startswith(">"):
                inner.append(re.sub(r"^\s*> ?", "", lines[j]))
                j += 1
            out.append("<blockquote>%s</blockquote>" % "\n".join(_blocks(page, inner)))
            i = j
        elif _RULE.match(line) and not para:
            out.append("<hr>")
            i += 1
        elif _BULLET.match(line):
            flush()
            j = i
            while j < len(lines) and lines[j].strip() and (
                    _BULLET.match(lines[j]) or lines[j].startswith(" ")):
                j += 1
            out.append(_list(page, lines[i:j]))
            i = j
        elif _IMAGE_ONLY.match(stripped) and not para:
            m = _IMAGE_ONLY.match(stripped)
            out.append(_figure(page, m.group(1), m.group(2)))
            i += 1
        else:
            para.append(line)
            i += 1
    flush()
    return out


def _list(page, lines):
    """A list, nested by indentation: each item's text, its continuation
    lines, and its sub-list."""
    m = _BULLET.match(lines[0])
    indent = len(m.group(1))
    tag = "ol" if m.group(2)[0].isdigit() else "ul"
    items, cur = [], None
    for line in lines:
        b = _BULLET.match(line)
        if b and len(b.group(1)) <= indent:
            cur = [b.group(3), []]
            items.append(cur)
        elif cur is not None:
            cur[1].append(line)
    out = []
    for text, sub in items:
        nested = [ln for ln in sub if _BULLET.match(ln)]
        cont = [ln.strip() for ln in sub[:sub.index(nested[0])]] if nested else [
            ln.strip() for ln in sub]
        body = _inline(" ".join([text] + cont))
        if nested:
            body += _list(page, sub[sub.index(nested[0]):])
        out.append("<li>%s</li>" % body)
    return "<%s>\n%s\n</%s>" % (tag, "\n".join(out), tag)


def other_figures(run_dir, shown):
    """The SVG files under run_dir (its data folders left out) that the page
    does not show yet, sorted: a figure is an .svg beside its .png."""
    found = []
    for d, subdirs, files in os.walk(run_dir):
        subdirs[:] = sorted(s for s in subdirs if s not in SKIP_DIRS and not s.startswith("."))
        for f in sorted(files):
            rel = os.path.relpath(os.path.join(d, f), run_dir)
            if f.endswith(FIGURE_EXT) and not f.startswith(".") and rel not in shown:
                found.append(rel)
    return found


def to_html(markdown, run_dir, title=None):
    """The page of report text `markdown` whose figures are in run_dir."""
    page = _Page(run_dir)
    body = _blocks(page, markdown.splitlines())
    extra = other_figures(run_dir, set(page.figures))
    if extra:
        hid = _slug(page, OTHER_FIGURES)
        page.headings.append((2, hid, OTHER_FIGURES))
        body.append('<h2 id="%s">%s</h2>' % (hid, OTHER_FIGURES))
        body.append("<p>Figures of this run folder that the report does not show.</p>")
        body += [_figure(page, rel, rel) for rel in extra]
    h1 = next((t for lvl, _, t in page.headings if lvl == 1), None)
    title = title or (re.sub(r"<[^>]+>", "", h1) if h1 else os.path.basename(
        os.path.abspath(run_dir)))
    toc = [(hid, text) for lvl, hid, text in page.headings if lvl == 2]
    nav = ('<details class="toc"><summary>Contents: %d sections</summary><ul>%s</ul></details>'
           % (len(toc), "".join('<li><a href="#%s">%s</a></li>' % (h, t) for h, t in toc))
           if len(toc) > 2 else "")
    if nav:     # under the title, before the first section
        first = next((k for k, b in enumerate(body) if b.startswith("<h1")), -1)
        body.insert(first + 1, nav)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n%s\n"
            "<footer>This page is %s of this run folder, its figures inline "
            "(scripts/report/web.py); it needs no network.</footer>\n</main>\n</body>\n</html>\n"
            % (html.escape(title, quote=False), STYLE, "\n".join(body), REPORT_MD))


def write_page(run_dir):
    """Write run_dir/index.html from run_dir/report.md (atomically); returns
    its name, or None when there is no report.md to show."""
    path = os.path.join(run_dir, REPORT_MD)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        text = f.read()
    write_atomic(os.path.join(run_dir, INDEX_HTML), to_html(text, run_dir))
    return INDEX_HTML
