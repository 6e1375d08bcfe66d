#!/bin/sh
# test_options.sh - what the binaries, `make help`, the templates and the
# README say about options agrees with what they do (issue 30's "small
# untruths"): a pair refuses --work and --delay-us unless its registry entry
# (wl_info.opts, --list -v's opts) says it reads them, and where it does, the
# value changes its checksum (taken, not ignored); --help names every option
# of the parser and every value a choice option takes; `make help` names
# every target; the kinds the README's tables give the pairs are the
# registry's; what the new-workload templates point at exists.  No
# benchmark runs: a few runs of a few tasks (~2 s).
. "$(dirname "$0")/lib.sh"

MODEL_BINS="threads async green uring"

# --- --work and --delay-us: taken by the pairs that say so, refused by the rest --------
for wl in $("$BIN/threads" --list); do
	opts=$(pair_field "$wl" opts)
	for opt in work delay-us; do
		case ",$opts," in
		*",$opt,"*)
			# Taken: two values, two checksums (a flag read by no task would
			# give one).  Small values: a few microseconds of work or wait.
			a=$(json_field "$("$BIN/threads" "$wl" -c 2 -n 8 --$opt 1 --json 2>/dev/null)" checksum 2>/dev/null)
			b=$(json_field "$("$BIN/threads" "$wl" -c 2 -n 8 --$opt 2 --json 2>/dev/null)" checksum 2>/dev/null)
			check "$wl takes --$opt (opts=$opts): its checksum follows it ($a vs $b)" \
				[ -n "$a" -a -n "$b" -a "$a" != "$b" ]
			;;
		*)
			for m in $MODEL_BINS; do
				usage_error "$m $wl --$opt 1 (opts=$opts)" "'$BIN/$m' $wl -n 2 --$opt 1"
				check "... the message names the option and the pair" \
					grep -q -- "--$opt: workload '$wl' does not take it" "$SCRATCH/usage.err"
			done
			;;
		esac
	done
done

# --- --help: every option of the parser, every value of a choice --------------------------
# The option table of harness/runtime/cli.c: { "name", short, takes_value, "models" | NULL, ...
# (A bad value is tried in the scratch folder: --stats-out takes any name.)
python3 - "$ROOT/harness/runtime/cli.c" "$SCRATCH" "$BIN" $MODEL_BINS >"$SCRATCH/help.out" 2>&1 <<'PY'
import re, subprocess, sys
src, scratch, bindir, bins = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3], sys.argv[4:]
def say(good, what):
    print(("ok - " if good else "not ok - ") + what)
table = re.findall(r'\[O_\w+\]\s*=\s*\{\s*"([a-z-]+)",\s*[^,]+,\s*\d,\s*(NULL|"[^"]*")', src)
say(len(table) >= 20, "cli.c's option table read: %d options" % len(table))
for b in bins:
    text = subprocess.run([bindir + "/" + b, "--help"], capture_output=True, text=True).stdout
    lines = text.splitlines()
    # --help is the text itself; -v is shown as --list's [-v].
    own = [name for name, who in table if who == "NULL" or b in who.strip('"').split()]
    text_opts = text.replace("[-v]", "--verbose").replace("usage:", "--help")
    missing = [n for n in own if not re.search(r"--%s\b" % re.escape(n), text_opts)]
    say(not missing, "%s --help names every option it takes%s" % (
        b, "" if not missing else " (missing: %s)" % ", ".join(missing)))
    # A choice: the refusal of a bad value lists the values ("is not A, B or C");
    # each must be in the option's --help lines.
    for name in own:
        err = subprocess.run([bindir + "/" + b, "cpu_hash", "--" + name, "bogus_value"],
                             capture_output=True, text=True, cwd=scratch).stderr
        m = re.search(r"'bogus_value' is not ([a-z-]+(?:, [a-z-]+)* or [a-z-]+)$", err.strip())
        if not m:
            continue
        values = re.split(r", | or ", m.group(1))
        block = []
        for i, l in enumerate(lines):
            if re.match(r"\s+--%s\b" % re.escape(name), l):
                block += [l] + [x for x in lines[i + 1:i + 6]
                                if not re.match(r"\s+-", x)][:5]
        block = " ".join(block)
        absent = [v for v in values if not re.search(r"\b%s\b" % re.escape(v), block)]
        say(block and not absent, "%s --help: --%s names each value it takes (%s)%s" % (
            b, name, ", ".join(values), "" if not absent else "; not: %s" % ", ".join(absent)))
