// breakeven/impl/profile_io.ipp - the profile reader and writers, the definitions of profile_io.hpp.
// Included by its header, inline; with BREAKEVEN_SEPARATE_COMPILATION, compiled once
// through <breakeven/impl/src.hpp>.
#pragma once

#include <breakeven/profile_io.hpp>

#include <cerrno>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace breakeven::detail {

BREAKEVEN_DECL const char* intern_name(std::string_view s) {
  static std::mutex m;
  static std::set<std::string, std::less<>> names;
  const std::lock_guard lock(m);
  auto it = names.find(s);
  if (it == names.end()) it = names.emplace(s).first;
  return it->c_str();
}

BREAKEVEN_DECL std::string format_double(double d) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, r.ptr);
  if (s.find_first_of(".e") == std::string::npos && s.size() > 15) s += ".0";  // keep huge integers double
  return s;
}

BREAKEVEN_DECL std::string where(const json::value& v) {
  return "line " + std::to_string(v.line) + " column " + std::to_string(v.column);
}

BREAKEVEN_DECL double read_number(const json::value& v, std::string_view key, double lo, double hi, bool integral,
                                  const std::string& source) {
  const std::string at = source + ": key \"" + std::string(key) + "\" (" + where(v) + "): ";
  if (!v.is(json::value::type::number))
    throw profile_error(at + "expected a number, found " + std::string(json::type_name(v.kind)));
  if (integral && v.num != std::floor(v.num)) throw profile_error(at + "expected a whole number, found " + format_double(v.num));
  if (v.num < lo || v.num > hi)
    throw profile_error(at + format_double(v.num) + " is out of range [" + format_double(lo) + ", " + format_double(hi) + "]");
  return v.num;
}

BREAKEVEN_DECL learned_entry read_learned(const std::string& kernel, const json::value& v, const std::string& source) {
  const std::string at = source + ": learned cost \"" + kernel + "\" (" + where(v) + "): ";
  if (const char* fault = learned_name_fault(kernel)) throw profile_error(at + fault);
  if (!v.is(json::value::type::object)) throw profile_error(at + "expected an object, found " + std::string(json::type_name(v.kind)));
  learned_entry e{kernel};
  for (std::size_t i = 0; i < v.keys.size(); ++i) {
    const std::string& key = v.keys[i];
    const auto& member = v.values[i];
    if (key == "ns_per_item") e.ns_per_item = read_number(member, key, 0, max_term_ns, false, source);
    else if (key == "ns_per_byte") e.ns_per_byte = read_number(member, key, 0, max_term_ns, false, source);
    else if (key == "samples") e.samples = static_cast<std::uint64_t>(read_number(member, key, 0, 1e15, true, source));
    else throw profile_error(at + "unknown key \"" + key + "\" (expected ns_per_item, ns_per_byte, samples)");
  }
  if (v.find("ns_per_item") == nullptr) throw profile_error(at + "missing key \"ns_per_item\"");
  return e;
}

