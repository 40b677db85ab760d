/*
 * annotate_cost.c - what the race-detector hooks (src/annotate.h) cost a
 * program that runs without any detector: the uncontended fast paths of
 * the library as built, against the same sources built with the hooks
 * compiled out, in one process, one thread, interleaved bursts (so that
 * frequency changes and neighbours hit both alike), median of the bursts.
 *
 *   parker_annotate_cost [iterations per burst] [bursts]
 *
 * Each hook is a test of a weak symbol's address (NULL without TSan) and,
 * where valgrind/helgrind.h was found, a Valgrind client request (a few
 * register rotates); with PARKER_DEADLOCK_DETECTION it would be more.
 */
#define BENCH_PROG "parker_annotate_cost"
#include "annotate_cost.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
    unsigned bursts = argc > 2 ? (unsigned)atoi(argv[2]) : 21, b, op, c;
    const struct cost_ops *copies[2] = {&cost_plain, &cost_annotated};
    static double v[2][COST_OPS][255];

    if (bursts == 0 || bursts > 255 || n == 0)
        die("usage: parker_annotate_cost [iterations >0] [bursts 1..255]");
    for (op = 0; op < COST_OPS; op++)
        for (c = 0; c < 2; c++)
            copies[c]->loop[op](n / 10); /* warm up */
    for (b = 0; b < bursts; b++)
        for (op = 0; op < COST_OPS; op++)
            for (c = 0; c < 2; c++) {
                unsigned cc = (b & 1) ? 1 - c : c; /* alternate which goes first */
                uint64_t t0 = cpu_ns();
                copies[cc]->loop[op](n);
                v[cc][op][b] = (double)(cpu_ns() - t0) / (double)n;
            }
    printf("%-24s %12s %12s %8s\n", "operation (1 thread)", "no hooks ns", "hooks ns", "ratio");
    for (op = 0; op < COST_OPS; op++) {
        double med[2];
        for (c = 0; c < 2; c++) {
            qsort(v[c][op], bursts, sizeof(double), cmp_double);
            med[c] = v[c][op][bursts / 2];
        }
        printf("%-24s %12.2f %12.2f %8.3f\n", cost_op_names[op], med[0], med[1], med[1] / med[0]);
    }
    return 0;
}
