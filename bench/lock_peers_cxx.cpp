// lock_peers_cxx.cpp - the C++ contenders of the lock benchmark: the C++20
// standard library (std::mutex, std::shared_mutex, std::condition_variable,
// std::counting_semaphore, std::barrier, std::call_once; libstdc++ builds the
// first three on pthreads and the semaphore and barrier on atomic wait) and
// Abseil (absl::Mutex in writer and reader mode, absl::CondVar,
// absl::call_once) when libabsl-dev is there.
#include "locks.h"

#include <barrier>
#include <condition_variable>
#include <mutex>
#include <new>
#include <semaphore>
#include <shared_mutex>
#if defined(BENCH_HAVE_ABSL)
#  include <absl/base/call_once.h>
#  include <absl/synchronization/mutex.h>
#endif

namespace {

// Construct T on its own cache lines.
template <class T, class... A> void *make(A &&...a)
{
    void *p = bench_padded_alloc(sizeof(T));
    return p ? new (p) T(static_cast<A &&>(a)...) : nullptr;
}
template <class T> void destroy(void *p)
{
    static_cast<T *>(p)->~T();
    bench_padded_free(p);
}

// ---- std::mutex ---------------------------------------------------------
void *sm_create() { return make<std::mutex>(); }
void sm_lock(void *m) { static_cast<std::mutex *>(m)->lock(); }
void sm_unlock(void *m) { static_cast<std::mutex *>(m)->unlock(); }
void sm_loop(void *v, uint64_t n)
{
    auto *m = static_cast<std::mutex *>(v);
    for (uint64_t i = 0; i < n; i++) {
        m->lock();
        m->unlock();
    }
}
void *sm_array_new(size_t n) { return new (std::nothrow) std::mutex[n]; }
void sm_array_free(void *a, size_t) { delete[] static_cast<std::mutex *>(a); }
const bench_mutex_ops std_mutex_ops = {
    "std::mutex", sizeof(std::mutex), sm_create, destroy<std::mutex>, sm_lock, sm_unlock, sm_loop, 0,
    sm_array_new, sm_array_free,
};

// ---- std::shared_mutex ----------------------------------------------------
void *ss_create() { return make<std::shared_mutex>(); }
void ss_rdlock(void *l) { static_cast<std::shared_mutex *>(l)->lock_shared(); }
void ss_rdunlock(void *l) { static_cast<std::shared_mutex *>(l)->unlock_shared(); }
void ss_wrlock(void *l) { static_cast<std::shared_mutex *>(l)->lock(); }
void ss_wrunlock(void *l) { static_cast<std::shared_mutex *>(l)->unlock(); }
const bench_rwlock_ops std_shared_mutex_ops = {
    "std::shared_mutex", sizeof(std::shared_mutex), ss_create, destroy<std::shared_mutex>,
    ss_rdlock, ss_rdunlock, ss_wrlock, ss_wrunlock,
};

// ---- queues: the same protocol as the C ones --------------------------------
template <class M, class CV> struct Queue {
    M m;
    CV not_empty, not_full;
    bench_ring r;
    explicit Queue(size_t cap) { (void)bench_ring_init(&r, cap); }
    ~Queue() { bench_ring_fini(&r); }
};

using StdQueue = Queue<std::mutex, std::condition_variable>;
void *sq_create(size_t cap) { return make<StdQueue>(cap); }
void sq_put(void *v, uint64_t x)
{
    auto *q = static_cast<StdQueue *>(v);
    std::unique_lock<std::mutex> g(q->m);
    while (q->r.len == q->r.cap)
        q->not_full.wait(g);
    bench_ring_push(&q->r, x);
    q->not_empty.notify_one();
}
uint64_t sq_take(void *v)
{
    auto *q = static_cast<StdQueue *>(v);
    std::unique_lock<std::mutex> g(q->m);
    while (q->r.len == 0)
        q->not_empty.wait(g);
    uint64_t x = bench_ring_pop(&q->r);
    q->not_full.notify_one();
    return x;
}
const bench_queue_ops std_queue_ops = {
    "std::condition_variable", sizeof(std::condition_variable), sq_create, destroy<StdQueue>,
    sq_put, sq_take,
};

// ---- std::counting_semaphore ---------------------------------------------------
using Sem = std::counting_semaphore<>;
void *cs_create(unsigned initial) { return make<Sem>(static_cast<std::ptrdiff_t>(initial)); }
void cs_post(void *s) { static_cast<Sem *>(s)->release(); }
void cs_wait(void *s) { static_cast<Sem *>(s)->acquire(); }
const bench_sem_ops std_sem_ops = {
    "std::counting_semaphore", sizeof(Sem), cs_create, destroy<Sem>, cs_post, cs_wait,
};

// ---- std::barrier ------------------------------------------------------------
using Barrier = std::barrier<>;
void *sb_create(unsigned count) { return make<Barrier>(static_cast<std::ptrdiff_t>(count)); }
void sb_wait(void *b) { static_cast<Barrier *>(b)->arrive_and_wait(); }
const bench_barrier_ops std_barrier_ops = {
    "std::barrier", sizeof(Barrier), sb_create, destroy<Barrier>, sb_wait,
};

// ---- std::call_once ------------------------------------------------------------
std::once_flag so_flag;
uint64_t so_runs;
uint64_t so_loop(uint64_t n)
{
    uint64_t before = so_runs;
    for (uint64_t i = 0; i < n; i++)
        std::call_once(so_flag, [] { so_runs++; });
    return so_runs - before;
}
const bench_once_ops std_once_ops = { "std::call_once", sizeof(std::once_flag), so_loop };

#if defined(BENCH_HAVE_ABSL)
// ---- absl::Mutex ----------------------------------------------------------------
void *am_create() { return make<absl::Mutex>(); }
void am_lock(void *m) { static_cast<absl::Mutex *>(m)->Lock(); }
void am_unlock(void *m) { static_cast<absl::Mutex *>(m)->Unlock(); }
void am_rdlock(void *m) { static_cast<absl::Mutex *>(m)->ReaderLock(); }
void am_rdunlock(void *m) { static_cast<absl::Mutex *>(m)->ReaderUnlock(); }
void am_loop(void *v, uint64_t n)
{
    auto *m = static_cast<absl::Mutex *>(v);
    for (uint64_t i = 0; i < n; i++) {
        m->Lock();
        m->Unlock();
    }
}
const bench_mutex_ops absl_mutex_ops = {
    "absl::Mutex", sizeof(absl::Mutex), am_create, destroy<absl::Mutex>, am_lock, am_unlock,
    am_loop, 0, nullptr, nullptr,
};
const bench_rwlock_ops absl_rwlock_ops = {
    "absl::Mutex", sizeof(absl::Mutex), am_create, destroy<absl::Mutex>,
    am_rdlock, am_rdunlock, am_lock, am_unlock,
};

using AbslQueue = Queue<absl::Mutex, absl::CondVar>;
void *aq_create(size_t cap) { return make<AbslQueue>(cap); }
void aq_put(void *v, uint64_t x)
{
    auto *q = static_cast<AbslQueue *>(v);
    q->m.Lock();
    while (q->r.len == q->r.cap)
        q->not_full.Wait(&q->m);
    bench_ring_push(&q->r, x);
    q->not_empty.Signal();
    q->m.Unlock();
}
uint64_t aq_take(void *v)
{
    auto *q = static_cast<AbslQueue *>(v);
    q->m.Lock();
    while (q->r.len == 0)
        q->not_empty.Wait(&q->m);
    uint64_t x = bench_ring_pop(&q->r);
    q->not_full.Signal();
    q->m.Unlock();
    return x;
}
const bench_queue_ops absl_queue_ops = {
    "absl::CondVar", sizeof(absl::CondVar), aq_create, destroy<AbslQueue>, aq_put, aq_take,
};

absl::once_flag ao_flag;
uint64_t ao_runs;
uint64_t ao_loop(uint64_t n)
{
    uint64_t before = ao_runs;
    for (uint64_t i = 0; i < n; i++)
        absl::call_once(ao_flag, [] { ao_runs++; });
    return ao_runs - before;
}
const bench_once_ops absl_once_ops = { "absl::call_once", sizeof(absl::once_flag), ao_loop };
#endif

} // namespace

