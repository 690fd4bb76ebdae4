// The exitless poller (exitless_poller.hpp).
#include "hvcore/kvm/exitless_poller.hpp"

#include "hvcore/abi/hypercall_ports.hpp"
#include "hvcore/kvm/cpu_affinity.hpp"
#include "hvcore/kvm/kvm_error.hpp"

#include <sys/eventfd.h>

#include <poll.h>
#include <unistd.h>

namespace enso::kvm {

namespace {

void drain(int fd) {
    std::uint64_t v = 0;
    while (::read(fd, &v, sizeof v) == static_cast<ssize_t>(sizeof v)) {
    }
}

inline void cpu_relax() {
    __builtin_ia32_pause();
}

} // namespace

ExitlessPoller::ExitlessPoller(Hooks hooks, std::chrono::microseconds idle, int cpu)
    : hooks_(std::move(hooks)), idle_(idle) {
    wake_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake_fd_.valid()) {
        throw_errno("eventfd for the poller");
    }
    thread_ = std::thread([this, cpu] {
        if (cpu >= 0) {
            (void)pin_current_thread(cpu);
        }
        loop();
    });
}

ExitlessPoller::~ExitlessPoller() {
    stop_.store(true);
    wake();
    thread_.join();
}

void ExitlessPoller::add(std::uint16_t d, abi::ExitlessSlot* slot, UniqueFd kick) {
    {
        std::lock_guard lock(clients_mu_);
        Client c;
        c.domid = d;
        c.slot = slot;
        c.kick = std::move(kick);
        c.answered_seq = slot->req_seq;
        slot->resp_seq = slot->req_seq;
        clients_.push_back(std::move(c));
    }
    changed_.store(true);
    wake();
}

void ExitlessPoller::remove(std::uint16_t d) {
    std::lock_guard lock(clients_mu_);
    std::erase_if(clients_, [d](const Client& c) { return c.domid == d; });
}

void ExitlessPoller::wake() {
    const std::uint64_t one = 1;
    (void)::write(wake_fd_.get(), &one, sizeof one);
}

ExitlessPoller::Stats ExitlessPoller::stats() const {
    return {calls_.load(), sleeps_.load()};
}

std::string ExitlessPoller::describe() {
    std::lock_guard lock(clients_mu_);
    std::string out;
    for (const auto& c : clients_) {
        out += "domain " + std::to_string(c.domid) + ": req " + std::to_string(c.slot->req_seq) +
               " resp " + std::to_string(c.slot->resp_seq) + " answered " +
               std::to_string(c.answered_seq) + " nr " + std::to_string(c.slot->nr) +
               (c.blocked ? " blocked" : "") + (c.slot->poller_asleep != 0 ? " asleep" : "") +
               (c.slot->vcpu_work != 0 ? " vcpu_work" : "") + "\n";
    }
    return out;
}

void ExitlessPoller::answer(Client& c, std::uint64_t seq, const CallOutcome& out) {
    c.slot->result = out.result;
    c.slot->vcpu_work = out.vcpu_work ? 1 : 0;
    __atomic_store_n(&c.slot->resp_seq, seq, __ATOMIC_RELEASE);
    c.answered_seq = seq;
    c.blocked = false;
    if (hooks_.answered) {
        hooks_.answered(c.domid);
    }
}

bool ExitlessPoller::poll_once() {
    bool worked = false;
    std::lock_guard lock(clients_mu_);
    for (auto& c : clients_) {
        const std::uint64_t seq = __atomic_load_n(&c.slot->req_seq, __ATOMIC_ACQUIRE);
        if (c.blocked) {
            if (hooks_.ready(c.domid)) {
                answer(c, c.answered_seq + 1, {});
                worked = true;
            }
            continue;
        }
        if (seq == c.answered_seq) {
            continue;
        }
        worked = true;
        const std::uint64_t nr = c.slot->nr;
        if (nr == abi::kFloorHypercall) {
            answer(c, seq, {});
            continue;
        }
        core::HypercallArgs args{};
        for (std::size_t i = 0; i < args.size(); ++i) {
            args[i] = c.slot->args[i];
        }
        const auto out = hooks_.call(c.domid, nr, args);
        calls_.fetch_add(1, std::memory_order_relaxed);
        if (out.block && !hooks_.ready(c.domid)) {
            c.blocked = true;
            c.answered_seq = seq - 1; // answered later with seq
            continue;
        }
        answer(c, seq, out);
    }
    return worked;
}

void ExitlessPoller::sleep() {
    std::vector<pollfd> fds;
    {
        std::lock_guard lock(clients_mu_);
        for (auto& c : clients_) {
            c.slot->poller_asleep = 1;
        }
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        for (auto& c : clients_) {
            if (c.slot->req_seq != c.answered_seq && !c.blocked) {
                for (auto& x : clients_) {
                    x.slot->poller_asleep = 0;
                }
                return; // a call came in meanwhile
            }
            fds.push_back({c.kick.get(), POLLIN, 0});
        }
    }
    fds.push_back({wake_fd_.get(), POLLIN, 0});
    sleeps_.fetch_add(1, std::memory_order_relaxed);
    // Blocked calls are re-checked at least this often.
    constexpr int kRecheckMs = 20;
    (void)::poll(fds.data(), fds.size(), kRecheckMs);
    for (const auto& p : fds) {
        drain(p.fd);
    }
    std::lock_guard lock(clients_mu_);
    for (auto& c : clients_) {
        c.slot->poller_asleep = 0;
    }
}

void ExitlessPoller::loop() {
    auto last_call = std::chrono::steady_clock::now();
    while (!stop_.load(std::memory_order_relaxed)) {
        if (poll_once()) {
            last_call = std::chrono::steady_clock::now();
            continue;
        }
        // Check the clock only every so many empty rounds: it is not free.
        for (int i = 0; i < 64; ++i) {
            cpu_relax();
        }
        if (std::chrono::steady_clock::now() - last_call > idle_) {
            sleep();
            last_call = std::chrono::steady_clock::now();
        }
    }
}

} // namespace enso::kvm
