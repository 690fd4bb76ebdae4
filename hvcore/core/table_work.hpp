// The driver for whole-table work: a handler that returns kNeedsTableWork is
// retried after the table it named was validated or devalidated, one entry
// at a time. Generic over V so any value domain can run whole sequences; the
// verifier proves the per-entry steps and the requests that start them
// (verify/table_work_steps.hpp), not these loops.
#pragma once

#include "hvcore/core/table_entry_refs.hpp"

namespace enso::core {

// A handler may need several pieces of table work in a row (devalidate, then
// validate); more than this means something is wrong, never livelock.
inline constexpr int kMaxTableWorkRounds = 16;

template <class V>
void devalidate_table(State<V>& s, typename V::U32 frame) {
    for (std::uint32_t slot = 0; slot < kEntriesPerTable; ++slot) {
        release_entry<V>(s, frame, slot);
    }
    end_devalidation<V>(s, frame);
}

template <class V, class Handler>
Rc with_table_work(State<V>& s, Handler&& handler);

// Validates every entry; on the first failure releases what the earlier
// entries took, last first (the verifier's ghost sees the entries taken as
// a prefix of the table), so a failed validation changes nothing.
template <class V>
Rc validate_table(State<V>& s, typename V::U32 frame, typename V::U8 level) {
    if (Rc rc = begin_validation<V>(s, frame, level); rc != kOk) {
        return rc;
    }
    for (std::uint32_t slot = 0; slot < kEntriesPerTable; ++slot) {
        Rc rc = with_table_work<V>(s, [&] { return validate_entry<V>(s, frame, level, slot); });
        if (rc != kOk) {
            for (std::uint32_t undo = slot; undo-- > 0;) {
                release_entry<V>(s, frame, undo);
            }
            end_validation<V>(s, frame, false);
            return rc;
        }
    }
    end_validation<V>(s, frame, true);
    return kOk;
}

// Kept out of line: the common case needs no table work, and the handler
// inlined around it stays tight.
template <class V>
[[gnu::noinline]] Rc do_table_work(State<V>& s) {
    const auto work = s.work;
    const auto frame = s.work_frame;
    const auto type = s.work_type;
    s.work = kWorkNone;
    if (work == kWorkDevalidate) {
        devalidate_table<V>(s, frame);
        return kOk;
    }
    return validate_table<V>(s, frame, type);
}

// The slow path: table work, then the handler again, as often as it asks.
// Out of line so the common path keeps a single, tight copy of the handler.
template <class V, class Handler>
[[gnu::noinline]] Rc retry_after_table_work(State<V>& s, Handler& handler) {
    for (int round = 0; round < kMaxTableWorkRounds; ++round) {
        if (Rc wrc = do_table_work<V>(s); wrc != kOk) {
            return wrc;
        }
        if (Rc rc = handler(); rc != kNeedsTableWork) {
            return rc;
        }
    }
    return kEBUSY;
}

template <class V, class Handler>
Rc with_table_work(State<V>& s, Handler&& handler) {
    Rc rc = handler();
    if (rc == kNeedsTableWork) [[unlikely]] {
        return retry_after_table_work<V>(s, handler);
    }
    return rc;
}

} // namespace enso::core
