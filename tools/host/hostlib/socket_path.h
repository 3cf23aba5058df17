// Unix socket paths short enough for a socket address, for run directories deep in a build.
#pragma once

#include <sys/un.h>

#include <filesystem>

#include "hostlib/host_result.h"

namespace atoll_os::host {

/// The longest path a socket address holds.
inline constexpr size_t kMaxSocketPath = sizeof(sockaddr_un{}.sun_path) - 1;

/// `dir`, if sockets `tail_length` bytes below it (e.g. "/control.sock") fit a socket
/// address; otherwise a new symlink to `dir` under the temporary directory, also returned
/// in `link` for the caller to remove when done. kInvalidArgument if even that is too long.
HostResult<std::filesystem::path> short_socket_dir(const std::filesystem::path& dir,
                                                   size_t tail_length, std::filesystem::path& link);

}  // namespace atoll_os::host
