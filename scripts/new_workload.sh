#!/bin/sh
# new_workload.sh - `make new-workload NAME=foo KIND=cpu|io|multi [LIBS=zlib]`:
# write a new workload pair from scripts/templates/KIND/ and register it.
#
# Writes workloads/NAME.c, workloads/NAME.h, impl_threads/NAME.c and
# impl_async/NAME.c (a small but real workload of that kind, which builds,
# runs and verifies as it is), then appends WORKLOAD(NAME) to
# workloads/workloads.def, last, so that a failure midway never leaves a
# half pair registered.  LIBS (pkg-config names, space- or comma-separated)
# go on that line as /* libs: ... */: every model binary, the unit tests and
# the compile check below then build with them.  Nothing else needs an edit: the Makefile, both
# binaries, the sweep and the report read the registry.
#
# Errors: one line on stderr, exit 2, nothing created (files already written
# are removed).  A bad NAME or KIND is refused before anything is written.
#
# Environment (set by the Makefile; defaults for a direct call):
#   CC         compiler used to check the generated files  (cc)
#   NW_CFLAGS  flags for that check                        (the Makefile's warnings)
# The check compiles the new files, and the files that include the registry,
# with -fsyntax-only -Werror: a name whose identifiers clash with the
# project's (e.g. `run`: threads_run exists) is refused instead of breaking
# the build.  It is skipped (with a note) without a compiler or libevent.

LC_ALL=C # byte-wise tr ranges and messages
export LC_ALL
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TEMPLATES="$ROOT/scripts/templates"
DEF="workloads/workloads.def"
CC=${CC:-cc}
NW_CFLAGS=${NW_CFLAGS:-"-std=c11 -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -D_GNU_SOURCE $(pkg-config --cflags libevent 2>/dev/null)"}
USAGE="usage: make new-workload NAME=name KIND=cpu|io|multi [LIBS='zlib ...']   (NAME: a lower-case C identifier, e.g. NAME=json_parse)"

# C keywords (C11, C23 and GNU's asm): the regex already refuses _Bool & co.
KEYWORDS="auto break case char const continue default do double else enum extern float for goto
if inline int long register restrict return short signed sizeof static struct switch typedef
union unsigned void volatile while alignas alignof bool constexpr false nullptr static_assert
thread_local true typeof typeof_unqual asm"
# Names whose output files would collide with the report's own (overview.png).
RESERVED="overview"

STAGE=""   # staging folder for the generated files (under build/: git-ignored)
PLACED=""  # files already linked into the tree, removed if we fail
DONE=0     # 1 once the registry line is in: nothing to undo

cleanup() {
	if [ "$DONE" != 1 ]; then
		for f in $PLACED; do rm -f "$ROOT/$f"; done
	fi
	[ -n "$STAGE" ] && rm -rf "$STAGE"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# die MESSAGE: one line on stderr, exit 2 (the EXIT trap undoes partial work).
die() {
	echo "new-workload: $*" >&2
	exit 2
}

NAME=$1
KIND=$2
LIBS=$(printf '%s' "${3:-}" | tr ',' ' ')
if [ $# -gt 3 ] || [ -z "$NAME" ] || [ -z "$KIND" ]; then
	echo "$USAGE" >&2
	exit 2
fi

# --- NAME: a lower-case C identifier, not a keyword, not taken -------------
case $NAME in
[0-9]*) die "NAME '$NAME' is not a C identifier: it starts with a digit" ;;
_*) die "NAME '$NAME' starts with '_': such identifiers are reserved in C; start with a letter" ;;
esac
bad=$(printf '%s' "$NAME" | tr -d 'a-z0-9_' | cut -c1)
if [ -n "$bad" ]; then
	case $bad in
	[A-Z]) why="upper-case '$bad' (names are lower-case)" ;;
	-) why="'-' is not allowed (use '_')" ;;
	' ') why="a space is not allowed" ;;
	*) why="'$bad' is not allowed" ;;
	esac
	die "NAME '$NAME' is not a C identifier: $why; use a-z, 0-9 and _, starting with a letter"
