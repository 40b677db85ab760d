# plot.gp - the benchmark's medians as panels of clustered bars, each bar with
# a min-max whisker over the interleaved repetitions.
#
#   gnuplot -e "datadir='DIR'; outfile='plot.svg'" bench/plot.gp
#
# DIR holds the data files that parker_bench, parker_lotscale and parker_locks
# write with --datdir: one row per measurement or workload (column 1, the
# label the text table uses), then median min max per contender, with the
# contender names of the table as column headings.  A panel whose file is
# missing (a program that was not built) is left out.  Nanosecond-scale and
# microsecond-scale measurements are in separate panels; throughputs are
# "higher is better", times "lower is better", as each panel's title says.
if (!exists("datadir")) datadir = 'build/bench-results/data'
if (!exists("outfile")) outfile = 'plot.svg'

have(f) = system("test -f '".datadir."/".f."' && echo 1 || echo 0") + 0
ncont(f) = (words(system("head -n1 '".datadir."/".f."'")) - 1) / 3

files = "parkers-ns.dat parkers-us.dat lotscale-miss.dat lotscale-requeue.dat " . \
        "lotscale-all-same.dat locks-uncontended.dat locks-once.dat locks-hog.dat " . \
        "locks-mutex-in0.dat locks-mutex-in100.dat locks-mutex-in1000.dat " . \
        "locks-condvar.dat locks-rw-read.dat locks-rw-write.dat locks-sem.dat locks-barrier.dat"
npanels = 0
do for [i=1:words(files)] { npanels = npanels + have(word(files, i)) }
if (npanels == 0) { print "plot.gp: no data files in ".datadir; exit }
cols = 3
rows = int((npanels + cols - 1) / cols)

set terminal svg size 1950, 520 * rows dynamic noenhanced font "sans,11" background rgb "white"
set output outfile
set datafile missing "NaN"
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key outside right top font ",9" samplen 1.5 spacing 0.9
set xtics nomirror font ",10"
set bars 0.5

# panel(file, title, ylabel, xlabel, log)
panel = 'f = datadir."/".F; n = ncont(F); ' . \
        'set title T; set ylabel YL; set xlabel XL; ' . \
        'if (LOG) { set logscale y } else { unset logscale y; set yrange [0:*] }; ' . \
        'plot for [k=0:n-1] f using (column(2+3*k)):(column(3+3*k)):(column(4+3*k)):xtic(1) title columnhead(2+3*k)'

set multiplot layout rows, cols title "libparker and its peers, one run: medians, whiskers min-max over interleaved repetitions (2-vCPU VM, shared)"

F = "parkers-ns.dat"; T = "Parkers, fast paths (ns, log, lower is better)"; YL = "ns"; XL = ""; LOG = 1
if (have(F)) { set yrange [*:*]; @panel }
F = "parkers-us.dat"; T = "Parkers, wake-ups and round trips (us, log, lower is better)"; YL = "us"; XL = ""; LOG = 1
if (have(F)) { set yrange [*:*]; @panel }
F = "lotscale-miss.dat"; T = "Lot: unpark of an address with no waiter (ns per call)"; YL = "ns"; XL = "threads parked on distinct addresses"; LOG = 1
if (have(F)) { set yrange [*:*]; @panel }
F = "lotscale-requeue.dat"; T = "Lot: requeue all waiters of one address (ns per waiter, log)"; YL = "ns"; XL = "threads parked on one address"; LOG = 1
if (have(F)) { @panel }
F = "lotscale-all-same.dat"; T = "Lot: unpark_all of one address (ns per waiter, log)"; YL = "ns"; XL = "threads parked on one address"; LOG = 1
if (have(F)) { @panel }
set yrange [0:*]
F = "locks-uncontended.dat"; T = "Mutex uncontended: lock+unlock (ns, lower is better)"; YL = "ns"; XL = ""; LOG = 0
if (have(F)) { @panel }
F = "locks-once.dat"; T = "Once, done path (ns per call, lower is better)"; YL = "ns"; XL = ""; LOG = 0
if (have(F)) { @panel }
F = "locks-hog.dat"; T = "Mutex under a hog: worst wait of the others (us, log, lower is better)"; YL = "us"; XL = ""; LOG = 1
if (have(F)) { set yrange [*:*]; @panel }
set yrange [0:*]
F = "locks-mutex-in0.dat"; T = "Mutex contended, empty critical section (Mops/s)"; YL = "Mops/s"; XL = "threads"; LOG = 0
if (have(F)) { @panel }
F = "locks-mutex-in100.dat"; T = "Mutex contended, ~100 ns inside (Mops/s)"; YL = "Mops/s"; XL = "threads"; LOG = 0
if (have(F)) { @panel }
F = "locks-mutex-in1000.dat"; T = "Mutex contended, ~1 us inside (Mops/s)"; YL = "Mops/s"; XL = "threads"; LOG = 0
if (have(F)) { @panel }
F = "locks-condvar.dat"; T = "Condvar: bounded queue, producers+consumers (Mitems/s)"; YL = "Mitems/s"; XL = ""; LOG = 0
if (have(F)) { @panel }
F = "locks-rw-read.dat"; T = "rwlock read-mostly, 1 write per 100 reads (Mops/s)"; YL = "Mops/s"; XL = "threads"; LOG = 0
if (have(F)) { @panel }
F = "locks-rw-write.dat"; T = "rwlock write-heavy, 1 write in 2 (Mops/s)"; YL = "Mops/s"; XL = "threads"; LOG = 0
if (have(F)) { @panel }
F = "locks-sem.dat"; T = "Semaphore producer/consumer (Mitems/s)"; YL = "Mitems/s"; XL = ""; LOG = 0
if (have(F)) { @panel }
F = "locks-barrier.dat"; T = "Barrier (thousand phases/s)"; YL = "kphases/s"; XL = "threads"; LOG = 0
if (have(F)) { @panel }
unset multiplot
