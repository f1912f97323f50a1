// anonify-enclave-bench: state transitions per second on one core, beside the raw cost of every
// library primitive a transition performs (PROTOCOL.md "State runtime methods").
//
//   anonify-enclave-bench [--quick] [--cpu N] [--json FILE] [--tmpfs-dir DIR] [--disk-dir DIR]
//
// The enclave is the real one, in-process: the protocol dispatcher with every registered method,
// a simulation platform, an MLS group created by mls_create_group. Commands are sealed and signed
// by ten users exactly as clients do, before the clock starts. Each timed call is one complete
// request body through Dispatcher::handle (params parsed, handler run, response encoded): only the
// stdin/stdout framing is left out (the TS wrapper measures that boundary). Markdown tables go to
// stdout, progress to stderr, figures for the TS wrapper to --json.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "anonify/crypto/aead.h"
#include "anonify/crypto/random.h"
#include "anonify/enclave/methods.h"
#include "anonify/protocol/params.h"
#include "anonify/runtime/ledger.h"
#include "bench_stats.h"
#include "evidence_test_util.h"
#include "primitives.h"
#include "runtime/state_component.h"
#include "runtime_test_util.h"
#include "transition_costs.h"

namespace anonify::bench {
namespace {

using Json = nlohmann::json;
using runtime::fixtures::User;
constexpr size_t kUsers = 10;
constexpr double kTargetRatio = 0.70;

struct Options {
  bool quick = false;
  int cpu = -1;  // -1: the last CPU
  std::string json_path;
  std::string tmpfs_dir = std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path().string();
  std::string disk_dir = std::filesystem::temp_directory_path().string();
};

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--quick") o.quick = true;
    else if (arg == "--cpu") o.cpu = std::stoi(value());
    else if (arg == "--json") o.json_path = value();
    else if (arg == "--tmpfs-dir") o.tmpfs_dir = value();
    else if (arg == "--disk-dir") o.disk_dir = value();
    else throw std::runtime_error("unknown argument " + arg);
  }
  if (const char* q = std::getenv("BENCH_QUICK"); q != nullptr && std::string(q) == "1") o.quick = true;
  return o;
}

std::string make_temp_dir(const std::string& base) {
  std::string pattern = base + "/anonify-bench-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp in " + base + " failed");
  return pattern;
}

// One enclave driven through the dispatcher, as the host drives it.
class InProcessEnclave {
 public:
  explicit InProcessEnclave(const std::string& data_dir)
      : enclave_(enclave::make_simulation_platform(), std::nullopt) {
    call("init", Json{{"dataDir", data_dir}});
  }

  enclave::Enclave& enclave() { return enclave_; }

  Bytes handle(const std::string& body) { return dispatcher_.handle(enclave_, ByteView::from_string(body)); }

  Json call(const std::string& method, const Json& params) { return result_of(method, handle(request(method, params))); }

  std::string request(const std::string& method, const Json& params) {
    return Json{{"id", ++id_}, {"method", method}, {"params", params}}.dump();
  }

  static Json result_of(const std::string& method, const Bytes& response) {
    Json parsed = Json::parse(response.begin(), response.end());
    if (!parsed.contains("result")) throw std::runtime_error(method + " failed: " + parsed.dump());
    return parsed["result"];
  }

 private:
  enclave::Enclave enclave_;
  enclave::EnclaveDispatcher dispatcher_ = enclave::make_dispatcher();
  int id_ = 0;
};

Json domain_params(const runtime::Domain& d) {
  return Json{{"chainId", std::to_string(d.chain_id)}, {"verifyingContract", "0x" + to_hex(d.verifying_contract)}};
}

// Users, their next nonces, and request bodies sealed and signed the way the client does.
class Clients {
 public:
  Clients(InProcessEnclave& enclave, Bytes hpke_key) : enclave_(enclave), hpke_key_(std::move(hpke_key)) {}

  const User& user(size_t i) const { return users_[i % kUsers]; }

  runtime::SignedCommand command(size_t user_index, const std::string& payload) {
    const size_t u = user_index % kUsers;
    return users_[u].command(nonces_[u]++, payload, domain_);
  }

