// SPDX-License-Identifier: Apache-2.0
//
// Fuzz target: the config file loader (ParseConfigText, NormalizeConfig,
// ValidateConfig: the steps of LoadConfigFile) on arbitrary text.
//
// Invariants: a syntax error is InvalidArgument "SOURCE:LINE:COLUMN: ..."
// with a 1-based position; a validation error has a documented code and
// names the field path ("vports[1].vnet: ..."); normalising is idempotent;
// an accepted config written back by ConfigToText parses to the same
// config, which is still accepted.
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "test/fuzz/fuzz_check.h"
#include "vswitch/control/config_file.h"
#include "vswitch/control/validator.h"

namespace {

constexpr char kSource[] = "fuzz.conf";

// "fuzz.conf:LINE:COLUMN: " with LINE, COLUMN >= 1.
bool HasPosition(const std::string& msg) {
  const std::string head = std::string(kSource) + ":";
  if (!absl::StartsWith(msg, head)) {
    return false;
  }
  size_t p = head.size();
  for (int field = 0; field < 2; ++field) {
    size_t digits = 0;
    long v = 0;
    while (p < msg.size() && msg[p] >= '0' && msg[p] <= '9' && digits < 9) {
      v = v * 10 + (msg[p] - '0');
      ++p;
      ++digits;
    }
    if (digits == 0 || v < 1 || p >= msg.size() || msg[p] != ':') {
      return false;
    }
    ++p;
  }
  return true;
}

bool NamesConfigField(const std::string& msg) {
  for (const char* f :
       {"vnets[", "vports[", "fdb[", "destinations[", "tap_sessions[", "neighbors["}) {
    if (absl::StartsWith(msg, f)) {
      return true;
    }
  }
  return false;
}

bool Same(const vswitch::v1::Config& a, const vswitch::v1::Config& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

void Quiet(google::protobuf::LogLevel, const char*, int, const std::string&) {}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Invalid UTF-8 in string fields is logged by protobuf, for every input.
  google::protobuf::SetLogHandler(Quiet);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vswitch;
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<v1::Config> parsed = control::ParseConfigText(text, kSource);
  if (!parsed.ok()) {
    const std::string msg(parsed.status().message());
    FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument, "code %s",
               parsed.status().ToString().c_str());
    FUZZ_CHECK(HasPosition(msg), "syntax error without SOURCE:LINE:COLUMN: %s", msg.c_str());
    return 0;
  }
  v1::Config config = *std::move(parsed);
  control::NormalizeConfig(&config);
  v1::Config again = config;
  control::NormalizeConfig(&again);
  FUZZ_CHECK(Same(config, again), "NormalizeConfig is not idempotent");

  const absl::Status st = control::ValidateConfig(config);
  if (!st.ok()) {
    const std::string msg(st.message());
    FUZZ_CHECK(DocumentedValidationCode(st.code()), "undocumented code: %s",
               st.ToString().c_str());
    FUZZ_CHECK(NamesConfigField(msg), "error does not name the field: %s", msg.c_str());
    return 0;
  }
  // What vswitchd writes back after a change must load as the same config.
  const std::string written = control::ConfigToText(config);
  absl::StatusOr<v1::Config> reread = control::ParseConfigText(written, kSource);
  FUZZ_CHECK(reread.ok(), "written config does not parse: %s\n%s",
             reread.status().ToString().c_str(), written.c_str());
  control::NormalizeConfig(&*reread);
  FUZZ_CHECK(Same(config, *reread), "written config reads back different:\n%s", written.c_str());
  const absl::Status st2 = control::ValidateConfig(*reread);
  FUZZ_CHECK(st2.ok(), "written config no longer validates: %s", st2.ToString().c_str());
  return 0;
}
