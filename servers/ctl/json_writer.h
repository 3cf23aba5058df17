// Building one-line JSON objects into a bounded buffer, with string escaping.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

namespace atoll_os::servers::ctl {

/// Appends JSON to buffer[0, capacity). Commas between members and elements are automatic.
/// Never writes past the buffer: on overflow it stops and overflowed() turns true.
/// Strings are escaped so that any bytes give valid JSON: `"` `\` and control characters
/// as escapes, bytes >= 0x80 as \u00XX (read as Latin-1), so the line stays ASCII.
class JsonWriter {
 public:
  JsonWriter(char* buffer, size_t capacity) : buffer_(buffer), capacity_(capacity) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array(std::string_view key);
  JsonWriter& end_array();
  /// A key inside an object; the value follows with one of the calls below.
  JsonWriter& key(std::string_view key);
  JsonWriter& string(std::string_view value);
  JsonWriter& number(uint64_t value);
  JsonWriter& signed_number(int64_t value);
  JsonWriter& boolean(bool value);

  // key + value in one call.
  JsonWriter& field(std::string_view name, std::string_view value) {
    return key(name).string(value);
  }
  JsonWriter& field(std::string_view name, uint64_t value) { return key(name).number(value); }
  JsonWriter& field_signed(std::string_view name, int64_t value) {
    return key(name).signed_number(value);
  }
  JsonWriter& field_bool(std::string_view name, bool value) { return key(name).boolean(value); }

  std::string_view text() const { return {buffer_, length_}; }
  bool overflowed() const { return overflowed_; }

 private:
  void separate();
  void put(char c);
  void put(std::string_view text);
  void escaped(unsigned char c);

  char* buffer_;
  size_t capacity_;
  size_t length_ = 0;
  bool overflowed_ = false;
  bool need_comma_ = false;  // a value was written at the current nesting level
  bool after_key_ = false;   // the next value follows a key: no comma
};

}  // namespace atoll_os::servers::ctl
