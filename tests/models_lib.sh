# models_lib.sh - what test_models.sh (c = 1 and 64, in `make test`) and
# test_models_big.sh (c = 10,000, in `make test-long`) share: a model run,
# and every registered pair on every model at some levels, with equal
# checksums across the models at each.  Source it after lib.sh.

POOL=16 # the pool's threads in these runs: fewer than c = 64, so tasks queue

run_json() { # MODEL WORKLOAD ARGS... -> JSON on stdout, or nothing
	m=$1
	shift
	"$BIN/$m" "$@" --json 2>"$SCRATCH/err" || { cat "$SCRATCH/err" >&2; return 1; }
}

run_variant() { # VARIANT WORKLOAD ARGS...: run_json on threads, async, async2 (2 loops),
	# hybrid, green, green2 (2 loops), uring, pool (--pool 8)
	v=$1
	shift
	case $v in
	threads) run_json threads "$@" ;;
	pool) run_json threads "$@" --pool 8 ;;
	async) run_json async "$@" ;;
	async2) run_json async --loops 2 "$@" ;;
	hybrid) run_json async --workers 2 "$@" ;;
	green) run_json green "$@" ;;
	green2) run_json green --loops 2 "$@" ;;
	uring) run_json uring "$@" ;;
	esac
}

# pair_checks LEVELS_FN: every registered pair at the levels `LEVELS_FN
# WORKLOAD KIND` prints (none: skipped), on threads, threads-64k (--stack-kib
# 64), pool (--pool POOL), async, async with 2 loops, green, green with 2
# loops and uring: every task done, no errors, one checksum across them.
# A run does 10 tasks per slot, at least 64 (c = 1 of a 1 ms pair waits
# 64 ms, not 640), and one per slot from c = 1,000 on.
pair_checks() {
	levels_fn=$1
	for wl in $("$BIN/threads" --list); do
		kind=$(pair_field "$wl" kind)
		levels=$($levels_fn "$wl" "$kind")
		# A pair's own options: a small data file in the scratch folder.
		set --
		case $(pair_field "$wl" opts) in *data-dir*) set -- --data-dir "$SCRATCH/data" --file-mib 8 ;; esac
		coro=$(pair_field "$wl" coro)
		for c in $levels; do
			if [ "$c" -ge 1000 ]; then
				n=$c # thousands of slots: one task each
			else
				n=$((c * 10))
				[ $n -lt 64 ] && n=64
			fi
			sums=""
			for variant in threads threads-64k pool async async2 green green2 uring; do
				case $variant in
				async2 | green2)
					loops=2
					[ "$c" -lt 2 ] && loops=1
					out=$(run_json ${variant%2} "$wl" -c "$c" -n "$n" --loops $loops "$@")
					;;
				threads-64k) out=$(run_json threads "$wl" -c "$c" -n "$n" --stack-kib 64 "$@") ;;
				pool) out=$(run_json threads "$wl" -c "$c" -n "$n" --pool $POOL "$@") ;;
				*) out=$(run_json $variant "$wl" -c "$c" -n "$n" "$@") ;;
				esac
				# A pair that cannot run on coroutines (coro=no) fails there at
				# once, naming why: a data point, not a broken model.
				case $variant in green | green2 | uring)
					if [ "$coro" = no ]; then
						check "$wl $variant c=$c: refused as unsupported, naming why" \
							grep -q "unsupported on ${variant%2}: " "$SCRATCH/err"
						continue
					fi ;;
				esac
				if [ -z "$out" ]; then
					not_ok "$wl $variant c=$c runs"
					continue
				fi
				read -r done_ errors sum <<-EOT
					$(json_fields "$out" done errors checksum)
				EOT
				if [ "$done_" = "$n" ] && [ "$errors" = 0 ]; then
					ok "$wl $variant c=$c: $n tasks done, no errors"
				else
					not_ok "$wl $variant c=$c: done=$done_ errors=$errors of $n"
				fi
				sums="$sums $sum"
			done
			distinct=$(echo $sums | tr ' ' '\n' | sort -u | wc -l)
			check "$wl c=$c: checksums equal across models ($sums )" [ "$distinct" = 1 ]
		done
	done
}
