#include "hvcore/backends/blk_data_path.hpp"

#include "hvcore/backends/blk_copy_path.hpp"
#include "hvcore/backends/blk_map_path.hpp"
#include "hvcore/backends/blk_persistent_path.hpp"

namespace enso::backends {

std::string_view data_path_name(DataPath p) {
    switch (p) {
    case DataPath::map:
        return "map";
    case DataPath::copy:
        return "copy";
    case DataPath::persistent:
        return "persistent";
    }
    return "unknown";
}

std::unique_ptr<BlkDataPath> make_data_path(DataPath kind, CoreAccess& access, std::uint16_t domid,
                                            const DataPathLimits& limits) {
    switch (kind) {
    case DataPath::map:
        return std::make_unique<BlkMapPath>(access, domid, limits);
    case DataPath::copy:
        return std::make_unique<BlkCopyPath>(access, domid, limits);
    case DataPath::persistent:
        return std::make_unique<BlkPersistentPath>(access, domid, limits);
    }
    return nullptr;
}

} // namespace enso::backends
