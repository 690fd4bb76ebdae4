#include "cli/suites.hpp"

#include <system_error>
#include <unistd.h>

namespace enso::cli {

const std::vector<Suite>& known_suites() {
    static const std::vector<Suite> suites = {
        {"core", "in-process benchmarks of the pure core (hvcore/core), no KVM",
         "../bench/core/enso_bench_core", ""},
        {"hypercall",
         "each hypercall from a KVM guest over the trap and exitless transports vs. the "
         "platform's floors, the in-process handler and native twins (needs /dev/kvm)",
         "../bench/hypercall/enso_bench_hypercall", "", true},
        {"blk",
         "block I/O from a KVM guest through blkfront/blkback over each data path (grant map, "
         "copy, persistent) and notification policy (completions polled, by event, or by "
         "interrupt where the host delivers one at guest CPL3) vs. the same I/O native and an "
         "emulated disk, with integrity checks (guest rows need /dev/kvm)",
         "../bench/blk/enso_bench_blk", "", true},
        {"pagetable",
         "fork-like page-table work (build, switch, touch, tear down N pages) in a PV guest vs. "
         "the host's own mmap/touch/munmap",
         "../bench/pagetable/enso_bench_pagetable", "", true},
        {"compute",
         "CPU-bound kernels (integer, floating point, memory bandwidth, pointer chase) in a "
         "KVM guest vs. the same source native",
         "../bench/compute/enso_bench_compute", "", true},
    };
    return suites;
}

const Suite* find_suite(const std::string& name) {
    for (const auto& suite : known_suites()) {
        if (suite.name == name) {
            return &suite;
        }
    }
    return nullptr;
}

std::vector<std::string> suite_names() {
    std::vector<std::string> names;
    for (const auto& suite : known_suites()) {
        names.push_back(suite.name);
    }
    return names;
}

std::filesystem::path self_dir() {
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) {
        return std::filesystem::current_path(ec);
    }
    return exe.parent_path();
}

std::optional<std::filesystem::path> suite_binary(const Suite& suite) {
    if (suite.binary.empty()) {
        return std::nullopt;
    }
    std::error_code ec;
    auto path = std::filesystem::weakly_canonical(self_dir() / suite.binary, ec);
    if (ec) {
        path = self_dir() / suite.binary;
    }
    if (std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0) {
        return path;
    }
    return std::nullopt;
}

} // namespace enso::cli
