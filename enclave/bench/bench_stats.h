// Timing helpers of the enclave benchmarks: batches timed on two clocks, median and spread over
// repetitions, pinning to one core. Measurement only: nothing here decides pass or fail.
//
// Two clocks: steady_clock (wall time) and this thread's CPU time (user + system, including the
// kernel work of our own syscalls). On a quiet machine they agree; on a shared one the wall clock
// also counts the time the scheduler gave our core to someone else, the CPU clock does not.
#pragma once

#include <sched.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

namespace anonify::bench {

using Clock = std::chrono::steady_clock;

inline double thread_cpu_micros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

/// Wall and CPU time since construction.
class Stopwatch {
 public:
  Stopwatch() : wall_(Clock::now()), cpu_(thread_cpu_micros()) {}
  double wall_us() const { return std::chrono::duration<double, std::micro>(Clock::now() - wall_).count(); }
  double cpu_us() const { return thread_cpu_micros() - cpu_; }

 private:
  Clock::time_point wall_;
  double cpu_;
};

/// A time on both clocks (µs).
struct Timing {
  double wall_us = 0;
  double cpu_us = 0;
};

/// Median and spread of a per-operation time over repetitions (µs).
struct Stat {
  double median_us = 0;
  double min_us = 0;
  double max_us = 0;

  double ops_per_second() const { return median_us > 0 ? 1e6 / median_us : 0; }
  /// Spread as ±% of the median: half the min..max range.
  double spread_percent() const { return median_us > 0 ? 50.0 * (max_us - min_us) / median_us : 0; }
};

inline Stat stat_of(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  Stat s;
  if (samples.empty()) return s;
  const size_t n = samples.size();
  s.median_us = n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  s.min_us = samples.front();
  s.max_us = samples.back();
  return s;
}

/// Median and spread on both clocks.
struct TimingStat {
  Stat wall;
  Stat cpu;
};

inline TimingStat stat_of(const std::vector<Timing>& samples) {
  std::vector<double> wall, cpu;
  for (const Timing& t : samples) {
    wall.push_back(t.wall_us);
    cpu.push_back(t.cpu_us);
  }
  return TimingStat{stat_of(std::move(wall)), stat_of(std::move(cpu))};
}

/// What one Stopwatch interval costs with nothing in it (median of `samples` empty intervals). A
/// call timed on its own carries it: the CPU clock is read by a system call (CLOCK_THREAD_CPUTIME_ID
/// has no vDSO path), and about one call's worth of it lands between the two readings (~0.9 µs on
/// the 2-core VM). Batches (time_batch) spread it over their ops; single calls subtract it.
inline Timing stopwatch_overhead(size_t samples = 2001) {
  std::vector<double> wall, cpu;
  wall.reserve(samples);
  cpu.reserve(samples);
  for (size_t i = 0; i < samples; ++i) {
    const Stopwatch watch;
    wall.push_back(watch.wall_us());
    cpu.push_back(watch.cpu_us());
  }
  return Timing{stat_of(std::move(wall)).median_us, stat_of(std::move(cpu)).median_us};
}

/// Runs `op` `warmup` times untimed, then `ops` times timed; time per call.
template <typename Op>
Timing time_batch(size_t ops, size_t warmup, Op&& op) {
  for (size_t i = 0; i < warmup; ++i) op();
  const Stopwatch watch;
  for (size_t i = 0; i < ops; ++i) op();
  const double n = static_cast<double>(ops);
  return Timing{watch.wall_us() / n, watch.cpu_us() / n};
}

/// Pins the process to one CPU so every figure is a one-core figure. Returns false (and the run
/// goes on unpinned, saying so) when the CPU is not available.
inline bool pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof(set), &set) == 0;
}

inline std::string format_fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, value);
  return buf;
}

/// 12345.6 -> "12,346" (thousands separators, no decimals).
inline std::string format_count(double value) {
  std::string digits = format_fixed(value, 0);
  std::string out;
  const size_t lead = digits.size() % 3 == 0 ? 3 : digits.size() % 3;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (i - lead) % 3 == 0 && i >= lead) out += ',';
    out += digits[i];
  }
  return out;
}

/// µs with a precision that suits the size (0.123, 1.23, 12.3, 123).
inline std::string format_micros(double us) {
  return format_fixed(us, us < 1 ? 3 : us < 10 ? 2 : us < 100 ? 1 : 0);
}

}  // namespace anonify::bench
