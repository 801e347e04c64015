// SPDX-License-Identifier: Apache-2.0
#include "lib/proto/text_proto.h"

#include <string>

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include "absl/strings/str_format.h"

namespace vswitch::proto {
namespace {

// Keeps the first error (later ones are usually consequences of it).
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (error_.empty()) {
      // The parser counts from 0; editors count from 1.
      error_ = absl::StrFormat("%d:%d: %s", line + 1, column + 1, message);
    }
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

}  // namespace

absl::Status ParseTextProto(const std::string& text, const std::string& source,
                            google::protobuf::Message* message) {
  google::protobuf::TextFormat::Parser parser;
  FirstErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, message)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s:%s", source, errors.error().empty() ? std::string("0:0: cannot parse") : errors.error()));
  }
  return absl::OkStatus();
}

std::string TextProtoWithHeader(const google::protobuf::Message& message,
                                const std::string& header) {
  std::string text;
  google::protobuf::TextFormat::Printer printer;
  printer.PrintToString(message, &text);
  return header + text;
}

}  // namespace vswitch::proto
