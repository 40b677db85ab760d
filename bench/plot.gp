# plot.gp - the benchmark's medians as a clustered bar chart (log scale).
# Usage: gnuplot -e "datafile='summary.dat'; outfile='plot.svg'" bench/plot.gp
# summary.dat is written by `parker_bench --dat`: one row per contender,
# microseconds, NaN where a contender has no such measurement.
if (!exists("datafile")) datafile = 'summary.dat'
if (!exists("outfile")) outfile = 'plot.svg'
set terminal svg size 1200,560 dynamic noenhanced font "sans,12" background rgb "white"
set output outfile
set title "libparker vs peers: medians of interleaved repetitions (lower is better, log scale)"
set ylabel "microseconds"
set logscale y
set grid ytics
set datafile missing "NaN"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside right top
set xtics rotate by -30 nomirror
set yrange [0.05:*]
plot for [i=2:7] datafile using i:xtic(1) title columnheader(i)
