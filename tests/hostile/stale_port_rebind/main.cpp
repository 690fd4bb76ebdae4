// It runs under the domain id of a guest destroyed just before it, and binds
// to domain 0's end of that guest's command channel (kArgExtra): a port left
// behind would still be offered to "this" domain id, and the new domain
// would get a channel into domain 0 meant for another guest. Domain 0's end
// must have been closed with its guest (-EINVAL); ports offered to domain 0
// by nobody stay closed too.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/events.hpp"

namespace enso::hostile {

const char test_title[] = "stale_port_rebind";

void test_main(Args a) {
    const auto stale = static_cast<evtchn_port_t>(a[kArgExtra]);
    evtchn_port_t local = 0;
    const long rc = evtchn_bind(0, stale, &local);
    expect_errno("bind to domain 0's end of its predecessor's command channel", rc, -XEN_EINVAL);
    if (rc == 0) {
        expect_errno("send on the channel it got", guest::evtchn_send(local), -XEN_EINVAL);
        evtchn_close(local);
    }
}

} // namespace enso::hostile
