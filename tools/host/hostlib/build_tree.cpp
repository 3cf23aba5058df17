// BuildTree: the configured build directory and per-run directory creation.
#include "hostlib/build_tree.h"

#include <unistd.h>

#include <atomic>
#include <string>
#include <system_error>

namespace atoll_os::host {

#ifndef ATOLL_BUILD_DIR
#error "ATOLL_BUILD_DIR must name the CMake build directory (set by tools/host/CMakeLists.txt)"
#endif

BuildTree BuildTree::configured() {
  return BuildTree(ATOLL_BUILD_DIR);
}

HostResult<std::filesystem::path> BuildTree::make_run_dir(std::string_view name) const {
  static std::atomic<unsigned> next_run{0};
  if (name.empty() || name.find('/') != std::string_view::npos) {
    return fail(Error::kInvalidArgument, "run name must be non-empty and contain no '/'");
  }
  std::error_code ec;
  std::filesystem::create_directories(runs(), ec);
  if (ec) {
    return fail(Error::kAccessDenied, "cannot create " + runs().string() + ": " + ec.message());
  }
  // A stale directory of the same name (a reused pid) is skipped rather than reused, so a run
  // never reads a previous run's log.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    std::string leaf = std::string(name) + "-" + std::to_string(getpid()) + "-" +
                       std::to_string(next_run.fetch_add(1));
    std::filesystem::path dir = runs() / leaf;
    if (std::filesystem::create_directory(dir, ec)) return dir;
    if (ec)
      return fail(Error::kAccessDenied, "cannot create " + dir.string() + ": " + ec.message());
  }
  return fail(Error::kAlreadyExists, "no free run directory under " + runs().string());
}

}  // namespace atoll_os::host
