// The trader's constraint language, in the spirit of the ODP trader: a constraint over a
// node's attributes and a preference among the nodes that satisfy it (docs/trader.md).
//
//   query      := [constraint] ["prefer" ("min" | "max") attribute]
//   constraint := conjunct {"or" conjunct}
//   conjunct   := factor {"and" factor}
//   factor     := "not" factor | "(" constraint ")" | "true" | "has" "(" FEATURE ")"
//               | attribute ("==" | "!=" | "<" | "<=" | ">" | ">=") value
//   attribute  := node | isa | abi | mem_total | mem_free | load | processes | age
//   value      := NUMBER (up to 3 decimals) | NAME (isa only: x86_64, aarch64, riscv64)
//
// mem_* are in MiB, load is the run-queue length averaged, age the seconds since the node
// was last heard. Without a preference the query prefers `min load`; ties go to the lower
// node. Parsing is bounded (kQueryTextMax characters, kProgramMax steps, kNestingMax levels)
// and allocates nothing; a malformed query is refused with the column where it goes wrong.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "atoll/result.h"
#include "offer.h"

namespace atoll_os::servers::trader {

inline constexpr size_t kQueryTextMax = 255;
inline constexpr size_t kProgramMax = 32;
inline constexpr size_t kNestingMax = 8;

enum class Attribute : uint8_t { kNode, kIsa, kAbi, kMemTotal, kMemFree, kLoad, kProcesses, kAge };
enum class Comparison : uint8_t { kEqual, kNotEqual, kLess, kLessEqual, kGreater, kGreaterEqual };

/// Why a query was refused: the 1-based column of the offending token and what was wrong.
struct QueryError {
  size_t column;
  char message[96];  // "column 14: expected a value after '<'"
};

/// A node as a query sees it: its offer and how long ago it was heard.
struct Candidate {
  const Offer* offer;
  uint64_t age_ms;
};

/// A parsed query: the constraint as a postfix program, and the preference.
class Query {
 public:
  /// Parses `text`; kBadFormat with `*error` filled when it is malformed.
  static Result<Query> parse(std::string_view text, QueryError* error);

  /// Whether the candidate satisfies the constraint.
  bool matches(const Candidate& candidate) const;
  /// Whether `a` is preferred to `b` (the preference, then the lower node).
  bool prefers(const Candidate& a, const Candidate& b) const;

  Attribute preferred() const { return preferred_; }
  bool maximise() const { return maximise_; }

  enum class Op : uint8_t { kTrue, kCompare, kHas, kAnd, kOr, kNot };
  struct Step {
    Op op;
    Attribute attribute;
    Comparison comparison;
    int64_t value;  // in thousandths of the attribute's unit; isa: the e_machine number
    protocols::pm::CpuFeatures feature;
  };

 private:
  friend class QueryParser;
  Step steps_[kProgramMax] = {};
  size_t count_ = 0;
  Attribute preferred_ = Attribute::kLoad;
  bool maximise_ = false;
};

/// The attribute's value for comparisons: thousandths of its unit (isa: e_machine).
int64_t attribute_value(Attribute attribute, const Candidate& candidate);
/// The attribute's name in the language ("mem_free").
const char* attribute_name(Attribute attribute);

}  // namespace atoll_os::servers::trader
