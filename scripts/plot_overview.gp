# plot_overview.gp: the whole run on one screen -- one column per workload.
#
# Top row: throughput (tasks/s) vs concurrency; bottom row: p99 latency (us)
# vs concurrency, log-log.  Every model is one coloured series with the same
# colours as the per-workload figures, min..max error bars over the counted
# runs, and failed points (status=failed) as a red X at the bottom of the
# panel on a dotted red line.  Each panel has its own y scale: compare the
# models inside a panel, not the heights across workloads.
#
# The numbers come from results.csv only (read directly, rows picked with a
# ternary in `using`).  scripts/report/plots.py drives this script; standalone:
#   gnuplot -e "csv='results/latest/results.csv'; wls='cpu_hash io_sleep'; models='threads async'; out='overview.png'" \
#           scripts/plot_overview.gp
# Variables (gnuplot -e "name='value'; ..."):
#   csv     path of results.csv                                  (required)
#   wls     workloads, one column each, space-separated          (required)
#   out     output file                                          (required)
#   fmt     'png' (pngcairo) or 'svg'                            (default png)
#   wlt     column titles, one quoted word per workload          (default the names)
#   models  models to draw, in legend order, space-separated     (required)
#   colors  one colour per model, same order (harness/models.def) (default Okabe-Ito)
#   pts     one filled point type per model                      (default '7 5 9 13 11 15')
#   ttl     figure title                                         (default 'overview')
#   width, height   size in pixels                               (default 560 per workload x 900)
# The machine's floor per column (scripts/report/floors.py, from calibration.csv), dashed:
#   fl_lats  one word per workload: one task alone, us; 0 = no floor there
#   fl_caps  one word per workload: throughput cap, tasks/s; 0 = none
# Throughput floor T(c) = min(c / lat, cap) on top; latency floor c / T(c)
# below (a floor for p99 as for every percentile).

if (!exists("csv") || !exists("wls") || !exists("out") || !exists("models")) {
    print "plot_overview.gp: set csv, wls, models and out, e.g. gnuplot -e \"csv='r.csv'; wls='cpu_hash'; models='m1 m2'; out='o.png'\" plot_overview.gp"
    exit status 2
}
NW = words(wls)
if (NW < 1) { print "plot_overview.gp: wls names no workload"; exit status 2 }
if (!exists("fmt"))    fmt = "png"
if (!exists("wlt"))    wlt = wls
if (!exists("colors")) colors = "#0072B2 #E69F00 #009E73 #CC79A7 #56B4E9 #000000"  # generic
if (!exists("pts"))    pts = "7 5 9 13 11 15"
if (!exists("ttl"))    ttl = "overview"
if (!exists("width"))  width = 560 * NW + 120
if (!exists("height")) height = 900
if (!exists("fl_lats") || !exists("fl_caps")) { fl_lats = ""; fl_caps = "" }

