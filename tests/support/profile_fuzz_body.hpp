// Fuzz inputs for the run-time profile reader and the learned-costs reader: bad text must
// end in profile_error, never in a crash, an overread, a hang or a huge allocation; text
// that reads must write back (profile_json) to text that reads as the same document.
#pragma once

#include <breakeven/feedback.hpp>
#include <breakeven/learn.hpp>
#include <breakeven/profile_io.hpp>

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace breakeven_test {

namespace detail {

[[noreturn]] inline void fuzz_mismatch(const char* what) {
  std::fprintf(stderr, "fuzz: %s differs after a round trip\n", what);
  std::abort();
}

inline void same_document(const breakeven::profile_document& a, const breakeven::profile_document& b) {
  namespace be = breakeven;
  if (std::string_view(a.profile.name) != std::string_view(b.profile.name)) fuzz_mismatch("name");
  for (const auto& f : be::detail::profile_fields) {
    switch (f.kind) {
      case be::detail::profile_field::type::real:
        if (a.profile.*(f.real) != b.profile.*(f.real)) fuzz_mismatch("a real term");
        break;
      case be::detail::profile_field::type::count:
        if (a.profile.*(f.count) != b.profile.*(f.count)) fuzz_mismatch("a count term");
        break;
      case be::detail::profile_field::type::flag:
        if (a.profile.*(f.flag) != b.profile.*(f.flag)) fuzz_mismatch("a flag term");
        break;
      case be::detail::profile_field::type::text: break;
    }
  }
  if (a.learned.size() != b.learned.size()) fuzz_mismatch("the learned cost count");
  for (std::size_t i = 0; i < a.learned.size(); ++i) {
    const auto &x = a.learned[i], &y = b.learned[i];
    if (x.kernel != y.kernel || x.ns_per_item != y.ns_per_item || x.ns_per_byte != y.ns_per_byte ||
        x.samples != y.samples)
      fuzz_mismatch("a learned cost");
  }
  if (a.corrections.size() != b.corrections.size()) fuzz_mismatch("the correction count");
  for (std::size_t i = 0; i < a.corrections.size(); ++i) {
    const auto &x = a.corrections[i], &y = b.corrections[i];
    if (x.kernel != y.kernel || x.machine != y.machine) fuzz_mismatch("a correction's key");
    for (std::size_t k = 0; k < x.executors.size(); ++k) {
      const auto &r = x.executors[k], &q = y.executors[k];
      if (r.work != q.work || r.transport != q.transport || r.setup != q.setup || r.spread != q.spread || r.runs != q.runs)
        fuzz_mismatch("a correction");
    }
  }
}

}  // namespace detail

/// One input as a whole profile file's text.
inline void fuzz_profile(std::string_view text) {
  namespace be = breakeven;
  be::profile_document doc;
  try {
    doc = be::parse_profile(text, "<fuzz>");
  } catch (const be::profile_error&) {
    return;
  }
  be::validate_profile(doc.profile);  // what reads is a profile files can hold
  const auto again = be::parse_profile(be::profile_json(doc.profile, doc.learned, {}, doc.corrections), "<round trip>");
  detail::same_document(doc, again);
}

/// One input as the "learned" member of an otherwise valid profile: the learned-costs reader,
/// then the registry seeded from what it read, written back and read again.
inline void fuzz_learned(std::string_view learned) {
  namespace be = breakeven;
  std::string text = be::profile_json(be::default_profile::value);
  text.insert(1, "\"learned\": " + std::string(learned) + ",");
  be::profile_document doc;
  try {
    doc = be::parse_profile(text, "<fuzz>");
  } catch (const be::profile_error&) {
    return;
  }
  be::learned_costs registry(doc.learned);
  const std::vector<be::learned_entry> entries = registry.entries();  // by name, the last of duplicates
  const auto again = be::parse_profile(be::profile_json(doc.profile, entries), "<round trip>");
  be::profile_document expected = doc;
  expected.learned = entries;
  detail::same_document(expected, again);
}

/// One input as the "corrections" member of an otherwise valid profile (feedback.hpp's
/// persistence): the reader, then a registry of machine "m" seeded from what it read (other
/// machines' entries refused), written back and read again.
inline void fuzz_corrections(std::string_view corrections) {
  namespace be = breakeven;
  std::string text = be::profile_json(be::default_profile::value);
  text.insert(1, "\"corrections\": " + std::string(corrections) + ",");
  be::profile_document doc;
  try {
    doc = be::parse_profile(text, "<fuzz>");
  } catch (const be::profile_error&) {
    return;
  }
  be::feedback_registry registry("m");
  const auto refused = registry.preload(doc.corrections);
  std::size_t here = 0;
  for (const auto& e : doc.corrections) here += e.machine == "m" ? 1 : 0;
  if (refused.size() != doc.corrections.size() - here) detail::fuzz_mismatch("the refused corrections");
  for (const auto& e : doc.corrections)
    if (e.machine == "m") {
      const auto mc = registry.model(e.kernel).corrections();  // seeded: every factor within the bounds
      for (double f : mc.work)
        if (!(f >= 1 / be::max_correction * 0.999999 && f <= be::max_correction * 1.000001)) detail::fuzz_mismatch("a seeded factor");
    }
  const auto entries = registry.entries();
  const auto again = be::parse_profile(be::profile_json(doc.profile, {}, {}, entries), "<round trip>");
  if (again.corrections.size() != entries.size()) detail::fuzz_mismatch("the corrections written back");
}

}  // namespace breakeven_test
