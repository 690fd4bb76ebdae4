// Tests that need an XTF tree call xtf_tree_or_skip() first: it returns
// $ENSO_XTF_DIR (scripts/test sets it when ../shared/xtf exists), or exits
// 77, which CTest reports as skipped, with the reason printed.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace enso::test {

inline std::filesystem::path xtf_tree_or_skip() {
    const char* env = std::getenv("ENSO_XTF_DIR");
    const std::filesystem::path root = env != nullptr ? env : "";
    if (root.empty() || !std::filesystem::exists(root / "build/common.mk")) {
        std::printf("SKIPPED: no XTF tree at '%s' (set ENSO_XTF_DIR to an XTF checkout)\n",
                    root.c_str());
        std::fflush(stdout);
        std::exit(77);
    }
    return root;
}

} // namespace enso::test
