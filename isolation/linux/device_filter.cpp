#include "isolation/linux/device_filter.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

namespace dcos::isolation::device_filter {
namespace {

// Instruction encoders for the few forms the program needs.
bpf_insn load_word(uint8_t dst, uint8_t src, int16_t offset) {
  return bpf_insn{static_cast<uint8_t>(BPF_LDX | BPF_MEM | BPF_W), dst, src, offset, 0};
}
bpf_insn alu_imm(uint8_t op, uint8_t dst, int32_t imm) {
  return bpf_insn{static_cast<uint8_t>(BPF_ALU64 | op | BPF_K), dst, 0, 0, imm};
}
bpf_insn move_reg(uint8_t dst, uint8_t src) {
  return bpf_insn{static_cast<uint8_t>(BPF_ALU64 | BPF_MOV | BPF_X), dst, src, 0, 0};
}
bpf_insn jump_if_not(uint8_t reg, int32_t imm, int16_t offset) {
  return bpf_insn{static_cast<uint8_t>(BPF_JMP | BPF_JNE | BPF_K), reg, 0, offset, imm};
}
bpf_insn exit_insn() { return bpf_insn{static_cast<uint8_t>(BPF_JMP | BPF_EXIT), 0, 0, 0, 0}; }

int32_t access_mask(const char* access) {
  int32_t mask = 0;
  for (const char* c = access; *c; ++c) {
    if (*c == 'm') mask |= BPF_DEVCG_ACC_MKNOD;
    if (*c == 'r') mask |= BPF_DEVCG_ACC_READ;
    if (*c == 'w') mask |= BPF_DEVCG_ACC_WRITE;
  }
  return mask;
}

// Registers: r1 the context (struct bpf_cgroup_dev_ctx), r2 the access
// bits, r3 the type, r4 the major, r5 the minor, r6 scratch.
constexpr uint8_t kCtx = 1, kAccess = 2, kType = 3, kMajor = 4, kMinor = 5, kScratch = 6;

}  // namespace

std::vector<bpf_insn> program(const std::vector<DeviceRule>& rules) {
  std::vector<bpf_insn> out = {
      load_word(kAccess, kCtx, offsetof(bpf_cgroup_dev_ctx, access_type)),
      move_reg(kType, kAccess),
      alu_imm(BPF_AND, kType, 0xffff),
      alu_imm(BPF_RSH, kAccess, 16),
      load_word(kMajor, kCtx, offsetof(bpf_cgroup_dev_ctx, major)),
      load_word(kMinor, kCtx, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  for (const auto& rule : rules) {
    // Each rule is a block whose failed tests jump past its end.
    std::vector<bpf_insn> block;
    std::vector<std::size_t> jumps;
    const auto test = [&](uint8_t reg, int32_t value) {
      jumps.push_back(block.size());
      block.push_back(jump_if_not(reg, value, 0));
    };
    if (rule.type != 'a') test(kType, rule.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
    if (rule.major >= 0) test(kMajor, static_cast<int32_t>(rule.major));
    if (rule.minor >= 0) test(kMinor, static_cast<int32_t>(rule.minor));
    // Every access asked for must be allowed: access & ~allowed == 0.
    block.push_back(move_reg(kScratch, kAccess));
    block.push_back(alu_imm(BPF_AND, kScratch, ~access_mask(rule.access) & 0x7));
    test(kScratch, 0);
    block.push_back(alu_imm(BPF_MOV, 0, 1));
    block.push_back(exit_insn());
    for (std::size_t at : jumps) block[at].off = static_cast<int16_t>(block.size() - at - 1);
    out.insert(out.end(), block.begin(), block.end());
  }
  out.push_back(alu_imm(BPF_MOV, 0, 0));
  out.push_back(exit_insn());
  return out;
}

Result<UniqueFd> load(const std::vector<bpf_insn>& program) {
  static const char kLicense[] = "Apache-2.0";
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uint64_t>(program.data());
  attr.insn_cnt = static_cast<uint32_t>(program.size());
  attr.license = reinterpret_cast<uint64_t>(kLicense);
  UniqueFd fd(static_cast<int>(::syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr)));
  if (!fd)
    return errno_error("bpf(BPF_PROG_LOAD) of the device program (" + std::to_string(program.size()) +
                       " instructions)");
  return fd;
}

Result<void> attach(int cgroup_fd, int program_fd) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(program_fd);
  attr.attach_type = BPF_CGROUP_DEVICE;
  if (::syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof attr) < 0)
    return errno_error("bpf(BPF_PROG_ATTACH) of the device program");
  return {};
}

}  // namespace dcos::isolation::device_filter
