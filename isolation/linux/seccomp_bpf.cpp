// native_program: a profile's native syscalls as a range tree in classic
// BPF (seccomp_bpf.hpp says why and the program's shape).
#include "isolation/linux/seccomp_bpf.hpp"

#include <linux/seccomp.h>

#include <cstddef>
#include <limits>
#include <map>
#include <string>

namespace dcos::isolation::seccomp {

namespace {

constexpr uint32_t kX32Bit = 0x40000000;  // __X32_SYSCALL_BIT
constexpr uint32_t kNoSyscall = 0xffffffff;
constexpr uint32_t kMaxJump = 255;  // a conditional jump's 8-bit offset

// Instructions whose jump targets are labels until `link` places them, so
// that far targets can go through a JA (32-bit offset) added next to the
// jump instead of constraining the layout.
class Assembler {
 public:
  using Label = std::size_t;

  Label label() {
    at_.push_back(kUnbound);
    return at_.size() - 1;
  }
  // `label` names the next instruction emitted.
  void bind(Label label) { at_[label] = code_.size(); }

  void load(uint32_t offset) { emit(BPF_LD | BPF_W | BPF_ABS, offset); }
  void ret(uint32_t value) { emit(BPF_RET | BPF_K, value); }
  void and_k(uint32_t mask) { emit(BPF_ALU | BPF_AND | BPF_K, mask); }
  void jump(Label target) { emit(BPF_JMP | BPF_JA, 0, target); }
  // `op`: BPF_JEQ, BPF_JGT or BPF_JGE against `k`.
  void branch(uint16_t op, uint32_t k, Label if_true, Label if_false) {
    emit(BPF_JMP | op | BPF_K, k, if_true, if_false);
  }
  // A finished program: its jumps are relative and stay right.
  void append(std::span<const sock_filter> program) {
    for (const sock_filter& insn : program) code_.push_back(Insn{insn.code, insn.k, 0, 0, true, insn.jt, insn.jf});
  }

  Result<std::vector<sock_filter>> link() {
    if (auto spread = spread_far_jumps(); !spread) return spread.error();
    std::vector<sock_filter> program;
    program.reserve(code_.size());
    for (std::size_t i = 0; i < code_.size(); ++i) {
      const Insn& insn = code_[i];
      sock_filter out{insn.code, insn.raw_jt, insn.raw_jf, insn.k};
      if (!insn.raw && is_jump(insn)) {
        if (BPF_OP(insn.code) == BPF_JA) {
          out.k = static_cast<uint32_t>(offset(i, insn.jt));
        } else {
          out.jt = static_cast<uint8_t>(offset(i, insn.jt));
          out.jf = static_cast<uint8_t>(offset(i, insn.jf));
        }
      }
      program.push_back(out);
    }
    return program;
  }

 private:
  static constexpr std::size_t kUnbound = std::numeric_limits<std::size_t>::max();
  struct Insn {
    uint16_t code;
    uint32_t k;
    Label jt = 0;  // a JA's target too
    Label jf = 0;
    bool raw = false;  // appended: jt/jf below are offsets already
    uint8_t raw_jt = 0;
    uint8_t raw_jf = 0;
  };

  static bool is_jump(const Insn& insn) { return BPF_CLASS(insn.code) == BPF_JMP; }
  std::size_t offset(std::size_t from, Label to) const { return at_[to] - from - 1; }
  void emit(uint16_t code, uint32_t k, Label jt = 0, Label jf = 0) { code_.push_back(Insn{code, k, jt, jf}); }

