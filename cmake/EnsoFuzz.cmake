# libFuzzer targets (issue #7), built only with -DENSO_FUZZ=ON and Clang: the
# `fuzz` preset. Included from the top-level CMakeLists.txt before anything
# else is configured; with ENSO_FUZZ on, that file stops right after, so the
# fuzz build configures only the core (hvcore/core) and the harnesses here
# and needs none of the other packages.
#
# The core is rebuilt from enso_core's own source list as enso_core_fuzz, with
# the same sanitizers plus -fsanitize=fuzzer-no-link, so coverage and
# ASan/UBSan reach into it; the harnesses link -fsanitize=fuzzer.
include_guard(GLOBAL)

option(ENSO_FUZZ "Build only the libFuzzer harnesses (needs Clang; preset fuzz)" OFF)

if(NOT ENSO_FUZZ)
    return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "ENSO_FUZZ needs Clang (CMAKE_CXX_COMPILER=clang++); "
                        "the compiler is ${CMAKE_CXX_COMPILER_ID}. Use the preset: cmake --preset fuzz")
endif()

include(EnsoXenHeaders)
add_subdirectory(${PROJECT_SOURCE_DIR}/hvcore/core ${PROJECT_BINARY_DIR}/hvcore/core)

set(ENSO_FUZZ_SANITIZERS address,undefined)
set(ENSO_FUZZ_COMPILE_FLAGS
    -fsanitize=fuzzer-no-link,${ENSO_FUZZ_SANITIZERS}
    -fno-sanitize-recover=all -fno-omit-frame-pointer)

# enso_core's sources, read from the target rather than repeated here.
get_target_property(enso_core_dir enso_core SOURCE_DIR)
get_target_property(enso_core_sources enso_core SOURCES)
set(enso_core_fuzz_sources)
foreach(src IN LISTS enso_core_sources)
    if(IS_ABSOLUTE "${src}")
        list(APPEND enso_core_fuzz_sources "${src}")
    else()
        list(APPEND enso_core_fuzz_sources "${enso_core_dir}/${src}")
    endif()
endforeach()

# The invariant checker is the oracle, not the code under test: it runs after
# every operation and walks every table, so instrumented it took most of the
# time (and its loops only added noise features). It is built at -O2 without
# sanitizers or coverage.
set(enso_core_fuzz_checker ${enso_core_fuzz_sources})
list(FILTER enso_core_fuzz_checker INCLUDE REGEX "/invariants\\.cpp$")
list(FILTER enso_core_fuzz_sources EXCLUDE REGEX "/invariants\\.cpp$")

add_library(enso_core_fuzz STATIC ${enso_core_fuzz_sources} ${enso_core_fuzz_checker})
set_source_files_properties(${enso_core_fuzz_checker} PROPERTIES COMPILE_OPTIONS
    "-O2;-fno-sanitize=all;-fno-sanitize-coverage=inline-8bit-counters,indirect-calls,trace-cmp,pc-table")
target_include_directories(enso_core_fuzz PUBLIC ${PROJECT_SOURCE_DIR})
# Whatever enso_core links (e.g. header targets), minus the warnings-as-errors
# set: Clang's warnings differ from GCC's and must not stop the fuzzer build.
get_target_property(enso_core_links enso_core LINK_LIBRARIES)
if(enso_core_links)
    list(REMOVE_ITEM enso_core_links enso_warnings)
    target_link_libraries(enso_core_fuzz PUBLIC ${enso_core_links})
endif()
target_compile_options(enso_core_fuzz PRIVATE ${ENSO_FUZZ_COMPILE_FLAGS})

# The blkif back end's logic (hvcore/backends' enso_blkif: ring handling,
# request validation, data paths, the synchronous engine), rebuilt the same
# way as enso_blkif_fuzz for blkback_fuzzer.
add_subdirectory(${PROJECT_SOURCE_DIR}/hvcore/backends ${PROJECT_BINARY_DIR}/hvcore/backends)
get_target_property(enso_blkif_dir enso_blkif SOURCE_DIR)
get_target_property(enso_blkif_sources enso_blkif SOURCES)
set(enso_blkif_fuzz_sources)
foreach(src IN LISTS enso_blkif_sources)
    if(IS_ABSOLUTE "${src}")
        list(APPEND enso_blkif_fuzz_sources "${src}")
    else()
        list(APPEND enso_blkif_fuzz_sources "${enso_blkif_dir}/${src}")
    endif()
endforeach()
add_library(enso_blkif_fuzz STATIC ${enso_blkif_fuzz_sources})
target_link_libraries(enso_blkif_fuzz PUBLIC enso_core_fuzz enso::xen_headers)
target_compile_options(enso_blkif_fuzz PRIVATE ${ENSO_FUZZ_COMPILE_FLAGS})

# enso_add_fuzzer(NAME <name> SOURCES <files...> [LIBS <libs...>]): a
# libFuzzer executable linked against enso_core_fuzz and LIBS. Output:
# build/fuzz/tests/fuzz/<name>.
function(enso_add_fuzzer)
    cmake_parse_arguments(PARSE_ARGV 0 ARG "" "NAME" "SOURCES;LIBS")
    add_executable(${ARG_NAME} ${ARG_SOURCES})
    target_link_libraries(${ARG_NAME} PRIVATE ${ARG_LIBS} enso_core_fuzz)
    target_compile_options(${ARG_NAME} PRIVATE
        -fsanitize=fuzzer,${ENSO_FUZZ_SANITIZERS} -fno-sanitize-recover=all
        -fno-omit-frame-pointer -Wall -Wextra)
    target_link_options(${ARG_NAME} PRIVATE -fsanitize=fuzzer,${ENSO_FUZZ_SANITIZERS})
endfunction()

add_subdirectory(${PROJECT_SOURCE_DIR}/tests/fuzz ${PROJECT_BINARY_DIR}/tests/fuzz)
