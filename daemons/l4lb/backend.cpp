#include "daemons/l4lb/backend.hpp"

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>

#include "netlb/nftables/datapath.hpp"
#include "runtime/unique_fd.hpp"

namespace dcos::l4lb {

namespace {

class MemoryDatapath : public netlb::Datapath {
 public:
  std::string_view name() const override { return "none"; }
  Result<netlb::VipTable> dump() override { return table_; }
  Result<void> apply(std::span<const netlb::Change> changes) override { return netlb::apply_changes(table_, changes); }
  Result<void> remove_all() override {
    table_.clear();
    return {};
  }

 private:
  netlb::VipTable table_;
};

}  // namespace

std::unique_ptr<netlb::Datapath> make_memory_datapath() { return std::make_unique<MemoryDatapath>(); }

bool kernel_has_ipvs() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC));
  if (fd.get() < 0) return false;
  timeval timeout{1, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  // CTRL_CMD_GETFAMILY with CTRL_ATTR_FAMILY_NAME "IPVS".
  static constexpr char kFamily[] = "IPVS";
  struct {
    nlmsghdr header;
    genlmsghdr genl;
    nlattr attribute;
    char name[8];
  } request{};
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = GENL_ID_CTRL;
  request.header.nlmsg_flags = NLM_F_REQUEST;
  request.header.nlmsg_seq = 1;
  request.genl.cmd = CTRL_CMD_GETFAMILY;
  request.genl.version = 1;
  request.attribute.nla_type = CTRL_ATTR_FAMILY_NAME;
  request.attribute.nla_len = NLA_HDRLEN + sizeof kFamily;
  std::memcpy(request.name, kFamily, sizeof kFamily);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd.get(), &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    return false;
  alignas(nlmsghdr) char buffer[8192];
  const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
  if (n < static_cast<ssize_t>(sizeof(nlmsghdr))) return false;
  const auto* reply = reinterpret_cast<const nlmsghdr*>(buffer);
  // The family's description, or an NLMSG_ERROR (ENOENT: no IPVS).
  return reply->nlmsg_type == GENL_ID_CTRL;
}

Result<Backend> open_backend(BackendChoice choice) {
  // Until the IPVS datapath is built in, auto means nftables everywhere.
  constexpr bool kIpvsBuilt = false;
  if (choice == BackendChoice::automatic)
    choice = kIpvsBuilt && kernel_has_ipvs() ? BackendChoice::ipvs : BackendChoice::nftables;
  Backend backend;
  switch (choice) {
    case BackendChoice::none:
      backend.datapath = make_memory_datapath();
      return backend;
    case BackendChoice::ipvs:
      return Error{"the IPVS datapath is not built into this dcos-l4lb yet (use --backend=nftables)"};
    case BackendChoice::nftables:
    case BackendChoice::automatic:
      break;
  }
  // nftables rewrites the destination before routing: no local VIP addresses.
  auto datapath = netlb::make_nftables_datapath();
  if (!datapath) return Error{"nftables: " + datapath.error().message};
  backend.datapath = std::move(*datapath);
  return backend;
}

}  // namespace dcos::l4lb
