"""load.py - a run folder's files, read and checked: results.csv, meta.json, calibration.

results.csv is checked before anything reads it (check_results): a file cut
short, with a shifted column, an open quote or binary bytes in it is refused in
one line, naming the file and what is wrong, rather than reported from what is
left or ending in a traceback:

- UTF-8 text, no NUL bytes, ending in a newline (a cut-off last line);
- strict CSV (an unterminated quote is an error, not a swallowed file);
- a header with the columns every reader needs, each name once;
- every row as many cells as the header, status ok or failed, concurrency
  a whole number >= 1, and a number (or empty) in each known numeric column
  (columns it does not know are left alone, so new ones need no edit here);
- when meta.json carries the sweep's seal ("results_csv": rows and sha256,
  written when the run completed), the row count and digest match it, so a
  file truncated at a row boundary, or edited, is refused too.  A run
  without a seal (older, or interrupted) gets the structural checks only.

Then load_csv() turns cells into numbers, load_meta() tolerates a missing
meta.json (an older run), load_calibration() and load_floor_runs() read the
sweep's calibration files.  ReportError, the one error that ends a report or a
comparison in one line, is defined here, once.

A leaf module: it imports nothing of this project.  Standard library only.
"""

import csv
import hashlib
import io
import json
import math
import os
import sys

RESULTS_CSV = "results.csv"
META_JSON = "meta.json"
CALIBRATION_CSV = "calibration.csv"     # bin/calibrate's figures (may be absent)
FLOOR_RUNS_JSONL = "floor_runs.jsonl"   # the sweep's direct runs at c=1, delay 0
REPORT_MD = "report.md"
ONECPU_DIR = "onecpu"                   # the one-CPU sweep: onecpu/results.csv (may be absent)
# Columns kept as text; every other column is a number (or None when empty).
STRING_COLUMNS = {"workload", "model", "status", "reason", "run_checksum", "verify_checksum",
                  "mem_source", "placement"}
INT_COLUMNS = {"concurrency", "tasks", "window_tasks", "runs", "work", "delay_us", "maxrss_kib",
               "maxrss_kib_min", "maxrss_kib_max", "threads", "vcsw", "ivcsw",
               "noisy", "outliers", "errors", "backend_vcsw", "backend_ivcsw", "stack_kib",
               "timer_slack_ns", "pool"}
# Columns an older run named otherwise: its name -> today's.  The counted
# runs' checksum was "checksum", which read as if it were equal across models
# (their task counts differ; verify_checksum is the one that is).
RENAMED_COLUMNS = {"checksum": "run_checksum"}
BOOL_WORDS = {"true": 1, "false": 0, "yes": 1, "no": 0}
REQUIRED = ("workload", "model", "status")  # and the level column (check_results)
STATUSES = ("ok", "failed")
NUMERIC = {  # results.csv columns that hold a number or nothing
    "tasks", "window_tasks", "runs", "work", "delay_us", "throughput", "throughput_min",
    "throughput_max", "throughput_cv", "p50_us", "p50_us_min", "p50_us_max", "p90_us",
    "p99_us", "p99_us_min", "p99_us_max", "p999_us", "max_us", "mean_us", "maxrss_kib",
    "maxrss_kib_min", "maxrss_kib_max", "rss_per_task_kib", "threads", "utime_s", "stime_s",
    "vcsw", "ivcsw", "wall_s", "hf_mean_s", "hf_stddev_s", "hf_median_s", "hf_min_s",
    "hf_max_s", "cv", "littles_ratio", "errors", "verify_tasks",
    "throughput_lo", "throughput_hi", "p99_lo", "p99_hi", "stack_kib", "timer_slack_ns", "pool",
}
FLAG_COLUMNS = {"noisy", "outliers"}  # 0/1, or true/false from older runs
# Figures that can be below zero: a per-task memory difference, RSS(c) - RSS(1)
# over c - 1, is noise-level at small c and may be.  Every other number is a
# count, a time, a rate, a size or a ratio: >= 0.
SIGNED = {"rss_per_task_kib", "kmem_per_task_kib", "mem_per_task_kib"}
# What no machine can measure, whatever the code: a result past it was edited
# or damaged, not measured (1e308 tasks/s printed 300 digits and "6.03e303x").
# Throughput: one task per nanosecond per CPU of a 1,024-CPU host.
# Latency: an hour per task (a run's time limit is far shorter).
# Memory: 1 PiB.
IMPOSSIBLE = {"throughput": 1e12, "us": 3.6e9, "kib": 1 << 40}
FLAG_WORDS = {"0", "1", "true", "false", "yes", "no", ""}
SEAL_KEY = "results_csv"             # meta.json: {"rows": N, "sha256": hex}


