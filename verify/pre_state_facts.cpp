// What a query may assume of the pre-state (pre_state_facts.hpp).
#include "verify/pre_state_facts.hpp"

#include "verify/reference_counts.hpp"
#include "verify/symbolic_invariants.hpp"

namespace enso::verify {

namespace {

// Calls emit with every combination of one term from each pool, the first
// pool varying fastest; once with none if there are no pools.
template <class Emit>
void for_each_combination(const std::vector<std::vector<z3::expr>>& pools, Emit&& emit) {
    for (const auto& p : pools) {
        if (p.empty()) {
            return;
        }
    }
    std::vector<std::size_t> at(pools.size(), 0);
    while (true) {
        std::vector<z3::expr> b;
        for (std::size_t k = 0; k < pools.size(); ++k) {
            b.push_back(pools[k][at[k]]);
        }
        emit(b);
        std::size_t k = 0;
        while (k < pools.size() && ++at[k] == pools[k].size()) {
            at[k++] = 0;
        }
        if (k == pools.size()) {
            return;
        }
    }
}

// What is instantiated, in this order: the invariants, the coverage
// lemmas, the handler's assumed rules.
std::vector<const Invariant*> pre_state_rules(const HandlerSpec& spec) {
    std::vector<const Invariant*> rules;
    for (const auto& inv : state_invariants()) {
        rules.push_back(&inv);
    }
    for (const auto& lemma : coverage_lemmas()) {
        rules.push_back(&lemma);
    }
    for (const auto& rule : spec.assumed) {
        rules.push_back(&rule);
    }
    for (const auto& rule : spec.kept) {
        rules.push_back(&rule);
    }
    return rules;
}

} // namespace

IndexTerms query_terms(const PathContext& path, const z3::expr& query,
                       const z3::expr_vector& facts) {
    IndexTerms terms;
    terms.collect(query);
    terms.collect(path.condition);
    for (unsigned k = 0; k < facts.size(); ++k) {
        terms.collect(facts[k]);
    }
    for (const auto& [f, w] : path.writes.words) {
        terms.add_entry(f, w);
    }
    return terms;
}

void add_instances(const PathContext& path, z3::expr_vector& facts, IndexTerms& terms,
                   unsigned rounds, InstanceKeys& taken) {
    const std::vector<const Invariant*> rules = pre_state_rules(path.spec);
    for (unsigned round = 0; round < rounds; ++round) {
        const unsigned first = facts.size();
        for (unsigned n = 0; n < rules.size(); ++n) {
            const Invariant& rule = *rules[n];
            auto emit = [&](const std::vector<z3::expr>& b) {
                std::vector<unsigned> key{n};
                for (const auto& e : b) {
                    key.push_back(e.id());
                }
                if (taken.insert(key).second) {
                    facts.push_back(rule.body(path.pre, b));
                }
            };
            if (rule.instances == Instances::PerWord) {
                const auto words = terms.entries();
                for (const auto& [t, i] : words) {
                    emit({t, i});
                }
                continue;
            }
            std::vector<std::vector<z3::expr>> pools;
            for (const auto c : rule.binders) {
                pools.push_back(terms.of(c));
            }
            for_each_combination(pools, emit);
        }
        if (round + 1 < rounds) {
            for (unsigned k = first; k < facts.size(); ++k) {
                terms.collect(facts[k]);
            }
        }
    }
}

void add_sum_bounds(const PathContext& path, z3::expr_vector& facts,
                    const std::vector<Object>& named, const std::vector<FamilyTarget>& targets) {
    for (std::size_t fi = 0; fi < count_families().size(); ++fi) {
        const CountFamily& f = count_families()[fi];
        std::vector<z3::expr> xs;
        for (const auto& a : f.counter_arrays) {
            const auto& w = path.writes.of(a);
            xs.insert(xs.end(), w.begin(), w.end());
        }
        for (const auto& [tf, x] : targets) {
            if (tf == fi) {
                xs.push_back(x);
            }
        }
        std::vector<Object> objs = path.changed(f);
        for (const auto& o : named) {
            for (const auto k : f.kinds) {
                if (o.kind == k) {
                    objs.push_back(o);
                }
            }
        }
        if (xs.empty() || objs.empty()) {
            continue;
        }
        for (const auto& x : xs) {
            facts.push_back(
                z3::implies(f.target_ok(path.pre, x),
                            z3::uge(f.counter(path.pre, x), distinct_sum(f, path.pre, objs, x))));
        }
    }
}

} // namespace enso::verify
