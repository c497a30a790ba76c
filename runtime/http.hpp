// HTTP requests, responses and routing, with no networking in it (the
// server is runtime/http_server.hpp). Handlers are plain functions of a
// request; they run on the daemon's io thread and must not block.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dcos::http {

struct Request {
  std::string method;                                       // "GET", "POST", ...
  std::string target;                                       // as sent: "/master/state?jsonp=x"
  std::string path;                                         // "/master/state"
  std::map<std::string, std::string, std::less<>> query;    // decoded
  std::map<std::string, std::string, std::less<>> headers;  // names lower case
  std::string body;
};

// A response body written over time (chunked transfer encoding), for event
// streams such as the scheduler API's. The handler returns it in a Response
// and its owner keeps it: write() queues bytes that the server sends as one
// chunk each as soon as it can, close() ends the response after what is
// queued. When the client goes away first (or stops reading while more than
// `max_queued` bytes wait), the stream ends and the owner's on_gone callback
// runs, once, on the io thread; writes after that are dropped. close() by
// the owner never calls on_gone. Single-threaded, like handlers.
class Stream {
 public:
  static constexpr std::size_t kDefaultMaxQueued = 64 * 1024 * 1024;
  explicit Stream(std::size_t max_queued = kDefaultMaxQueued) : max_queued_(max_queued) {}

  // ---- The owner's side ----
  void write(std::string bytes);
  void close();
  bool is_open() const { return !closed_ && !gone_; }
  void on_gone(std::function<void()> callback) { on_gone_ = std::move(callback); }

  // ---- The server's side ----
  // What is queued, emptied.
  std::string take();
  bool closing() const { return closed_; }
  // Called whenever there is something new to do (bytes, or the close).
  void set_wakeup(std::function<void()> wakeup) { wakeup_ = std::move(wakeup); }
  // The client went away, or a write to it failed.
  void client_gone();

 private:
  std::size_t max_queued_;
  std::string queued_;
  bool closed_ = false;
  bool gone_ = false;
  std::function<void()> on_gone_;
  std::function<void()> wakeup_;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set for a streamed answer: `body` is ignored, the status and headers go
  // out at once and the stream's bytes follow as they are written.
  std::shared_ptr<Stream> stream;

  static Response json(std::string body);
  static Response text(std::string body, unsigned status = 200);
  // A 4xx/5xx with a one-line message for the client (as text/plain).
  static Response error(unsigned status, std::string_view message);
};

using Handler = std::function<Response(const Request&)>;

class Router {
 public:
  void get(std::string path, Handler handler);
  void post(std::string path, Handler handler);
  // 404 for an unknown path, 405 for a known path with another method.
  Response dispatch(const Request& request) const;

 private:
  struct Route {
    std::string method;
    Handler handler;
  };
  std::multimap<std::string, Route, std::less<>> routes_;
};

// Splits "a=1&b=x%20y" into a map, decoding %XX and '+'. Malformed escapes
// are kept as they are.
std::map<std::string, std::string, std::less<>> parse_query(std::string_view query);

}  // namespace dcos::http