  // Every target bound and ahead; a conditional jump past kMaxJump gets a
  // JA right after it. An insertion can push an earlier jump's target out
  // of reach: repeat until none moves (each pass adds, the size is bounded).
  Result<void> spread_far_jumps() {
    for (const std::size_t at : at_)
      if (at == kUnbound) return Error{"seccomp filter: a jump to nowhere (a bug in seccomp_bpf.cpp)"};
    for (bool moved = true; moved && code_.size() <= BPF_MAXINSNS;) {
      moved = false;
      for (std::size_t i = 0; i < code_.size() && code_.size() <= BPF_MAXINSNS; ++i) {
        if (code_[i].raw || !is_jump(code_[i])) continue;
        if (at_[code_[i].jt] <= i || (BPF_OP(code_[i].code) != BPF_JA && at_[code_[i].jf] <= i))
          return Error{"seccomp filter: a jump backwards (a bug in seccomp_bpf.cpp)"};
        if (BPF_OP(code_[i].code) == BPF_JA) continue;
        std::size_t added = 0;
        for (Label Insn::*side : {&Insn::jt, &Insn::jf}) {
          if (offset(i, code_[i].*side) <= kMaxJump) continue;
          const std::size_t where = i + 1 + added++;
          insert(where, Insn{BPF_JMP | BPF_JA, 0, code_[i].*side});
          code_[i].*side = label();
          at_[code_[i].*side] = where;
          moved = true;
        }
      }
    }
    if (code_.size() > BPF_MAXINSNS)
      return Error{"the seccomp filter needs more than the kernel's " + std::to_string(BPF_MAXINSNS) +
                   " instructions"};
    return {};
  }

  // Labels at or past `index` move with the instructions they name.
  void insert(std::size_t index, Insn insn) {
    for (std::size_t& at : at_)
      if (at != kUnbound && at >= index) ++at;
    code_.insert(code_.begin() + static_cast<std::ptrdiff_t>(index), insn);
  }

  std::vector<Insn> code_;
  std::vector<std::size_t> at_;  // label -> instruction index
};

// Where a syscall argument's halves are in struct seccomp_data.
uint32_t arg_offset(unsigned index, bool high) {
  constexpr bool kLittle = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
  return static_cast<uint32_t>(offsetof(seccomp_data, args) + 8 * index + (high == kLittle ? 4 : 0));
}

using Label = Assembler::Label;

class Emitter {
 public:
  explicit Emitter(const NativeFilter& filter) : filter_(filter) {}

  Result<std::vector<sock_filter>> program(std::span<const sock_filter> compat) {
    const Label compat_start = compat.empty() ? verdict(filter_.bad_arch_action) : as_.label();
    const Label native = as_.label();
    as_.load(offsetof(seccomp_data, arch));
    as_.branch(BPF_JEQ, filter_.arch, native, compat_start);
    as_.bind(native);
    as_.load(offsetof(seccomp_data, nr));
    const std::vector<Range> all = ranges();
    const Label root = entry(all, 0, all.size());
    if (filter_.x32_bit) {
      const Label high = as_.label();
      as_.branch(BPF_JGE, kX32Bit, high, root);
      as_.bind(high);
      if (filter_.x32_admitted)
        as_.jump(compat_start);
      else
        as_.branch(BPF_JEQ, kNoSyscall, verdict(filter_.default_action), verdict(filter_.bad_arch_action));
    } else if (all.size() == 1) {
      as_.jump(root);
    }
    tree(all, 0, all.size(), root);
    for (const auto& [call, start] : blocks_) block(*call, start);
    for (const auto& [action, label] : rets_) {
      as_.bind(label);
      as_.ret(action);
    }
    if (!compat.empty()) {
      as_.bind(compat_start);
      as_.append(compat);
    }
    return as_.link();
  }

 private:
  // Syscall numbers [start, next range's start) of one verdict; `call` is
  // set for a syscall with conditions (a range of its own).
  struct Range {
    uint32_t start;
    uint32_t action;
    const SyscallVerdict* call;
  };

  std::vector<Range> ranges() const {
    std::vector<Range> out;
    auto add = [&](uint32_t start, uint32_t action, const SyscallVerdict* call) {
      if (!out.empty() && !call && !out.back().call && out.back().action == action) return;
      out.push_back(Range{start, action, call});
    };
    uint32_t next = 0;
    for (const SyscallVerdict& call : filter_.syscalls) {
      if (call.nr > next) add(next, filter_.default_action, nullptr);
      add(call.nr, call.action, call.alternatives.empty() ? nullptr : &call);
      next = call.nr + 1;
    }
    add(next, filter_.default_action, nullptr);
    return out;
  }

  // The RET all leaves of one verdict share.
  Label verdict(uint32_t action) {
    auto [it, added] = rets_.try_emplace(action, 0);
    if (added) it->second = as_.label();
    return it->second;
  }

