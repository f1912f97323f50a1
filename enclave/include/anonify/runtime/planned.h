// The plan / execute shape of a runtime whose check() must not copy its state (runtime.h, check):
// a const plan() runs every rule and returns what to write, or calls reject(reason); execute()
// writes the plan and cannot fail. apply() is plan then execute, check() is plan alone, so check
// gives apply's verdict and reason by construction. Part of the runtime SDK (sdk.h); the token,
// records and auction runtimes are built this way.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include "anonify/runtime/json_input.h"
#include "anonify/runtime/runtime.h"

namespace anonify::runtime {

/// A rule's refusal, raised inside plan() (reject) and turned into Transition::reject before
/// anything is written.
struct Rejection {
  std::string reason;
};

/// Refuses the command with `reason` (a stable string: it is recorded in the log).
[[noreturn]] inline void reject(std::string reason) { throw Rejection{std::move(reason)}; }

/// Refuses a command of the wrong shape: "malformed command: <problem>".
[[noreturn]] inline void reject_malformed(const std::string& problem) { reject("malformed command: " + problem); }

/// Refuses (reject_malformed) a command that does not have exactly the string members `names`.
inline void require_string_members(const Json& command, std::initializer_list<const char*> names) {
  const std::string problem = detail::check_string_members(command, names);
  if (!problem.empty()) reject_malformed(problem);
}

/// apply(): `plan()` then `execute(plan)`; a Rejection from plan() is the transition's rejection.
template <typename PlanFn, typename ExecuteFn>
Transition plan_then_execute(PlanFn&& plan, ExecuteFn&& execute) {
  std::optional<decltype(plan())> planned;
  try {
    planned.emplace(plan());
  } catch (const Rejection& r) {
    return Transition::reject(r.reason);
  }
  return execute(*planned);
}

/// check(): `plan()` alone; accepted (with no `affected`) unless it rejects.
template <typename PlanFn>
Transition plan_only(PlanFn&& plan) {
  try {
    plan();
  } catch (const Rejection& r) {
    return Transition::reject(r.reason);
  }
  return Transition::accept({});
}

}  // namespace anonify::runtime
