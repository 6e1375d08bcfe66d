# plot_workload.gp: the figure of one workload -- every model side by side.
#
# Four panels in one row, all against concurrency (tasks in flight, log x):
#   (a) throughput (tasks/s)      (b) p50 and p99 latency (us, log y)
#   (c) peak memory (MiB)         (d) memory per in-flight task (KiB)
# Memory is whole where the run measured kernel memory (kmem_on = 1): in (c)
# and (d) the solid line is user RSS + kernel memory, the dotted line the
# kernel part, so the gap between them is the user part.  Else the solid
# line is user RSS alone and the panel says kernel memory was not measured.
# Each model is one coloured series; error bars span min..max over the
# counted runs.  A failed point (status=failed) has no numbers, so it is
# drawn as a red X at the bottom of every panel on a dotted red line, and
# labelled "MODEL failed" in panel (a): a thread-per-task design running out
# of threads is a result, not a gap in the plot.
#
# The numbers come from results.csv only: gnuplot reads it directly and
# keeps the rows of one workload and model with a ternary in `using`.
# scripts/report/plots.py drives this script; standalone:
#   gnuplot -e "csv='results/latest/results.csv'; wl='cpu_hash'; models='threads async'; out='cpu_hash.png'" \
#           scripts/plot_workload.gp
# Variables (gnuplot -e "name='value'; ..."):
#   csv     path of results.csv                                  (required)
#   wl      the workload to draw                                 (required)
#   out     output file                                          (required)
#   fmt     'png' (pngcairo) or 'svg'                            (default png)
#   models  models to draw, in legend order, space-separated     (required)
#   colors  one colour per model, same order (harness/models.def) (default Okabe-Ito)
#   pts     one filled point type per model (open = pt - 1)      (default '7 5 9 13 11 15')
#   ttl     figure title                                         (default wl)
#   width, height   size in pixels                               (default 2000 x 560)
#   kmem_on    1: results.csv has kmem_kib, kmem_per_task_kib and
#              mem_per_task_kib with figures in them              (default 0)
#   mem_label  how kernel memory was measured, shown in (c) and (d)
# The machine's floor (scripts/report/floors.py computes it from calibration.csv; see its
# module comment), drawn dashed in panels (a) and (b) when fl_on = 1:
#   fl_on      1: draw it                                        (default 0)
#   fl_lat_us  one task alone, us: the latency floor at c=1
#   fl_cap     throughput cap, tasks/s (cores, timer cost); 0 = none
#   fl_tlabel, fl_tlabel2  the formula, two lines, shown in panel (a)
#   fl_llabel, fl_llabel2  the same for panel (b)
# Throughput floor T(c) = min(c / fl_lat_us, fl_cap); latency floor c / T(c).
# A level worth marking in panel (b), a dotted vertical line (a bounded pool's
# size, above which its tasks queue; scripts/report/plots.py), when mark_on = 1:
#   mark_on    1: draw it                                        (default 0)
#   mark_c     its concurrency
#   mark_label its text, mark_color its colour (the model's)

if (!exists("csv") || !exists("wl") || !exists("out") || !exists("models")) {
    print "plot_workload.gp: set csv, wl, models and out, e.g. gnuplot -e \"csv='r.csv'; wl='cpu_hash'; models='m1 m2'; out='x.png'\" plot_workload.gp"
    exit status 2
}
if (!exists("fmt"))    fmt = "png"
if (!exists("colors")) colors = "#0072B2 #E69F00 #009E73 #CC79A7 #56B4E9 #000000"  # generic
if (!exists("pts"))    pts = "7 5 9 13 11 15"
if (!exists("ttl"))    ttl = wl
if (!exists("width"))  width = 2000
if (!exists("height")) height = 560
if (!exists("fl_on"))  fl_on = 0
if (!exists("kmem_on")) kmem_on = 0
if (!exists("mem_label")) mem_label = kmem_on ? "" : "kernel memory: not measured"
if (!exists("fl_lat_us") || !exists("fl_cap")) fl_on = 0
if (!exists("fl_tlabel"))  fl_tlabel = ""
if (!exists("fl_tlabel2")) fl_tlabel2 = ""
if (!exists("fl_llabel"))  fl_llabel = ""
if (!exists("fl_llabel2")) fl_llabel2 = ""
if (!exists("mark_on") || !exists("mark_c")) mark_on = 0
if (!exists("mark_label")) mark_label = ""
if (!exists("mark_color")) mark_color = "#333333"

