#include "reports/verification_summary.hpp"

#include "reports/input_error.hpp"
#include "reports/lenient_json.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

namespace enso::reports {

namespace {

// By whole words, so "broken" never reads as "ok" and "unsat" never as "sat".
VerifyOutcome classify(const std::string& result, const nlohmann::json& entry) {
    std::vector<std::string> words(1);
    for (const char c : result) {
        if (std::isalpha(static_cast<unsigned char>(c))) {
            words.back() += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else if (!words.back().empty()) {
            words.emplace_back();
        }
    }
    auto any_of = [&words](std::initializer_list<std::string_view> vocabulary) {
        return std::any_of(words.begin(), words.end(), [&](const std::string& w) {
            return std::find(vocabulary.begin(), vocabulary.end(), w) != vocabulary.end();
        });
    };
    if (any_of({"failed", "fail", "fails", "violated", "violation", "counterexample", "bug",
                "broken", "sat", "refuted", "error", "invalid"})) {
        return VerifyOutcome::failed;
    }
    if (any_of({"proved", "proven", "pass", "passed", "ok", "holds", "verified", "unsat", "success",
                "valid"})) {
        return VerifyOutcome::proved;
    }
    if (entry.contains("proved") && entry["proved"].is_boolean()) {
        return entry["proved"].get<bool>() ? VerifyOutcome::proved : VerifyOutcome::failed;
    }
    return VerifyOutcome::unknown;
}

const nlohmann::json* handler_list(const nlohmann::json& doc) {
    if (doc.is_array()) {
        return &doc;
    }
    if (doc.is_object()) {
        for (const char* k : {"handlers", "results", "proofs", "checks"}) {
            if (doc.contains(k) && doc[k].is_array()) {
                return &doc[k];
            }
        }
    }
    return nullptr;
}

} // namespace

std::string_view outcome_name(VerifyOutcome outcome) {
    switch (outcome) {
    case VerifyOutcome::proved:
        return "proved";
    case VerifyOutcome::failed:
        return "failed";
    case VerifyOutcome::unknown:
        return "unknown";
    }
    return "unknown";
}

int VerificationSummary::count(VerifyOutcome outcome) const {
    return static_cast<int>(
        std::count_if(handlers.begin(), handlers.end(),
                      [outcome](const auto& h) { return h.outcome == outcome; }));
}

double VerificationSummary::total_seconds() const {
    double total = 0;
    for (const auto& h : handlers) {
        total += h.seconds.value_or(0);
    }
    return total;
}

VerificationSummary load_verification_summary(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        throw InputError(path, "no such file");
    }
    std::ifstream in(path);
    if (!in) {
        throw InputError(path, "cannot be read");
    }
    std::stringstream text;
    text << in.rdbuf();
    const auto doc = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
        throw InputError(path, "not valid JSON (expected `enso verify --json` output)");
    }
    const auto* list = handler_list(doc);
    if (list == nullptr) {
        throw InputError(path, "no list of handlers (expected a list of {handler, paths, result, "
                               "seconds}, or one under \"handlers\")");
    }
    VerificationSummary s;
    s.path = path;
    const auto base = path.parent_path();
    size_t i = 0;
    for (const auto& e : *list) {
        const size_t at = i++;
        if (!e.is_object()) {
            s.warnings.push_back(fmt::format("entry {} is not an object: skipped", at));
            continue;
        }
        VerifiedHandler h;
        h.handler = first_string(e, {"handler", "name", "hypercall", "operation"});
        if (h.handler.empty()) {
            s.warnings.push_back(fmt::format("entry {} names no handler: skipped", at));
            continue;
        }
        if (auto p = first_number(e, {"paths", "path_count", "num_paths"})) {
            h.paths = static_cast<long long>(*p);
        }
        h.result = first_string(e, {"result", "status", "verdict", "outcome"});
        h.outcome = classify(h.result, e);
        // Failures listed per query ({invariant, reason, counterexample...}).
        const nlohmann::json* failures =
            e.contains("failures") && e["failures"].is_array() ? &e["failures"] : nullptr;
        if (h.result.empty() && failures != nullptr && !failures->empty()) {
            h.outcome = VerifyOutcome::failed;
        }
        if (h.result.empty()) {
            h.result = std::string(outcome_name(h.outcome));
        }
        h.seconds = first_number(e, {"seconds", "time_s", "time", "elapsed_s", "duration_s"});
        h.detail = first_string(e, {"message", "detail", "invariant", "reason", "error"});
        if (h.detail.empty() && failures != nullptr && !failures->empty() &&
            (*failures)[0].is_object()) {
            h.detail = first_string((*failures)[0], {"invariant", "reason", "message"});
            if (failures->size() > 1) {
                h.detail += fmt::format(" (and {} more)", failures->size() - 1);
            }
        }
        auto add_cex = [&](const nlohmann::json& v) {
            if (v.is_string() && !v.get<std::string>().empty()) {
                std::filesystem::path p = v.get<std::string>();
                h.counterexamples.push_back(p.is_absolute() ? p : base / p);
            } else if (v.is_object()) {
                const auto file = first_string(v, {"svg", "path", "file", "dot"});
                if (!file.empty()) {
                    std::filesystem::path p = file;
                    h.counterexamples.push_back(p.is_absolute() ? p : base / p);
                }
            }
        };
        for (const char* k : {"counterexample", "counterexample_svg", "svg"}) {
            if (e.contains(k)) {
                add_cex(e[k]);
            }
        }
        if (e.contains("counterexamples") && e["counterexamples"].is_array()) {
            for (const auto& v : e["counterexamples"]) {
                add_cex(v);
            }
        }
        if (failures != nullptr) {
            for (const auto& f : *failures) {
                for (const char* k : {"counterexample_svg", "svg", "picture"}) {
                    if (f.is_object() && f.contains(k)) {
                        add_cex(f[k]);
                    }
                }
            }
        }
        s.handlers.push_back(std::move(h));
    }
    return s;
}

} // namespace enso::reports
