# plot_rate.gp: latency against load, one workload, every model.
#
# Three panels in a row: p50, p99 and p99.9 latency (us, log y) against
# throughput (tasks/s).  Per model, in its colour:
#   solid line, filled points  open loop: x = offered load (--rate), latency
#                              from each task's scheduled arrival
#   dashed line, open points   closed loop (c = 1, 2, 4, ...): x = achieved
#                              throughput, latency from the previous task's end
# Where the solid line climbs above the dashed one at the same x, the closed
# loop hid queueing: coordinated omission, made visible.
#
# scripts/report/rate.py writes the data file and drives this script:
#   dat     data file: one gnuplot index per (model, mode), in the order
#           model 1 open, model 1 closed, model 2 open, ...; columns
#           x p50_us p99_us p999_us                              (required)
#   out, fmt ('png' or 'svg'), ttl                               (required: out)
#   models  model names, space-separated, in index order      (required)
#   colors  one colour per model
#   pts     one filled point type per model (open = pt - 1)
#   width, height   pixels (default 2000 x 620)

if (!exists("dat") || !exists("out") || !exists("models")) {
    print "plot_rate.gp: set dat, models and out"
    exit status 2
}
if (!exists("fmt"))    fmt = "png"
if (!exists("colors")) colors = "#0072B2 #E69F00 #009E73 #CC79A7 #56B4E9 #000000"  # generic
if (!exists("pts"))    pts = "7 5 9 13 11 15"
if (!exists("ttl"))    ttl = ""
if (!exists("width"))  width = 2000
if (!exists("height")) height = 700

FONT = "DejaVu Sans"
if (fmt eq "svg") {
    set terminal svg size width, height font FONT.",16" enhanced background "white"
} else {
    set terminal pngcairo size width, height font FONT.",16" enhanced background "white"
}
set output out

N = words(models)
set multiplot layout 1, 3 title ttl font FONT.",20"
set logscale y
set grid ytics mytics xtics lc "#dddddd"
set xlabel "tasks/s (open loop: offered; closed: achieved)"
set ylabel "latency (us)"
set format y "10^{%T}"
set format x "%.0s%c"   # 2k, 4k, ...: full numbers collide on a narrow panel
set xrange [0:*]
set offsets graph 0, graph 0.03, 0, 0
set lmargin 12
set bmargin 8.5

array PANEL[3] = ["p50", "p99", "p99.9"]
do for [p = 1:3] {
    set title PANEL[p]." latency" font FONT.",17"
    # One legend, under the middle panel: it never hides a point.
    if (p == 2) {
        set key at screen 0.5, screen 0.06 center center vertical maxrows 2 box font FONT.",14"
    } else {
        unset key
    }
    # Index j: model j/2 + 1, open loop (j even) or closed (j odd); the key
    # fills by columns, two rows: one column per model.  (No parenthesis
    # after dt: gnuplot would read it as a custom dash pattern.)
    plot for [j = 0:2 * N - 1] dat index j using 1:(column(p + 1)) \
         with linespoints lw (j % 2 ? 2 : 2.5) ps (j % 2 ? 1.3 : 1.5) \
         pt (word(pts, j / 2 + 1) - j % 2) lc rgb word(colors, j / 2 + 1) \
         dt 1 + j % 2 \
         title sprintf("%s %s", word(models, j / 2 + 1), j % 2 ? "closed" : "open")
}
unset multiplot
