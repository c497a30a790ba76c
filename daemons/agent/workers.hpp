// The agent's worker threads: where blocking calls (task checkpoints,
// container launches and ends, disk flushes) run so that the io thread keeps serving. The agent's
// state stays on the io thread: a worker only runs the call and hands its
// result back.
#pragma once

#include <optional>
#include <type_traits>

#include <boost/asio/thread_pool.hpp>

#include "runtime/asio.hpp"

namespace dcos::agent {

// Runs f() on `workers` and resumes the calling coroutine on its own
// executor with the result. f must not touch the agent's state. Give it a
// lambda that captures by reference only: g++ 12 destroys non-trivial
// temporaries of a co_await expression twice.
template <class F>
boost::asio::awaitable<std::invoke_result_t<F>> on_workers(boost::asio::thread_pool& workers, F f) {
  std::optional<std::invoke_result_t<F>> result;
  co_await boost::asio::co_spawn(
      workers,
      [&]() -> boost::asio::awaitable<void> {
        result.emplace(f());
        co_return;
      },
      boost::asio::use_awaitable);
  co_return std::move(*result);
}

}  // namespace dcos::agent
