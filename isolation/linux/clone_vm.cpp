#include "isolation/linux/clone_vm.hpp"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#if defined(__SANITIZE_ADDRESS__)
#define DCOS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DCOS_ASAN 1
#endif
#endif
#ifdef DCOS_ASAN
#include <sanitizer/asan_interface.h>
#endif

// long dcos_clone3_call(clone_args* args, size_t size, int (*fn)(void*), void* arg)
//
// The system call returns twice: to the caller with the pid (or -errno) in
// the return register, and to the child with 0 on the new stack, where the
// caller's frame does not exist. fn and arg ride in registers the system
// call preserves. The child's outermost frame has a null frame pointer, so
// that unwinders stop there.
#if defined(__x86_64__)
asm(R"(
    .text
    .globl dcos_clone3_call
    .type dcos_clone3_call, @function
dcos_clone3_call:
    mov %rdx, %r8
    mov %rcx, %r9
    mov $435, %eax
    syscall
    test %rax, %rax
    jz 1f
    ret
1:
    xor %ebp, %ebp
    mov %r9, %rdi
    call *%r8
    mov %eax, %edi
    mov $60, %eax
    syscall
    hlt
    .size dcos_clone3_call, .-dcos_clone3_call
)");
#define DCOS_CLONE3_CALL 1
#elif defined(__aarch64__)
asm(R"(
    .text
    .globl dcos_clone3_call
    .type dcos_clone3_call, %function
dcos_clone3_call:
    mov x10, x2
    mov x11, x3
    mov x8, #435
    svc #0
    cbz x0, 1f
    ret
1:
    mov x29, xzr
    mov x30, xzr
    mov x0, x11
    blr x10
    mov x8, #93
    svc #0
    brk #0
    .size dcos_clone3_call, .-dcos_clone3_call
)");
#define DCOS_CLONE3_CALL 1
#endif

#ifdef DCOS_CLONE3_CALL
static_assert(SYS_clone3 == 435, "the instructions above hard-code clone3's number");
extern "C" long dcos_clone3_call(clone_args* args, unsigned long size, int (*fn)(void*), void* arg);
#endif

namespace dcos::isolation::clone_vm {

bool supported() noexcept {
#ifdef DCOS_CLONE3_CALL
  return true;
#else
  return false;
#endif
}

long run(clone_args& args, int (*fn)(void*), void* arg) noexcept {
#ifdef DCOS_CLONE3_CALL
  return dcos_clone3_call(&args, sizeof args, fn, arg);
#else
  (void)args;
  (void)fn;
  (void)arg;
  return -ENOSYS;
#endif
}

Result<void> Stack::map() {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  void* base = ::mmap(nullptr, kSize + page, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (base == MAP_FAILED) return errno_error("map a child's stack");
  base_ = base;
  mapped_ = kSize + page;
  if (::mprotect(base, page, PROT_NONE) < 0) return errno_error("protect a child's stack guard");
  stack_ = static_cast<char*>(base) + page;
  return {};
}

Stack::~Stack() {
  if (!base_) return;
#ifdef DCOS_ASAN
  // The child's frames never returned (it exec'd), so AddressSanitizer's
  // shadow still marks their red zones: cleared, lest memory mapped here
  // later look poisoned.
  __asan_unpoison_memory_region(stack_, kSize);
#endif
  ::munmap(base_, mapped_);
}

}  // namespace dcos::isolation::clone_vm
