// Profile files that are not files: a FIFO without a writer, a directory, a device, a file
// whose content does not match its size; each refused at once with a clear error, nothing
// blocked. And learned costs whose kernel names are not names.
#include <breakeven/profile_io.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace be = breakeven;
using namespace std::chrono_literals;

namespace {

struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/breakeven-profile-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~temp_dir() { (void)!std::system(("rm -rf '" + path + "'").c_str()); }
};

// load_profile(path) on a thread: its error message, or "" when it loaded; "<blocked>" when
// it had not returned after 3 s (then `unblock` is run so that the thread can end).
template <class Unblock>
std::string load_error(const std::string& path, Unblock unblock) {
  auto done = std::make_shared<std::promise<std::string>>();
  auto result = done->get_future();
  std::thread([path, done] {
    try {
      (void)be::load_profile(path);
      done->set_value("");
    } catch (const be::profile_error& e) {
      done->set_value(e.what());
    } catch (const std::exception& e) {
      done->set_value(std::string("not a profile_error: ") + e.what());
    }
  }).detach();
  if (result.wait_for(3s) == std::future_status::ready) return result.get();
  unblock();
  result.wait();
  return "<blocked>";
}
std::string load_error(const std::string& path) {
  return load_error(path, [] {});
}

std::string valid_profile_text() { return be::profile_json(be::default_profile::value); }

}  // namespace

TEST_CASE("a FIFO with no writer as the profile file is refused at once", "[reliability][profile]") {
  temp_dir dir;
  const std::string fifo = dir.path + "/profile.json";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::string err = load_error(fifo, [&] {
    const int w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // lets a blocked open return
    if (w >= 0) ::close(w);
  });
  CHECK(err.find(fifo) == 0);
  CHECK(err.find("not a regular file (a FIFO)") != std::string::npos);
}

TEST_CASE("a directory or a device as the profile file is refused", "[reliability][profile]") {
  temp_dir dir;
  const std::string from_dir = load_error(dir.path);
  CHECK(from_dir.find("not a regular file (a directory)") != std::string::npos);
  const std::string from_zero = load_error("/dev/zero");
  CHECK(from_zero.find("/dev/zero: not a regular file (a character device)") == 0);
  const std::string from_null = load_error("/dev/null");
  CHECK(from_null.find("not a regular file (a character device)") != std::string::npos);
}

TEST_CASE("a profile file whose content is not its size is refused: it changed while read", "[reliability][profile]") {
  // Files of /proc are regular files of size 0 whose reads return text: the reader takes
  // the size at open and refuses a file that gives more (one that grows while read).
  const std::string err = load_error("/proc/self/status");
  CHECK(err.find("changed while it was read") != std::string::npos);
  // A regular file larger than the limit is refused by its size, without reading it.
  temp_dir dir;
  const std::string big = dir.path + "/big.json";
  {
    std::ofstream f(big);
    f << valid_profile_text();
  }
  REQUIRE(::truncate(big.c_str(), (off_t{1} << 20) + 1) == 0);
  CHECK(load_error(big).find("larger than 1 MiB") != std::string::npos);
  // A good file still loads.
  const std::string good = dir.path + "/good.json";
  {
    std::ofstream f(good);
    f << valid_profile_text();
  }
  CHECK(load_error(good).empty());
}

TEST_CASE("a learned cost whose kernel name is empty or not printable is refused on load", "[reliability][profile]") {
  const std::string base = valid_profile_text();
  auto with_learned = [&](const std::string& name) {
    return std::string(base).insert(1, "\"learned\": {\"" + name + "\": {\"ns_per_item\": 5}},");
  };
  auto error_of = [](const std::string& text) -> std::string {
    try {
      (void)be::parse_profile(text, "p.json");
      return "";
    } catch (const be::profile_error& e) {
      return e.what();
    }
  };
  const std::string empty = error_of(with_learned(""));
  CHECK(empty.find("p.json: learned cost \"\"") == 0);
  CHECK(empty.find("empty kernel name") != std::string::npos);
  CHECK(error_of(with_learned("   ")).find("blank") != std::string::npos);
  CHECK(error_of(with_learned(" padded")).find("leading or trailing space") != std::string::npos);
  CHECK(error_of(with_learned("tab\\there")).find("control character") != std::string::npos);
  CHECK(error_of(with_learned(std::string(1025, 'k'))).find("longer than 1024") != std::string::npos);
  // Names as kernels have them (type names, with spaces and punctuation inside) load.
  CHECK(error_of(with_learned("sha256")).empty());
  CHECK(error_of(with_learned("ns::matcher<3, true>")).empty());
  CHECK(error_of(with_learned("parse \\\"json\\\"")).empty());
}
