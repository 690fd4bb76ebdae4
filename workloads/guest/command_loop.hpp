// The guest's main loop: wait for the monitor's next command on the command
// page, run it, publish the result, notify (hvcore/abi/command_page.hpp).
#pragma once

namespace enso::guest {

[[noreturn]] void command_loop();

} // namespace enso::guest
