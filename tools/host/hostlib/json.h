// JsonValue and parse_json: the small, bounds-checked JSON reader for ctl's replies and events.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hostlib/host_result.h"

namespace atoll_os::host {

/// Nesting deeper than this is refused (kOutOfRange): the reader recurses once per level,
/// and nothing ctl sends comes near it.
inline constexpr size_t kJsonMaxDepth = 64;

/// One JSON value. Objects keep their members in the order they were written. Numbers keep
/// their exact integer value when they have no fraction or exponent and fit 64 bits, so
/// PIDs (origin node in the top 16 bits) survive a round trip that a double would round.
class JsonValue {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  using Member = std::pair<std::string, JsonValue>;

  JsonValue() = default;  // null
  static JsonValue boolean(bool b);
  /// `integer` is the exact value if the literal was an integer that fits int64 or uint64.
  static JsonValue number(double value, std::optional<int64_t> signed_integer = std::nullopt,
                          std::optional<uint64_t> unsigned_integer = std::nullopt);
  /// A number that keeps `value` exactly.
  static JsonValue integer(uint64_t value);
  static JsonValue string(std::string text);
  static JsonValue array(std::vector<JsonValue> items = {});
  static JsonValue object(std::vector<Member> members = {});

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_number() const { return kind_ == Kind::kNumber; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_object() const { return kind_ == Kind::kObject; }

  /// Typed reads; nullopt if the value is of another kind (or, for integers, not an exact
  /// integer in range).
  std::optional<bool> as_bool() const;
  std::optional<double> as_double() const;
  std::optional<int64_t> as_int64() const;
  std::optional<uint64_t> as_uint64() const;
  /// nullptr unless a string.
  const std::string* as_string() const;

  /// Array items; empty for other kinds.
  const std::vector<JsonValue>& items() const { return items_; }
  /// Object members in order; empty for other kinds.
  const std::vector<Member>& members() const { return members_; }
  /// The first member named `key` of an object, or nullptr (also for non-objects).
  const JsonValue* find(std::string_view key) const;

  /// Convenience lookups of an object's member; nullopt/nullptr if absent or of another kind.
  const std::string* string_at(std::string_view key) const;
  std::optional<int64_t> int64_at(std::string_view key) const;
  std::optional<uint64_t> uint64_at(std::string_view key) const;
  std::optional<bool> bool_at(std::string_view key) const;

  /// Compact JSON text; numbers print exactly when they were exact integers.
  std::string to_json() const;

 private:
  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::optional<int64_t> signed_;
  std::optional<uint64_t> unsigned_;
  std::string string_;
  std::vector<JsonValue> items_;
  std::vector<Member> members_;
};

/// Parses exactly one JSON value spanning `text` (whitespace around it allowed). Malformed
/// input is kBadFormat, input that ends early kTruncated, nesting beyond kJsonMaxDepth
/// kOutOfRange; the message gives the byte offset and what was expected there. Never reads
/// outside `text`. Strings may hold any bytes except unescaped control characters; \u
/// escapes (surrogate pairs included) become UTF-8, and a lone surrogate is an error.
HostResult<JsonValue> parse_json(std::string_view text);

/// `text` as a JSON string literal, quotes included.
std::string json_quote(std::string_view text);

}  // namespace atoll_os::host
