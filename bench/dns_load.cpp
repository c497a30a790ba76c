#include "bench/dns_load.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace dcos::bench {

namespace {

constexpr std::size_t kBatch = 64;        // packets per sendmmsg / recvmmsg
constexpr std::size_t kIds = 65536;       // query ids per socket
constexpr std::size_t kPacketMax = 512;   // a query (and its copy in a send batch)
constexpr std::size_t kAnswerMax = 4096;  // an answer as read (longer ones arrive cut: counted all the same)
constexpr std::size_t kHistogramUs = 1'000'000;  // latency buckets of 1 us; later ones share the last

const std::map<std::string, uint16_t> kTypes = {{"A", 1},    {"NS", 2},   {"CNAME", 5}, {"SOA", 6}, {"PTR", 12},
                                                {"MX", 15},  {"TXT", 16}, {"AAAA", 28}, {"SRV", 33}, {"ANY", 255}};

uint64_t now_ns() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

double own_cpu_seconds() {
  rusage usage;
  ::getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// One connected socket, its ids and the queries it has in flight.
struct Flow {
  int fd = -1;
  uint16_t next_id = 0;
  std::vector<uint64_t> sent_at = std::vector<uint64_t>(kIds, 0);  // by id; 0: not in flight
  // Ids in the order sent (a ring); answered ones are skipped when they
  // reach the front, unanswered ones there expire after the timeout.
  std::vector<uint16_t> order = std::vector<uint16_t>(kIds, 0);
  std::size_t front = 0, size = 0;
  int in_flight = 0;
};

struct Batch {
  std::array<mmsghdr, kBatch> headers{};
  std::array<iovec, kBatch> vectors{};
  std::vector<char> buffers;
  Batch(std::size_t each) : buffers(kBatch * each) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      vectors[i] = {buffers.data() + i * each, each};
      headers[i].msg_hdr.msg_iov = &vectors[i];
      headers[i].msg_hdr.msg_iovlen = 1;
    }
  }
};

class Generator {
 public:
  Generator(const LoadOptions& options, std::vector<std::string> packets)
      : options_(options), packets_(std::move(packets)), flows_(static_cast<std::size_t>(options.sockets)),
        histogram_(kHistogramUs, 0), out_(kPacketMax), in_(kAnswerMax) {}
  ~Generator() {
    for (auto& flow : flows_)
      if (flow.fd >= 0) ::close(flow.fd);
  }

