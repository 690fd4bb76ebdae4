// The blk suite: block I/O from a guest through blkfront/blkback, over each
// back-end data path and notification policy, paired in the same run with
// this host process doing exactly the same I/O on the same image with the
// same engine and flags (native), and with the emulated disk (emulated).
//
// Names: blk/<pattern>/<size>/qd<N>/<mode>, modes
//   guest-<map|copy|persistent>-<poll|kick>   blkfront -> blkback (the data
//       path, and whether the back end polls while busy or sleeps at once);
//       the front end polls its ring for completions;
//   guest-persistent-kick-event   the same, but the front end blocks for the
//       back end's event (SCHEDOP_block) when it has nothing to submit;
//   guest-persistent-kick-irq   completions by interrupt: the back end's
//       event is Xen's upcall, delivered through an irqfd as an interrupt at
//       CPL3 (kvm/irq_setup.hpp), whose handler consumes the responses; with
//       nothing to submit the front end re-arms rsp_event and waits for it
//       with the upcall unmasked. Skipped, with the probe's words, where an
//       interrupt cannot reach CPL3 (kvm/irq_probe.hpp);
//   native     the twin on the host; emulated   the register-based disk.
// Those run with io_uring on an O_DIRECT image. The engine comparison adds
// blk/<pattern>/<size>/qd<N>/<pread|uring>-<direct|buffered>/<mode> rows.
// Time is per I/O (guest: its TSC over the whole run); counters: MBps,
// IOPS, lat_p50_us, lat_p99_us, exits_per_io (KVM's count, in-kernel ones
// included) and guest_exits_per_io (without those the host's interrupts
// caused: KVM's irq_exits), user_exits_per_io, kicks_per_io, waits_per_io
// (times the front end blocked, or waited for an interrupt),
// interrupts_per_io (-irq: upcall interrupts the guest took), host_cpu_us_per_io (this
// process: vCPU, back end and io_uring workers), integrity_ok, qd_used,
// ratio_to_native (IOPS over a twin run right before each iteration, the
// same I/Os: adjacent in time, so the machine's load drift cancels) with
// native_IOPS (those twins'), and on emulated rows
// pv_over_emulated. --enso_quick for a short run.
#include "bench/blk/blk_rig.hpp"
#include "bench/blk/native_twin.hpp"
#include "bench/common/suite_main.hpp"
#include "bench/common/topology.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unistd.h>
#include <vector>

