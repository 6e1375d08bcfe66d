#!/bin/sh
# test_layout.sh - the tree keeps its architecture: every Python module of ours
# imports on its own in a fresh interpreter; the import graph of our modules has
# no cycle; leaf modules (their opening comment says "A leaf module") import
# nothing of ours; no module imports an entry script; no source file is over
# MAX_LINES lines; every file opens with a comment saying what it is for.
# Static (ast) plus one interpreter per module (a CPU each): < 10 s, no benchmark runs.
. "$(dirname "$0")/lib.sh"

MAX_LINES=600
# Sizes checked for these kinds of file: every source, C included since
# runner.c (771 lines) was split by job into runner*.c.
SIZE_EXTS="py gp sh c h"

cd "$ROOT" || exit 1
python3 - "$MAX_LINES" "$SIZE_EXTS" >"$SCRATCH/layout.out" 2>&1 <<'PY'
import ast, os, subprocess, sys

max_lines, size_exts = int(sys.argv[1]), sys.argv[2].split()
PACKAGES = ("harness", "scripts")        # our Python lives under these folders
LEAVES = {"harness.sweep.common", "harness.sweep.models", "scripts.report.fmt",
          "scripts.report.load"}        # at least these must stay leaves

def say(good, what):
    print(("ok - " if good else "not ok - ") + what)

tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], capture_output=True,
                         text=True).stdout.split() if os.path.isdir(".git") or os.path.isfile(".git") else []
if not tracked:   # not a git checkout: every file under the tree
    tracked = [os.path.relpath(os.path.join(d, f)) for d, _, fs in os.walk(".")
               for f in fs if "/." not in d and not d.startswith(("./build", "./bin", "./results"))]
tracked = [f for f in tracked if os.path.isfile(f)]
py = sorted(f for f in tracked if f.endswith(".py") and f.startswith(PACKAGES))

def modname(path):
    name = path[:-3].replace("/", ".")
    return name[:-len(".__init__")] if name.endswith(".__init__") else name

def is_entry(path):
    """An entry script: run by path (a #! line)."""
    return open(path).readline().startswith("#!")

graph, entries, trees = {}, set(), {}
for path in py:
    src = open(path).read()
    tree = ast.parse(src, path)
    trees[path] = tree
    mod = modname(path)
    if is_entry(path):
        entries.add(mod)
    pkg = mod if path.endswith("__init__.py") else mod.rsplit(".", 1)[0]
    deps = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            deps |= {a.name for a in n.names}
        elif isinstance(n, ast.ImportFrom):
            base = n.module or ""
            if n.level:
                parts = pkg.split(".")
                base = ".".join(parts[:len(parts) - (n.level - 1)] + ([base] if base else []))
            deps.add(base)
            deps |= {base + "." + a.name for a in n.names}   # from . import x
    ours = {modname(p) for p in py}
    # A module's own packages (their __init__) are imported with it anyway.
    graph[mod] = sorted(d for d in deps if d in ours and d != mod and not mod.startswith(d + "."))
say(len(py) >= 10, "%d Python files of ours found under %s" % (len(py), ", ".join(PACKAGES)))

# 1. No cycle: depth-first search with colours.
state, cycle = {}, []
def visit(m, path):
    state[m] = 1
    for d in graph.get(m, []):
        if state.get(d) == 1 and not cycle:
            cycle.extend(path[path.index(d):] + [d] if d in path else [m, d])
        elif d not in state:
            visit(d, path + [d])
    state[m] = 2
for m in graph:
    if m not in state:
        visit(m, [m])
say(not cycle, "the import graph of our modules has no cycle%s" % (
    "" if not cycle else ": " + " -> ".join(cycle)))

# 2. Leaves import nothing of ours; 3. nobody imports an entry script.
claimed = {modname(p) for p, t in trees.items()
           if "a leaf module" in (ast.get_docstring(t) or "").lower()}
for m in sorted(LEAVES - claimed):
    say(False, "%s: its opening comment no longer says it is a leaf module" % m)
