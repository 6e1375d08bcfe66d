"""fmt.py - how the report writes numbers and reads meta.json: small helpers.

Numbers with 3 significant digits and k/M suffixes (12.3k, 1.05M), ratios
(1.07x), latencies in the unit that fits (70.1 us, 24.0 ms), markdown-safe
table cells, and meta_get() for a nested meta.json field that may be missing.

A leaf module: it imports nothing of this project.  Standard library only.
"""

import math

SIG_DIGITS = 3                          # significant digits of every number shown
KIB_PER_MIB = 1024.0
UNKNOWN = "unknown"
DASH = "\u2013"                         # an empty table cell


def is_num(x):
    """True for a finite int or float."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def fmt_sig(x, digits=SIG_DIGITS):
    """x with `digits` significant digits, never in e-notation: 0.512, 12.3, 850."""
    if not is_num(x):
        return DASH
    if x == 0:
        return "0"
    r = float("%.*g" % (digits, x))
    exp = math.floor(math.log10(abs(r)))
    return "%.*f" % (max(0, digits - 1 - exp), r)


def fmt_si(x, digits=SIG_DIGITS):
    """x with k/M/G suffixes and `digits` significant digits: 12.3k, 1.05M."""
    if not is_num(x):
        return DASH
    r = float("%.*g" % (digits, x))
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(r) >= div:
            return fmt_sig(r / div, digits) + suffix
    return fmt_sig(r, digits)


def fmt_pct(fraction):
    """A fraction as a percentage: 0.034 -> '3.4'."""
    return "%.1f" % (fraction * 100) if is_num(fraction) else DASH


def md_cell(text):
    """Text safe inside a markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def fmt_ratio(x, digits=SIG_DIGITS):
    """1.07x, or a dash."""
    return fmt_sig(x, digits) + "x" if is_num(x) else DASH


def meta_get(meta, *path, default=None):
    """meta[path[0]][path[1]]...; default when any step is missing or null."""
    node = meta
    for key in path:
        if not isinstance(node, dict) or node.get(key) is None:
            return default
        node = node[key]
    return node


def cores_text(meta):
    """'2 cores' or 'unknown cores'."""
    cores = meta_get(meta, "host", "cores")
    return "%s core%s" % (cores, "" if cores == 1 else "s") if cores else "%s cores" % UNKNOWN


def topology_text(meta):
    """Where the backend ran (meta.json's topology): local or remote, the
    address, which pairs used it, the round trip to it."""
    topo = meta.get("topology")
    if not isinstance(topo, dict):
        return ("not recorded (an older run: each backend run started its own bin/backend "
                "on loopback)")
    rtt = topo.get("rtt_us")
    rtt_text = ("round trip %s us (%s)" % (fmt_sig(rtt), topo.get("rtt_source") or UNKNOWN)
                if is_num(rtt) else "round trip not measured (no calibration)")
    users = ", ".join(topo.get("pairs") or []) or "no pair of this run"
    if topo.get("backend") == "remote":
        others = ", ".join(topo.get("local_pairs") or [])
        return ("**remote backend** at %s%s for %s; %s%s" % (
            topo.get("address") or UNKNOWN,
            " (%s)" % topo["ip"] if topo.get("ip") and topo["ip"] not in str(topo.get("address"))
            else "", users, rtt_text,
            "; %s ran on this host as without a remote backend" % others if others else ""))
    return "local: each run of %s started its own bin/backend on loopback; %s" % (
        users, rtt_text)


def fmt_x(x, digits=SIG_DIGITS):
    """A ratio: '1.53x' (the verdicts' name for fmt_ratio)."""
    return fmt_ratio(x, digits)


def fmt_tp(x):
    """A throughput: '38.5k/s'."""
    return fmt_si(x) + "/s"


def fmt_us(x):
    """A latency given in us: '70.1 us', '24.0 ms', '2.70 s'."""
    if not is_num(x):
        return DASH
    if x >= 1e6:
        return fmt_sig(x / 1e6) + " s"
    if x >= 1e3:
        return fmt_sig(x / 1e3) + " ms"
    return fmt_sig(x) + " us"


def fmt_kib(x):
    return fmt_sig(x) + " KiB" if is_num(x) else DASH
