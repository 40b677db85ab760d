/* peers.h - every contender the benchmark may link (see bench/CMakeLists.txt
 * for which are built; BENCH_HAVE_* say so). */
#ifndef BENCH_PEERS_H
#define BENCH_PEERS_H

#include "contender.h"

#if defined(__linux__)
extern const bench_contender bench_raw_futex;
extern const bench_contender bench_spin_futex;
#endif
#if defined(BENCH_HAVE_LIBPARKER_WASM)
extern const bench_contender bench_libparker_wasm;
#  if defined(BENCH_HAVE_LOT)
extern const bench_contender bench_lot_wasm;
#  endif
#endif
extern const bench_contender bench_pthread_cond;
extern const bench_contender bench_sem;
#if defined(BENCH_HAVE_LIBPARKER_FUTEX)
extern const bench_contender bench_libparker_futex;
#endif
#if defined(BENCH_HAVE_LIBPARKER_POSIX)
extern const bench_contender bench_libparker_posix;
#endif
#if defined(BENCH_HAVE_LOT)
#  if defined(BENCH_HAVE_LIBPARKER_FUTEX)
extern const bench_contender bench_lot_futex;
#  endif
#  if defined(BENCH_HAVE_LIBPARKER_POSIX)
extern const bench_contender bench_lot_posix;
#  endif
#endif
#if defined(BENCH_HAVE_CXX)
extern const bench_contender bench_cxx_atomic_wait;
extern const bench_contender bench_cxx_binary_semaphore;
#endif
#if defined(BENCH_HAVE_RUST_STD)
extern const bench_contender bench_rust_std;
#endif
#if defined(BENCH_HAVE_PLC)
extern const bench_contender bench_plc;
#endif
#if defined(BENCH_HAVE_LOCK)
extern const bench_lock_ops bench_lock_example;
#endif
extern const bench_lock_ops bench_lock_pthread_mutex;

#endif /* BENCH_PEERS_H */
