# enso_add_benchmark(NAME <name> SOURCES <files...>)
#
# Builds a Google Benchmark executable <name> linked to benchmark::benchmark
# (plus benchmark_main, which supplies main() unless SOURCES use BENCHMARK_MAIN())
# and to enso_core and enso_warnings. Benchmarks are never CTest tests:
# a benchmark never asserts a speed.
include_guard(GLOBAL)

function(enso_add_benchmark)
    cmake_parse_arguments(PARSE_ARGV 0 ARG "" "NAME" "SOURCES")
    if(NOT ARG_NAME OR NOT ARG_SOURCES)
        message(FATAL_ERROR "enso_add_benchmark: NAME and SOURCES are required")
    endif()
    if(ARG_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "enso_add_benchmark(${ARG_NAME}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
    endif()
    add_executable(${ARG_NAME} ${ARG_SOURCES})
    target_link_libraries(${ARG_NAME} PRIVATE benchmark::benchmark benchmark::benchmark_main enso_core enso_warnings)
endfunction()