#if defined(BENCH_PARKER_CXX)
// parker.hpp's types (lock_parker_cxx.cpp), listed beside their std peers.
extern "C" const bench_mutex_ops bench_parker_cxx_mutex_ops;
extern "C" const bench_rwlock_ops bench_parker_cxx_rwlock_ops;
extern "C" const bench_sem_ops bench_parker_cxx_sem_ops;
#endif

extern "C" {
const bench_mutex_ops *const bench_cxx_mutexes[] = {
    &std_mutex_ops,
#if defined(BENCH_PARKER_CXX)
    &bench_parker_cxx_mutex_ops,
#endif
#if defined(BENCH_HAVE_ABSL)
    &absl_mutex_ops,
#endif
    nullptr,
};
const bench_rwlock_ops *const bench_cxx_rwlocks[] = {
    &std_shared_mutex_ops,
#if defined(BENCH_PARKER_CXX)
    &bench_parker_cxx_rwlock_ops,
#endif
#if defined(BENCH_HAVE_ABSL)
    &absl_rwlock_ops,
#endif
    nullptr,
};
const bench_queue_ops *const bench_cxx_queues[] = {
    &std_queue_ops,
#if defined(BENCH_HAVE_ABSL)
    &absl_queue_ops,
#endif
    nullptr,
};
const bench_sem_ops *const bench_cxx_sems[] = {
    &std_sem_ops,
#if defined(BENCH_PARKER_CXX)
    &bench_parker_cxx_sem_ops,
#endif
    nullptr,
};
const bench_barrier_ops *const bench_cxx_barriers[] = { &std_barrier_ops, nullptr };
const bench_once_ops *const bench_cxx_onces[] = {
    &std_once_ops,
#if defined(BENCH_HAVE_ABSL)
    &absl_once_ops,
#endif
    nullptr,
};
}
