# plot_spectrum.gp: latency by percentile, one workload, every model at one
# concurrency -- the figure HdrHistogram's plotter draws from .hgrm files.
#
# x: the percentile on HdrHistogram's axis, 1/(1-P) on a log scale, so 90%,
# 99%, 99.9% and 99.99% are evenly spaced and the tail gets as much room as
# the body; shown from 50% to 99.99%.  y: latency (us, log scale).  One
# line per model in its colour; a line ends where its samples end (a run of
# a few thousand tasks has no 99.99th percentile).
#
# scripts/report/spectrum.py writes the data file and drives this script:
#   dat     data file: one gnuplot index per model, in the order of models;
#           columns 1/(1-P) latency_us                            (required)
#   out, fmt ('png' or 'svg'), ttl                                (required: out)
#   models  model names, space-separated, in index order          (required)
#   colors  one colour per model
#   pts     one filled point type per model
#   width, height   pixels (default 1200 x 650)
#   ylo, yhi  the latency axis (default: gnuplot's autoscale); spectrum.py
#           passes marks.padded_log_range of the data, so no line lies on
#           the frame (autoscale starts at a power of ten: 1k for io_sleep,
#           whose every latency is a little over 1 ms)
#   trace, fig  a file: the axes are appended to it, under the name fig (plot_marks.gp)

if (!exists("dat") || !exists("out") || !exists("models")) {
    print "plot_spectrum.gp: set dat, models and out"
    exit status 2
}
if (!exists("fmt"))    fmt = "png"
if (!exists("colors")) colors = "#0072B2 #E69F00 #009E73 #CC79A7 #56B4E9 #000000"  # generic
if (!exists("pts"))    pts = "7 5 9 13 11 15"
if (!exists("ttl"))    ttl = ""
if (!exists("width"))  width = 1200
if (!exists("height")) height = 650

# ---- tunables -------------------------------------------------------------
FONT     = "DejaVu Sans"
X_LO     = 2.0          # 1/(1-P) at 50%
X_HI     = 10000.0      # ... at 99.99%
LW       = 2.5
PS       = 1.4
PI       = 6            # a point every PI data points: lines stay readable

FONT_PT  = 15
gp_dir(p) = strstrt(p, "/") ? p[1:strstrt(p, "/")] . gp_dir(p[strstrt(p, "/") + 1:]) : ""
load gp_dir(ARG0) . "plot_marks.gp"
PS = PS * PT_SCALE

if (fmt eq "svg") {
    set terminal svg size width, height font FONT.",15" enhanced background "white"
} else {
    set terminal pngcairo size width, height font FONT.",15" enhanced background "white"
}
set output out

N = words(models)
set title ttl font FONT.",17" noenhanced
set logscale xy
set xrange [X_LO:X_HI]
set xtics ("50%%" 2, "90%%" 10, "99%%" 100, "99.9%%" 1000, "99.99%%" 10000)
set mxtics 10
lo = 0; hi = 0; logy = 1; NTICS = -1
if (exists("ylo") && exists("yhi")) { lo = ylo; hi = yhi; set yrange [lo:hi]; eval LOG_TICS }
set format y "%.0s%c"
set grid xtics ytics mytics lc "#dddddd"
set xlabel "percentile (HdrHistogram's axis: 1/(1-P), log scale)"
set ylabel "latency (us, log scale)"
set key outside right top box font FONT.",13"   # never over a line
set lmargin 11

plot for [j = 0:N - 1] dat index j using 1:2 with linespoints lw LW ps PS pi PI \
     pt (word(pts, j + 1) + 0) lc rgb word(colors, j + 1) title word(models, j + 1) noenhanced
FIG = exists("fig") ? fig : "spectrum"; PANEL = "latency"; SJ = 0; eval TRACE
