// Test support: a Mesos v1 scheduler over plain HTTP, in JSON, as a
// framework written against the API would be: SubscribedScheduler opens
// the SUBSCRIBE stream (chunked RecordIO) and collects its events on a
// thread of its own; call() sends any other call with the stream id.
// Blocking sockets, bounded waits; thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace dcos::testing {

struct HttpReply {
  unsigned status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower case
  std::string header(const std::string& name) const;
};

// The Call a JSON text describes, in protobuf's wire format ("" if invalid).
std::string call_as_protobuf(const nlohmann::json& call);

// POST /api/v1/scheduler with the given body and headers; status 0 when
// the master could not be reached.
HttpReply post_call(uint16_t port, const std::string& body, const std::string& stream_id = {},
                    const std::string& content_type = "application/json");

class SubscribedScheduler {
 public:
  // Sends SUBSCRIBE with `framework_info` (JSON); check status() and
  // framework_id() before use. With `protobuf`, the SUBSCRIBE call goes as
  // application/x-protobuf and the events come back as protobuf (events()
  // still shows them as JSON, converted here).
  SubscribedScheduler(uint16_t port, const nlohmann::json& framework_info, bool protobuf = false);
  ~SubscribedScheduler();
  SubscribedScheduler(const SubscribedScheduler&) = delete;
  SubscribedScheduler& operator=(const SubscribedScheduler&) = delete;

  unsigned status() const { return status_; }
  const std::string& content_type() const { return content_type_; }
  const std::string& stream_id() const { return stream_id_; }
  std::string framework_id();  // from SUBSCRIBED, waited for

  // Sends {"type": type, "framework_id": ours, lower(type): body}.
  HttpReply call(const std::string& type, const nlohmann::json& body = nullptr);

  // The first event from index `*cursor` on that matches (advancing the
  // cursor past it), waiting at most `timeout`.
  std::optional<nlohmann::json> next(const std::function<bool(const nlohmann::json&)>& match, std::size_t* cursor,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::optional<nlohmann::json> next_of_type(const std::string& type, std::size_t* cursor,
                                             std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::vector<nlohmann::json> events();
  bool ended();  // the master closed the stream
  void disconnect();

 private:
  void read_loop(std::string pending);
  nlohmann::json to_json(const std::string& record) const;

  uint16_t port_;
  bool protobuf_ = false;
  std::string content_type_;
  int fd_ = -1;
  unsigned status_ = 0;
  std::string stream_id_;
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<nlohmann::json> events_;
  bool ended_ = false;
};

}  // namespace dcos::testing
