// lock_parker_cxx.cpp - parker.hpp's C++ types as lock benchmark contenders,
// in the same run as std::mutex, std::shared_mutex and
// std::counting_semaphore (lock_peers_cxx.cpp).  Compiled with the futex
// copy's rename header, like lock_parker.c, so the C calls the header
// makes are that copy's.  They should cost what the C objects cost (the
// wrappers are inline): a gap here would be the header's fault.
#include "locks.h"

#include <new>
#include <parker.hpp>

namespace {

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

void *pm_create() { return make<parker::mutex>(); }
void pm_lock(void *m) { static_cast<parker::mutex *>(m)->lock(); }
void pm_unlock(void *m) { static_cast<parker::mutex *>(m)->unlock(); }
void pm_loop(void *v, uint64_t n)
{
    auto *m = static_cast<parker::mutex *>(v);
    for (uint64_t i = 0; i < n; i++) {
        m->lock();
        m->unlock();
    }
}

void *ps_create() { return make<parker::shared_mutex>(); }
void ps_rdlock(void *l) { static_cast<parker::shared_mutex *>(l)->lock_shared(); }
void ps_rdunlock(void *l) { static_cast<parker::shared_mutex *>(l)->unlock_shared(); }
void ps_wrlock(void *l) { static_cast<parker::shared_mutex *>(l)->lock(); }
void ps_wrunlock(void *l) { static_cast<parker::shared_mutex *>(l)->unlock(); }

using Sem = parker::counting_semaphore<>;
void *pc_create(unsigned initial) { return make<Sem>(static_cast<std::ptrdiff_t>(initial)); }
void pc_post(void *s) { static_cast<Sem *>(s)->release(); }
void pc_wait(void *s) { static_cast<Sem *>(s)->acquire(); }

} // namespace

// extern: a namespace-scope const has internal linkage in C++ otherwise.
extern "C" {
extern const bench_mutex_ops bench_parker_cxx_mutex_ops;
const bench_mutex_ops bench_parker_cxx_mutex_ops = {
    "parker::mutex", sizeof(parker::mutex), pm_create, destroy<parker::mutex>, pm_lock, pm_unlock,
    pm_loop, 0, nullptr, nullptr,
};
extern const bench_rwlock_ops bench_parker_cxx_rwlock_ops;
const bench_rwlock_ops bench_parker_cxx_rwlock_ops = {
    "parker::shared_mutex", sizeof(parker::shared_mutex), ps_create, destroy<parker::shared_mutex>,
    ps_rdlock, ps_rdunlock, ps_wrlock, ps_wrunlock,
};
extern const bench_sem_ops bench_parker_cxx_sem_ops;
const bench_sem_ops bench_parker_cxx_sem_ops = {
    "parker::counting_semaphore", sizeof(Sem), pc_create, destroy<Sem>, pc_post, pc_wait,
};
}
