// Port id text form and allocation.
#include "port_id.h"

#include "atoll/text.h"

namespace atoll_os::servers::ipcm {
namespace {

size_t format_decimal(uint64_t value, char* out) {
  char reversed[20];
  size_t length = 0;
  do {
    reversed[length++] = char('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (size_t i = 0; i < length; ++i) out[i] = reversed[length - 1 - i];
  return length;
}

// A decimal number only: take_unsigned would also accept "0x".
Result<uint64_t> take_decimal(std::string_view& text) {
  if (text.empty() || text[0] < '0' || text[0] > '9') return Err(Error::kBadFormat);
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    return Err(Error::kBadFormat);
  }
  return text::take_unsigned(text);
}

}  // namespace

size_t format_port_id(PortId port, char (&out)[kPortIdTextMax]) {
  size_t length = format_decimal(port.origin_node(), out);
  out[length++] = ':';
  return length + format_decimal(port.serial(), out + length);
}

Result<PortId> parse_port_id(std::string_view text) {
  uint64_t node = TRY(take_decimal(text));
  if (text.empty() || text[0] != ':') return Err(Error::kBadFormat);
  text.remove_prefix(1);
  uint64_t serial = TRY(take_decimal(text));
  if (!text.empty()) return Err(Error::kBadFormat);
  if (node > UINT16_MAX || serial > PortId::kSerialMax) return Err(Error::kOutOfRange);
  if (serial == 0) return Err(Error::kBadFormat);
  return PortId::make(uint16_t(node), serial);
}

Result<PortId> PortIdAllocator::allocate() {
  if (next_serial_ > PortId::kSerialMax) return Err(Error::kOutOfRange);
  return PortId::make(node_, next_serial_++);
}

}  // namespace atoll_os::servers::ipcm