namespace {

using enso::backends::DataPath;
using enso::backends::EngineKind;
using enso::backends::NotifyMode;
using enso::bench::BlkPathConfig;
using enso::bench::BlkRig;
using enso::bench::BlkRunSpec;
using enso::blkio::Pattern;

bool g_quick = false;
bool g_verbose = false; // --enso_blk_verbose: each guest iteration's counters on stderr
// Back-end policy knobs, for exploring (--enso_blk_spin_us=N,
// --enso_blk_backend_nice=N).
long g_spin_us = 50;
int g_backend_nice = 0;
// The whole suite's nice value (--enso_blk_nice=N, 0 to leave it): set
// before any thread exists, so the native twin, the vCPU and the back end
// share it. On a host shared with other work, the twins then compete with
// that work alike and less of its noise reaches the figures.
int g_nice = -10;
// Where the guest path's two busy threads run. By default (two CPUs or more)
// they never share a core, as the platform keeps its exitless poller and
// vCPUs apart: the guest runs over the exitless transport, whose vCPU thread
// the monitor pins to the last CPU (its I/O path makes no hypercall, so the
// transport changes nothing else), and the back end is pinned to CPU 0. When
// they shared a core, each completion waited for the spinning vCPU to be
// preempted. --enso_blk_trap (trap transport, nothing pinned) and
// --enso_blk_cpu=N (N < 0: unpinned) override.
int g_cpu = ::sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 0 : -1;
enso::abi::Transport g_transport = ::sysconf(_SC_NPROCESSORS_ONLN) >= 2
                                       ? enso::abi::kTransportExitless
                                       : enso::abi::kTransportTrap;

int iterations() {
    return g_quick ? 1 : 2;
}
// Seconds of I/O one iteration aims at.
double target_seconds() {
    return g_quick ? 0.06 : 0.2;
}
// $ENSO_BLK_IMAGE_MB overrides (a test's short run).
std::uint64_t image_bytes() {
    if (const char* mb = std::getenv("ENSO_BLK_IMAGE_MB"); mb != nullptr && *mb != '\0') {
        return std::max<std::uint64_t>(16, std::strtoull(mb, nullptr, 10)) << 20;
    }
    return g_quick ? (256ULL << 20) : (1ULL << 30);
}

struct Workload {
    Pattern pattern;
    std::uint64_t bytes;
    std::uint64_t qd;
};

std::string size_name(std::uint64_t bytes) {
    return bytes >= (1ULL << 20) ? fmt::format("{}m", bytes >> 20)
                                 : fmt::format("{}k", bytes >> 10);
}

std::string workload_key(const Workload& w, const std::string& engine_param) {
    auto key = fmt::format("blk/{}/{}/qd{}", enso::blkio::pattern_name(w.pattern),
                           size_name(w.bytes), w.qd);
    return engine_param.empty() ? key : key + "/" + engine_param;
}

struct GuestPath {
    DataPath path;
    NotifyMode notify;
    // The front end blocks for the back end's event when it has nothing to
    // do, instead of polling its ring (kBlkRunWaitEvent): "-event".
    bool wait_event = false;
    // Completions by interrupt (kBlkRunWaitIrq): "-irq".
    bool wait_irq = false;
};

std::string mode_name(const GuestPath& p) {
    return fmt::format("guest-{}-{}{}", enso::backends::data_path_name(p.path),
                       enso::backends::notify_name(p.notify),
                       p.wait_event ? "-event" : (p.wait_irq ? "-irq" : ""));
}

// I/Os per iteration, adjusted after each toward target_seconds().
std::map<std::string, std::uint64_t>& counts() {
    static std::map<std::string, std::uint64_t> c;
    return c;
}
std::uint64_t first_count(const Workload& w, bool emulated) {
    const double guess_iops =
        emulated ? (w.bytes >= (1ULL << 20) ? 400 : 6000) : (w.bytes >= (1ULL << 20) ? 600 : 20000);
    return std::max<std::uint64_t>(8,
                                   static_cast<std::uint64_t>(guess_iops * target_seconds() / 2));
}
void next_count(const std::string& name, std::uint64_t done, double seconds) {
    if (seconds <= 0 || done == 0) {
        return;
    }
    const double want = static_cast<double>(done) * target_seconds() / seconds;
    counts()[name] = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(want), 8, 2000000);
}

// Every row's totals over its iterations.
struct Totals {
    double seconds = 0;
    std::uint64_t ios = 0;
    std::uint64_t bytes = 0;
    double lat_p50_us = 0; // summed over iterations
    double lat_p99_us = 0;
    double exits = 0;
    double host_exits = 0;
    double user_exits = 0;
    double kicks = 0;
    double waits = 0;
    double interrupts = 0;
    double cpu_seconds = 0;
    double qd_used = 0;
    int iterations = 0;
    bool intact = true;
    [[nodiscard]] double iops() const {
        return seconds > 0 ? static_cast<double>(ios) / seconds : 0;
    }
};

// The paravirtual path's IOPS per workload, for the emulated rows' ratio.
std::map<std::string, Totals>& pv_totals() {
    static std::map<std::string, Totals> t;
    return t;
}

void publish(benchmark::State& s, const Totals& t, bool guest) {
    if (t.ios == 0) {
        return;
    }
    const double n = static_cast<double>(t.ios);
    const double it = std::max(1, t.iterations);
    s.counters["IOPS"] = t.iops();
    s.counters["MBps"] = static_cast<double>(t.bytes) / t.seconds / 1e6;
    s.counters["lat_p50_us"] = t.lat_p50_us / it;
    s.counters["lat_p99_us"] = t.lat_p99_us / it;
    s.counters["host_cpu_us_per_io"] = t.cpu_seconds * 1e6 / n;
    s.counters["integrity_ok"] = t.intact ? 1 : 0;
    s.counters["qd_used"] = t.qd_used / it;
    if (guest) {
        s.counters["exits_per_io"] = t.exits / n;
        s.counters["guest_exits_per_io"] = (t.exits - t.host_exits) / n;
        s.counters["user_exits_per_io"] = t.user_exits / n;
        s.counters["kicks_per_io"] = t.kicks / n;
        s.counters["waits_per_io"] = t.waits / n;
        s.counters["interrupts_per_io"] = t.interrupts / n;
    }
}

