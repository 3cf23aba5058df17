// rpcbench: messages between processes through ipcm, wherever they live. One mode per run:
//   rpcbench serve NAME [COUNT]              answers COUNT calls (0: forever) at a port named NAME
//   rpcbench call NAME COUNT [ipcm|direct [PAUSE_MS]]
//                                            COUNT 64-byte round trips to NAME, timed; a
//                                            server on this node is called on the direct
//                                            path unless "ipcm" is given; PAUSE_MS between
//                                            calls makes them span a migration
//   rpcbench moveserve NAME AFTER NODE       serves AFTER calls, then moves its port to NODE
//   rpcbench adoptserve NODE:SERIAL COUNT    takes the moving port over, serves COUNT calls
//   rpcbench sink NAME SENDERS EXPECT        receives EXPECT messages from each of SENDERS
//                                            blasts, checking each arrives once and in order
//   rpcbench blast NAME SENDER_ID COUNT      COUNT one-way messages to NAME, as fast as ipcm
//                                            takes them
//   rpcbench movesink NAME SENDERS EXPECT AFTER NODE
//                                            a sink that moves its port to NODE after AFTER
//   rpcbench adopt NODE:SERIAL SENDERS EXPECT  takes the moving port over and receives the
//                                            rest, checking each sender continues in order
// serve and sink print "rpcbench: serving name=NAME port=P" once the name is registered.
// Results are single lines starting "rpcbench:" with key=value pairs the host parses; a
// failure prints "rpcbench: error ..." with the reason and exits 1.
#include <stdint.h>

#include "atoll/protocols/ipcm_client.h"
#include "atoll/user/clock.h"
#include "atoll/user/parse.h"
#include "atoll/user/print.h"
#include "atoll/user/samples.h"

