// Parsing the boot manifest line by line, with the line number of the first error.
#include "manifest.h"

#include "atoll/text.h"

namespace atoll_os::servers::init {
namespace {

using text::is_blank;
using text::take_word;

Result<ManifestCapability> parse_capability(std::string_view token, const char** reason) {
  *reason = "unknown capability";
  if (token == "@ioports") return ManifestCapability{CapabilityKind::kIoPorts, 0};
  if (token == "@names-endpoint") return ManifestCapability{CapabilityKind::kNamesEndpoint, 0};
  if (token == "@dma") return ManifestCapability{CapabilityKind::kDma, 0};
  if (token == "@mm-endpoint") return ManifestCapability{CapabilityKind::kMmEndpoint, 0};
  if (token == "@ipcm-service") return ManifestCapability{CapabilityKind::kIpcmService, 0};
  if (token == "@ipcm-endpoint") return ManifestCapability{CapabilityKind::kIpcmEndpoint, 0};
  constexpr std::string_view kIrq = "@irq=";
  if (token.substr(0, kIrq.size()) != kIrq) return Err(Error::kBadFormat);
  std::string_view digits = token.substr(kIrq.size());
  *reason = "IRQ must be a number from 0 to 15";
  if (digits.empty() || digits.size() > 2) return Err(Error::kBadFormat);
  uint32_t irq = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return Err(Error::kBadFormat);
    irq = irq * 10 + static_cast<uint32_t>(c - '0');
  }
  if (irq > 15) return Err(Error::kBadFormat);
  return ManifestCapability{CapabilityKind::kIrq, irq};
}

Result<ManifestEntry> parse_entry(std::string_view line, const char** reason) {
  ManifestEntry entry{};
  entry.name = take_word(line);
  *reason = "server name longer than 31 characters";
  if (entry.name.size() > kMaxServerName) return Err(Error::kBadFormat);
  for (std::string_view word = take_word(line); !word.empty(); word = take_word(line)) {
    if (word[0] == '@') {
      ManifestCapability capability = TRY(parse_capability(word, reason));
      *reason = "too many capabilities";
      if (entry.capability_count == kMaxEntryCapabilities) return Err(Error::kBadFormat);
      entry.capabilities[entry.capability_count++] = capability;
    } else {
      *reason = "too many arguments";
      if (entry.argument_count == kMaxEntryArguments) return Err(Error::kBadFormat);
      entry.arguments[entry.argument_count++] = word;
    }
  }
  return entry;
}

// Where `c` first occurs in `text`, or text.size(). (Not string_view::find: it calls memchr,
// which the user runtime does not have.)
size_t position_of(std::string_view text, char c) {
  size_t i = 0;
  while (i < text.size() && text[i] != c) ++i;
  return i;
}

// Cuts `text` at the first newline: the line goes out, comment removed.
std::string_view take_line(std::string_view& text) {
  size_t end = position_of(text, '\n');
  std::string_view line = text.substr(0, end);
  text.remove_prefix(end == text.size() ? end : end + 1);
  return line.substr(0, position_of(line, '#'));
}

bool is_empty(std::string_view line) {
  for (char c : line) {
    if (!is_blank(c)) return false;
  }
  return true;
}

}  // namespace

const char* capability_name(CapabilityKind kind) {
  switch (kind) {
    case CapabilityKind::kIoPorts: return "ioports";
    case CapabilityKind::kIrq: return "irq";
    case CapabilityKind::kNamesEndpoint: return "endpoint";
    case CapabilityKind::kDma: return "dma";
    case CapabilityKind::kMmEndpoint: return "mm";
    case CapabilityKind::kIpcmService: return "endpoint";
    case CapabilityKind::kIpcmEndpoint: return "ipcm";
  }
  return "unknown";
}

Result<Manifest> Manifest::parse(std::string_view text, ManifestError* error) {
  Manifest manifest;
  const char* reason = nullptr;
  auto fail = [&](size_t line, const char* why) {
    if (error != nullptr) *error = {line, why};
    return Err(Error::kBadFormat);
  };
  size_t line_number = 0;
  while (!text.empty()) {
    std::string_view line = take_line(text);
    ++line_number;
    if (is_empty(line)) continue;
    Result<ManifestEntry> entry = parse_entry(line, &reason);
    if (!entry.ok()) return fail(line_number, reason);
    if (manifest.count_ == kMaxEntries) return fail(line_number, "too many servers");
    for (size_t i = 0; i < manifest.count_; ++i) {
      if (manifest.entries_[i].name == entry->name) return fail(line_number, "server repeated");
    }
    constexpr std::string_view kFirst[] = {"mm", "pm"};
    bool in_place = manifest.count_ >= 2 ? entry->name != "mm" && entry->name != "pm"
                                         : entry->name == kFirst[manifest.count_];
    if (!in_place) return fail(line_number, "the manifest must begin with mm, then pm");
    manifest.entries_[manifest.count_++] = *entry;
  }
  if (manifest.count_ < 2) return fail(line_number, "the manifest must begin with mm, then pm");
  return manifest;
}

}  // namespace atoll_os::servers::init