BlkRunSpec spec_of(const Workload& w, std::uint32_t device, std::uint64_t count,
                   std::uint64_t seed) {
    BlkRunSpec spec;
    spec.pattern = w.pattern;
    spec.device = device;
    spec.io_bytes = w.bytes;
    spec.queue_depth = w.qd;
    spec.count = count;
    spec.seed = seed;
    spec.options = enso::blkio::is_write(w.pattern) ? enso::abi::kBlkRunVerifyWrites : 0;
    return spec;
}

std::uint64_t g_seed = 1;

enso::bench::NativeParams native_params(const Workload& w, std::uint64_t count, EngineKind engine,
                                        bool direct) {
    enso::bench::NativeParams p;
    p.pattern = w.pattern;
    p.io_bytes = w.bytes;
    p.queue_depth = w.qd;
    p.count = count;
    p.seed = ++g_seed;
    p.engine = engine;
    p.direct = direct;
    p.verify_writes = enso::blkio::is_write(w.pattern);
    return p;
}

bool native_intact(const enso::bench::NativeResult& r, const Workload& w) {
    const bool reads = !enso::blkio::is_write(w.pattern);
    return r.io_errors == 0 && r.bad_blocks == 0 && r.readback_bad == 0 &&
           (!reads || r.checked_blocks == r.ios * (w.bytes / 4096));
}

// The session a guest row runs on: blkfront over `path` connected afresh,
// or (no path) the rig's main guest with its emulated disk. Null, with the
// row skipped, when there is none here.
enso::bench::BlkSession* open_session(benchmark::State& s, BlkRig& rig, EngineKind engine,
                                      bool direct, const std::optional<GuestPath>& path) {
    if (!rig.ok()) {
        s.SkipWithError(rig.why().c_str());
        return nullptr;
    }
    if (path && path->wait_irq && !rig.irq_ok()) {
        s.SkipWithError(rig.irq_why().c_str());
        return nullptr;
    }
    if (!path) {
        return &rig.main();
    }
    BlkPathConfig config;
    config.path = path->path;
    config.notify = path->notify;
    config.spin = std::chrono::microseconds(g_spin_us);
    // Set by the thread itself: a back end started after someone reniced
    // this process must not inherit a lower priority than the vCPU it
    // serves (a spinning vCPU would starve it).
    config.nice = g_backend_nice != 0 ? g_backend_nice : g_nice;
    config.cpu = g_cpu;
    try {
        return &rig.connect(engine, direct, config);
    } catch (const std::exception& e) {
        s.SkipWithError(e.what());
        return nullptr;
    }
}

std::uint32_t device_of(const std::optional<GuestPath>& path) {
    return path ? enso::abi::kBlkDevicePv : enso::abi::kBlkDeviceEmulated;
}

// How the front end waits for completions on this path (kBlkRunWait*).
std::uint64_t wait_options(const std::optional<GuestPath>& path) {
    std::uint64_t options = 0;
    if (path && path->wait_event) {
        options |= enso::abi::kBlkRunWaitEvent;
    }
    if (path && path->wait_irq) {
        options |= enso::abi::kBlkRunWaitIrq;
    }
    return options;
}

// Untimed: the first touch of each buffer page (a shadow-paging fault under
// PVM) and each persistent grant's map happen here.
void warm_up(enso::bench::BlkSession& session, const Workload& w, std::uint64_t count,
             const std::optional<GuestPath>& path) {
    auto warm = spec_of(w, device_of(path), std::min<std::uint64_t>(count, 2 * w.qd + 2), ++g_seed);
    if (path && path->wait_irq) {
        warm.options |= enso::abi::kBlkRunWaitIrq;
    }
    (void)session.run(warm);
}

// A guest row's totals, with the ratios to the twins run beside it.
struct GuestTotals {
    Totals t;
    double ratio_sum = 0; // guest IOPS over its paired twin's, per iteration
    double paired_native_iops = 0;
    bool twins_intact = true;
};

