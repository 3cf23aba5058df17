// Result<T>: a value or an Error, and TRY to propagate the error; usable freestanding.
#pragma once

#include <new>
#include <type_traits>
#include <utility>

#include "atoll/error.h"

namespace atoll_os {

/// Wraps an Error so that `return Err(Error::kX);` converts to any Result<T>.
struct Err {
  Error error;
  constexpr explicit Err(Error e) : error(e) {}
};

/// Either a T or an Error (never kOk). The caller must look at it.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(const T& value) : has_value_(true) { new (&storage_) T(value); }
  Result(T&& value) : has_value_(true) { new (&storage_) T(std::move(value)); }
  Result(Err err) : has_value_(false), error_(err.error) {}
  Result(const Result& other) : has_value_(other.has_value_), error_(other.error_) {
    if (has_value_) new (&storage_) T(other.value());
  }
  Result(Result&& other) : has_value_(other.has_value_), error_(other.error_) {
    if (has_value_) new (&storage_) T(std::move(other.value()));
  }
  Result& operator=(const Result&) = delete;
  Result& operator=(Result&&) = delete;
  ~Result() {
    if (has_value_) value().~T();
  }

  bool ok() const { return has_value_; }
  explicit operator bool() const { return has_value_; }
  Error error() const { return has_value_ ? Error::kOk : error_; }

  T& value() { return *std::launder(reinterpret_cast<T*>(&storage_)); }
  const T& value() const { return *std::launder(reinterpret_cast<const T*>(&storage_)); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T release_value() { return std::move(value()); }
  T value_or(T fallback) const { return has_value_ ? value() : fallback; }

 private:
  bool has_value_;
  Error error_ = Error::kOk;
  alignas(T) unsigned char storage_[sizeof(T)];
};

/// Result of an operation that yields nothing but can fail.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() : error_(Error::kOk) {}
  Result(Err err) : error_(err.error) {}
  bool ok() const { return error_ == Error::kOk; }
  explicit operator bool() const { return ok(); }
  Error error() const { return error_; }
  void release_value() {}

 private:
  Error error_;
};

inline Result<void> success() {
  return {};
}

}  // namespace atoll_os

/// Evaluates a Result; on error returns that error from the enclosing function,
/// otherwise yields the value (GNU statement expression, accepted by GCC and Clang).
#define TRY(expr)                                                                   \
  ({                                                                                \
    auto _atoll_try_result = (expr);                                                \
    if (!_atoll_try_result.ok()) return ::atoll_os::Err(_atoll_try_result.error()); \
    _atoll_try_result.release_value();                                              \
  })
