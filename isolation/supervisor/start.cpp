// dcos-supervisor's entry point where it is built without the C library
// (x86-64 and arm64; sys.hpp says why): the kernel's initial stack holds
// argc, then argv; main's result is the exit code. Also the memory
// functions the compiler may emit calls to.
#include <cstddef>

#include "isolation/supervisor/sys.hpp"

int main(int argc, char** argv);

extern "C" {

[[noreturn]] __attribute__((used)) void dcos_supervisor_start(long* stack) {
  const int argc = static_cast<int>(stack[0]);
  dcos::isolation::supervisor::sys::exit(main(argc, reinterpret_cast<char**>(stack + 1)));
}

// The outermost frame: no return address, the frame pointer cleared for
// unwinders, the stack aligned as the ABI wants it at a call.
#if defined(__x86_64__)
asm(R"(
    .text
    .globl _start
    .type _start, @function
_start:
    xor %ebp, %ebp
    mov %rsp, %rdi
    and $-16, %rsp
    call dcos_supervisor_start
    hlt
    .size _start, .-_start
)");
#elif defined(__aarch64__)
asm(R"(
    .text
    .globl _start
    .type _start, %function
_start:
    mov x29, xzr
    mov x30, xzr
    mov x0, sp
    bl dcos_supervisor_start
    brk #0
    .size _start, .-_start
)");
#endif

// Byte loops through volatile pointers, so that the compiler does not turn
// them back into calls of themselves. The supervisor copies little.
void* memcpy(void* to, const void* from, std::size_t size) {
  auto* out = static_cast<volatile unsigned char*>(to);
  const auto* in = static_cast<const unsigned char*>(from);
  while (size--) *out++ = *in++;
  return to;
}

void* memmove(void* to, const void* from, std::size_t size) {
  auto* out = static_cast<volatile unsigned char*>(to);
  const auto* in = static_cast<const unsigned char*>(from);
  if (to < from) return memcpy(to, from, size);
  while (size--) out[size] = in[size];
  return to;
}

void* memset(void* to, int value, std::size_t size) {
  auto* out = static_cast<volatile unsigned char*>(to);
  while (size--) *out++ = static_cast<unsigned char>(value);
  return to;
}

int memcmp(const void* a, const void* b, std::size_t size) {
  const auto* x = static_cast<const unsigned char*>(a);
  const auto* y = static_cast<const unsigned char*>(b);
  for (; size--; ++x, ++y)
    if (*x != *y) return *x < *y ? -1 : 1;
  return 0;
}

std::size_t strlen(const char* text) {
  std::size_t length = 0;
  while (text[length]) ++length;
  return length;
}

}  // extern "C"
