#include "tests/support/scheduler_client.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "runtime/proto_json.hpp"
#include "runtime/recordio.hpp"
#include "scheduler.pb.h"

namespace dcos::testing {

namespace {

int connect_loopback(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return fd;
  if (fd >= 0) ::close(fd);
  return -1;
}

void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Reads into `buffer` until `done` or 10 s pass; false on timeout or close.
bool read_until(int fd, std::string& buffer, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    pollfd ready{fd, POLLIN, 0};
    if (::poll(&ready, 1, 100) <= 0) continue;
    char chunk[16 * 1024];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return done();
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  return true;
}

std::string request(uint16_t port, const std::string& body, const std::string& stream_id,
                    const std::string& content_type) {
  std::string out = "POST /api/v1/scheduler HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nContent-Type: " + content_type + "\r\nAccept: " + content_type +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  if (!stream_id.empty()) out += "Mesos-Stream-Id: " + stream_id + "\r\n";
  return out + "\r\n" + body;
}

// Status line and headers of `head` (up to the blank line).
HttpReply parse_head(const std::string& head) {
  HttpReply reply;
  if (head.size() > 12) reply.status = static_cast<unsigned>(std::atoi(head.c_str() + 9));
  std::size_t at = head.find("\r\n");
  while (at != std::string::npos && at + 2 < head.size()) {
    const std::size_t end = head.find("\r\n", at + 2);
    const std::string line = head.substr(at + 2, end - at - 2);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      reply.headers.emplace_back(name, line.substr(line.find_first_not_of(' ', colon + 1)));
    }
    at = end;
  }
  return reply;
}

}  // namespace

std::string HttpReply::header(const std::string& name) const {
  for (const auto& [key, value] : headers)
    if (key == name) return value;
  return {};
}

HttpReply post_call(uint16_t port, const std::string& body, const std::string& stream_id,
                    const std::string& content_type) {
  const int fd = connect_loopback(port);
  if (fd < 0) return {};
  send_all(fd, request(port, body, stream_id, content_type));
  std::string buffer;
  HttpReply reply;
  read_until(fd, buffer, [&] {
    const auto end = buffer.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    reply = parse_head(buffer.substr(0, end));
    const std::string length = reply.header("content-length");
    return buffer.size() >= end + 4 + static_cast<std::size_t>(std::atoll(length.c_str()));
  });
  ::close(fd);
  const auto end = buffer.find("\r\n\r\n");
  if (end != std::string::npos) reply.body = buffer.substr(end + 4);
  return reply;
}

std::string call_as_protobuf(const nlohmann::json& call) {
  mesos::v1::scheduler::Call message;
  if (!proto_json::parse(call.dump(), message)) return {};
  return message.SerializeAsString();
}

SubscribedScheduler::SubscribedScheduler(uint16_t port, const nlohmann::json& framework_info, bool protobuf)
    : port_(port), protobuf_(protobuf) {
  fd_ = connect_loopback(port);
  if (fd_ < 0) return;
  nlohmann::json call = {{"type", "SUBSCRIBE"}, {"subscribe", {{"framework_info", framework_info}}}};
  if (framework_info.contains("id")) call["framework_id"] = framework_info["id"];
  if (protobuf) {
    send_all(fd_, request(port, call_as_protobuf(call), {}, "application/x-protobuf"));
  } else {
    send_all(fd_, request(port, call.dump(), {}, "application/json"));
  }
  std::string buffer;
  read_until(fd_, buffer, [&] { return buffer.find("\r\n\r\n") != std::string::npos; });
  const auto end = buffer.find("\r\n\r\n");
  if (end == std::string::npos) return;
  const HttpReply head = parse_head(buffer.substr(0, end));
  status_ = head.status;
  content_type_ = head.header("content-type");
  stream_id_ = head.header("mesos-stream-id");
  if (status_ != 200) return;
  reader_ = std::thread([this, rest = buffer.substr(end + 4)] { read_loop(rest); });
}

SubscribedScheduler::~SubscribedScheduler() {
  disconnect();
  if (reader_.joinable()) reader_.join();
  if (fd_ >= 0) ::close(fd_);
}

void SubscribedScheduler::disconnect() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

nlohmann::json SubscribedScheduler::to_json(const std::string& record) const {
  if (!protobuf_) return nlohmann::json::parse(record, nullptr, false);
  mesos::v1::scheduler::Event event;
  if (!event.ParseFromString(record)) return nlohmann::json();
  auto printed = proto_json::print(event);
  return printed ? nlohmann::json::parse(*printed, nullptr, false) : nlohmann::json();
}

// Undoes the chunked transfer encoding, then the RecordIO framing.
void SubscribedScheduler::read_loop(std::string pending) {
  recordio::RecordIoDecoder decoder;
  for (;;) {
    // Whole chunks in `pending`: "<hex>\r\n<data>\r\n".
    for (;;) {
      const auto line_end = pending.find("\r\n");
      if (line_end == std::string::npos) break;
      const std::size_t size = std::stoul(pending.substr(0, line_end), nullptr, 16);
      if (size == 0) {
        std::lock_guard lock(mutex_);
        ended_ = true;
        changed_.notify_all();
        return;
      }
      if (pending.size() < line_end + 2 + size + 2) break;
      std::vector<std::string> records;
      (void)decoder.feed(std::string_view(pending).substr(line_end + 2, size), records);
      pending.erase(0, line_end + 2 + size + 2);
      std::lock_guard lock(mutex_);
      for (const auto& record : records) events_.push_back(to_json(record));
      changed_.notify_all();
    }
    char chunk[16 * 1024];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) break;
    pending.append(chunk, static_cast<std::size_t>(n));
  }
  std::lock_guard lock(mutex_);
  ended_ = true;
  changed_.notify_all();
}

std::string SubscribedScheduler::framework_id() {
  std::size_t cursor = 0;
  auto subscribed = next_of_type("SUBSCRIBED", &cursor);
  if (!subscribed) return {};
  return (*subscribed)["subscribed"]["framework_id"].value("value", "");
}

HttpReply SubscribedScheduler::call(const std::string& type, const nlohmann::json& body) {
  nlohmann::json call = {{"type", type}, {"framework_id", {{"value", framework_id()}}}};
  if (!body.is_null()) {
    std::string field = type;
    std::transform(field.begin(), field.end(), field.begin(), ::tolower);
    call[field] = body;
  }
  return post_call(port_, call.dump(), stream_id_);
}

std::optional<nlohmann::json> SubscribedScheduler::next(const std::function<bool(const nlohmann::json&)>& match,
                                                        std::size_t* cursor, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::optional<nlohmann::json> found;
  changed_.wait_for(lock, timeout, [&] {
    for (; *cursor < events_.size(); ++*cursor)
      if (match(events_[*cursor])) {
        found = events_[(*cursor)++];
        return true;
      }
    return ended_;
  });
  return found;
}

std::optional<nlohmann::json> SubscribedScheduler::next_of_type(const std::string& type, std::size_t* cursor,
                                                                std::chrono::milliseconds timeout) {
  return next([&](const nlohmann::json& event) { return event.value("type", "") == type; }, cursor, timeout);
}

std::vector<nlohmann::json> SubscribedScheduler::events() {
  std::lock_guard lock(mutex_);
  return events_;
}

bool SubscribedScheduler::ended() {
  std::lock_guard lock(mutex_);
  return ended_;
}

}  // namespace dcos::testing
