// The JSON reader: a recursive-descent parser over a string_view that checks every index.
#include "hostlib/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace atoll_os::host {

JsonValue JsonValue::boolean(bool b) {
  JsonValue v;
  v.kind_ = Kind::kBool;
  v.bool_ = b;
  return v;
}

JsonValue JsonValue::number(double value, std::optional<int64_t> signed_integer,
                            std::optional<uint64_t> unsigned_integer) {
  JsonValue v;
  v.kind_ = Kind::kNumber;
  v.number_ = value;
  v.signed_ = signed_integer;
  v.unsigned_ = unsigned_integer;
  return v;
}

JsonValue JsonValue::integer(uint64_t value) {
  std::optional<int64_t> signed_value;
  if (value <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    signed_value = static_cast<int64_t>(value);
  }
  return number(static_cast<double>(value), signed_value, value);
}

JsonValue JsonValue::string(std::string text) {
  JsonValue v;
  v.kind_ = Kind::kString;
  v.string_ = std::move(text);
  return v;
}

JsonValue JsonValue::array(std::vector<JsonValue> items) {
  JsonValue v;
  v.kind_ = Kind::kArray;
  v.items_ = std::move(items);
  return v;
}

JsonValue JsonValue::object(std::vector<Member> members) {
  JsonValue v;
  v.kind_ = Kind::kObject;
  v.members_ = std::move(members);
  return v;
}

std::optional<bool> JsonValue::as_bool() const {
  if (kind_ != Kind::kBool) return std::nullopt;
  return bool_;
}

std::optional<double> JsonValue::as_double() const {
  if (kind_ != Kind::kNumber) return std::nullopt;
  return number_;
}

std::optional<int64_t> JsonValue::as_int64() const {
  return kind_ == Kind::kNumber ? signed_ : std::nullopt;
}

std::optional<uint64_t> JsonValue::as_uint64() const {
  return kind_ == Kind::kNumber ? unsigned_ : std::nullopt;
}

const std::string* JsonValue::as_string() const {
  return kind_ == Kind::kString ? &string_ : nullptr;
}

const JsonValue* JsonValue::find(std::string_view key) const {
  for (const Member& m : members_) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

const std::string* JsonValue::string_at(std::string_view key) const {
  const JsonValue* v = find(key);
  return v ? v->as_string() : nullptr;
}

std::optional<int64_t> JsonValue::int64_at(std::string_view key) const {
  const JsonValue* v = find(key);
  return v ? v->as_int64() : std::nullopt;
}

std::optional<uint64_t> JsonValue::uint64_at(std::string_view key) const {
  const JsonValue* v = find(key);
  return v ? v->as_uint64() : std::nullopt;
}

std::optional<bool> JsonValue::bool_at(std::string_view key) const {
  const JsonValue* v = find(key);
  return v ? v->as_bool() : std::nullopt;
}

std::string json_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escape[8];
          snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
          out += escape;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string JsonValue::to_json() const {
  switch (kind_) {
    case Kind::kNull: return "null";
    case Kind::kBool: return bool_ ? "true" : "false";
    case Kind::kNumber: {
      if (signed_) return std::to_string(*signed_);
      if (unsigned_) return std::to_string(*unsigned_);
      char text[32];
      snprintf(text, sizeof text, "%.17g", number_);
      return text;
    }
    case Kind::kString: return json_quote(string_);
    case Kind::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < items_.size(); ++i) out += (i ? "," : "") + items_[i].to_json();
      return out + "]";
    }
    case Kind::kObject: {
      std::string out = "{";
      for (size_t i = 0; i < members_.size(); ++i) {
        out += (i ? "," : "") + json_quote(members_[i].first) + ":" + members_[i].second.to_json();
      }
      return out + "}";
    }
  }
  return "null";
}

namespace {

// One parse. Every read goes through peek()/at_end(), which check pos_ against the size.
class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : text_(text) {}

  HostResult<JsonValue> document() {
    skip_space();
    JsonValue v = HOST_TRY(value(0));
    skip_space();
    if (!at_end()) return error(Error::kBadFormat, "text after the value");
    return v;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }

  Failure error(Error e, const std::string& what) const {
    if (at_end() && e == Error::kBadFormat) e = Error::kTruncated;
    return fail(e,
                what + " at byte " + std::to_string(pos_) + " of " + std::to_string(text_.size()));
  }

  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
      ++pos_;
    }
  }

  HostResult<JsonValue> value(size_t depth) {
    if (depth >= kJsonMaxDepth) {
      return error(Error::kOutOfRange, "nesting deeper than " + std::to_string(kJsonMaxDepth));
    }
    switch (peek()) {
      case '{': return object(depth);
      case '[': return array(depth);
      case '"': return JsonValue::string(HOST_TRY(string()));
      case 't': return literal("true", JsonValue::boolean(true));
      case 'f': return literal("false", JsonValue::boolean(false));
      case 'n': return literal("null", JsonValue());
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return number();
        return error(Error::kBadFormat, "expected a value");
    }
  }

  HostResult<JsonValue> literal(std::string_view word, JsonValue v) {
    for (char c : word) {
      if (peek() != c) return error(Error::kBadFormat, "expected '" + std::string(word) + "'");
      ++pos_;
    }
    return v;
  }

  HostResult<JsonValue> object(size_t depth) {
    ++pos_;  // '{'
    std::vector<JsonValue::Member> members;
    skip_space();
    if (peek() == '}') {
      ++pos_;
      return JsonValue::object(std::move(members));
    }
    for (;;) {
      skip_space();
      if (peek() != '"') return error(Error::kBadFormat, "expected a member name");
      std::string key = HOST_TRY(string());
      skip_space();
      if (peek() != ':') return error(Error::kBadFormat, "expected ':'");
      ++pos_;
      skip_space();
      JsonValue v = HOST_TRY(value(depth + 1));
      members.emplace_back(std::move(key), std::move(v));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return JsonValue::object(std::move(members));
      }
      return error(Error::kBadFormat, "expected ',' or '}'");
    }
  }

  HostResult<JsonValue> array(size_t depth) {
    ++pos_;  // '['
    std::vector<JsonValue> items;
    skip_space();
    if (peek() == ']') {
      ++pos_;
      return JsonValue::array(std::move(items));
    }
    for (;;) {
      skip_space();
      items.push_back(HOST_TRY(value(depth + 1)));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return JsonValue::array(std::move(items));
      }
      return error(Error::kBadFormat, "expected ',' or ']'");
    }
  }

  // Four hex digits after "\u".
  HostResult<uint32_t> hex4() {
    uint32_t code = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = peek();
      uint32_t digit;
      if (c >= '0' && c <= '9') {
        digit = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return error(Error::kBadFormat, "expected four hex digits after \\u");
      }
      code = code * 16 + digit;
      ++pos_;
    }
    return code;
  }

  static void append_utf8(std::string& out, uint32_t code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xc0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xe0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    }
  }

  // After "\u": one code point, reading the low half of a surrogate pair too.
  HostResult<uint32_t> unicode_escape() {
    uint32_t code = HOST_TRY(hex4());
    if (code >= 0xdc00 && code <= 0xdfff) {
      return error(Error::kBadFormat, "lone low surrogate");
    }
    if (code < 0xd800 || code > 0xdbff) return code;
    if (peek() != '\\' || pos_ + 1 >= text_.size() || text_[pos_ + 1] != 'u') {
      return error(Error::kBadFormat, "high surrogate without its low half");
    }
    pos_ += 2;
    const uint32_t low = HOST_TRY(hex4());
    if (low < 0xdc00 || low > 0xdfff) return error(Error::kBadFormat, "bad low surrogate");
    return 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
  }

  HostResult<std::string> string() {
    ++pos_;  // '"'
    std::string out;
    for (;;) {
      if (at_end()) return error(Error::kTruncated, "unterminated string");
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) {
        --pos_;
        return error(Error::kBadFormat, "control character in a string");
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_end()) return error(Error::kTruncated, "unterminated escape");
      const char e = text_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': append_utf8(out, HOST_TRY(unicode_escape())); break;
        default: --pos_; return error(Error::kBadFormat, "unknown escape");
      }
    }
  }

  void digits() {
    while (peek() >= '0' && peek() <= '9') ++pos_;
  }

  HostResult<JsonValue> number() {
    const size_t start = pos_;
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (peek() >= '1' && peek() <= '9') {
      digits();
    } else {
      return error(Error::kBadFormat, "expected a digit");
    }
    bool integral = true;
    if (peek() == '.') {
      integral = false;
      ++pos_;
      if (!(peek() >= '0' && peek() <= '9')) return error(Error::kBadFormat, "expected a digit");
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!(peek() >= '0' && peek() <= '9')) return error(Error::kBadFormat, "expected a digit");
      digits();
    }
    const std::string literal(text_.substr(start, pos_ - start));
    const double value = std::strtod(literal.c_str(), nullptr);
    if (!std::isfinite(value)) {
      pos_ = start;
      return error(Error::kOutOfRange, "number out of range");
    }
    std::optional<int64_t> s;
    std::optional<uint64_t> u;
    if (integral) {
      const char* first = literal.data();
      const char* last = first + literal.size();
      int64_t sv = 0;
      if (auto r = std::from_chars(first, last, sv); r.ec == std::errc() && r.ptr == last) s = sv;
      uint64_t uv = 0;
      if (auto r = std::from_chars(first, last, uv); r.ec == std::errc() && r.ptr == last) u = uv;
    }
    return JsonValue::number(value, s, u);
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

HostResult<JsonValue> parse_json(std::string_view text) {
  return JsonReader(text).document();
}

}  // namespace atoll_os::host