class RunCheckError(Exception):
    """results.csv is damaged: the message says what and where, in one line."""


def value_problem(col, text):
    """Why the number text in column col cannot be a measured figure (not
    finite, below zero, past what any machine measures), or None."""
    v = float(text)
    if not math.isfinite(v):
        return "is not finite"
    if v < 0 and col not in SIGNED:
        return "is negative"
    for suffix, cap in (("throughput", IMPOSSIBLE["throughput"]), ("_us", IMPOSSIBLE["us"]),
                        ("kib", IMPOSSIBLE["kib"])):
        if (col.startswith(suffix) or col.endswith(suffix)) and abs(v) > cap:
            return "is past what any machine measures (over %g)" % cap
    return None


def _number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def check_results(csv_path, meta=None, level="concurrency", numeric=NUMERIC, text_cols=None,
                  section=None):
    """Check csv_path (a results.csv) and, when meta (a dict) holds the seal,
    its row count and digest.  Returns the number of data rows; raises
    RunCheckError naming the file and what is wrong.  Cost: one read.
    The sections' own files are checked the same way: level names the
    column of the level (a whole number >= 1: concurrency, the serve
    section's connections), numeric the columns that hold a number (or,
    when text_cols is given, every column not in it), section the key of
    meta.json whose seal and state are this file's (rate, serve; None:
    the run's own)."""
    name = csv_path
    try:
        with open(csv_path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise RunCheckError("cannot read %s: %s" % (name, e.strerror or e))
    if b"\0" in data:
        raise RunCheckError("%s: binary bytes (NUL at byte %d): not a results.csv"
                            % (name, data.index(b"\0")))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RunCheckError("%s: not UTF-8 text (byte %d): damaged" % (name, e.start))
    if not text.strip():
        raise RunCheckError("%s: empty file, no header" % name)
    if not text.endswith("\n"):
        raise RunCheckError("%s: truncated: the last line is cut off (no newline at the end)"
                            % name)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as e:
        raise RunCheckError("%s: bad CSV at line %d: %s (an open quote?)"
                            % (name, reader.line_num, e))
    header = rows[0]
    missing = [c for c in REQUIRED + (level,) if c not in header]
    if missing:
        raise RunCheckError("%s: the header lacks %s: not a results.csv"
                            % (name, ", ".join(missing)))
    dup = sorted({c for c in header if header.count(c) > 1})
    if dup:
        raise RunCheckError("%s: column %s appears twice in the header" % (name, dup[0]))
    for line, row in enumerate(rows[1:], 2):
        if len(row) != len(header):
            raise RunCheckError("%s: line %d has %d cells, the header %d (a shifted, missing "
                                "or extra column)" % (name, line, len(row), len(header)))
        cells = dict(zip(header, row))
        if cells["status"] not in STATUSES:
            raise RunCheckError("%s: line %d: status '%s' is not ok or failed (a shifted "
                                "column?)" % (name, line, cells["status"][:40]))
        c = cells[level]
        if not (c.isdigit() and int(c) >= 1):
            raise RunCheckError("%s: line %d: %s '%s' is not a whole number >= 1"
                                % (name, line, level, c[:40]))
        for col, cell in cells.items():
            is_number = col not in text_cols if text_cols is not None else col in numeric
            if is_number and cell.strip() and not _number(cell):
                raise RunCheckError("%s: line %d: %s '%s' is not a number (a shifted "
                                    "column?)" % (name, line, col, cell[:40]))
            if is_number and cell.strip():
                why = value_problem(col, cell)
                if why:
                    raise RunCheckError("%s: line %d: %s %s %s: not a measured figure "
                                        "(damaged or edited)" % (name, line, col, cell[:40], why))
            if col in FLAG_COLUMNS and cell.strip().lower() not in FLAG_WORDS:
                raise RunCheckError("%s: line %d: %s '%s' is not 0 or 1"
                                    % (name, line, col, cell[:40]))
    n = len(rows) - 1
    holder = meta.get(section) if section and isinstance(meta, dict) else meta
    if section and isinstance(meta, dict) and not isinstance(holder, dict):
        raise RunCheckError("%s: meta.json has no %s section of a JSON object (edited?): its "
                            "seal cannot be checked" % (name, section))
    seal = holder.get(SEAL_KEY) if isinstance(holder, dict) else None
    done = isinstance(holder, dict) and (holder.get("complete") is True or
                                         (section and holder.get("status") == "ok"))
    if done and not (isinstance(seal, dict) and seal.get("sha256") and
                     seal.get("rows") is not None):
        raise RunCheckError("%s: meta.json says the %s is complete but carries no seal of it "
                            "(edited?): its results cannot be checked"
                            % (name, "section" if section else "run"))
    if isinstance(seal, dict):
        if seal.get("rows") is not None and seal.get("rows") != n:
            raise RunCheckError("%s: %d rows, meta.json says the sweep wrote %s (truncated?)"
                                % (name, n, seal.get("rows")))
        if seal.get("sha256") and seal["sha256"] != hashlib.sha256(data).hexdigest():
            raise RunCheckError("%s: not the file the sweep wrote (its sha256 differs from "
                                "meta.json's): damaged or edited" % name)
    return n


def run_state(meta):
    """"complete", "running" (the sweep that writes it is alive on this boot)
    or "incomplete" (cut short: interrupted, killed, a full disk), from
    meta.json's complete flag and writer; "unknown" without a meta.json."""
    if not isinstance(meta, dict) or not meta:
        return "unknown"
    if meta.get("complete"):
        return "complete"
    writer = meta.get("writer") or {}
    pid = writer.get("pid")
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            same_boot = f.read().strip() == writer.get("boot_id")
        with open("/proc/%d/cmdline" % int(pid), "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except (OSError, TypeError, ValueError):
        return "incomplete"
    prog = os.path.basename(str((writer.get("argv") or [""])[0]))
    return "running" if same_boot and prog and prog in cmd else "incomplete"


def read_meta_checked(path):
    """meta.json as a dict for the seal's check: None when there is no such
    file (a results.csv on its own, unsealed); RunCheckError when it exists
    and is not a JSON object (null, cut off, edited): a damaged meta.json
    must not switch the seal off."""
    if not os.path.lexists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError) as e:
        raise RunCheckError("%s: unreadable (%s): the run's seal cannot be checked" % (path, e))
    if not isinstance(meta, dict):
        raise RunCheckError("%s: not a JSON object (%s): damaged or edited; the run's seal "
                            "cannot be checked" % (path, type(meta).__name__))
    return meta


def check_run(run_dir, csv_name=RESULTS_CSV, meta_name=META_JSON):
    """check_results() on run_dir/results.csv against run_dir/meta.json (no
    meta.json: no seal to check; a damaged one: RunCheckError)."""
    meta = read_meta_checked(os.path.join(run_dir, meta_name))
    return check_results(os.path.join(run_dir, csv_name), meta)


class ReportError(Exception):
    """A failure that ends the report or a comparison: one line on stderr,
    exit 3 (the report could not be made: a write failed, gnuplot failed)."""


class InputError(ReportError):
    """The input is refused (not a run folder, damaged or edited results, bad
    usage): one line on stderr, exit 2.  The convention of every entry script
    of the report (report.py, compare_runs.py, matrix.py), as of the model
    binaries: 2 bad input, 3 a failure."""


# What an entry script turns into one line and its exit status (failed()).
FAILURES = (ReportError, csv.Error, ValueError, KeyError, OSError)


def failed(prog, e, refused=()):
    """The one stderr line and the exit status of e, an error of FAILURES
    (or of refused) that reached an entry script: 2 the input is refused
    (InputError, refused; a damaged table read without a seal, csv.Error,
    ValueError, KeyError: rate.csv and the like), 3 a failure (ReportError,
    OSError)."""
    if isinstance(e, (InputError, ReportError) + tuple(refused)):
        print("%s: %s" % (prog, e), file=sys.stderr)
        return 2 if isinstance(e, (InputError,) + tuple(refused)) else 3
    print("%s: %s: %s" % (prog, type(e).__name__, e), file=sys.stderr)
    return 3 if isinstance(e, OSError) else 2


def checked_section(run_dir, rel, section, what, strict, **spec):
    """A section's own results file, run_dir/rel (rate/rate.csv,
    serve/results.csv), checked as results.csv is (check_results with spec:
    its level, its numeric columns) against meta.json's `section` (its seal,
    its state).  Its path; None when there is no such file.  Refused: strict
    (the section's report alone, --rate-only) raises InputError; else a
    warning on stderr and None, so the rest of the report is written
    without `what`."""
    path = os.path.join(run_dir, rel)
    if not os.path.exists(path):
        return None
    try:
        check_results(path, read_meta_checked(os.path.join(run_dir, META_JSON)),
                      section=section, **spec)
    except RunCheckError as e:
        if strict:
            raise InputError("refused: %s" % e)
        print("%s: warning: refused: %s; %s is left out" % (
            os.path.basename(sys.argv[0]) or "report", e, what), file=sys.stderr)
        return None
    return path


def convert_cell(column, text):
    """One CSV cell as a Python value: str for STRING_COLUMNS, int for
    INT_COLUMNS, float otherwise; None for an empty cell.  A cell that is not
    a number stays text rather than failing the whole report."""
    if column in STRING_COLUMNS:
        return text
    text = text.strip()
    if text == "":
        return None
    if text.lower() in BOOL_WORDS:
        return BOOL_WORDS[text.lower()]
    try:
        value = float(text)
    except ValueError:
        return text
    if column in INT_COLUMNS and math.isfinite(value) and value == int(value):
        return int(value)
    return value


def load_csv(path):
    """results.csv as a list of dicts, one per row, numbers converted, an
    older run's column names as today's (RENAMED_COLUMNS).

    Returns rows in file order (workload, model, concurrency).  Raises
    ReportError when the file is missing, unreadable or has no header."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames:
                raise ReportError("%s: empty file, no header" % path)
            rows = []
            for raw in reader:
                rows.append({k: convert_cell(k, v if v is not None else "")
                             for k, v in ((RENAMED_COLUMNS.get(k, k), v)
                                          for k, v in raw.items() if k is not None)})
            return rows
    except OSError as e:
        raise ReportError("cannot read %s: %s" % (path, e.strerror or e))
    except csv.Error as e:
        raise ReportError("%s: bad CSV: %s" % (path, e))


def load_meta(path):
    """meta.json as a dict; {} (with a warning on stderr) when missing or bad,
    since an older run may lack it and the plots do not need it."""
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
        return meta if isinstance(meta, dict) else {}
    except (OSError, ValueError) as e:
        print("report.py: warning: %s unreadable (%s); provenance unknown" % (path, e),
              file=sys.stderr)
        return {}


# The floor's terms (scripts/report/floors.py): a cost the machine was seen
# to take, so the least of the start's calibration and the one after the
# points (calibration-end.csv, a full bench's) where the run has both.
FLOOR_FIGURES = ("cpu_hash_unit_ns", "timer_cpu_ns", "tcp_rtt_min_us", "rpc_cpu_us",
                 "rpc_cpu_batch_us", "backend_rtt_us", "backend_rpc_cpu_us")
CALIBRATION_END_CSV = "calibration-end.csv"


def load_calibration(run_dir):
    """(figures, problem): figures = {name: {"value", "unit", "what"}} from
    RUN_DIR/calibration.csv in file order, or None with problem saying why
    (no file, or a file that is not bin/calibrate's CSV).  Each of
    FLOOR_FIGURES is the least of it and calibration-end.csv's, saying so."""
    figures, problem = read_calibration_csv(run_dir, CALIBRATION_CSV)
    if figures and os.path.exists(os.path.join(run_dir, CALIBRATION_END_CSV)):
        end, _ = read_calibration_csv(run_dir, CALIBRATION_END_CSV)
        for name in FLOOR_FIGURES:
            a, b = figures.get(name), (end or {}).get(name)
            if a and b:
                least = min(a["value"], b["value"])
                a["what"] += "; the least of the start's %s and the end's %s (%s)" % (
                    "%.4g" % a["value"], "%.4g" % b["value"], CALIBRATION_END_CSV)
                a["value"] = least
    return figures, problem


def read_calibration_csv(run_dir, name):
    """(figures, problem) of one of bin/calibrate's CSV files in run_dir."""
    path = os.path.join(run_dir, name)
    if not os.path.exists(path):
        return None, "no %s" % name
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames != ["name", "value", "unit", "what"]:
                return None, "%s has no name,value,unit,what header" % name
            figures = {}
            for r in reader:
                value = float(r["value"])
                if not math.isfinite(value):
                    raise ValueError("%s is not finite" % r["name"])
                figures[r["name"]] = {"value": value, "unit": r["unit"], "what": r["what"]}
    except (OSError, ValueError, csv.Error) as e:
        return None, "%s unreadable (%s)" % (name, e)
    return (figures, None) if figures else (None, "%s has no rows" % name)


def load_floor_runs(run_dir):
    """{model: stats dict} from RUN_DIR/floor_runs.jsonl ({} when absent)."""
    out = {}
    try:
        with open(os.path.join(run_dir, FLOOR_RUNS_JSONL), encoding="utf-8") as f:
            for line in f:
                try:
                    st = json.loads(line)
                except ValueError:
                    continue
                if isinstance(st, dict) and st.get("model"):
                    out[st["model"]] = st
    except OSError:
        pass
    return out


def temp_name(run_dir, name):
    """A hidden temporary path beside run_dir/name, unique to this process."""
    return os.path.join(run_dir, ".%s.tmp.%d" % (name, os.getpid()))


def write_atomic(path, text):
    """Write text to a temporary file beside path, then rename it into place."""
    tmp = temp_name(os.path.dirname(path) or ".", os.path.basename(path))
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
