# Chart of a scripts/bench run: one bar per (scenario, system), log scale.
# Usage: gnuplot -e "datafile='bars.dat'; outfile='chart.png'; nbars=N; subtitle='...'" bench/plot.gp
# bars.dat: tab-separated, '#' comments; columns: index, label, value (ops/s, or lines/s
# for batch rows), color index (1..9: stockd always, stockd everysec, gRPC echo,
# Redis+Lua always, Redis+Lua everysec, PostgreSQL, stockd without durability, durable
# floor always, durable floor everysec).
if (!exists("datafile")) datafile = 'bars.dat'
if (!exists("outfile")) outfile = 'chart.png'
if (!exists("subtitle")) subtitle = ''
if (!exists("nbars")) nbars = 30

set terminal pngcairo size 1400,760 font ",10" noenhanced
set output outfile
set datafile separator "\t"
set title "stockd vs gRPC echo, Redis+Lua and PostgreSQL: throughput per scenario (log scale)\n".subtitle
set ylabel "ops/s (lines/s for 100-line batches)"
set logscale y 10
set yrange [100:*]
set format y "%.0s%c"
set grid ytics mytics
set xtics rotate by 45 right nomirror
set xrange [-0.7:nbars-0.3]
set key top left box opaque
set style fill solid 0.85 border -1
set bmargin 9
set lmargin 12

array names[9] = ["stockd, appendfsync always", "stockd, appendfsync everysec", \
                  "gRPC echo (ceiling)", "Redis+Lua, appendfsync always", \
                  "Redis+Lua, appendfsync everysec", "PostgreSQL 15, synchronous_commit on", \
                  "stockd, no durability (context)", "durable floor, always (context)", \
                  "durable floor, everysec (context)"]
array colors[9] = [0x1f77b4, 0x6baed6, 0x7f7f7f, 0xd62728, 0xff9896, 0x2ca02c, 0xc6dbef, \
                   0x9467bd, 0xc5b0d5]

# The bars (boxxyerror from y=1, so the log scale has a base), then one empty series per
# system for the key, then the values above the bars.
plot datafile using 1:3:($1-0.4):($1+0.4):(1):3:(colors[int($4)]):xtic(2) \
       with boxxyerror lc rgb variable notitle, \
     for [i=1:9] NaN with boxes lc rgb colors[i] title names[i], \
     datafile using 1:($3*1.15):(sprintf("%.3g", $3/1000.0)."k") with labels font ",8" notitle