  // Where the subtree over ranges [first, last) starts: a RET, a syscall's
  // block (emitted after the tree), or an inner node (emitted by `tree`).
  Label entry(const std::vector<Range>& all, std::size_t first, std::size_t last) {
    if (last - first > 1) return as_.label();
    const Range& leaf = all[first];
    if (!leaf.call) return verdict(leaf.action);
    blocks_.emplace_back(leaf.call, as_.label());
    return blocks_.back().second;
  }

  // A balanced tree: one JGE per inner node, the lower half right after it.
  void tree(const std::vector<Range>& all, std::size_t first, std::size_t last, Label at) {
    if (last - first <= 1) return;
    const std::size_t middle = first + (last - first) / 2;
    const Label low = entry(all, first, middle), high = entry(all, middle, last);
    as_.bind(at);
    as_.branch(BPF_JGE, all[middle].start, high, low);
    tree(all, first, middle, low);
    tree(all, middle, last, high);
  }

  // A syscall with argument conditions: its alternatives in turn, each a
  // chain of conditions; the last one failing gets the default.
  void block(const SyscallVerdict& call, Label start) {
    as_.bind(start);
    for (std::size_t a = 0; a < call.alternatives.size(); ++a) {
      const bool last_alternative = a + 1 == call.alternatives.size();
      const Label next = last_alternative ? verdict(filter_.default_action) : as_.label();
      const auto& conditions = call.alternatives[a];
      for (std::size_t c = 0; c < conditions.size(); ++c) {
        const bool last = c + 1 == conditions.size();
        const Label pass = last ? verdict(call.action) : as_.label();
        condition(conditions[c], pass, next);
        if (!last) as_.bind(pass);
      }
      if (!last_alternative) as_.bind(next);
    }
  }

  // `arg <op> value`, unsigned 64-bit, as two 32-bit halves.
  void condition(const ArgCondition& c, Label pass, Label fail) {
    const auto hi = static_cast<uint32_t>(c.value >> 32), lo = static_cast<uint32_t>(c.value);
    const Label low_half = as_.label();
    as_.load(arg_offset(c.index, true));
    if (c.op == Op::kEqual || c.op == Op::kNotEqual) {
      const bool eq = c.op == Op::kEqual;
      as_.branch(BPF_JEQ, hi, low_half, eq ? fail : pass);
      as_.bind(low_half);
      as_.load(arg_offset(c.index, false));
      as_.branch(BPF_JEQ, lo, eq ? pass : fail, eq ? fail : pass);
    } else if (c.op == Op::kMaskedEqual) {
      // (arg & mask) == (datum & mask): libseccomp masks the datum too.
      const uint64_t want = c.value_two & c.value;
      as_.and_k(hi);
      as_.branch(BPF_JEQ, static_cast<uint32_t>(want >> 32), low_half, fail);
      as_.bind(low_half);
      as_.load(arg_offset(c.index, false));
      as_.and_k(lo);
      as_.branch(BPF_JEQ, static_cast<uint32_t>(want), pass, fail);
    } else {
      // A greater high half decides GT/GE (true) and LE/LT (false); an
      // equal one leaves it to the low half.
      const bool greater = c.op == Op::kGreaterThan || c.op == Op::kGreaterOrEqual;
      const Label yes = greater ? pass : fail, no = greater ? fail : pass;
      const Label equal_high = as_.label();
      as_.branch(BPF_JGT, hi, yes, equal_high);
      as_.bind(equal_high);
      as_.branch(BPF_JEQ, hi, low_half, no);
      as_.bind(low_half);
      as_.load(arg_offset(c.index, false));
      const bool strict = c.op == Op::kGreaterThan || c.op == Op::kLessOrEqual;
      as_.branch(strict ? BPF_JGT : BPF_JGE, lo, yes, no);
    }
  }

  const NativeFilter& filter_;
  Assembler as_;
  std::map<uint32_t, Label> rets_;
  std::vector<std::pair<const SyscallVerdict*, Label>> blocks_;
};

}  // namespace

Result<std::vector<sock_filter>> native_program(const NativeFilter& filter, std::span<const sock_filter> compat) {
  return Emitter(filter).program(compat);
}

}  // namespace dcos::isolation::seccomp