for m in sorted(claimed | LEAVES):
    say(not graph.get(m), "leaf %s imports nothing of ours%s" % (
        m, "" if not graph.get(m) else ": it imports " + ", ".join(graph[m])))
bad = sorted("%s imports %s" % (m, d) for m, ds in graph.items() for d in ds if d in entries)
say(entries and not bad, "no module imports an entry script (%s)%s" % (
    ", ".join(sorted(entries)), "" if not bad else ": " + "; ".join(bad)))

# 4. Each module on its own, in a fresh interpreter; an entry script imported
# must do nothing (its main runs under `if __name__ == "__main__"` only), and
# runs by path from another folder.
if bad:
    sys.exit(0)   # importing would run an entry's main: fix the import first
def import_alone(m):
    return m, subprocess.run([sys.executable, "-c", "import %s" % m], capture_output=True,
                             text=True)
# One interpreter per module, as many at once as there are CPUs (each is
# independent; the lines come out in module order).
import concurrent.futures
with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
    for m, p in ex.map(import_alone, sorted(graph)):
        say(p.returncode == 0 and not p.stdout and not p.stderr, "import %s alone%s" % (
            m, "" if p.returncode == 0 else ": " + (p.stderr.strip().splitlines() or ["?"])[-1]))
for path in sorted(p for p in py if modname(p) in entries):
    p = subprocess.run([sys.executable, os.path.abspath(path), "--help"], capture_output=True,
                       text=True, cwd="/")
    say(p.returncode == 0 and p.stdout, "entry %s --help runs from another folder" % path)

# 5. Sizes; 6. an opening comment.
for f in sorted(tracked):
    ext = f.rsplit(".", 1)[-1] if "." in os.path.basename(f) else ""
    if ext in size_exts:
        n = sum(1 for _ in open(f, errors="replace"))
        if n > max_lines:
            say(False, "%s: %d lines, over %d: split it by job" % (f, n, max_lines))
    if ext not in ("py", "sh", "gp", "c", "h") or f.startswith("tests/fuzz/corpus"):
        continue
    lines = open(f, errors="replace").read().splitlines()
    if ext == "py":
        doc = ast.get_docstring(trees[f]) if f in trees else ast.get_docstring(ast.parse("\n".join(lines)))
        good = bool(doc and len(doc.split()) >= 4) or (f.endswith("__init__.py") and not lines)
    elif ext in ("sh", "gp"):
        body = lines[1:] if lines and lines[0].startswith("#!") else lines
        good = bool(body) and body[0].startswith("# ") and len(body[0].split()) >= 4
    else:
        good = bool(lines) and lines[0].startswith("/*")
    if not good:
        say(False, "%s: does not open with a comment saying what it is for" % f)
say(True, "sizes (%s: <= %d lines) and opening comments checked on %d files" % (
    ", ".join(size_exts), max_lines, len(tracked)))
PY
cat "$SCRATCH/layout.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/layout.out")))
grep -q '^ok - sizes' "$SCRATCH/layout.out" || not_ok "the layout check did not finish"

# The two suites (tests/run.sh): a test marked "# tvsa: long -- why" in its
# opening comment runs in make test-long, the others in make test; CI must
# run both, or the long ones would run nowhere.
for t in tests/test_*.sh; do
	mark=$(grep -n -E '^# tvsa: long( |$)' "$t" | head -1 | cut -d: -f1)
	[ -z "$mark" ] && continue
	first_code=$(grep -n -v -E '^(#|$)' "$t" | head -1 | cut -d: -f1)
	check "$t: its long mark is in its opening comment, with why (line $mark)" \
		sh -c "[ $mark -lt ${first_code:-0} ] && grep -Eq '^# tvsa: long -- .{4,}' '$t'"
done
for step in "make test" "make test-long" "make sanitize"; do
	check ".ci/run runs $step" grep -Eq "^$step( |\$)" .ci/run
done
finish
