// The per-boot config disk: a FAT image whose /atoll.cfg tells GRUB the kernel command line.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "hostlib/host_result.h"

namespace atoll_os::host {

/// Checks that `cmdline` survives being put between double quotes in a GRUB script: no '"'
/// (it would end the string), no '\\' or '$' (GRUB would expand them), no control characters
/// (a newline would start a new script line). kInvalidArgument names the offending character.
HostResult<void> validate_cmdline(std::string_view cmdline);

/// The content of /atoll.cfg: `set atoll_cmdline="<cmdline>"` and a newline.
HostResult<std::string> grub_config_text(std::string_view cmdline);

/// Writes `dir/atoll.cfg` and the raw FAT image `dir/config.img` holding it (mformat, mcopy);
/// returns the image's path. QEMU attaches it as the first IDE disk.
HostResult<std::filesystem::path> make_config_disk(const std::filesystem::path& dir,
                                                   std::string_view cmdline);

}  // namespace atoll_os::host
