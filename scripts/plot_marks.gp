# plot_marks.gp - what plot_workload.gp and plot_overview.gp share: the strip of
# failed and n/a models above a panel, the rings around backend-bound points,
# the tics of log axes, and the trace of each panel's axes.  Loaded by both
# (`load`); it defines functions and macros and draws nothing.
#
# A failed point has no numbers, so it is never drawn at a height inside a
# panel: it is a red X in a grey strip above the panel, on the panel's own
# concurrency axis, one row per model that failed with its name once; a model
# the pair does not support is one grey "n/a" row, no X.  The words come from
# scripts/report/marks.py (its strip_variables and backend_variables), all
# optional (none: no strip, no ring):
#   st_n                       strip rows per panel column
#   st_j st_k st_text st_na    each row: panel column, row (1 = top), text, 1 = n/a
#   st_x st_al                 the text's anchor (concurrency; 0 = the panel's left
#                              edge) and side (r: ends left of it, l: starts right)
#   sx_j sx_k sx_c sx_first    each X: panel column, row, concurrency, 1 = failed there
#                              (0: not run, above a failure: a small x)
#   bb_j bb_c bb_t bb_p50 bb_p99   backend-bound points, ringed
#   trace                      a file: each panel's axes are appended to it
# Before eval'ing a macro the caller sets SJ (the panel column), PH_PX (the
# current panel's plot height, pixels), lo, hi, logy (its y range), FIG and
# PANEL (the trace's names).

foreach_default(v) = exists(v) ? value(v) : ""
do for [v in "st_n st_j st_k st_text st_na st_x st_al sx_j sx_k sx_c sx_first bb_j bb_c bb_t bb_p50 bb_p99"] {
    eval sprintf("%s = foreach_default('%s')", v, v)
}

# ---- tunables ---------------------------------------------------------------
STRIP_ROW_PX = 20           # one strip row
STRIP_PAD_PX = 4            # inside the strip, above and below its rows
STRIP_GAP_PX = 6            # between the strip and the panel's frame
STRIP_BG     = "#f1f1f1"    # the strip's background: not the panel's white
FAIL_COLOR   = "#C00000"    # failed: red X and name
NA_COLOR     = "#6b6b6b"    # n/a: grey text
FAIL_PT      = 2            # X
FAIL_PS      = 1.6
FAIL_LW      = 3.0
NOTRUN_PS    = 1.0          # levels not run above a failure: a smaller x
STRIP_FONT_DPT = -3         # strip text: this many points under the figure's font
RING_COLOR   = "#222222"    # backend-bound points: an open circle around the point
RING_PT      = 6
RING_PS      = 3.2
RING_LW      = 2.0
# gnuplot's svg terminal draws a point of a given size about twice as large as
# pngcairo: PT_SCALE evens them out (the caller multiplies its own sizes too).
SVG_PT_SCALE = 0.5
PT_SCALE     = (exists("fmt") && fmt eq "svg") ? SVG_PT_SCALE : 1.0
FAIL_PS = FAIL_PS * PT_SCALE; NOTRUN_PS = NOTRUN_PS * PT_SCALE; RING_PS = RING_PS * PT_SCALE