BREAKEVEN_DECL correction_entry read_corrections(const std::string& kernel, const json::value& v, const std::string& source) {
  const std::string at = source + ": corrections of \"" + kernel + "\" (" + where(v) + "): ";
  if (const char* fault = learned_name_fault(kernel)) throw profile_error(at + fault);
  if (!v.is(json::value::type::object)) throw profile_error(at + "expected an object, found " + std::string(json::type_name(v.kind)));
  correction_entry e{kernel, {}, {}};
  const json::value* machine = v.find("machine");
  if (machine == nullptr) throw profile_error(at + "missing key \"machine\"");
  if (!machine->is(json::value::type::string)) throw profile_error(at + "key \"machine\": expected a string");
  if (const char* fault = learned_name_fault(machine->str); fault != nullptr || machine->str.size() > 256)
    throw profile_error(at + "key \"machine\": not a machine name (" + (fault ? fault : "longer than 256 bytes") + ")");
  e.machine = machine->str;
  const double lo = 1 / max_correction, hi = max_correction;
  for (std::size_t i = 0; i < v.keys.size(); ++i) {
    const std::string& key = v.keys[i];
    if (key == "machine") continue;
    std::size_t kind = executor_kind_count;
    for (std::size_t k = 0; k < executor_kind_count; ++k)
      if (to_string(all_executor_kinds[k]) == key) kind = k;
    if (kind == executor_kind_count)
      throw profile_error(at + "unknown key \"" + key + "\" (expected machine or an executor kind)");
    const json::value& r = v.values[i];
    if (!r.is(json::value::type::object))
      throw profile_error(at + "key \"" + key + "\": expected an object, found " + std::string(json::type_name(r.kind)));
    correction_record& rec = e.executors[kind];
    for (std::size_t j = 0; j < r.keys.size(); ++j) {
      const std::string& term = r.keys[j];
      const auto& m = r.values[j];
      if (term == "work") rec.work = read_number(m, key + ".work", lo, hi, false, source);
      else if (term == "transport") rec.transport = read_number(m, key + ".transport", lo, hi, false, source);
      else if (term == "setup") rec.setup = read_number(m, key + ".setup", lo, hi, false, source);
      else if (term == "spread") rec.spread = read_number(m, key + ".spread", 0, 10, false, source);
      else if (term == "runs") rec.runs = static_cast<std::uint64_t>(read_number(m, key + ".runs", 0, 1e15, true, source));
      else throw profile_error(at + key + ": unknown key \"" + term + "\" (expected work, transport, setup, spread, runs)");
    }
    for (const char* need : {"work", "transport", "setup", "spread", "runs"})
      if (r.find(need) == nullptr) throw profile_error(at + key + ": missing key \"" + need + "\"");
  }
  return e;
}

}  // namespace breakeven::detail

