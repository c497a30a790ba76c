#include "tests/support/proxy.hpp"

#include <boost/asio/write.hpp>
#include "runtime/asio.hpp"

namespace dcos::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct CuttableProxy::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)};
};

namespace {

asio::awaitable<void> pump(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to,
                           const std::atomic<bool>& cut) {
  std::array<char, 16 * 1024> buffer;
  for (;;) {
    boost::system::error_code ec;
    const std::size_t n =
        co_await from->async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    if (cut) continue;  // the partition swallows it
    co_await asio::async_write(*to, asio::buffer(buffer.data(), n), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  boost::system::error_code ignored;
  to->shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, uint16_t upstream_port, const std::atomic<bool>& cut) {
  for (;;) {
    boost::system::error_code ec;
    auto client =
        std::make_shared<tcp::socket>(co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec)));
    if (ec) co_return;
    auto upstream = std::make_shared<tcp::socket>(acceptor.get_executor());
    co_await upstream->async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), upstream_port),
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) continue;  // client is closed as its socket goes out of scope
    asio::co_spawn(acceptor.get_executor(), pump(client, upstream, cut), asio::detached);
    asio::co_spawn(acceptor.get_executor(), pump(upstream, client, cut), asio::detached);
  }
}

}  // namespace

CuttableProxy::CuttableProxy(uint16_t upstream_port) : impl_(std::make_unique<Impl>()) {
  port_ = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(impl_->io, accept_loop(impl_->acceptor, upstream_port, cut_), asio::detached);
  thread_ = std::thread([this] { impl_->io.run(); });
}

CuttableProxy::~CuttableProxy() {
  impl_->io.stop();
  thread_.join();
}

}  // namespace dcos::testing
