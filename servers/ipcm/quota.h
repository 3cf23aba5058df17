// Per-client accounting: what each local client has made ipcm hold on its behalf.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace atoll_os::servers::ipcm {

inline constexpr size_t kQuotaClients = 64;
inline constexpr uint32_t kClientMessagesMax = 64;
inline constexpr uint32_t kClientBytesMax = 16 * 1024;

enum class Refusal {
  kNone,
  kTooManyMessages,  // the client already has kClientMessagesMax messages held
  kTooManyBytes,     // ... or kClientBytesMax bytes
  kTooManyClients,   // every accounting slot belongs to another client
};

/// A short, stable name of a refusal for logs and replies.
const char* refusal_name(Refusal refusal);

/// Counts the messages and bytes ipcm holds for each client badge (queued for a port or
/// awaiting a peer's ack) against fixed limits, so that no sender can make ipcm queue
/// without bound. A client with nothing held has no slot.
class ClientQuota {
 public:
  /// Charges one message of `bytes`, or refuses it and charges nothing.
  Refusal charge(uint64_t badge, uint32_t bytes);
  /// Returns what charge() took, once the message is delivered or dropped.
  void release(uint64_t badge, uint32_t bytes);
  uint32_t messages(uint64_t badge) const;
  uint32_t bytes(uint64_t badge) const;

 private:
  struct Account {
    uint64_t badge;
    uint32_t messages;  // 0: the slot is free
    uint32_t bytes;
  };
  const Account* find(uint64_t badge) const;
  Account* find(uint64_t badge);

  Account accounts_[kQuotaClients] = {};
};

}  // namespace atoll_os::servers::ipcm
