/*
 * lot_hash.h - which bucket of the parking lot an address falls in.
 *
 * Private to src/lot.c; the lot's tests include it too, to pick addresses
 * that provably share a bucket (a shared library hides every internal
 * symbol, so the test cannot call into lot.c for this).
 */
#ifndef PARKER_LOT_HASH_H
#define PARKER_LOT_HASH_H

#include <stdint.h>

/* PARKER_TEST_LOT_BUCKET_BITS (1 to 10) shrinks the table, so that a test
 * can make many addresses share a few buckets: only the differential test
 * (tests/lot_diff.cmake) compiles the lot with it, into a copy of the
 * library of its own; the library itself never sees it. */
#if defined(PARKER_TEST_LOT_BUCKET_BITS)
#  define PARKER__LOT_BUCKET_BITS PARKER_TEST_LOT_BUCKET_BITS
#else
#  define PARKER__LOT_BUCKET_BITS 10u
#endif
#define PARKER__LOT_BUCKETS (1u << PARKER__LOT_BUCKET_BITS)

/* Fibonacci hashing: multiply by 2^64 / golden ratio and keep the top bits,
 * so that addresses that differ only in low bits (fields of one object,
 * neighbouring array elements) spread over the whole table. */
static inline uint32_t parker__lot_bucket_index(uintptr_t key)
{
    return (uint32_t)(((uint64_t)key * UINT64_C(0x9E3779B97F4A7C15)) >>
                      (64u - PARKER__LOT_BUCKET_BITS));
}

#endif /* PARKER_LOT_HASH_H */
