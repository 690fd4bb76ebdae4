// Writes garbage into the command page the monitor reads: from the command
// after the go command on, it forges answers to every command (done_seq =
// seq, without running anything, with garbage status and values) between
// wrong ones (done_seq anything), rewrites seq, the boot fields and the
// argument area, and floods domain 0 with events on its command port -
// forever. The monitor must take what
// it reads as data only: it returns each command (forged answer or
// deadline), keeps serving the victim, and stops this guest on request.
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/boot_info.hpp"
#include "workloads/guest/events.hpp"

namespace enso::hostile {

const char test_title[] = "garbage_command_page";

namespace {

uint64_t g_state = 0x6a09e667f3bcc908ULL;

uint64_t next() {
    g_state += 0x9e3779b97f4a7c15ULL;
    uint64_t x = g_state;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    return x ^ (x >> 31);
}

} // namespace

void test_main(Args) {
    using namespace guest;
    abi::CommandPage* cp = command_page();
    const evtchn_port_t port = cp->cmd_port;
    info("scribbling on the command page for good from the next command on");
    handshake();
    no_answer();
    for (uint64_t round = 0;; ++round) {
        const uint64_t seq = cp->seq;
        cp->done_seq = next(); // a wrong answer, most of the time
        cp->status = static_cast<int64_t>(next());
        for (auto& v : cp->values) {
            v = next();
        }
        cp->tsc_cycles = next();
        cp->iterations = next();
        cp->first_free_pfn = next();
        cp->transport = static_cast<uint32_t>(next());
        cp->boot_magic = next();
        cp->data[next() % sizeof cp->data] = static_cast<uint8_t>(next());
        if ((round & 0xfff) == 0xfff) {
            cp->seq = next() & 0xffff; // the monitor's next seq is computed from this
        }
        if (round % 3 == 0) {
            __atomic_store_n(&cp->done_seq, seq, __ATOMIC_RELEASE); // a forged answer
        }
        evtchn_send(port);
    }
}

} // namespace enso::hostile
