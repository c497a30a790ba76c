#include "runtime/http.hpp"

#include <utility>

namespace dcos::http {

void Stream::write(std::string bytes) {
  if (!is_open() || bytes.empty()) return;
  queued_ += bytes;
  if (queued_.size() > max_queued_) {
    // A client that does not read would grow this without bound.
    client_gone();
    return;
  }
  if (wakeup_) wakeup_();
}

void Stream::close() {
  if (closed_) return;
  closed_ = true;
  if (wakeup_) wakeup_();
}

std::string Stream::take() { return std::exchange(queued_, {}); }

void Stream::client_gone() {
  if (gone_) return;
  gone_ = true;
  queued_.clear();
  if (wakeup_) wakeup_();
  if (!closed_ && on_gone_) {
    auto callback = std::move(on_gone_);
    callback();
  }
}

Response Response::json(std::string body) {
  Response response;
  response.body = std::move(body);
  return response;
}

Response Response::text(std::string body, unsigned status) {
  Response response;
  response.status = status;
  response.content_type = "text/plain; charset=utf-8";
  response.body = std::move(body);
  return response;
}

Response Response::error(unsigned status, std::string_view message) {
  return text(std::string(message) + "\n", status);
}

void Router::get(std::string path, Handler handler) {
  routes_.emplace(std::move(path), Route{"GET", std::move(handler)});
}

void Router::post(std::string path, Handler handler) {
  routes_.emplace(std::move(path), Route{"POST", std::move(handler)});
}

Response Router::dispatch(const Request& request) const {
  auto [first, last] = routes_.equal_range(request.path);
  if (first == last) return Response::error(404, "no such endpoint: " + request.path);
  std::string allowed;
  for (auto it = first; it != last; ++it) {
    const bool head_as_get = request.method == "HEAD" && it->second.method == "GET";
    if (it->second.method == request.method || head_as_get) return it->second.handler(request);
    allowed += (allowed.empty() ? "" : ", ") + it->second.method;
  }
  auto response =
      Response::error(405, request.method + " is not allowed on " + request.path + " (allowed: " + allowed + ")");
  response.headers.emplace_back("Allow", allowed);
  return response;
}

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 && hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

std::map<std::string, std::string, std::less<>> parse_query(std::string_view query) {
  std::map<std::string, std::string, std::less<>> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) {
      out[decode(pair)] = "";
    } else {
      out[decode(pair.substr(0, eq))] = decode(pair.substr(eq + 1));
    }
  }
  return out;
}

}  // namespace dcos::http
