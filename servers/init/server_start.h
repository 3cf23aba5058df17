// The steps of init's boot: endpoints, mm (eager), pm (paged by mm), then the manifest's
// other servers through pm.
#pragma once

#include <stdint.h>

#include "atoll/abi/syscalls.h"
#include "atoll/protocols/mm.h"
#include "atoll/protocols/pm.h"
#include "atoll/result.h"
#include "manifest.h"

namespace atoll_os::servers::init {

/// The pager runs above everything it pages; the other servers above applications.
inline constexpr uint32_t kPagerPriority = 24;
inline constexpr uint32_t kServerPriority = 20;

/// mm or pm: started by init, watched by init.
struct CoreServer {
  const char* name;
  uint64_t serial;
  uint64_t death_bit;
  abi::Handle task = abi::kNoHandle;
  abi::Handle thread = abi::kNoHandle;
};

/// What init holds during and after the boot.
struct Boot {
  const abi::BootModuleTable* table = nullptr;
  uint64_t node = 0;
  abi::Handle deaths = abi::kNoHandle;          // mm's and pm's death bits
  abi::Handle mm_endpoint = abi::kNoHandle;     // all rights; mm receives on a copy
  abi::Handle pm_endpoint = abi::kNoHandle;     // all rights; pm receives on a copy
  abi::Handle names_endpoint = abi::kNoHandle;  // all rights; names receives on a copy
  abi::Handle ipcm_endpoint = abi::kNoHandle;   // all rights; ipcm receives on a copy
  protocols::mm::Client mm_client;              // system badge
  protocols::pm::Client pm_client;              // system badge
  CoreServer mm{"mm", protocols::pm::kMemoryManagerSerial, 1};
  CoreServer pm{"pm", protocols::pm::kProcessManagerSerial, 2};
};

Result<void> create_endpoints(Boot& boot);
/// Loads mm with every page mapped and starts it.
Result<void> start_mm(Boot& boot, const char** reason);
/// Builds pm as mm's first client, shares the boot modules into it and starts it.
Result<void> start_pm(Boot& boot, const char** reason);
/// Lists init, mm and pm in pm's table (failures are only logged).
void adopt_core_servers(Boot& boot);
/// Starts one manifest entry through pm, privileged, with the capabilities it asks for;
/// its PID. boot.pm_client.last_reason() explains a failure.
Result<uint64_t> spawn_server(Boot& boot, const ManifestEntry& entry);

}  // namespace atoll_os::servers::init