fi
# printf|tr above cannot see a newline inside NAME; this can.
[ "$(printf '%s' "$NAME" | wc -l)" -eq 0 ] || die "NAME contains a newline"
for k in $KEYWORDS; do
	[ "$NAME" = "$k" ] && die "NAME '$NAME' is a C keyword; pick another name"
done
for r in $RESERVED; do
	[ "$NAME" = "$r" ] && die "NAME '$NAME' is reserved (the report writes $r.png); pick another name"
done
[ -f "$ROOT/$DEF" ] || die "$DEF not found (run this from the project tree)"
if grep -q "^[[:space:]]*WORKLOAD($NAME)" "$ROOT/$DEF"; then
	die "NAME '$NAME' is taken: $DEF already registers it"
fi
FILES="workloads/$NAME.c workloads/$NAME.h impl_threads/$NAME.c impl_async/$NAME.c"
for f in $FILES; do
	[ -e "$ROOT/$f" ] && die "NAME '$NAME' is taken: $f already exists"
done

# --- KIND -------------------------------------------------------------------
case $KIND in
cpu | io | multi) ;;
*) die "KIND '$KIND' is not one of: cpu (tasks compute), io (tasks wait on the backend), multi (two round trips per task)" ;;
esac

# --- LIBS: pkg-config names, each installed -----------------------------------
LIBS_CFLAGS=""
for lib in $LIBS; do
	case $lib in
	*[!a-z0-9_+.-]* | [!a-z0-9]*) die "LIBS: '$lib' is not a pkg-config name (a-z, 0-9, _ + . -)" ;;
	esac
	pkg-config --exists "$lib" 2>/dev/null ||
		die "LIBS: library '$lib' not found (pkg-config): apt-get install $(sh "$ROOT/scripts/deps.sh" --package "$lib")"
	LIBS_CFLAGS="$LIBS_CFLAGS $(pkg-config --cflags "$lib")"
done
LIBS=$(echo $LIBS) # one space between names
LINE="WORKLOAD($NAME)${LIBS:+ /* libs: $LIBS */}"
for t in workload.c workload.h threads.c async.c; do
	[ -f "$TEMPLATES/$KIND/$t.in" ] || die "template $TEMPLATES/$KIND/$t.in is missing"
done

# --- generate into a staging folder in the tree (same file system, so the
# files can be hard-linked into place without clobbering anything) ----------
mkdir -p "$ROOT/build" 2>/dev/null
STAGE=$(mktemp -d "$ROOT/build/new-workload.XXXXXX") || die "cannot create a staging folder in $ROOT/build"
mkdir "$STAGE/workloads" "$STAGE/impl_threads" "$STAGE/impl_async" || die "cannot write to $STAGE"
UPPER=$(printf '%s' "$NAME" | tr '[:lower:]' '[:upper:]')

# gen TEMPLATE DEST: substitute the placeholders, refuse any left over.
gen() {
	sed -e "s/@NAME@/$NAME/g" -e "s/@NAME_UPPER@/$UPPER/g" "$TEMPLATES/$KIND/$1.in" \
		>"$STAGE/$2" || die "cannot write $STAGE/$2"
	left=$(grep -o '@[A-Z_]*@' "$STAGE/$2" | head -1)
	[ -z "$left" ] || die "template $KIND/$1.in has an unknown placeholder $left"
}
gen workload.c "workloads/$NAME.c"
gen workload.h "workloads/$NAME.h"
gen threads.c "impl_threads/$NAME.c"
gen async.c "impl_async/$NAME.c"

