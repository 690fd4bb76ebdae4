// GNTTABOP_copy as a way around grants: copies naming the victim's frame
// directly, as its own or as the victim's (GNTST_bad_page), its own root
// L4 and shared pages as the destination (GNTST_general_error,
// GNTST_bad_page), a grant for domain 0 (kArgRef, GNTST_general_error)
// and offsets and lengths that cross the page (GNTST_bad_copy_arg).
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/boot_info.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "grant_copy_foreign";

namespace {

struct Side {
    uint64_t frame_or_ref;
    domid_t dom;
    bool gref;
    uint16_t offset;
};

long copy(const char* what, Side src, Side dst, uint16_t len) {
    gnttab_copy_t op{};
    op.source.u.gmfn = src.frame_or_ref;
    op.source.domid = src.dom;
    op.source.offset = src.offset;
    op.dest.u.gmfn = dst.frame_or_ref;
    op.dest.domid = dst.dom;
    op.dest.offset = dst.offset;
    op.len = len;
    op.flags = static_cast<uint16_t>((src.gref ? GNTCOPY_source_gref : 0) |
                                     (dst.gref ? GNTCOPY_dest_gref : 0));
    expect_errno(what, guest::HYPERVISOR_grant_table_op(GNTTABOP_copy, &op, 1), 0);
    return op.status;
}

} // namespace

void test_main(Args a) {
    using namespace guest;
    const auto victim = static_cast<domid_t>(a[kArgVictim]);
    const uint64_t vframe = a[kArgVictimFrame];
    const Side own{alloc_frame(), DOMID_SELF, false, 0};
    const Side root{current_root() >> kPageShift, DOMID_SELF, false, 0};
    const Side shared{start_info()->shared_info >> kPageShift, DOMID_SELF, false, 0};

    expect_gntst(
        "status",
        copy("copy from the victim's frame as its own", {vframe, DOMID_SELF, false, 0}, own, 64),
        GNTST_bad_page);
    expect_gntst(
        "status",
        copy("copy from the victim's frame as the victim's", {vframe, victim, false, 0}, own, 64),
        GNTST_bad_page);
    expect_gntst("status",
                 copy("copy into the victim's frame", own, {vframe, victim, false, 0}, 64),
                 GNTST_bad_page);
    expect_gntst("status", copy("copy into its own root L4", own, root, 8), GNTST_general_error);
    expect_gntst("status", copy("copy into its shared_info", own, shared, 8), GNTST_bad_page);
    expect_gntst("status", copy("copy out of its shared_info", shared, own, 8), GNTST_bad_page);
    expect_gntst("status",
                 copy("copy from the grant for domain 0", {a[kArgRef], victim, true, 0}, own, 64),
                 GNTST_general_error);
    expect_gntst("status",
                 copy("copy into the grant for domain 0", own, {a[kArgRef], victim, true, 0}, 64),
                 GNTST_general_error);
    expect_gntst(
        "status",
        copy("4096 bytes from offset 1", {own.frame_or_ref, DOMID_SELF, false, 1}, own, 4096),
        GNTST_bad_copy_arg);
    expect_gntst("status",
                 copy("0xffff bytes at offset 0xffff", own,
                      {own.frame_or_ref, DOMID_SELF, false, 0xffff}, 0xffff),
                 GNTST_bad_copy_arg);
}

} // namespace enso::hostile