  std::string submit_body(const runtime::SignedCommand& c) {
    const Bytes sealed = runtime::fixtures::client_seal(hpke_key_, runtime::kCommandInfo, c.to_json().dump());
    return enclave_.request("state_submit", Json{{"payload", "0x" + to_hex(sealed)}, {"domain", domain_params(domain_)}});
  }

  const runtime::Domain& domain() const { return domain_; }

 private:
  InProcessEnclave& enclave_;
  Bytes hpke_key_;
  runtime::Domain domain_ = runtime::fixtures::test_domain();
  std::vector<User> users_ = std::vector<User>(kUsers);
  std::vector<uint64_t> nonces_ = std::vector<uint64_t>(kUsers, 0);
};

// Timed state_submit then timed state_apply of its entry at `counter`; checks both succeeded.
struct TransitionTimes {
  Timing submit;
  Timing apply;
};

TransitionTimes transition(InProcessEnclave& e, const std::string& submit_body, uint64_t counter) {
  const Stopwatch submit_watch;
  const Bytes submitted = e.handle(submit_body);
  const Timing submit{submit_watch.wall_us(), submit_watch.cpu_us()};
  const Json s = InProcessEnclave::result_of("state_submit", submitted);
  const std::string apply_body =
      e.request("state_apply", Json{{"stateCounter", std::to_string(counter)}, {"epoch", s["epoch"]}, {"entry", s["entry"]}, {"blockTimestamp", "1700000100"}});
  const Stopwatch apply_watch;
  const Bytes applied = e.handle(apply_body);
  const Timing apply{apply_watch.wall_us(), apply_watch.cpu_us()};
  const Json a = InProcessEnclave::result_of("state_apply", applied);
  if (a["outcome"] != "applied") throw std::runtime_error("transition " + std::to_string(counter) + " not applied: " + a.dump());
  return {submit, apply};
}

// One round of `count` transitions (bodies[first ...]): the per-call means of submit and apply. Each call is
// timed on its own and so carries one empty interval of the timer (the CPU clock is a system call): it is
// measured before the round and taken off the means.
struct RoundMeans {
  Timing submit;
  Timing apply;
  Timing timer;
};

RoundMeans timed_round(InProcessEnclave& e, const std::vector<std::string>& bodies, size_t first, size_t count,
                       uint64_t& counter) {
  RoundMeans m;
  m.timer = stopwatch_overhead();
  m.submit = Timing{-m.timer.wall_us, -m.timer.cpu_us};
  m.apply = m.submit;
  for (size_t k = 0; k < count; ++k) {
    const TransitionTimes t = transition(e, bodies[first + k], ++counter);
    m.submit.wall_us += t.submit.wall_us / count;
    m.submit.cpu_us += t.submit.cpu_us / count;
    m.apply.wall_us += t.apply.wall_us / count;
    m.apply.cpu_us += t.apply.cpu_us / count;
  }
  return m;
}

struct PathResult {
  std::string id;
  std::string label;
  std::string includes;
  TimingStat stat;
  std::vector<CostTerm> terms;
  Timing limit;  ///< sum of the primitive costs on each clock
};

std::string pass_or_miss(double ratio) { return ratio >= kTargetRatio ? "PASS" : "MISS"; }
double cpu_ratio(const PathResult& p) { return p.limit.cpu_us / p.stat.cpu.median_us; }
double wall_ratio(const PathResult& p) { return p.limit.wall_us / p.stat.wall.median_us; }

