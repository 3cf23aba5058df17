// Config disk creation with mtools; the command line is validated before it reaches GRUB.
#include "hostlib/config_disk.h"

#include <fstream>

#include "hostlib/process.h"

namespace atoll_os::host {
namespace {

// mtools finishes in milliseconds; the limit only guards against a wedged helper.
constexpr auto kMtoolsTimeout = std::chrono::seconds(30);

std::string describe_char(char c) {
  if (c == '\n') return "a newline";
  if (c == '\t') return "a tab";
  if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
    return "control character " + std::to_string(static_cast<unsigned char>(c));
  }
  return std::string("'") + c + "'";
}

}  // namespace

HostResult<void> validate_cmdline(std::string_view cmdline) {
  for (size_t i = 0; i < cmdline.size(); ++i) {
    const char c = cmdline[i];
    const bool control = static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    if (c == '"' || c == '\\' || c == '$' || control) {
      return fail(Error::kInvalidArgument, "kernel command line must not contain " +
                                               describe_char(c) + " (at offset " +
                                               std::to_string(i) + " of \"" + std::string(cmdline) +
                                               "\"): GRUB reads it inside a double-quoted string");
    }
  }
  return {};
}

HostResult<std::string> grub_config_text(std::string_view cmdline) {
  HOST_TRY(validate_cmdline(cmdline));
  return "set atoll_cmdline=\"" + std::string(cmdline) + "\"\n";
}

HostResult<std::filesystem::path> make_config_disk(const std::filesystem::path& dir,
                                                   std::string_view cmdline) {
  const std::string text = HOST_TRY(grub_config_text(cmdline));
  const std::filesystem::path cfg = dir / "atoll.cfg";
  const std::filesystem::path image = dir / "config.img";
  {
    std::ofstream out(cfg, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) return fail(Error::kAccessDenied, "cannot write " + cfg.string());
  }
  // A directory reused for a second boot must not hand GRUB the previous boot's image.
  std::error_code ec;
  std::filesystem::remove(image, ec);
  HOST_TRY(
      run_checked({"mformat", "-i", image.string(), "-C", "-f", "1440", "::"}, kMtoolsTimeout));
  HOST_TRY(
      run_checked({"mcopy", "-i", image.string(), cfg.string(), "::/atoll.cfg"}, kMtoolsTimeout));
  return image;
}

}  // namespace atoll_os::host
