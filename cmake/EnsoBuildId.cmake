# Run at every build (cmake -P): writes OUT, a header naming the commit the
# binaries were built from (short hash, "+dirty" with uncommitted changes),
# only when it changed, so nothing rebuilds for a commit that did not move.
execute_process(COMMAND git -C "${SRC}" rev-parse --short=12 HEAD
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE rc ERROR_QUIET)
if(NOT rc EQUAL 0 OR commit STREQUAL "")
    set(commit "unknown")
else()
    execute_process(COMMAND git -C "${SRC}" status --porcelain --untracked-files=no
                    OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(NOT changes STREQUAL "")
        string(APPEND commit "+dirty")
    endif()
endif()
file(CONFIGURE OUTPUT "${OUT}"
     CONTENT "#pragma once\n#define ENSO_GIT_COMMIT \"${commit}\"\n" @ONLY)
