// Xen's public interface as the guest sees it: Debian's libxen-dev headers at
// the interface version the core is built with (hvcore/core/xen_abi.hpp).
// They need only <stdint.h>, so they compile freestanding.
#pragma once

#include <stdint.h>

#ifndef __XEN_INTERFACE_VERSION__
#define __XEN_INTERFACE_VERSION__ 0x00040e00
#endif

#include <xen/callback.h>
#include <xen/errno.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/version.h>
#include <xen/xen.h>
