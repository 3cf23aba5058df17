// Parsing `nm -n -C -S` output line by line to turn addresses into function names and back.
#include "lib/symbol_table.h"

namespace atoll_os::kernel {
namespace {

// One code symbol as read from a line of the map.
struct Symbol {
  uint64_t start = 0;
  uint64_t size = 0;
  bool has_size = false;
  std::string_view name;

  // Whether `address` lies in this symbol; a symbol without a size extends indefinitely.
  bool covers(uint64_t address) const {
    return address >= start && (!has_size || address - start < size);
  }
};

constexpr size_t kMaxHexDigits = 16;

// Splits the next line (without its '\n') off the front of `rest`.
std::string_view take_line(std::string_view& rest) {
  size_t length = 0;
  while (length < rest.size() && rest[length] != '\n') ++length;
  std::string_view line(rest.data(), length);
  rest.remove_prefix(length < rest.size() ? length + 1 : length);
  if (!line.empty() && line[line.size() - 1] == '\r') line.remove_suffix(1);
  return line;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads a hex field of 1..16 digits followed by one space, consuming both.
bool take_hex_field(std::string_view& line, uint64_t& value) {
  size_t digits = 0;
  value = 0;
  while (digits < line.size() && hex_value(line[digits]) >= 0) {
    if (digits == kMaxHexDigits) return false;
    value = (value << 4) | static_cast<uint64_t>(hex_value(line[digits]));
    ++digits;
  }
  if (digits == 0 || digits == line.size() || line[digits] != ' ') return false;
  line.remove_prefix(digits + 1);
  return true;
}

bool is_code_type(char type) {
  return type == 'T' || type == 't' || type == 'W' || type == 'w';
}

// Whether `line` starts with the type field: one character and a space. Sizes are printed as
// 16 digits, so the width tells them apart even for types that are hex digits ('b', 'd').
bool at_type_field(std::string_view line) {
  return line.size() >= 2 && line[1] == ' ';
}

// Parses "<address> [<size>] <type> <name>"; false for malformed lines and non-code symbols.
bool parse_line(std::string_view line, Symbol& symbol) {
  if (!take_hex_field(line, symbol.start)) return false;
  symbol.has_size = !at_type_field(line);
  if (symbol.has_size && !take_hex_field(line, symbol.size)) return false;
  if (!at_type_field(line) || !is_code_type(line[0])) return false;
  line.remove_prefix(2);
  if (line.empty()) return false;
  symbol.name = line;
  return true;
}

// Whether `candidate` is a better answer for `address` than `best` (nm -n sorts by address,
// but the map is not trusted to be sorted). At equal starts one that covers the address wins.
bool better_match(const Symbol& candidate, const Symbol* best, uint64_t address) {
  if (candidate.start > address) return false;
  if (best == nullptr || candidate.start > best->start) return true;
  return candidate.start == best->start && !best->covers(address) && candidate.covers(address);
}

}  // namespace

Result<SymbolTable::Location> SymbolTable::lookup(uint64_t address) const {
  Symbol best;
  bool found = false;
  std::string_view rest = text_;
  while (!rest.empty()) {
    Symbol symbol;
    if (parse_line(take_line(rest), symbol) &&
        better_match(symbol, found ? &best : nullptr, address)) {
      best = symbol;
      found = true;
    }
  }
  if (!found || !best.covers(address)) return Err(Error::kNotFound);
  return Location{best.name, address - best.start};
}

Result<uint64_t> SymbolTable::address_of(std::string_view name) const {
  std::string_view rest = text_;
  while (!rest.empty()) {
    Symbol symbol;
    if (parse_line(take_line(rest), symbol) && symbol.name == name) return symbol.start;
  }
  return Err(Error::kNotFound);
}

}  // namespace atoll_os::kernel
