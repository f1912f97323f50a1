// Deterministic crash injection for the host's recovery tests (docs/recovery.md).
//
// In SIMULATION mode only, when the environment variable ANONIFY_ENCLAVE_CRASH_AT is "<point>" or
// "<point>#<n>", the process kills itself with SIGKILL (no cleanup, exactly like `kill -9`) the n-th time
// (default 1st) it reaches that point. Points are named after what just happened or is about to:
//   seal:<name>:before   before the sealed file <name> is written (e.g. seal:runtime-state:before)
//   seal:<name>:after    after it is durably on disk (a blob kept inside the store manifest: after the
//                        manifest that carries it), before the response is sent
// Under SGX the hook never fires: the environment is the untrusted host's, and a crash there is the host's
// business anyway (it can always kill the enclave).
#ifndef ANONIFY_ENCLAVE_CRASH_POINT_H_
#define ANONIFY_ENCLAVE_CRASH_POINT_H_

#include <string_view>

#include "anonify/enclave/platform.h"

namespace anonify::enclave {

inline constexpr char kCrashPointEnv[] = "ANONIFY_ENCLAVE_CRASH_AT";

void crash_point(Mode mode, std::string_view point);
/// crash_point(mode, prefix + name + suffix), the name built only when a crash point is set: the
/// sealed store passes every write through two of them.
void crash_point(Mode mode, std::string_view prefix, std::string_view name, std::string_view suffix);

}  // namespace anonify::enclave

#endif  // ANONIFY_ENCLAVE_CRASH_POINT_H_
