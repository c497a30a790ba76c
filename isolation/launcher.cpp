#include "isolation/launcher.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <vector>

#include "isolation/init_fs.hpp"
#include "isolation/linux/clone_vm.hpp"
#include "isolation/linux/write_all.hpp"
#include "isolation/supervisor/supervisor.hpp"

namespace dcos::isolation {
namespace {

// The children's functions that end in a call that does not return: built
// without AddressSanitizer, whose hook before such a call
// (__asan_handle_no_return) looks for the calling thread's stack, finds
// the child's own stack instead and prints a warning into the container's
// output.
#define DCOS_CHILD_NORETURN_CALLER __attribute__((no_sanitize("address")))

// Everything from clone to exec below runs in a child on the memory (or a
// copy of it) of a possibly multi-threaded process: only system calls and
// plain reads of memory prepared beforehand. No allocation, no locks, no
// exceptions.

// The steps the children report failures of; the caller turns (step, index,
// errno) into a message naming the step.
enum Step : int32_t {
  kClone,
  kAwaitSupervisor,
  kJoinCgroup,
  kHostname,
  kCgroupNamespace,
  kSandbox,
  kFs,
  kLoopback,
  kRlimit,
  kBounding,
  kGroups,
  kGid,
  kUid,
  kCapabilities,
  kNoNewPrivs,
  kStdio,
  kCloseFds,
  kSeccomp,
  kExec,
};

// Messages on the report pipe; one write(2) each, below PIPE_BUF, so they
// arrive whole whichever process writes them.
struct Report {
  enum Kind : int32_t { kInitPid = 1, kFailed = 2 };
  int32_t kind = 0;
  int32_t step = 0;
  int32_t index = 0;
  int32_t error = 0;
  int32_t pid = 0;
};

// What the supervisor and the init use, all prepared before fork.
struct ChildArgs {
  const LaunchPlan* plan = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const std::vector<std::string>* join_procs = nullptr;  // when not cloned into the cgroup
  // dcos-supervisor's argv; [1], the init's pid, is filled in after clone.
  const char* const* supervisor_argv = nullptr;
  // The init's stack while it shares the supervisor's memory (clone_vm).
  void* init_stack = nullptr;
  std::size_t init_stack_size = 0;
  int report = -1;
  int ended = -1;  // the supervisor's end of the caller's `ended` pipe
  // The init reads end of file here once the supervisor has exec'd (every
  // write end is close-on-exec) and only then sets up: see init_entry.
  int go_read = -1, go_write = -1;
  int null = -1;
  int cgroup = -1;
  int out_read = -1, out_write = -1;
  int err_read = -1, err_write = -1;
};

void write_report(int fd, const Report& report) noexcept {
  ssize_t n;
  do {
    n = ::write(fd, &report, sizeof report);
  } while (n < 0 && errno == EINTR);
}

[[noreturn]] DCOS_CHILD_NORETURN_CALLER void fail(const ChildArgs& args, Step step, int index, int error) noexcept {
  write_report(args.report, Report{Report::kFailed, step, index, error, 0});
  ::_exit(127);
}

int bring_up_loopback() noexcept {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  ifreq request{};
  std::memcpy(request.ifr_name, "lo", 3);
  int error = 0;
  if (::ioctl(fd, SIOCGIFFLAGS, &request) < 0) {
    error = errno;
  } else {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP | IFF_RUNNING);
    if (::ioctl(fd, SIOCSIFFLAGS, &request) < 0) error = errno;
  }
  ::close(fd);
  return error;
}

// At most this many cgroup.procs files to join (v1: one per hierarchy).
constexpr std::size_t kMaxJoined = 16;

// The init's own namespaces first: hostname, file system, loopback,
// rlimits. This needs no supervisor and changes nothing outside the
// container, so it runs while the supervisor execs (the two overlap).
// Where clone could not put the init into its cgroups (v1), it opens their
// cgroup.procs files here (after pivot_root they are out of reach) and
// writes to them only once the supervisor has exec'd: see init_entry.
DCOS_CHILD_NORETURN_CALLER void set_up_namespaces(const ChildArgs& args, bool in_cgroup, int (&join)[kMaxJoined]) noexcept {
  const LaunchPlan& plan = *args.plan;
  for (std::size_t i = 0; !in_cgroup && i < args.join_procs->size(); ++i) {
    join[i] = ::open((*args.join_procs)[i].c_str(), O_WRONLY | O_CLOEXEC);
    if (join[i] < 0) fail(args, kJoinCgroup, static_cast<int>(i), errno);
  }
  if (::sethostname(plan.hostname.data(), plan.hostname.size()) < 0) fail(args, kHostname, 0, errno);
  // Rooted at the cgroup it is in: only where clone put it there (before
  // 5.7 it joins later, and its cgroup2 mount shows the caller's view).
  if (plan.cgroup_namespace && in_cgroup && ::unshare(CLONE_NEWCGROUP) < 0) fail(args, kCgroupNamespace, 0, errno);
  init_fs::SandboxFds sandbox;
  if (int error = init_fs::open_sandbox(plan.sandbox, sandbox)) fail(args, kSandbox, 0, error);
  // The steps' modes as they stand (device nodes 0666, mount points 0755),
  // one umask for all instead of a chmod each; the task gets the caller's.
  const mode_t umask = ::umask(0);
  for (std::size_t i = 0; i < plan.fs.size(); ++i) {
    if (int error = init_fs::run_step(plan.fs[i], sandbox)) fail(args, kFs, static_cast<int>(i), error);
  }
  ::umask(umask);
  if (plan.namespaces & CLONE_NEWNET) {
    if (int error = bring_up_loopback()) fail(args, kLoopback, 0, error);
  }
  for (std::size_t i = 0; i < plan.rlimits.size(); ++i) {
    const rlimit value{plan.rlimits[i].soft, plan.rlimits[i].hard};
    if (::setrlimit(static_cast<__rlimit_resource>(plan.rlimits[i].resource), &value) < 0)
      fail(args, kRlimit, static_cast<int>(i), errno);
  }
}

// The rest of the container's init, once its supervisor has exec'd: joins
// its cgroups (the descriptors `join` holds, where clone could not put it
// there), drops privileges in the order each step still has the right to
// take, and exec's the task.
[[noreturn]] DCOS_CHILD_NORETURN_CALLER void run_init(const ChildArgs& args, const int (&join)[kMaxJoined]) noexcept {
  const LaunchPlan& plan = *args.plan;
  for (std::size_t i = 0; i < kMaxJoined && join[i] >= 0; ++i) {
    if (!write_all(join[i], "0", 1)) fail(args, kJoinCgroup, static_cast<int>(i), errno);
    ::close(join[i]);
  }
  if (int error = capabilities::limit_bounding(plan.capabilities, plan.last_capability))
    fail(args, kBounding, 0, error);
  // No supplementary group of the caller's comes along. System calls, not
  // glibc's wrappers: those would try to change the credentials of every
  // thread glibc believes this process has.
  if (::syscall(SYS_setgroups, plan.user ? plan.user->groups.size() : 0,
                plan.user ? plan.user->groups.data() : nullptr) < 0)
    fail(args, kGroups, 0, errno);
  if (plan.user) {
    const User& user = *plan.user;
    if (::syscall(SYS_setresgid, user.gid, user.gid, user.gid) < 0) fail(args, kGid, 0, errno);
    if (::syscall(SYS_setresuid, user.uid, user.uid, user.uid) < 0) fail(args, kUid, 0, errno);
  }
  if (int error = capabilities::set_process(plan.capabilities)) fail(args, kCapabilities, 0, error);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(args, kNoNewPrivs, 0, errno);
  // Moved above 2 first: a caller started with 0-2 closed has its pipes
  // there, and one dup2 would overwrite another.
  int stdio[3] = {args.null, args.out_write, args.err_write};
  for (int& fd : stdio) {
    if (fd <= 2 && (fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0) fail(args, kStdio, 0, errno);
  }
  for (int target = 0; target < 3; ++target) {
    if (::dup2(stdio[target], target) < 0) fail(args, kStdio, 0, errno);
  }
  // The supervisor ignores SIGPIPE; an ignored signal would stay ignored
  // across exec.
  ::signal(SIGPIPE, SIG_DFL);
  // Everything but stdio closes at exec, the report pipe with it: the
  // caller reads end-of-file as "exec succeeded".
  if (::syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) < 0) fail(args, kCloseFds, 0, errno);
  // Last before exec, so that the filter need not allow the setup above.
  if (plan.seccomp) {
    if (int error = seccomp::install(*plan.seccomp)) fail(args, kSeccomp, 0, error);
  }
  ::execve(plan.executable.c_str(), args.argv, args.envp);
  fail(args, kExec, 0, errno);
}

// Closes every descriptor but those in `keep` (sorted ascending).
void close_all_except(const int* keep, int count) noexcept {
  unsigned next = 0;
  for (int i = 0; i < count; ++i) {
    if (keep[i] < 0) continue;
    const auto fd = static_cast<unsigned>(keep[i]);
    if (fd > next) ::syscall(SYS_close_range, next, fd - 1, 0);
    next = fd + 1;
  }
  ::syscall(SYS_close_range, next, ~0u, 0);
}

void reset_signals() noexcept {
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  for (int signal = 1; signal < NSIG; ++signal) {
    if (signal != SIGKILL && signal != SIGSTOP) ::sigaction(signal, &action, nullptr);
  }
  sigset_t all;
  sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

struct InitStart {
  const ChildArgs* args;
  bool in_cgroup;
};

// The init waits until its supervisor has exec'd dcos-supervisor, and
// joins its cgroup (v1) and runs the task only then: a process of the
// container's that runs its task, or one in its cgroup on v1, means a
// supervisor that recovery can find by its command line (supervisors.hpp),
// or one that died. (On v2 the init is in its cgroup from the clone; a
// recovery that finds no supervisor destroys the cgroup, init included.)
DCOS_CHILD_NORETURN_CALLER void await_supervisor(const ChildArgs& args) noexcept {
  ::close(args.go_write);
  char byte;
  ssize_t n;
  while ((n = ::read(args.go_read, &byte, 1)) < 0 && errno == EINTR) {
  }
  if (n != 0) fail(args, kAwaitSupervisor, 0, n < 0 ? errno : EPROTO);
  ::close(args.go_read);
}

// The init: sets up its namespaces, then waits until its supervisor has
// exec'd, and only then joins its cgroups (v1) and runs the task.
[[noreturn]] DCOS_CHILD_NORETURN_CALLER void init_main(const ChildArgs& args, bool in_cgroup) noexcept {
  int join[kMaxJoined];
  std::fill(std::begin(join), std::end(join), -1);
  set_up_namespaces(args, in_cgroup, join);
  await_supervisor(args);
  run_init(args, join);
}

DCOS_CHILD_NORETURN_CALLER int init_entry(void* start) {
  const auto& init = *static_cast<const InitStart*>(start);
  init_main(*init.args, init.in_cgroup);
}

// Clones the init. Where clone_vm has the instructions, the init runs on
// the supervisor's memory (which is the caller's) until it execs, on a
// stack of its own, while the supervisor goes on to exec dcos-supervisor
// (no CLONE_VFORK: the caller waits for the init's exec on the report
// pipe). Returns the init's pid or -errno.
// `start` must outlive the init's exec: the supervisor's frame that never
// returns holds it (the init may read it after the supervisor's exec,
// whose old stack stays mapped in the caller's memory until spawn returns).
DCOS_CHILD_NORETURN_CALLER long clone_init(const ChildArgs& args, clone_args& clone, InitStart& start) noexcept {
  const bool in_cgroup = start.in_cgroup;
  if (clone_vm::supported() && args.init_stack) {
    clone_args shared = clone;
    shared.flags |= CLONE_VM;
    shared.stack = reinterpret_cast<uint64_t>(args.init_stack);
    shared.stack_size = args.init_stack_size;
    return clone_vm::run(shared, init_entry, &start);
  }
  const long pid = ::syscall(SYS_clone3, &clone, sizeof clone);
  if (pid == 0) init_main(args, in_cgroup);
  return pid < 0 ? -errno : pid;
}

// The supervisor: a session of its own, so that it outlives its caller.
[[noreturn]] DCOS_CHILD_NORETURN_CALLER void supervise(const ChildArgs& args) noexcept {
  ::setsid();
  (void)!::chdir("/");  // keeps no directory of the caller's busy
  reset_signals();
  int keep[] = {args.report,    args.ended,    args.null,      args.cgroup,  args.out_read,
                args.out_write, args.err_read, args.err_write, args.go_read, args.go_write};
  std::sort(std::begin(keep), std::end(keep));
  close_all_except(keep, static_cast<int>(std::size(keep)));

  clone_args clone{};
  clone.flags = static_cast<uint64_t>(args.plan->namespaces);
  clone.exit_signal = SIGCHLD;
  if (args.cgroup >= 0) {
    clone.flags |= CLONE_INTO_CGROUP;
    clone.cgroup = static_cast<uint64_t>(args.cgroup);
  }
  InitStart start{&args, args.cgroup >= 0};
  long pid = clone_init(args, clone, start);
  if ((pid == -EINVAL || pid == -E2BIG) && start.in_cgroup) {
    // A kernel before 5.7: clone, then the init joins its cgroup itself.
    clone.flags &= ~static_cast<uint64_t>(CLONE_INTO_CGROUP);
    clone.cgroup = 0;
    start.in_cgroup = false;
    pid = clone_init(args, clone, start);
  }
  if (pid < 0) fail(args, kClone, 0, static_cast<int>(-pid));

  // The rest is dcos-supervisor's (supervisor/supervisor.hpp): exec it, so
  // that this process stops running on its caller's memory. It keeps the
  // pipes it reads and the `ended` pipe; the rest closes at exec (CLOEXEC).
  const auto init = static_cast<pid_t>(pid);
  write_report(args.report, Report{Report::kInitPid, 0, 0, 0, init});
  // Closed now, not at exec: a forked supervisor's caller waits for this
  // pipe's end of file, and the exec below need not delay it.
  ::close(args.report);
  char init_text[16];
  *std::to_chars(init_text, init_text + sizeof init_text - 1, init).ptr = '\0';
  const char* argv[supervisor::kArgc + 1];
  for (int i = 0; i <= supervisor::kArgc; ++i) argv[i] = args.supervisor_argv[i];
  argv[supervisor::kInitArg] = init_text;
  for (int fd : {args.out_read, args.err_read, args.ended}) ::fcntl(fd, F_SETFD, 0);
  char* const no_environment[] = {nullptr};
  ::execve(argv[0], const_cast<char* const*>(argv), no_environment);
  // Never unsupervised: the init dies, and with no status recorded the
  // caller's wait() reports a container that ended without one. (The
  // binary was found when the containerizer started.)
  ::kill(init, SIGKILL);
  ::waitpid(init, nullptr, __WALL);
  ::_exit(127);
}

DCOS_CHILD_NORETURN_CALLER int supervisor_entry(void* args) { supervise(*static_cast<const ChildArgs*>(args)); }

// Starts the supervisor. Where clone_vm has the instructions, it shares the
// caller's memory until its exec, as posix_spawn's child does: the caller's
// memory is never copied (a fork costs page tables and copy-on-write faults
// in proportion to the caller's size, and its copy is torn down again at
// the exec). The calling thread sleeps meanwhile (CLONE_VFORK), until the
// supervisor has exec'd; the caller's other threads run on. The init then
// still runs on the caller's memory, and with the calling thread's
// thread-local state (errno): the caller only waits for it, in a system
// call, with every signal blocked (see spawn). Returns the supervisor's pid
// or -errno.
long start_supervisor(const ChildArgs& args, const clone_vm::Stack& stack) noexcept {
  long pid;
  if (clone_vm::supported() && stack.stack()) {
    clone_args clone{};
    clone.flags = CLONE_VM | CLONE_VFORK;
    clone.exit_signal = SIGCHLD;
    clone.stack = reinterpret_cast<uint64_t>(stack.stack());
    clone.stack_size = clone_vm::Stack::kSize;
    pid = clone_vm::run(clone, supervisor_entry, const_cast<ChildArgs*>(&args));
  } else {
    pid = ::fork();
    if (pid == 0) supervise(args);
    if (pid < 0) pid = -errno;
  }
  return pid;
}

std::string step_subject(const LaunchPlan& plan, const std::vector<std::string>& join_procs, const Report& report) {
  const auto index = static_cast<std::size_t>(report.index);
  switch (report.step) {
    case kClone:
      return "clone the container's init into its namespaces";
    case kAwaitSupervisor:
      return "wait for the container's supervisor to start";
    case kJoinCgroup:
      return "join cgroup '" + (index < join_procs.size() ? join_procs[index] : std::string("?")) + "'";
    case kHostname:
      return "set hostname '" + plan.hostname + "'";
    case kCgroupNamespace:
      return "make a cgroup namespace";
    case kSandbox:
      return "open the sandbox '" + plan.sandbox + "' and its tmp/ (not a symbolic link)";
    case kFs:
      return index < plan.fs.size() ? plan.fs[index].describe() : "file system step";
    case kLoopback:
      return "bring up the loopback interface";
    case kRlimit:
      return index < plan.rlimits.size() ? "set rlimit " + rlimit_name(plan.rlimits[index].resource) : "set rlimit";
    case kBounding:
      return "drop capabilities from the bounding set";
    case kGroups:
      return "set supplementary groups";
    case kGid:
      return "set gid " + std::to_string(plan.user ? plan.user->gid : 0);
    case kUid:
      return "set uid " + std::to_string(plan.user ? plan.user->uid : 0);
    case kCapabilities:
      return "set capabilities";
    case kNoNewPrivs:
      return "set no_new_privs";
    case kStdio:
      return "redirect stdin, stdout and stderr";
    case kCloseFds:
      return "mark descriptors close-on-exec";
    case kSeccomp:
      return "install the seccomp filter";
    case kExec:
      return "exec '" + plan.executable + "'";
  }
  return "start the container";
}

std::vector<char*> pointers(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Pipes whose ends close on exec in every process but where dup2 puts them.
Result<void> make_pipe(UniqueFd& read_end, UniqueFd& write_end, const char* what) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return errno_error(std::string("create the ") + what + " pipe");
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  return {};
}

void reap(pid_t pid) {
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

Result<Spawned> spawn(const LaunchPlan& plan, std::chrono::milliseconds timeout) {
  std::vector<char*> argv = pointers(plan.argv);
  std::vector<char*> envp = pointers(plan.env);
  const std::vector<std::string>& join_procs = plan.cgroup_procs;
  if (join_procs.size() > kMaxJoined)
    return Error{"container '" + plan.id + "': " + std::to_string(join_procs.size()) + " cgroups to join, more than " +
                 std::to_string(kMaxJoined)};

  UniqueFd report_read, report_write, ended_read, ended_write, out_read, out_write, err_read, err_write;
  if (auto made = make_pipe(report_read, report_write, "report"); !made) return made.error();
  if (auto made = make_pipe(ended_read, ended_write, "ended"); !made) return made.error();
  UniqueFd go_read, go_write;
  if (auto made = make_pipe(go_read, go_write, "start"); !made) return made.error();
  if (auto made = make_pipe(out_read, out_write, "stdout"); !made) return made.error();
  if (auto made = make_pipe(err_read, err_write, "stderr"); !made) return made.error();
  UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!null) return errno_error("open '/dev/null'");
  clone_vm::Stack init_stack, supervisor_stack;
  if (clone_vm::supported()) {
    if (auto mapped = init_stack.map(); !mapped) return mapped.error();
    if (auto mapped = supervisor_stack.map(); !mapped) return mapped.error();
  }

  ChildArgs args;
  args.plan = &plan;
  args.argv = argv.data();
  args.envp = envp.data();
  args.join_procs = &join_procs;
  const std::vector<std::string> supervisor_args = {plan.supervisor,
                                                    "",  // the init's pid
                                                    std::to_string(out_read.get()),
                                                    std::to_string(err_read.get()),
                                                    std::to_string(ended_write.get()),
                                                    plan.stdout_path,
                                                    plan.stderr_path,
                                                    plan.status_path,
                                                    std::to_string(plan.log_max_bytes)};
  std::vector<char*> supervisor_argv = pointers(supervisor_args);
  args.supervisor_argv = supervisor_argv.data();
  args.init_stack = init_stack.stack();
  args.init_stack_size = clone_vm::Stack::kSize;
  args.report = report_write.get();
  args.go_read = go_read.get();
  args.go_write = go_write.get();
  args.ended = ended_write.get();
  args.null = null.get();
  args.cgroup = plan.cgroup_fd;
  args.out_read = out_read.get();
  args.out_write = out_write.get();
  args.err_read = err_read.get();
  args.err_write = err_write.get();

  // Blocked until the init has exec'd: no handler of the caller's may run
  // in a child on the caller's memory before the supervisor has reset them
  // all to the default, nor on the calling thread while the init shares its
  // thread-local state.
  sigset_t all, old_mask;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old_mask);
  struct RestoreMask {
    const sigset_t& mask;
    ~RestoreMask() { ::pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } restore_mask{old_mask};
  const long started_supervisor = start_supervisor(args, supervisor_stack);
  if (started_supervisor < 0) {
    errno = static_cast<int>(-started_supervisor);
    return errno_error("start the container's supervisor");
  }
  const auto supervisor = static_cast<pid_t>(started_supervisor);

  // Only the report pipe's read end stays here: its end of file means both
  // children are done with it (exec'd, or failed).
  for (UniqueFd* fd :
       {&report_write, &ended_write, &out_read, &out_write, &err_read, &err_write, &null, &go_read, &go_write})
    fd->reset();
  Spawned spawned;
  spawned.supervisor = supervisor;
  spawned.ended = std::move(ended_read);

  std::optional<Report> failure;
  const auto stop = [&] {
    // Before its exec the init is in the supervisor's process group.
    ::kill(-supervisor, SIGKILL);
    if (spawned.init > 0) ::kill(spawned.init, SIGKILL);
    ::kill(supervisor, SIGKILL);
    reap(supervisor);
  };
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd fd{report_read.get(), POLLIN, 0};
    const int ready = ::poll(&fd, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      stop();
      return Error{"container '" + plan.id + "' did not start within " + std::to_string(timeout.count()) + " ms"};
    }
    Report report;
    const ssize_t n = ::read(report_read.get(), &report, sizeof report);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (n != sizeof report) continue;
    if (report.kind == Report::kInitPid && spawned.init == 0) spawned.init = report.pid;
    if (report.kind == Report::kFailed && !failure) failure = report;
  }
  if (failure || spawned.init <= 0) {
    // The init (if any) exits 127 after its report; the supervisor records
    // that and exits. Wait for it, so nothing is left behind.
    reap(supervisor);
    if (!failure) return Error{"container '" + plan.id + "': its supervisor ended before starting it"};
    return Error{step_subject(plan, join_procs, *failure) + ": " + std::strerror(failure->error)};
  }
  return spawned;
}

Result<ExitStatus> parse_exit_status(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  const auto space = text.find(' ');
  int value = 0;
  if (space != std::string_view::npos) {
    const std::string_view number = text.substr(space + 1);
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec == std::errc{} && end == number.data() + number.size() && value >= 0) {
      ExitStatus status;
      if (text.substr(0, space) == "exited") status.exit_code = value;
      if (text.substr(0, space) == "signaled") status.signal = value;
      if (status.exit_code || status.signal) return status;
    }
  }
  return Error{"status '" + std::string(text) + "' is not 'exited N' or 'signaled N'"};
}

}  // namespace dcos::isolation
