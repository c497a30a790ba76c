// The Asio we use, in one header: coroutines (awaitable, co_spawn,
// use_awaitable, redirect_error), TCP, timers and the io_context.
// Include this instead of individual <boost/asio/...> headers: Boost 1.74's
// awaitable.hpp uses std::exchange without including <utility> (fixed in
// later Boost), which breaks g++ 12 in C++20 unless <utility> comes first.
#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
