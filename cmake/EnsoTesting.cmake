# enso_add_catch_test(NAME <name> SOURCES <files...> [LIBS <libs...>] [KVM])
#
# KVM: the tests run guests. They exit 77 (skipped) without /dev/kvm, and
# never run two at a time (RESOURCE_LOCK kvm): two processes' spinning
# exitless threads on a 2-core host would share cores and stall each other.
#
# Builds the Catch2 v2 test executable <name> from SOURCES plus the shared
# Catch main (object library enso_catch_main), links enso_core, enso_warnings
# and LIBS, and registers every TEST_CASE as its own CTest test named
# "<name>:<test case>". A test executable that exits with 77 is reported as
# skipped (our convention for "/dev/kvm absent").
include_guard(GLOBAL)
include(Catch)

if(NOT TARGET enso_catch_main)
    add_library(enso_catch_main OBJECT ${PROJECT_SOURCE_DIR}/tests/catch_main.cpp)
    target_link_libraries(enso_catch_main PUBLIC Catch2::Catch2 enso_warnings)
endif()

function(enso_add_catch_test)
    cmake_parse_arguments(PARSE_ARGV 0 ARG "KVM" "NAME" "SOURCES;LIBS")
    if(NOT ARG_NAME OR NOT ARG_SOURCES)
        message(FATAL_ERROR "enso_add_catch_test: NAME and SOURCES are required")
    endif()
    if(ARG_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "enso_add_catch_test(${ARG_NAME}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
    endif()
    add_executable(${ARG_NAME} ${ARG_SOURCES} $<TARGET_OBJECTS:enso_catch_main>)
    target_link_libraries(${ARG_NAME} PRIVATE Catch2::Catch2 enso_core enso_warnings ${ARG_LIBS})
    set(properties SKIP_RETURN_CODE 77)
    if(ARG_KVM)
        list(APPEND properties RESOURCE_LOCK kvm)
    endif()
    catch_discover_tests(${ARG_NAME}
        TEST_PREFIX "${ARG_NAME}:"
        PROPERTIES ${properties})
endfunction()
