#!/bin/sh
# test_serve_proc.sh - the serve sweep's server process (harness/sweep/
# serve_proc.py's Server), on a stand-in: a server whose stats line after
# SIGTERM says it failed (or that exits non-zero) is a failed server, never
# figures to plot; one that says ok and exits 0 is taken.
. "$(dirname "$0")/lib.sh"

cat >"$SCRATCH/fake.py" <<'PY'
import json, os, signal, sys, time
ready, stats, status, rc = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
def stop(sig, frame):
    with open(stats, "a") as f:
        f.write(json.dumps({"mode": "serve", "status": status,
                            "reason": "" if status == "ok" else "a loop's poll failed"}) + "\n")
    sys.exit(rc)
signal.signal(signal.SIGTERM, stop)
os.write(ready, b"listening 127.0.0.1:9\n")
os.close(ready)
while True:
    time.sleep(1)
PY
ROOT="$ROOT" python3 - "$SCRATCH" >"$SCRATCH/out" 2>&1 <<'PY'
import os, sys
sys.path.insert(0, os.environ["ROOT"])
from harness.sweep import models, serve_proc
scratch = sys.argv[1]
place = serve_proc.placement(None, None)
model = [m for m in models.load() if m["name"] == "threads"][0]
for status, rc, want_ok in (("ok", 0, True), ("failed", 3, False), ("ok", 3, False)):
    path = os.path.join(scratch, "s-%s-%d.jsonl" % (status, rc))
    srv = serve_proc.Server(model, {"name": "io_sleep"}, 1, place, path)
    srv.argv = [sys.executable, os.path.join(scratch, "fake.py"), "{ready_fd}", path, status,
                str(rc)]
    why = srv.start({"commands": []})
    stats, why = srv.stop() if why is None else (None, why)
    good = (why is None) == want_ok and stats is not None
    print("%s - a server whose line says %s and exits %d: %s" % (
        "ok" if good else "not ok", status, rc, "taken" if why is None else "failed: " + why))
PY
while IFS= read -r line; do
	case $line in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) not_ok "${line#not ok - }" ;;
	esac
done <"$SCRATCH/out"
[ "$(grep -c '^ok' "$SCRATCH/out")" = 3 ] || not_ok "3 cases ran ($(tail -2 "$SCRATCH/out"))"
finish