namespace breakeven {

BREAKEVEN_DECL profile_document parse_profile(std::string_view text, const std::string& source) {
  using detail::json::value;
  value root;
  try {
    root = detail::json::parse(text);
  } catch (const detail::json::parse_error& e) {
    throw profile_error(source + ": malformed JSON: " + e.what());
  }
  if (!root.is(value::type::object))
    throw profile_error(source + ": expected a JSON object, found " + std::string(detail::json::type_name(root.kind)));

  const value* format = root.find("format");
  if (format == nullptr) throw profile_error(source + ": missing key \"format\" (expected \"" + std::string(profile_format) + "\")");
  if (!format->is(value::type::string) || format->str != profile_format)
    throw profile_error(source + ": key \"format\": expected \"" + std::string(profile_format) + "\"");

  profile_document doc;
  machine_profile& p = doc.profile;
  for (std::size_t i = 0; i < root.keys.size(); ++i) {
    const std::string& key = root.keys[i];
    const value& v = root.values[i];
    if (key == "format" || key == "calibration") continue;  // calibration: informative, not read
    if (key == "learned") {
      if (!v.is(value::type::object))
        throw profile_error(source + ": key \"learned\": expected an object, found " + std::string(detail::json::type_name(v.kind)));
      for (std::size_t k = 0; k < v.keys.size(); ++k) doc.learned.push_back(detail::read_learned(v.keys[k], v.values[k], source));
      continue;
    }
    if (key == "corrections") {
      if (!v.is(value::type::object))
        throw profile_error(source + ": key \"corrections\": expected an object, found " + std::string(detail::json::type_name(v.kind)));
      for (std::size_t k = 0; k < v.keys.size(); ++k)
        doc.corrections.push_back(detail::read_corrections(v.keys[k], v.values[k], source));
      continue;
    }
    if (key == "name") {
      if (!v.is(value::type::string) || !detail::valid_profile_name(v.str))
        throw profile_error(source + ": key \"name\" (" + detail::where(v) +
                            "): expected a string of 1 to 64 letters, digits, '_', '-' or '.'");
      p.name = detail::intern_name(v.str);
      continue;
    }
    const detail::profile_field* f = nullptr;
    for (const auto& cand : detail::profile_fields)
      if (cand.key == key) f = &cand;
    if (f == nullptr) throw profile_error(source + ": unknown key \"" + key + "\" (" + detail::where(v) + ")");
    switch (f->kind) {
      case detail::profile_field::type::real: p.*(f->real) = detail::read_number(v, key, f->lo, f->hi, false, source); break;
      case detail::profile_field::type::count:
        p.*(f->count) = static_cast<unsigned>(detail::read_number(v, key, f->lo, f->hi, true, source));
        break;
      case detail::profile_field::type::flag:
        if (!v.is(value::type::boolean))
          throw profile_error(source + ": key \"" + key + "\" (" + detail::where(v) + "): expected true or false, found " +
                              std::string(detail::json::type_name(v.kind)));
        p.*(f->flag) = v.b;
        break;
      case detail::profile_field::type::text: break;  // only "name", read above
    }
  }
  for (const auto& f : detail::profile_fields)
    if (root.find(f.key) == nullptr) throw profile_error(source + ": missing key \"" + std::string(f.key) + "\"");
  return doc;
}

BREAKEVEN_DECL profile_document load_profile(const std::string& path) {
  constexpr std::size_t limit = std::size_t{1} << 20;
  // O_NONBLOCK: a FIFO without a writer opens at once (and is refused below) instead of
  // blocking the program; a regular file ignores the flag.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) throw profile_error(path + ": cannot open the profile file: " + std::system_category().message(errno));
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } close_at_end{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw profile_error(path + ": fstat: " + std::system_category().message(errno));
  if (!S_ISREG(st.st_mode)) {
    const char* kind = S_ISDIR(st.st_mode)    ? "a directory"
                       : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                              : "not a file";
    throw profile_error(path + ": not a regular file (" + kind + "); a profile must be a regular file");
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size > limit) throw profile_error(path + ": profile file larger than 1 MiB (" + std::to_string(size) + " bytes)");
  // Read the size found at open, and one byte more: a file that gives more changed while read.
  std::string text(size + 1, '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw profile_error(path + ": read error: " + std::system_category().message(errno));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got != size)
    throw profile_error(path + ": the profile file changed while it was read (" + std::to_string(size) +
                        " bytes at open, " + (got > size ? "more" : std::to_string(got)) + " read)");
  text.resize(size);
  profile_document doc = parse_profile(text, path);
  doc.source = path;
  return doc;
}

BREAKEVEN_DECL std::string profile_json(const machine_profile& p, const std::vector<learned_entry>& learned,
                                        std::string_view calibration, const std::vector<correction_entry>& corrections) {
  std::string out = "{\n  \"format\": ";
  detail::json::write_string(out, profile_format);
  out += ",\n  \"name\": ";
  detail::json::write_string(out, p.name ? p.name : "unnamed");
  for (const auto& f : detail::profile_fields) {
    if (f.kind == detail::profile_field::type::text) continue;
    out += ",\n  ";
    detail::json::write_string(out, f.key);
    out += ": ";
    switch (f.kind) {
      case detail::profile_field::type::real: out += detail::format_double(p.*(f.real)); break;
      case detail::profile_field::type::count: out += std::to_string(p.*(f.count)); break;
      case detail::profile_field::type::flag: out += (p.*(f.flag)) ? "true" : "false"; break;
      case detail::profile_field::type::text: break;
    }
  }
  if (!learned.empty()) {
    out += ",\n  \"learned\": {";
    for (std::size_t i = 0; i < learned.size(); ++i) {
      out += i ? ",\n    " : "\n    ";
      detail::json::write_string(out, learned[i].kernel);
      out += ": {\"ns_per_item\": " + detail::format_double(learned[i].ns_per_item) +
             ", \"ns_per_byte\": " + detail::format_double(learned[i].ns_per_byte) +
             ", \"samples\": " + std::to_string(learned[i].samples) + "}";
    }
    out += "\n  }";
  }
  if (!corrections.empty()) {
    out += ",\n  \"corrections\": {";
    for (std::size_t i = 0; i < corrections.size(); ++i) {
      const correction_entry& e = corrections[i];
      out += i ? ",\n    " : "\n    ";
      detail::json::write_string(out, e.kernel);
      out += ": {\"machine\": ";
      detail::json::write_string(out, e.machine);
      for (std::size_t k = 0; k < executor_kind_count; ++k) {
        const correction_record& r = e.executors[k];
        out += ",\n      ";
        detail::json::write_string(out, to_string(all_executor_kinds[k]));
        out += ": {\"work\": " + detail::format_double(r.work) + ", \"transport\": " + detail::format_double(r.transport) +
               ", \"setup\": " + detail::format_double(r.setup) + ", \"spread\": " + detail::format_double(r.spread) +
               ", \"runs\": " + std::to_string(r.runs) + "}";
      }
      out += "}";
    }
    out += "\n  }";
  }
  if (!calibration.empty()) {
    out += ",\n  \"calibration\": ";
    out += calibration;
  }
  out += "\n}\n";
  return out;
}

BREAKEVEN_DECL void validate_profile(const machine_profile& p) {
  // The reader is the one definition of "valid": write, read back, and let it judge.
  (void)parse_profile(profile_json(p), std::string("profile \"") + (p.name ? p.name : "unnamed") + "\"");
}

BREAKEVEN_DECL std::string profile_header(const machine_profile& p, std::string_view type_name,
                                          std::string_view comment) {
  if (!detail::valid_identifier(type_name))
    throw profile_error("profile header: \"" + std::string(type_name) + "\" is not a C++ identifier");
  validate_profile(p);
  const std::string guard = "BREAKEVEN_GENERATED_PROFILE_" + std::string(type_name);
  std::string out = "// Generated by breakeven-calibrate: the machine profile `breakeven::profiles::" +
                    std::string(type_name) + "`.\n";
  std::istringstream lines{std::string(comment)};
  for (std::string line; std::getline(lines, line);) out += "// " + line + "\n";
  // No #pragma once: the guard is defined after the definition, so that this header works
  // included first or through profile.hpp's BREAKEVEN_PROFILE_HEADER seam.
  out += "#ifndef " + guard + "\n#include <breakeven/profile.hpp>\n#ifndef " + guard + "\n#define " + guard +
         "\nnamespace breakeven::profiles {\nstruct " + std::string(type_name) +
         " {\n  static constexpr machine_profile value{\n      .name = ";
  detail::json::write_string(out, p.name);
  out += ",\n";
  for (const auto& f : detail::profile_fields) {
    if (f.kind == detail::profile_field::type::text) continue;
    out += "      ." + std::string(f.key) + " = ";
    switch (f.kind) {
      case detail::profile_field::type::real: out += detail::format_double(p.*(f.real)); break;
      case detail::profile_field::type::count: out += std::to_string(p.*(f.count)) + "u"; break;
      case detail::profile_field::type::flag: out += (p.*(f.flag)) ? "true" : "false"; break;
      case detail::profile_field::type::text: break;
    }
    out += ",\n";
  }
  out += "  };\n};\n}  // namespace breakeven::profiles\n#endif\n#endif\n";
  return out;
}

BREAKEVEN_DECL profile_document profile_from_environment(const machine_profile& fallback) {
  const char* path = std::getenv(profile_env);
  if (path == nullptr || *path == '\0') return {fallback, {}, {}, {}};
  try {
    return load_profile(path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "breakeven: %s=%s not used: %s; using the \"%s\" profile\n", profile_env, path, e.what(),
                 fallback.name);
    return {fallback, {}, {}, {}};
  }
}

}  // namespace breakeven
