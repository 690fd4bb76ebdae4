// Xen's blkif protocol (<xen/io/blkif.h>, <xen/io/ring.h>) for the guest.
// ring.h leaves the barriers to its user: on x86 only a store followed by a
// load (publishing req_prod, then reading req_event) needs a real fence.
#pragma once

#include "workloads/guest/string.hpp"
#include "workloads/guest/xen.hpp"

#include <stddef.h>

#ifndef xen_mb
// A locked add is a full barrier, as Linux uses for smp_mb on x86-64.
#define xen_mb() asm volatile("lock; addl $0, (%%rsp)" : : : "memory", "cc")
#define xen_rmb() asm volatile("" : : : "memory")
#define xen_wmb() asm volatile("" : : : "memory")
#endif

#include <xen/io/blkif.h>
#include <xen/io/ring.h>
