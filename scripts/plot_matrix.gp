# plot_matrix.gp: one workload across machines -- a panel per model, a curve per machine.
#
# Two rows of panels, one column per model, all against concurrency (log x):
#   top     throughput (tasks/s)
#   bottom  p99 latency (us, log y)
# In each panel every machine's run is one curve in the machine's colour;
# a replica of a machine type (a second run of one label) is dashed in the
# same colour.  Only ok points are drawn: a machine's failed points are in its
# own report.  scripts/matrix/figures.py writes the data file (one row per
# series, model and concurrency: the runs' results.csv figures) and drives
# this script; standalone:
#   gnuplot -e "dat='matrix/data/io_sleep.csv'; wl='io_sleep'; models='threads async'; \
#               series='alpha beta'; out='io_sleep.png'" scripts/plot_matrix.gp
# Variables (gnuplot -e "name='value'; ..."):
#   dat      the data file: series,model,concurrency,throughput,p99_us   (required)
#   wl       the workload (the title)                                    (required)
#   models   the models, one panel column each, space-separated          (required)
#   series   the curves, space-separated words (machine labels; a       (required)
#            replica LABEL#2)
#   out      output file                                                 (required)
#   fmt      'png' (pngcairo) or 'svg'                                   (default png)
#   colors   one colour per series                                       (default Okabe-Ito)
#   dts      one dash type per series (1 solid, 2 dashed)                (default all 1)
#   ttl      figure title                                                (default wl)
#   width, height   size in pixels                          (default 420 per model x 760)

if (!exists("dat") || !exists("wl") || !exists("models") || !exists("series") || !exists("out")) {
    print "plot_matrix.gp: set dat, wl, models, series and out"
    exit status 2
}
if (!exists("fmt"))    fmt = "png"
if (!exists("colors")) colors = "#0072B2 #E69F00 #009E73 #CC79A7 #56B4E9 #D55E00 #000000"
if (!exists("dts"))    dts = ""
if (!exists("ttl"))    ttl = wl
NM = words(models)
NS = words(series)
if (!exists("width"))  width = 480 * (NM > 2 ? NM : 2)
if (!exists("height")) height = 820

# ---- tunables -------------------------------------------------------------
FONT      = "DejaVu Sans"
FONT_PT   = 12
TITLE_PT  = 16
LW        = 2.2
PS        = 1.2
PT        = 7               # filled circle
GRID      = "#d0d0d0"
TOP       = 0.85            # the panels' top, under the title and the key
MID       = 0.46            # between the two rows: the top row's x tics and the
ROW_GAP   = 0.09            #   bottom row's title fit in ROW_GAP
BOTTOM    = 0.08
LEFT      = 0.02            # the canvas' edges; each panel keeps YLAB of its width
RIGHT     = 0.99            #   on its left for the y tic labels
GAP       = 0.02            # between two panel columns
YLAB      = 0.16

if (fmt eq "svg") {
    set terminal svg size width, height dynamic font FONT.",".FONT_PT noenhanced background "white"
} else {
    set terminal pngcairo size width, height font FONT.",".FONT_PT noenhanced background "white"
}
set output out
set datafile separator comma
set datafile columnheaders

sname(i)  = word(series, i)
scolor(i) = word(colors, (i - 1) % words(colors) + 1)
sdt(i)    = words(dts) >= i ? int(word(dts, i)) : 1
at(s, m)  = strcol("series") eq s && strcol("model") eq m
pw = (RIGHT - LEFT - GAP * (NM - 1)) / NM     # a panel column, tic labels included
px(j) = LEFT + (j - 1) * (pw + GAP)

set multiplot
set label 1 ttl at screen 0.5, 0.975 center font FONT.",".TITLE_PT
# The key: one entry per series, across the top.
set key at screen 0.5, 0.945 center top horizontal maxrows 2 samplen 3
set lmargin at screen LEFT
set rmargin at screen LEFT + pw
set tmargin at screen 0.02
set bmargin at screen 0.01
unset border
unset tics
set xrange [0:1]
set yrange [0:1]
plot for [i=1:NS] NaN with linespoints lw LW dt sdt(i) pt PT ps PS lc rgb scolor(i) title sname(i)
unset label 1
unset key
set border
set tics
set grid lc rgb GRID
set logscale x
set xrange [*:*]
set yrange [*:*]
set format y "%.0s%c"
set format x "%.0s%c"
set xtics nomirror out scale 0.8
set ytics nomirror out scale 0.8

do for [j=1:NM] {
    m = word(models, j)
    set lmargin at screen px(j) + YLAB * pw
    set rmargin at screen px(j) + pw
    set tmargin at screen TOP
    set bmargin at screen MID + ROW_GAP / 2
    set title m . ": throughput (tasks/s)"
    unset logscale y
    set xlabel ""
    plot for [i=1:NS] dat using (at(sname(i), m) ? column("concurrency") : NaN):(column("throughput")) \
        with linespoints lw LW dt sdt(i) pt PT ps PS lc rgb scolor(i) notitle
    set tmargin at screen MID - ROW_GAP / 2
    set bmargin at screen BOTTOM
    set title m . ": p99 latency (us)"
    set logscale y
    set xlabel "tasks in flight"
    plot for [i=1:NS] dat using (at(sname(i), m) ? column("concurrency") : NaN):(column("p99_us")) \
        with linespoints lw LW dt sdt(i) pt PT ps PS lc rgb scolor(i) notitle
}
unset multiplot
