// The hypercall table: which handler serves each of Xen's hypercall numbers.
// A new hypercall is one row here plus its handler (README, "How to add a
// hypercall").
#include "hvcore/core/hypercall_dispatch.hpp"

namespace enso::core {

namespace {

struct Row {
    std::uint64_t nr;
    HypercallEntry entry;
};

// writes_page_tables = false only where the handler provably never stores a
// page-table entry: pins, unpins and flushes validate but never write, and a
// frame still referenced is never released by memory_op.
constexpr Row kRows[] = {
    {__HYPERVISOR_mmu_update, {&Dispatcher::mmu_update, true}},
    {__HYPERVISOR_mmuext_op, {&Dispatcher::mmuext_op, false}},
    {__HYPERVISOR_update_va_mapping, {&Dispatcher::update_va_mapping, true}},
    {__HYPERVISOR_update_descriptor, {&Dispatcher::update_descriptor, true}},
    {__HYPERVISOR_memory_op, {&Dispatcher::memory_op, false}},
    {__HYPERVISOR_grant_table_op, {&Dispatcher::grant_table_op, true}},
    {__HYPERVISOR_event_channel_op, {&Dispatcher::event_channel_op, false}},
    {__HYPERVISOR_multicall, {&Dispatcher::multicall, true}},
    {__HYPERVISOR_console_io, {&Dispatcher::console_io, false}},
    {__HYPERVISOR_xen_version, {&Dispatcher::xen_version, false}},
    {__HYPERVISOR_sched_op, {&Dispatcher::sched_op, false}},
    {__HYPERVISOR_callback_op, {&Dispatcher::callback_op, false}},
    {__HYPERVISOR_set_trap_table, {&Dispatcher::set_trap_table, false}},
    {__HYPERVISOR_stack_switch, {&Dispatcher::stack_switch, false}},
    {__HYPERVISOR_set_gdt, {&Dispatcher::set_gdt, false}},
    {__HYPERVISOR_iret, {&Dispatcher::iret, false}},
    {__HYPERVISOR_physdev_op, {&Dispatcher::physdev_op, false}},
    {__HYPERVISOR_vm_assist, {&Dispatcher::vm_assist, false}},
    {__HYPERVISOR_vcpu_op, {&Dispatcher::vcpu_op, false}},
};

constexpr HypercallTable make_table() {
    HypercallTable t{};
    for (const auto& row : kRows) {
        t.at(row.nr) = row.entry;
    }
    return t;
}

} // namespace

// A constant, so a call is one load and one indirect call (no function call
// to fetch the table).
constinit const HypercallTable Dispatcher::kTable = make_table();

bool Dispatcher::writes_page_tables(std::uint64_t nr) {
    return nr >= kTable.size() || kTable[nr].handler == nullptr || kTable[nr].writes_page_tables;
}

} // namespace enso::core
