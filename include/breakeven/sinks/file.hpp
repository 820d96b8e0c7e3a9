// breakeven/sinks/file.hpp - an append-only file sink: each batch is one write at the end of
// the file and one fsync. A batch that cannot be written whole is cut off again (the file is
// truncated back to where the batch began), so a batch is in the file entirely or not at all.
// Rows are lines: columns separated by tabs (breakeven/sinks/columns.hpp), or the caller's format.
#pragma once

#include <breakeven/sink.hpp>
#include <breakeven/sinks/columns.hpp>

#include <cerrno>
#include <cstring>
#include <functional>
#include <span>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace breakeven::sinks {

/// Appends rows of T to a file, one fsync per batch.
template <class T>
class file_sink {
 public:
  struct options {
    std::string path;
    /// Appends one row's text to the buffer (default: tab-separated columns and a newline).
    std::function<void(std::string&, const T&)> format;
    bool sync = true;  ///< fsync after each batch
  };

  explicit file_sink(options o) : o_(std::move(o)) {
    fd_ = ::open(o_.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw sink_error("file sink: cannot open " + o_.path + ": " + std::strerror(errno), false);
    if (!o_.format) o_.format = [](std::string& s, const T& row) {
      bool first = true;
      std::string col;
      for_each_column(row, [&](const auto& c) {
        if (!first) s += '\t';
        first = false;
        if (column_text(c, col)) s += col;
        else s += "\\N";
      });
      s += '\n';
    };
  }
  file_sink(const file_sink&) = delete;
  file_sink& operator=(const file_sink&) = delete;
  ~file_sink() {
    if (fd_ >= 0) ::close(fd_);
  }

  void write_batch(std::span<const T> rows) {
    if (fd_ < 0) throw sink_error("file sink: closed", false);
    buf_.clear();
    for (const T& r : rows) o_.format(buf_, r);
    struct stat st{};
    if (::fstat(fd_, &st) != 0) throw sink_error(std::string("file sink: fstat: ") + std::strerror(errno), true);
    const off_t start = st.st_size;
    std::size_t done = 0;
    while (done < buf_.size()) {
      const ssize_t k = ::write(fd_, buf_.data() + done, buf_.size() - done);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) {
        const int err = errno;
        (void)!::ftruncate(fd_, start);  // the batch is not in the file, not even in part
        throw sink_error(std::string("file sink: write: ") + std::strerror(err), err == ENOSPC || err == EAGAIN);
      }
      done += static_cast<std::size_t>(k);
    }
    if (o_.sync && ::fdatasync(fd_) != 0) {
      const int err = errno;
      (void)!::ftruncate(fd_, start);
      throw sink_error(std::string("file sink: fdatasync: ") + std::strerror(err), false);
    }
  }

  void flush() {
    if (fd_ >= 0 && ::fsync(fd_) != 0) throw sink_error(std::string("file sink: fsync: ") + std::strerror(errno), false);
  }

  void close() {
    if (fd_ < 0) return;
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw sink_error(std::string("file sink: close: ") + std::strerror(errno), false);
  }

 private:
  options o_;
  int fd_ = -1;
  std::string buf_;
};

}  // namespace breakeven::sinks