void print_tables(std::ostream& out, const std::vector<PrimitiveResult>& primitives, const std::vector<PathResult>& paths,
                  size_t transitions_per_round, size_t rounds, const TimingStat& timer) {
  out << "Primitives (one core; median of " << rounds << " batches, one after each round of transitions; spread = ± half "
         "the min..max range; CPU = this thread's CPU time, wall = steady_clock):\n\n";
  out << "| Primitive | µs/op (CPU) | ops/s (CPU) | spread | µs/op (wall) | in limit |\n"
         "| --- | ---: | ---: | ---: | ---: | :---: |\n";
  for (const PrimitiveResult& p : primitives) {
    out << "| " << p.label << " | " << format_micros(p.stat.cpu.median_us) << " | " << format_count(p.stat.cpu.ops_per_second())
        << " | ±" << format_fixed(p.stat.cpu.spread_percent(), 1) << "% | " << format_micros(p.stat.wall.median_us) << " | "
        << (p.in_limit ? "yes" : "reference") << " |\n";
  }
  out << "\nTransitions (" << rounds << " rounds of " << transitions_per_round << " transfers by " << kUsers
      << " users; median round, spread over rounds; limit = 1 / sum of the primitive costs below). Each call is timed "
         "on its own, so each round's means have the timer's own cost taken off: one empty interval, measured before "
         "the round (median "
      << format_micros(timer.cpu.median_us) << " µs CPU, " << format_micros(timer.wall.median_us) << " µs wall):\n\n";
  out << "| Path | Includes | transitions/s (CPU) | µs (CPU) | spread | limit µs (CPU) | limit/s | achieved / limit "
         "(CPU) | transitions/s (wall) | achieved / limit (wall) | target ≥ 70% |\n"
         "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |\n";
  for (const PathResult& p : paths) {
    out << "| " << p.label << " | " << p.includes << " | " << format_count(p.stat.cpu.ops_per_second()) << " | "
        << format_micros(p.stat.cpu.median_us) << " | ±" << format_fixed(p.stat.cpu.spread_percent(), 1) << "% | "
        << format_micros(p.limit.cpu_us) << " | " << format_count(1e6 / p.limit.cpu_us) << " | "
        << format_fixed(100 * cpu_ratio(p), 1) << "% | " << format_count(p.stat.wall.ops_per_second()) << " | "
        << format_fixed(100 * wall_ratio(p), 1) << "% | " << pass_or_miss(cpu_ratio(p)) << " |\n";
  }
  for (const PathResult& p : paths) {
    if (p.terms.empty()) continue;
    out << "\nLimit of " << p.label << " = sum of:\n\n| Primitive | count | µs (CPU) |\n| --- | ---: | ---: |\n";
    for (const CostTerm& t : p.terms) {
      const PrimitiveResult& prim = find_primitive(primitives, t.primitive);
      out << "| " << prim.label << (t.note.empty() ? "" : " — " + t.note) << " | " << t.count << " | "
          << format_micros(t.count * prim.stat.cpu.median_us) << " |\n";
    }
    out << "| **total** |  | " << format_micros(p.limit.cpu_us) << " |\n";
  }
}

// ---------------------------------------------------------------------------------------------
// Each runtime's main command beside the token's: the same enclave path, another runtime's rules.

struct RuntimeBench {
  const char* runtime;
  const char* command;  ///< what the main command does, for the table
  std::vector<std::string> setup;  ///< payloads by user 0 before timing
  /// The k-th timed command: (user index, payload).
  std::pair<size_t, std::string> (*main)(Clients& clients, size_t k);
};

std::string padded(std::string json, size_t size) {
  if (json.size() < size) json.append(size - json.size(), ' ');
  return json;
}

std::vector<RuntimeBench> runtime_benches() {
  return {
      {"anonify-token/v1", "transfer 1 to the next user",
       {runtime::fixtures::init_token("1000000000")},
       [](Clients& c, size_t k) { return std::make_pair(size_t{0}, runtime::fixtures::transfer(c.user(k + 1), "1")); }},
      {"anonify-records/v1", "put 64 bytes into one of the user's 8 records",
       {},
       [](Clients&, size_t k) {
         const size_t u = k % kUsers;
         const std::string id = "u" + std::to_string(u) + "-r" + std::to_string((k / kUsers) % 8);
         return std::make_pair(u, Json{{"op", "put"}, {"id", id}, {"content", std::string(64, 'x')}}.dump());
       }},
      {"anonify-auction/v1", "raise a bid (padded to 160 bytes)",
       {R"({"op":"open","id":"lot-1","item":"benchmark lot","reservePrice":"1"})"},
       [](Clients&, size_t k) {
         // User 0 is the seller; every bid is higher than the bidder's last.
         const size_t u = 1 + k % (kUsers - 1);
         return std::make_pair(u, padded(Json{{"op", "bid"}, {"id", "lot-1"}, {"amount", std::to_string(1000 + k)}}.dump(), 160));
       }},
  };
}

