// Replays a counterexample through the concrete semantics: builds the
// pre-state it describes on a real (small) machine, checks it with the
// concrete invariant checker, runs the handler's concrete instantiation
// with the same arguments, and checks again. The two semantics agree when
// the concrete checker reports, after the handler, one of the checks the
// symbolic failure names, on a pre-state it found sound.
//
// A model only fixes the state where the query looked; the rest is built
// empty, and what the model leaves inconsistent there is repaired the way
// the state must be: exact reference counts, pins and tot_pages recomputed
// from the uses, status bits from the pins, a live domain given its own
// shared_info and grant frames.
#pragma once

#include "hvcore/core/invariants.hpp"
#include "verify/counterexample.hpp"
#include "verify/handler_spec.hpp"
#include "verify/replay_domain.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace enso::verify {

// A concrete state with its own machine memory.
class ConcreteMachine {
public:
    explicit ConcreteMachine(std::uint32_t nr_frames);
    ConcreteMachine(const ConcreteMachine& other);
    ConcreteMachine& operator=(const ConcreteMachine&) = delete;

    CState& state() { return state_; }
    [[nodiscard]] const CState& state() const { return state_; }
    // The same state, as the replay's handlers take it (replay_domain.hpp).
    RState& replay_state() { return state_; }

private:
    std::vector<std::byte> memory_;
    RState state_;
};

struct Replay {
    bool built = false; // the counterexample's machine was small enough to build
    std::vector<std::string> repairs;
    std::vector<core::Violation> pre; // the concrete checker before the handler
    core::Rc rc = 0;
    bool ran = false;
    std::vector<core::Violation> post; // ... and after
    bool confirmed = false;
    std::string summary; // one line: what the replay showed
    std::shared_ptr<ConcreteMachine> before;
    std::shared_ptr<ConcreteMachine> after;
};

Replay replay_counterexample(const HandlerSpec& spec, const Counterexample& c);

// The largest machine a counterexample is built on.
inline constexpr std::uint32_t kMaxReplayFrames = 4096;

} // namespace enso::verify
