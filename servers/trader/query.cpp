// The constraint language: lexer, recursive-descent parser to a postfix program, evaluator.
#include "query.h"

#include "../migm/cpu_features.h"

namespace atoll_os::servers::trader {
namespace {

enum class Token : uint8_t { kEnd, kName, kNumber, kOpen, kClose, kCompare, kBad };

struct Lexeme {
  Token token;
  std::string_view text;
  size_t column;  // 1-based
  Comparison comparison;
};

struct NamedAttribute {
  std::string_view name;
  Attribute attribute;
};
constexpr NamedAttribute kAttributes[] = {
    {"node", Attribute::kNode},
    {"isa", Attribute::kIsa},
    {"abi", Attribute::kAbi},
    {"mem_total", Attribute::kMemTotal},
    {"mem_free", Attribute::kMemFree},
    {"load", Attribute::kLoad},
    {"processes", Attribute::kProcesses},
    {"age", Attribute::kAge},
};

struct NamedIsa {
  std::string_view name;
  uint32_t machine;  // ELF e_machine
};
constexpr NamedIsa kIsas[] = {{"x86_64", kIsaX86_64}, {"aarch64", 183}, {"riscv64", 243}};

bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Lexeme next() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t')) ++at_;
    size_t start = at_;
    Lexeme l{Token::kEnd, {}, start + 1, Comparison::kEqual};
    if (at_ == text_.size()) return l;
    char c = text_[at_];
    if (is_letter(c)) {
      while (at_ < text_.size() && (is_letter(text_[at_]) || is_digit(text_[at_]))) ++at_;
      l.token = Token::kName;
    } else if (is_digit(c)) {
      while (at_ < text_.size() && (is_digit(text_[at_]) || text_[at_] == '.')) ++at_;
      l.token = Token::kNumber;
    } else if (c == '(' || c == ')') {
      ++at_;
      l.token = c == '(' ? Token::kOpen : Token::kClose;
    } else {
      l.token = comparison(l.comparison);
    }
    l.text = text_.substr(start, at_ - start == 0 ? 1 : at_ - start);
    return l;
  }

 private:
  Token comparison(Comparison& out) {
    char c = text_[at_];
    bool equals_follows = at_ + 1 < text_.size() && text_[at_ + 1] == '=';
    if (c == '<' || c == '>') {
      at_ += equals_follows ? 2 : 1;
      out = c == '<' ? (equals_follows ? Comparison::kLessEqual : Comparison::kLess)
                     : (equals_follows ? Comparison::kGreaterEqual : Comparison::kGreater);
      return Token::kCompare;
    }
    if ((c == '=' || c == '!') && equals_follows) {
      at_ += 2;
      out = c == '=' ? Comparison::kEqual : Comparison::kNotEqual;
      return Token::kCompare;
    }
    return Token::kBad;
  }

  std::string_view text_;
  size_t at_ = 0;
};

// "12", "0.5", "1.125" -> thousandths; false for more than 3 decimals, a second dot, overflow.
bool parse_thousandths(std::string_view text, int64_t& out) {
  int64_t whole = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] != '.'; ++i) {
    whole = whole * 10 + (text[i] - '0');
    if (whole > 1'000'000'000'000) return false;
  }
  int64_t fraction = 0;
  size_t decimals = 0;
  if (i < text.size()) {
    if (++i == text.size()) return false;  // "1."
    for (; i < text.size(); ++i, ++decimals) {
      if (!is_digit(text[i]) || decimals == 3) return false;
      fraction = fraction * 10 + (text[i] - '0');
    }
  }
  for (; decimals < 3; ++decimals) fraction *= 10;
  out = whole * 1000 + fraction;
  return true;
}

void append(char* out, size_t capacity, size_t& used, std::string_view text) {
  for (char c : text) {
    if (used + 1 >= capacity) break;
    out[used++] = c;
  }
  out[used] = '\0';
}

void append_number(char* out, size_t capacity, size_t& used, uint64_t value) {
  char digits[24];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) append(out, capacity, used, std::string_view(&digits[--n], 1));
}

}  // namespace

// The parser: one lexeme of lookahead; every failure records the first error only.
class QueryParser {
 public:
  QueryParser(std::string_view text, Query& query, QueryError* error)
      : lexer_(text), query_(query), error_(error) {
    current_ = lexer_.next();
  }

  bool parse_query() {
    if (!is_word("prefer") && current_.token != Token::kEnd) {
      if (!parse_constraint(0)) return false;
    } else if (!emit({Query::Op::kTrue, {}, {}, 0, {}})) {
      return false;
    }
    if (is_word("prefer") && !parse_preference()) return false;
    if (is_word("prefer")) return fail(current_, "only one preference is allowed", {}, "");
    if (current_.token != Token::kEnd) {
      return fail(current_, "unexpected '", current_.text,
                  "': expected and, or, prefer or the end");
    }
    return true;
  }