// One guest run's figures added to the row's totals.
void add_run(Totals& t, const enso::bench::BlkRunResult& r, double seconds, double tsc_hz,
             const Workload& w) {
    t.seconds += seconds;
    t.ios += r.stats.ios;
    t.bytes += r.stats.bytes;
    t.lat_p50_us += static_cast<double>(r.stats.lat_p50) / tsc_hz * 1e6;
    t.lat_p99_us += static_cast<double>(r.stats.lat_p99) / tsc_hz * 1e6;
    t.exits += static_cast<double>(r.outcome.exits.exits);
    t.host_exits += static_cast<double>(r.host_exits);
    t.user_exits += static_cast<double>(r.outcome.exits.user_exits);
    t.kicks += static_cast<double>(r.stats.kicks);
    t.waits += static_cast<double>(r.stats.waits);
    t.interrupts += static_cast<double>(r.stats.interrupts);
    t.cpu_seconds += r.host_cpu_seconds;
    t.qd_used += static_cast<double>(r.queue_depth);
    ++t.iterations;
    const bool reads = !enso::blkio::is_write(w.pattern);
    t.intact = t.intact && r.stats.io_errors == 0 && r.stats.bad_blocks == 0 &&
               r.stats.readback_bad == 0 &&
               (!reads || r.stats.checked_blocks == r.stats.ios * (w.bytes / 4096));
}

// --enso_blk_verbose: one guest run's counters, the back end's included.
void print_run(const std::string& name, const enso::bench::BlkRunResult& r, double seconds) {
    const auto& b = r.backend;
    std::fprintf(stderr,
                 "%s: %lu I/Os in %.3f s, qd %lu (max in flight %lu), %lu requests, "
                 "%lu front-end stalls, %lu kicks, exits %lu (user %lu); back end: %lu "
                 "batches, %lu core calls, %lu stalls, %lu io waits, %lu sleeps, %lu "
                 "kicks seen, %lu notifies, maps %lu, copies %lu, hits %lu\n",
                 name.c_str(), r.stats.ios, seconds, r.queue_depth, r.stats.max_inflight,
                 r.stats.requests, r.stats.stalls, r.stats.kicks, r.outcome.exits.exits,
                 r.outcome.exits.user_exits, b.server.batches, b.server.core_calls, b.server.stalls,
                 b.io_waits, b.sleeps, b.kicks, b.server.notifies, b.path.grant_maps,
                 b.path.grant_copies, b.path.persistent_hits);
}

// One iteration: the native twin, then the guest run of the same I/Os.
// False, with the row skipped, when either failed.
bool guest_iteration(benchmark::State& s, BlkRig& rig, enso::bench::BlkSession& session,
                     const std::string& name, const Workload& w, std::uint64_t count,
                     EngineKind engine, bool direct, const std::optional<GuestPath>& path,
                     GuestTotals& g) {
    auto spec = spec_of(w, device_of(path), count, ++g_seed);
    spec.options |= wait_options(path);
    // The twin runs right before, the same I/Os: the machine's load
    // drifts, and this ratio is taken between adjacent measurements.
    enso::bench::NativeResult twin;
    try {
        twin = enso::bench::run_native(rig.image(), native_params(w, count, engine, direct));
    } catch (const std::exception& e) {
        s.SkipWithError(e.what());
        return false;
    }
    g.twins_intact = g.twins_intact && native_intact(twin, w);
    const auto r = session.run(spec);
    if (!r.outcome.completed || r.outcome.status != 0 || r.stats.ios == 0) {
        const auto msg = r.outcome.stop ? r.outcome.stop->describe()
                                        : fmt::format("guest run failed: status {}, {} I/Os",
                                                      r.outcome.status, r.stats.ios);
        s.SkipWithError(msg.c_str());
        return false;
    }
    const double seconds = static_cast<double>(r.outcome.tsc_cycles) / rig.tsc_hz();
    s.SetIterationTime(seconds / static_cast<double>(r.stats.ios));
    add_run(g.t, r, seconds, rig.tsc_hz(), w);
    next_count(name, r.stats.ios, seconds);
    const double twin_iops = twin.seconds > 0 ? static_cast<double>(twin.ios) / twin.seconds : 0;
    g.paired_native_iops += twin_iops;
    g.ratio_sum += twin_iops > 0 ? static_cast<double>(r.stats.ios) / seconds / twin_iops : 0;
    if (g_verbose) {
        print_run(name, r, seconds);
    }
    return true;
}

