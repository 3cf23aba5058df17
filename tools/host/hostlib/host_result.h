// HostResult<T>: a value, or an Error plus a sentence saying what went wrong, for host tools.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "atoll/error.h"

namespace atoll_os::host {

/// Why a host operation failed. Host failures reach a person (a test log, a terminal), so
/// unlike the kernel's Result they carry a message next to the shared error code.
struct Failure {
  Error error;
  std::string message;

  std::string describe() const { return std::string(error_name(error)) + ": " + message; }
};

inline Failure fail(Error error, std::string message) {
  return {error, std::move(message)};
}

/// Either a T or a Failure. The caller must look at it.
template <typename T>
class [[nodiscard]] HostResult {
 public:
  HostResult(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  HostResult(Failure failure) : state_(std::in_place_index<1>, std::move(failure)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  Error error() const { return ok() ? Error::kOk : failure().error; }
  /// Precondition: !ok().
  const Failure& failure() const { return std::get<1>(state_); }

  /// Precondition: ok() (std::get throws otherwise, which a test reports as a failure).
  T& value() { return std::get<0>(state_); }
  const T& value() const { return std::get<0>(state_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T release_value() { return std::move(value()); }

 private:
  std::variant<T, Failure> state_;
};

/// An operation that yields nothing but can fail.
template <>
class [[nodiscard]] HostResult<void> {
 public:
  HostResult() = default;
  HostResult(Failure failure) : failure_(std::move(failure)) {}

  bool ok() const { return !failure_.has_value(); }
  explicit operator bool() const { return ok(); }
  Error error() const { return ok() ? Error::kOk : failure_->error; }
  const Failure& failure() const { return *failure_; }
  void release_value() {}

 private:
  std::optional<Failure> failure_;
};

}  // namespace atoll_os::host

/// Like TRY, but keeps the Failure's message while propagating it.
#define HOST_TRY(expr)                                                         \
  ({                                                                           \
    auto _atoll_host_try_result = (expr);                                      \
    if (!_atoll_host_try_result.ok()) return _atoll_host_try_result.failure(); \
    _atoll_host_try_result.release_value();                                    \
  })
