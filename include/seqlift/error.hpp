// Exceptions thrown by the seqlift library. Only main() maps them to exit codes:
// UsageError -> 1; every InputError (bad data, I/O, model) -> 2.
#pragma once
#include <stdexcept>
#include <string>

namespace seqlift {

/// Base of every seqlift exception.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A bad combination of options or arguments (exit code 1).
class UsageError : public Error {
 public:
  using Error::Error;
};

/// Anything wrong with the data a run was given (exit code 2).
class InputError : public Error {
 public:
  using Error::Error;
};

/// Malformed file content. The message is "FILE line N: what (value)".
class ParseError : public InputError {
 public:
  ParseError(const std::string& file, long line, const std::string& what)
      : InputError(file + " line " + std::to_string(line) + ": " + what),
        file_(file),
        line_(line) {}
  const std::string& file() const { return file_; }
  long line() const { return line_; }

 private:
  std::string file_;
  long line_;
};

/// A file that cannot be opened, read or written.
class IoError : public InputError {
 public:
  using InputError::InputError;
};

/// A model file that is malformed or uses something seqlift does not support.
class ModelError : public InputError {
 public:
  using InputError::InputError;
};

}  // namespace seqlift
