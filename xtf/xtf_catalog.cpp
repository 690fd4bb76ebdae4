// Reading XTF's makefiles (NAME, CATEGORY, TEST-ENVS and common.mk's
// environment sets) and building one test in a copy of the tree.
#include "xtf/xtf_catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace enso::xtf {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) {
        out.push_back(w);
    }
    return out;
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    const auto e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// "VAR := value" / "VAR = value" lines of a makefile (continuations joined,
// comments dropped), last assignment wins; other lines are ignored.
std::map<std::string, std::string> assignments(const fs::path& file) {
    std::ifstream in(file);
    if (!in) {
        throw std::runtime_error(file.string() + ": cannot open");
    }
    std::map<std::string, std::string> out;
    std::string line;
    std::string logical;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\\') {
            logical += line.substr(0, line.size() - 1) + " ";
            continue;
        }
        logical += line;
        const auto hash = logical.find('#');
        if (hash != std::string::npos) {
            logical.resize(hash);
        }
        if (!logical.empty() && logical.front() != '\t') {
            const auto eq = logical.find('=');
            if (eq != std::string::npos && eq > 0) {
                std::string name = logical.substr(0, eq);
                if (!name.empty() &&
                    (name.back() == ':' || name.back() == '?' || name.back() == '+')) {
                    name.pop_back();
                }
                name = trim(name);
                if (!name.empty() && name.find_first_of(" \t$()") == std::string::npos) {
                    out[name] = trim(logical.substr(eq + 1));
                }
            }
        }
        logical.clear();
    }
    return out;
}

// A make pattern with one '%' (or none) against a word.
bool pattern_matches(const std::string& pattern, const std::string& word) {
    const auto pct = pattern.find('%');
    if (pct == std::string::npos) {
        return pattern == word;
    }
    const std::string pre = pattern.substr(0, pct);
    const std::string post = pattern.substr(pct + 1);
    return word.size() >= pre.size() + post.size() && word.starts_with(pre) && word.ends_with(post);
}

// A variation's command line: cmdline="..." in tests/<name>/<v>.cfg.in, or
// else in config/<v>.cfg.in (where XTF's gen.mk looks too); none is empty.
std::string variation_cmdline(const fs::path& root, const fs::path& dir, const std::string& v) {
    for (const fs::path& cfg : {dir / (v + ".cfg.in"), root / "config" / (v + ".cfg.in")}) {
        std::ifstream in(cfg);
        if (!in) {
            continue;
        }
        for (std::string line; std::getline(in, line);) {
            line = trim(line);
            if (line.starts_with("cmdline") && line.find('"') != std::string::npos) {
                const auto open = line.find('"');
                const auto close = line.find('"', open + 1);
                if (close != std::string::npos) {
                    return line.substr(open + 1, close - open - 1);
                }
            }
        }
        return {};
    }
    throw std::runtime_error(fmt::format("{}: VARY-CFG names '{}', which has no {}.cfg.in",
                                         (dir / "Makefile").string(), v, v));
}

} // namespace

std::vector<XtfRunSpec> xtf_runs(const XtfTest& test) {
    if (test.variations.empty()) {
        return {{test.name, "", test.vcpus}};
    }
    std::vector<XtfRunSpec> out;
    for (const auto& v : test.variations) {
        out.push_back({test.name + "~" + v.name, v.cmdline, test.vcpus});
    }
    return out;
}

bool XtfTest::has_env(const std::string& env) const {
    return std::find(envs.begin(), envs.end(), env) != envs.end();
}

std::map<std::string, std::vector<std::string>> xtf_environment_sets(const fs::path& root) {
    const fs::path file = root / "build/common.mk";
    const auto vars = assignments(file);
    const auto all = vars.find("ALL_ENVIRONMENTS");
    if (all == vars.end() || all->second.find('$') != std::string::npos) {
        throw std::runtime_error(file.string() + ": no literal ALL_ENVIRONMENTS");
    }
    std::map<std::string, std::vector<std::string>> sets;
    sets["ALL_ENVIRONMENTS"] = words(all->second);
    const std::string tail = ",$(ALL_ENVIRONMENTS))";
    for (const auto& [name, value] : vars) {
        if (!name.ends_with("_ENVIRONMENTS") || name == "ALL_ENVIRONMENTS") {
            continue;
        }
        if (!value.starts_with("$(filter ") || !value.ends_with(tail)) {
            continue; // not a subset of the full list: not an environment set
        }
        const auto patterns = words(value.substr(9, value.size() - 9 - tail.size()));
        std::vector<std::string> subset;
        for (const auto& env : sets["ALL_ENVIRONMENTS"]) {
            if (std::any_of(patterns.begin(), patterns.end(),
                            [&](const std::string& p) { return pattern_matches(p, env); })) {
                subset.push_back(env);
            }
        }
        sets[name] = subset;
    }
    return sets;
}

