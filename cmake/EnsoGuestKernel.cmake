# Freestanding guest kernels (ELF64 static executables linked at
# kKernelBaseVa by workloads/guest/guest.ld) built on the guest runtime,
# the static library enso_guest_runtime (workloads/guest).
#
# enso_guest_kernel_flags()
#   A macro for the CMakeLists.txt of a directory that builds guest code:
#   none of the host's flags (the sanitize preset's -fsanitize, anyone's
#   CMAKE_CXX_FLAGS) may reach a freestanding kernel, and directory flags are
#   what CMake applies, so each such directory clears its own. Guest code is
#   always -O2 -g, like the native twins it is compared with.
#
# enso_add_guest_kernel(NAME <target> SOURCES <files...> [LIBS <libs...>])
#   A guest kernel from SOURCES (one of which defines kernel_main, called by
#   the runtime's _start) linked with the runtime and LIBS.
include_guard(GLOBAL)

macro(enso_guest_kernel_flags)
    set(CMAKE_CXX_FLAGS "")
    set(CMAKE_EXE_LINKER_FLAGS "")
    string(TOUPPER "${CMAKE_BUILD_TYPE}" enso_guest_config)
    foreach(config DEBUG RELEASE RELWITHDEBINFO MINSIZEREL SANITIZE FUZZ ${enso_guest_config})
        set(CMAKE_CXX_FLAGS_${config} "-O2 -g")
        set(CMAKE_EXE_LINKER_FLAGS_${config} "")
    endforeach()
endmacro()

function(enso_add_guest_kernel)
    cmake_parse_arguments(PARSE_ARGV 0 ARG "" "NAME" "SOURCES;LIBS")
    if(NOT ARG_NAME OR NOT ARG_SOURCES)
        message(FATAL_ERROR "enso_add_guest_kernel: NAME and SOURCES are required")
    endif()
    if(ARG_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "enso_add_guest_kernel(${ARG_NAME}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
    endif()
    add_executable(${ARG_NAME} ${ARG_SOURCES})
    target_link_libraries(${ARG_NAME} PRIVATE ${ARG_LIBS} enso_guest_runtime)
    # The runtime's link options name the script; relink when it changes.
    get_target_property(script enso_guest_runtime ENSO_GUEST_LD)
    set_target_properties(${ARG_NAME} PROPERTIES LINK_DEPENDS ${script})
endfunction()