namespace atoll_os::apps {
namespace {

namespace ipcm = protocols::ipcm;
using user::print;

constexpr uint64_t kSecond = 1'000'000'000;
// Names spread to other nodes asynchronously; a server started just before is found within.
constexpr uint64_t kLookupTimeout = 10 * kSecond;
// One round trip, including a link that is still connecting.
constexpr uint64_t kCallTimeout = 10 * kSecond;
// A sink that hears nothing for this long reports what it has and ends.
constexpr uint64_t kSinkIdleTimeout = 20 * kSecond;
constexpr uint32_t kCallLabel = 1;
constexpr uint32_t kBlastLabel = 2;
constexpr size_t kCallBytes = 64;
constexpr size_t kMaxSamples = 2000;
constexpr uint64_t kMaxSenders = 8;
constexpr uint64_t kMaxExpect = 100'000;

int fail(const char* what, Error error, const char* reason = "") {
  print("rpcbench: error %s: %s %s\n", what, error_name(error), reason);
  return 1;
}

uint64_t per_second(uint64_t count, uint64_t ns) {
  return ns == 0 ? 0 : count * kSecond / ns;
}

// A port registered under `name`, announced on the console for the host to wait for.
Result<ipcm::Port> serving_port(ipcm::Client& client, const char* name) {
  ipcm::Port port = TRY(ipcm::Port::create(client));
  if (Result<void> bound = ipcm::register_name(client, name, port.id()); !bound.ok()) {
    (void)port.close();
    return Err(bound.error());
  }
  print("rpcbench: serving name=%s port=%lu:%lu\n", name, port.id() >> 48,
        port.id() & ((uint64_t{1} << 48) - 1));
  return port;
}

// Answers `count` calls (0: for ever) at `port` with their own bytes; the unanswered count
// (callers that went away must not stop the server), or the receive error.
Result<uint64_t> answer_calls(ipcm::Port& port, ipcm::Client& client, uint64_t count) {
  uint64_t unanswered = 0;
  for (uint64_t n = 0; count == 0 || n < count; ++n) {
    ipcm::ReceivedMessage m = TRY(port.receive(abi::kForever));
    if (m.reply == 0) continue;
    if (!ipcm::send(client, m.reply, 0, m.label, m.data, m.length).ok()) ++unanswered;
  }
  return unanswered;
}

int serve(ipcm::Client& client, const char* name, uint64_t count) {
  Result<ipcm::Port> port = serving_port(client, name);
  if (!port.ok()) return fail("register", port.error(), client.last_reason());
  Result<uint64_t> unanswered = answer_calls(*port, client, count);
  if (!unanswered.ok()) return fail("receive", unanswered.error(), client.last_reason());
  print("rpcbench: serve answered=%lu unanswered=%lu\n", count - *unanswered, *unanswered);
  (void)port->close();
  return 0;
}

// Serves AFTER calls at a port named NAME, then moves the port to NODE, where `adoptserve`
// answers the rest: callers on this node lose their direct path and go on through ipcm.
int moveserve(ipcm::Client& client, const char* name, uint64_t after, uint64_t node) {
  Result<ipcm::Port> port = serving_port(client, name);
  if (!port.ok()) return fail("register", port.error(), client.last_reason());
  Result<uint64_t> unanswered = answer_calls(*port, client, after);
  if (!unanswered.ok()) return fail("receive", unanswered.error(), client.last_reason());
  if (Result<void> moved = port->move_to(static_cast<uint16_t>(node)); !moved.ok()) {
    return fail("move", moved.error(), client.last_reason());
  }
  print("rpcbench: moved answered=%lu unanswered=%lu\n", after - *unanswered, *unanswered);
  return 0;
}

// "NODE:SERIAL" as a port id; 0 if malformed.
ipcm::PortId parse_port(const char* text) {
  const char* colon = text;
  while (*colon != '\0' && *colon != ':') ++colon;
  char node_text[8] = {};
  size_t n = static_cast<size_t>(colon - text);
  if (*colon != ':' || n == 0 || n >= sizeof(node_text)) return 0;
  __builtin_memcpy(node_text, text, n);
  Result<uint64_t> node = user::parse_unsigned(node_text);
  Result<uint64_t> serial = user::parse_unsigned(colon + 1);
  if (!node.ok() || !serial.ok() || *serial == 0 || *node > 0xffff) return 0;
  return *node << 48 | *serial;
}

int adoptserve(ipcm::Client& client, const char* port_text, uint64_t count) {
  ipcm::PortId id = parse_port(port_text);
  if (id == 0 || count == 0)
    return fail("adoptserve", Error::kInvalidArgument, "NODE:SERIAL COUNT");
  Result<ipcm::Port> port = ipcm::Port::expect(client, id, 1);
  if (!port.ok()) return fail("expect", port.error(), client.last_reason());
  print("rpcbench: expecting port=%s\n", port_text);
  Result<uint64_t> unanswered = answer_calls(*port, client, count);
  if (!unanswered.ok()) return fail("receive", unanswered.error(), client.last_reason());
  print("rpcbench: adopted answered=%lu unanswered=%lu\n", count - *unanswered, *unanswered);
  (void)port->close();
  return 0;
}

int call(ipcm::Client& client, const char* name, uint64_t count, bool direct,
         uint64_t pause_ms = 0) {
  ipcm::use_direct_paths(direct);
  Result<ipcm::PortId> server = ipcm::lookup(client, name, kLookupTimeout);
  if (!server.ok()) return fail("lookup", server.error(), client.last_reason());
  Result<ipcm::Port> own = ipcm::Port::create(client);
  if (!own.ok()) return fail("port create", own.error(), client.last_reason());
  static uint64_t samples[kMaxSamples];
  if (count > kMaxSamples) count = kMaxSamples;
  uint8_t message[kCallBytes] = {};
  uint64_t direct_calls = 0;
  for (uint64_t i = 0; i < count; ++i) {
    __builtin_memcpy(message, &i, sizeof(i));
    uint64_t start = user::now_ns();
    Result<ipcm::ReceivedMessage> answer =
        ipcm::call(client, *own, *server, kCallLabel, message, sizeof(message), kCallTimeout);
    if (!answer.ok()) {
      const char* reason = answer.error() == Error::kTimedOut ? "no answer within 10 s"
                           : answer.error() == Error::kNotFound
                               ? "undeliverable: the server's node went away"
                               : client.last_reason();
      print("rpcbench: error call %lu of %lu: %s %s\n", i + 1, count, error_name(answer.error()),
            reason);
      return 1;
    }
    uint64_t echoed = ~i;
    if (answer->length == sizeof(message)) __builtin_memcpy(&echoed, answer->data, 8);
    if (echoed != i) return fail("call", Error::kBadFormat, "the answer is not the echo");
    samples[i] = user::now_ns() - start;
    direct_calls += ipcm::has_direct_path(*server);  // a fallback closes the path
    if (pause_ms != 0) (void)user::sleep_ms(pause_ms);
  }
  (void)own->close();
  uint64_t m = user::sort_and_median(samples, count);
  print("rpcbench: call samples=%lu median_us=%lu.%03lu direct_calls=%lu path=%s\n", count,
        m / 1000, m % 1000, direct_calls, ipcm::has_direct_path(*server) ? "direct" : "ipcm");
  return 0;
}

// Blast messages carry (sender id, sequence), little-endian u64s.
struct BlastMessage {
  uint64_t sender;
  uint64_t sequence;
};

// What a sink has seen of each sender: a bit per sequence number, to tell a duplicate from
// a late one. A message is out of order if a later one of its sender came before it; one
// that never comes is missing (a gap alone is not counted twice).
class SinkTally {
 public:
  void take(const BlastMessage& m, uint64_t expect) {
    if (m.sender >= kMaxSenders || m.sequence == 0 || m.sequence > expect) {
      ++out_of_order_;  // nothing any blast sends
      return;
    }
    uint64_t bit = m.sender * kMaxExpect + m.sequence - 1;
    if (seen_[bit / 64] & (uint64_t{1} << (bit % 64))) {
      ++duplicates_;
      return;
    }
    seen_[bit / 64] |= uint64_t{1} << (bit % 64);
    if (m.sequence < highest_[m.sender]) ++out_of_order_;
    if (m.sequence > highest_[m.sender]) highest_[m.sender] = m.sequence;
    if (first_[m.sender] == 0) first_[m.sender] = m.sequence;
    ++unique_;
  }
  uint64_t unique() const { return unique_; }
  uint64_t highest(uint64_t sender) const { return highest_[sender]; }
  uint64_t first(uint64_t sender) const { return first_[sender]; }
  // Whether every sender's messages from its first seen through `expect` have all come.
  bool complete(uint64_t senders, uint64_t expect) const {
    uint64_t wanted = 0;
    for (uint64_t s = 0; s < senders; ++s) {
      if (first_[s] == 0) return false;
      wanted += expect - first_[s] + 1;
    }
    return unique_ == wanted;
  }
  uint64_t duplicates() const { return duplicates_; }
  uint64_t out_of_order() const { return out_of_order_; }

