//! libparker from Rust with nothing but rustc: the static library is linked
//! through `extern "C"` declarations, no crates, no bindgen.
//!
//!     rustc --edition 2021 -O pingpong.rs -L native=<dir with libparker.a>
//!
//! Two threads hand a token back and forth (one parker embedded in a Rust
//! value, one a parker_new() handle), then a timeout is checked against the
//! library's clock.  Exits 1 on any failed check; every wait has a timeout,
//! so a lost wake-up fails instead of hanging.

use std::cell::UnsafeCell;
use std::ffi::CStr;
use std::os::raw::{c_char, c_int};
use std::process::exit;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;

const PARKER_OK: c_int = 0;
const PARKER_TIMEDOUT: c_int = 1;
const ROUNDS: u64 = 2000;
const WAIT_NS: u64 = 30_000_000_000;

/// The C `parker_t`: one private 32-bit word.  Only ever touched by the
/// library, through a pointer; its size and alignment are checked against
/// parker_sizeof()/parker_alignof() before use.
#[repr(C)]
struct RawParker {
    private_state: u32,
}

#[link(name = "parker", kind = "static")]
extern "C" {
    fn parker_init(p: *mut RawParker) -> c_int;
    fn parker_destroy(p: *mut RawParker);
    fn parker_unpark(p: *mut RawParker);
    fn parker_park_timeout(p: *mut RawParker, timeout_ns: u64) -> c_int;
    fn parker_now_ns() -> u64;
    fn parker_new() -> *mut RawParker;
    fn parker_free(p: *mut RawParker);
    fn parker_sizeof() -> usize;
    fn parker_alignof() -> usize;
    fn parker_version() -> u32;
    fn parker_version_string() -> *const c_char;
    fn parker_backend() -> *const c_char;
}

/// A parker embedded in a Rust value.  The library updates the word
/// atomically from any thread, hence UnsafeCell and the Sync claim; the
/// value must not move while in use, which Arc guarantees here.
struct Parker(UnsafeCell<RawParker>);
unsafe impl Sync for Parker {}
unsafe impl Send for Parker {}

impl Parker {
    fn new() -> Parker {
        let p = Parker(UnsafeCell::new(RawParker { private_state: 0 }));
        check(unsafe { parker_init(p.0.get()) } == 0, "parker_init");
        p
    }
    fn ptr(&self) -> *mut RawParker {
        self.0.get()
    }
}

impl Drop for Parker {
    fn drop(&mut self) {
        unsafe { parker_destroy(self.0.get()) }
    }
}

/// A heap parker from parker_new(), released with parker_free().
struct Handle(*mut RawParker);
unsafe impl Sync for Handle {}
unsafe impl Send for Handle {}

impl Drop for Handle {
    fn drop(&mut self) {
        unsafe { parker_free(self.0) }
    }
}

fn check(ok: bool, what: &str) {
    if !ok {
        eprintln!("rust ffi: FAIL: {}", what);
        exit(1);
    }
}

fn c_str(s: *const c_char) -> String {
    unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned()
}

fn main() {
    unsafe {
        check(parker_sizeof() == std::mem::size_of::<RawParker>(), "parker_sizeof matches");
        check(parker_alignof() == std::mem::align_of::<RawParker>(), "parker_alignof matches");
        let v = parker_version();
        let expect = format!("{}.{}.{}", v / 10000, v / 100 % 100, v % 100);
        check(c_str(parker_version_string()) == expect, "version string agrees with parker_version");
    }

    // Ping-pong: main owns `ping`, the partner owns `pong`.
    let ping = Arc::new(Handle(unsafe { parker_new() }));
    check(!ping.0.is_null(), "parker_new returned a parker");
    let pong = Arc::new(Parker::new());
    // Relaxed on purpose: the values must be visible through the
    // unpark -> park happens-before edge that the library provides.
    let sent = Arc::new(AtomicU64::new(0));
    let echoed = Arc::new(AtomicU64::new(0));

    let partner = {
        let (ping, pong, sent, echoed) = (ping.clone(), pong.clone(), sent.clone(), echoed.clone());
        thread::spawn(move || {
            for _ in 0..ROUNDS {
                if unsafe { parker_park_timeout(pong.ptr(), WAIT_NS) } != PARKER_OK {
                    check(false, "partner: no token within the timeout");
                }
                echoed.store(sent.load(Ordering::Relaxed), Ordering::Relaxed);
                unsafe { parker_unpark(ping.0) };
            }
        })
    };
    for i in 1..=ROUNDS {
        sent.store(i, Ordering::Relaxed);
        unsafe { parker_unpark(pong.ptr()) };
        check(
            unsafe { parker_park_timeout(ping.0, WAIT_NS) } == PARKER_OK,
            "main: no token came back within the timeout",
        );
        check(echoed.load(Ordering::Relaxed) == i, "partner's write visible after park");
    }
    check(partner.join().is_ok(), "partner thread finished");

    // A timeout never returns early, on the library's own clock.
    let lone = Parker::new();
    let t0 = unsafe { parker_now_ns() };
    let r = unsafe { parker_park_timeout(lone.ptr(), 20_000_000) };
    let waited = unsafe { parker_now_ns() } - t0;
    check(r == PARKER_TIMEDOUT, "park_timeout without a token times out");
    check(waited >= 20_000_000, "timeout did not return early");
    unsafe { parker_unpark(lone.ptr()) };
    check(unsafe { parker_park_timeout(lone.ptr(), 0) } == PARKER_OK, "a present token is consumed");

    println!(
        "rust ffi OK: libparker {} ({}), {} round trips, timeout after {} ns",
        c_str(unsafe { parker_version_string() }),
        c_str(unsafe { parker_backend() }),
        ROUNDS,
        waited
    );
}
