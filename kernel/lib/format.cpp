// The kernel's vsnprintf: integer, character, string and pointer conversions into a buffer.
#include "lib/format.h"

#include <stdint.h>

namespace atoll_os::kernel {
namespace {

// Widths and precisions saturate here so that parsing "%99999999999d" cannot overflow.
constexpr uint32_t kMaxFieldWidth = 1u << 30;

// Collects output; counts every character but stores only what fits before the NUL.
class Output {
 public:
  Output(char* buffer, size_t size) : buffer_(buffer), size_(size) {}

  void put(char c) {
    if (size_ != 0 && length_ < size_ - 1) buffer_[length_] = c;
    ++length_;
  }
  void repeat(char c, size_t count) {
    for (size_t i = 0; i < count; ++i) put(c);
  }
  void write(const char* text, size_t count) {
    for (size_t i = 0; i < count; ++i) put(text[i]);
  }
  size_t finish() {
    if (size_ != 0) buffer_[length_ < size_ - 1 ? length_ : size_ - 1] = '\0';
    return length_;
  }

 private:
  char* buffer_;
  size_t size_;
  size_t length_ = 0;
};

enum class Length : uint8_t { kDefault, kChar, kShort, kLong };

struct Spec {
  bool left = false;   // '-'
  bool zero = false;   // '0'
  bool plus = false;   // '+'
  bool space = false;  // ' '
  bool alt = false;    // '#'
  uint32_t width = 0;
  bool has_precision = false;
  uint32_t precision = 0;
  Length length = Length::kDefault;
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

uint32_t parse_number(const char*& fmt) {
  uint32_t value = 0;
  for (; is_digit(*fmt); ++fmt) {
    uint32_t digit = static_cast<uint32_t>(*fmt - '0');
    value = value > (kMaxFieldWidth - digit) / 10 ? kMaxFieldWidth : value * 10 + digit;
  }
  return value;
}

// Magnitude of an int taken from `*`, computed in unsigned so INT_MIN does not overflow.
uint32_t star_magnitude(int value) {
  uint32_t magnitude = value < 0 ? 0u - static_cast<uint32_t>(value) : static_cast<uint32_t>(value);
  return magnitude > kMaxFieldWidth ? kMaxFieldWidth : magnitude;
}

void parse_flags(const char*& fmt, Spec& spec) {
  for (;; ++fmt) {
    switch (*fmt) {
      case '-': spec.left = true; break;
      case '0': spec.zero = true; break;
      case '+': spec.plus = true; break;
      case ' ': spec.space = true; break;
      case '#': spec.alt = true; break;
      default: return;
    }
  }
}

void parse_width(const char*& fmt, Spec& spec, va_list* args) {
  if (*fmt != '*') {
    spec.width = parse_number(fmt);
    return;
  }
  ++fmt;
  int width = va_arg(*args, int);
  if (width < 0) spec.left = true;  // C: a negative `*` width is a '-' flag
  spec.width = star_magnitude(width);
}

void parse_precision(const char*& fmt, Spec& spec, va_list* args) {
  if (*fmt != '.') return;
  ++fmt;
  spec.has_precision = true;
  if (*fmt != '*') {
    spec.precision = parse_number(fmt);
    return;
  }
  ++fmt;
  int precision = va_arg(*args, int);
  // C: a negative `*` precision is taken as if it were omitted.
  spec.has_precision = precision >= 0;
  spec.precision = precision >= 0 ? star_magnitude(precision) : 0;
}

void parse_length(const char*& fmt, Spec& spec) {
  switch (*fmt) {
    case 'h':
      ++fmt;
      spec.length = Length::kShort;
      if (*fmt == 'h') {
        ++fmt;
        spec.length = Length::kChar;
      }
      return;
    case 'l':
      ++fmt;
      spec.length = Length::kLong;
      if (*fmt == 'l') ++fmt;
      return;
    case 'z':
    case 't':
    case 'j':
      // size_t, ptrdiff_t and intmax_t are all 64 bits on x86-64, like long.
      ++fmt;
      spec.length = Length::kLong;
      return;
    default: return;
  }
}

int64_t read_signed(Length length, va_list* args) {
  switch (length) {
    case Length::kChar: return static_cast<signed char>(va_arg(*args, int));
    case Length::kShort: return static_cast<short>(va_arg(*args, int));
    case Length::kLong: return va_arg(*args, long long);
    case Length::kDefault: break;
  }
  return va_arg(*args, int);
}

uint64_t read_unsigned(Length length, va_list* args) {
  switch (length) {
    case Length::kChar: return static_cast<unsigned char>(va_arg(*args, unsigned int));
    case Length::kShort: return static_cast<unsigned short>(va_arg(*args, unsigned int));
    case Length::kLong: return va_arg(*args, unsigned long long);
    case Length::kDefault: break;
  }
  return va_arg(*args, unsigned int);
}

// Pads `body` (already including any precision zeros) to the field width.
void emit_field(Output& out, const Spec& spec, const char* body, size_t length) {
  size_t padding = spec.width > length ? spec.width - length : 0;
  if (!spec.left) out.repeat(' ', padding);
  out.write(body, length);
  if (spec.left) out.repeat(' ', padding);
}

// Writes an integer already split into prefix ("-", "0x", ...) and digits, applying
// precision (minimum digits) and width with glibc's rules for the '0' and '-' flags.
void emit_integer(Output& out, const Spec& spec, const char* prefix, size_t prefix_length,
                  const char* digits, size_t digit_count) {
  size_t zeros =
      spec.has_precision && spec.precision > digit_count ? spec.precision - digit_count : 0;
  size_t body = prefix_length + zeros + digit_count;
  size_t padding = spec.width > body ? spec.width - body : 0;
  // The '0' flag pads with zeros after the prefix, unless '-' or a precision overrides it.
  if (spec.zero && !spec.left && !spec.has_precision) {
    zeros += padding;
    padding = 0;
  }
  if (!spec.left) out.repeat(' ', padding);
  out.write(prefix, prefix_length);
  out.repeat('0', zeros);
  out.write(digits, digit_count);
  if (spec.left) out.repeat(' ', padding);
}

// Digits of `value` in `base`, written backwards into the end of `buffer`; returns the
// first digit. A zero value with precision 0 has no digits at all.
constexpr size_t kDigitBufferSize = 24;  // 22 octal digits hold 64 bits

char* to_digits(uint64_t value, unsigned base, bool upper, bool no_zero, char* end) {
  const char* alphabet = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char* first = end;
  if (value == 0 && no_zero) return first;
  do {
    *--first = alphabet[value % base];
    value /= base;
  } while (value != 0);
  return first;
}

void format_signed(Output& out, const Spec& spec, int64_t value) {
  uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  char buffer[kDigitBufferSize];
  char* end = buffer + kDigitBufferSize;
  bool no_zero = spec.has_precision && spec.precision == 0;
  char* first = to_digits(magnitude, 10, false, no_zero, end);
  const char* sign = value < 0 ? "-" : spec.plus ? "+" : spec.space ? " " : "";
  emit_integer(out, spec, sign, sign[0] == '\0' ? 0 : 1, first, static_cast<size_t>(end - first));
}

void format_unsigned(Output& out, const Spec& spec, uint64_t value, char conversion) {
  unsigned base = conversion == 'o' ? 8 : conversion == 'u' ? 10 : 16;
  char buffer[kDigitBufferSize];
  char* end = buffer + kDigitBufferSize;
  bool no_zero = spec.has_precision && spec.precision == 0;
  char* first = to_digits(value, base, conversion == 'X', no_zero, end);
  size_t count = static_cast<size_t>(end - first);
  const char* prefix = "";
  bool precision_adds_zero = spec.has_precision && spec.precision > count;
  if (spec.alt && base == 8 && (count == 0 || first[0] != '0') && !precision_adds_zero) {
    // '#' with %o: one leading zero, unless precision padding already gives one.
    *--first = '0';
    ++count;
  } else if (spec.alt && base == 16 && value != 0) {
    prefix = conversion == 'X' ? "0X" : "0x";
  }
  emit_integer(out, spec, prefix, prefix[0] == '\0' ? 0 : 2, first, count);
}

// glibc prints a pointer as %#lx (honouring '+' and ' '), and null as "(nil)".
void format_pointer(Output& out, Spec spec, const void* pointer) {
  if (pointer == nullptr) {
    emit_field(out, spec, "(nil)", 5);
    return;
  }
  uint64_t value = reinterpret_cast<uintptr_t>(pointer);
  char buffer[kDigitBufferSize];
  char* end = buffer + kDigitBufferSize;
  char* first = to_digits(value, 16, false, false, end);
  const char* prefix = spec.plus ? "+0x" : spec.space ? " 0x" : "0x";
  size_t prefix_length = prefix[0] == '0' ? 2 : 3;
  emit_integer(out, spec, prefix, prefix_length, first, static_cast<size_t>(end - first));
}

void format_string(Output& out, const Spec& spec, const char* text) {
  if (text == nullptr) text = "(null)";
  // With a precision the text need not be NUL-terminated: never read past it.
  size_t limit = spec.has_precision ? spec.precision : SIZE_MAX;
  size_t length = 0;
  while (length < limit && text[length] != '\0') ++length;
  emit_field(out, spec, text, length);
}

// Formats one conversion whose spec has been parsed; returns false for an unknown one.
bool format_conversion(Output& out, const Spec& spec, char conversion, va_list* args) {
  switch (conversion) {
    case 'd':
    case 'i': format_signed(out, spec, read_signed(spec.length, args)); return true;
    case 'u':
    case 'x':
    case 'X':
    case 'o': format_unsigned(out, spec, read_unsigned(spec.length, args), conversion); return true;
    case 'c': {
      char c = static_cast<char>(va_arg(*args, int));
      emit_field(out, spec, &c, 1);
      return true;
    }
    case 's': format_string(out, spec, va_arg(*args, const char*)); return true;
    case 'p': format_pointer(out, spec, va_arg(*args, const void*)); return true;
    case '%': out.put('%'); return true;
    default: return false;
  }
}

// Handles the directive starting at `fmt` (just past '%'); returns where the text resumes.
const char* format_directive(Output& out, const char* percent, va_list* args) {
  const char* fmt = percent + 1;
  Spec spec;
  parse_flags(fmt, spec);
  parse_width(fmt, spec, args);
  parse_precision(fmt, spec, args);
  parse_length(fmt, spec);
  char conversion = *fmt;
  if (conversion != '\0' && format_conversion(out, spec, conversion, args)) return fmt + 1;
  // Unknown or cut-off directive: copy it through verbatim, including the conversion char.
  const char* resume = conversion == '\0' ? fmt : fmt + 1;
  out.write(percent, static_cast<size_t>(resume - percent));
  return resume;
}

}  // namespace

size_t vformat(char* buffer, size_t size, const char* fmt, va_list args) {
  Output out(buffer, size);
  // A local copy gives helpers a `va_list*` that works whatever va_list's array-ness.
  va_list local;
  va_copy(local, args);
  while (*fmt != '\0') {
    if (*fmt == '%') {
      fmt = format_directive(out, fmt, &local);
    } else {
      out.put(*fmt++);
    }
  }
  va_end(local);
  return out.finish();
}

size_t format(char* buffer, size_t size, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  size_t length = vformat(buffer, size, fmt, args);
  va_end(args);
  return length;
}

}  // namespace atoll_os::kernel
