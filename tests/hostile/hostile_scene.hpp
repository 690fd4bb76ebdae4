// One hostile test's world: a monitor, a victim (the real guest kernel,
// which fills frames with known patterns and later verifies them itself) and
// one attacker (a kernel of tests/hostile/<name>). After the attack: every
// invariant holds, with the attacker stopped and again once it is destroyed;
// the victim's memory is intact by its own check, its grants end cleanly
// (nobody still maps them), it still answers, and no frame leaked.
#pragma once

#include "hvcore/abi/command_page.hpp"
#include "hvcore/core/invariants.hpp"
#include "hvcore/kvm/monitor.hpp"
#include "tests/hostile/common/go_args.hpp"

#include <catch2/catch.hpp>
#include <xen/sched.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <string>
#include <thread>
#include <vector>

namespace enso::test {

using abi::Transport;
using kvm::CommandOutcome;
using kvm::Monitor;
using kvm::StopKind;

inline constexpr std::uint32_t kVictimPages = 1024;
inline constexpr std::uint32_t kAttackerPages = 1024;
inline constexpr std::uint32_t kPatternFrames = 4;
inline constexpr auto kCommandDeadline = std::chrono::seconds(20);

inline std::string hostile_kernel(const std::string& name) {
    return std::string(ENSO_HOSTILE_KERNEL_DIR) + "/" + name;
}

inline const char* transport_name(Transport t) {
    return t == abi::kTransportTrap ? "trap" : "exitless";
}

// A grant the victim made: checked (when the attacker could not write it)
// and ended at the end.
struct VictimGrant {
    std::uint64_t ref = 0;
    std::uint64_t frame = 0;
    std::uint8_t fill = 0;
    bool attacker_may_write = false;
};

// Whether the attacker gets the domain id of a guest destroyed just before
// it (the monitor hands out the lowest free id).
enum class Predecessor { none, destroyed };

class Scene;

struct SceneOptions {
    Predecessor before = Predecessor::none;
    std::uint32_t victim_pages = kVictimPages;
    // Runs once the victim is set up, before the attacker exists (what it
    // allocates is not counted as the attacker's).
    std::function<void(Scene&)> prepare;
};

class Scene {
public:
    Scene(const std::string& attack, Transport transport, const SceneOptions& options = {})
        : attack_(attack), transport_(transport) {
        kvm::DomainConfig config;
        config.pages = options.victim_pages;
        config.transport = abi::kTransportTrap;
        victim = m.start_domain(config);
        require_answers(victim);
        for (std::uint32_t i = 0; i < kPatternFrames; ++i) {
            const std::uint64_t seed = 0x5eed0000ULL + i * 0x1111ULL;
            const auto out = m.command(victim, abi::kCmdPatternFill, {seed}, kCommandDeadline);
            REQUIRE(out.completed);
            REQUIRE(out.status == 0);
            patterns_.push_back({out.values[0], seed});
        }
        if (options.prepare) {
            options.prepare(*this);
        }
        free_before_ = core_free_frames();
        if (options.before == Predecessor::destroyed) {
            predecessor = m.start_domain(config);
            require_answers(predecessor);
            predecessor_dom0_port = m.built(predecessor).dom0_cmd_port;
            m.destroy_domain(predecessor);
            require_invariants("after the predecessor was destroyed");
        }
        config.pages = kAttackerPages;
        config.transport = transport;
        config.kernel = hostile_kernel(attack);
        // The platform would pick a fresh id; the attack needs the old one.
        config.domid = predecessor;
        attacker = m.start_domain(config);
    }

    // The frames the victim filled itself.
    [[nodiscard]] std::uint64_t victim_frame(std::size_t i = 0) const {
        return patterns_.at(i).mfn;
    }
    std::uint64_t victim_l4() { return m.built(victim).l4; }

    // The victim grants a frame filled with `fill` to domain `to`.
    VictimGrant victim_grant(std::uint16_t to, bool readonly, std::uint8_t fill) {
        const auto out = m.command(victim, abi::kCmdGrantOfferTo, {readonly ? 1U : 0U, fill, to},
                                   kCommandDeadline);
        REQUIRE(out.completed);
        REQUIRE(out.status == 0);
        VictimGrant g{out.values[0], out.values[1], fill, !readonly && to == attacker};
        grants_.push_back(g);
        return g;
    }

    // Posts a command to the attacker (the go command, or a next step).
    CommandOutcome go(std::initializer_list<std::uint64_t> args,
                      std::chrono::milliseconds deadline = kCommandDeadline) {
        return m.command(attacker, abi::kCmdPing, args, deadline);
    }

    // The attacker ran to its verdict and every check held.
    void require_pass(const CommandOutcome& out) {
        INFO(console());
        INFO((out.stop ? out.stop->describe() : std::string("not stopped")));
        REQUIRE(out.completed);
        CHECK(out.values[hostile::kValFailures] == 0);
        CHECK(out.values[hostile::kValChecks] > 0);
        REQUIRE(out.status == 0);
        REQUIRE(console().find("hostile: " + attack_ + ": PASS") != std::string::npos);
    }

    // The attacker was stopped (a fault, or the deadline) and never said FAIL.
    void require_stopped(const CommandOutcome& out, StopKind kind) {
        INFO(console());
        REQUIRE_FALSE(out.completed);
        REQUIRE(out.stop.has_value());
        INFO(out.stop->describe());
        CHECK(out.stop->kind == kind);
        CHECK(console().find(": FAIL") == std::string::npos);
        stopped_by_test_ = true;
    }

