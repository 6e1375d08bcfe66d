# plot_overview.gp: the whole run on one screen -- a cell per workload.
#
# Each cell: throughput (tasks/s) on top, p99 latency (us, log y) below, both
# against concurrency (log x).  The cells fill rows of at most MAX_COLS, so
# the figure is 1600 pixels wide whatever the number of workloads and grows
# down instead (7 workloads: two rows of 4 and 3).  Every model is one
# coloured series with the same colour and marker as the per-workload
# figures and min..max error bars over the counted runs; failed and n/a
# models are written in the grey strip above a cell's throughput panel
# (scripts/plot_marks.gp), never drawn at a height; backend-bound points are
# ringed.  Each panel has its own y scale: compare the models inside a panel,
# not the heights across workloads.
#
# The numbers come from results.csv only (read directly, rows picked with a
# ternary in `using`).  scripts/report/plots.py drives this script; standalone:
#   gnuplot -e "csv='results/latest/results.csv'; wls='cpu_hash io_sleep'; models='threads async'; out='overview.png'" \
#           scripts/plot_overview.gp
# Variables (gnuplot -e "name='value'; ..."):
#   csv     path of results.csv                                  (required)
#   wls     workloads, one cell each, space-separated            (required)
#   out     output file                                          (required)
#   fmt     'png' (pngcairo) or 'svg'                            (default png)
#   wlt     cell titles, one quoted word per workload            (default the names)
#   models  models to draw, in legend order, space-separated     (required)
#   colors  one colour per model, same order (harness/models.def) (default Okabe-Ito)
#   pts     one point type per model                             (default '7 5 9 13 11 15')
#   ttl     figure title                                         (default 'overview')
#   width   pixels (default 1600); height: pixels (default: what the cells need)
#   xlos, xhis  one word per workload: its x range (default its levels / 1.6 .. * 1.6)
#   the strips' and the rings' words (their panel column = the workload's
#   place in wls), and trace: see plot_marks.gp
# The machine's floor per cell (scripts/report/floors.py, from calibration.csv), dashed:
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
if (!exists("width"))  width = 1600
if (!exists("fl_lats") || !exists("fl_caps")) { fl_lats = ""; fl_caps = "" }
if (!exists("xlos") || !exists("xhis")) { xlos = ""; xhis = "" }

# ---- tunables -------------------------------------------------------------
FONT        = "DejaVu Sans"
FONT_PT     = 13            # tics, axis labels, key
TITLE_PT    = 17            # figure title
PANEL_PT    = 14            # cell (workload) titles
LW          = 2.2           # series line width
PS          = 1.3           # series point size
GRID_COLOR  = "#d0d0d0"     # major grid
MGRID_COLOR = "#ececec"     # minor grid (log axes)
LIN_HEAD    = 1.10          # linear y axes: headroom above the highest error bar
LOG_PAD     = 0.08          # log y axes: room beyond the data, in decades
X_PAD       = 1.6           # x axis: factor beyond the lowest/highest concurrency
MIN_DECADES = 1.0           # log y axes show at least this many decades
LOG_MIN_SPAN = 20           # throughput max/min below this: a linear axis from 0
MAX_COLS    = 4             # cells in a row at most
MAX_CELL_PX = 800           # a cell's width at most
# Layout, in pixels: the title, the key, then rows of cells.
TITLE_PX    = 40
KEY_MODELS  = 9             # models in one key row at most ...
KEY_ENTRY_PX = 175          # ... as many as fit this wide each
KEY_ROW_PX  = 22
KEY_GAP_PX  = 12
PTITLE_PX   = 28            # a cell's title, above its strip
PANEL_PX    = 215           # each of a cell's two plots
MID_PX      = 34            # between them: the top plot's tic labels
XAXIS_PX    = 66            # under the bottom plot: tic labels and x label
ROW_GAP_PX  = 14            # between two rows of cells
LEFT_PX     = 92            # left of each cell's plots: tic labels, y label
CELL_RPAD_PX = 22           # right of each cell's plots
FLOOR_COLOR = "#444444"     # the machine's floor: dashed dark grey
FLOOR_LW    = 2.0
FLOOR_DT    = 2
FLOOR_HEAD  = 10.0          # a floor widens a y axis by this factor at most
FLOOR_SAMPLES = 400

gp_dir(p) = strstrt(p, "/") ? p[1:strstrt(p, "/")] . gp_dir(p[strstrt(p, "/") + 1:]) : ""
load gp_dir(ARG0) . "plot_marks.gp"
PS = PS * PT_SCALE
FIG = "overview"

