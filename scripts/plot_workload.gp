# plot_workload.gp: the figure of one workload -- every model side by side.
#
# Four panels, two by two, all against concurrency (tasks in flight, log x):
#   (a) throughput (tasks/s)      (b) p50 and p99 latency (us, log y)
#   (c) peak memory (MiB)         (d) memory per in-flight task (KiB)
# 1600 pixels wide: it reads on a laptop's screen and in a web page's column.
# Memory is whole where the run measured kernel memory (kmem_on = 1): in (c)
# and (d) the solid line is user RSS + kernel memory, the dotted line the
# kernel part, so the gap between them is the user part.  Else the solid
# line is user RSS alone and the panel says kernel memory was not measured.
# Each model is one colour and one marker (harness/models.def); error bars
# span min..max over the counted runs; p50 is a solid line, p99 a dashed one.
# A failed point has no numbers: it is a red X in the grey strip above each
# panel, with the model's name once (scripts/plot_marks.gp); a model the pair
# does not support is "n/a" there; a backend-bound point is ringed.
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
#   pts     one point type per model                             (default '7 5 9 13 11 15')
#   ttl     figure title                                         (default wl)
#   width   pixels (default 1600); height: pixels (default: what the key and strip need)
#   xlo, xhi   the x range (default: the levels / 1.6 .. * 1.6)
#   kmem_on    1: results.csv has kmem_kib, kmem_per_task_kib and
#              mem_per_task_kib with figures in them              (default 0)
#   mem_label  how kernel memory was measured, shown in (c) and (d)
#   the strip's and the rings' words, and trace: see plot_marks.gp
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
if (!exists("width"))  width = 1600
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
FONT_PT     = 15            # tics, axis labels, key
TITLE_PT    = 18            # figure title
PANEL_PT    = 16            # panel titles
LW          = 2.5           # series line width
PS          = 1.5           # series point size
GRID_COLOR  = "#d0d0d0"     # major grid
MGRID_COLOR = "#ececec"     # minor grid (log axes)
KMEM_DT     = 3             # the kernel part of memory: dotted
P99_DT      = 2             # p99: dashed
LIN_HEAD    = 1.10          # linear y axes: headroom above the highest error bar
LOG_PAD     = 0.08          # log y axes: room beyond the data, in decades
X_PAD       = 1.6           # x axis: factor beyond the lowest/highest concurrency
MIN_DECADES = 1.0           # log y axes show at least this many decades
LOG_MIN_SPAN = 20           # throughput max/min below this: a linear axis from 0
KIB_PER_MIB = 1024.0
# Layout, in pixels: the title, the key (KEY_MODELS models a row), then two
# rows of two panels, each with its title and the strip above its frame.
TITLE_PX    = 44
KEY_MODELS  = 9             # models in one key row
KEY_STYLES  = 5             # line styles and marks in one key row
KEY_ROW_PX  = 24
KEY_GAP_PX  = 16
PTITLE_PX   = 30            # a panel's title, above its strip
PANEL_PX    = 330           # a panel's plot height
XAXIS_PX    = 92            # under a panel: its tic labels and x label
LEFT_PX     = 112           # left of each panel column: tic labels, y label
GAP_PX      = 110           # between the two columns
RIGHT_PX    = 28
FLOOR_COLOR = "#444444"     # the machine's floor: dashed dark grey
FLOOR_LW    = 2.0
FLOOR_DT    = 2             # dashes
FLOOR_PT    = 12            # floor formula labels, two lines at the top left
FLOOR_LX    = 0.02          # ... their x, and the y of the first line (graph)
FLOOR_LY    = 0.965
FLOOR_HEAD  = 10.0          # a floor widens a y axis by this factor at most
FLOOR_SAMPLES = 400         # samples of the floor functions (log x)
FLOOR_ROOM  = 0.14          # top fraction of panels (a), (b) kept for the labels

# The strip, the rings, log tics and the trace (plot_marks.gp, beside this file).
gp_dir(p) = strstrt(p, "/") ? p[1:strstrt(p, "/")] . gp_dir(p[strstrt(p, "/") + 1:]) : ""
load gp_dir(ARG0) . "plot_marks.gp"
PS = PS * PT_SCALE
SJ = 1; FIG = wl
SN = strip_n(1)