 private:
  uint64_t seen_[kMaxSenders * kMaxExpect / 64 + 1] = {};
  uint64_t highest_[kMaxSenders] = {};
  uint64_t first_[kMaxSenders] = {};
  uint64_t unique_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t out_of_order_ = 0;
};

SinkTally g_tally;

int sink(ipcm::Client& client, const char* name, uint64_t senders, uint64_t expect) {
  if (senders == 0 || senders > kMaxSenders || expect == 0 || expect > kMaxExpect) {
    return fail("sink", Error::kInvalidArgument, "1..8 senders, 1..100000 messages each");
  }
  Result<ipcm::Port> port = serving_port(client, name);
  if (!port.ok()) return fail("register", port.error(), client.last_reason());
  const uint64_t total = senders * expect;
  uint64_t received = 0;
  uint64_t first = 0;
  uint64_t last = 0;
  while (g_tally.unique() < total) {
    Result<ipcm::ReceivedMessage> m = port->receive(kSinkIdleTimeout);
    if (!m.ok() && m.error() == Error::kTimedOut) break;  // reported as missing
    if (!m.ok()) return fail("receive", m.error(), client.last_reason());
    last = user::now_ns();
    if (first == 0) first = last;
    ++received;
    BlastMessage blast{~uint64_t{0}, 0};
    if (m->label == kBlastLabel && m->length == sizeof(blast)) {
      __builtin_memcpy(&blast, m->data, sizeof(blast));
    }
    g_tally.take(blast, expect);
  }
  (void)port->close();
  const uint64_t missing = total - g_tally.unique();
  print("rpcbench: sink received=%lu duplicates=%lu out_of_order=%lu missing=%lu ns=%lu ", received,
        g_tally.duplicates(), g_tally.out_of_order(), missing, last - first);
  print("msgs_per_s=%lu\n", per_second(received, last - first));
  return g_tally.duplicates() == 0 && g_tally.out_of_order() == 0 && missing == 0 ? 0 : 1;
}

// One blast message into the tally; false when the port failed (reported).
bool take_one(ipcm::Client& client, ipcm::Port& port, uint64_t expect) {
  Result<ipcm::ReceivedMessage> m = port.receive(kSinkIdleTimeout);
  if (!m.ok()) {
    fail("receive", m.error(), client.last_reason());
    return false;
  }
  BlastMessage blast{~uint64_t{0}, 0};
  if (m->label == kBlastLabel && m->length == sizeof(blast)) {
    __builtin_memcpy(&blast, m->data, sizeof(blast));
  }
  g_tally.take(blast, expect);
  return true;
}

void print_senders(const char* key, uint64_t senders, bool first) {
  for (uint64_t s = 0; s < senders; ++s) {
    print(" %s%lu=%lu", key, s, first ? g_tally.first(s) : g_tally.highest(s));
  }
}

// Receives AFTER blast messages at a port named NAME, then moves the port to NODE, where
// `adopt` takes over: "rpcbench: moved received=N duplicates=D out_of_order=O high0=.."
int movesink(ipcm::Client& client, const char* name, uint64_t senders, uint64_t expect,
             uint64_t after, uint64_t node) {
  if (senders == 0 || senders > kMaxSenders || expect == 0 || expect > kMaxExpect) {
    return fail("movesink", Error::kInvalidArgument, "1..8 senders, 1..100000 messages each");
  }
  Result<ipcm::Port> port = serving_port(client, name);
  if (!port.ok()) return fail("register", port.error(), client.last_reason());
  while (g_tally.unique() < after) {
    if (!take_one(client, *port, expect)) return 1;
  }
  if (Result<void> moved = port->move_to(static_cast<uint16_t>(node)); !moved.ok()) {
    return fail("move", moved.error(), client.last_reason());
  }
  print("rpcbench: moved received=%lu duplicates=%lu out_of_order=%lu", g_tally.unique(),
        g_tally.duplicates(), g_tally.out_of_order());
  print_senders("high", senders, false);
  print("\n");
  return 0;
}

// Takes over port NODE:SERIAL when it moves here and receives until every sender's
// messages through EXPECT have come: "rpcbench: adopted received=N ... first0=.."
int adopt(ipcm::Client& client, const char* port_text, uint64_t senders, uint64_t expect) {
  ipcm::PortId id = parse_port(port_text);
  if (id == 0 || senders == 0 || senders > kMaxSenders || expect == 0) {
    return fail("adopt", Error::kInvalidArgument, "PORT is NODE:SERIAL; 1..8 senders");
  }
  Result<ipcm::Port> port = ipcm::Port::expect(client, id, 1);
  if (!port.ok()) return fail("expect", port.error(), client.last_reason());
  print("rpcbench: expecting port=%s\n", port_text);
  while (!g_tally.complete(senders, expect)) {
    if (!take_one(client, *port, expect)) break;
  }
  (void)port->close();
  print("rpcbench: adopted received=%lu duplicates=%lu out_of_order=%lu complete=%d",
        g_tally.unique(), g_tally.duplicates(), g_tally.out_of_order(),
        g_tally.complete(senders, expect) ? 1 : 0);
  print_senders("first", senders, true);
  print("\n");
  return g_tally.complete(senders, expect) && g_tally.duplicates() == 0 &&
                 g_tally.out_of_order() == 0
             ? 0
             : 1;
}

// Sends one blast message. Besides a busy link (send retries that), a sink on this node
// pushes back with kOutOfMemory while this session's messages fill its queue: retried too.
Result<void> send_queued(ipcm::Client& client, ipcm::PortId sink, const BlastMessage& m) {
  const uint64_t give_up = user::now_ns() + ipcm::kSendBusyWaitNs;
  for (;;) {
    Result<void> sent = ipcm::send(client, sink, 0, kBlastLabel, &m, sizeof(m));
    if (sent.ok() || sent.error() != Error::kOutOfMemory || user::now_ns() > give_up) return sent;
    (void)user::sleep_ms(ipcm::kBusyRetryMs);
  }
}

int blast(ipcm::Client& client, const char* name, uint64_t sender, uint64_t count) {
  Result<ipcm::PortId> sink = ipcm::lookup(client, name, kLookupTimeout);
  if (!sink.ok()) return fail("lookup", sink.error(), client.last_reason());
  uint64_t start = user::now_ns();
  for (uint64_t sequence = 1; sequence <= count; ++sequence) {
    BlastMessage m{sender, sequence};
    if (Result<void> sent = send_queued(client, *sink, m); !sent.ok()) {
      print("rpcbench: error blast send %lu of %lu: %s %s\n", sequence, count,
            error_name(sent.error()), client.last_reason());
      return 1;
    }
  }
  uint64_t elapsed = user::now_ns() - start;
  print("rpcbench: blast sent=%lu ns=%lu msgs_per_s=%lu\n", count, elapsed,
        per_second(count, elapsed));
  return 0;
}

Result<uint64_t> number(const char* text) {
  if (text == nullptr) return Err(Error::kInvalidArgument);
  return user::parse_unsigned(text);
}

int run(int argc, char** argv) {
  auto same = [](const char* a, const char* b) { return __builtin_strcmp(a, b) == 0; };
  auto arg = [&](int i) -> const char* { return i < argc ? argv[i] : nullptr; };
  if (argc < 3) return fail("usage", Error::kInvalidArgument, "see the comment in rpcbench.cpp");
  const char* mode = argv[1];
  const char* name = argv[2];
  Result<uint64_t> a = number(arg(3));
  Result<uint64_t> b = number(arg(4));
  Result<ipcm::Client> found = ipcm::find_ipcm();
  if (!found.ok()) return fail("no ipcm server", found.error());
  ipcm::Client client = *found;
  if (same(mode, "serve") && argc <= 4) return serve(client, name, a.value_or(0));
  if (same(mode, "call") && argc == 4 && a.ok()) return call(client, name, *a, true);
  if (same(mode, "call") && argc == 5 && a.ok() && same(argv[4], "ipcm")) {
    return call(client, name, *a, false);
  }
  if (same(mode, "call") && argc == 6 && a.ok() &&
      (same(argv[4], "ipcm") || same(argv[4], "direct"))) {
    Result<uint64_t> pause = user::parse_unsigned(argv[5]);
    if (pause.ok()) return call(client, name, *a, same(argv[4], "direct"), *pause);
  }
  if (same(mode, "moveserve") && argc == 5 && a.ok() && b.ok()) {
    return moveserve(client, name, *a, *b);
  }
  if (same(mode, "adoptserve") && argc == 4 && a.ok()) return adoptserve(client, name, *a);
  if (same(mode, "sink") && argc == 5 && a.ok() && b.ok()) return sink(client, name, *a, *b);
  if (same(mode, "blast") && argc == 5 && a.ok() && b.ok()) return blast(client, name, *a, *b);
  if (same(mode, "adopt") && argc == 5 && a.ok() && b.ok()) return adopt(client, name, *a, *b);
  if (same(mode, "movesink") && argc == 7 && a.ok() && b.ok()) {
    Result<uint64_t> after = user::parse_unsigned(argv[5]);
    Result<uint64_t> node = user::parse_unsigned(argv[6]);
    if (after.ok() && node.ok()) return movesink(client, name, *a, *b, *after, *node);
  }
  return fail("usage", Error::kInvalidArgument, "unknown mode or bad arguments");
}

}  // namespace
}  // namespace atoll_os::apps

int main(int argc, char** argv) {
  return atoll_os::apps::run(argc, argv);
}
