// The name service's protocol handlers over a NameTable; handles are duplicated and closed
// through NamesKernel so that host tests can run them.
#pragma once

#include "atoll/protocols/names.h"
#include "name_table.h"

namespace atoll_os::servers::names {

/// The system calls the name service needs.
class NamesKernel {
 public:
  virtual Result<abi::HandleInfo> info(abi::Handle handle) = 0;
  virtual Result<abi::Handle> duplicate(abi::Handle handle, uint32_t rights) = 0;
  virtual void close(abi::Handle handle) = 0;

 protected:
  ~NamesKernel() = default;
};

/// Rights an endpoint must carry to be registered: lookups hand out copies of it.
inline constexpr uint32_t kRegisteredRights =
    abi::kRightWrite | abi::kRightDuplicate | abi::kRightTransfer;
/// Rights of the copy a lookup returns: enough to call and to pass on, not to mint badges.
inline constexpr uint32_t kLookupRights = abi::kRightWrite | abi::kRightTransfer;

class NameService {
 public:
  explicit NameService(NamesKernel& kernel) : kernel_(kernel) {}

  Result<protocols::Empty> register_name(const protocols::names::NameRequest& request,
                                         protocols::Call& call);
  Result<protocols::Empty> lookup(const protocols::names::NameRequest& request,
                                  protocols::Call& call);
  Result<protocols::Empty> unregister(const protocols::names::NameRequest& request,
                                      protocols::Call& call);
  Result<protocols::names::ReleaseReply> release_owner(
      const protocols::names::OwnerRequest& request, protocols::Call& call);

  const NameTable& table() const { return table_; }

 private:
  NamesKernel& kernel_;
  NameTable table_;
};

}  // namespace atoll_os::servers::names
