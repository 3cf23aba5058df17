// `console NODE`: follow a running cluster node's serial console live and send typed lines
// to its ctl.
#include <poll.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>

#include "cli/commands.h"
#include "cli/control_session.h"
#include "hostlib/cluster_state.h"
#include "hostlib/serial_log.h"

namespace atoll_os::host::cli {
namespace {

// Console lines shown from before the attach.
constexpr size_t kBacklogLines = 20;
// How long the loop sleeps waiting for typed input; the console is read this often.
constexpr int kFollowIntervalMs = 50;
// How often the loop checks that QEMU still runs (a /proc read).
constexpr auto kAliveCheckInterval = std::chrono::seconds(1);
constexpr auto kConnectTimeout = std::chrono::seconds(2);
constexpr auto kProbeTimeout = std::chrono::seconds(5);

HostResult<NodeRecord> find_node(const std::string& text) {
  unsigned index = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), index);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return fail(Error::kInvalidArgument, "NODE is a node number, not '" + text + "'");
  }
  const BuildTree tree = BuildTree::configured();
  ClusterState state = HOST_TRY(read_cluster_state(tree.cluster_state()));
  if (index >= state.nodes.size()) {
    return fail(
        Error::kInvalidArgument,
        "the cluster has nodes 0 to " + std::to_string(state.nodes.size() - 1) + ", not " + text);
  }
  return state.nodes[index];
}

// ctl, if its socket is free (it serves one client at a time) and it answers.
std::optional<ControlChannel> connect_ctl(const NodeRecord& node) {
  auto control = ControlChannel::connect(node.control_socket, kConnectTimeout);
  if (control && control->probe_ready(kProbeTimeout)) return control.release_value();
  fprintf(stderr,
          "atoll-host: ctl does not answer (another client?); following the console only\n");
  return std::nullopt;
}

void print_lines_from(const SerialLog& log, size_t& next) {
  for (; next < log.lines().size(); ++next) printf("%s\n", log.lines()[next].text.c_str());
  fflush(stdout);
}

// Sends each complete typed line to ctl and prints its reply.
void send_typed(LineSplitter& typed, std::optional<ControlChannel>& control) {
  while (auto line = typed.take()) {
    if (line->text.empty()) continue;
    if (!control) {
      fprintf(stderr, "atoll-host: no ctl connection; '%s' not sent\n", line->text.c_str());
      continue;
    }
    auto reply = control->command(line->text, kReplyTimeout);
    if (reply) {
      print_json_line(*reply, "ctl> ");
    } else {
      fprintf(stderr, "atoll-host: %s\n", reply.failure().describe().c_str());
    }
  }
}

// Reads what was typed; false at end of input.
bool read_typed(LineSplitter& typed) {
  char buf[1024];
  const ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
  if (n <= 0) return false;
  typed.feed(std::string_view(buf, static_cast<size_t>(n)));
  return true;
}

}  // namespace

int console(const CliOptions& options) {
  if (options.positional.size() != 1) {
    return report_usage(fail(Error::kInvalidArgument, "usage: atoll-host console NODE"));
  }
  auto node = find_node(options.positional[0]);
  if (!node)
    return node.error() == Error::kInvalidArgument ? report_usage(node.failure())
                                                   : report(node.failure());
  SerialLog log(node->serial_log);
  log.poll();
  for (const std::string& line : log.tail(kBacklogLines)) printf("%s\n", line.c_str());
  size_t next = log.lines().size();
  if (!node->qemu.alive())
    return report(fail(Error::kNotFound, "node " + options.positional[0] + " is down"));
  std::optional<ControlChannel> control = connect_ctl(*node);
  fprintf(stderr, "atoll-host: following node %s's console (%s); %sCtrl-C quits\n",
          options.positional[0].c_str(), node->serial_log.c_str(),
          control ? "typed lines go to its ctl; " : "");
  LineSplitter typed;
  bool input_open = true;
  auto next_alive_check = Clock::now() + kAliveCheckInterval;
  for (;;) {
    pollfd input{.fd = STDIN_FILENO, .events = POLLIN, .revents = 0};
    if (input_open && ::poll(&input, 1, kFollowIntervalMs) > 0) {
      input_open = read_typed(typed);
      send_typed(typed, control);
    } else if (!input_open) {
      usleep(kFollowIntervalMs * 1000);
    }
    log.poll();
    print_lines_from(log, next);
    if (control) print_events(*control, "ctl> ");
    if (Clock::now() < next_alive_check) continue;
    next_alive_check = Clock::now() + kAliveCheckInterval;
    if (node->qemu.alive()) continue;
    log.finish();
    print_lines_from(log, next);
    fprintf(stderr, "atoll-host: node %s has stopped\n", options.positional[0].c_str());
    return 1;
  }
}

}  // namespace atoll_os::host::cli
