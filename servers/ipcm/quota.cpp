// Per-client message and byte limits.
#include "quota.h"

namespace atoll_os::servers::ipcm {

const char* refusal_name(Refusal refusal) {
  switch (refusal) {
    case Refusal::kNone: return "none";
    case Refusal::kTooManyMessages: return "too_many_messages";
    case Refusal::kTooManyBytes: return "too_many_bytes";
    case Refusal::kTooManyClients: return "too_many_clients";
  }
  return "unknown";
}

const ClientQuota::Account* ClientQuota::find(uint64_t badge) const {
  for (const Account& a : accounts_) {
    if (a.messages != 0 && a.badge == badge) return &a;
  }
  return nullptr;
}

ClientQuota::Account* ClientQuota::find(uint64_t badge) {
  return const_cast<Account*>(static_cast<const ClientQuota*>(this)->find(badge));
}

Refusal ClientQuota::charge(uint64_t badge, uint32_t bytes) {
  Account* account = find(badge);
  if (account == nullptr) {
    if (bytes > kClientBytesMax) return Refusal::kTooManyBytes;
    for (Account& a : accounts_) {
      if (a.messages == 0) {
        a = Account{badge, 1, bytes};
        return Refusal::kNone;
      }
    }
    return Refusal::kTooManyClients;
  }
  if (account->messages == kClientMessagesMax) return Refusal::kTooManyMessages;
  if (bytes > kClientBytesMax - account->bytes) return Refusal::kTooManyBytes;
  ++account->messages;
  account->bytes += bytes;
  return Refusal::kNone;
}

void ClientQuota::release(uint64_t badge, uint32_t bytes) {
  Account* account = find(badge);
  if (account == nullptr) return;
  --account->messages;
  account->bytes -= bytes < account->bytes ? bytes : account->bytes;
}

uint32_t ClientQuota::messages(uint64_t badge) const {
  const Account* account = find(badge);
  return account == nullptr ? 0 : account->messages;
}

uint32_t ClientQuota::bytes(uint64_t badge) const {
  const Account* account = find(badge);
  return account == nullptr ? 0 : account->bytes;
}

}  // namespace atoll_os::servers::ipcm
