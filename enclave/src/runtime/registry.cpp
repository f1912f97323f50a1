#include "anonify/runtime/registry.h"

#include <cstdio>
#include <cstdlib>
#include <map>

#include "anonify/error.h"

namespace anonify::runtime {

namespace {

// A function-local table: registrations run from static initialisers of other translation units,
// in an unspecified order, so the table must exist before the first of them.
std::map<std::string, RuntimeFactory, std::less<>>& runtime_table() {
  static std::map<std::string, RuntimeFactory, std::less<>> table;
  return table;
}

bool name_char(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return !first && (c == '.' || c == '_' || c == '/' || c == '-');
}

}  // namespace

bool valid_runtime_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxRuntimeNameSize) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0)) return false;
  }
  return true;
}

RuntimeRegistration::RuntimeRegistration(std::string_view name, RuntimeFactory make) {
  // Runs before main(): no exception can be caught here, so a broken build stops loudly at once.
  if (!valid_runtime_name(name) || make == nullptr || !runtime_table().emplace(std::string(name), make).second) {
    std::fprintf(stderr, "anonify: runtime registration refused (invalid or duplicate name \"%.*s\")\n",
                 static_cast<int>(name.size()), name.data());
    std::abort();
  }
}

bool carries_runtime(std::string_view name) { return runtime_table().find(name) != runtime_table().end(); }

std::vector<std::string> carried_runtimes() {
  std::vector<std::string> names;
  for (const auto& entry : runtime_table()) names.push_back(entry.first);
  return names;
}

std::unique_ptr<Runtime> make_runtime(std::string_view name) {
  const auto found = runtime_table().find(name);
  if (!valid_runtime_name(name)) throw Error(ErrorCode::kRuntimeUnavailable, "not a runtime name");
  if (found == runtime_table().end()) {
    throw Error(ErrorCode::kRuntimeUnavailable, "this enclave does not carry the runtime \"" + std::string(name) + "\"");
  }
  return found->second();
}

}  // namespace anonify::runtime
