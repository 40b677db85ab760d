// locks.rs - parking_lot's Mutex, RwLock, Condvar and Once as lock-benchmark
// peers (bench/locks.c), exported to C.  The raw locks are used through
// lock_api's traits, which is what parking_lot::Mutex<T> calls underneath, so
// the C harness can hold them across calls.  Each object gets its own cache
// lines (align(128)), as every contender does in the harness.
use lock_api::{RawMutex as _, RawRwLock as _};
use parking_lot::{Condvar, Mutex, Once, RawMutex, RawRwLock};
use std::collections::VecDeque;
use std::ffi::c_void;

// Its RawMutex is only reached through a pointer cast (mutex() below), which
// the compiler does not count as a read.
#[allow(dead_code)]
#[repr(align(128))]
struct PaddedMutex(RawMutex);
#[repr(align(128))]
struct PaddedRwLock(RawRwLock);

#[no_mangle]
pub extern "C" fn bench_pl_mutex_new() -> *mut c_void {
    Box::into_raw(Box::new(PaddedMutex(RawMutex::INIT))) as *mut c_void
}
#[no_mangle]
pub extern "C" fn bench_pl_mutex_free(h: *mut c_void) {
    // SAFETY: made by Box::into_raw in bench_pl_mutex_new.
    drop(unsafe { Box::from_raw(h as *mut PaddedMutex) });
}
fn mutex<'a>(h: *mut c_void) -> &'a RawMutex {
    // SAFETY: h is a PaddedMutex (its RawMutex is at offset 0) from
    // bench_pl_mutex_new, or an element of bench_pl_mutex_array_new; it
    // lives until the matching free.
    unsafe { &*(h as *const RawMutex) }
}
/// n RawMutexes packed at their natural size (1 byte), for the striped map.
#[no_mangle]
pub extern "C" fn bench_pl_mutex_array_new(n: usize) -> *mut c_void {
    let v: Vec<RawMutex> = (0..n).map(|_| RawMutex::INIT).collect();
    Box::into_raw(v.into_boxed_slice()) as *mut RawMutex as *mut c_void
}
#[no_mangle]
pub extern "C" fn bench_pl_mutex_array_free(a: *mut c_void, n: usize) {
    // SAFETY: made by bench_pl_mutex_array_new(n).
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(a as *mut RawMutex, n)) });
}
#[no_mangle]
pub extern "C" fn bench_pl_mutex_lock(h: *mut c_void) {
    mutex(h).lock();
}
#[no_mangle]
pub extern "C" fn bench_pl_mutex_unlock(h: *mut c_void) {
    // SAFETY: the harness only unlocks what its thread locked.
    unsafe { mutex(h).unlock() }
}
#[no_mangle]
pub extern "C" fn bench_pl_mutex_loop(h: *mut c_void, n: u64) {
    let m = mutex(h);
    for _ in 0..n {
        m.lock();
        // SAFETY: locked just above by this thread.
        unsafe { m.unlock() }
    }
}
#[no_mangle]
pub extern "C" fn bench_pl_mutex_size() -> usize {
    std::mem::size_of::<RawMutex>()
}

#[no_mangle]
pub extern "C" fn bench_pl_rwlock_new() -> *mut c_void {
    Box::into_raw(Box::new(PaddedRwLock(RawRwLock::INIT))) as *mut c_void
}
#[no_mangle]
pub extern "C" fn bench_pl_rwlock_free(h: *mut c_void) {
    // SAFETY: made by Box::into_raw in bench_pl_rwlock_new.
    drop(unsafe { Box::from_raw(h as *mut PaddedRwLock) });
}
fn rwlock<'a>(h: *mut c_void) -> &'a RawRwLock {
    // SAFETY: h lives from bench_pl_rwlock_new to bench_pl_rwlock_free.
    unsafe { &(*(h as *const PaddedRwLock)).0 }
}
#[no_mangle]
pub extern "C" fn bench_pl_rwlock_rdlock(h: *mut c_void) {
    rwlock(h).lock_shared();
}
#[no_mangle]
pub extern "C" fn bench_pl_rwlock_rdunlock(h: *mut c_void) {
    // SAFETY: the harness only unlocks what its thread locked.
    unsafe { rwlock(h).unlock_shared() }
}
#[no_mangle]
pub extern "C" fn bench_pl_rwlock_wrlock(h: *mut c_void) {
    rwlock(h).lock_exclusive();
}
#[no_mangle]
pub extern "C" fn bench_pl_rwlock_wrunlock(h: *mut c_void) {
    // SAFETY: as above.
    unsafe { rwlock(h).unlock_exclusive() }
}
#[no_mangle]
pub extern "C" fn bench_pl_rwlock_size() -> usize {
    std::mem::size_of::<RawRwLock>()
}

// The bounded queue of the producer/consumer benchmark, with the same
// protocol as the C and C++ versions: wait while full / empty, notify_one
// the other side after every put / take, while holding the lock.
#[repr(align(128))]
struct Queue {
    ring: Mutex<VecDeque<u64>>,
    cap: usize,
    not_empty: Condvar,
    not_full: Condvar,
}
#[no_mangle]
pub extern "C" fn bench_pl_queue_new(cap: usize) -> *mut c_void {
    Box::into_raw(Box::new(Queue {
        ring: Mutex::new(VecDeque::with_capacity(cap)),
        cap,
        not_empty: Condvar::new(),
        not_full: Condvar::new(),
    })) as *mut c_void
}
#[no_mangle]
pub extern "C" fn bench_pl_queue_free(h: *mut c_void) {
    // SAFETY: made by Box::into_raw in bench_pl_queue_new.
    drop(unsafe { Box::from_raw(h as *mut Queue) });
}
fn queue<'a>(h: *mut c_void) -> &'a Queue {
    // SAFETY: h lives from bench_pl_queue_new to bench_pl_queue_free.
    unsafe { &*(h as *const Queue) }
}
#[no_mangle]
pub extern "C" fn bench_pl_queue_put(h: *mut c_void, v: u64) {
    let q = queue(h);
    let mut g = q.ring.lock();
    while g.len() == q.cap {
        q.not_full.wait(&mut g);
    }
    g.push_back(v);
    q.not_empty.notify_one();
}
#[no_mangle]
pub extern "C" fn bench_pl_queue_take(h: *mut c_void) -> u64 {
    let q = queue(h);
    let mut g = q.ring.lock();
    while g.is_empty() {
        q.not_empty.wait(&mut g);
    }
    let v = g.pop_front().unwrap_or(0);
    q.not_full.notify_one();
    v
}
#[no_mangle]
pub extern "C" fn bench_pl_cond_size() -> usize {
    std::mem::size_of::<Condvar>()
}

// Once: the cost of call_once after it has completed (the done path).
#[no_mangle]
pub extern "C" fn bench_pl_once_loop(n: u64) -> u64 {
    static ONCE: Once = Once::new();
    let mut runs = 0u64;
    for _ in 0..n {
        ONCE.call_once(|| runs += 1);
    }
    runs
}
#[no_mangle]
pub extern "C" fn bench_pl_once_size() -> usize {
    std::mem::size_of::<Once>()
}