# ---- the strip ----------------------------------------------------------------
strip_n(j)    = j >= 1 && words(st_n) >= j ? int(word(st_n, j)) : 0
strip_px(n)   = n > 0 ? STRIP_GAP_PX + 2 * STRIP_PAD_PX + n * STRIP_ROW_PX : 0
# graph y of row k of n, and of the strip's edges (PH_PX: the panel's height)
strip_y(k, n) = 1 + (STRIP_GAP_PX + STRIP_PAD_PX + (n - k + 0.5) * STRIP_ROW_PX) / PH_PX
strip_lo(n)   = 1 + 1.0 * STRIP_GAP_PX / PH_PX
strip_hi(n)   = 1 + 1.0 * strip_px(n) / PH_PX
# STRIP: the strip of panel column SJ above the current panel (labels 1000-2999, object 50).
STRIP = 'SN = strip_n(SJ); if (SN > 0) { \
  set object 50 rect from graph 0, graph strip_lo(SN) to graph 1, graph strip_hi(SN) fc rgb STRIP_BG fs solid 1.0 noborder noclip behind; \
  do for [i=1:words(st_j)] { if (int(word(st_j, i)) == SJ) { \
    if (int(word(st_na, i))) { \
      set label 1000+i word(st_text, i) at graph 0, graph strip_y(int(word(st_k, i)), SN) left offset 0.6, 0 tc rgb NA_COLOR font FONT.",".(FONT_PT + STRIP_FONT_DPT) front \
    } else { if (word(st_al, i) eq "r") { \
      set label 1000+i word(st_text, i) at first real(word(st_x, i)), graph strip_y(int(word(st_k, i)), SN) right offset -1.2, 0 tc rgb FAIL_COLOR font FONT.",".(FONT_PT + STRIP_FONT_DPT) boxed front \
    } else { \
      set label 1000+i word(st_text, i) at first real(word(st_x, i)), graph strip_y(int(word(st_k, i)), SN) left offset 1.2, 0 tc rgb FAIL_COLOR font FONT.",".(FONT_PT + STRIP_FONT_DPT) boxed front \
    } } } }; \
  do for [i=1:words(sx_j)] { if (int(word(sx_j, i)) == SJ) { \
    set label 2000+i "" at first real(word(sx_c, i)), graph strip_y(int(word(sx_k, i)), SN) point pt FAIL_PT ps (int(word(sx_first, i)) ? FAIL_PS : NOTRUN_PS) lw FAIL_LW lc rgb FAIL_COLOR front \
  } } }'
set style textbox opaque noborder margins 1, 1

# RINGS: rings around panel column SJ's backend-bound points at y = the
# bb_ word list named RING_Y (e.g. "bb_t"); RING_BASE: a label range of its own.
RING_BASE = 3000
RINGS = 'do for [i=1:words(bb_j)] { if (int(word(bb_j, i)) == SJ) { \
  set label RING_BASE+i "" at first real(word(bb_c, i)), first real(word(value(RING_Y), i)) point pt RING_PT ps RING_PS lw RING_LW lc rgb RING_COLOR front \
} }'
# CLEAR_MARKS: forget the current panel's strip and rings.
CLEAR_MARKS = 'unset for [t=1000:3999] label t; unset object 50'

# ---- the key ------------------------------------------------------------------------
# Drawn entry by entry, so its size is known before the panels are laid out
# (gnuplot's own key picks its columns from its longest title and can spill
# into the panels).  KEY_ENTRY draws entry KI (0-based) of KN in key row KR
# (0 = top; key_y places it): a KDT line sample (0: none), a KPT marker (0:
# none; -1: an error bar), colour KC, text KT.  The caller sets KEY_TOP_PX
# (where the key starts), FONT, FONT_PT, LW, PS, and renders with an empty
# plot; CLEAR_KEY forgets it.  The caller increments KTAG per entry.
KEY_L        = 0.02         # the key's left and right edges (screen)
KEY_R        = 0.99
KEY_SAMPLE   = 0.024        # a sample's length (screen)
KEY_TEXT_GAP = 0.006
KEY_FONT_DPT = -1           # key text: this many points under the figure's font
key_x(c, n) = KEY_L + c * (KEY_R - KEY_L) / n
key_y(r) = 1 - (KEY_TOP_PX + (r + 0.5) * KEY_ROW_PX) / (1.0 * height)
KEY_ENTRY = 'kx = key_x(KI, KN); ky = key_y(KR); \
  if (KDT > 0) { set arrow 4000+KTAG from screen kx, screen ky to screen kx + KEY_SAMPLE, screen ky nohead lw LW dt KDT lc rgb KC front }; \
  if (KPT > 0) { set label 4000+KTAG "" at screen kx + KEY_SAMPLE / 2, screen ky point pt KPT ps PS lc rgb KC front }; \
  if (KPT < 0) { set arrow 4000+KTAG from screen kx + KEY_SAMPLE / 2, screen ky - 0.4 * KEY_ROW_PX / height to screen kx + KEY_SAMPLE / 2, screen ky + 0.4 * KEY_ROW_PX / height heads size screen 0.005, 90 lw LW lc rgb KC front }; \
  set label 4500+KTAG KT at screen kx + KEY_SAMPLE + KEY_TEXT_GAP, screen ky left font FONT.",".(FONT_PT + KEY_FONT_DPT) front'
