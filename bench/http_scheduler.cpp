#include "bench/http_scheduler.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "runtime/recordio.hpp"

namespace dcos::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {

constexpr const char* kProtobuf = "application/x-protobuf";

bhttp::request<bhttp::string_body> call_request(uint16_t port, std::string body, const std::string& stream_id) {
  bhttp::request<bhttp::string_body> request{bhttp::verb::post, "/api/v1/scheduler", 11};
  request.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port));
  request.set(bhttp::field::content_type, kProtobuf);
  request.set(bhttp::field::accept, kProtobuf);
  if (!stream_id.empty()) request.set("Mesos-Stream-Id", stream_id);
  request.keep_alive(true);
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

asio::awaitable<Result<beast::tcp_stream>> connect(uint16_t port) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  boost::system::error_code ec;
  co_await stream.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port),
                                asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Error{"connect to the master at 127.0.0.1:" + std::to_string(port) + ": " + ec.message()};
  stream.socket().set_option(tcp::no_delay(true));
  co_return std::move(stream);
}

}  // namespace

// The SUBSCRIBE response: its body, taken as it comes, is RecordIO.
struct HttpScheduler::Stream {
  explicit Stream(beast::tcp_stream s) : socket(std::move(s)) { parser.body_limit(boost::none); }
  beast::tcp_stream socket;
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::buffer_body> parser;
  recordio::RecordIoDecoder decoder;
  std::deque<std::string> records;
};

HttpScheduler::HttpScheduler(asio::io_context& io, uint16_t port, std::size_t connections)
    : io_(io), port_(port), connections_(std::max<std::size_t>(connections, 1)), wake_(io) {
  wake_.expires_at(asio::steady_timer::time_point::max());
}

HttpScheduler::~HttpScheduler() = default;

asio::awaitable<Result<void>> HttpScheduler::subscribe(const mesos::v1::FrameworkInfo& framework) {
  Call call;
  call.set_type(Call::SUBSCRIBE);
  *call.mutable_subscribe()->mutable_framework_info() = framework;
  auto connected = co_await connect(port_);
  if (!connected) co_return connected.error();
  stream_ = std::make_unique<Stream>(std::move(*connected));
  boost::system::error_code ec;
  auto request = call_request(port_, call.SerializeAsString(), "");
  co_await bhttp::async_write(stream_->socket, request, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec)
    co_await bhttp::async_read_header(stream_->socket, stream_->buffer, stream_->parser,
                                      asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Error{"SUBSCRIBE: " + ec.message()};
  if (stream_->parser.get().result_int() != 200)
    co_return Error{"the master answered SUBSCRIBE with " + std::to_string(stream_->parser.get().result_int())};
  stream_id_ = std::string(stream_->parser.get()["Mesos-Stream-Id"]);
  auto first = co_await next_event();
  if (!first) co_return first.error();
  if (first->type() != Event::SUBSCRIBED) co_return Error{"the first event is not SUBSCRIBED"};
  framework_id_ = first->subscribed().framework_id().value();
  for (std::size_t i = 0; i < connections_; ++i) asio::co_spawn(io_, worker(), asio::detached);
  co_return Result<void>{};
}

asio::awaitable<Result<HttpScheduler::Event>> HttpScheduler::next_event() {
  if (!stream_) co_return Error{"not subscribed"};
  Stream& s = *stream_;
  while (s.records.empty()) {
    char body[64 * 1024];
    s.parser.get().body().data = body;
    s.parser.get().body().size = sizeof body;
    boost::system::error_code ec;
    co_await bhttp::async_read_some(s.socket, s.buffer, s.parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) co_return Error{"the event stream: " + ec.message()};
    const std::size_t got = sizeof body - s.parser.get().body().size;
    std::vector<std::string> records;
    if (auto fed = s.decoder.feed(std::string_view(body, got), records); !fed) co_return fed.error();
    for (auto& record : records) s.records.push_back(std::move(record));
    if (s.parser.is_done() && s.records.empty()) co_return Error{"the master ended the event stream"};
  }
  Event event;
  const bool parsed = event.ParseFromString(s.records.front());
  s.records.pop_front();
  if (!parsed) co_return Error{"an event that is not a scheduler Event"};
  co_return event;
}

asio::awaitable<Result<mesos::v1::Offer>> HttpScheduler::next_offer() {
  for (;;) {
    auto event = co_await next_event();
    if (!event) co_return event.error();
    if (event->type() == Event::OFFERS && event->offers().offers_size() > 0) co_return event->offers().offers(0);
  }
}

asio::awaitable<Result<mesos::v1::TaskStatus>> HttpScheduler::next_update() {
  for (;;) {
    auto event = co_await next_event();
    if (!event) co_return event.error();
    if (event->type() != Event::UPDATE) continue;
    const auto& status = event->update().status();
    if (status.has_uuid()) {
      Call ack;
      ack.set_type(Call::ACKNOWLEDGE);
      *ack.mutable_acknowledge()->mutable_agent_id() = status.agent_id();
      *ack.mutable_acknowledge()->mutable_task_id() = status.task_id();
      ack.mutable_acknowledge()->set_uuid(status.uuid());
      send(std::move(ack));
    }
    co_return status;
  }
}

void HttpScheduler::send(Call call) {
  call.mutable_framework_id()->set_value(framework_id_);
  pending_.push_back(call.SerializeAsString());
  wake();
}

void HttpScheduler::wake() { wake_.cancel(); }

asio::awaitable<void> HttpScheduler::worker() {
  std::optional<beast::tcp_stream> connection;
  beast::flat_buffer buffer;
  while (!closed_) {
    if (pending_.empty()) {
      boost::system::error_code ignored;
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      continue;
    }
    auto request = call_request(port_, std::move(pending_.front()), stream_id_);
    pending_.pop_front();
    ++in_flight_;
    boost::system::error_code ec;
    if (!connection) {
      auto connected = co_await connect(port_);
      if (connected) {
        connection.emplace(std::move(*connected));
      } else {
        ec = asio::error::not_connected;
      }
    }
    bhttp::response<bhttp::string_body> response;
    if (!ec) co_await bhttp::async_write(*connection, request, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) co_await bhttp::async_read(*connection, buffer, response, asio::redirect_error(asio::use_awaitable, ec));
    --in_flight_;
    ++answered_;
    if (ec || response.result_int() != 202) {
      ++failures_;
      last_failure_ = ec ? ec.message() : std::to_string(response.result_int()) + " " + response.body();
    }
    if (ec || !response.keep_alive()) connection.reset();
    if (pending_.empty() && in_flight_ == 0) wake();  // for drain()
  }
}

asio::awaitable<void> HttpScheduler::drain() {
  while (!pending_.empty() || in_flight_ > 0) {
    boost::system::error_code ignored;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

void HttpScheduler::close() {
  closed_ = true;
  wake();
  if (stream_) {
    boost::system::error_code ignored;
    stream_->socket.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_->socket.close();
  }
}

}  // namespace dcos::bench