# ---- layout ----------------------------------------------------------------
NM = words(models)
KEY_MROWS = int(ceil(NM / (1.0 * KEY_MODELS)))   # the models' key rows
KEY_NSTYLES = 3 + (fl_on ? 1 : 0) + (kmem_on ? 1 : 0) + RING_N   # p50, p99, bars, ...
KEY_SROWS = int(ceil(KEY_NSTYLES / (1.0 * KEY_STYLES)))     # the styles' key rows
CELL_PX  = PTITLE_PX + strip_px(SN) + PANEL_PX + XAXIS_PX
TOP_PX   = TITLE_PX + (KEY_MROWS + KEY_SROWS) * KEY_ROW_PX + KEY_GAP_PX
if (!exists("height")) height = TOP_PX + 2 * CELL_PX
PH_PX = PANEL_PX
PW_PX = (width - 2 * LEFT_PX - GAP_PX - RIGHT_PX) / 2.0
# Panel i (1..4, row by row): its frame in screen coordinates.
pcol(i) = (i - 1) % 2
prow(i) = (i - 1) / 2
p_l(i) = (LEFT_PX + pcol(i) * (PW_PX + GAP_PX + LEFT_PX)) / (1.0 * width)
p_t(i) = 1 - (TOP_PX + prow(i) * CELL_PX + PTITLE_PX + strip_px(SN)) / (1.0 * height)
panel(i) = sprintf("set lmargin at screen %.5f; set rmargin at screen %.5f; set tmargin at screen %.5f; set bmargin at screen %.5f", \
                   p_l(i), p_l(i) + PW_PX / width, p_t(i), p_t(i) - 1.0 * PANEL_PX / height)
# A panel's title: a label above its strip.
ptitle(t) = sprintf("set label 90 '%s' at graph 0.5, graph 1 + %.5f center font '%s,%d'", \
                    t, (strip_px(SN) + PTITLE_PX * 0.45) / PH_PX, FONT, PANEL_PT)

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
in_wl(w)  = strcol("workload") eq w
any_ok(w) = in_wl(w) && strcol("status") eq "ok"
is_ok(m)  = in_wl(wl) && strcol("model") eq m && strcol("status") eq "ok"
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
cmin = STATS_min; cmax = STATS_max
if (!exists("xlo") || !exists("xhi")) { xlo = cmin / X_PAD; xhi = cmax * X_PAD }

LOGQ = 0; QCOL = "throughput_max";   eval _stat; tmax = has(QMAX) ? QMAX : 1.0
LOGQ = 1; QCOL = "throughput_min";   eval _stat; tmin = has(QMIN) ? QMIN : tmax / 10.0
LOGQ = 1; QCOL = "p50_us_min";       eval _stat; lat_lo = has(QMIN) ? QMIN : 1.0
LOGQ = 1; QCOL = "p99_us_max";       eval _stat; lat_hi = has(QMAX) ? QMAX : 10.0
LOGQ = 0; QCOL = "maxrss_kib_max";   eval _stat; rss_max = has(QMAX) ? QMAX / KIB_PER_MIB : 1.0
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
# headroom.  Log axis: the data's decades, LOG_PAD beyond them on each side,
# widened about their middle to MIN_DECADES: every series inside the frame.
lin_lo(dmin) = dmin < 0 ? dmin * LIN_HEAD : 0
lin_hi(dmax) = dmax > 0 ? dmax * LIN_HEAD : 1
decades(dlo, dhi) = log10(dhi / dlo) + 2 * LOG_PAD < MIN_DECADES ? MIN_DECADES : log10(dhi / dlo) + 2 * LOG_PAD
log_lo(dlo, dhi) = sqrt(dlo * dhi) / 10 ** (decades(dlo, dhi) / 2)
log_hi(dlo, dhi) = sqrt(dlo * dhi) * 10 ** (decades(dlo, dhi) / 2)

set multiplot

