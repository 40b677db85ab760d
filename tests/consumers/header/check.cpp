// The public headers in a C++ translation unit: extern "C" linkage (a
// missing guard would fail at link time), no C-only constructs, clean under
// -Wall -Wextra -Wpedantic -Werror.  Linked against the C library and run.
#include <parker.h>
#ifdef CONSUMER_HAVE_LOT
#include <parker_lot.h>
#endif

#include <cstdio>
#include <thread>

namespace {

// The kind of wrapper a C++ user writes: the parker embedded in an object.
class Event {
public:
    Event() { ok_ = parker_init(&p_) == 0; }
    ~Event() { parker_destroy(&p_); }
    Event(const Event &) = delete;
    Event &operator=(const Event &) = delete;
    bool ok() const { return ok_; }
    void set() { parker_unpark(&p_); }
    bool wait_for_ns(uint64_t ns) { return parker_park_timeout(&p_, ns) == PARKER_OK; }

private:
    parker_t p_;
    bool ok_;
};

}  // namespace

int main()
{
    static_assert(sizeof(parker_t) == 4, "parker_t is documented as 4 bytes");
    Event ev;
    if (!ev.ok() || parker_sizeof() != sizeof(parker_t) || parker_alignof() != alignof(parker_t))
        return 1;
    int value = 0;
    std::thread t([&] {
        value = 42;
        ev.set();
    });
    bool got = ev.wait_for_ns(30ull * 1000 * 1000 * 1000);
    t.join();
    if (!got || value != 42)
        return 2;
    if (parker_version() != PARKER_VERSION_NUMBER)
        return 3;
    std::printf("header check (C++ %ld) OK\n", static_cast<long>(__cplusplus));
    return 0;
}
