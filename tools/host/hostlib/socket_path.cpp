// short_socket_dir: a symlink in the temporary directory when a run directory is too deep.
#include "hostlib/socket_path.h"

#include <unistd.h>

#include <atomic>
#include <string>

namespace atoll_os::host {

HostResult<std::filesystem::path> short_socket_dir(const std::filesystem::path& dir,
                                                   size_t tail_length,
                                                   std::filesystem::path& link) {
  if (dir.string().size() + tail_length <= kMaxSocketPath) return dir;
  static std::atomic<unsigned> next{0};
  link = std::filesystem::temp_directory_path() /
         ("atoll-" + std::to_string(getpid()) + "-" + std::to_string(next++));
  std::error_code ec;
  std::filesystem::remove(link, ec);
  std::filesystem::create_directory_symlink(dir, link, ec);
  if (ec || link.string().size() + tail_length > kMaxSocketPath) {
    return fail(Error::kInvalidArgument,
                "no short path for the sockets in " + dir.string() + ": " + ec.message());
  }
  return link;
}

}  // namespace atoll_os::host
