// The base of every kernel object: a type tag, a reference count and a stable id.
#pragma once

#include <stdint.h>

#include <utility>

#include "atoll/abi/syscalls.h"

namespace atoll_os::kernel {

using abi::ObjectType;

/// Kernel objects are made by their class's `create()`, live on the kernel heap and are
/// destroyed when the last reference (handle, thread, queue) goes. The kernel runs with
/// interrupts off on one CPU, so counts need no atomics.
class KernelObject {
 public:
  KernelObject(const KernelObject&) = delete;
  KernelObject& operator=(const KernelObject&) = delete;

  ObjectType type() const { return type_; }
  uint64_t id() const { return id_; }

  void retain() { ++references_; }
  void release() {
    if (--references_ == 0) delete this;
  }

  /// Objects alive now, for memory_info and the leak tests.
  static uint64_t live_count() { return live_; }

 protected:
  explicit KernelObject(ObjectType type) : type_(type), id_(++next_id_) { ++live_; }
  virtual ~KernelObject() { --live_; }

 private:
  ObjectType type_;
  uint32_t references_ = 1;
  uint64_t id_;
  static inline uint64_t next_id_ = 0;
  static inline uint64_t live_ = 0;
};

/// An owning reference to a kernel object.
template <typename T>
class Ref {
 public:
  Ref() = default;
  /// Adopts one reference the caller already holds.
  static Ref adopt(T* object) {
    Ref r;
    r.object_ = object;
    return r;
  }
  /// Takes a new reference.
  explicit Ref(T* object) : object_(object) {
    if (object_) object_->retain();
  }
  Ref(const Ref& other) : Ref(other.object_) {}
  Ref(Ref&& other) : object_(std::exchange(other.object_, nullptr)) {}
  Ref& operator=(Ref other) {
    std::swap(object_, other.object_);
    return *this;
  }
  ~Ref() { reset(); }

  void reset() {
    if (object_) std::exchange(object_, nullptr)->release();
  }
  T* get() const { return object_; }
  T* operator->() const { return object_; }
  T& operator*() const { return *object_; }
  explicit operator bool() const { return object_ != nullptr; }

 private:
  T* object_ = nullptr;
};

}  // namespace atoll_os::kernel
