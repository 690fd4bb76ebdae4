#include "verify/index_terms.hpp"

#include <string>

namespace enso::verify {

namespace {

bool is_kind(const z3::expr& e, Z3_decl_kind k) {
    return e.is_app() && e.decl().decl_kind() == k;
}

z3::expr strip_stores(z3::expr a) {
    while (is_kind(a, Z3_OP_STORE)) {
        a = a.arg(0);
    }
    return a;
}

} // namespace

const char* index_class_name(IndexClass c) {
    switch (c) {
    case IndexClass::Frame:
        return "frame";
    case IndexClass::Slot:
        return "slot";
    case IndexClass::Dom:
        return "dom";
    case IndexClass::GrantFrame:
        return "gframe";
    case IndexClass::Grant:
        return "grant";
    case IndexClass::Map:
        return "map";
    case IndexClass::Port:
        return "port";
    }
    return "?";
}

unsigned index_bits(IndexClass c) {
    return c == IndexClass::Slot ? 9 : 32;
}

std::optional<IndexClass> class_of_array(std::string_view name) {
    if (name.starts_with("frames.") || name == "mem" || name.starts_with("ghost.")) {
        return IndexClass::Frame;
    }
    if (name == "doms.gnttab_frame") {
        return IndexClass::GrantFrame;
    }
    if (name.starts_with("doms.")) {
        return IndexClass::Dom;
    }
    if (name.starts_with("grants.act_")) {
        return IndexClass::Grant;
    }
    if (name.starts_with("grants.map_")) {
        return IndexClass::Map;
    }
    if (name.starts_with("evtchn.")) {
        return IndexClass::Port;
    }
    return std::nullopt;
}

std::optional<std::string> array_root_name(const z3::expr& array) {
    z3::expr a = strip_stores(array);
    if (is_kind(a, Z3_OP_SELECT)) {
        a = strip_stores(a.arg(0)); // a frame of memory: the memory's root
    }
    if (a.is_app() && a.num_args() == 0 && a.decl().decl_kind() == Z3_OP_UNINTERPRETED) {
        return a.decl().name().str();
    }
    return std::nullopt;
}

void IndexTerms::add(IndexClass c, const z3::expr& e) {
    const auto k = static_cast<std::size_t>(c);
    if (seen_[k].insert(e.id()).second) {
        terms_[k].push_back(e);
    }
}

void IndexTerms::add_entry(const z3::expr& frame, const z3::expr& slot) {
    add(IndexClass::Frame, frame);
    add(IndexClass::Slot, slot);
    if (seen_entries_.insert({frame.id(), slot.id()}).second) {
        entries_.emplace_back(frame, slot);
    }
}

// A select or store node: its index joins the class of its array; a word of
// memory also records its (frame, slot) pair.
void IndexTerms::index_of(const z3::expr& node) {
    const z3::expr array = node.arg(0);
    const z3::expr idx = node.arg(1);
    if (!idx.is_bv()) {
        return;
    }
    if (idx.get_sort().bv_size() == 9) {
        const z3::expr base = strip_stores(array);
        if (is_kind(base, Z3_OP_SELECT) && array_root_name(base) == std::string("mem")) {
            add_entry(base.arg(1), idx);
        } else {
            add(IndexClass::Slot, idx);
        }
        return;
    }
    if (idx.get_sort().bv_size() != 32) {
        return;
    }
    if (const auto name = array_root_name(array)) {
        if (const auto c = class_of_array(*name)) {
            add(*c, idx);
        }
    }
}

void IndexTerms::collect(const z3::expr& e) {
    if (!visited_.insert(e.id()).second || !e.is_app()) {
        return;
    }
    const auto kind = e.decl().decl_kind();
    if ((kind == Z3_OP_SELECT || kind == Z3_OP_STORE) && e.num_args() >= 2) {
        index_of(e);
    }
    for (unsigned k = 0; k < e.num_args(); ++k) {
        collect(e.arg(k));
    }
}

} // namespace enso::verify