// The persistent-poll rows' IOPS kept per workload; the emulated rows get
// pv_over_emulated from them.
void pair_with_pv(benchmark::State& s, const std::string& key, const std::optional<GuestPath>& path,
                  const Totals& t) {
    if (path && path->path == DataPath::persistent && path->notify == NotifyMode::poll) {
        auto& pv = pv_totals()[key];
        pv.ios += t.ios;
        pv.seconds += t.seconds;
    }
    if (!path) {
        const auto pv = pv_totals().find(key);
        if (pv != pv_totals().end() && t.iops() > 0) {
            s.counters["pv_over_emulated"] = pv->second.iops() / t.iops();
        }
    }
}

// A guest row: path set means blkfront over that path, else the emulated disk.
void guest_io(benchmark::State& s, const std::string& name, const std::string& key,
              const Workload& w, EngineKind engine, bool direct, std::optional<GuestPath> path) {
    auto& rig = BlkRig::get(image_bytes(), g_transport);
    enso::bench::BlkSession* session = open_session(s, rig, engine, direct, path);
    if (session == nullptr) {
        return;
    }
    auto& count = counts()[name]; // next_count adjusts it after each iteration
    if (count == 0) {
        count = first_count(w, !path.has_value());
    }
    warm_up(*session, w, count, path);
    GuestTotals g;
    for (auto _ : s) {
        if (!guest_iteration(s, rig, *session, name, w, count, engine, direct, path, g)) {
            return;
        }
    }
    publish(s, g.t, true);
    if (g.t.iterations > 0) {
        s.counters["ratio_to_native"] = g.ratio_sum / g.t.iterations;
        s.counters["native_IOPS"] = g.paired_native_iops / g.t.iterations;
        s.counters["integrity_ok"] = g.t.intact && g.twins_intact ? 1 : 0;
    }
    pair_with_pv(s, key, path, g.t);
}

void native_io(benchmark::State& s, const std::string& name, const Workload& w, EngineKind engine,
               bool direct) {
    auto& rig = BlkRig::get(image_bytes(), g_transport);
    if (!rig.image_ok()) {
        s.SkipWithError(rig.image_why().c_str());
        return;
    }
    auto& count = counts()[name];
    if (count == 0) {
        count = first_count(w, false);
    }
    Totals t;
    for (auto _ : s) {
        enso::bench::NativeResult r;
        try {
            r = enso::bench::run_native(rig.image(), native_params(w, count, engine, direct));
        } catch (const std::exception& e) {
            s.SkipWithError(e.what());
            return;
        }
        s.SetIterationTime(r.seconds / static_cast<double>(std::max<std::uint64_t>(1, r.ios)));
        t.seconds += r.seconds;
        t.ios += r.ios;
        t.bytes += r.bytes;
        t.lat_p50_us += r.lat_p50_us;
        t.lat_p99_us += r.lat_p99_us;
        t.cpu_seconds += r.cpu_seconds;
        t.qd_used += static_cast<double>(w.qd);
        ++t.iterations;
        t.intact = t.intact && native_intact(r, w);
        next_count(name, r.ios, r.seconds);
    }
    publish(s, t, false);
}

std::vector<std::string>& registered() {
    static std::vector<std::string> names;
    return names;
}

benchmark::internal::Benchmark* add(const std::string& name,
                                    std::function<void(benchmark::State&)> fn) {
    registered().push_back(name);
    return enso::bench::register_interruptible(name, std::move(fn))
        ->UseManualTime()
        ->Iterations(iterations())
        ->Unit(benchmark::kMicrosecond);
}

const std::vector<GuestPath>& guest_paths() {
    static const std::vector<GuestPath> paths = {
        {DataPath::map, NotifyMode::poll},
        {DataPath::map, NotifyMode::kick},
        {DataPath::copy, NotifyMode::poll},
        {DataPath::copy, NotifyMode::kick},
        {DataPath::persistent, NotifyMode::poll},
        {DataPath::persistent, NotifyMode::kick},
        {DataPath::persistent, NotifyMode::kick, true},
        {DataPath::persistent, NotifyMode::kick, false, true},
    };
    return paths;
}