# ---- layout ----------------------------------------------------------------
min2(a, b) = a < b ? a : b
max2(a, b) = a > b ? a : b
NM = words(models)
GROWS = int(ceil(NW / (1.0 * MAX_COLS)))
GCOLS = int(ceil(NW / (1.0 * GROWS)))
grow(j) = (j - 1) / GCOLS       # cell j's row and column, 0-based
gcol(j) = (j - 1) % GCOLS
array RSTRIP[GROWS]             # the tallest strip of each row of cells
do for [r=1:GROWS] { RSTRIP[r] = 0 }
do for [j=1:NW] { RSTRIP[grow(j) + 1] = max2(RSTRIP[grow(j) + 1], strip_px(strip_n(j))) }
width = min2(width, GCOLS * MAX_CELL_PX + 10)   # one or two workloads: not stretched
KEY_MODELS = min2(KEY_MODELS, int(width / KEY_ENTRY_PX))
KEY_STYLES = min2(4, int(width / (2 * KEY_ENTRY_PX)))
KEY_MROWS = int(ceil(NM / (1.0 * KEY_MODELS)))
KEY_SROWS = int(ceil(4.0 / KEY_STYLES))  # min-max, floor, backend-bound, failed
TOP_PX = TITLE_PX + (KEY_MROWS + KEY_SROWS) * KEY_ROW_PX + KEY_GAP_PX
cell_px(r) = PTITLE_PX + RSTRIP[r] + PANEL_PX + MID_PX + PANEL_PX + XAXIS_PX + ROW_GAP_PX
row_top_px(r) = TOP_PX + sum [q=1:r-1] cell_px(q)
if (!exists("height")) height = TOP_PX + sum [q=1:GROWS] cell_px(q)
CELL_W_PX = (width - 10.0) / GCOLS
PW_PX = CELL_W_PX - LEFT_PX - CELL_RPAD_PX
PH_PX = PANEL_PX
# Cell j's panel k (1 = throughput, 2 = p99), its frame in screen coordinates.
p_l(j) = (5.0 + gcol(j) * CELL_W_PX + LEFT_PX) / width
p_t(j, k) = 1 - (row_top_px(grow(j) + 1) + PTITLE_PX + RSTRIP[grow(j) + 1] + (k - 1) * (PANEL_PX + MID_PX)) / (1.0 * height)
panel(j, k) = sprintf("set lmargin at screen %.5f; set rmargin at screen %.5f; set tmargin at screen %.5f; set bmargin at screen %.5f", \
                      p_l(j), p_l(j) + PW_PX / width, p_t(j, k), p_t(j, k) - 1.0 * PANEL_PX / height)
# A cell's title: a label above the tallest strip of its row.
ctitle(t, j) = sprintf("set label 90 '%s' at graph 0.5, graph 1 + %.5f center font '%s,%d'", \
                       t, (RSTRIP[grow(j) + 1] + PTITLE_PX * 0.45) / PH_PX, FONT, PANEL_PT)

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
wl = word(wls, 1)           # the workload of the cell being drawn
in_wl(w)  = strcol("workload") eq w
any_ok(w) = in_wl(w) && strcol("status") eq "ok"
is_ok(m)  = in_wl(wl) && strcol("model") eq m && strcol("status") eq "ok"
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
# The floor of cell j (fl_j set by fl_set(j)): T(c) and c / T(c).
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
    if (words(xlos) >= j && words(xhis) >= j) { XLO[j] = real(word(xlos, j)); XHI[j] = real(word(xhis, j)) }
    LOGQ = 0; QCOL = "throughput_max"; eval _stat; TMAX[j]  = has(QMAX) ? QMAX : 1.0
    LOGQ = 1; QCOL = "throughput_min"; eval _stat; TMIN[j]  = has(QMIN) ? QMIN : TMAX[j] / 10.0
    LOGQ = 1; QCOL = "p99_us_min";     eval _stat; LATLO[j] = has(QMIN) ? QMIN : 1.0
    LOGQ = 1; QCOL = "p99_us_max";     eval _stat; LATHI[j] = has(QMAX) ? QMAX : 10.0
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

lin_hi(dmax) = dmax > 0 ? dmax * LIN_HEAD : 1
decades(dlo, dhi) = log10(dhi / dlo) + 2 * LOG_PAD < MIN_DECADES ? MIN_DECADES : log10(dhi / dlo) + 2 * LOG_PAD
log_lo(dlo, dhi) = sqrt(dlo * dhi) / 10 ** (decades(dlo, dhi) / 2)
log_hi(dlo, dhi) = sqrt(dlo * dhi) * 10 ** (decades(dlo, dhi) / 2)

set multiplot

