#include "daemons/cli/master_client.hpp"

#include "daemons/cli/terminal.hpp"

namespace dcos::cli {
namespace {

constexpr uint16_t kDefaultMasterPort = 5050;
constexpr const char* kStatePath = "/master/state";
constexpr const char* kOperatorPath = "/api/v1";
constexpr size_t kMaxQuotedBody = 200;

// http::fetch names the request ("GET http://h:p/master/state: why"); our
// message names the master instead, so keep only the reason.
Error unreachable(const MasterAddress& master, const std::string& method, const std::string& path, std::string reason) {
  const std::string request = method + " http://" + master.host + ":" + std::to_string(master.port) + path + ": ";
  if (reason.starts_with(request)) reason.erase(0, request.size());
  return Error{"cannot reach master at " + master.text() + ": " + reason};
}

}  // namespace

std::string reply_excerpt(const std::string& body) {
  std::string line = body.substr(0, body.find('\n'));
  if (line.size() > kMaxQuotedBody) line = line.substr(0, kMaxQuotedBody) + "...";
  return printable(line);
}

std::string MasterAddress::text() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<MasterAddress> parse_master_address(const std::string& text) {
  if (text.starts_with("zk://")) {
    return Error{"'" + text + "': ZooKeeper addresses are not supported yet; give the leading master's HOST:PORT"};
  }
  auto split = http::split_host_port(text, kDefaultMasterPort);
  if (!split) return split.error();
  return MasterAddress{split->first, split->second};
}

Result<nlohmann::json> fetch_state(const MasterAddress& master, std::chrono::milliseconds timeout) {
  auto reply = http::get(master.host, master.port, kStatePath, timeout);
  if (!reply) return unreachable(master, "GET", kStatePath, reply.error().message);
  return parse_state_reply(master, *reply);
}

Result<http::Reply> post_operator_call(const MasterAddress& master, const std::string& body,
                                       std::chrono::milliseconds timeout) {
  auto reply = http::fetch("POST", master.host, master.port, kOperatorPath, body, "application/json", timeout);
  if (!reply) return unreachable(master, "POST", kOperatorPath, reply.error().message);
  return reply;
}

Result<nlohmann::json> parse_state_reply(const MasterAddress& master, const http::Reply& reply) {
  if (reply.status != 200) {
    std::string message =
        "master at " + master.text() + " answered GET " + kStatePath + " with HTTP " + std::to_string(reply.status);
    if (!reply.body.empty()) message += ": " + reply_excerpt(reply.body);
    return Error{message};
  }
  try {
    return nlohmann::json::parse(reply.body);
  } catch (const nlohmann::json::parse_error& e) {
    // what() is "[json.exception.parse_error.101] parse error at ...; last
    // read: '<bytes of the body>'": drop the tag, make the bytes printable.
    std::string what = e.what();
    if (const auto tag_end = what.find("] "); what.starts_with("[json.exception.") && tag_end != std::string::npos) {
      what.erase(0, tag_end + 2);
    }
    return Error{"master at " + master.text() + " sent state that is not JSON: " + printable(what)};
  }
}

}  // namespace dcos::cli