CLEAR_KEY = 'unset for [t=4000:4999] label t; unset for [t=4000:4999] arrow t'
# key_gray(k): the grey of the k-th line-style sample, a shade apart from the
# next: gnuplot's svg terminal joins consecutive arrows of one colour into one
# path, and the second then loses its own dash pattern.
key_gray(k) = sprintf("#%02x%02x%02x", 0x6c + 3 * k, 0x6c + 3 * k, 0x6c + 3 * k)
# The ring's entry in a key of styles, when there is a ring to explain.
RING_N = words(bb_j) > 0 ? 1 : 0
RING_ENTRY = 'KT = "backend-bound point"; KC = RING_COLOR; KDT = 0; KPT = RING_PT; eval KEY_ENTRY'

# ---- tics -------------------------------------------------------------------------
# LOG_TICS: tics of the log y axis [lo:hi]: gnuplot's powers of ten when two or
# more fall inside, else 1, 2 and 5 x 10^k (a decade holds three), so an axis never
# shows a single tic label.  NTICS: how many labelled tics.
LOG_TICS = 'set ytics autofreq; NTICS = floor(log10(hi) + 1e-9) - ceil(log10(lo) - 1e-9) + 1; \
  if (NTICS < 2) { set ytics (); NTICS = 0; \
    do for [e=floor(log10(lo)):ceil(log10(hi))] { do for [m in "1 2 5"] { \
      tv = real(m) * 10.0 ** e; if (tv >= lo && tv <= hi) { set ytics add (tv); NTICS = NTICS + 1 } } } }'
# LOG_XTICS: the same for the log x axis [XL:XH], with every mantissa 1..9 when
# the powers of ten are too few (a sweep of one level spans 1.6^2: 2.56x).
# XNTICS: how many labelled tics.
XNTICS = -1
LOG_XTICS = 'set xtics autofreq; XNTICS = floor(log10(XH) + 1e-9) - ceil(log10(XL) - 1e-9) + 1; \
  if (XNTICS < 2) { set xtics (); XNTICS = 0; \
    do for [e=floor(log10(XL)):ceil(log10(XH))] { do for [m=1:9] { \
      tv = m * 10.0 ** e; if (tv >= XL && tv <= XH) { set xtics add (tv); XNTICS = XNTICS + 1 } } } }'
# LIN_TICS: tics of the linear y axis [lo:hi] every 1, 2 or 5 x 10^k, at most
# LIN_MAX_TICS intervals, each labelled in full by si() (gnuplot's "%.0s%c"
# prints 3500 as "4k", beside 4000's "4k").  NTICS: how many.
LIN_MAX_TICS = 8
si(v) = abs(v) >= 1e6 ? sprintf("%gM", v / 1e6) : (abs(v) >= 1e3 ? sprintf("%gk", v / 1e3) : sprintf("%g", v))
lin_step(span) = span / 10.0 ** floor(log10(span / LIN_MAX_TICS)) <= LIN_MAX_TICS ? 10.0 ** floor(log10(span / LIN_MAX_TICS)) : \
                 (span / (2 * 10.0 ** floor(log10(span / LIN_MAX_TICS))) <= LIN_MAX_TICS ? 2 * 10.0 ** floor(log10(span / LIN_MAX_TICS)) : \
                 (span / (5 * 10.0 ** floor(log10(span / LIN_MAX_TICS))) <= LIN_MAX_TICS ? 5 * 10.0 ** floor(log10(span / LIN_MAX_TICS)) : \
                  10 * 10.0 ** floor(log10(span / LIN_MAX_TICS))))
LIN_TICS = 'lstep = lin_step(hi - lo); set ytics (); NTICS = 0; \
  do for [k=ceil(lo / lstep - 1e-9):floor(hi / lstep + 1e-9)] { tv = k * lstep; set ytics add (si(tv) tv); NTICS = NTICS + 1 }'

# ---- the trace --------------------------------------------------------------------
# TRACE: after a panel's plot, append its axes to the file `trace` (when set):
# the figure, the panel, log or not, the y and x ranges gnuplot drew, the number
# of labelled y and x tics (-1: gnuplot's own, uncounted).
TRACE = 'if (exists("trace")) { set print trace append; \
  print sprintf("fig=%s fmt=%s panel=%s logy=%d ylo=%.9g yhi=%.9g xlo=%.9g xhi=%.9g ytics=%d xtics=%d strip=%d", \
                FIG, fmt, PANEL, logy, GPVAL_Y_MIN, GPVAL_Y_MAX, GPVAL_X_MIN, GPVAL_X_MAX, NTICS, XNTICS, strip_n(SJ)); \
  unset print }'
