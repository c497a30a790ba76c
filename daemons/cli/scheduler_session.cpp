#include "daemons/cli/scheduler_session.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>

#include <boost/beast/http.hpp>

#include "runtime/proto_json.hpp"
#include "runtime/recordio.hpp"
#include "runtime/unique_fd.hpp"

namespace dcos::cli {
namespace {

namespace bhttp = boost::beast::http;
using Clock = std::chrono::steady_clock;
using mesos::v1::scheduler::Call;
using mesos::v1::scheduler::Event;

constexpr const char* kPath = "/api/v1/scheduler";

Result<UniqueFd> connect_to(const MasterAddress& master, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(master.host.c_str(), std::to_string(master.port).c_str(), &hints, &found); rc != 0)
    return Error{"cannot resolve master '" + master.host + "': " + ::gai_strerror(rc)};
  std::string why = "no address";
  UniqueFd connected;
  for (addrinfo* each = found; each && !connected; each = each->ai_next) {
    UniqueFd fd(::socket(each->ai_family, each->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, each->ai_protocol));
    if (!fd) continue;
    if (::connect(fd.get(), each->ai_addr, each->ai_addrlen) < 0 && errno != EINPROGRESS) {
      why = std::strerror(errno);
      continue;
    }
    pollfd wait{fd.get(), POLLOUT, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    int error = 0;
    socklen_t length = sizeof error;
    if (::poll(&wait, 1, static_cast<int>(std::max<int64_t>(left, 0))) != 1) {
      why = "timed out";
    } else if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) < 0 || error != 0) {
      why = std::strerror(error ? error : errno);
    } else {
      connected = std::move(fd);
    }
  }
  ::freeaddrinfo(found);
  if (!connected) return Error{"cannot reach master at " + master.text() + ": " + why};
  return connected;
}

std::string request(const MasterAddress& master, const std::string& body, const std::string& stream_id) {
  std::string text = std::string("POST ") + kPath + " HTTP/1.1\r\nHost: " + master.text() +
                     "\r\nUser-Agent: dcos/" DCOS_VERSION
                     "\r\nContent-Type: application/json\r\n"
                     "Accept: application/json\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n";
  if (!stream_id.empty()) text += "Mesos-Stream-Id: " + stream_id + "\r\n";
  return text + "\r\n" + body;
}

}  // namespace

// One HTTP exchange on a socket of its own: the request written, then the
// response parsed (Beast's parser, fed the bytes as they come) with every
// body byte handed to the caller.
struct SchedulerSession::Stream {
  UniqueFd fd;
  bhttp::response_parser<bhttp::buffer_body> parser;
  std::string unparsed;
  std::string body;  // bytes of the body not yet taken
  recordio::RecordIoDecoder records;
  std::deque<std::string> ready;

  Result<void> send(const std::string& text, Clock::time_point deadline) {
    std::string_view rest = text;
    while (!rest.empty()) {
      pollfd wait{fd.get(), POLLOUT, 0};
      if (::poll(&wait, 1, left_ms(deadline)) != 1) return Error{"timed out sending the request"};
      const ssize_t n = ::send(fd.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR) return errno_error("send the request");
      if (n > 0) rest.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
  }

  // Reads and parses until `enough()` holds, or the deadline passes
  // (false), or the peer closes or breaks the protocol (an error).
  template <class Enough>
  Result<bool> pump(Clock::time_point deadline, Enough enough) {
    while (!enough()) {
      if (parser.is_done()) return Error{"the master ended the response"};
      pollfd wait{fd.get(), POLLIN, 0};
      const int ready_count = ::poll(&wait, 1, left_ms(deadline));
      if (ready_count == 0) return false;
      if (ready_count < 0 && errno != EINTR) return errno_error("poll");
      char chunk[16384];
      const ssize_t n = ::recv(fd.get(), chunk, sizeof chunk, 0);
      if (n == 0) return Error{"the master closed the connection"};
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        return errno_error("read from the master");
      }
      unparsed.append(chunk, static_cast<std::size_t>(n));
      if (auto fed = feed(); !fed) return fed.error();
    }
    return true;
  }

  Result<void> feed() {
    for (;;) {
      char out[16384];
      parser.get().body().data = out;
      parser.get().body().size = sizeof out;
      boost::system::error_code ec;
      const std::size_t used = parser.put(boost::asio::buffer(unparsed), ec);
      const std::size_t produced = sizeof out - parser.get().body().size;
      body.append(out, produced);
      unparsed.erase(0, used);
      if (ec == bhttp::error::need_more) return {};
      if (ec && ec != bhttp::error::need_buffer) return Error{"bad HTTP from the master: " + ec.message()};
      if ((used == 0 && produced == 0) || unparsed.empty() || parser.is_done()) return {};
    }
  }