# ---- tunables -------------------------------------------------------------
FONT        = "DejaVu Sans"
FONT_PT     = 16            # tics, axis labels, key
TITLE_PT    = 20            # figure title
PANEL_PT    = 17            # panel titles
LW          = 2.5           # series line width
PS          = 1.6           # series point size
GRID_COLOR  = "#d0d0d0"     # major grid
MGRID_COLOR = "#ececec"     # minor grid (log axes)
KEY_GRAY    = "#333333"     # p50 / p99 line-style samples in the key
KMEM_DT     = 3             # the kernel part of memory: dotted
FAIL_COLOR  = "#D00000"     # failed points: red X on a dotted red line
FAIL_PT     = 2             # X
FAIL_PS     = 3.2
FAIL_LW     = 4.0
FAIL_VLW    = 2.0           # the dotted line's width
FAIL_F0     = 0.045         # first failed marker at this fraction of the y axis
FAIL_DF     = 0.08          # next model's marker this much higher
LIN_HEAD    = 1.10          # linear y axes: headroom above the highest error bar
LOG_HEAD    = 0.10          # log y axes: headroom, fraction of the decades shown
LOG_FOOT    = 0.15          # log y axes: room below the data for failed markers
X_PAD       = 1.6           # x axis: factor beyond the lowest/highest concurrency
MIN_DECADES = 1.0           # log y axes show at least this many decades
NP          = 4             # panels
KEY_COLS    = 10            # the key is one row up to this many entries
KEY_WIDTH   = -2            # key column width adjustment (characters): tighter columns
# Layout, in fractions of the canvas: title, key band, the row of panels.
TITLE_Y     = 0.95
KEY_T       = 0.895
KEY_PER_ROW = 4.0           # key entries in one row
KEY_ROW_H   = 0.025         # one key row, in canvas height
KEY_TO_PANELS = 0.125       # from the key band down to the panels (their titles)
PANELS_L    = 0.048
PANELS_R    = 0.99
PANELS_B    = 0.16
PANELS_GAP  = 0.062
KIB_PER_MIB = 1024.0
FLOOR_COLOR = "#444444"     # the machine's floor: dashed dark grey
FLOOR_LW    = 2.0
FLOOR_DT    = 2             # dashes
FLOOR_PT    = 12            # floor formula labels, two lines at the top left
FLOOR_LX    = 0.02          # ... their x, and the y of the first line (graph)
FLOOR_LY    = 0.965
FLOOR_HEAD  = 10.0          # a floor widens a y axis by this factor at most
FLOOR_SAMPLES = 400         # samples of the floor functions (log x)
FLOOR_ROOM  = 0.14          # top fraction of panels (a), (b) kept for the labels

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
# The key holds NM models and up to 6 other entries, KEY_PER_ROW to a row
# (its widest titles fit about 4 across): the band and the panels below it
# make room for as many rows as that takes, so 7 models do not spill into
# the panel titles.
KEY_ROWS = int(ceil((NM + 6) / KEY_PER_ROW))
KEY_B    = KEY_T - KEY_ROW_H * KEY_ROWS - 0.01
PANELS_T = KEY_B - KEY_TO_PANELS
in_wl(w)  = strcol("workload") eq w
any_ok(w) = in_wl(w) && strcol("status") eq "ok"
is_ok(m)  = in_wl(wl) && strcol("model") eq m && strcol("status") eq "ok"
is_bad(m) = in_wl(wl) && strcol("model") eq m && strcol("status") eq "failed"
col(m, name) = is_ok(m) ? column(name) : NaN
mname(i)  = word(models, i)
mcolor(i) = word(colors, (i - 1) % words(colors) + 1)
mpt(i)    = int(word(pts, (i - 1) % words(pts) + 1))

