// Starting the first user task, `init`, from its boot module.
#pragma once

#include <string_view>

#include "atoll/result.h"
#include "boot/multiboot2.h"

namespace atoll_os::kernel {

/// Loads the module `name` (normally "init") as an ELF into a new task with its stack, maps
/// the boot module table and every module read-only, gives it the boot handles and makes
/// its thread ready. kNotFound if there is no such module; ELF errors as the loader reports.
Result<void> start_init(const BootInfo& boot, std::string_view name);

}  // namespace atoll_os::kernel
