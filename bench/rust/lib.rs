// lib.rs - parking_lot_core's public park / unpark_one as a one-token parker
// (the three-state word a parking_lot user would write), plus std's parker
// (std_park.rs), in one staticlib so the benchmark links one Rust std.
#[path = "std_park.rs"]
mod std_park;
#[cfg(feature = "locks")]
#[path = "locks.rs"]
mod locks;

use parking_lot_core::{
    park, unpark_all, unpark_one, unpark_requeue, ParkResult, RequeueOp, DEFAULT_PARK_TOKEN,
    DEFAULT_UNPARK_TOKEN,
};
use std::ffi::c_void;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const EMPTY: u32 = 0;
const NOTIFIED: u32 = 1;
const PARKED: u32 = 2;

struct Parker {
    state: AtomicU32,
}

fn get<'a>(h: *mut c_void) -> &'a Parker {
    // SAFETY: h comes from bench_plc_self and lives until release.
    unsafe { &*(h as *const Parker) }
}

fn wait(p: &Parker, deadline: Option<Instant>) -> i32 {
    loop {
        if p.state.compare_exchange(NOTIFIED, EMPTY, Ordering::Acquire, Ordering::Relaxed).is_ok() {
            return 0;
        }
        if p.state.compare_exchange(EMPTY, PARKED, Ordering::Relaxed, Ordering::Relaxed)
            == Err(NOTIFIED)
        {
            continue;
        }
        let key = p as *const Parker as usize;
        // SAFETY: the key is this parker's address; the callbacks do not
        // call into parking_lot_core.
        let r = unsafe {
            park(
                key,
                || p.state.load(Ordering::Relaxed) == PARKED,
                || {},
                |_, _| {},
                DEFAULT_PARK_TOKEN,
                deadline,
            )
        };
        if let ParkResult::TimedOut = r {
            // A NOTIFIED found here is a token that just arrived.
            return if p.state.swap(EMPTY, Ordering::Acquire) == NOTIFIED { 0 } else { 1 };
        }
    }
}

fn unpark(p: &Parker) {
    if p.state.swap(NOTIFIED, Ordering::Release) == PARKED {
        let key = p as *const Parker as usize;
        // SAFETY: the key is only compared, never dereferenced.
        unsafe {
            unpark_one(key, |_| DEFAULT_UNPARK_TOKEN);
        }
    }
}

#[no_mangle]
pub extern "C" fn bench_plc_self() -> *mut c_void {
    Box::into_raw(Box::new(Parker { state: AtomicU32::new(EMPTY) })) as *mut c_void
}

#[no_mangle]
pub extern "C" fn bench_plc_release(h: *mut c_void) {
    // SAFETY: h was made by Box::into_raw in bench_plc_self.
    drop(unsafe { Box::from_raw(h as *mut Parker) });
}

#[no_mangle]
pub extern "C" fn bench_plc_park(h: *mut c_void) {
    wait(get(h), None);
}

#[no_mangle]
pub extern "C" fn bench_plc_park_timeout(h: *mut c_void, ns: u64) -> i32 {
    wait(get(h), Some(Instant::now() + Duration::from_nanos(ns)))
}

#[no_mangle]
pub extern "C" fn bench_plc_unpark(h: *mut c_void) {
    unpark(get(h));
}

#[no_mangle]
pub extern "C" fn bench_plc_fast(h: *mut c_void, n: u64) {
    let p = get(h);
    for _ in 0..n {
        unpark(p);
        wait(p, None);
    }
}

#[no_mangle]
pub extern "C" fn bench_plc_idle(h: *mut c_void, n: u64) {
    let p = get(h);
    for _ in 0..n {
        unpark(p);
    }
    wait(p, None);
}

// ---- the lot at scale (bench/lotscale.c) -----------------------------------
// Park on a bare key; `queued` is incremented by the validate callback, which
// runs under the bucket lock just before the thread is queued, so once the
// harness sees it at N every thread is queued (an unpark cannot miss one).

#[no_mangle]
pub extern "C" fn bench_plc_park_key(key: usize, queued: *const AtomicUsize) -> i32 {
    // SAFETY: queued points to a counter that outlives the park; key is
    // only compared.
    let r = unsafe {
        park(
            key,
            || {
                (*queued).fetch_add(1, Ordering::Relaxed);
                true
            },
            || {},
            |_, _| {},
            DEFAULT_PARK_TOKEN,
            None,
        )
    };
    match r {
        ParkResult::Unparked(_) => 0,
        _ => 1,
    }
}

#[no_mangle]
pub extern "C" fn bench_plc_unpark_one_key(key: usize) -> i32 {
    // SAFETY: the key is only compared.
    let r = unsafe { unpark_one(key, |_| DEFAULT_UNPARK_TOKEN) };
    r.unparked_threads as i32
}

#[no_mangle]
pub extern "C" fn bench_plc_unpark_all_key(key: usize) -> usize {
    // SAFETY: the key is only compared.
    unsafe { unpark_all(key, DEFAULT_UNPARK_TOKEN) }
}

/// Moves every waiter of `from` to `to` without waking any; returns how many.
#[no_mangle]
pub extern "C" fn bench_plc_requeue_all_key(from: usize, to: usize) -> usize {
    // SAFETY: the keys are only compared.
    let r = unsafe {
        unpark_requeue(from, to, || RequeueOp::RequeueAll, |_, _| DEFAULT_UNPARK_TOKEN)
    };
    r.requeued_threads
}