# ---- axis ranges ----------------------------------------------------------
# All stats run before any range is set: stats drops values outside the
# current axis ranges.  _stat: min and max (QMIN, QMAX; NaN when none) of
# column QCOL over this workload's ok rows; LOGQ = 1 counts positive values only.
_stat = 'undefine STATS_*; stats csv using (any_ok(wl) && (!LOGQ || column(QCOL) > 0) ? column(QCOL) : NaN) nooutput; QMIN = exists("STATS_min") ? STATS_min : NaN; QMAX = exists("STATS_max") ? STATS_max : NaN'
has(v) = v == v     # false for NaN

undefine STATS_*
stats csv using (in_wl(wl) ? column("concurrency") : NaN) nooutput
if (!exists("STATS_min")) {
    print sprintf("plot_workload.gp: no rows for workload '%s' in %s", wl, csv)
    exit status 1
}
xlo = STATS_min / X_PAD; xhi = STATS_max * X_PAD
cmin = STATS_min; cmax = STATS_max

LOGQ = 0; QCOL = "throughput_max";   eval _stat; tmax = has(QMAX) ? QMAX : 1
LOGQ = 1; QCOL = "throughput_min";   eval _stat; tmin = has(QMIN) ? QMIN : tmax / 10
LOG_MIN_SPAN = 20   # throughput max/min below this: linear axis
LOGQ = 1; QCOL = "p50_us_min";       eval _stat; lat_lo = has(QMIN) ? QMIN : 1
LOGQ = 1; QCOL = "p99_us_max";       eval _stat; lat_hi = has(QMAX) ? QMAX : 10
LOGQ = 0; QCOL = "maxrss_kib_max";   eval _stat; rss_max = has(QMAX) ? QMAX / KIB_PER_MIB : 1
if (kmem_on) {  # the total's top: the highest RSS plus the highest kernel figure
    LOGQ = 0; QCOL = "kmem_kib"; eval _stat; rss_max = rss_max + (has(QMAX) ? QMAX / KIB_PER_MIB : 0)
}

# The floor, T(c) and c / T(c), both rising with c: its extremes are at the
# lowest and highest level.  It widens the axes to show itself, by at most
# FLOOR_HEAD (a ceiling decades above the data would flatten it).
min2(a, b) = a < b ? a : b
max2(a, b) = a > b ? a : b
fl_t(x) = fl_on ? (fl_cap > 0 ? min2(x * 1e6 / fl_lat_us, fl_cap) : x * 1e6 / fl_lat_us) : NaN
fl_l(x) = fl_on ? x * 1e6 / fl_t(x) : NaN
if (fl_on) {
    tmax = max2(tmax, min2(fl_t(cmax), tmax * FLOOR_HEAD))
    tmin = min2(tmin, max2(fl_t(cmin), tmin / FLOOR_HEAD))
    lat_lo = min2(lat_lo, max2(fl_l(cmin), lat_lo / FLOOR_HEAD))
    lat_hi = max2(lat_hi, min2(fl_l(cmax), lat_hi * FLOOR_HEAD))
}
FLOOR_KEY = fl_on ? ', NaN with lines lw FLOOR_LW dt FLOOR_DT lc rgb FLOOR_COLOR title "machine floor (calibration)"' : ''

KMEM_KEY = kmem_on ? ', NaN with lines lw LW dt KMEM_DT lc rgb KEY_GRAY title "kernel part of memory (c, d)"' : ''
FLOOR_T = fl_on ? 'fl_t(x) with lines lw FLOOR_LW dt FLOOR_DT lc rgb FLOOR_COLOR notitle, ' : ''
FLOOR_L = fl_on ? 'fl_l(x) with lines lw FLOOR_LW dt FLOOR_DT lc rgb FLOOR_COLOR notitle, ' : ''
set samples FLOOR_SAMPLES
# label_room: raise hi so the top FLOOR_ROOM of the panel is free for the
# two formula lines (a plateau of the floor would run through them).
label_room = 'if (logy) { hi = hi * (hi / lo) ** (FLOOR_ROOM / (1 - FLOOR_ROOM)) } else { hi = lo + (hi - lo) / (1 - FLOOR_ROOM) }'
LOGQ = 0; QCOL = "rss_per_task_kib"; eval _stat; rpt_min = has(QMIN) ? QMIN : 0; rpt_max = has(QMAX) ? QMAX : 1; rpt_any = has(QMAX)
if (kmem_on) {
    LOGQ = 0; QCOL = "mem_per_task_kib"; eval _stat
    if (has(QMAX)) { rpt_min = min2(rpt_min, QMIN); rpt_max = max2(rpt_max, QMAX) }
    LOGQ = 0; QCOL = "kmem_per_task_kib"; eval _stat
    if (has(QMAX)) { rpt_min = min2(rpt_min, QMIN); rpt_max = max2(rpt_max, QMAX) }
}

