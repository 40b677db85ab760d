// cxx_peers.cpp - C++20 contenders (libstdc++): std::atomic<int>::wait /
// notify_one and std::binary_semaphore, each used as a one-token parker.
// Both spin and sched_yield in libstdc++ before they sleep on a futex; that
// is what the benchmark shows against a spin-only or no-spin parker.
#include "contender.h"

#include <atomic>
#include <chrono>
#include <new>
#include <semaphore>

namespace {

struct atomic_parker {
    std::atomic<int> token{0};
};

void *aw_self() { return new (std::nothrow) atomic_parker; }
void aw_release(void *h) { delete static_cast<atomic_parker *>(h); }

inline void aw_park_inl(atomic_parker *p)
{
    // exchange(0) consumes the token; wait(0) returns once the value is not
    // 0 (or spuriously), so the loop re-checks.
    while (p->token.exchange(0, std::memory_order_acquire) == 0)
        p->token.wait(0, std::memory_order_relaxed);
}

inline void aw_unpark_inl(atomic_parker *p)
{
    p->token.store(1, std::memory_order_release);
    p->token.notify_one();
}

void aw_park(void *h) { aw_park_inl(static_cast<atomic_parker *>(h)); }
void aw_unpark(void *h) { aw_unpark_inl(static_cast<atomic_parker *>(h)); }

void aw_fast(void *h, uint64_t n)
{
    auto *p = static_cast<atomic_parker *>(h);
    for (uint64_t i = 0; i < n; i++) {
        aw_unpark_inl(p);
        aw_park_inl(p);
    }
}

void aw_idle(void *h, uint64_t n)
{
    auto *p = static_cast<atomic_parker *>(h);
    for (uint64_t i = 0; i < n; i++)
        aw_unpark_inl(p);
    aw_park_inl(p);
}

// A binary semaphore's release() above its maximum is undefined, so a flag
// in front keeps at most one token (the usual way to build a parker on it).
struct sem_parker {
    std::atomic<int> flag{0};
    std::binary_semaphore sem{0};
};

void *bs_self() { return new (std::nothrow) sem_parker; }
void bs_release(void *h) { delete static_cast<sem_parker *>(h); }

inline void bs_park_inl(sem_parker *p)
{
    p->sem.acquire();
    p->flag.store(0, std::memory_order_release);
}

inline void bs_unpark_inl(sem_parker *p)
{
    if (p->flag.exchange(1, std::memory_order_acq_rel) == 0)
        p->sem.release();
}

void bs_park(void *h) { bs_park_inl(static_cast<sem_parker *>(h)); }
void bs_unpark(void *h) { bs_unpark_inl(static_cast<sem_parker *>(h)); }

int bs_park_timeout(void *h, uint64_t ns)
{
    auto *p = static_cast<sem_parker *>(h);
    if (!p->sem.try_acquire_for(std::chrono::nanoseconds(ns)))
        return 1;
    p->flag.store(0, std::memory_order_release);
    return 0;
}

void bs_fast(void *h, uint64_t n)
{
    auto *p = static_cast<sem_parker *>(h);
    for (uint64_t i = 0; i < n; i++) {
        bs_unpark_inl(p);
        bs_park_inl(p);
    }
}

void bs_idle(void *h, uint64_t n)
{
    auto *p = static_cast<sem_parker *>(h);
    for (uint64_t i = 0; i < n; i++)
        bs_unpark_inl(p);
    bs_park_inl(p);
}

} // namespace

extern "C" {
extern const bench_contender bench_cxx_atomic_wait;
extern const bench_contender bench_cxx_binary_semaphore;

const bench_contender bench_cxx_atomic_wait = {
    "cxx-atomic-wait", aw_self, aw_release, aw_park, nullptr, aw_unpark,
    aw_fast, aw_idle, sizeof(atomic_parker), "no timed wait in C++20",
};
const bench_contender bench_cxx_binary_semaphore = {
    "cxx-binary-sem", bs_self, bs_release, bs_park, bs_park_timeout, bs_unpark,
    bs_fast, bs_idle, sizeof(sem_parker), nullptr,
};
}