# ---- tunables -------------------------------------------------------------
FONT        = "DejaVu Sans"
FONT_PT     = 16            # tics, axis labels, key
TITLE_PT    = 20            # figure title
PANEL_PT    = 17            # column (workload) titles
LW          = 2.5           # series line width
PS          = 1.5           # series point size
GRID_COLOR  = "#d0d0d0"     # major grid
MGRID_COLOR = "#ececec"     # minor grid (log axes)
FAIL_COLOR  = "#D00000"     # failed points: red X on a dotted red line
FAIL_PT     = 2             # X
FAIL_PS     = 3.0
FAIL_LW     = 4.0
FAIL_VLW    = 2.0           # the dotted line's width
FAIL_F0     = 0.05          # first failed marker at this fraction of the y axis
FAIL_DF     = 0.08          # next model's marker this much higher
LIN_HEAD    = 1.10          # linear y axes: headroom above the highest error bar
LOG_HEAD    = 0.10          # log y axes: headroom, fraction of the decades shown
LOG_FOOT    = 0.15          # log y axes: room below the data for failed markers
X_PAD       = 1.6           # x axis: factor beyond the lowest/highest concurrency
MIN_DECADES = 1.0           # log y axes show at least this many decades
KEY_COLS    = 10            # the key is one row up to this many entries
KEY_WIDTH   = -2            # key column width adjustment (characters): tighter columns
# Layout, in fractions of the canvas (left margin in pixels: tic labels and
# the y label need the same room whatever the width).
TITLE_Y     = 0.965
KEY_B       = 0.885
KEY_T       = 0.935
LEFT_PX     = 120
GAP_PX      = 115
PANELS_R    = 0.985
ROW1_B      = 0.52
ROW1_T      = 0.82
ROW2_B      = 0.10
ROW2_T      = 0.44
FLOOR_COLOR = "#444444"     # the machine's floor: dashed dark grey
FLOOR_LW    = 2.0
FLOOR_DT    = 2
FLOOR_HEAD  = 10.0          # a floor widens a y axis by this factor at most
FLOOR_SAMPLES = 400

# ---- terminal -------------------------------------------------------------
if (fmt eq "svg") {
    set terminal svg size width, height dynamic font FONT.",".FONT_PT noenhanced background "white"
} else {
    set terminal pngcairo size width, height font FONT.",".FONT_PT noenhanced background "white"
}
set output out

# ---- reading the CSV ------------------------------------------------------
set datafile separator comma
set datafile columnheaders
NM = words(models)
wl = word(wls, 1)           # the workload of the panel being drawn
in_wl(w)  = strcol("workload") eq w
any_ok(w) = in_wl(w) && strcol("status") eq "ok"
is_ok(m)  = in_wl(wl) && strcol("model") eq m && strcol("status") eq "ok"
is_bad(m) = in_wl(wl) && strcol("model") eq m && strcol("status") eq "failed"
col(m, name) = is_ok(m) ? column(name) : NaN
mname(i)  = word(models, i)
mcolor(i) = word(colors, (i - 1) % words(colors) + 1)
mpt(i)    = int(word(pts, (i - 1) % words(pts) + 1))