struct RuntimeRow {
  std::string runtime;
  std::string command;
  TimingStat submit;
  TimingStat apply;
  size_t command_size;
};

std::vector<RuntimeRow> bench_runtimes(const std::string& base_dir, size_t rounds, size_t per_round) {
  std::vector<RuntimeRow> rows;
  for (const RuntimeBench& b : runtime_benches()) {
    std::cerr << "runtime " << b.runtime << ": " << rounds << " rounds of " << per_round << " (" << b.command << ")\n";
    const std::string dir = make_temp_dir(base_dir);
    struct Remove {
      std::string dir;
      ~Remove() { std::filesystem::remove_all(dir); }
    } remove{dir};
    InProcessEnclave e(dir);
    const Json evidence = e.call("evidence", Json::object());
    Clients clients(e, from_hex(evidence["hpkePublicKey"].get<std::string>()));
    e.call("mls_admit_evidence", testing::dev_ias::admit_params_of(evidence));
    Json policy = testing::dev_ias::test_policy();
    policy["runtime"] = b.runtime;
    e.call("mls_create_group", Json{{"domain", domain_params(clients.domain())}, {"policy", policy}});
    uint64_t counter = 0;
    for (const std::string& payload : b.setup) transition(e, clients.submit_body(clients.command(0, payload)), ++counter);
    std::vector<std::string> bodies;
    size_t command_size = 0;
    for (size_t k = 0; k < rounds * per_round; ++k) {
      const auto [user, payload] = b.main(clients, k);
      command_size = payload.size();
      bodies.push_back(clients.submit_body(clients.command(user, payload)));
    }
    std::vector<Timing> submit_rounds, apply_rounds;
    for (size_t r = 0; r < rounds; ++r) {
      const RoundMeans m = timed_round(e, bodies, r * per_round, per_round, counter);
      submit_rounds.push_back(m.submit);
      apply_rounds.push_back(m.apply);
    }
    rows.push_back(RuntimeRow{b.runtime, b.command, stat_of(submit_rounds), stat_of(apply_rounds), command_size});
  }
  return rows;
}

void print_runtime_table(std::ostream& out, const std::vector<RuntimeRow>& rows, size_t rounds, size_t per_round) {
  out << "\nRuntimes: each runtime's main command through state_submit and state_apply (" << rounds << " rounds of " << per_round
      << "; median round, CPU time; a fresh enclave and group per runtime):\n\n";
  out << "| Runtime | Command | command bytes | submit/s | apply/s | submit + apply/s | µs (submit + apply) | spread (apply) |\n"
         "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const RuntimeRow& r : rows) {
    const double both = r.submit.cpu.median_us + r.apply.cpu.median_us;
    out << "| " << r.runtime << " | " << r.command << " | " << r.command_size << " | " << format_count(r.submit.cpu.ops_per_second()) << " | "
        << format_count(r.apply.cpu.ops_per_second()) << " | " << format_count(1e6 / both) << " | " << format_micros(both) << " | ±"
        << format_fixed(r.apply.cpu.spread_percent(), 1) << "% |\n";
  }
}

Json json_of(const Stat& s) { return Json{{"medianUs", s.median_us}, {"minUs", s.min_us}, {"maxUs", s.max_us}}; }
Json json_of(const TimingStat& s) { return Json{{"cpu", json_of(s.cpu)}, {"wall", json_of(s.wall)}}; }

