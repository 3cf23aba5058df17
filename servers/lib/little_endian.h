// Little-endian field writing and bounds-checked reading, for the wire formats the servers
// define (ipcm frames, migration slices).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

namespace atoll_os::servers {

/// Appends little-endian fields; the caller has checked that they fit.
class LittleEndianWriter {
 public:
  explicit LittleEndianWriter(uint8_t* out) : out_(out) {}
  void u8(uint8_t v) { out_[used_++] = v; }
  void u16(uint16_t v) { little_endian(v, 2); }
  void u32(uint32_t v) { little_endian(v, 4); }
  void u64(uint64_t v) { little_endian(v, 8); }
  void bytes(const void* data, size_t size) {
    if (size != 0) __builtin_memcpy(out_ + used_, data, size);
    used_ += size;
  }
  size_t used() const { return used_; }

 private:
  void little_endian(uint64_t v, size_t size) {
    for (size_t i = 0; i < size; ++i) out_[used_++] = uint8_t(v >> (8 * i));
  }
  uint8_t* out_;
  size_t used_ = 0;
};

/// Reads little-endian fields; every read checks the bounds and the first failure sticks
/// (later reads return zeros).
class LittleEndianReader {
 public:
  explicit LittleEndianReader(std::span<const uint8_t> in) : in_(in) {}
  uint8_t u8() { return uint8_t(little_endian(1)); }
  uint16_t u16() { return uint16_t(little_endian(2)); }
  uint32_t u32() { return uint32_t(little_endian(4)); }
  uint64_t u64() { return little_endian(8); }
  void bytes(void* out, size_t size) {
    if (take(size)) {
      if (size != 0) __builtin_memcpy(out, in_.data() + used_ - size, size);
    } else if (size != 0) {
      __builtin_memset(out, 0, size);
    }
  }
  bool ok() const { return ok_; }
  size_t remaining() const { return in_.size() - used_; }

 private:
  bool take(size_t size) {
    if (!ok_ || size > remaining()) {
      ok_ = false;
      return false;
    }
    used_ += size;
    return true;
  }
  uint64_t little_endian(size_t size) {
    if (!take(size)) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < size; ++i) v |= uint64_t(in_[used_ - size + i]) << (8 * i);
    return v;
  }
  std::span<const uint8_t> in_;
  size_t used_ = 0;
  bool ok_ = true;
};

}  // namespace atoll_os::servers