 private:
  bool parse_constraint(size_t depth) {
    if (depth > kNestingMax) return fail(current_, "nested more than 8 levels deep", {}, "");
    if (!parse_conjunct(depth)) return false;
    while (is_word("or")) {
      advance();
      if (!parse_conjunct(depth) || !emit({Query::Op::kOr, {}, {}, 0, {}})) return false;
    }
    return true;
  }

  bool parse_conjunct(size_t depth) {
    if (!parse_factor(depth)) return false;
    while (is_word("and")) {
      advance();
      if (!parse_factor(depth) || !emit({Query::Op::kAnd, {}, {}, 0, {}})) return false;
    }
    return true;
  }

  bool parse_factor(size_t depth) {
    if (depth > kNestingMax) return fail(current_, "nested more than 8 levels deep", {}, "");
    Lexeme at = current_;
    if (is_word("not")) {
      advance();
      return parse_factor(depth + 1) && emit({Query::Op::kNot, {}, {}, 0, {}});
    }
    if (at.token == Token::kOpen) {
      advance();
      if (!parse_constraint(depth + 1)) return false;
      if (current_.token != Token::kClose) return expected("')' to close the '(' at column ", at);
      advance();
      return true;
    }
    if (is_word("true")) {
      advance();
      return emit({Query::Op::kTrue, {}, {}, 0, {}});
    }
    if (is_word("has")) return parse_has();
    if (at.token == Token::kName) return parse_comparison();
    if (at.token == Token::kEnd)
      return fail(at, "the query ends where a condition is expected", {}, "");
    return fail(at, "unexpected '", at.text, "': expected a condition");
  }

  bool parse_has() {
    advance();
    if (current_.token != Token::kOpen) return fail(current_, "expected '(' after has", {}, "");
    advance();
    Lexeme name = current_;
    Query::Step step{Query::Op::kHas, {}, {}, 0, {}};
    if (name.token != Token::kName)
      return fail(name, "expected a CPU feature name in has()", {}, "");
    if (!migm::feature_named(name.text, step.feature)) {
      return fail(name, "unknown CPU feature '", name.text, "'");
    }
    advance();
    if (current_.token != Token::kClose)
      return fail(current_, "expected ')' after the feature", {}, "");
    advance();
    return emit(step);
  }

  bool parse_comparison() {
    Lexeme name = current_;
    Query::Step step{Query::Op::kCompare, {}, {}, 0, {}};
    if (!attribute_named(name, step.attribute)) return false;
    advance();
    if (current_.token != Token::kCompare) {
      return fail(current_, "expected a comparison (== != < <= > >=) after '", name.text, "'");
    }
    step.comparison = current_.comparison;
    advance();
    Lexeme value = current_;
    if (step.attribute == Attribute::kIsa) {
      if (step.comparison != Comparison::kEqual && step.comparison != Comparison::kNotEqual) {
        return fail(value, "isa can only be compared with == or !=", {}, "");
      }
      if (!isa_named(value, step.value)) return false;
    } else if (value.token != Token::kNumber || !parse_thousandths(value.text, step.value)) {
      return fail(value, "expected a number (at most 3 decimals) after the comparison", {}, "");
    }
    advance();
    return emit(step);
  }

  bool parse_preference() {
    advance();
    if (!is_word("min") && !is_word("max"))
      return fail(current_, "expected min or max after prefer", {}, "");
    query_.maximise_ = is_word("max");
    advance();
    Lexeme name = current_;
    if (!attribute_named(name, query_.preferred_)) return false;
    if (query_.preferred_ == Attribute::kIsa) return fail(name, "cannot prefer by isa", {}, "");
    advance();
    return true;
  }

  bool attribute_named(const Lexeme& l, Attribute& out) {
    if (l.token != Token::kName) return fail(l, "expected an attribute", {}, "");
    for (const NamedAttribute& a : kAttributes) {
      if (a.name == l.text) {
        out = a.attribute;
        return true;
      }
    }
    return fail(l, "unknown attribute '", l.text, "'");
  }

  bool isa_named(const Lexeme& l, int64_t& out) {
    for (const NamedIsa& isa : kIsas) {
      if (l.token == Token::kName && isa.name == l.text) {
        out = isa.machine;
        return true;
      }
    }
    return fail(l, "unknown instruction set '", l.text, "' (x86_64, aarch64, riscv64)");
  }

  bool is_word(std::string_view word) const {
    return current_.token == Token::kName && current_.text == word;
  }
  void advance() { current_ = lexer_.next(); }

