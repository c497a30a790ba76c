// container_payload: what the containerizer tests run inside containers.
// Statically linked, so that it also runs in a root file system holding
// nothing else. Each mode prints what it saw on stdout and exits 0 unless
// the mode says otherwise.
//
//   pidinfo              "pid=<getpid> procs=<numeric entries in /proc> host=<hostname>"
//   status               the NoNewPrivs, Seccomp, CapEff lines of /proc/self/status
//   syscall NAME         tries a blocked call, exits with its errno (0 if it worked)
//   hog MB               allocates and touches MB mebibytes, then exits 0
//   forkbomb N           forks up to N children that sleep; prints how many it got
//   spin MS              burns CPU for MS milliseconds of wall time
//   write BYTES          writes BYTES bytes of 'x' lines to stdout
//   rlimit-nofile        the soft RLIMIT_NOFILE
//   ids                  "uid=<uid> gid=<gid>"
//   netdevs              the interface names in /proc/net/dev
//   wait-file PATH CODE  waits (bounded, 60 s) until PATH exists, exits CODE
//   touch PATH           creates PATH
//   poke PATH            opens PATH for writing, writes "0"; exits with the errno (0 if it worked)
//   size PATH            prints how many bytes PATH reads
//   mknod-open b|c MAJOR MINOR  makes that device node in the working directory and
//                        opens it: exits with open's errno (0 if it opened; 100 if mknod failed)
//   exists PATH          exits 0 if PATH exists, 1 if not
//   fstype PATH          the file system type (statfs f_type) of PATH, in hex
//   cat PATH             prints PATH's first 64 KiB; exits with open's errno
//   remount-touch PATH   tries to make / writable (a bind remount, then one of its file
//                        system), prints both errnos, then creates PATH: exits with its errno
#include <dirent.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

int pidinfo() {
  int procs = 0;
  if (DIR* dir = ::opendir("/proc")) {
    while (dirent* entry = ::readdir(dir)) {
      if (std::isdigit(static_cast<unsigned char>(entry->d_name[0]))) ++procs;
    }
    ::closedir(dir);
  }
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::printf("pid=%d procs=%d host=%s\n", ::getpid(), procs, host);
  return 0;
}

int status() {
  FILE* file = std::fopen("/proc/self/status", "r");
  if (!file) return 1;
  char line[512];
  while (std::fgets(line, sizeof line, file)) {
    if (!std::strncmp(line, "NoNewPrivs:", 11) || !std::strncmp(line, "Seccomp:", 8) ||
        !std::strncmp(line, "CapEff:", 7) || !std::strncmp(line, "CapBnd:", 7))
      std::fputs(line, stdout);
  }
  std::fclose(file);
  return 0;
}

int blocked_syscall(const std::string& name) {
  long result = -1;
  if (name == "keyctl") {
    result = ::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
  } else if (name == "unshare") {
    result = ::unshare(CLONE_NEWUTS);
  } else if (name == "mount") {
    result = ::mount("none", "/tmp", "tmpfs", 0, nullptr);
  } else if (name == "kexec_load") {
    result = ::syscall(SYS_kexec_load, 0, 0, nullptr, 0);
  } else if (name == "mkdir") {
    result = ::mkdir("payload-dir", 0755);
  } else {
    return 255;
  }
  return result < 0 ? errno : 0;
}

int hog(long megabytes) {
  std::vector<char*> blocks;
  for (long i = 0; i < megabytes; ++i) {
    char* block = static_cast<char*>(std::malloc(1 << 20));
    if (!block) return 2;
    std::memset(block, 1, 1 << 20);
    blocks.push_back(block);
  }
  std::printf("allocated %ld MiB\n", megabytes);
  return 0;
}

int forkbomb(int limit) {
  int forked = 0;
  for (int i = 0; i < limit; ++i) {
    const pid_t pid = ::fork();
    if (pid < 0) break;
    if (pid == 0) {
      ::pause();
      ::_exit(0);
    }
    ++forked;
  }
  std::printf("forked=%d\n", forked);
  return 0;  // as pid 1 of the container, its exit ends the children
}