void register_main() {
    const std::vector<Workload> workloads = {
        {Pattern::seqread, 64 << 10, 1},  {Pattern::seqread, 64 << 10, 32},
        {Pattern::seqread, 1 << 20, 1},   {Pattern::seqread, 1 << 20, 32},
        {Pattern::seqwrite, 64 << 10, 1}, {Pattern::seqwrite, 64 << 10, 32},
        {Pattern::seqwrite, 1 << 20, 1},  {Pattern::seqwrite, 1 << 20, 32},
        {Pattern::randread, 4 << 10, 1},  {Pattern::randread, 4 << 10, 32},
        {Pattern::randwrite, 4 << 10, 1}, {Pattern::randwrite, 4 << 10, 32},
    };
    for (const auto& w : workloads) {
        const auto key = workload_key(w, "");
        const auto native = key + "/native";
        add(native, [=](benchmark::State& s) { native_io(s, native, w, EngineKind::uring, true); });
        for (const auto& p : guest_paths()) {
            const auto name = key + "/" + mode_name(p);
            add(name, [=](benchmark::State& s) {
                guest_io(s, name, key, w, EngineKind::uring, true, p);
            });
        }
        const auto emulated = key + "/emulated";
        add(emulated, [=](benchmark::State& s) {
            guest_io(s, emulated, key, w, EngineKind::uring, true, std::nullopt);
        });
    }
}

// The engines and open flags, on the workloads where they matter most.
void register_engines() {
    const std::vector<Workload> workloads = {
        {Pattern::randread, 4 << 10, 1},
        {Pattern::randread, 4 << 10, 32},
        {Pattern::seqread, 64 << 10, 32},
    };
    struct Engine {
        EngineKind kind;
        bool direct;
    };
    const std::vector<Engine> engines = {
        {EngineKind::pread, true}, {EngineKind::pread, false}, {EngineKind::uring, false}};
    const GuestPath path{DataPath::persistent, NotifyMode::poll};
    for (const auto& w : workloads) {
        for (const auto& e : engines) {
            const auto param = fmt::format("{}-{}", e.kind == EngineKind::pread ? "pread" : "uring",
                                           e.direct ? "direct" : "buffered");
            const auto key = workload_key(w, param);
            const auto native = key + "/native";
            add(native, [=](benchmark::State& s) { native_io(s, native, w, e.kind, e.direct); });
            const auto name = key + "/" + mode_name(path);
            add(name,
                [=](benchmark::State& s) { guest_io(s, name, key, w, e.kind, e.direct, path); });
        }
    }
}

// Whether Google Benchmark's --benchmark_filter selects name (a regex
// search; a leading '-' negates; empty, "all" and "." select everything).
bool selected(const std::string& filter, const std::string& name) {
    if (filter.empty() || filter == "all" || filter == ".") {
        return true;
    }
    const bool negate = filter.front() == '-';
    try {
        const std::regex re(negate ? filter.substr(1) : filter);
        return std::regex_search(name, re) != negate;
    } catch (const std::regex_error&) {
        return true; // let Google Benchmark say what is wrong with it
    }
}

// The suite's own flags (--enso_blk_*): true when `a` is one of them. A
// value that is not wholly a number throws.
bool own_flag(const std::string& a) {
    // --flag=N into out.
    const auto number = [&](std::string_view flag, auto& out) {
        if (a.rfind(flag, 0) != 0) {
            return false;
        }
        const std::string v = a.substr(flag.size());
        std::size_t used = 0;
        const long n = std::stol(v, &used);
        if (used != v.size()) {
            throw std::invalid_argument("not a number: " + v);
        }
        out = static_cast<std::remove_reference_t<decltype(out)>>(n);
        return true;
    };
    if (a == "--enso_blk_verbose") {
        g_verbose = true;
    } else if (a == "--enso_blk_exitless") {
        g_transport = enso::abi::kTransportExitless;
    } else if (a == "--enso_blk_trap") {
        g_transport = enso::abi::kTransportTrap;
        g_cpu = -1;
    } else {
        return number("--enso_blk_spin_us=", g_spin_us) || number("--enso_blk_nice=", g_nice) ||
               number("--enso_blk_backend_nice=", g_backend_nice) ||
               number("--enso_blk_cpu=", g_cpu);
    }
    return true;
}