  bool emit(const Query::Step& step) {
    if (query_.count_ == kProgramMax) {
      return fail(current_, "the query has more than 32 steps", {}, "");
    }
    query_.steps_[query_.count_++] = step;
    return true;
  }

  bool expected(const char* what, const Lexeme& opener) {
    if (error_ != nullptr) {
      start(current_);
      append(error_->message, sizeof(error_->message), used_, "expected ");
      append(error_->message, sizeof(error_->message), used_, what);
      append_number(error_->message, sizeof(error_->message), used_, opener.column);
    }
    return false;
  }

  // "column N: " + before + quoted + after.
  bool fail(const Lexeme& at, std::string_view before, std::string_view quoted,
            std::string_view after) {
    if (error_ != nullptr) {
      start(at);
      append(error_->message, sizeof(error_->message), used_, before);
      append(error_->message, sizeof(error_->message), used_, quoted.substr(0, 24));
      append(error_->message, sizeof(error_->message), used_, after);
    }
    return false;
  }

  void start(const Lexeme& at) {
    used_ = 0;
    error_->column = at.column;
    append(error_->message, sizeof(error_->message), used_, "column ");
    append_number(error_->message, sizeof(error_->message), used_, at.column);
    append(error_->message, sizeof(error_->message), used_, ": ");
  }

  Lexer lexer_;
  Query& query_;
  QueryError* error_;
  Lexeme current_;
  size_t used_ = 0;
};

Result<Query> Query::parse(std::string_view text, QueryError* error) {
  if (error != nullptr) *error = {};
  Query query;
  if (text.size() > kQueryTextMax) {
    if (error != nullptr) {
      size_t used = 0;
      error->column = kQueryTextMax + 1;
      append(error->message, sizeof(error->message), used,
             "the query is longer than 255 characters");
    }
    return Err(Error::kBadFormat);
  }
  QueryParser parser(text, query, error);
  if (!parser.parse_query()) return Err(Error::kBadFormat);
  return query;
}

int64_t attribute_value(Attribute attribute, const Candidate& c) {
  const Offer& o = *c.offer;
  constexpr int64_t kPagesPerMib = 256;
  switch (attribute) {
    case Attribute::kNode: return int64_t{o.node} * 1000;
    case Attribute::kIsa: return o.isa;
    case Attribute::kAbi: return int64_t{o.abi_version} * 1000;
    case Attribute::kMemTotal: return static_cast<int64_t>(o.mem_total_pages) * 1000 / kPagesPerMib;
    case Attribute::kMemFree: return static_cast<int64_t>(o.mem_free_pages) * 1000 / kPagesPerMib;
    case Attribute::kLoad: return o.load_milli;
    case Attribute::kProcesses: return int64_t{o.processes} * 1000;
    case Attribute::kAge: return static_cast<int64_t>(c.age_ms);
  }
  return 0;
}

const char* attribute_name(Attribute attribute) {
  for (const NamedAttribute& a : kAttributes) {
    if (a.attribute == attribute) return a.name.data();
  }
  return "?";
}

namespace {

bool compare(int64_t left, Comparison comparison, int64_t right) {
  switch (comparison) {
    case Comparison::kEqual: return left == right;
    case Comparison::kNotEqual: return left != right;
    case Comparison::kLess: return left < right;
    case Comparison::kLessEqual: return left <= right;
    case Comparison::kGreater: return left > right;
    case Comparison::kGreaterEqual: return left >= right;
  }
  return false;
}

}  // namespace

bool Query::matches(const Candidate& candidate) const {
  bool stack[kProgramMax];
  size_t depth = 0;
  for (size_t i = 0; i < count_; ++i) {
    const Step& s = steps_[i];
    switch (s.op) {
      case Op::kTrue: stack[depth++] = true; break;
      case Op::kCompare:
        stack[depth++] = compare(attribute_value(s.attribute, candidate), s.comparison, s.value);
        break;
      case Op::kHas:
        stack[depth++] =
            migm::missing_features(s.feature, candidate.offer->features, nullptr, 0) == 0;
        break;
      case Op::kNot: stack[depth - 1] = !stack[depth - 1]; break;
      case Op::kAnd:
        --depth;
        stack[depth - 1] = stack[depth - 1] && stack[depth];
        break;
      case Op::kOr:
        --depth;
        stack[depth - 1] = stack[depth - 1] || stack[depth];
        break;
    }
  }
  return depth == 1 && stack[0];
}

bool Query::prefers(const Candidate& a, const Candidate& b) const {
  int64_t va = attribute_value(preferred_, a);
  int64_t vb = attribute_value(preferred_, b);
  if (va != vb) return maximise_ ? va > vb : va < vb;
  return a.offer->node < b.offer->node;
}

}  // namespace atoll_os::servers::trader
