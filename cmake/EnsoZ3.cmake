# Z3: use a CMake package config if the distribution ships one, otherwise
# locate Debian's libz3-dev by hand. Either way, code links `enso::z3`.
find_package(Z3 CONFIG QUIET)
if(Z3_FOUND AND TARGET z3::libz3)
    add_library(enso::z3 ALIAS z3::libz3)
    message(STATUS "Z3: CMake config ${Z3_VERSION_STRING}")
else()
    find_library(ENSO_Z3_LIBRARY NAMES z3)
    find_path(ENSO_Z3_INCLUDE_DIR NAMES z3++.h)
    if(NOT ENSO_Z3_LIBRARY OR NOT ENSO_Z3_INCLUDE_DIR)
        message(FATAL_ERROR
            "Z3 not found (need libz3 and z3++.h). On Debian: apt-get install libz3-dev, "
            "or run ./scripts/setup")
    endif()
    add_library(enso::z3 UNKNOWN IMPORTED)
    set_target_properties(enso::z3 PROPERTIES
        IMPORTED_LOCATION "${ENSO_Z3_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${ENSO_Z3_INCLUDE_DIR}")
    message(STATUS "Z3: ${ENSO_Z3_LIBRARY} (headers in ${ENSO_Z3_INCLUDE_DIR})")
endif()
