#!/usr/bin/env python3
"""libparker from Python through ctypes, with no C compiler involved.

Two Python threads hand a token back and forth: each owns one parker, parks
on it with a timeout and unparks the other's.  One parker is a handle from
parker_new(); the other is embedded in memory Python allocates, sized and
aligned by parker_sizeof()/parker_alignof().  ctypes.CDLL releases the GIL
around every foreign call, so a thread blocked in parker_park_timeout does not
stop the other one.

    python3 pingpong.py path/to/libparker.so

Exits 0 when every check passes, 1 otherwise.  Every wait has a timeout, so a
lost wake-up fails the run instead of hanging it.
"""

import ctypes
import ctypes.util
import os
import sys
import threading

PARKER_OK = 0
PARKER_TIMEDOUT = 1
ROUNDS = 2000
WAIT_NS = 30 * 1000 * 1000 * 1000  # generous: a lost hand-off, not a slow VM


def load(path):
    lib = ctypes.CDLL(path)
    p = ctypes.c_void_p  # parker_t * is opaque to Python
    sig = {
        "parker_version": (ctypes.c_uint32, []),
        "parker_version_string": (ctypes.c_char_p, []),
        "parker_backend": (ctypes.c_char_p, []),
        "parker_sizeof": (ctypes.c_size_t, []),
        "parker_alignof": (ctypes.c_size_t, []),
        "parker_now_ns": (ctypes.c_uint64, []),
        "parker_new": (p, []),
        "parker_free": (None, [p]),
        "parker_init": (ctypes.c_int, [p]),
        "parker_destroy": (None, [p]),
        "parker_unpark": (None, [p]),
        "parker_park_timeout": (ctypes.c_int, [p, ctypes.c_uint64]),
    }
    for name, (res, args) in sig.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args
    return lib


class Embedded:
    """A parker_t inside a Python-owned buffer, laid out from the run-time
    size and alignment (what a binding that embeds parkers in its own
    objects does)."""

    def __init__(self, lib):
        size, align = lib.parker_sizeof(), lib.parker_alignof()
        if size == 0 or align == 0 or align & (align - 1):
            raise AssertionError(f"bad parker_sizeof/alignof: {size}/{align}")
        # Over-allocate and align by hand: ctypes promises no alignment
        # beyond the element type's.
        self._buf = ctypes.create_string_buffer(size + align)
        base = ctypes.addressof(self._buf)
        self.ptr = ctypes.c_void_p(base + (-base % align))
        self._lib = lib
        if lib.parker_init(self.ptr) != 0:
            raise AssertionError("parker_init failed")

    def close(self):
        self._lib.parker_destroy(self.ptr)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else (
        os.environ.get("PARKER_LIBRARY") or ctypes.util.find_library("parker"))
    if not path:
        print("usage: pingpong.py path/to/libparker.so", file=sys.stderr)
        return 2
    lib = load(path)
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)
            print(f"FAIL: {what}", file=sys.stderr)
        return cond

    version = lib.parker_version()
    check(lib.parker_version_string().decode() ==
          f"{version // 10000}.{version // 100 % 100}.{version % 100}",
          "parker_version_string() agrees with parker_version()")

    # A timeout never returns early, measured on the library's own clock.
    lone = Embedded(lib)
    t0 = lib.parker_now_ns()
    r = lib.parker_park_timeout(lone.ptr, 20 * 1000 * 1000)
    waited = lib.parker_now_ns() - t0
    check(r == PARKER_TIMEDOUT, f"park_timeout without a token returns TIMEDOUT (got {r})")
    check(waited >= 20 * 1000 * 1000, f"timeout returned early after {waited} ns")
    # A token deposited before the park is consumed without blocking.
    lib.parker_unpark(lone.ptr)
    check(lib.parker_park_timeout(lone.ptr, 0) == PARKER_OK, "a present token is consumed")
    check(lib.parker_park_timeout(lone.ptr, 0) == PARKER_TIMEDOUT, "a token is consumed once")
    lone.close()

    # Ping-pong between two Python threads.
    ping = lib.parker_new()              # owned by the main thread
    check(bool(ping), "parker_new returned a parker")
    pong = Embedded(lib)                 # owned by the partner thread
    box = {"sent": 0, "echoed": 0}

    def partner():
        for _ in range(ROUNDS):
            if lib.parker_park_timeout(pong.ptr, WAIT_NS) != PARKER_OK:
                check(False, "partner: no token within the timeout")
                lib.parker_unpark(ping)  # let main notice instead of waiting
                return
            box["echoed"] = box["sent"]
            lib.parker_unpark(ping)

    th = threading.Thread(target=partner, daemon=True)
    th.start()
    for i in range(1, ROUNDS + 1):
        box["sent"] = i
        lib.parker_unpark(pong.ptr)
        if not check(lib.parker_park_timeout(ping, WAIT_NS) == PARKER_OK,
                     f"main: round {i}: no token came back within the timeout"):
            break
        if not check(box["echoed"] == i, f"round {i}: partner echoed {box['echoed']}"):
            break
    th.join(WAIT_NS / 1e9)
    check(not th.is_alive(), "partner thread finished")
    if not th.is_alive():
        pong.close()
        lib.parker_free(ping)

    if failures:
        print(f"python ffi: {len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print(f"python ffi OK: libparker {lib.parker_version_string().decode()} "
          f"({lib.parker_backend().decode()}), {ROUNDS} round trips between two threads")
    return 0


if __name__ == "__main__":
    sys.exit(main())