# Compile-check the pair and the registry's users (with the new line) before
# anything touches the tree.  Quote includes look beside the staged file
# first (the new header, the new registry), then in the real folders.
CHECK="workloads/$NAME.c impl_threads/$NAME.c impl_async/$NAME.c
workloads/registry.c impl_threads/threads.c impl_async/async.c"
if command -v "$CC" >/dev/null 2>&1 && pkg-config --exists libevent 2>/dev/null; then
	if ! { cp "$ROOT/$DEF" "$ROOT/workloads/registry.c" "$STAGE/workloads/" &&
		cp "$ROOT/impl_threads/threads.c" "$STAGE/impl_threads/" &&
		cp "$ROOT/impl_async/async.c" "$STAGE/impl_async/" &&
		echo "$LINE" >>"$STAGE/$DEF"; }; then
		die "cannot write to $STAGE"
	fi
	for f in $CHECK; do
		dir=$(dirname "$f")
		# shellcheck disable=SC2086 # NW_CFLAGS is a list of flags
		if ! "$CC" -I"$ROOT/$dir" $NW_CFLAGS $LIBS_CFLAGS -Werror -fsyntax-only "$STAGE/$f" \
			>"$STAGE/cc.log" 2>&1; then
			first=$(grep -m1 'error' "$STAGE/cc.log" | sed "s|$STAGE/||")
			# The name is to blame only if the file compiled without it.
			case $f in
			*/"$NAME".c) ;;
			*) if ! "$CC" $NW_CFLAGS -Werror -fsyntax-only "$ROOT/$f" >/dev/null 2>&1; then
				die "$f does not compile even without the new pair ($first); fix the tree first"
			fi ;;
			esac
			die "with NAME '$NAME', $f does not compile ($first): pick another name, or bring scripts/templates/$KIND up to date"
		fi
	done
else
	echo "new-workload: note: no compiler or libevent headers; skipping the compile check" \
		"(run 'make deps')" >&2
fi

# --- place the files: ln fails if the target appeared meanwhile --------------
for f in $FILES; do
	why=$(ln "$STAGE/$f" "$ROOT/$f" 2>&1) || die "cannot create $f: ${why#ln: }"
	PLACED="$PLACED $f"
done

# --- register, last: the new registry is written whole and renamed over -----
tmp="$ROOT/$DEF.tmp.$$"
(
	cat "$ROOT/$DEF" || exit 1
	# a registry whose last line lacks its newline still gets one line per entry
	[ -z "$(tail -c 1 "$ROOT/$DEF")" ] || echo
	echo "$LINE"
) >"$tmp" 2>/dev/null || {
	rm -f "$tmp"
	die "cannot write $DEF"
}
mv "$tmp" "$ROOT/$DEF" || {
	rm -f "$tmp"
	die "cannot update $DEF"
}
DONE=1

if [ "$KIND" = cpu ]; then
	edit="the kernel: $NAME""_kernel() in workloads/$NAME.c (pure: no I/O, no pthread, no libevent)"
	defaults="${UPPER}_DEFAULT_WORK in workloads/$NAME.h, .summary in wl_info_$NAME"
elif [ "$KIND" = io ]; then
	edit="what a task does with the reply: $NAME""_result() in workloads/$NAME.c (cheap, pure)"
	defaults="${UPPER}_DEFAULT_DELAY_US in workloads/$NAME.h, .summary in wl_info_$NAME"
else
	edit="the second request's key and the result: $NAME""_next_key() and $NAME""_result() in workloads/$NAME.c"
	defaults="${UPPER}_DEFAULT_DELAY_US in workloads/$NAME.h, .summary in wl_info_$NAME"
fi
cat <<EOF
Created the $KIND workload pair '$NAME':
  workloads/$NAME.h       its kernel's contract and default parameters
  workloads/$NAME.c       the work itself and wl_info_$NAME (defined once)
  impl_threads/$NAME.c    the task on OS threads (blocking code)
  impl_async/$NAME.c      the task on the libevent loop (callbacks, never block)
  $DEF  + $LINE
It builds, runs and verifies as it is${LIBS:+, and links $LIBS (include its headers where you use it)}.  Next:
  1. edit $edit
  2. set the defaults: $defaults;
     its floor terms (.floor) and the verdicts it speaks to (.claims, none yet)
  3. make && bin/threads $NAME -c 4 -n 1000 && bin/async $NAME -c 4 -n 1000
     (the two checksums must be equal; \`make test\` checks it at two concurrencies)
  4. make bench WORKLOADS=$NAME
See README.md, "Adding a workload pair".
EOF
