// Decisions that learn (feedback.hpp), through the statistics: each "call" is decided with the
// corrections so far, "runs" on the executor chosen, and is measured as the true model says
// (decide()'s estimate of that executor for the kernel as it really is, with a fixed pattern
// of noise). No clock is read: the tests check what the policy does with what it is told.
#include <breakeven/feedback.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace be = breakeven;
using be::executor_kind;

namespace {

const be::machine_profile& prof = be::profiles::conservative::value;

// Sequential against shared memory, a few percent apart: 256 items of 20 us and 16 KiB, not
// thread-safe and not transportable. Under the conservative profile shared memory is about
// 12% faster and held back by the lecture's 1.2x minimum speedup.
const be::kernel_desc close_pair{.cost_ns = 20'000, .bytes_in = 16'384, .thread_safe = false, .transportable = false};
constexpr std::size_t close_n = 256;

// Requires `close_pair` to be the case the margins get wrong: sequential chosen, shared
// memory the runner-up and estimated faster; returns the static plan.
be::plan held_back_by_margin() {
  const be::plan p0 = be::decide(close_pair, close_n, prof);
  REQUIRE(p0.kind == executor_kind::sequential);
  REQUIRE(p0.runner_up == executor_kind::shared_memory);
  REQUIRE(p0.of(executor_kind::sequential).estimate_ns() / p0.of(executor_kind::shared_memory).estimate_ns() > 1.05);
  return p0;
}

// Up to +-8% around the truth (x `scale`), a fixed pattern: measurements are never exact.
double noisy(double ns, int call, double scale = 1) {
  static constexpr double pattern[] = {1.00, 1.06, 0.95, 1.08, 0.97, 1.02, 0.92, 1.04};
  return ns * (1 + scale * (pattern[call % 8] - 1));
}

struct run_result {
  std::vector<executor_kind> kinds;    // the executor each call's decision chose
  std::vector<executor_kind> ran;      // the executor each call ran (an exploring call: the runner-up)
  std::vector<double> regret;          // each call's real time / the best executor's real time
  be::plan last;
};

// `calls` calls of a kernel described as `declared` whose real behaviour is `truth` under
// `truth_profile`: returns what each call ran.
run_result simulate(be::kernel_feedback& fb, const be::kernel_desc& declared, const be::kernel_desc& truth,
                    const be::machine_profile& truth_profile, std::size_t n, int calls,
                    const be::call_options& o = {}, double noise = 1) {
  run_result out;
  const be::plan real = be::decide(truth, n, truth_profile, o);
  for (int i = 0; i < calls; ++i) {
    const be::plan p = fb.explore(be::decide(declared, n, prof, o, fb.corrections()), o);
    out.kinds.push_back(be::explored(p) ? p.runner_up : p.kind);
    out.ran.push_back(p.kind);
    out.regret.push_back(real.of(out.kinds.back()).estimate_ns() / real.estimate_ns());
    const double measured = noisy(real.of(p.kind).estimate_ns(), i, noise);
    fb.record(p, p.kind, measured);
    if (be::explored(p)) fb.count_exploration_cost(measured, p.of(p.runner_up).estimate_ns());
    out.last = p;
  }
  return out;
}

// The first call from which every later call ran `kind` (calls.size() when none).
std::size_t settled_at(const std::vector<executor_kind>& kinds, executor_kind kind) {
  std::size_t at = kinds.size();
  for (std::size_t i = kinds.size(); i-- > 0;) {
    if (kinds[i] != kind) break;
    at = i;
  }
  return at;
}

}  // namespace