# Linear axis: from 0 (or below, for negative data) to the top value with
# headroom.  Log axis: the data decades, widened to MIN_DECADES, with
# LOG_HEAD above and LOG_FOOT below (room for the failed markers).
lin_lo(dmin) = dmin < 0 ? dmin * LIN_HEAD : 0
lin_hi(dmax) = dmax > 0 ? dmax * LIN_HEAD : 1
decades(dlo, dhi) = log10(dhi / dlo) < MIN_DECADES ? MIN_DECADES : log10(dhi / dlo)
log_lo(dlo, dhi) = sqrt(dlo * dhi) / 10 ** (decades(dlo, dhi) * (0.5 + LOG_FOOT))
log_hi(dlo, dhi) = sqrt(dlo * dhi) * 10 ** (decades(dlo, dhi) * (0.5 + LOG_HEAD))

# Throughput in tasks/s, k tasks/s or M tasks/s, whichever keeps tics short.
tdiv  = tmax >= 1e6 ? 1e6 : (tmax >= 1e3 ? 1e3 : 1)
tunit = tdiv == 1e6 ? "M tasks/s" : (tdiv == 1e3 ? "k tasks/s" : "tasks/s")

# ---- failed points --------------------------------------------------------
# The current panel's y range is [lo:hi] (logy: log axis).  Each model's X
# sits one step higher, so two failures at one concurrency stay apart.
lo = 0; hi = 1; logy = 0
ffrac(i)  = FAIL_F0 + (i - 1) * FAIL_DF
fail_y(i) = logy ? lo * (hi / lo) ** ffrac(i) : lo + (hi - lo) * ffrac(i)
FAILED = 'for [i=1:NM] csv using "concurrency":(is_bad(mname(i)) ? lo : NaN):(0):(hi - lo) with vectors nohead dt 3 lw FAIL_VLW lc rgb FAIL_COLOR notitle, ' . \
         'for [i=1:NM] csv using "concurrency":(is_bad(mname(i)) ? fail_y(i) : NaN) with points pt FAIL_PT ps FAIL_PS lw FAIL_LW lc rgb FAIL_COLOR notitle'
# The name once, where the model failed (the levels above it are "not run:
# failed at c=..."), left of its X; at the lowest level, where that would
# leave the panel (redis_get's unsupported models fail at c = 1), right of it.
first_bad(m) = is_bad(m) && strstrt(strcol("reason"), "not run") != 1
FAILED_TEXT = 'for [i=1:NM] csv using "concurrency":(first_bad(mname(i)) && column("concurrency") > cmin ? fail_y(i) : NaN):(mname(i) . " failed") with labels right offset -1.6, 0 tc rgb FAIL_COLOR notitle, ' . \
              'for [i=1:NM] csv using "concurrency":(first_bad(mname(i)) && column("concurrency") <= cmin ? fail_y(i) : NaN):(mname(i) . " failed") with labels left offset 1.6, 0 tc rgb FAIL_COLOR notitle'

# Panel i's plot border, in screen coordinates.
PW = (PANELS_R - PANELS_L - (NP - 1) * PANELS_GAP) / NP
panel(i) = sprintf("set lmargin at screen %.4f; set rmargin at screen %.4f; set bmargin at screen %.4f; set tmargin at screen %.4f", \
                   PANELS_L + (i - 1) * (PW + PANELS_GAP), PANELS_L + (i - 1) * (PW + PANELS_GAP) + PW, PANELS_B, PANELS_T)

set multiplot

