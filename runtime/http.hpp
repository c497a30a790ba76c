// HTTP requests, responses and routing, with no networking in it (the
// server is runtime/http_server.hpp). Handlers are plain functions of a
// request; they run on the daemon's io thread and must not block.
#pragma once

#include <functional>
#include <map>
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

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

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
