#include "daemons/cli/vip_list.hpp"

#include "daemons/cli/master_client.hpp"
#include "daemons/cli/terminal.hpp"
#include "runtime/http_client.hpp"

namespace dcos::cli {

namespace {

using nlohmann::json;

constexpr const char* kVipsPath = "/vips";

template <class T>
Result<T> field(const json& object, const char* name, const std::string& where) {
  const auto it = object.find(name);
  if (it == object.end()) return Error{where + "." + name + " is missing"};
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    return Error{where + "." + name + " is not of the expected type"};
  }
}

Result<Vip> vip_from_json(const json& object, const std::string& where) {
  if (!object.is_object()) return Error{where + " is not an object"};
  Vip vip;
  auto protocol = field<std::string>(object, "protocol", where);
  auto address = field<std::string>(object, "vip", where);
  auto port = field<uint16_t>(object, "port", where);
  if (!protocol) return protocol.error();
  if (!address) return address.error();
  if (!port) return port.error();
  vip.protocol = *protocol;
  vip.vip = *address;
  vip.port = *port;
  if (object.contains("name")) {
    auto name = field<std::string>(object, "name", where);
    auto framework = field<std::string>(object, "framework", where);
    if (!name) return name.error();
    if (!framework) return framework.error();
    vip.name = *name;
    vip.framework = *framework;
  }
  const auto backends = object.find("backends");
  if (backends == object.end() || !backends->is_array()) return Error{where + ".backends is missing or not a list"};
  for (std::size_t i = 0; i < backends->size(); ++i) {
    const json& backend = (*backends)[i];
    const std::string at = where + ".backends[" + std::to_string(i) + "]";
    if (!backend.is_object()) return Error{at + " is not an object"};
    auto ip = field<std::string>(backend, "ip", at);
    auto backend_port = field<uint16_t>(backend, "port", at);
    auto weight = field<uint32_t>(backend, "weight", at);
    if (!ip) return ip.error();
    if (!backend_port) return backend_port.error();
    if (!weight) return weight.error();
    vip.backends.push_back({*ip, *backend_port, *weight});
  }
  vip.object = object;
  return vip;
}

std::string endpoint(const std::string& ip, uint16_t port) {
  return (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

}  // namespace

std::string L4lbAddress::text() const { return endpoint(host, port); }

Result<L4lbAddress> parse_l4lb_address(const std::string& text) {
  auto split = http::split_host_port(text, 61421);
  if (!split) return Error{"--l4lb '" + text + "': " + split.error().message};
  return L4lbAddress{split->first, split->second};
}

Result<std::vector<Vip>> fetch_vips(const L4lbAddress& l4lb, std::chrono::milliseconds timeout) {
  auto reply = http::get(l4lb.host, l4lb.port, kVipsPath, timeout);
  if (!reply) return Error{"cannot reach dcos-l4lb at " + l4lb.text() + ": " + reply.error().message};
  if (reply->status != 200)
    return Error{"dcos-l4lb at " + l4lb.text() + " answered GET /vips with HTTP " + std::to_string(reply->status) +
                 ": " + reply_excerpt(reply->body)};
  json body = json::parse(reply->body, nullptr, false);
  if (body.is_discarded()) return Error{"dcos-l4lb at " + l4lb.text() + " answered GET /vips with other than JSON"};
  auto vips = vips_from_reply(body);
  if (!vips) return Error{"bad answer from dcos-l4lb at " + l4lb.text() + ": " + vips.error().message};
  return vips;
}

Result<std::vector<Vip>> vips_from_reply(const json& body) {
  if (!body.is_object() || !body.contains("vips") || !body["vips"].is_array())
    return Error{"vips is missing or not a list"};
  std::vector<Vip> out;
  const json& list = body["vips"];
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto vip = vip_from_json(list[i], "vips[" + std::to_string(i) + "]");
    if (!vip) return vip.error();
    out.push_back(std::move(*vip));
  }
  return out;
}

std::string vip_table(const std::vector<Vip>& vips) {
  Table table({{"NAME"}, {"FRAMEWORK"}, {"PROTO"}, {"VIP"}, {"BACKENDS"}});
  for (const auto& vip : vips) {
    std::string backends;
    for (const auto& backend : vip.backends) {
      if (!backends.empty()) backends += ", ";
      backends += endpoint(backend.ip, backend.port);
      if (backend.weight == 0) backends += " (draining)";
    }
    table.add_row({vip.name.empty() ? "-" : "/" + vip.name, vip.name.empty() ? "-" : vip.framework, vip.protocol,
                   endpoint(vip.vip, vip.port), backends.empty() ? "-" : backends});
  }
  std::string text = table.text();
  if (vips.empty()) text += "no VIPs\n";
  return text;
}

std::string vip_json(const std::vector<Vip>& vips) {
  json list = json::array();
  for (const auto& vip : vips) list.push_back(vip.object);
  return list.dump(2) + "\n";
}

}  // namespace dcos::cli
