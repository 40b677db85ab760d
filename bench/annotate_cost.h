/* annotate_cost.h - what each copy in bench/annotate_ops.c exports. */
#ifndef BENCH_ANNOTATE_COST_H
#define BENCH_ANNOTATE_COST_H

#include <stdint.h>

#define COST_OPS 5
static const char *const cost_op_names[COST_OPS] = {
    "mutex lock+unlock", "rwlock wrlock+wrunlock", "rwlock rdlock+rdunlock",
    "sem post+wait", "parker unpark+park",
};

struct cost_ops {
    void (*loop[COST_OPS])(uint64_t n);
};

extern const struct cost_ops cost_annotated, cost_plain;

#endif