TEST_CASE("no correction: the decision is exactly the static one", "[core][feedback]") {
  const be::kernel_feedback fresh("fresh");
  for (double cost : {1.0, 300.0, 5'000.0, 200'000.0})
    for (double bytes : {8.0, 65'536.0})
      for (bool safe : {true, false})
        for (std::size_t n : {1u, 7u, 64u, 513u, 100'000u}) {
          const be::kernel_desc k{.cost_ns = cost, .bytes_in = bytes, .bytes_out = bytes, .thread_safe = safe};
          const be::plan a = be::decide(k, n, prof), b = be::decide(k, n, prof, {}, fresh.corrections());
          INFO("cost " << cost << " bytes " << bytes << " n " << n);
          REQUIRE(a.kind == b.kind);
          REQUIRE(a.chunk == b.chunk);
          REQUIRE(a.reason_count == b.reason_count);
          for (executor_kind e : be::all_executor_kinds) REQUIRE(a.of(e).estimate_ns() == b.of(e).estimate_ns());
        }
}

TEST_CASE("a kernel that declares a quarter of its cost reaches the right executor within 10 calls",
          "[core][feedback]") {
  // Declared 1 us: 64 items stay sequential; at the real 4 us the thread pool pays.
  const be::kernel_desc declared{.cost_ns = 1'000, .bytes_in = 8, .bytes_out = 8};
  be::kernel_desc truth = declared;
  truth.cost_ns = 4'000;
  constexpr std::size_t n = 64;
  REQUIRE(be::decide(declared, n, prof).kind == executor_kind::sequential);
  REQUIRE(be::decide(truth, n, prof).kind == executor_kind::thread_pool);

  be::kernel_feedback fb("quarter");
  const auto r = simulate(fb, declared, truth, prof, n, 20);
  CAPTURE(r.kinds);
  CHECK(settled_at(r.kinds, executor_kind::thread_pool) < 10);
  CHECK(fb.corrections().work[0] == Approx(4).epsilon(0.15));
  CHECK(fb.leaves_fast_path());
  const std::string text(be::explain(r.last).view());
  CHECK(text.find("measured corrections applied (work x") != std::string::npos);

  SECTION("one that starts on a parallel executor ends within 5% of the best") {
    // Declared 5 us x 256 on a parallel executor; really 20 us. On two cores the three
    // parallel executors are within a few percent of each other: the decision must end on
    // one whose real time is within 5% of the best, whichever it is.
    be::kernel_feedback big("quarter big");
    const be::kernel_desc d2{.cost_ns = 5'000, .bytes_in = 8, .bytes_out = 8};
    be::kernel_desc t2 = d2;
    t2.cost_ns = 20'000;
    const auto r2 = simulate(big, d2, t2, prof, 256, 20);
    CAPTURE(r2.kinds);
    for (std::size_t i = 9; i < r2.regret.size(); ++i) CHECK(r2.regret[i] <= 1.05);
  }
}

TEST_CASE("a transport ten times the linear estimate is corrected within 10 calls", "[core][feedback]") {
  // Not thread-safe, 64 KiB items at 200 us: the profile sends them to shared memory; if
  // moving the bytes costs ten times what the profile says, sequential is right.
  const be::kernel_desc k{.cost_ns = 200'000, .bytes_in = 65'536, .bytes_out = 0, .thread_safe = false};
  constexpr std::size_t n = 64;
  be::machine_profile slow = prof;
  slow.pipe_ns_per_byte *= 10;
  slow.memcpy_ns_per_byte *= 10;
  slow.shm_page_ns *= 10;
  const executor_kind before = be::decide(k, n, prof).kind;
  const executor_kind right = be::decide(k, n, slow).kind;
  REQUIRE(be::detail::is_process_kind(before));
  REQUIRE(right != before);

  be::kernel_feedback fb("transport");
  const auto r = simulate(fb, k, k, slow, n, 20);
  CAPTURE(r.kinds);
  CHECK(settled_at(r.kinds, right) < 10);
  // The kernel is not blamed for the executor's transport: the sequential estimate stays right.
  const auto c = fb.corrections();
  CHECK(c.transport[static_cast<std::size_t>(before)] > 1.1);
  CHECK(c.work[0] == Approx(1).epsilon(0.1));
}

TEST_CASE("learning never makes a choice inadmissible and never changes a forced call", "[core][feedback]") {
  // Corrections as extreme as a file may hold, both ways.
  for (double f : {1 / be::max_correction, be::max_correction}) {
    be::correction_entry e{"extreme", "m", {}};
    for (auto& r : e.executors) r = {f, 1 / f, f, 0.01, 50};
    be::kernel_feedback fb("extreme");
    fb.seed(e);
    const auto mc = fb.corrections();
    for (bool safe : {true, false})
      for (bool transportable : {true, false})
        for (bool isolation : {false, true})
          for (auto bound : {be::bound::cpu, be::bound::io})
            for (std::size_t n : {0u, 1u, 7u, 64u, 513u, 1'000'000u})
              for (int forced = -1; forced < 4; ++forced)
                for (auto prio : {be::priority::throughput, be::priority::latency}) {
                  const be::kernel_desc k{.cost_ns = 50'000, .bytes_in = 4'096, .bound = bound, .thread_safe = safe,
                                          .isolation = isolation, .transportable = transportable};
                  be::call_options o;
                  o.prio = prio;
                  if (forced >= 0) o.force = true, o.forced = static_cast<executor_kind>(forced);
                  const be::plan fixed = be::decide(k, n, prof, o);
                  const be::plan learned = fb.explore(be::decide(k, n, prof, o, mc), o);
                  INFO("f " << f << " safe " << safe << " iso " << isolation << " n " << n << " forced " << forced);
                  for (executor_kind e : be::all_executor_kinds)
                    REQUIRE(learned.of(e).admissible == fixed.of(e).admissible);
                  REQUIRE(learned.runnable() == fixed.runnable());
                  if (o.force && fixed.of(o.forced).admissible) REQUIRE(learned.kind == fixed.kind);
                  if (prio == be::priority::latency || o.force) REQUIRE(!be::explored(learned));
                }
  }
}

TEST_CASE("exploration is bounded, counted, and only where estimates are close", "[core][feedback]") {
  // Two admissible candidates a few percent apart: sequential 256 x 20 us against shared memory.
  const be::kernel_desc& k = close_pair;
  constexpr std::size_t n = close_n;
  const be::plan p0 = be::decide(k, n, prof);
  REQUIRE(p0.runner_up != p0.kind);
  REQUIRE(p0.of(p0.runner_up).estimate_ns() < 1.3 * p0.estimate_ns());

  const auto before = be::statistics().explored;
  be::kernel_feedback fb("close");
  const auto r = simulate(fb, k, k, prof, n, 200);
  const auto st = fb.stats();
  CHECK(st.explored >= 1);
  CHECK(static_cast<double>(st.explored) <= be::learn_policy{}.explore_share * 200 + 1);
  CHECK(be::statistics().explored - before == st.explored);
  CHECK(st.runs[static_cast<std::size_t>(p0.runner_up)] >= 1);

  SECTION("never for latency-first calls") {
    be::kernel_feedback lat("close, latency");
    be::call_options o;
    o.prio = be::priority::latency;
    simulate(lat, k, k, prof, n, 100, o);
    CHECK(lat.stats().explored == 0);
  }
  SECTION("not where the runner-up is far behind") {
    be::kernel_feedback far("far");
    const be::kernel_desc cheap{.cost_ns = 10, .bytes_in = 8};
    const be::plan p = be::decide(cheap, 1'000, prof);
    REQUIRE(p.of(p.runner_up).estimate_ns() > 2 * p.estimate_ns());
    simulate(far, cheap, cheap, prof, 1'000, 100);
    CHECK(far.stats().explored == 0);
  }
}

TEST_CASE("margins shrink with confidence, and explain() says which applied", "[core][feedback]") {
  // The case the lecture's 1.2x minimum speedup gets wrong: shared memory estimated (and
  // really) about 12% faster than sequential, held back by the margin.
  const be::kernel_desc& k = close_pair;
  constexpr std::size_t n = close_n;
  held_back_by_margin();

  // Measured within +-2%: the spread justifies a margin well under 1.12x.
  be::kernel_feedback fb("margins");
  const auto first = simulate(fb, k, k, prof, n, 1, {}, 0.25);
  CHECK(std::string(be::explain(first.last).view()).find("profile's margins apply") == std::string::npos);  // nothing measured yet
  const auto r = simulate(fb, k, k, prof, n, 20, {}, 0.25);
  CAPTURE(r.kinds);
  CHECK(fb.confident(executor_kind::shared_memory));
  CHECK(r.kinds.back() == executor_kind::shared_memory);
  const std::string text(be::explain(r.last).view());
  CHECK(text.find("margins for shared_memory narrowed by confidence") != std::string::npos);

  SECTION("a residual that says an executor is faster than estimated does not widen its margin") {
    // Shared memory explored now and then, each run 15% off its estimate (within +-2%), under
    // it or over it. Either bias is the corrections' to absorb while it lasts; only the one
    // that flatters the executor (slower than estimated) counts against it in the margin,
    // beside the noise.
    const auto margin_when = [&](double shm_factor) {
      be::kernel_feedback f("margins, biased");
      for (int i = 0; i < 16; ++i) {
        const be::plan p = be::decide(k, n, prof, {}, f.corrections());
        const executor_kind ran = i % 4 == 3 ? executor_kind::shared_memory : executor_kind::sequential;
        const double truth = be::decide(k, n, prof).of(ran).estimate_ns() * (ran == executor_kind::sequential ? 1.0 : shm_factor);
        f.record(p, ran, noisy(truth, i, 0.25));
      }
      return f.corrections().min_speedup[static_cast<std::size_t>(executor_kind::shared_memory)];  // -1: not narrowed
    };
    const double fast = margin_when(0.85), slow = margin_when(1.0 / 0.85);
    CAPTURE(fast, slow);
    CHECK(fast >= be::learn_policy{}.min_margin);
    CHECK((slow < 0 || slow > fast + 0.05));  // counting both biases alike: 1.154 against 1.186
  }

  SECTION("a noisy executor keeps the profile's margins") {
    be::kernel_feedback noisy_fb("margins, noisy");
    be::plan p;
    for (int i = 0; i < 20; ++i) {
      p = noisy_fb.explore(be::decide(k, n, prof, {}, noisy_fb.corrections()), {});
      const double truth = be::decide(k, n, prof).of(p.kind).estimate_ns();
      noisy_fb.record(p, p.kind, truth * (i % 2 ? 1.6 : 0.6));
    }
    CHECK_FALSE(noisy_fb.confident(executor_kind::shared_memory));
    CHECK(std::string(be::explain(p).view()).find("profile's margins apply") != std::string::npos);
  }
}

TEST_CASE("one slow run of a close runner-up does not rule it out for good", "[core][feedback]") {
  // Shared memory really 12% faster than sequential (the margins case above), but the first
  // time it runs it takes 1.8x as long (a cold moment of the machine). That run alone would
  // put it past the exploration window, never to run again; its spread widens the window
  // instead, and the runs after it (honest, +-2%) bring the decision to shared memory.
  const be::kernel_desc& k = close_pair;
  constexpr std::size_t n = close_n;
  const be::plan truth = held_back_by_margin();
  be::kernel_feedback fb("outlier first");
  std::vector<executor_kind> kinds;
  int shm_runs = 0;
  for (int i = 0; i < 60; ++i) {
    const be::plan p = fb.explore(be::decide(k, n, prof, {}, fb.corrections()), {});
    kinds.push_back(p.kind);
    double t = noisy(truth.of(p.kind).estimate_ns(), i, 0.25);
    if (p.kind == executor_kind::shared_memory && shm_runs++ == 0) t *= 1.8;
    fb.record(p, p.kind, t);
  }
  CAPTURE(kinds);
  REQUIRE(shm_runs >= 2);
  CHECK(settled_at(kinds, executor_kind::shared_memory) <= 20);
  // Bounded all the same: at most explore_share of the calls, counted over the first
  // explore_horizon of them.
  const be::learn_policy lp;
  CHECK(static_cast<double>(fb.stats().explored) <=
        lp.explore_share * static_cast<double>(std::max<std::uint64_t>(60, lp.explore_horizon)));
}

TEST_CASE("after the first runs, one outlier moves an estimate a little, a lasting change all the way",
          "[core][feedback]") {
  // 100 us of declared work that really takes 100 us (+-2%): ten calls settle the factor at 1.
  constexpr double declared = 100'000;
  be::kernel_feedback fb("outlier later");
  int call = 0;
  for (; call < 10; ++call) fb.record_sequential(declared, noisy(declared, call, 0.25));
  const double settled = fb.corrections().work[0];
  REQUIRE(settled == Approx(1).epsilon(0.03));
  // One call slowed 1.8x by a moment of the machine: a step of a quarter of its residual
  // would move the estimate by 16%; bounded at 2.5 spreads, it moves it by at most 6%.
  fb.record_sequential(declared, 1.8 * declared);
  ++call;
  const double after_outlier = fb.corrections().work[0];
  CHECK(after_outlier > settled);
  CHECK(after_outlier < settled * 1.06);
  // ... and the honest calls after it bring it back.
  for (const int end = call + 10; call < end; ++call) fb.record_sequential(declared, noisy(declared, call, 0.25));
  CHECK(fb.corrections().work[0] == Approx(1).epsilon(0.03));
  // The kernel really becomes twice as dear (new data, say): each call widens the spread the
  // bound allows, and within 12 calls the factor is within 10% of 2.
  int took = 0;
  while (took < 40 && !(fb.corrections().work[0] > 1.8)) fb.record_sequential(declared, noisy(2 * declared, call++, 0.25)), ++took;
  CAPTURE(took);
  CHECK(took <= 12);
  for (int i = 0; i < 20; ++i) fb.record_sequential(declared, noisy(2 * declared, call++, 0.25));
  CHECK(fb.corrections().work[0] == Approx(2).epsilon(0.05));
}

TEST_CASE("a cold first sequential call does not stay in an executor's work estimate", "[core][feedback]") {
  // The demo's thread-unsafe tokenizer: a first sequential call of 100 items measured 6x its
  // cost (a cold moment), then the process pool ran a small batch, where its set-up is most
  // of its estimate, then sequential settled at 1.3x. The process pool's work term must not
  // keep the 6x: at 100,000 items it would price the pool 4x too dear and never run it.
  be::kernel_feedback fb("cold start");
  const be::kernel_desc d{.cost_ns = 295, .bytes_in = 64, .bytes_out = 64, .thread_safe = false};
  const auto seq_call = [&](double factor) {
    const be::plan p = be::decide(d, 100, prof, {}, fb.corrections());
    fb.record(p, executor_kind::sequential, factor * d.cost_ns * 100);
  };
  seq_call(6.12);
  be::call_options forced;
  forced.force = true;
  forced.forced = executor_kind::process_pool;
  const be::plan pp = be::decide(d, 100, prof, forced, fb.corrections());
  REQUIRE(pp.kind == executor_kind::process_pool);
  REQUIRE(pp.of(executor_kind::process_pool).work_ns < 0.5 * pp.of(executor_kind::process_pool).estimate_ns());
  fb.record(pp, executor_kind::process_pool, 1.5 * pp.of(executor_kind::process_pool).estimate_ns());
  for (int i = 0; i < 4; ++i) seq_call(1.3);
  const be::model_corrections mc = fb.corrections();
  CHECK(mc.work[0] == Approx(1.3).epsilon(0.2));
  CHECK(mc.work[static_cast<std::size_t>(executor_kind::process_pool)] < 2);
  // At the large batch the pool is estimated near what it costs, and wins.
  const be::plan big = be::decide(d, 100'000, prof, {}, mc);
  CHECK(big.of(executor_kind::process_pool).estimate_ns() < big.of(executor_kind::sequential).estimate_ns());
}

TEST_CASE("an executor's borrowed work term moves with sequential's until its own runs measure it",
          "[core][feedback]") {
  // The demo's tokenizer again: sequential's first calls measured 2x the declared cost, the
  // process pool ran small batches (set-up most of each estimate), and sequential settled at
  // 1.6x over many more calls. The pool's work term, borrowed at 2x, must settle with it: at
  // 2x it priced the pool at 100,000 items dearer than sequential, and the call stayed there.
  be::kernel_feedback fb("settling");
  const be::kernel_desc d{.cost_ns = 295, .bytes_in = 64, .bytes_out = 64, .thread_safe = false};
  const auto pool = static_cast<std::size_t>(executor_kind::process_pool);
  const auto seq_call = [&](double factor) {
    const be::plan p = be::decide(d, 100, prof, {}, fb.corrections());
    fb.record(p, executor_kind::sequential, factor * d.cost_ns * 100);
  };
  be::call_options forced;
  forced.force = true;
  forced.forced = executor_kind::process_pool;
  const auto pool_call = [&](std::size_t n) {
    const be::plan p = be::decide(d, n, prof, forced, fb.corrections());
    REQUIRE(p.kind == executor_kind::process_pool);
    const be::candidate& c = p.of(executor_kind::process_pool);
    fb.record(p, executor_kind::process_pool, c.estimate_ns());  // as estimated: nothing to correct
    return c.work_ns / c.estimate_ns();
  };
  for (int i = 0; i < 3; ++i) seq_call(2.0);
  double own = 0;
  for (int i = 0; i < 3; ++i) own += pool_call(100);
  REQUIRE(own < 1);  // the pool's own runs have not measured its work yet
  CHECK(fb.corrections().work[pool] == Approx(2.0).epsilon(0.02));
  for (int i = 0; i < 40; ++i) seq_call(1.6);
  const be::model_corrections mc = fb.corrections();
  CHECK(mc.work[0] == Approx(1.6).epsilon(0.03));
  CHECK(mc.work[pool] == Approx(mc.work[0]).epsilon(0.02));
  // Once its own runs have measured its work (a batch that is mostly work), it keeps its own.
  own += pool_call(100'000);
  REQUIRE(own >= 1);
  for (int i = 0; i < 40; ++i) seq_call(1.3);
  const be::model_corrections after = fb.corrections();
  CHECK(after.work[0] == Approx(1.3).epsilon(0.03));
  CHECK(after.work[pool] == Approx(mc.work[pool]).epsilon(0.02));
}

TEST_CASE("calls too short to measure teach nothing; factors stay bounded", "[core][feedback]") {
  be::kernel_feedback fb("short");
  const be::kernel_desc k{.cost_ns = 10, .bytes_in = 8};
  const be::plan p = be::decide(k, 10, prof);
  fb.record(p, p.kind, 1e6);
  fb.record_sequential(100, 1e6);
  CHECK(fb.stats().calls == 0);
  const be::kernel_desc big{.cost_ns = 10'000, .bytes_in = 8};
  for (int i = 0; i < 100; ++i) fb.record(be::decide(big, 10, prof, {}, fb.corrections()), executor_kind::sequential, 1e12);
  CHECK(fb.corrections().work[0] <= be::max_correction * 1.0000001);
  CHECK(fb.corrections().work[0] >= be::max_correction * 0.99);
}

TEST_CASE("corrections persist by kernel and machine; other machines' and hostile entries are refused",
          "[core][feedback]") {
  const be::kernel_desc k{.cost_ns = 1'000, .bytes_in = 8, .bytes_out = 8};
  be::kernel_desc truth = k;
  truth.cost_ns = 4'000;
  be::feedback_registry here("host-a:2");
  simulate(here.model("kern"), k, truth, prof, 64, 6);
  const auto text = be::profile_json(prof, {}, {}, here.entries());
  const be::profile_document doc = be::parse_profile(text, "<saved>");
  REQUIRE(doc.corrections.size() == 1);
  CHECK(doc.corrections[0].machine == "host-a:2");

  be::feedback_registry again("host-a:2");
  CHECK(again.preload(doc.corrections).empty());
  const auto a = here.model("kern").corrections(), b = again.model("kern").corrections();
  for (std::size_t i = 0; i < be::executor_kind_count; ++i) {
    CHECK(b.work[i] == Approx(a.work[i]));
    CHECK(b.transport[i] == Approx(a.transport[i]));
  }
  // A re-run starts where the last one ended: the first call is already the right one.
  CHECK(be::decide(k, 64, prof, {}, b).kind == executor_kind::thread_pool);

  be::feedback_registry elsewhere("host-b:8");
  const auto refused = elsewhere.preload(doc.corrections);
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].find("measured on machine \"host-a:2\"") != std::string::npos);
  CHECK(elsewhere.model("kern").corrections().calls == 0);

  const std::string base = be::profile_json(prof);
  const auto with = [&](const std::string& corrections) {
    std::string t = base;
    t.insert(1, "\"corrections\": " + corrections + ",");
    return t;
  };
  const std::string rec = R"({"work": 1, "transport": 1, "setup": 1, "spread": 0, "runs": 1})";
  for (const auto& [bad, says] : std::vector<std::pair<std::string, std::string>>{
           {R"({"k": {"machine": "m", "thread_pool": {"work": 1000, "transport": 1, "setup": 1, "spread": 0, "runs": 1}}})",
            "out of range"},
           {R"({"k": {"machine": "m", "thread_pool": {"work": 0, "transport": 1, "setup": 1, "spread": 0, "runs": 1}}})",
            "out of range"},
           {R"({"k": {"thread_pool": )" + rec + "}}", "missing key \"machine\""},
           {R"({"k": {"machine": "m", "gpu": )" + rec + "}}", "unknown key \"gpu\""},
           {R"({"k": {"machine": "m", "sequential": {"work": 1}}})", "missing key \"transport\""},
           {R"({"k": {"machine": "m", "sequential": {"work": 1, "transport": 1, "setup": 1, "spread": 0, "runs": 1.5}}})",
            "whole number"},
           {R"({"": {"machine": "m"}})", "empty kernel name"},
           {R"({"k": {"machine": "\u0001"}})", "not a machine name"},
           {R"([])", "expected an object"}}) {
    INFO(bad);
    try {
      (void)be::parse_profile(with(bad), "<hostile>");
      FAIL("accepted");
    } catch (const be::profile_error& e) {
      CHECK(std::string(e.what()).find(says) != std::string::npos);
      CHECK(std::string(e.what()).find("<hostile>") == 0);
    }
  }
}