// The results file's context: how this run was set up, and why rows were
// skipped if they were.
void add_context(BlkRig& rig, bool niced) {
    benchmark::AddCustomContext("enso_suite", "blk");
    benchmark::AddCustomContext(
        "enso_blk_nice",
        niced ? std::to_string(g_nice) + " (native twin, vCPU and back end alike)"
              : "0: nice " + std::to_string(g_nice) + " was refused (no CAP_SYS_NICE)");
    benchmark::AddCustomContext("enso_quick", g_quick ? "true" : "false");
    benchmark::AddCustomContext("enso_guests", rig.ok() ? "running" : rig.why());
    benchmark::AddCustomContext("enso_blk_irq",
                                rig.irq_ok() ? "delivered: " + rig.irq_why() : rig.irq_why());
    if (!rig.ok()) {
        return;
    }
    benchmark::AddCustomContext("enso_guest_tsc_khz", std::to_string(rig.monitor().tsc_khz()));
    benchmark::AddCustomContext("enso_guest_pages", std::to_string(enso::bench::kBlkGuestPages));
    benchmark::AddCustomContext("enso_blk_image",
                                fmt::format("{} ({} MiB)", rig.image(), rig.image_bytes() >> 20));
    benchmark::AddCustomContext("enso_blk_engine",
                                "io_uring on an O_DIRECT image, unless the name says "
                                "<pread|uring>-<direct|buffered>");
    benchmark::AddCustomContext(
        "enso_blk_policy",
        fmt::format("guest: {} transport, completions polled (-event: blocks for the back "
                    "end's event when idle; -irq: the event's upcall as an interrupt at "
                    "CPL3 consumes them), kicks through the ring's "
                    "ioeventfd only when the back end asked (req_event); back end (on CPU "
                    "{}) poll: polls ring and engine while it had work in the last {} us, "
                    "then sleeps on the engine (I/O in flight) or on the kick; kick: sleeps "
                    "as soon as there is nothing to do",
                    g_transport == enso::abi::kTransportExitless
                        ? "exitless (vCPU pinned to the last CPU)"
                        : "trap",
                    g_cpu < 0 ? std::string("any") : std::to_string(g_cpu), g_spin_us));
    benchmark::AddCustomContext(
        "enso_blk_limits",
        "emulated disk: synchronous, one I/O at a time (qd_used 1); in-flight pages are "
        "bounded by the guest's grant table (1536 refs) and domain 0's maptrack (900 maps "
        "per ring): 1 MiB at qd32 uses what qd_used says");
}

} // namespace

int main(int argc, char** argv) {
    enso::bench::prepare_suite_process();
    // Spread needs repetitions: 3 by default (2 when quick); every
    // repetition of a row runs before the next row starts.
    enso::bench::SuiteOptions options;
    options.quick_env = "ENSO_QUICK";
    options.repetitions = 3;
    options.quick_repetitions = 2;
    options.own_flag = own_flag;
    const auto cl = enso::bench::init_suite(argc, argv, options);
    if (!cl.ok) {
        return 2;
    }
    g_quick = cl.quick;
    register_main();
    register_engines();
    // Nothing to set up (a 1 GiB image, a guest) when nothing will run.
    const bool any =
        std::any_of(registered().begin(), registered().end(),
                    [&](const std::string& name) { return selected(cl.filter, name); });
    if (cl.listing || !any) {
        benchmark::RunSpecifiedBenchmarks();
        benchmark::Shutdown();
        return 0;
    }
    // Before the rig: every thread it starts inherits the nice value.
    const bool niced = g_nice == 0 || ::setpriority(PRIO_PROCESS, 0, g_nice) == 0;
    auto& rig = BlkRig::get(image_bytes(), g_transport);
    add_context(rig, niced);
    benchmark::RunSpecifiedBenchmarks();
    if (rig.ok()) {
        enso::bench::write_topology_beside_results(argc, argv, rig.monitor());
    }
    benchmark::Shutdown();
    return 0;
}
