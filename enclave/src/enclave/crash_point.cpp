#include "anonify/enclave/crash_point.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <string>

namespace anonify::enclave {
namespace {

struct CrashTarget {
  std::string point;
  unsigned long hit = 1;
};

// Read once: the environment does not change while the enclave runs.
const CrashTarget* crash_target() {
  static const CrashTarget* target = [] () -> const CrashTarget* {
    const char* value = std::getenv(kCrashPointEnv);
    if (value == nullptr || *value == '\0') return nullptr;
    static CrashTarget parsed;
    std::string spec(value);
    const size_t hash = spec.find('#');
    parsed.point = spec.substr(0, hash);
    if (hash != std::string::npos) parsed.hit = std::strtoul(spec.c_str() + hash + 1, nullptr, 10);
    return &parsed;
  }();
  return target;
}

}  // namespace

void crash_point(Mode mode, std::string_view prefix, std::string_view name, std::string_view suffix) {
  if (mode != Mode::kSimulation || crash_target() == nullptr) return;
  std::string point;
  point.reserve(prefix.size() + name.size() + suffix.size());
  point.append(prefix).append(name).append(suffix);
  crash_point(mode, point);
}

void crash_point(Mode mode, std::string_view point) {
  if (mode != Mode::kSimulation) return;
  const CrashTarget* target = crash_target();
  if (target == nullptr || target->point != point) return;
  static std::map<std::string, unsigned long, std::less<>> hits;
  if (++hits[std::string(point)] != target->hit) return;
  const std::string line = "anonify-enclave: crash point " + std::string(point) + "#" + std::to_string(target->hit) +
                           " reached (" + kCrashPointEnv + "): SIGKILL\n";
  // write(2) straight to stderr: nothing buffered may be lost, nothing else may run.
  [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
  ::kill(::getpid(), SIGKILL);
}

}  // namespace anonify::enclave
