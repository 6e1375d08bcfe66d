# plot_rate.gp: latency against load, one workload, every model.
#
# Three panels in a row: p50, p99 and p99.9 latency (us, log y) against
# throughput (tasks/s).  Per model, in its colour and with its marker:
#   solid line       open loop: x = offered load (--rate), latency from each
#                    task's scheduled arrival
#   dashed line      closed loop (c = 1, 2, 4, ...): x = achieved throughput,
#                    latency from the previous task's end
# Where the solid line climbs above the dashed one at the same x, the closed
# loop hid queueing: coordinated omission, made visible.  An open-loop point
# where the model fell behind (achieved under KEEP_UP of the offered load,
# scripts/report/rate.py) is ringed in red: its latency is that of a queue
# that keeps growing, not of the load on the x axis.
#
# scripts/report/rate.py writes the data file and drives this script:
#   dat     data file: one gnuplot index per (model, mode), in the order
#           model 1 open, model 1 closed, model 2 open, ...; columns
#           x p50_us p99_us p999_us behind (1: fell behind)      (required)
#   out, fmt ('png' or 'svg'), ttl                               (required: out)
#   models  model names, space-separated, in index order      (required)
#   colors  one colour per model
#   pts     one point type per model
#   ylos, yhis  three words each: the y range of each panel (rate.py: the
#           data's, padded, so no line lies on the frame)     (default autoscale)
#   xmax    the x axis' top; xtics: its tics, '"label" value, ...' (default auto)
#   behind_pct  the fell-behind rule, in percent of the offered load (key text)
#   width, height   pixels (default 1600 x 640)
#   trace, fig  a file: each panel's axes are appended to it (plot_marks.gp)

if (!exists("dat") || !exists("out") || !exists("models")) {
    print "plot_rate.gp: set dat, models and out"
    exit status 2
}
if (!exists("fmt"))    fmt = "png"
if (!exists("colors")) colors = "#0072B2 #E69F00 #009E73 #CC79A7 #56B4E9 #000000"  # generic
if (!exists("pts"))    pts = "7 5 9 13 11 15"
if (!exists("ttl"))    ttl = ""
if (!exists("width"))  width = 1600
if (!exists("behind_pct")) behind_pct = 95
if (!exists("fig"))    fig = "rate"

# ---- tunables -------------------------------------------------------------
FONT      = "DejaVu Sans"
FONT_PT   = 14
TITLE_PT  = 16
PANEL_PT  = 15
LW        = 2.4             # open loop; the closed loop is thinner, dashed
PS        = 1.4
GRID      = "#dddddd"
BEHIND_COLOR = "#C00000"    # fell behind: a red ring
BEHIND_PT = 6
BEHIND_PS = 3.0
# Layout, in pixels: title, key (models, then styles), three panels.
TITLE_PX  = 40
KEY_MODELS = 9
KEY_ROW_PX = 22
KEY_GAP_PX = 14
PTITLE_PX = 28
PANEL_PX  = 380
XAXIS_PX  = 80
LEFT_PX   = 90
GAP_PX    = 40
RIGHT_PX  = 24

gp_dir(p) = strstrt(p, "/") ? p[1:strstrt(p, "/")] . gp_dir(p[strstrt(p, "/") + 1:]) : ""
load gp_dir(ARG0) . "plot_marks.gp"
PS = PS * PT_SCALE; BEHIND_PS = BEHIND_PS * PT_SCALE
FIG = fig; SJ = 0

N = words(models)
KEY_MROWS = int(ceil(N / (1.0 * KEY_MODELS)))
TOP_PX = TITLE_PX + (KEY_MROWS + 1) * KEY_ROW_PX + KEY_GAP_PX
if (!exists("height")) height = TOP_PX + PTITLE_PX + PANEL_PX + XAXIS_PX
PW_PX = (width - 3 * LEFT_PX - 2 * GAP_PX - RIGHT_PX) / 3.0
p_l(p) = (LEFT_PX + (p - 1) * (PW_PX + GAP_PX + LEFT_PX)) / (1.0 * width)
panel(p) = sprintf("set lmargin at screen %.5f; set rmargin at screen %.5f; set tmargin at screen %.5f; set bmargin at screen %.5f", \
                   p_l(p), p_l(p) + PW_PX / width, 1 - (TOP_PX + PTITLE_PX) / (1.0 * height), 1 - (TOP_PX + PTITLE_PX + PANEL_PX) / (1.0 * height))