# ---- title and the one key of the figure, in a band above the panels -------
set lmargin at screen 0; set rmargin at screen 1
set bmargin at screen KEY_B; set tmargin at screen KEY_T
unset border; unset tics
set xrange [0:1]; set yrange [0:1]
set label 1 ttl at screen 0.5, screen TITLE_Y center font FONT.",".TITLE_PT
set key inside center center horizontal maxcols KEY_COLS reverse Left samplen 2.5 width KEY_WIDTH font FONT.",".FONT_PT
plot for [i=1:NM] NaN with linespoints lw LW pt mpt(i) ps PS lc rgb mcolor(i) title mname(i), \
     NaN with linespoints lw LW dt 1 pt 7 ps PS lc rgb KEY_GRAY title "p50", \
     NaN with linespoints lw LW dt 2 pt 6 ps PS lc rgb KEY_GRAY title "p99", \
     NaN with points pt FAIL_PT ps FAIL_PS lw FAIL_LW lc rgb FAIL_COLOR title "failed run", \
     "+" using (NaN):(NaN):(NaN):(NaN) with yerrorbars lw LW pt 7 ps 0 lc rgb KEY_GRAY title "min-max of runs" \
     @FLOOR_KEY @KMEM_KEY
unset label 1
unset key

# ---- common look of the panels --------------------------------------------
set border 3 lw 1.2
set xtics nomirror out scale 0.8
set ytics nomirror out scale 0.8
set xrange [xlo:xhi]
set logscale x
set format x "%.0s%c"
set mxtics 10
set grid xtics ytics mxtics mytics lw 1 lc rgb GRID_COLOR, lw 0.6 lc rgb MGRID_COLOR
set xlabel "concurrency (tasks in flight)"
set bars small

# ---- (a) throughput -------------------------------------------------------
# Log y: at 1 ms per task throughput spans 1k to 10M tasks/s across the levels.
# Under LOG_MIN_SPAN (e.g. cpu_hash, or a QUICK run) a log axis would show
# a single tic label: use a linear one from 0 there.
eval panel(1)
if (tmax / tmin >= LOG_MIN_SPAN) {
    lo = log_lo(tmin, tmax); hi = log_hi(tmin, tmax); logy = 1
    set logscale y
} else {
    lo = 0; hi = lin_hi(tmax); logy = 0
}
if (fl_on) { eval label_room }
set yrange [lo:hi]
set format y "%.0s%c"
set title "(a) throughput" font FONT.",".PANEL_PT
set ylabel "throughput (tasks/s)"
if (fl_on) {   # the formula, two lines at the top left
    set label 91 fl_tlabel at graph FLOOR_LX, graph FLOOR_LY left front font FONT.",".FLOOR_PT tc rgb FLOOR_COLOR
    set label 92 fl_tlabel2 at graph FLOOR_LX, graph FLOOR_LY offset 0, -1.1 left front font FONT.",".FLOOR_PT tc rgb FLOOR_COLOR
}
plot @FLOOR_T for [i=1:NM] csv using "concurrency":(col(mname(i), "throughput")):(col(mname(i), "throughput_min")):(col(mname(i), "throughput_max")) \
         with yerrorlines lw LW pt mpt(i) ps PS lc rgb mcolor(i) notitle, \
     @FAILED, @FAILED_TEXT
unset logscale y
unset label 91; unset label 92

# ---- (b) latency ----------------------------------------------------------
eval panel(2)
lo = log_lo(lat_lo, lat_hi); hi = log_hi(lat_lo, lat_hi); logy = 1
if (fl_on) { eval label_room }
set logscale y
set yrange [lo:hi]
set format y "%.0s%c"
set title "(b) latency: p50 solid, p99 dashed" font FONT.",".PANEL_PT
set ylabel "latency (us)"
if (fl_on) {
    set label 91 fl_llabel at graph FLOOR_LX, graph FLOOR_LY left front font FONT.",".FLOOR_PT tc rgb FLOOR_COLOR
    set label 92 fl_llabel2 at graph FLOOR_LX, graph FLOOR_LY offset 0, -1.1 left front font FONT.",".FLOOR_PT tc rgb FLOOR_COLOR
}
if (mark_on) {   # e.g. the pool's size: above it, its tasks queue
    set arrow 81 from first mark_c, graph 0 to first mark_c, graph 1 nohead dt 3 lw LW lc rgb mark_color back
    set label 81 mark_label at first mark_c, graph 0.80 right offset -0.4, 0 front font FONT.",".FLOOR_PT tc rgb mark_color
}
plot @FLOOR_L for [i=1:NM] csv using "concurrency":(col(mname(i), "p50_us")):(col(mname(i), "p50_us_min")):(col(mname(i), "p50_us_max")) \
         with yerrorlines lw LW dt 1 pt mpt(i) ps PS lc rgb mcolor(i) notitle, \
     for [i=1:NM] csv using "concurrency":(col(mname(i), "p99_us")):(col(mname(i), "p99_us_min")):(col(mname(i), "p99_us_max")) \
         with yerrorlines lw LW dt 2 pt mpt(i) - 1 ps PS lc rgb mcolor(i) notitle, \
     @FAILED