  Result<void> connect() {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(options_.port);
    if (::inet_pton(AF_INET, options_.server.c_str(), &to.sin_addr) != 1)
      return Error{"not an IPv4 address: '" + options_.server + "'"};
    for (auto& flow : flows_) {
      flow.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (flow.fd < 0) return errno_error("socket");
      const int buffer = 4 << 20;
      ::setsockopt(flow.fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
      ::setsockopt(flow.fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
      if (::connect(flow.fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0)
        return errno_error("connect to " + options_.server + ":" + std::to_string(options_.port));
    }
    return {};
  }

  Result<LoadResult> run() {
    LoadResult result;
    double server_before = 0;
    if (options_.server_pid > 0) {
      auto cpu = process_cpu_seconds(options_.server_pid);
      if (!cpu) return cpu.error();
      server_before = *cpu;
    }
    const double client_before = own_cpu_seconds();
    start_ = now_ns();
    const uint64_t end = start_ + uint64_t(options_.seconds * 1e9);
    const int per_flow = std::max(1, options_.in_flight / options_.sockets);
    for (uint64_t now = start_; now < end; now = now_ns()) {
      bool busy = false;
      for (auto& flow : flows_) {
        busy |= send(flow, per_flow, now);
        busy |= receive(flow);
        expire(flow, now);
      }
      if (!busy && !options_.spin) wait(now, end);
    }
    result.seconds = double(now_ns() - start_) / 1e9;
    result.client_cpu = own_cpu_seconds() - client_before;
    if (options_.server_pid > 0) {
      auto cpu = process_cpu_seconds(options_.server_pid);
      if (!cpu) return cpu.error();
      result.server_cpu = *cpu - server_before;
    }
    result.sent = sent_;
    result.answered = answered_;
    result.lost = lost_;
    result.failed = failed_;
    result.unmatched = unmatched_;
    result.p50_us = percentile(0.50);
    result.p99_us = percentile(0.99);
    return result;
  }

 private:
  // Sends what the in-flight bound (and the pace) allows, one batch; true
  // if it sent anything.
  bool send(Flow& flow, int per_flow, uint64_t now) {
    std::size_t count = std::min<std::size_t>(kBatch, std::size_t(std::max(0, per_flow - flow.in_flight)));
    count = std::min(count, kIds - flow.size);
    if (options_.qps > 0) {
      const auto due = uint64_t(double(now - start_) / 1e9 * options_.qps) + 1;
      count = std::min<uint64_t>(count, due > sent_ ? due - sent_ : 0);
    }
    if (count == 0) return false;
    for (std::size_t i = 0; i < count; ++i) {
      const std::string& packet = packets_[next_packet_];
      next_packet_ = next_packet_ + 1 == packets_.size() ? 0 : next_packet_ + 1;
      char* buffer = static_cast<char*>(out_.vectors[i].iov_base);
      std::memcpy(buffer, packet.data(), packet.size());
      const uint16_t id = static_cast<uint16_t>(flow.next_id + i);
      buffer[0] = char(id >> 8);
      buffer[1] = char(id & 0xFF);
      out_.headers[i].msg_hdr.msg_iov->iov_len = packet.size();
    }
    const int n = ::sendmmsg(flow.fd, out_.headers.data(), static_cast<unsigned>(count), MSG_DONTWAIT);
    if (n <= 0) return false;  // the socket's buffer is full: later
    const uint64_t stamp = now_ns();
    for (int i = 0; i < n; ++i) {
      const uint16_t id = flow.next_id++;
      flow.sent_at[id] = stamp;
      flow.order[(flow.front + flow.size++) % kIds] = id;
    }
    flow.in_flight += n;
    sent_ += uint64_t(n);
    return true;
  }

  // Reads what has arrived, a batch at a time; true if anything had.
  bool receive(Flow& flow) {
    bool any = false;
    for (;;) {
      for (auto& header : in_.headers) header.msg_hdr.msg_flags = 0;
      const int n = ::recvmmsg(flow.fd, in_.headers.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) return any;
      any = true;
      const uint64_t stamp = now_ns();
      for (int i = 0; i < n; ++i) {
        const auto* bytes = static_cast<const unsigned char*>(in_.vectors[i].iov_base);
        if (in_.headers[i].msg_len < 12) {
          ++unmatched_;
          continue;
        }
        const uint16_t id = uint16_t(bytes[0] << 8 | bytes[1]);
        if (flow.sent_at[id] == 0) {
          ++unmatched_;
          continue;
        }
        const uint64_t us = (stamp - flow.sent_at[id]) / 1000;
        ++histogram_[std::min<uint64_t>(us, kHistogramUs - 1)];
        flow.sent_at[id] = 0;
        --flow.in_flight;
        ++answered_;
        const unsigned rcode = bytes[3] & 0xF;
        if (rcode == 1 || rcode == 2 || rcode == 4 || rcode == 5) ++failed_;
      }
      if (n < static_cast<int>(kBatch)) return true;
    }
  }

  // Drops answered ids from the front of the order; counts unanswered ones
  // older than the timeout as lost.
  void expire(Flow& flow, uint64_t now) {
    const uint64_t timeout = uint64_t(options_.timeout * 1e9);
    while (flow.size > 0) {
      const uint16_t id = flow.order[flow.front];
      if (flow.sent_at[id] != 0) {
        if (flow.sent_at[id] + timeout > now) return;  // (sent after `now` was read: not expired either)
        flow.sent_at[id] = 0;
        --flow.in_flight;
        ++lost_;
      }
      flow.front = (flow.front + 1) % kIds;
      --flow.size;
    }
  }

  // Nothing to do: until an answer arrives, the next query is due, or 1 ms.
  void wait(uint64_t now, uint64_t end) {
    std::array<pollfd, 64> fds{};
    const std::size_t count = std::min(flows_.size(), fds.size());
    for (std::size_t i = 0; i < count; ++i) fds[i] = {flows_[i].fd, POLLIN, 0};
    uint64_t until = std::min(end, now + 1'000'000);
    if (options_.qps > 0) until = std::min(until, start_ + uint64_t(double(sent_) / options_.qps * 1e9));
    const int ms = until > now ? int((until - now + 999'999) / 1'000'000) : 0;
    if (ms > 0) ::poll(fds.data(), count, ms);
  }

  double percentile(double q) const {
    if (answered_ == 0) return 0;
    const auto rank = uint64_t(q * double(answered_ - 1)) + 1;
    uint64_t seen = 0;
    for (std::size_t us = 0; us < histogram_.size(); ++us)
      if ((seen += histogram_[us]) >= rank) return double(us) + 0.5;
    return double(kHistogramUs);
  }

  const LoadOptions& options_;
  std::vector<std::string> packets_;
  std::size_t next_packet_ = 0;
  std::vector<Flow> flows_;
  std::vector<uint32_t> histogram_;
  Batch out_, in_;
  uint64_t start_ = 0;
  uint64_t sent_ = 0, answered_ = 0, lost_ = 0, failed_ = 0, unmatched_ = 0;
};

}  // namespace

Result<std::string> build_query(const std::string& line) {
  std::istringstream fields(line);
  std::string name, type;
  fields >> name >> type;
  const auto code = kTypes.find(type);
  if (name.empty() || code == kTypes.end()) return Error{"not a query ('name type', a known type): '" + line + "'"};
  // Header: id 0, RD, one question.
  std::string packet = {0, 0, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  if (name.back() != '.') name += '.';
  for (std::size_t start = 0; start < name.size();) {
    const std::size_t dot = name.find('.', start);
    const std::size_t length = dot - start;
    if (length == 0 && dot + 1 != name.size()) return Error{"empty label in '" + name + "'"};
    if (length > 63) return Error{"label over 63 bytes in '" + name + "'"};
    if (length == 0) break;  // the root name "."
    packet += char(length);
    packet.append(name, start, length);
    start = dot + 1;
  }
  packet += '\0';
  if (packet.size() > 12 + 255) return Error{"name over 255 bytes: '" + name + "'"};
  packet += {char(code->second >> 8), char(code->second & 0xFF), 0, 1};  // type, class IN
  return packet;
}

Result<double> process_cpu_seconds(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  std::ifstream in(path);
  std::string text;
  if (!std::getline(in, text)) return errno_error("read '" + path + "'");
  // The command name (field 2) may hold spaces: fields are counted after
  // its closing parenthesis; utime and stime are fields 14 and 15.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return Error{"'" + path + "' has no command field"};
  std::istringstream fields(text.substr(close + 1));
  std::string field;
  double utime = 0, stime = 0;
  for (int number = 3; number <= 15 && fields >> field; ++number) {
    if (number == 14) utime = std::strtod(field.c_str(), nullptr);
    if (number == 15) stime = std::strtod(field.c_str(), nullptr);
  }
  return (utime + stime) / double(::sysconf(_SC_CLK_TCK));
}

Result<LoadResult> run_load(const LoadOptions& options) {
  if (options.queries.empty()) return Error{"no queries"};
  if (options.sockets < 1 || options.sockets > 64) return Error{"sockets must be 1-64"};
  if (options.in_flight < 1 || options.seconds <= 0 || options.timeout <= 0)
    return Error{"in_flight, seconds and timeout must be positive"};
  std::vector<std::string> packets;
  for (const auto& line : options.queries) {
    auto packet = build_query(line);
    if (!packet) return packet.error();
    packets.push_back(std::move(*packet));
  }
  Generator generator(options, std::move(packets));
  if (auto connected = generator.connect(); !connected) return connected.error();
  return generator.run();
}

}  // namespace dcos::bench
