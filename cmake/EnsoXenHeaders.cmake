# Xen's public headers (the guest-visible ABI) come from Debian's libxen-dev.
# Code includes them as <xen/xen.h>; the target `enso::xen_headers` carries the path.
find_path(ENSO_XEN_INCLUDE_DIR NAMES xen/xen.h xen/grant_table.h)
if(NOT ENSO_XEN_INCLUDE_DIR OR NOT EXISTS "${ENSO_XEN_INCLUDE_DIR}/xen/grant_table.h")
    message(FATAL_ERROR
        "Xen public headers not found (<xen/xen.h>, <xen/grant_table.h>). "
        "On Debian: apt-get install libxen-dev, or run ./scripts/setup")
endif()
add_library(enso_xen_headers INTERFACE)
target_include_directories(enso_xen_headers SYSTEM INTERFACE "${ENSO_XEN_INCLUDE_DIR}")
add_library(enso::xen_headers ALIAS enso_xen_headers)
message(STATUS "Xen public headers: ${ENSO_XEN_INCLUDE_DIR}/xen")