unset logscale y
unset label 91; unset label 92; unset label 81; unset arrow 81

# ---- (c) peak memory ------------------------------------------------------
# kmem_on: solid = peak user RSS + peak kernel memory (bars: the RSS's
# min..max over the runs), dotted = the kernel part.  Else peak RSS alone.
eval panel(3)
lo = 0; hi = lin_hi(rss_max); logy = 0
set yrange [lo:hi]
set format y "%g"
set label 93 mem_label at graph 0.03, graph 0.93 left front font FONT.",".FLOOR_PT tc rgb FLOOR_COLOR
if (kmem_on) {
    set title "(c) peak memory: total solid, kernel dotted" font FONT.",".PANEL_PT
    set ylabel "peak memory (MiB)"
    plot for [i=1:NM] csv using "concurrency":((col(mname(i), "maxrss_kib") + column("kmem_kib")) / KIB_PER_MIB):((col(mname(i), "maxrss_kib_min") + column("kmem_kib")) / KIB_PER_MIB):((col(mname(i), "maxrss_kib_max") + column("kmem_kib")) / KIB_PER_MIB) \
             with yerrorlines lw LW pt mpt(i) ps PS lc rgb mcolor(i) notitle, \
         for [i=1:NM] csv using "concurrency":(col(mname(i), "kmem_kib") / KIB_PER_MIB) \
             with linespoints lw LW dt KMEM_DT pt mpt(i) - 1 ps PS lc rgb mcolor(i) notitle, \
         @FAILED
} else {
    set title "(c) peak RSS" font FONT.",".PANEL_PT
    set ylabel "peak RSS (MiB)"
    plot for [i=1:NM] csv using "concurrency":(col(mname(i), "maxrss_kib") / KIB_PER_MIB):(col(mname(i), "maxrss_kib_min") / KIB_PER_MIB):(col(mname(i), "maxrss_kib_max") / KIB_PER_MIB) \
             with yerrorlines lw LW pt mpt(i) ps PS lc rgb mcolor(i) notitle, \
         @FAILED
}

# ---- (d) memory per in-flight task -------------------------------------------
# (X(c) - X(1)) / (c - 1): the sweep fills it from c = 64 (below, page
# noise); a run without such levels (QUICK=1) says so instead of an empty box.
# kmem_on: solid = user RSS + kernel per task, dotted = the kernel part.
eval panel(4)
if (!rpt_any) {
    set label 90 "no level >= 64 in this run:\nmemory per task needs c >= 64" at graph 0.5, graph 0.5 center
}
lo = lin_lo(rpt_min); hi = lin_hi(rpt_max); logy = 0
set yrange [lo:hi]
if (kmem_on) {
    set title "(d) memory per in-flight task" font FONT.",".PANEL_PT
    set ylabel "memory per task (KiB)"
    plot for [i=1:NM] csv using "concurrency":(col(mname(i), "mem_per_task_kib")) \
             with linespoints lw LW pt mpt(i) ps PS lc rgb mcolor(i) notitle, \
         for [i=1:NM] csv using "concurrency":(col(mname(i), "kmem_per_task_kib")) \
             with linespoints lw LW dt KMEM_DT pt mpt(i) - 1 ps PS lc rgb mcolor(i) notitle, \
         @FAILED
} else {
    set title "(d) RSS per in-flight task" font FONT.",".PANEL_PT
    set ylabel "RSS per task (KiB)"
    plot for [i=1:NM] csv using "concurrency":(col(mname(i), "rss_per_task_kib")) \
             with linespoints lw LW pt mpt(i) ps PS lc rgb mcolor(i) notitle, \
         @FAILED
}
unset label 90
unset label 93

unset multiplot
set output
