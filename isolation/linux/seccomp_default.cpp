// The default seccomp profile (seccomp.hpp says what it withholds and why
// this shape): an allow-list, EPERM for everything else.
#include <linux/capability.h>
#include <sched.h>

#include <cerrno>

#include "isolation/linux/seccomp.hpp"

namespace dcos::isolation::seccomp {

namespace {

// Allowed to every container. Names of all the arches the filter may cover
// (x86_64, x86, x32, aarch64, arm); a name an arch lacks is ignored there.
// Left out on purpose: see default_profile() in seccomp.hpp.
// clang-format off
const char* const kAllowed[] = {
    "_llseek", "_newselect", "accept", "accept4", "access", "alarm", "arch_prctl", "arm_fadvise64_64",
    "arm_sync_file_range", "bind", "brk", "cachestat", "capget", "capset", "chdir", "chmod", "chown", "chown32",
    "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
    "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3",
    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
    "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2",
    "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown",
    "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
    "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
    "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat", "get_robust_list",
    "get_thread_area", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32",
    "getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid",
    "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit",
    "getrusage", "getsid", "getsockname", "getsockopt", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
    "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents",
    "io_pgetevents", "io_pgetevents_time64", "io_setup", "io_submit", "ioctl", "ioprio_get", "ioprio_set", "ipc",
    "kill", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr",
    "link", "linkat", "listen", "listxattr", "llistxattr", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64",
    "madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod",
    "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "modify_ldt", "mprotect", "mq_getsetattr", "mq_notify",
    "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink",
    "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap", "nanosleep",
    "newfstatat", "nice", "oldfstat", "oldlstat", "oldolduname", "oldstat", "olduname", "open", "openat", "openat2",
    "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll",
    "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
    "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readdir", "readlink", "readlinkat",
    "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename",
    "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
    "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo", "sched_get_priority_max", "sched_get_priority_min", "sched_getaffinity", "sched_getattr",
    "sched_getparam", "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
    "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
    "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg",
    "sendmsg", "sendto", "set_robust_list", "set_thread_area", "set_tid_address", "setfsgid", "setfsgid32", "setfsuid",
    "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid",
    "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit",
    "setsid", "setsockopt", "setuid", "setuid32", "setxattr", "sgetmask", "shmat", "shmctl", "shmdt", "shmget",
    "shutdown", "sigaction", "sigaltstack", "signal", "signalfd", "signalfd4", "sigpending", "sigprocmask", "sigreturn",
    "sigsuspend", "socket", "socketcall", "socketpair", "splice", "ssetmask", "stat", "stat64", "statfs", "statfs64",
    "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time",
    "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
    "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64",
    "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime",
    "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
};
// clang-format on

// Allowed with a capability: {capability, names}.
struct Grant {
  int capability;
  std::vector<std::string> names;
};

const std::vector<Grant>& grants() {
  static const std::vector<Grant> table = {
      {CAP_SYS_ADMIN, {"mount",         "umount",      "umount2",         "pivot_root",     "swapon",
                       "swapoff",       "unshare",     "setns",           "sethostname",    "setdomainname",
                       "quotactl",      "quotactl_fd", "fanotify_init",   "lookup_dcookie", "fsopen",
                       "fsconfig",      "fsmount",     "fspick",          "move_mount",     "open_tree",
                       "mount_setattr", "bpf",         "perf_event_open", "syslog",         "name_to_handle_at"}},
      {CAP_BPF, {"bpf"}},
      {CAP_PERFMON, {"perf_event_open"}},
      {CAP_SYSLOG, {"syslog"}},
      {CAP_DAC_READ_SEARCH, {"open_by_handle_at", "name_to_handle_at"}},
      {CAP_SYS_BOOT, {"reboot", "kexec_load", "kexec_file_load"}},
      {CAP_SYS_MODULE, {"init_module", "finit_module", "delete_module"}},
      {CAP_SYS_PTRACE,
       {"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "process_madvise", "userfaultfd"}},
      {CAP_SYS_TIME,
       {"settimeofday", "stime", "clock_settime", "clock_settime64", "adjtimex", "clock_adjtime", "clock_adjtime64"}},
      {CAP_SYS_RAWIO, {"iopl", "ioperm"}},
      {CAP_SYS_NICE, {"mbind", "get_mempolicy", "set_mempolicy", "set_mempolicy_home_node"}},
      {CAP_SYS_PACCT, {"acct"}},
      {CAP_SYS_CHROOT, {"chroot"}},
      {CAP_SYS_TTY_CONFIG, {"vhangup"}},
  };
  return table;
}

// Every CLONE_NEW* flag clone(2) takes (CLONE_NEWTIME only fits clone3).
constexpr uint64_t kNamespaceFlags =
    CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;

// personality(2) values a container may set: PER_LINUX, PER_LINUX32,
// UNAME26, UNAME26 | PER_LINUX32, and 0xffffffff, which only queries.
constexpr uint64_t kPersonalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

}  // namespace

Profile default_profile() {
  Profile profile;
  profile.default_action = Action::kErrno;
  profile.default_errno_ret = EPERM;
  // The native arch only: a 32-bit syscall (x86, x32, arm) kills the
  // process. Unlike Docker's default, which admits them. The compat entry
  // points are a classic source of kernel bugs, a 32-bit binary in a
  // container is rare, and the filter is a third the size (396 instructions
  // instead of 1221 on x86_64: less to convert and JIT at every launch, and
  // 2 ms to compile instead of 14). A Docker-format profile that names
  // the sub-arches admits them.

  Rule allowed;
  allowed.names.assign(std::begin(kAllowed), std::end(kAllowed));
  profile.syscalls.push_back(std::move(allowed));

  for (const uint64_t value : kPersonalities) {
    Rule personality;
    personality.names = {"personality"};
    personality.args = {ArgCondition{.index = 0, .value = value, .op = Op::kEqual}};
    profile.syscalls.push_back(std::move(personality));
  }

  // clone without namespace flags. On x86 and arm the flags are the first
  // argument too (s390 differs, and is not an arch this profile maps).
  Rule clone;
  clone.names = {"clone"};
  clone.args = {ArgCondition{.index = 0, .value = kNamespaceFlags, .value_two = 0, .op = Op::kMaskedEqual}};
  clone.excludes.caps = {CAP_SYS_ADMIN};
  profile.syscalls.push_back(std::move(clone));

  // clone3 passes its flags in memory, where a filter cannot look: ENOSYS
  // makes glibc fall back to clone, which the rule above checks.
  Rule clone3;
  clone3.names = {"clone3"};
  clone3.action = Action::kErrno;
  clone3.errno_ret = ENOSYS;
  clone3.excludes.caps = {CAP_SYS_ADMIN};
  profile.syscalls.push_back(std::move(clone3));

  Rule any_clone;
  any_clone.names = {"clone", "clone3"};
  any_clone.includes.caps = {CAP_SYS_ADMIN};
  profile.syscalls.push_back(std::move(any_clone));

  for (const auto& grant : grants()) {
    Rule rule;
    rule.names = grant.names;
    rule.includes.caps = {grant.capability};
    profile.syscalls.push_back(std::move(rule));
  }
  return profile;
}

}  // namespace dcos::isolation::seccomp