mcolor(i) = word(colors, (i - 1) % words(colors) + 1)
mpt(i)    = int(word(pts, (i - 1) % words(pts) + 1))

if (fmt eq "svg") {
    set terminal svg size width, height dynamic font FONT.",".FONT_PT noenhanced background "white"
} else {
    set terminal pngcairo size width, height font FONT.",".FONT_PT noenhanced background "white"
}
set output out

set multiplot
# ---- title and key --------------------------------------------------------
set label 1 ttl at screen 0.5, screen 1 - 0.5 * TITLE_PX / height center font FONT.",".TITLE_PT
KEY_TOP_PX = TITLE_PX; KTAG = 0
do for [i=1:N] {
    KI = (i - 1) % KEY_MODELS; KN = KEY_MODELS; KR = (i - 1) / KEY_MODELS; KTAG = KTAG + 1
    KT = word(models, i); KC = mcolor(i); KDT = 1; KPT = mpt(i); eval KEY_ENTRY
}
KN = 3; KR = KEY_MROWS
KI = 0; KTAG = KTAG + 1; KT = "open loop (x: offered): solid"; KC = key_gray(1); KDT = 1; KPT = 0; eval KEY_ENTRY
KI = 1; KTAG = KTAG + 1; KT = "closed loop (x: achieved): dashed"; KC = key_gray(2); KDT = 2; eval KEY_ENTRY
KI = 2; KTAG = KTAG + 1; KT = sprintf("fell behind (achieved < %g%% of offered)", behind_pct); KC = BEHIND_COLOR; KDT = 0; KPT = BEHIND_PT; eval KEY_ENTRY
unset border; unset tics; unset key
set xrange [0:1]; set yrange [0:1]
set lmargin at screen 0; set rmargin at screen 1; set tmargin at screen 1; set bmargin at screen 0
plot NaN notitle
unset label 1
eval CLEAR_KEY

# ---- the panels ---------------------------------------------------------------
set border 3 lw 1.2
set xtics nomirror out scale 0.8
set ytics nomirror out scale 0.8
set logscale y
set grid ytics mytics xtics lc rgb GRID
set xlabel "tasks/s (open loop: offered; closed: achieved)"
set ylabel "latency (us)"
set format y "%.0s%c"
set format x "%.0s%c"
if (exists("xmax")) { set xrange [0:xmax] } else { set xrange [0:*] }
if (exists("xtics")) { eval "set xtics (" . xtics . ")" }
set offsets graph 0, graph 0.03, 0, 0

array PANEL_NAME[3] = ["p50", "p99", "p99.9"]
do for [p = 1:3] {
    eval panel(p)
    set label 90 PANEL_NAME[p]." latency" at graph 0.5, graph 1 + 0.5 * PTITLE_PX / PANEL_PX center font FONT.",".PANEL_PT
    logy = 1; NTICS = -1
    if (exists("ylos") && exists("yhis")) {
        lo = real(word(ylos, p)); hi = real(word(yhis, p))
        set yrange [lo:hi]
        eval LOG_TICS
    } else {
        set yrange [*:*]
    }
    # Index j: model j/2 + 1, open loop (j even) or closed (j odd).  (No
    # parenthesis after dt: gnuplot would read it as a custom dash pattern.)
    plot for [j = 0:2 * N - 1] dat index j using 1:(column(p + 1)) \
             with linespoints lw (j % 2 ? 1.8 : LW) ps (j % 2 ? PS * 0.8 : PS) \
             pt mpt(j / 2 + 1) lc rgb mcolor(j / 2 + 1) dt 1 + j % 2 notitle, \
         for [j = 0:2 * N - 1:2] dat index j using 1:(column(5) > 0 ? column(p + 1) : NaN) \
             with points pt BEHIND_PT ps BEHIND_PS lw 2 lc rgb BEHIND_COLOR notitle
    PANEL = PANEL_NAME[p]; eval TRACE
}
unset multiplot
