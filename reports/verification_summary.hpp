// What `enso verify --json` found, read leniently: the reader takes a list of
//   {"handler": "...", "paths": N, "result": "proved"|"failed"|..., "seconds": S,
//    "counterexample": "cex/x.svg" | "counterexamples": ["...svg", "...dot"]}
// either as the top level or under "handlers"/"results"/"proofs", accepts
// the common synonyms (name, status, verdict, time_s ...), reads a
// "failures" list ({invariant, reason, counterexample_svg}) when there is
// one, and keeps unknown fields out of the way. Counterexample paths are
// relative to the verify file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enso::reports {

enum class VerifyOutcome { proved, failed, unknown };
std::string_view outcome_name(VerifyOutcome outcome);

struct VerifiedHandler {
    std::string handler;
    std::optional<long long> paths;
    std::string result; // as written
    VerifyOutcome outcome = VerifyOutcome::unknown;
    std::optional<double> seconds;
    std::string detail;                                 // message/invariant when given
    std::vector<std::filesystem::path> counterexamples; // resolved against the file
};

struct VerificationSummary {
    std::filesystem::path path;
    std::vector<VerifiedHandler> handlers;
    std::vector<std::string> warnings;

    [[nodiscard]] int count(VerifyOutcome outcome) const;
    [[nodiscard]] double total_seconds() const;
};

// Throws InputError when the file is missing, not JSON, or holds no list of
// handlers at all; odd entries become warnings.
VerificationSummary load_verification_summary(const std::filesystem::path& path);

} // namespace enso::reports
