# plot_serve.gp: the serve section, one handler (workload), every model.
#
# Four panels in a row, per model in its registry colour and marker:
#   1 throughput (req/s) against connections (log x), closed loop, every
#     connection active (solid); the C10K point (1% active) as an open marker
#   2 p99 latency (us, log y) against connections, the same two series
#   3 memory per connection (KiB, user + kernel, from the server's peak)
#     against connections, both series
#   4 p99 latency against offered load (open loop on the C10K server,
#     latency from each request's due time); a hollow marker where the model
#     fell behind (achieved < 95% of offered, or p99 past the bound)
#
# scripts/report/serving.py writes the data file and drives this script:
#   dat     one gnuplot index per (model, series), in the order model 1 all
#           active, model 1 C10K, model 1 open, model 2 ...; columns
#           x throughput p99_us mem_per_conn_kib fell_behind      (required)
#   out, fmt ('png' or 'svg'), ttl                                (required: out)
#   models  model names, space-separated, in index order          (required)
#   colors  one colour per model; pts  one filled point type per model
#   bound   the latency bound (us), drawn on panels 2 and 4
#   has_conn, has_mem, has_open  1 where that panel has a point to draw (an
#           empty panel says so: gnuplot stops on a plot with no point)
#   width, height   pixels (default 2000 x 620)

if (!exists("dat") || !exists("out") || !exists("models")) {
    print "plot_serve.gp: set dat, models and out"
    exit status 2
}
if (!exists("fmt"))    fmt = "png"
if (!exists("colors")) colors = "#0072B2 #E69F00 #009E73 #CC79A7 #56B4E9 #000000 #D55E00"
if (!exists("pts"))    pts = "7 5 9 13 11 15 3"
if (!exists("ttl"))    ttl = ""
if (!exists("bound"))  bound = 0
if (!exists("has_conn")) has_conn = 1
if (!exists("has_mem"))  has_mem = 1
if (!exists("has_open")) has_open = 1

# empty(what): a panel with nothing measured says so.
empty(what) = sprintf("no %s in this run", what)
if (!exists("width"))  width = 2000
if (!exists("height")) height = 620

FONT = "DejaVu Sans"
if (fmt eq "svg") {
    set terminal svg size width, height font FONT.",16" enhanced background "white"
} else {
    set terminal pngcairo size width, height font FONT.",16" enhanced background "white"
}
set output out

N = words(models)
set multiplot layout 1, 4 title ttl noenhanced font FONT.",20"
set grid xtics ytics mxtics mytics lc "#dddddd"
set lmargin 11
set bmargin 8.5
set offsets graph 0.03, graph 0.03, graph 0.03, graph 0.03
unset key

# Index of model m (1-based), series s (0 all active, 1 C10K, 2 open).
idx(m, s) = 3 * (m - 1) + s
# A marker's hollow form: gnuplot's filled ones (5, 7, ... 15) follow their
# open twin; an open one (+, *, an open circle) is already hollow.  (p - 1
# for every marker made threads-64k's C10K point async's square and uring's
# the failure's X.)
hollow(p) = (p >= 5 && p % 2 == 1) ? p - 1 : p

# 1: throughput against connections.
set title "throughput (closed loop)" font FONT.",17"
set logscale x
set xlabel "connections"
set ylabel "requests/s"
set format x "10^{%T}"
set format y "%.0s%c"
set yrange [0:*]
if (!has_conn) { set label 1 empty("closed-loop point") at graph 0.5, graph 0.5 center; plot [1:10] [0:1] -1 notitle; unset label 1 } else {
plot for [m = 1:N] dat index idx(m, 0) using 1:2 with linespoints lw 2.5 ps 1.5 \
         pt (word(pts, m) + 0) lc rgb word(colors, m) notitle, \
     for [m = 1:N] dat index idx(m, 1) using 1:2 with points ps 2.2 lw 2 \
         pt hollow(word(pts, m) + 0) lc rgb word(colors, m) notitle
}

# 2: p99 against connections.
set title "p99 latency (closed loop)" font FONT.",17"
set logscale y
set yrange [*:*]
set ylabel "p99 (us)"
set format y "10^{%T}"
if (!has_conn) { set label 1 empty("closed-loop point") at graph 0.5, graph 0.5 center; plot [1:10] [1:10] -1 notitle; unset label 1 } else {
plot for [m = 1:N] dat index idx(m, 0) using 1:3 with linespoints lw 2.5 ps 1.5 \
         pt (word(pts, m) + 0) lc rgb word(colors, m) notitle, \
     for [m = 1:N] dat index idx(m, 1) using 1:3 with points ps 2.2 lw 2 \
         pt hollow(word(pts, m) + 0) lc rgb word(colors, m) notitle, \
     (bound > 0 ? bound : 1/0) with lines dt 2 lc "#888888" notitle
}

# 3: memory per connection.  The legend goes under this panel.
set title "memory per connection (user + kernel)" font FONT.",17"
unset logscale y
set yrange [0:*]
set ylabel "KiB per connection"
set format y "%g"
set key at screen 0.5, screen 0.06 center center vertical maxrows 2 box font FONT.",14"
if (!has_mem) { set label 1 empty("1-connection server") at graph 0.5, graph 0.5 center font FONT.",13"
    plot [1:10] [0:1] for [m = 1:N] -1 with linespoints lw 2.5 ps 1.5 pt (word(pts, m) + 0) lc rgb word(colors, m) title word(models, m)
    unset label 1 } else {
plot for [m = 1:N] dat index idx(m, 0) using 1:4 with linespoints lw 2.5 ps 1.5 \
         pt (word(pts, m) + 0) lc rgb word(colors, m) title word(models, m), \
     for [m = 1:N] dat index idx(m, 1) using 1:4 with points ps 2.2 lw 2 \
         pt hollow(word(pts, m) + 0) lc rgb word(colors, m) notitle
}
unset key

# 4: p99 against offered load.
set title "p99 vs offered load (open loop)" font FONT.",17"
unset logscale x
set xrange [0:*]
set logscale y
set yrange [*:*]
set xlabel "offered requests/s"
set xtics rotate by -30
set ylabel "p99 (us)"
set format x "%.0s%c"
set format y "10^{%T}"
if (!has_open) { unset xtics; unset ytics; unset logscale y; set format x ""; set format y ""
    set label 1 empty("open-loop point") at graph 0.5, graph 0.5 center; plot [0:1] [1:10] -1 notitle; unset label 1 } else {
plot for [m = 1:N] dat index idx(m, 2) using 1:3 with linespoints lw 2.5 ps 1.5 \
         pt (word(pts, m) + 0) lc rgb word(colors, m) notitle, \
     for [m = 1:N] dat index idx(m, 2) using 1:($5 > 0 ? $3 : 1/0) with points ps 3 lw 2 \
         pt 6 lc rgb "#D00000" notitle, \
     (bound > 0 ? bound : 1/0) with lines dt 2 lc "#888888" notitle
}
unset multiplot
