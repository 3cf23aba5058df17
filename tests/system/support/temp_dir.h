// TempDir: a scratch directory for one host test, removed when the test ends.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace atoll_os::host::testing {

class TempDir {
 public:
  TempDir() {
    static int next = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("atoll-hostlib-test-" + std::to_string(getpid()) + "-" + std::to_string(next++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace atoll_os::host::testing
