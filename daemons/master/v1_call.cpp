#include "daemons/master/v1_call.hpp"

#include "runtime/proto_json.hpp"

namespace dcos::master {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

}  // namespace

std::string header(const http::Request& request, const std::string& name) {
  auto it = request.headers.find(name);
  return it == request.headers.end() ? std::string() : it->second;
}

std::optional<CallRefusal> decode_call(const http::Request& request, google::protobuf::Message& call,
                                       std::size_t max_bytes, bool* protobuf_out) {
  const std::string content_type = header(request, "content-type");
  const bool protobuf_in = starts_with(content_type, kProtobufType);
  if (!protobuf_in && !starts_with(content_type, kJsonType))
    return CallRefusal{
        415, "Expecting 'Content-Type' of application/json or application/x-protobuf, got '" + content_type + "'"};
  const std::string accept = header(request, "accept");
  *protobuf_out = accept.find(kProtobufType) != std::string::npos && accept.find(kJsonType) == std::string::npos;
  if (!accept.empty() && !*protobuf_out && accept.find(kJsonType) == std::string::npos &&
      accept.find("*/*") == std::string::npos)
    return CallRefusal{406, "Expecting 'Accept' to allow application/json or application/x-protobuf"};
  if (request.body.size() > max_bytes)
    return CallRefusal{413, "call body is larger than " + std::to_string(max_bytes) + " bytes"};
  auto parsed =
      protobuf_in ? proto_json::parse_binary(request.body, call, max_bytes) : proto_json::parse(request.body, call);
  if (!parsed) return CallRefusal{400, "Failed to parse body into Call: " + parsed.error().message};
  return std::nullopt;
}

http::Response encoded(unsigned status, const google::protobuf::Message& message, bool protobuf) {
  http::Response response;
  response.status = status;
  if (protobuf) {
    response.content_type = std::string(kProtobufType);
    response.body = message.SerializeAsString();
    return response;
  }
  // Printing fails only for messages nested deeper than any this master builds.
  auto printed = proto_json::print(message);
  response.body = printed ? std::move(*printed) : "{}";
  return response;
}

}  // namespace dcos::master
