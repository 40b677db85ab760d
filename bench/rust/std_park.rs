// std_park.rs - Rust's std::thread::park / unpark as a benchmark contender,
// exported to C.  Built on its own with `rustc --crate-type staticlib` (no
// crates), or included as a module by the parking_lot_core crate (lib.rs) so
// that the benchmark links only one copy of Rust's std.
use std::ffi::c_void;
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

fn handle<'a>(h: *mut c_void) -> &'a Thread {
    // SAFETY: h comes from bench_rust_std_self and lives until release.
    unsafe { &*(h as *const Thread) }
}

#[no_mangle]
pub extern "C" fn bench_rust_std_self() -> *mut c_void {
    Box::into_raw(Box::new(thread::current())) as *mut c_void
}

#[no_mangle]
pub extern "C" fn bench_rust_std_release(h: *mut c_void) {
    // SAFETY: h was made by Box::into_raw in bench_rust_std_self.
    drop(unsafe { Box::from_raw(h as *mut Thread) });
}

#[no_mangle]
pub extern "C" fn bench_rust_std_park(_h: *mut c_void) {
    thread::park();
}

// park_timeout does not say whether a token was consumed; the benchmark only
// times it, so "timed out" is approximated by the elapsed time.
#[no_mangle]
pub extern "C" fn bench_rust_std_park_timeout(_h: *mut c_void, ns: u64) -> i32 {
    let start = Instant::now();
    let d = Duration::from_nanos(ns);
    thread::park_timeout(d);
    if start.elapsed() >= d { 1 } else { 0 }
}

#[no_mangle]
pub extern "C" fn bench_rust_std_unpark(h: *mut c_void) {
    handle(h).unpark();
}

#[no_mangle]
pub extern "C" fn bench_rust_std_fast(h: *mut c_void, n: u64) {
    let t = handle(h);
    for _ in 0..n {
        t.unpark();
        thread::park();
    }
}

#[no_mangle]
pub extern "C" fn bench_rust_std_idle(h: *mut c_void, n: u64) {
    let t = handle(h);
    for _ in 0..n {
        t.unpark();
    }
    thread::park();
}