int run(const Options& o) {
  const int cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  const int cpu = o.cpu >= 0 ? o.cpu : cpus - 1;
  const bool pinned = pin_to_cpu(cpu);
  std::cerr << "anonify-enclave-bench: " << (pinned ? "pinned to CPU " + std::to_string(cpu) : std::string("NOT pinned"))
            << (o.quick ? ", quick" : ", full") << " run\n";

  const std::string data_dir = make_temp_dir(o.tmpfs_dir);
  const std::string disk_dir = make_temp_dir(o.disk_dir);
  struct Cleanup {
    std::vector<std::string> dirs;
    ~Cleanup() {
      for (const std::string& d : dirs) std::filesystem::remove_all(d);
    }
  } cleanup{{data_dir, disk_dir}};

  std::cerr << "setup: enclave in " << data_dir << ", MLS group, token init, " << kUsers << " funded users\n";
  InProcessEnclave e(data_dir);
  const Json evidence = e.call("evidence", Json::object());
  Clients clients(e, from_hex(evidence["hpkePublicKey"].get<std::string>()));
  // The membership rule: the enclave admits its own leaf only from evidence it verified (development IAS).
  e.call("mls_admit_evidence", testing::dev_ias::admit_params_of(evidence));
  e.call("mls_create_group", Json{{"domain", domain_params(clients.domain())}, {"policy", testing::dev_ias::test_policy()}});
  uint64_t counter = 0;
  transition(e, clients.submit_body(clients.command(0, runtime::fixtures::init_token("1000000000"))), ++counter);
  for (size_t u = 1; u < kUsers; ++u) {
    transition(e, clients.submit_body(clients.command(0, runtime::fixtures::transfer(clients.user(u), "1000000"))), ++counter);
  }

  const size_t rounds = o.quick ? 5 : 15;
  const size_t per_round = o.quick ? 100 : 600;
  const size_t warmup = o.quick ? 30 : 100;
  std::cerr << "pre-generating " << warmup + rounds * per_round << " sealed, signed commands (untimed)\n";
  std::vector<std::string> bodies;
  runtime::SignedCommand sample;
  for (size_t k = 0; k < warmup + rounds * per_round; ++k) {
    sample = clients.command(k, runtime::fixtures::transfer(clients.user(k + 1), "1"));
    bodies.push_back(clients.submit_body(sample));
  }

  PrimitiveInputs inputs;
  inputs.command_json = sample.to_json().dump();
  inputs.command_padded_size = runtime::pad_to_bucket(ByteView::from_string(inputs.command_json), runtime::kEnvelopeBuckets).size();
  inputs.entry_plaintext = runtime::entry_plaintext(sample, clients.domain());
  inputs.entry_padded_size = runtime::pad_to_bucket(inputs.entry_plaintext, runtime::kEntryBuckets).size();
  inputs.payload_json.assign(sample.payload.begin(), sample.payload.end());
  inputs.entry_size = runtime::seal_entry(runtime::make_entry_key(crypto::random_secret(runtime::kEntryKeySize)), runtime::EntryScope{},
                                          runtime::EntryPosition{}, inputs.entry_plaintext)
                          .size();
  // The state lives inside the store manifest (SealedStore::keep_inline): its size from the store.
  inputs.state_size = e.enclave().sealed_store().get(runtime::detail::kStateSealName)->size();
  inputs.manifest_size = std::filesystem::file_size(data_dir + "/" + enclave::kSealManifestName + enclave::kSealedFileSuffix) -
                         enclave::kSealCiphertextOffset - crypto::kAeadTagSize;
  inputs.tmpfs_dir = data_dir;
  inputs.disk_dir = disk_dir;
  std::cerr << "primitives: sizes from this run: command " << inputs.command_json.size() << " B, entry " << inputs.entry_size
            << " B, state " << inputs.state_size << " B, store manifest " << inputs.manifest_size << " B\n";
  PrimitiveSuite suite(inputs, o.quick);

  // Rounds alternate transitions and one batch of every primitive, so both see the same machine.
  std::vector<Timing> submit_rounds, apply_rounds, both_rounds, timer_rounds;
  for (size_t k = 0; k < warmup; ++k) transition(e, bodies[k], ++counter);
  for (size_t r = 0; r < rounds; ++r) {
    std::cerr << "round " << r + 1 << " of " << rounds << ": " << per_round << " transitions (submit + apply), then primitives\n";
    const RoundMeans m = timed_round(e, bodies, warmup + r * per_round, per_round, counter);
    timer_rounds.push_back(m.timer);
    submit_rounds.push_back(m.submit);
    apply_rounds.push_back(m.apply);
    both_rounds.push_back(Timing{m.submit.wall_us + m.apply.wall_us, m.submit.cpu_us + m.apply.cpu_us});
    suite.run_batch(r);
  }
  const std::vector<PrimitiveResult> primitives = suite.results();

  std::vector<PathResult> paths;
  auto add_path = [&](const char* id, const char* label, const char* includes, const std::vector<Timing>& rounds_us,
                      std::vector<CostTerm> terms) {
    PathResult p{id, label, includes, stat_of(rounds_us), std::move(terms), {}};
    p.limit = limit_of(primitives, p.terms);
    paths.push_back(std::move(p));
  };
  add_path("submit", "state_submit", "request parse → HPKE open → verify → nonce → encrypt entry → sign → response",
           submit_rounds, submit_costs());
  add_path("apply", "state_apply", "request parse → open entry → re-verify → apply → state hash → seal + atomic write (tmpfs) → response",
           apply_rounds, apply_costs());
  std::vector<CostTerm> both = submit_costs();
  for (const CostTerm& t : apply_costs()) both.push_back(t);
  add_path("transition", "submit + apply", "one command end to end on the submitting enclave", both_rounds, {});
  paths.back().limit = Timing{paths[0].limit.wall_us + paths[1].limit.wall_us, paths[0].limit.cpu_us + paths[1].limit.cpu_us};

  const TimingStat timer = stat_of(timer_rounds);
  print_tables(std::cout, primitives, paths, per_round, rounds, timer);
  const size_t runtime_rounds = o.quick ? 3 : 7;
  const size_t runtime_per_round = o.quick ? 50 : 300;
  const std::vector<RuntimeRow> runtime_rows = bench_runtimes(o.tmpfs_dir, runtime_rounds, runtime_per_round);
  print_runtime_table(std::cout, runtime_rows, runtime_rounds, runtime_per_round);

  if (!o.json_path.empty()) {
    Json out{{"pinnedCpu", pinned ? Json(cpu) : Json(nullptr)}, {"quick", o.quick}, {"rounds", rounds},
             {"transitionsPerRound", per_round}, {"users", kUsers}, {"targetRatio", kTargetRatio},
             {"sizes", {{"command", inputs.command_json.size()}, {"entry", inputs.entry_size}, {"state", inputs.state_size}}},
             {"timerOverhead", json_of(timer)}, {"primitives", Json::array()}, {"paths", Json::array()}};
    for (const PrimitiveResult& p : primitives) {
      out["primitives"].push_back(Json{{"id", p.id}, {"label", p.label}, {"inLimit", p.in_limit}, {"stat", json_of(p.stat)}});
    }
    for (const PathResult& p : paths) {
      out["paths"].push_back(Json{{"id", p.id}, {"label", p.label}, {"includes", p.includes}, {"stat", json_of(p.stat)},
                                  {"limitUs", Json{{"cpu", p.limit.cpu_us}, {"wall", p.limit.wall_us}}},
                                  {"ratio", Json{{"cpu", cpu_ratio(p)}, {"wall", wall_ratio(p)}}}});
    }
    out["runtimes"] = Json::array();
    for (const RuntimeRow& r : runtime_rows) {
      out["runtimes"].push_back(Json{{"runtime", r.runtime}, {"command", r.command}, {"commandBytes", r.command_size},
                                     {"submit", json_of(r.submit)}, {"apply", json_of(r.apply)}});
    }
    std::ofstream(o.json_path) << out.dump(2) << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace anonify::bench

int main(int argc, char** argv) {
  try {
    return anonify::bench::run(anonify::bench::parse_options(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << "anonify-enclave-bench: " << e.what() << "\n";
    return 1;
  }
}