int spin(long milliseconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(milliseconds);
  volatile unsigned long counter = 0;
  while (std::chrono::steady_clock::now() < end) counter = counter + 1;
  return 0;
}

int write_bytes(long bytes) {
  std::string line(99, 'x');
  line += '\n';
  for (long written = 0; written < bytes; written += 100) std::fwrite(line.data(), 1, line.size(), stdout);
  return 0;
}

int netdevs() {
  FILE* file = std::fopen("/proc/net/dev", "r");
  if (!file) return 1;
  char line[512];
  for (int number = 0; std::fgets(line, sizeof line, file); ++number) {
    if (number < 2) continue;
    char* colon = std::strchr(line, ':');
    if (!colon) continue;
    *colon = '\0';
    char* name = line;
    while (*name == ' ') ++name;
    std::printf("%s\n", name);
  }
  std::fclose(file);
  return 0;
}

int wait_file(const char* path, int code) {
  for (int i = 0; i < 6000; ++i) {
    if (::access(path, F_OK) == 0) return code;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return 99;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 255;
  const std::string mode = argv[1];
  const char* arg = argc > 2 ? argv[2] : "";
  if (mode == "pidinfo") return pidinfo();
  if (mode == "status") return status();
  if (mode == "syscall") return blocked_syscall(arg);
  if (mode == "hog") return hog(std::atol(arg));
  if (mode == "forkbomb") return forkbomb(std::atoi(arg));
  if (mode == "spin") return spin(std::atol(arg));
  if (mode == "write") return write_bytes(std::atol(arg));
  if (mode == "rlimit-nofile") {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    std::printf("%llu\n", static_cast<unsigned long long>(limit.rlim_cur));
    return 0;
  }
  if (mode == "ids") {
    std::printf("uid=%d gid=%d\n", ::getuid(), ::getgid());
    return 0;
  }
  if (mode == "netdevs") return netdevs();
  if (mode == "wait-file") return wait_file(arg, argc > 3 ? std::atoi(argv[3]) : 0);
  if (mode == "touch") {
    const int fd = ::open(arg, O_CREAT | O_WRONLY, 0644);
    return fd < 0 ? errno : 0;
  }
  if (mode == "cat") {
    const int fd = ::open(arg, O_RDONLY);
    if (fd < 0) return errno;
    char buffer[1 << 16];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) std::fwrite(buffer, 1, static_cast<std::size_t>(n), stdout);
    return n < 0 ? errno : 0;
  }
  if (mode == "fstype") {
    struct statfs fs {};
    if (::statfs(arg, &fs) < 0) return errno;
    std::printf("%lx\n", static_cast<unsigned long>(fs.f_type));
    return 0;
  }
  if (mode == "remount-touch") {
    const int bind = ::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND, nullptr) < 0 ? errno : 0;
    const int whole = ::mount(nullptr, "/", nullptr, MS_REMOUNT, nullptr) < 0 ? errno : 0;
    std::printf("bind-remount=%d remount=%d\n", bind, whole);
    std::fflush(stdout);
    const int fd = ::open(arg, O_CREAT | O_WRONLY, 0644);
    return fd < 0 ? errno : 0;
  }
  if (mode == "poke") {
    const int fd = ::open(arg, O_WRONLY);
    if (fd < 0) return errno;
    return ::write(fd, "0", 1) < 0 ? errno : 0;
  }
  if (mode == "size") {
    const int fd = ::open(arg, O_RDONLY);
    if (fd < 0) return errno;
    char buffer[4096];
    long total = 0;
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0 && total < (1 << 20);) total += n;
    std::printf("%ld\n", total);
    return 0;
  }
  if (mode == "mknod-open" && argc > 4) {
    const mode_t type = arg[0] == 'b' ? S_IFBLK : S_IFCHR;
    const dev_t device = makedev(std::atoi(argv[3]), std::atoi(argv[4]));
    ::unlink("devnode");
    if (::mknod("devnode", type | 0600, device) != 0) return 100;
    const int fd = ::open("devnode", O_RDONLY | O_NONBLOCK);
    return fd < 0 ? errno : 0;
  }
  if (mode == "exists") return ::access(arg, F_OK) == 0 ? 0 : 1;
  return 255;
}
