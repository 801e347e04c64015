// SPDX-License-Identifier: Apache-2.0
#include "vswitch/shell/rpc_name_provider.h"

#include <string>
#include <vector>

#include "vswitch/api/vswitch.grpc.pb.h"
#include "vswitch/api/vswitch.pb.h"

namespace vswitch::shell {
namespace {

using Stub = v1::VSwitch::StubInterface;

// Calls `method` and returns the name of every object `items(reply)` lists.
template <typename Request, typename Response, typename Items>
std::vector<std::string> ListNames(Client& client, Method<Request, Response> method, Items items) {
  Response reply;
  std::vector<std::string> names;
  if (!client.Call(method, Request(), &reply, RpcNameProvider::kDeadline).ok()) {
    return names;
  }
  for (const auto& item : items(reply)) {
    names.push_back(item.name());
  }
  return names;
}

}  // namespace

std::vector<std::string> RpcNameProvider::Names(ValueType type) {
  switch (type) {
    case ValueType::kVNetName:
      return ListNames(
          client_, &Stub::ListVNets,
          [](const v1::ListVNetsResponse& r) -> const auto& { return r.vnets(); });
    case ValueType::kVPortName:
      return ListNames(
          client_, &Stub::ListVPorts,
          [](const v1::ListVPortsResponse& r) -> const auto& { return r.vports(); });
    case ValueType::kDestinationName:
      return ListNames(
          client_, &Stub::ListMirrorDestinations,
          [](const v1::ListMirrorDestinationsResponse& r) -> const auto& {
            return r.destinations();
          });
    case ValueType::kSessionName:
      return ListNames(
          client_, &Stub::ListTapSessions,
          [](const v1::ListTapSessionsResponse& r) -> const auto& { return r.sessions(); });
    default:
      return {};
  }
}

}  // namespace vswitch::shell