PY
cat "$SCRATCH/help.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/help.out")))

# --- make help names every target the Makefile declares (.PHONY) -------------------------
make -s -C "$ROOT" help >"$SCRATCH/make-help" 2>&1
targets=$(awk '/^\.PHONY:/ { on = 1; sub(/^\.PHONY:/, "") } on { c = sub(/\\$/, ""); print; if (!c) on = 0 }' \
	"$ROOT/Makefile" | tr ' \t' '\n\n' | grep -v '^$' | grep -v -x -e FORCE -e check-libs | sort -u)
missing=""
for t in $targets; do
	grep -q -E "make $t( |\$)|= make $t\)" "$SCRATCH/make-help" || missing="$missing $t"
done
check "make help names every target of the Makefile ($(echo $targets | wc -w))${missing:+; missing:$missing}" [ -z "$missing" ]

# --- the kinds the README and docs give the pairs are the registry's ----------------------
python3 - "$ROOT" "$BIN/threads" >"$SCRATCH/kind.out" 2>&1 <<'PY'
import glob, os, re, subprocess, sys
root, threads = sys.argv[1:3]
def say(good, what):
    print(("ok - " if good else "not ok - ") + what)
kinds = dict(l.split("\t")[:2] for l in subprocess.run(
    [threads, "--list", "-v"], capture_output=True, text=True).stdout.splitlines())
seen = 0
for md in [os.path.join(root, "README.md")] + sorted(glob.glob(os.path.join(root, "docs", "*.md"))):
    col = None
    for line in open(md):
        cells = [c.strip().strip("`").strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|"):
            col = None
        elif col is None:
            low = [c.lower() for c in cells]
            col = low.index("kind") if "kind" in low else -1
        elif col >= 0 and cells[0] in kinds and len(cells) > col:
            seen += 1
            say(cells[col].lower() == kinds[cells[0]],
                "%s: %s's kind is '%s', as --list -v says ('%s')" % (
                    os.path.relpath(md, root), cells[0], cells[col], kinds[cells[0]]))
say(True, "%d table rows with a kind checked against the registry" % seen)
PY
cat "$SCRATCH/kind.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/kind.out")))

# --- what the new-workload templates point at exists: "FILE.py's NAME" -------------------
python3 - "$ROOT" >"$SCRATCH/tmpl.out" 2>&1 <<'PY'
import glob, os, re, sys
root = sys.argv[1]
def say(good, what):
    print(("ok - " if good else "not ok - ") + what)
py = [p for p in glob.glob(os.path.join(root, "**", "*.py"), recursive=True)
      if "/build/" not in p and "/results/" not in p]
refs = 0
for t in sorted(glob.glob(os.path.join(root, "scripts", "templates", "*", "*.in"))):
    text = re.sub(r"\s*\n\s*\*?\s*", " ", open(t).read())  # comments rejoined across lines
    for path, name in re.findall(r"([\w/]+\.py)'s ([A-Z_][A-Z0-9_]*)", text):
        refs += 1
        hits = [p for p in py if p.endswith("/" + path)]
        defined = [p for p in hits if re.search(r"^%s\s*=" % name, open(p).read(), re.M)]
        say(len(hits) == 1 and defined, "%s: %s's %s exists (%s)" % (
            os.path.relpath(t, root), path, name,
            os.path.relpath(defined[0], root) if defined else "%d files, none defines it" % len(hits)))
say(refs > 0, "the templates name %d places to look; each checked" % refs)
PY
cat "$SCRATCH/tmpl.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/tmpl.out")))
finish