# ---- title and the key, in a band at the top ---------------------------------
set label 1 ttl at screen 0.5, screen 1 - 0.5 * TITLE_PX / height center font FONT.",".TITLE_PT
KEY_TOP_PX = TITLE_PX; KTAG = 0
do for [i=1:NM] {
    KI = (i - 1) % KEY_MODELS; KN = KEY_MODELS; KR = (i - 1) / KEY_MODELS; KTAG = KTAG + 1
    KT = mname(i); KC = mcolor(i); KDT = 1; KPT = mpt(i); eval KEY_ENTRY
}
# The styles, KEY_STYLES a row (NEXT_KEY: the next one's place).
KS = 0; KN = KEY_STYLES
NEXT_KEY = 'KI = KS % KEY_STYLES; KR = KEY_MROWS + KS / KEY_STYLES; KS = KS + 1; KTAG = KTAG + 1'
eval NEXT_KEY
KT = "min-max of runs"; KC = key_gray(1); KDT = 0; KPT = -1; eval KEY_ENTRY
if (FLOOR_ON) {
    eval NEXT_KEY; KT = "machine floor (calibration)"; KC = FLOOR_COLOR; KDT = FLOOR_DT; KPT = 0; eval KEY_ENTRY
}
if (RING_N) { eval NEXT_KEY; eval RING_ENTRY }
if (words(sx_j) > 0) {
    eval NEXT_KEY
    KT = "failed: red X above a cell"; KC = FAIL_COLOR; KDT = 0; KPT = FAIL_PT; eval KEY_ENTRY
}
unset border; unset tics; unset key
set xrange [0:1]; set yrange [0:1]
set lmargin at screen 0; set rmargin at screen 1; set tmargin at screen 1; set bmargin at screen 0
plot NaN notitle
unset label 1
eval CLEAR_KEY

# ---- common look of the panels --------------------------------------------
set border 3 lw 1.2
set xtics nomirror out scale 0.8
set ytics nomirror out scale 0.8
set logscale x
set format x "%.0s%c"
set mxtics 10
set grid xtics ytics mxtics mytics lw 1 lc rgb GRID_COLOR, lw 0.6 lc rgb MGRID_COLOR
set bars small

do for [j=1:NW] {
    wl = word(wls, j); SJ = j
    set xrange [XLO[j]:XHI[j]]
    XL = XLO[j]; XH = XHI[j]; eval LOG_XTICS
    eval fl_set(j)
    # ---- throughput: log y as on the per-workload figures, linear from 0
    # when the data span under LOG_MIN_SPAN (a log axis would show one tic)
    eval panel(j, 1)
    if (TMAX[j] / TMIN[j] >= LOG_MIN_SPAN) {
        lo = log_lo(TMIN[j], TMAX[j]); hi = log_hi(TMIN[j], TMAX[j]); logy = 1
        set logscale y
        set yrange [lo:hi]
        eval LOG_TICS
    } else {
        lo = 0; hi = lin_hi(TMAX[j]); logy = 0
        unset logscale y
        set yrange [lo:hi]
        eval LIN_TICS
    }
    set format y "%.0s%c"
    eval ctitle(word(wlt, j), j)
    set xlabel ""
    set ylabel "throughput (tasks/s)"
    eval STRIP
    RING_Y = "bb_t"; eval RINGS
    plot fl_t(x) with lines lw FLOOR_LW dt FLOOR_DT lc rgb FLOOR_COLOR notitle, \
         for [i=1:NM] csv using "concurrency":(col(mname(i), "throughput")):(col(mname(i), "throughput_min")):(col(mname(i), "throughput_max")) \
             with yerrorlines lw LW pt mpt(i) ps PS lc rgb mcolor(i) notitle
    PANEL = wl . ":throughput"; eval TRACE
    eval CLEAR_MARKS
    unset label 90
    # ---- p99 latency, log y
    eval panel(j, 2)
    lo = log_lo(LATLO[j], LATHI[j]); hi = log_hi(LATLO[j], LATHI[j]); logy = 1
    set logscale y
    set yrange [lo:hi]
    eval LOG_TICS
    set format y "%.0s%c"
    set xlabel "concurrency (tasks in flight)"
    set ylabel "p99 latency (us)"
    RING_Y = "bb_p99"; eval RINGS
    plot fl_l(x) with lines lw FLOOR_LW dt FLOOR_DT lc rgb FLOOR_COLOR notitle, \
         for [i=1:NM] csv using "concurrency":(col(mname(i), "p99_us")):(col(mname(i), "p99_us_min")):(col(mname(i), "p99_us_max")) \
             with yerrorlines lw LW pt mpt(i) ps PS lc rgb mcolor(i) notitle
    PANEL = wl . ":p99"; SJ = 0; eval TRACE
    eval CLEAR_MARKS
}

unset multiplot
set output