# ---- axis ranges, per workload ---------------------------------------------
# All stats run before any range is set (stats drops values outside the
# current ranges).  _stat: min and max (QMIN, QMAX; NaN when none) of column
# QCOL over workload wl's ok rows; LOGQ = 1 counts positive values only.
_stat = 'undefine STATS_*; stats csv using (any_ok(wl) && (!LOGQ || column(QCOL) > 0) ? column(QCOL) : NaN) nooutput; QMIN = exists("STATS_min") ? STATS_min : NaN; QMAX = exists("STATS_max") ? STATS_max : NaN'
has(v) = v == v     # false for NaN
# The floor of column j (fl_j set by fl_set(j)): T(c) and c / T(c).
min2(a, b) = a < b ? a : b
max2(a, b) = a > b ? a : b
fl_word(list, j) = words(list) >= j ? real(word(list, j)) : 0
fl_lat = 0; fl_cap = 0
fl_set(j) = sprintf("fl_lat = %.17g; fl_cap = %.17g", fl_word(fl_lats, j), fl_word(fl_caps, j))
fl_t(x) = fl_lat > 0 ? (fl_cap > 0 ? min2(x * 1e6 / fl_lat, fl_cap) : x * 1e6 / fl_lat) : NaN
fl_l(x) = fl_lat > 0 ? x * 1e6 / fl_t(x) : NaN
array XLO[NW]; array XHI[NW]; array TMAX[NW]; array TMIN[NW]; array LATLO[NW]; array LATHI[NW]
do for [j=1:NW] {
    wl = word(wls, j)
    undefine STATS_*
    stats csv using (in_wl(wl) ? column("concurrency") : NaN) nooutput
    XLO[j] = exists("STATS_min") ? STATS_min / X_PAD : 1.0 / X_PAD
    XHI[j] = exists("STATS_max") ? STATS_max * X_PAD : X_PAD
    LOGQ = 0; QCOL = "throughput_max"; eval _stat; TMAX[j]  = has(QMAX) ? QMAX : 1
    LOGQ = 1; QCOL = "throughput_min"; eval _stat; TMIN[j]  = has(QMIN) ? QMIN : TMAX[j] / 10
    LOGQ = 1; QCOL = "p99_us_min";     eval _stat; LATLO[j] = has(QMIN) ? QMIN : 1
    LOGQ = 1; QCOL = "p99_us_max";     eval _stat; LATHI[j] = has(QMAX) ? QMAX : 10
    eval fl_set(j)
    if (fl_lat > 0) {   # show the floor, widening an axis by FLOOR_HEAD at most
        cmin = XLO[j] * X_PAD; cmax = XHI[j] / X_PAD
        TMAX[j] = max2(TMAX[j], min2(fl_t(cmax), TMAX[j] * FLOOR_HEAD))
        TMIN[j] = min2(TMIN[j], max2(fl_t(cmin), TMIN[j] / FLOOR_HEAD))
        LATLO[j] = min2(LATLO[j], max2(fl_l(cmin), LATLO[j] / FLOOR_HEAD))
        LATHI[j] = max2(LATHI[j], min2(fl_l(cmax), LATHI[j] * FLOOR_HEAD))
    }
}
set samples FLOOR_SAMPLES
FLOOR_ON = words(fl_lats) > 0
FLOOR_KEY = FLOOR_ON ? ', NaN with lines lw FLOOR_LW dt FLOOR_DT lc rgb FLOOR_COLOR title "machine floor (calibration)"' : ''

lin_hi(dmax) = dmax > 0 ? dmax * LIN_HEAD : 1
decades(dlo, dhi) = log10(dhi / dlo) < MIN_DECADES ? MIN_DECADES : log10(dhi / dlo)
log_lo(dlo, dhi) = sqrt(dlo * dhi) / 10 ** (decades(dlo, dhi) * (0.5 + LOG_FOOT))
log_hi(dlo, dhi) = sqrt(dlo * dhi) * 10 ** (decades(dlo, dhi) * (0.5 + LOG_HEAD))
tdiv(t)  = t >= 1e6 ? 1e6 : (t >= 1e3 ? 1e3 : 1)
tunit(t) = t >= 1e6 ? "M tasks/s" : (t >= 1e3 ? "k tasks/s" : "tasks/s")

# ---- failed points (see plot_workload.gp) ----------------------------------
lo = 0; hi = 1; logy = 0
ffrac(i)  = FAIL_F0 + (i - 1) * FAIL_DF
fail_y(i) = logy ? lo * (hi / lo) ** ffrac(i) : lo + (hi - lo) * ffrac(i)
FAILED = 'for [i=1:NM] csv using "concurrency":(is_bad(mname(i)) ? lo : NaN):(0):(hi - lo) with vectors nohead dt 3 lw FAIL_VLW lc rgb FAIL_COLOR notitle, ' . \
         'for [i=1:NM] csv using "concurrency":(is_bad(mname(i)) ? fail_y(i) : NaN) with points pt FAIL_PT ps FAIL_PS lw FAIL_LW lc rgb FAIL_COLOR notitle'
FAILED_TEXT = 'for [i=1:NM] csv using "concurrency":(is_bad(mname(i)) ? fail_y(i) : NaN):(mname(i) . " failed") with labels right offset -1.6, 0 tc rgb FAIL_COLOR notitle'

