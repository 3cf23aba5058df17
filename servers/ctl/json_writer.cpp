// JSON text: structure, escaping, numbers.
#include "json_writer.h"

namespace atoll_os::servers::ctl {

void JsonWriter::put(char c) {
  if (length_ == capacity_) {
    overflowed_ = true;
    return;
  }
  buffer_[length_++] = c;
}

void JsonWriter::put(std::string_view text) {
  for (char c : text) put(c);
}

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
  } else if (need_comma_) {
    put(',');
  }
  need_comma_ = true;
}

JsonWriter& JsonWriter::begin_object() {
  separate();
  put('{');
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  put('}');
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::begin_array(std::string_view name) {
  key(name);
  separate();
  put('[');
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  put(']');
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  separate();
  put('"');
  for (char c : name) escaped(static_cast<unsigned char>(c));
  put("\":");
  after_key_ = true;
  return *this;
}

void JsonWriter::escaped(unsigned char c) {
  constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"': put("\\\""); return;
    case '\\': put("\\\\"); return;
    case '\n': put("\\n"); return;
    case '\r': put("\\r"); return;
    case '\t': put("\\t"); return;
    default: break;
  }
  if (c < 0x20 || c >= 0x7f) {
    put("\\u00");
    put(kHex[c >> 4]);
    put(kHex[c & 0xf]);
    return;
  }
  put(static_cast<char>(c));
}

JsonWriter& JsonWriter::string(std::string_view value) {
  separate();
  put('"');
  for (char c : value) escaped(static_cast<unsigned char>(c));
  put('"');
  return *this;
}

JsonWriter& JsonWriter::number(uint64_t value) {
  separate();
  char digits[20];
  size_t count = 0;
  do {
    digits[count++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (count > 0) put(digits[--count]);
  return *this;
}

JsonWriter& JsonWriter::signed_number(int64_t value) {
  if (value >= 0) return number(static_cast<uint64_t>(value));
  separate();
  put('-');
  after_key_ = true;  // the digits follow the sign without a separator
  // Negating in unsigned arithmetic is exact even for INT64_MIN.
  return number(0 - static_cast<uint64_t>(value));
}

JsonWriter& JsonWriter::boolean(bool value) {
  separate();
  put(value ? "true" : "false");
  return *this;
}

}  // namespace atoll_os::servers::ctl
