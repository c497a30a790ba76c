// Result<T>: a value or an Error, for operations that can fail.
//
// Errors carry one message that names what failed and why (crun style:
// "open '/x/registry': No such file or directory"). A function returns an
// Error or logs it, never both; the caller that logs adds its own context.
// Not thread-safe beyond what its value type is.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace dcos {

struct Error {
  std::string message;
};

// Builds an Error from the current errno: "<what>: <strerror(errno)>".
Error errno_error(const std::string& what);

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(state_);
  }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace dcos