# Column j's plot border, row 1 or 2, in screen coordinates.
PL = 1.0 * LEFT_PX / width
PG = 1.0 * GAP_PX / width
PW = (PANELS_R - PL - (NW - 1) * PG) / NW
panel(j, r) = sprintf("set lmargin at screen %.4f; set rmargin at screen %.4f; set bmargin at screen %.4f; set tmargin at screen %.4f", \
                      PL + (j - 1) * (PW + PG), PL + (j - 1) * (PW + PG) + PW, r == 1 ? ROW1_B : ROW2_B, r == 1 ? ROW1_T : ROW2_T)

set multiplot

# ---- title and the one key, in a band at the top ---------------------------
set lmargin at screen 0; set rmargin at screen 1
set bmargin at screen KEY_B; set tmargin at screen KEY_T
unset border; unset tics
set xrange [0:1]; set yrange [0:1]
set label 1 ttl at screen 0.5, screen TITLE_Y center font FONT.",".TITLE_PT
set key inside center center horizontal maxcols KEY_COLS reverse Left samplen 2.5 width KEY_WIDTH font FONT.",".FONT_PT
plot for [i=1:NM] NaN with linespoints lw LW pt mpt(i) ps PS lc rgb mcolor(i) title mname(i), \
     NaN with points pt FAIL_PT ps FAIL_PS lw FAIL_LW lc rgb FAIL_COLOR title "failed run", \
     "+" using (NaN):(NaN):(NaN):(NaN) with yerrorbars lw LW pt 7 ps 0 lc rgb "#333333" title "min-max of runs" \
     @FLOOR_KEY
unset label 1
unset key

# ---- common look of the panels --------------------------------------------
set border 3 lw 1.2
set xtics nomirror out scale 0.8
set ytics nomirror out scale 0.8
set logscale x
set format x "%.0s%c"
set mxtics 10
set grid xtics ytics mxtics mytics lw 1 lc rgb GRID_COLOR, lw 0.6 lc rgb MGRID_COLOR
set bars small

# ---- top row: throughput -----------------------------------------------------
do for [j=1:NW] {
    wl = word(wls, j)
    eval panel(j, 1)
    set xrange [XLO[j]:XHI[j]]
    # log y, as on the per-workload figures: I/O throughput spans decades
    lo = log_lo(TMIN[j], TMAX[j]); hi = log_hi(TMIN[j], TMAX[j]); logy = 1
    set logscale y
    set yrange [lo:hi]
    set format y "%.0s%c"
    set title word(wlt, j) font FONT.",".PANEL_PT
    set xlabel ""
    set ylabel "throughput (tasks/s)"
    eval fl_set(j)
    plot fl_t(x) with lines lw FLOOR_LW dt FLOOR_DT lc rgb FLOOR_COLOR notitle, \
         for [i=1:NM] csv using "concurrency":(col(mname(i), "throughput")):(col(mname(i), "throughput_min")):(col(mname(i), "throughput_max")) \
             with yerrorlines lw LW pt mpt(i) ps PS lc rgb mcolor(i) notitle, \
         @FAILED, @FAILED_TEXT
}

# ---- bottom row: p99 latency -------------------------------------------------
unset title
do for [j=1:NW] {
    wl = word(wls, j)
    eval panel(j, 2)
    set xrange [XLO[j]:XHI[j]]
    lo = log_lo(LATLO[j], LATHI[j]); hi = log_hi(LATLO[j], LATHI[j]); logy = 1
    set logscale y
    set yrange [lo:hi]
    set format y "%.0s%c"
    set xlabel "concurrency (tasks in flight)"
    set ylabel "p99 latency (us)"
    eval fl_set(j)
    plot fl_l(x) with lines lw FLOOR_LW dt FLOOR_DT lc rgb FLOOR_COLOR notitle, \
         for [i=1:NM] csv using "concurrency":(col(mname(i), "p99_us")):(col(mname(i), "p99_us_min")):(col(mname(i), "p99_us_max")) \
             with yerrorlines lw LW pt mpt(i) ps PS lc rgb mcolor(i) notitle, \
         @FAILED
}

unset multiplot
set output