    // The attacker will not stop by itself: finish() destroys it as it is.
    void leave_running() { stopped_by_test_ = true; }

    std::string console() { return m.console(attacker); }

    // Waits until the attacker's console shows `text` (at most 10 s).
    bool wait_console(const std::string& text) {
        for (int i = 0; i < 2000; ++i) {
            if (console().find(text) != std::string::npos) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return false;
    }

    // One hypercall made by the victim (kCmdHypercall), its argument
    // structure (if any) in the command page's data area: returns rax.
    template <class T>
    std::int64_t victim_call(std::uint64_t nr, std::uint64_t a0, T* arg) {
        std::uint8_t* data = m.command_data(victim);
        std::memcpy(data, arg, sizeof *arg);
        const auto out = m.command(victim, abi::kCmdHypercall, {nr, a0, Monitor::command_data_va()},
                                   kCommandDeadline);
        REQUIRE(out.completed);
        std::memcpy(arg, data, sizeof *arg);
        return out.status;
    }

    void require_invariants(const char* when) {
        const auto violations = m.with_core(
            [](core::Core& c, core::Dispatcher&) { return core::check_invariants(c.state()); });
        INFO(when);
        INFO(core::describe(violations));
        REQUIRE(violations.empty());
    }

    // The victim still answers, runs hypercalls and finds its memory intact.
    void require_victim_intact() {
        require_answers(victim);
        const auto null = m.command(victim, abi::kCmdNull, {16}, kCommandDeadline);
        REQUIRE(null.completed);
        CHECK(null.status == 0);
        CHECK(null.iterations == 16);
        for (const auto& p : patterns_) {
            const auto out =
                m.command(victim, abi::kCmdPatternCheck, {p.mfn, p.seed, 0}, kCommandDeadline);
            INFO("pattern frame " << p.mfn << ": " << m.console(victim));
            REQUIRE(out.completed);
            CHECK(out.status == 0);
        }
        for (const auto& g : grants_) {
            if (g.attacker_may_write) {
                continue;
            }
            const auto out =
                m.command(victim, abi::kCmdPatternCheck, {g.frame, g.fill, 1}, kCommandDeadline);
            INFO("granted frame " << g.frame << ": " << m.console(victim));
            REQUIRE(out.completed);
            CHECK(out.status == 0);
        }
    }

    // Waits for the attacker's own shutdown (unless the test stopped it),
    // then checks everything, destroys it and checks again.
    void finish() {
        if (!stopped_by_test_) {
            // After its verdict the attacker shuts down on the next command.
            if (!m.stopped(attacker)) {
                const auto bye = m.command(attacker, abi::kCmdShutdown, {}, kCommandDeadline);
                CHECK_FALSE(bye.completed);
            }
            const auto stop = wait_stopped(attacker);
            INFO(console());
            INFO(stop.describe());
            CHECK(stop.kind == StopKind::shutdown);
            CHECK(stop.shutdown_code == SHUTDOWN_poweroff);
        }
        require_invariants("with the attacker stopped");
        m.destroy_domain(attacker);
        require_invariants("after the attacker was destroyed");
        require_victim_intact();
        for (const auto& g : grants_) {
            const auto out = m.command(victim, abi::kCmdGrantEnd, {g.ref}, kCommandDeadline);
            INFO("ending grant " << g.ref);
            REQUIRE(out.completed);
            CHECK(out.status == 0);
        }
        require_invariants("after the victim ended its grants");
        CHECK(core_free_frames() == free_before_); // nothing the attacker had leaked
    }

    // Domain 0's ports that are not closed.
    std::uint32_t dom0_open_ports() {
        return m.with_core([](core::Core& c, core::Dispatcher&) {
            std::uint32_t n = 0;
            for (std::uint32_t p = 1; p < core::kMaxPorts; ++p) {
                n += c.state().evtchn.state.get(core::port_index<core::Concrete>(0, p)) !=
                             EVTCHNSTAT_closed
                         ? 1
                         : 0;
            }
            return n;
        });
    }

    Monitor m;
    std::uint16_t victim = 0;
    std::uint16_t attacker = 0;
    std::uint16_t predecessor = 0;           // Predecessor::destroyed: its id, now the attacker's
    std::uint32_t predecessor_dom0_port = 0; // domain 0's end of its command channel

private:
    struct Pattern {
        std::uint64_t mfn;
        std::uint64_t seed;
    };

    void require_answers(std::uint16_t d) {
        const auto ping = m.command(d, abi::kCmdPing, {7}, kCommandDeadline);
        INFO(m.console(d));
        REQUIRE(ping.completed);
        REQUIRE(ping.values[0] == (abi::kPingMagic ^ 7));
    }

    kvm::GuestStop wait_stopped(std::uint16_t d) {
        for (int i = 0; i < 2000; ++i) {
            if (auto stop = m.stopped(d)) {
                return *stop;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        FAIL("domain " << d << " did not stop within 10 s");
        return {};
    }

    std::uint32_t core_free_frames() {
        return m.with_core([](core::Core& c, core::Dispatcher&) { return c.free_frames(); });
    }

    std::string attack_;
    Transport transport_;
    std::vector<Pattern> patterns_;
    std::vector<VictimGrant> grants_;
    std::uint32_t free_before_ = 0;
    bool stopped_by_test_ = false;
};

// Runs body once per transport of the attacker (the victim always traps).
template <class Body>
void each_transport(Body&& body) {
    for (auto t : {abi::kTransportTrap, abi::kTransportExitless}) {
        INFO("attacker transport: " << transport_name(t));
        body(t);
    }
}

} // namespace enso::test
