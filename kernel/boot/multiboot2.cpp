// Walking the multiboot2 tag list with every read checked against the structure's size.
#include "boot/multiboot2.h"

namespace atoll_os::kernel {
namespace {

constexpr uint32_t kTagEnd = 0;
constexpr uint32_t kTagCommandLine = 1;
constexpr uint32_t kTagBootloaderName = 2;
constexpr uint32_t kTagModule = 3;
constexpr uint32_t kTagMemoryMap = 6;

constexpr size_t kInfoHeaderSize = 8;      // u32 total_size, u32 reserved
constexpr size_t kTagHeaderSize = 8;       // u32 type, u32 size
constexpr size_t kTagAlign = 8;            // every tag starts 8-byte aligned
constexpr size_t kModuleFixedSize = 8;     // u32 mod_start, u32 mod_end, then the name
constexpr size_t kMemoryMapFixedSize = 8;  // u32 entry_size, u32 entry_version
constexpr size_t kMinEntrySize = 24;       // u64 base, u64 length, u32 type, u32 reserved
constexpr uint32_t kMemoryAvailable = 1;

// Fields are read by copying: nothing guarantees a field is aligned for a direct load.
template <typename T>
T read(const uint8_t* bytes) {
  T value;
  __builtin_memcpy(&value, bytes, sizeof(value));
  return value;
}

// A tag's type and the bytes after its header.
struct Tag {
  uint32_t type;
  const uint8_t* payload;
  size_t size;
};

// The NUL-terminated string at the start of `bytes`, without its NUL.
Result<std::string_view> read_string(const uint8_t* bytes, size_t size) {
  size_t length = 0;
  while (length < size && bytes[length] != '\0') ++length;
  if (length == size) return Err(Error::kBadFormat);
  return std::string_view(reinterpret_cast<const char*>(bytes), length);
}

Result<void> read_module(const Tag& tag, BootInfo& info) {
  if (tag.size < kModuleFixedSize) return Err(Error::kBadFormat);
  BootModule module;
  module.start = read<uint32_t>(tag.payload);
  module.end = read<uint32_t>(tag.payload + 4);
  if (module.end < module.start) return Err(Error::kBadFormat);
  module.name = TRY(read_string(tag.payload + kModuleFixedSize, tag.size - kModuleFixedSize));
  if (info.module_count == BootInfo::kMaxModules) return Err(Error::kOutOfRange);
  info.modules[info.module_count++] = module;
  return success();
}

Result<void> add_range(MemoryRange* ranges, size_t& count, const MemoryRange& range) {
  if (count == BootInfo::kMaxRanges) return Err(Error::kOutOfRange);
  ranges[count++] = range;
  return success();
}

Result<void> read_memory_map(const Tag& tag, BootInfo& info) {
  if (tag.size < kMemoryMapFixedSize) return Err(Error::kBadFormat);
  size_t entry_size = read<uint32_t>(tag.payload);
  if (entry_size < kMinEntrySize) return Err(Error::kBadFormat);
  size_t bytes = tag.size - kMemoryMapFixedSize;
  if (bytes % entry_size != 0) return Err(Error::kTruncated);  // the last entry is cut off
  for (size_t offset = 0; offset < bytes; offset += entry_size) {
    const uint8_t* entry = tag.payload + kMemoryMapFixedSize + offset;
    MemoryRange range{read<uint64_t>(entry), read<uint64_t>(entry + 8)};
    if (read<uint32_t>(entry + 16) == kMemoryAvailable) {
      TRY(add_range(info.usable, info.usable_count, range));
    } else {
      TRY(add_range(info.reserved, info.reserved_count, range));
    }
  }
  return success();
}

Result<void> read_tag(const Tag& tag, BootInfo& info) {
  switch (tag.type) {
    case kTagCommandLine: info.command_line = TRY(read_string(tag.payload, tag.size)); break;
    case kTagBootloaderName: info.bootloader_name = TRY(read_string(tag.payload, tag.size)); break;
    case kTagModule: return read_module(tag, info);
    case kTagMemoryMap: return read_memory_map(tag, info);
    default: break;  // tags the kernel does not use
  }
  return success();
}

// Reads tags from `info + kInfoHeaderSize` up to the end tag; `total` is already checked
// against the bytes available.
Result<void> read_tags(const uint8_t* info, size_t total, BootInfo& boot) {
  size_t offset = kInfoHeaderSize;
  for (;;) {
    if (offset == total) return Err(Error::kBadFormat);  // no end tag
    if (total - offset < kTagHeaderSize) return Err(Error::kTruncated);
    uint32_t type = read<uint32_t>(info + offset);
    size_t size = read<uint32_t>(info + offset + 4);
    if (size < kTagHeaderSize) return Err(Error::kBadFormat);
    if (size > total - offset) return Err(Error::kTruncated);
    if (type == kTagEnd) return success();
    TRY(read_tag({type, info + offset + kTagHeaderSize, size - kTagHeaderSize}, boot));
    // Padding that would pass the end leaves no room for the end tag.
    size_t padded = align_up(size, kTagAlign);
    offset = padded > total - offset ? total : offset + padded;
  }
}

}  // namespace

Result<BootInfo> parse_multiboot2(const uint8_t* info, size_t available) {
  if (info == nullptr || available < kInfoHeaderSize) return Err(Error::kTruncated);
  // The structure is 8-byte aligned; a misaligned start misaligns every tag.
  if (reinterpret_cast<uintptr_t>(info) % kTagAlign != 0) return Err(Error::kBadFormat);
  size_t total = read<uint32_t>(info);
  if (total > available) return Err(Error::kTruncated);
  if (total < kInfoHeaderSize) return Err(Error::kBadFormat);
  BootInfo boot;
  TRY(read_tags(info, total, boot));
  return boot;
}

Result<BootModule> BootInfo::module(std::string_view name) const {
  for (const BootModule& candidate : module_list()) {
    if (candidate.name == name) return candidate;
  }
  return Err(Error::kNotFound);
}

uint64_t BootInfo::usable_bytes() const {
  uint64_t total = 0;
  for (const MemoryRange& range : usable_ranges()) total += range.length;
  return total;
}

}  // namespace atoll_os::kernel