# ---- title and the key, in a band above the panels --------------------------
# The models, KEY_MODELS a row, then the line styles and marks in rows of their
# own: a style sample has no marker, so none can be read as a model.
set label 1 ttl at screen 0.5, screen 1 - 0.5 * TITLE_PX / height center font FONT.",".TITLE_PT
KEY_TOP_PX = TITLE_PX; KTAG = 0
do for [i=1:NM] {
    KI = (i - 1) % KEY_MODELS; KN = KEY_MODELS; KR = (i - 1) / KEY_MODELS; KTAG = KTAG + 1
    KT = mname(i); KC = mcolor(i); KDT = 1; KPT = mpt(i); eval KEY_ENTRY
}
# NEXT_STYLE: the next style entry's place, KEY_STYLES a row under the models.
KN = KEY_STYLES; KS = 0
# Its samples have no marker, so none reads as a model; each its own grey (key_gray).
NEXT_STYLE = 'KI = KS % KEY_STYLES; KR = KEY_MROWS + KS / KEY_STYLES; KS = KS + 1; KTAG = KTAG + 1; KC = key_gray(KS)'
eval NEXT_STYLE; KT = "p50 (b): solid"; KDT = 1; KPT = 0; eval KEY_ENTRY
eval NEXT_STYLE; KT = "p99 (b): dashed"; KDT = P99_DT; eval KEY_ENTRY
eval NEXT_STYLE; KT = "min-max of runs"; KDT = 0; KPT = -1; eval KEY_ENTRY
if (fl_on) {
    eval NEXT_STYLE; KT = "machine floor (a, b)"; KC = FLOOR_COLOR; KDT = FLOOR_DT; KPT = 0; eval KEY_ENTRY
}
if (kmem_on) {
    eval NEXT_STYLE; KT = "kernel part (c, d): dotted"; KDT = KMEM_DT; KPT = 0; eval KEY_ENTRY
}
if (RING_N) { eval NEXT_STYLE; eval RING_ENTRY }
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
set xrange [xlo:xhi]
set logscale x
set format x "%.0s%c"
XL = xlo; XH = xhi; eval LOG_XTICS
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
if (logy) { eval LOG_TICS } else { eval LIN_TICS }
set format y "%.0s%c"
eval ptitle("(a) throughput")
set ylabel "throughput (tasks/s)"
if (fl_on) {   # the formula, two lines at the top left
    set label 91 fl_tlabel at graph FLOOR_LX, graph FLOOR_LY left front font FONT.",".FLOOR_PT tc rgb FLOOR_COLOR
    set label 92 fl_tlabel2 at graph FLOOR_LX, graph FLOOR_LY offset 0, -1.1 left front font FONT.",".FLOOR_PT tc rgb FLOOR_COLOR
}
eval STRIP
RING_Y = "bb_t"; eval RINGS
plot @FLOOR_T for [i=1:NM] csv using "concurrency":(col(mname(i), "throughput")):(col(mname(i), "throughput_min")):(col(mname(i), "throughput_max")) \
         with yerrorlines lw LW pt mpt(i) ps PS lc rgb mcolor(i) notitle
PANEL = "throughput"; eval TRACE
eval CLEAR_MARKS
unset logscale y
unset label 91; unset label 92

# ---- (b) latency ----------------------------------------------------------
eval panel(2)
lo = log_lo(lat_lo, lat_hi); hi = log_hi(lat_lo, lat_hi); logy = 1
if (fl_on) { eval label_room }
set logscale y
set yrange [lo:hi]
eval LOG_TICS
set format y "%.0s%c"
eval ptitle("(b) latency: p50 solid, p99 dashed")
set ylabel "latency (us)"
if (fl_on) {
    set label 91 fl_llabel at graph FLOOR_LX, graph FLOOR_LY left front font FONT.",".FLOOR_PT tc rgb FLOOR_COLOR
    set label 92 fl_llabel2 at graph FLOOR_LX, graph FLOOR_LY offset 0, -1.1 left front font FONT.",".FLOOR_PT tc rgb FLOOR_COLOR
}
if (mark_on) {   # e.g. the pool's size: above it, its tasks queue
    set arrow 81 from first mark_c, graph 0 to first mark_c, graph 1 nohead dt 3 lw LW lc rgb mark_color back
    set label 81 mark_label at first mark_c, graph 0.80 right offset -0.4, 0 front font FONT.",".FLOOR_PT tc rgb mark_color
}
eval STRIP
RING_Y = "bb_p50"; eval RINGS
RING_BASE = 3500; RING_Y = "bb_p99"; eval RINGS; RING_BASE = 3000
plot @FLOOR_L for [i=1:NM] csv using "concurrency":(col(mname(i), "p50_us")):(col(mname(i), "p50_us_min")):(col(mname(i), "p50_us_max")) \
         with yerrorlines lw LW dt 1 pt mpt(i) ps PS lc rgb mcolor(i) notitle, \
     for [i=1:NM] csv using "concurrency":(col(mname(i), "p99_us")):(col(mname(i), "p99_us_min")):(col(mname(i), "p99_us_max")) \
         with yerrorlines lw LW dt P99_DT pt mpt(i) ps PS * 0.8 lc rgb mcolor(i) notitle
