// Parsing and checking the node's network identity from the kernel command line.
#include "net_config.h"

#include "atoll/protocols/pm.h"
#include "atoll/text.h"
#include "lib/command_line.h"

namespace atoll_os::servers::net {
namespace {

constexpr uint8_t kMaxPrefixLength = 30;  // /31 and /32 leave no host besides this one

Err reject(const char** reason, const char* why, Error error = Error::kBadFormat) {
  *reason = why;
  return Err(error);
}

bool take_char(std::string_view& text, char c) {
  if (text.empty() || text[0] != c) return false;
  text.remove_prefix(1);
  return true;
}

// A decimal number up to `max` at the start of `text`; text::take_unsigned also takes
// "0x" hexadecimal, which has no place in a dotted quad.
Result<uint8_t> take_decimal(std::string_view& text, uint8_t max) {
  if (text.size() >= 2 && (text[1] == 'x' || text[1] == 'X')) return Err(Error::kBadFormat);
  uint64_t value = TRY(text::take_unsigned(text));
  if (value > max) return Err(Error::kBadFormat);
  return static_cast<uint8_t>(value);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

uint32_t to_u32(const std::array<uint8_t, 4>& bytes) {
  return uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 | uint32_t{bytes[2]} << 8 | bytes[3];
}

// A.B.C.D/PREFIX, syntax only.
Result<void> parse_ip(std::string_view text, NetConfig& config) {
  for (size_t i = 0; i < config.ip.size(); ++i) {
    if (i > 0 && !take_char(text, '.')) return Err(Error::kBadFormat);
    config.ip[i] = TRY(take_decimal(text, 255));
  }
  if (!take_char(text, '/')) return Err(Error::kBadFormat);
  config.prefix_length = TRY(take_decimal(text, 32));
  if (!text.empty()) return Err(Error::kBadFormat);
  return success();
}

// Null when the address can be this host's on its subnet, else why not.
const char* address_problem(const NetConfig& config) {
  if (config.prefix_length < 1 || config.prefix_length > kMaxPrefixLength) {
    return "ip= prefix length outside 1..30";
  }
  if (config.ip[0] == 0) return "ip= is in 0.0.0.0/8";
  if (config.ip[0] == 127) return "ip= is a loopback address";
  if (config.ip[0] >= 224) return "ip= is a multicast or reserved address";
  uint32_t host_mask = ~to_u32(config.netmask());
  uint32_t host = to_u32(config.ip) & host_mask;
  if (host == 0) return "ip= is its subnet's network address";
  if (host == host_mask) return "ip= is its subnet's broadcast address";
  return nullptr;
}

// xx:xx:xx:xx:xx:xx with exactly two hex digits per byte, syntax only.
Result<void> parse_mac(std::string_view text, NetConfig& config) {
  for (size_t i = 0; i < config.mac.size(); ++i) {
    if (i > 0 && !take_char(text, ':')) return Err(Error::kBadFormat);
    if (text.size() < 2) return Err(Error::kBadFormat);
    int high = hex_digit(text[0]), low = hex_digit(text[1]);
    if (high < 0 || low < 0) return Err(Error::kBadFormat);
    config.mac[i] = static_cast<uint8_t>(high << 4 | low);
    text.remove_prefix(2);
  }
  if (!text.empty()) return Err(Error::kBadFormat);
  return success();
}

}  // namespace

std::array<uint8_t, 4> NetConfig::netmask() const {
  uint32_t mask = prefix_length == 0 ? 0 : ~uint32_t{0} << (32 - prefix_length);
  return {uint8_t(mask >> 24), uint8_t(mask >> 16), uint8_t(mask >> 8), uint8_t(mask)};
}

Result<NetConfig> parse_net_config(std::string_view text, const char** reason) {
  Result<kernel::CommandLine> line = kernel::CommandLine::parse(text);
  if (!line.ok()) return reject(reason, "malformed command line");
  NetConfig config;

  Result<uint64_t> node = line->number("node");
  if (node.error() == Error::kNotFound) return reject(reason, "no node=", Error::kNotFound);
  if (!node.ok()) return reject(reason, "node= is not a number");
  if (*node > protocols::pm::kMaxNode) return reject(reason, "node= is above the node limit");
  config.node = static_cast<uint32_t>(*node);

  Result<std::string_view> ip = line->value("ip");
  if (!ip.ok()) return reject(reason, "no ip=", Error::kNotFound);
  if (!parse_ip(*ip, config).ok()) return reject(reason, "ip= is not A.B.C.D/PREFIX");
  if (const char* problem = address_problem(config)) return reject(reason, problem);

  Result<std::string_view> mac = line->value("mac");
  if (!mac.ok()) return reject(reason, "no mac=", Error::kNotFound);
  if (!parse_mac(*mac, config).ok()) return reject(reason, "mac= is not xx:xx:xx:xx:xx:xx");
  if (config.mac[0] & 1) return reject(reason, "mac= is a group (multicast) address");
  if (config.mac == std::array<uint8_t, 6>{}) return reject(reason, "mac= is all zeros");
  return config;
}

}  // namespace atoll_os::servers::net