  static int left_ms(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<int64_t>(left, 0, 1 << 30));
  }
};

SchedulerSession::SchedulerSession(MasterAddress master, std::unique_ptr<Stream> stream)
    : master_(std::move(master)), stream_(std::move(stream)) {}

SchedulerSession::~SchedulerSession() = default;

Result<std::unique_ptr<SchedulerSession>> SchedulerSession::subscribe(const MasterAddress& master,
                                                                      const mesos::v1::FrameworkInfo& framework,
                                                                      std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  Call call;
  call.set_type(Call::SUBSCRIBE);
  *call.mutable_subscribe()->mutable_framework_info() = framework;
  auto body = proto_json::print(call);
  if (!body) return body.error();
  auto stream = connect_to(master, deadline);
  if (!stream) return stream.error();
  auto session = std::unique_ptr<SchedulerSession>(new SchedulerSession(master, std::make_unique<Stream>()));
  Stream& s = *session->stream_;
  s.fd = std::move(*stream);
  s.parser.body_limit(boost::none);  // an event stream has no end
  if (auto sent = s.send(request(master, *body, ""), deadline); !sent) return sent.error();
  auto header = s.pump(deadline, [&] { return s.parser.is_header_done(); });
  if (!header) return Error{"master at " + master.text() + ": SUBSCRIBE: " + header.error().message};
  if (!*header) return Error{"master at " + master.text() + " did not answer SUBSCRIBE in time"};
  const unsigned status = s.parser.get().result_int();
  if (status != 200) {
    (void)s.pump(deadline, [&] { return s.parser.is_done(); });
    return Error{"master at " + master.text() + " refused SUBSCRIBE: " + std::to_string(status) + " " + s.body};
  }
  session->stream_id_ = std::string(s.parser.get()["Mesos-Stream-Id"]);
  // The first event is SUBSCRIBED, with our framework id.
  auto first = session->next(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
  if (!first) return first.error();
  if (!*first || (*first)->type() != Event::SUBSCRIBED)
    return Error{"master at " + master.text() + " sent no SUBSCRIBED event"};
  session->framework_id_ = (*first)->subscribed().framework_id().value();
  return session;
}

Result<std::optional<Event>> SchedulerSession::next(std::chrono::milliseconds timeout) {
  Stream& s = *stream_;
  const auto deadline = Clock::now() + timeout;
  auto got = s.pump(deadline, [&] {
    if (!s.body.empty()) {
      std::vector<std::string> records;
      auto fed = s.records.feed(s.body, records);
      s.body.clear();
      for (auto& record : records) s.ready.push_back(std::move(record));
      if (!fed) return true;  // reported below
    }
    return !s.ready.empty() || s.records.failed();
  });
  if (!got) return Error{"master at " + master_.text() + ": event stream: " + got.error().message};
  if (s.records.failed()) return Error{"master at " + master_.text() + " sent a stream that is not RecordIO"};
  if (s.ready.empty()) return std::optional<Event>();
  const std::string record = std::move(s.ready.front());
  s.ready.pop_front();
  auto event = proto_json::parse<Event>(record, {.ignore_unknown_fields = true});
  if (!event) return Error{"master at " + master_.text() + " sent a bad event: " + event.error().message};
  return std::optional<Event>(std::move(*event));
}

Result<void> SchedulerSession::call(Call call) {
  call.mutable_framework_id()->set_value(framework_id_);
  auto body = proto_json::print(call);
  if (!body) return body.error();
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  auto fd = connect_to(master_, deadline);
  if (!fd) return fd.error();
  Stream s;
  s.fd = std::move(*fd);
  const std::string what = Call::Type_Name(call.type());
  if (auto sent = s.send(request(master_, *body, stream_id_), deadline); !sent) return sent.error();
  auto done = s.pump(deadline, [&] { return s.parser.is_done(); });
  if (!done) return Error{"master at " + master_.text() + ": " + what + ": " + done.error().message};
  if (!*done) return Error{"master at " + master_.text() + " did not answer " + what + " in time"};
  const unsigned status = s.parser.get().result_int();
  if (status != 202 && status != 200)
    return Error{"master at " + master_.text() + " refused " + what + ": " + std::to_string(status) + " " + s.body};
  return {};
}

}  // namespace dcos::cli