PANEL = "latency"; eval TRACE
eval CLEAR_MARKS
unset logscale y
unset label 91; unset label 92; unset label 81; unset arrow 81

# ---- (c) peak memory ------------------------------------------------------
# kmem_on: solid = peak user RSS + peak kernel memory (bars: the RSS's
# min..max over the runs), dotted = the kernel part.  Else peak RSS alone.
eval panel(3)
lo = 0; hi = lin_hi(rss_max); logy = 0
set yrange [lo:hi]
eval LIN_TICS
set label 93 mem_label at graph 0.03, graph 0.93 left front font FONT.",".FLOOR_PT tc rgb FLOOR_COLOR
eval STRIP
if (kmem_on) {
    eval ptitle("(c) peak memory: total solid, kernel dotted")
    set ylabel "peak memory (MiB)"
    plot for [i=1:NM] csv using "concurrency":((col(mname(i), "maxrss_kib") + column("kmem_kib")) / KIB_PER_MIB):((col(mname(i), "maxrss_kib_min") + column("kmem_kib")) / KIB_PER_MIB):((col(mname(i), "maxrss_kib_max") + column("kmem_kib")) / KIB_PER_MIB) \
             with yerrorlines lw LW pt mpt(i) ps PS lc rgb mcolor(i) notitle, \
         for [i=1:NM] csv using "concurrency":(col(mname(i), "kmem_kib") / KIB_PER_MIB) \
             with linespoints lw LW dt KMEM_DT pt mpt(i) ps PS * 0.8 lc rgb mcolor(i) notitle
} else {
    eval ptitle("(c) peak RSS")
    set ylabel "peak RSS (MiB)"
    plot for [i=1:NM] csv using "concurrency":(col(mname(i), "maxrss_kib") / KIB_PER_MIB):(col(mname(i), "maxrss_kib_min") / KIB_PER_MIB):(col(mname(i), "maxrss_kib_max") / KIB_PER_MIB) \
             with yerrorlines lw LW pt mpt(i) ps PS lc rgb mcolor(i) notitle
}
PANEL = "memory"; eval TRACE
eval CLEAR_MARKS

# ---- (d) memory per in-flight task -------------------------------------------
# (X(c) - X(1)) / (c - 1): the sweep fills it from c = 64 (below, page
# noise); a run without such levels (QUICK=1) says so instead of an empty box.
# kmem_on: solid = user RSS + kernel per task, dotted = the kernel part.
eval panel(4)
if (!rpt_any) {
    set label 94 "no level >= 64 in this run:\nmemory per task needs c >= 64" at graph 0.5, graph 0.5 center
}
lo = lin_lo(rpt_min); hi = lin_hi(rpt_max); logy = 0
set yrange [lo:hi]
eval LIN_TICS
eval STRIP
if (kmem_on) {
    eval ptitle("(d) memory per in-flight task")
    set ylabel "memory per task (KiB)"
    plot for [i=1:NM] csv using "concurrency":(col(mname(i), "mem_per_task_kib")) \
             with linespoints lw LW pt mpt(i) ps PS lc rgb mcolor(i) notitle, \
         for [i=1:NM] csv using "concurrency":(col(mname(i), "kmem_per_task_kib")) \
             with linespoints lw LW dt KMEM_DT pt mpt(i) ps PS * 0.8 lc rgb mcolor(i) notitle
} else {
    eval ptitle("(d) RSS per in-flight task")
    set ylabel "RSS per task (KiB)"
    plot for [i=1:NM] csv using "concurrency":(col(mname(i), "rss_per_task_kib")) \
             with linespoints lw LW pt mpt(i) ps PS lc rgb mcolor(i) notitle
}
PANEL = "per_task"; eval TRACE
eval CLEAR_MARKS
unset label 90; unset label 93; unset label 94

unset multiplot
set output
