"""models.py - harness/models.def, the registry of models, as Python dicts.

One MODEL(...) line per series (see the header of models.def for the fields).
The sweeps take each model's binary and flags from here, the report, plots,
verdicts and compare its name, order, colour, marker and summary: adding a
model is its runtime folder and one line, no edit here or anywhere else.

TVSA_MODELS_DEF names another registry file (a test adds a model that way
without touching the tree).  A malformed line is refused with one line naming
the file, the line number and what is wrong (ModelsDefError).

A leaf module: it imports nothing of this project.  Standard library only.
"""

import csv
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS_DEF = os.path.join(ROOT, "harness", "models.def")
MODELS_DEF_ENV = "TVSA_MODELS_DEF"
FIELDS = ("name", "binary", "style", "libs", "flags", "cores", "colour", "marker", "summary")
STYLES = ("threads", "async")       # impl_threads/NAME.c or impl_async/NAME.c
CORES = ("all", "one")              # threads or loops on every CPU, or one thread
PLACEHOLDERS = ("cores", "loops")   # {cores}: the model's CPUs, {loops}: min(cores, c)
NAME_RE = r"[a-z][a-z0-9-]*"        # a results.csv model name and a gnuplot word
BINARY_RE = r"[a-z][a-z0-9_]*"      # bin/BINARY, impl_BINARY/
COLOUR_RE = r"#[0-9A-Fa-f]{6}"
LINE_RE = re.compile(r"^MODEL\((.*)\)\s*$")
QUICK_SKIP_RE = re.compile(r"^QUICK_SKIP\((.*)\)\s*$")   # the models QUICK leaves out


class ModelsDefError(Exception):
    """models.def is malformed: the message says where and what, in one line."""


def path():
    """The registry file in use: TVSA_MODELS_DEF, else harness/models.def."""
    return os.environ.get(MODELS_DEF_ENV) or MODELS_DEF


def parse_line(text, where):
    """One MODEL(...) line as a dict of FIELDS (marker an int, libs and flags
    lists of words); raises ModelsDefError naming `where`."""
    m = LINE_RE.match(text.strip())
    if not m:
        raise ModelsDefError("%s: not a MODEL(...) line" % where)
    try:
        cells = next(csv.reader([m.group(1)], skipinitialspace=True, strict=True))
    except (csv.Error, StopIteration) as e:
        raise ModelsDefError("%s: bad quoting (%s)" % (where, e))
    cells = [c.strip() for c in cells]
    if len(cells) != len(FIELDS):
        raise ModelsDefError("%s: %d fields, a MODEL line has %d (%s)"
                             % (where, len(cells), len(FIELDS), ", ".join(FIELDS)))
    d = dict(zip(FIELDS, cells))
    checks = (("name", NAME_RE), ("binary", BINARY_RE), ("colour", COLOUR_RE),
              ("marker", r"[0-9]{1,2}"))
    for field, pattern in checks:
        if not re.fullmatch(pattern, d[field]):
            raise ModelsDefError("%s: %s '%s' does not match %s" % (where, field, d[field], pattern))
    if d["style"] not in STYLES:
        raise ModelsDefError("%s: style '%s' must be one of %s" % (where, d["style"], ", ".join(STYLES)))
    if d["cores"] not in CORES:
        raise ModelsDefError("%s: cores '%s' must be one of %s" % (where, d["cores"], ", ".join(CORES)))
    for name in re.findall(r"\{([^}]*)\}", d["flags"]):
        if name not in PLACEHOLDERS:
            raise ModelsDefError("%s: flags name {%s}; known: %s" % (
                where, name, ", ".join("{%s}" % p for p in PLACEHOLDERS)))
    if not d["summary"]:
        raise ModelsDefError("%s: empty summary" % where)
    d["marker"] = int(d["marker"])
    d["libs"] = d["libs"].split()
    d["flags"] = d["flags"].split()
    return d


def load(registry=None):
    """Every model of the registry file, in file order: [{name, binary, style,
    libs, flags, cores, colour, marker, summary}].  Lines that are blank or
    part of a C comment are skipped.  Raises ModelsDefError (a malformed or
    repeated line, no model, an unreadable file)."""
    registry = registry or path()
    try:
        with open(registry, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ModelsDefError("%s: cannot read: %s" % (registry, getattr(e, "strerror", None) or e))
    out, in_comment = [], False
    for no, line in enumerate(lines, 1):
        s = line.strip()
        if in_comment or s.startswith("/*"):
            in_comment = "*/" not in s
            continue
        if not s or s.startswith("//") or s.startswith("#") or QUICK_SKIP_RE.match(s):
            continue
        d = parse_line(s, "%s:%d" % (registry, no))
        if any(o["name"] == d["name"] for o in out):
            raise ModelsDefError("%s:%d: model '%s' registered twice" % (registry, no, d["name"]))
        out.append(d)
    if not out:
        raise ModelsDefError("%s: no MODEL line" % registry)
    return out


def quick_skip(registry=None):
    """The names of the models a QUICK sweep leaves out (the registry's
    QUICK_SKIP(...) lines; none without one).  Raises ModelsDefError for
    a name the registry has no MODEL line of."""
    registry = registry or path()
    known = {m["name"] for m in load(registry)}
    with open(registry, encoding="utf-8") as f:
        lines = f.read().splitlines()
    out = []
    for no, line in enumerate(lines, 1):
        m = QUICK_SKIP_RE.match(line.strip())
        if not m:
            continue
        for name in (n.strip() for n in m.group(1).split(",") if n.strip()):
            if name not in known:
                raise ModelsDefError("%s:%d: QUICK_SKIP names '%s', not a registered model"
                                     % (registry, no, name))
            out.append(name)
    return out


def flags_argv(model, c, cores):
    """The model's extra arguments at concurrency c with `cores` CPUs for it:
    {cores} -> cores, {loops} -> min(cores, c)."""
    values = {"cores": str(cores), "loops": str(min(cores, c))}
    return [re.sub(r"\{(%s)\}" % "|".join(PLACEHOLDERS), lambda m: values[m.group(1)], w)
            for w in model["flags"]]


def styles(names, registry_models=None):
    """{name: (colour, marker)} for the given model names: the registry's
    colour and marker, else (a model no longer registered, an older run) a
    colour-blind-safe fallback by position, distinct from the registry's."""
    reg = {m["name"]: m for m in (registry_models if registry_models is not None else load())}
    used = {m["colour"].lower() for m in reg.values()}
    spare = [c for c in FALLBACK_COLOURS if c.lower() not in used] or list(FALLBACK_COLOURS)
    out, k = {}, 0
    for n in names:
        if n in reg:
            out[n] = (reg[n]["colour"], reg[n]["marker"])
        else:
            out[n] = (spare[k % len(spare)], FALLBACK_MARKERS[k % len(FALLBACK_MARKERS)])
            k += 1
    return out


# Okabe-Ito colours and filled gnuplot point types, for a model the registry
# does not name; red is kept for failed points.
FALLBACK_COLOURS = ("#56B4E9", "#000000", "#F0E442", "#0072B2", "#E69F00", "#009E73", "#CC79A7")
FALLBACK_MARKERS = (11, 15, 7, 5, 9, 13)
