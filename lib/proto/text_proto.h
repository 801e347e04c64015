// SPDX-License-Identifier: Apache-2.0
//
// Protobuf text format in and out, with errors an operator can act on: the
// first parse error as "SOURCE:LINE:COLUMN: problem" (1-based), which names
// the unknown field or the bad value. Used by vswitchd's config file and by
// `vsctl save` / `vsctl load`. Thread: any.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace vswitch::proto {

// Parses the whole of `text` into `message` (cleared first). `source` names
// the text in errors. Errors: InvalidArgument "SOURCE:LINE:COLUMN: problem".
absl::Status ParseTextProto(const std::string& text, const std::string& source,
                            google::protobuf::Message* message);

// `message` in text format, after `header` (comment lines, each "# ...\n").
std::string TextProtoWithHeader(const google::protobuf::Message& message,
                                const std::string& header);

}  // namespace vswitch::proto