std::vector<XtfTest> list_xtf_tests(const fs::path& root) {
    const auto sets = xtf_environment_sets(root);
    const auto& all = sets.at("ALL_ENVIRONMENTS");
    std::vector<XtfTest> tests;
    const fs::path dir = root / "tests";
    if (!fs::is_directory(dir)) {
        throw std::runtime_error(dir.string() + ": not a directory");
    }
    for (const auto& entry : fs::directory_iterator(dir)) {
        const fs::path makefile = entry.path() / "Makefile";
        if (!entry.is_directory() || !fs::exists(makefile)) {
            continue;
        }
        const auto vars = assignments(makefile);
        XtfTest t;
        t.dir = entry.path();
        const auto get = [&](const char* key) {
            const auto it = vars.find(key);
            if (it == vars.end() || it->second.empty()) {
                throw std::runtime_error(fmt::format("{}: no {}", makefile.string(), key));
            }
            return it->second;
        };
        t.name = get("NAME");
        t.category = get("CATEGORY");
        for (const auto& w : words(get("TEST-ENVS"))) {
            if (w.starts_with("$(") && w.ends_with(")")) {
                const auto set = sets.find(w.substr(2, w.size() - 3));
                if (set == sets.end()) {
                    throw std::runtime_error(
                        fmt::format("{}: TEST-ENVS uses {}, which build/common.mk does not "
                                    "define as a set of environments",
                                    makefile.string(), w));
                }
                t.envs.insert(t.envs.end(), set->second.begin(), set->second.end());
            } else if (std::find(all.begin(), all.end(), w) != all.end()) {
                t.envs.push_back(w);
            } else {
                throw std::runtime_error(fmt::format("{}: TEST-ENVS names '{}', not an environment",
                                                     makefile.string(), w));
            }
        }
        if (const auto n = vars.find("VCPUS"); n != vars.end()) {
            const auto& text = n->second;
            unsigned v = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (ec != std::errc{} || end != text.data() + text.size() || v == 0) {
                throw std::runtime_error(
                    fmt::format("{}: VCPUS is '{}', not a count", makefile.string(), text));
            }
            t.vcpus = v;
        }
        if (const auto vary = vars.find("VARY-CFG"); vary != vars.end()) {
            for (const auto& v : words(vary->second)) {
                t.variations.push_back({v, variation_cmdline(root, t.dir, v)});
            }
        }
        tests.push_back(std::move(t));
    }
    std::sort(tests.begin(), tests.end(),
              [](const XtfTest& a, const XtfTest& b) { return a.name < b.name; });
    return tests;
}

std::vector<XtfTest> xtf_tests_for(const std::vector<XtfTest>& tests, const std::string& env) {
    std::vector<XtfTest> out;
    std::copy_if(tests.begin(), tests.end(), std::back_inserter(out),
                 [&](const XtfTest& t) { return t.has_env(env); });
    return out;
}

XtfBuild build_xtf_test(const fs::path& root, const fs::path& copy, const XtfTest& test,
                        const std::string& env, unsigned jobs) {
    XtfBuild out;
    if (!test.has_env(env)) {
        out.log = fmt::format("{} does not run in {}", test.name, env);
        return out;
    }
    std::error_code ec;
    if (!fs::exists(copy / "build/common.mk")) {
        fs::create_directories(copy, ec);
        fs::copy(root, copy, fs::copy_options::recursive, ec);
        if (ec) {
            out.log =
                fmt::format("copying {} to {}: {}", root.string(), copy.string(), ec.message());
            return out;
        }
    }
    const fs::path dir = copy / "tests" / test.dir.filename();
    const fs::path log = copy / fmt::format("make-{}-{}.log", env, test.name);
    // TEST-ENVS on the command line overrides the test's own list: only env is built.
    const std::string cmd =
        fmt::format("make -s -j{} -C '{}' 'TESTS={}' 'TEST-ENVS={}' > '{}' 2>&1", jobs,
                    copy.string(), dir.string(), env, log.string());
    const int rc = std::system(cmd.c_str());
    std::ifstream in(log);
    std::ostringstream text;
    text << in.rdbuf();
    out.log = text.str();
    out.binary = dir / fmt::format("test-{}-{}", env, test.name);
    out.ok = rc == 0 && fs::exists(out.binary);
    if (!out.ok && out.log.empty()) {
        out.log = fmt::format("`{}` exited with {}", cmd, rc);
    }
    return out;
}

std::vector<XtfBuild> build_xtf_tests(const fs::path& root, const fs::path& copy,
                                      const std::vector<XtfTest>& tests, const std::string& env,
                                      unsigned jobs) {
    std::vector<XtfBuild> out(tests.size());
    std::error_code ec;
    if (!fs::exists(copy / "build/common.mk")) {
        fs::create_directories(copy, ec);
        fs::copy(root, copy, fs::copy_options::recursive, ec);
        if (ec) {
            for (auto& b : out) {
                b.log =
                    fmt::format("copying {} to {}: {}", root.string(), copy.string(), ec.message());
            }
            return out;
        }
    }
    std::string dirs;
    for (const auto& t : tests) {
        if (t.has_env(env)) {
            dirs += (copy / "tests" / t.dir.filename()).string() + " ";
        }
    }
    const fs::path log = copy / fmt::format("make-{}.log", env);
    const std::string cmd =
        fmt::format("make -s -k -j{} -C '{}' 'TESTS={}' 'TEST-ENVS={}' > '{}' 2>&1", jobs,
                    copy.string(), dirs, env, log.string());
    (void)std::system(cmd.c_str());
    std::ifstream in(log);
    std::ostringstream text;
    text << in.rdbuf();
    for (std::size_t i = 0; i < tests.size(); ++i) {
        const fs::path dir = copy / "tests" / tests[i].dir.filename();
        out[i].binary = dir / fmt::format("test-{}-{}", env, tests[i].name);
        out[i].ok = tests[i].has_env(env) && fs::exists(out[i].binary);
        if (!out[i].ok) {
            out[i].log = tests[i].has_env(env)
                             ? text.str()
                             : fmt::format("{} does not run in {}", tests[i].name, env);
        }
    }
    return out;
}

} // namespace enso::xtf
