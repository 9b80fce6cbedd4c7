// SPDX-License-Identifier: GPL-2.0-only
// Errors the engine and the access primitives raise. `code` is one of the project's error
// codes (src/core/errors.ts): E_USAGE, E_NOENT, E_PERM, E_UNSUPPORTED, E_IO, E_TARGET,
// E_INTERNAL. The addon turns them into JS exceptions carrying that code.
#pragma once
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace damo {

class EngineError : public std::runtime_error {
 public:
  EngineError(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

// Code for a failed system call on a file: ENOENT/ESRCH -> E_NOENT, EACCES/EPERM -> E_PERM.
inline const char* errno_code(int err) {
  switch (err) {
    case ENOENT:
    case ESRCH:
      return "E_NOENT";
    case EACCES:
    case EPERM:
      return "E_PERM";
    default:
      return "E_IO";
  }
}

inline std::string errno_text(int err) { return std::string(std::strerror(err)); }

}  // namespace damo
