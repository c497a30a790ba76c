#include "netlb/ipvs/datapath.hpp"

#include <linux/ip_vs.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <chrono>
#include <cstring>

#include "netlb/ipvs/messages.hpp"

extern char** environ;

namespace dcos::netlb {

namespace {

using ipvs::Message;

// A dump larger than this is not a table we made (10,000 services with 10
// destinations each come to about 25 MB over all requests, 2.5 MB at most
// in one).
constexpr std::size_t kMaxReplyBytes = 64u << 20;
constexpr auto kReplyDeadline = std::chrono::seconds(30);

std::string errno_text(int error) { return std::string(strerror(error)) + " (errno " + std::to_string(error) + ")"; }

struct SocketDeleter {
  void operator()(nl_sock* socket) const { nl_socket_free(socket); }
};
using Socket = std::unique_ptr<nl_sock, SocketDeleter>;
struct CallbackDeleter {
  void operator()(nl_cb* callbacks) const { nl_cb_put(callbacks); }
};

// What came back for one request: the data messages' bytes back to back,
// and the kernel's errno (0 when it accepted).
struct Reply {
  std::vector<uint8_t> bytes;
  int error = 0;
  bool done = false;
  bool too_big = false;
};

int on_valid(nl_msg* message, void* arg) {
  auto* reply = static_cast<Reply*>(arg);
  const nlmsghdr* header = nlmsg_hdr(message);
  if (reply->bytes.size() + header->nlmsg_len > kMaxReplyBytes) {
    reply->too_big = true;
    return NL_STOP;
  }
  const auto* begin = reinterpret_cast<const uint8_t*>(header);
  reply->bytes.insert(reply->bytes.end(), begin, begin + header->nlmsg_len);
  reply->bytes.resize(NLMSG_ALIGN(reply->bytes.size()));
  return NL_OK;
}

int on_done(nl_msg*, void* arg) {
  static_cast<Reply*>(arg)->done = true;
  return NL_STOP;
}

int on_error(sockaddr_nl*, nlmsgerr* error, void* arg) {
  auto* reply = static_cast<Reply*>(arg);
  reply->error = -error->error;
  reply->done = true;
  return NL_STOP;
}

Result<Socket> connect_genl() {
  Socket socket(nl_socket_alloc());
  if (!socket) return Error{"IPVS: cannot allocate a netlink socket"};
  if (int rc = genl_connect(socket.get()); rc < 0)
    return Error{std::string("IPVS: generic netlink socket: ") + nl_geterror(rc)};
  nl_socket_enable_msg_peek(socket.get());  // dump replies come in skbs larger than a page
  const timeval timeout{5, 0};
  setsockopt(nl_socket_get_fd(socket.get()), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return socket;
}

Result<int> resolve_family(nl_sock* socket) {
  const int family = genl_ctrl_resolve(socket, IPVS_GENL_NAME);
  if (family < 0)
    return Error{std::string("the kernel has no IPVS (generic netlink family " IPVS_GENL_NAME ": ") +
                 nl_geterror(family) + ")"};
  return family;
}

// Runs `modprobe ip_vs`; returns what went wrong, or "" when it loaded.
std::string load_ip_vs() {
  char program[] = "modprobe", quiet[] = "-q", module[] = "ip_vs";
  char* argv[] = {program, quiet, module, nullptr};
  pid_t child = 0;
  if (int rc = posix_spawnp(&child, program, nullptr, nullptr, argv, environ); rc != 0)
    return "modprobe ip_vs: " + std::string(strerror(rc));
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  return "modprobe ip_vs: exit " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

class IpvsDatapath final : public Datapath {
 public:
  IpvsDatapath(Socket socket, int family) : socket_(std::move(socket)), family_(family) {}

  std::string_view name() const override { return "ipvs"; }

  Result<VipTable> dump() override {
    auto request = ipvs::build_get_services(family_);
    if (!request) return request.error();
    auto reply = exchange(std::move(*request), "dump of services");
    if (!reply) return reply.error();
    if (reply->error) return Error{"IPVS dump of services: " + errno_text(reply->error)};
    auto services = ipvs::parse_services(reply->bytes);
    if (!services) return services.error();
    VipTable table;
    for (Service& service : services->services) {
      auto destinations = fetch_destinations(service.key);
      if (!destinations) return destinations.error();
      if (destinations->error == ESRCH) continue;  // removed since the service dump
      service.destinations = std::move(destinations->list);
      normalize(service);
      table[service.key] = std::move(service);
    }
    return table;
  }

  Result<void> apply(std::span<const Change> changes) override {
    for (const Change& change : changes) {
      auto request = ipvs::build_change(family_, change);
      if (!request) return request.error();
      auto reply = exchange(std::move(*request), change.text());
      if (!reply) return reply.error();
      const bool removal =
          change.kind == Change::Kind::remove_service || change.kind == Change::Kind::remove_destination;
      if (reply->error == 0 || (removal && (reply->error == ESRCH || reply->error == ENOENT))) continue;
      return Error{"IPVS " + change.text() + ": " + errno_text(reply->error)};
    }
    return {};
  }

  Result<void> remove_all() override {
    auto table = dump();
    if (!table) return table.error();
    std::vector<Change> removals;
    for (const auto& [key, service] : *table)
      removals.push_back({Change::Kind::remove_service, key, service.scheduler, {}});
    return apply(removals);
  }

 private:
  struct Destinations {
    std::vector<Destination> list;
    int error = 0;
  };

  Result<Destinations> fetch_destinations(const ServiceKey& key) {
    auto request = ipvs::build_get_destinations(family_, key);
    if (!request) return request.error();
    auto reply = exchange(std::move(*request), "dump of destinations of " + key.text());
    if (!reply) return reply.error();
    if (reply->error == ESRCH) return Destinations{{}, ESRCH};
    if (reply->error) return Error{"IPVS dump of destinations of " + key.text() + ": " + errno_text(reply->error)};
    auto list = ipvs::parse_destinations(reply->bytes, key.vip.family);
    if (!list) return list.error();
    return Destinations{std::move(*list), 0};
  }

  // Sends one request and reads until its ACK, error or NLMSG_DONE.
  Result<Reply> exchange(Message request, const std::string& what) {
    if (int rc = nl_send_auto(socket_.get(), request.get()); rc < 0)
      return Error{"IPVS " + what + ": send: " + nl_geterror(rc)};
    std::unique_ptr<nl_cb, CallbackDeleter> callbacks(nl_cb_alloc(NL_CB_DEFAULT));
    if (!callbacks) return Error{"IPVS " + what + ": cannot allocate netlink callbacks"};
    Reply reply;
    nl_cb_set(callbacks.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &reply);
    nl_cb_set(callbacks.get(), NL_CB_FINISH, NL_CB_CUSTOM, on_done, &reply);
    nl_cb_set(callbacks.get(), NL_CB_ACK, NL_CB_CUSTOM, on_done, &reply);
    nl_cb_err(callbacks.get(), NL_CB_CUSTOM, on_error, &reply);
    const auto deadline = std::chrono::steady_clock::now() + kReplyDeadline;
    while (!reply.done && !reply.too_big) {
      const int rc = nl_recvmsgs(socket_.get(), callbacks.get());
      if (reply.done || reply.too_big) break;
      if (rc < 0) return Error{"IPVS " + what + ": receive: " + nl_geterror(rc)};
      if (std::chrono::steady_clock::now() > deadline) return Error{"IPVS " + what + ": no answer from the kernel"};
    }
    if (reply.too_big) return Error{"IPVS " + what + ": the reply exceeds " + std::to_string(kMaxReplyBytes) + " bytes"};
    return reply;
  }

  Socket socket_;
  int family_;
};

}  // namespace

Result<void> probe_ipvs(bool load_module) {
  auto socket = connect_genl();
  if (!socket) return socket.error();
  auto family = resolve_family(socket->get());
  if (family || !load_module) return family ? Result<void>() : Result<void>(family.error());
  const std::string loaded = load_ip_vs();
  if (auto again = resolve_family(socket->get()); again) return {};
  return Error{family.error().message + (loaded.empty() ? "; loaded ip_vs, still missing" : "; " + loaded)};
}

Result<std::unique_ptr<Datapath>> make_ipvs_datapath() {
  auto socket = connect_genl();
  if (!socket) return socket.error();
  auto family = resolve_family(socket->get());
  if (!family) return family.error();
  return std::unique_ptr<Datapath>(std::make_unique<IpvsDatapath>(std::move(*socket), *family));
}

}  // namespace dcos::netlb
