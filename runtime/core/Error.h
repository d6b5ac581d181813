// Errors the runtime reports for bad user input: an exception whose kind maps onto Python's.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace kiln {

// The Python exception each kind becomes in the bindings.
enum class ErrorKind { Index, Type, Value, Runtime, NotImplemented };

class Error : public std::runtime_error {
public:
  Error(ErrorKind kind, const std::string &message)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

private:
  ErrorKind kind_;
};

namespace detail {
inline void appendAll(std::ostringstream &) {}
template <typename T, typename... Rest>
void appendAll(std::ostringstream &os, const T &first, const Rest &...rest) {
  os << first;
  appendAll(os, rest...);
}
} // namespace detail

// Throws an Error whose message is the concatenation of the parts, e.g.
// fail(ErrorKind::Index, "transpose(): dim ", d, " out of range for a ", n, "-d tensor").
template <typename... Parts>
[[noreturn]] void fail(ErrorKind kind, const Parts &...parts) {
  std::ostringstream os;
  detail::appendAll(os, parts...);
  throw Error(kind, os.str());
}

} // namespace kiln
