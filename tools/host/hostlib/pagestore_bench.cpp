// pagestore_probe runs from the host and the page store's throughput benchmark.
#include "hostlib/pagestore_bench.h"

#include "hostlib/bench_support.h"
#include "hostlib/node_address.h"

namespace atoll_os::host {
namespace {

constexpr unsigned kStoreNode = 0;
constexpr unsigned kProbeNode = 1;
// The probe's PID argument: any nonzero number names the pages' owner at the store.
constexpr uint64_t kBenchPid = 0x0001'0000'0000'0bee;

}  // namespace

HostResult<KeyValueLine> run_pagestore_probe(ControlChannel& ctl, const std::string& mode,
                                             const std::string& arguments,
                                             std::chrono::milliseconds timeout) {
  ProgramRun run = HOST_TRY(run_program(ctl, "pagestore_probe " + mode + " " + arguments, timeout));
  if (run.exit.state == "exited" && run.exit.code == 2) run.exit.code = 0;  // a clean refusal
  return result_line(run, "pagestore_probe: " + mode + " ");
}

HostResult<PagestoreBenchResult> measure_pagestore(ClusterConfig config, uint64_t bytes,
                                                   std::chrono::milliseconds timeout) {
  config.nodes = 2;
  config.pagestore_node = kStoreNode;
  return measure_on_cluster<PagestoreBenchResult>(
      std::move(config), timeout, [&](Cluster& cluster) -> HostResult<PagestoreBenchResult> {
        ControlChannel& ctl = *cluster.node(kProbeNode).control();
        const std::string store_ip = address_of(kStoreNode).ip;
        ProgramRun run =
            HOST_TRY(run_program(ctl,
                                 "pagestore_probe bench " + store_ip + " " +
                                     std::to_string(kBenchPid) + " " + std::to_string(bytes),
                                 timeout));
        KeyValueLine fill = HOST_TRY(result_line(run, "pagestore_probe: fill "));
        KeyValueLine check = HOST_TRY(result_line(run, "pagestore_probe: check "));
        if (HOST_TRY(check.unsigned_at("held")) * 4096 != bytes ||
            HOST_TRY(check.unsigned_at("bad")) != 0) {
          return fail(Error::kBadFormat, "the pages did not come back whole: " + check.line());
        }
        PagestoreBenchResult result;
        result.bytes = bytes;
        result.put_mib_per_s = HOST_TRY(fill.decimal_at("mib_per_s"));
        result.get_mib_per_s = HOST_TRY(check.decimal_at("mib_per_s"));
        return result;
      });
}

HostResult<std::filesystem::path> write_pagestore_bench(const PagestoreBenchResult& r,
                                                        const std::filesystem::path& dir) {
  std::string json = "{\n";
  json += "  \"bytes\": " + std::to_string(r.bytes) + ",\n";
  json += "  \"put_mib_per_s\": " + decimal_text(r.put_mib_per_s, 2) + ",\n";
  json += "  \"get_mib_per_s\": " + decimal_text(r.get_mib_per_s, 2) + ",\n";
  json += "  \"accel\": " + json_string(r.accel) + "\n}\n";
  return write_results_json(json, dir);
}

}  // namespace atoll_os::host
