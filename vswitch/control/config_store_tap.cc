// SPDX-License-Identifier: Apache-2.0
//
// ConfigStore: mirror destinations and TAP sessions (their rings, writers
// and counter slots are MirrorResources').
#include <glog/logging.h>

#include "absl/strings/str_format.h"
#include "lib/status/status_macros.h"
#include "vswitch/control/config_file.h"
#include "vswitch/control/config_lookup.h"
#include "vswitch/control/config_store.h"
#include "vswitch/control/validator.h"

namespace vswitch::control {

std::string ConfigStore::SessionUsing(const std::string& field, const std::string& name) const {
  for (const auto& s : config_.tap_sessions()) {
    const auto& list = field == "sources" ? s.sources() : s.destinations();
    for (const auto& n : list) {
      if (n == name) {
        return s.name();
      }
    }
  }
  return "";
}

absl::StatusOr<v1::MirrorDestination> ConfigStore::CreateMirrorDestination(
    const v1::MirrorDestination& req) {
  absl::ReleasableMutexLock lock(&mu_);
  MirrorResources::State& mirror = mirror_.state();
  v1::MirrorDestination d = req;
  d.clear_id();
  if (d.udp_port() == 0 && !d.has_pcapng()) {
    d.set_udp_port(4789);
  }
  VS_RETURN_IF_ERROR(ValidateDestination(d, config_, "destination."));
  d.set_id(next_dest_id_);
  const int slot = MirrorResources::FreeSlot(mirror.dest_slots);
  if (slot < 0) {
    return absl::ResourceExhaustedError("destination: every counter slot is in use");
  }
  VS_ASSIGN_OR_RETURN(const DestRings rings,
                      mirror_.CreateRings(d, "destination", /*name_dest=*/false, "destination."));
  v1::Config candidate = config_;
  *candidate.add_destinations() = d;
  mirror.dest_slots[d.id()] = static_cast<uint16_t>(slot);
  mirror.dest_rings[d.id()] = rings;
  stats_->ResetDestinationSlot(static_cast<uint16_t>(slot));
  absl::Status st = Commit(std::move(candidate));
  if (!st.ok()) {
    mirror.dest_slots.erase(d.id());
    mirror.dest_rings.erase(d.id());
    MirrorResources::FreeRings(rings);
    return st;
  }
  ++next_dest_id_;
  LOG(INFO) << "mirror destination " << d.name() << " created (id " << d.id() << ")";
  VS_RETURN_IF_ERROR(ReleaseAndWaitDurable(lock));
  return d;
}

absl::Status ConfigStore::DeleteMirrorDestination(const std::string& name) {
  absl::ReleasableMutexLock lock(&mu_);
  MirrorResources::State& mirror = mirror_.state();
  const int idx = IndexByName(config_.destinations(), name);
  if (idx < 0) {
    return absl::NotFoundError(absl::StrFormat("name: destination '%s' does not exist", name));
  }
  if (std::string s = SessionUsing("destinations", name); !s.empty()) {
    return absl::FailedPreconditionError(
        absl::StrFormat("name: destination '%s' is used by TAP session '%s'", name, s));
  }
  const uint32_t id = config_.destinations(idx).id();
  v1::Config candidate = config_;
  candidate.mutable_destinations()->DeleteSubrange(idx, 1);
  const DestRings rings = mirror.dest_rings.at(id);
  const uint16_t slot = mirror.dest_slots.at(id);
  mirror.dest_rings.erase(id);
  mirror.dest_slots.erase(id);
  absl::Status st = Commit(std::move(candidate));
  if (!st.ok()) {
    mirror.dest_rings[id] = rings;
    mirror.dest_slots[id] = slot;
    return st;
  }
  // No worker may still enqueue to or dequeue from the rings.
  publisher_->Synchronize();
  MirrorResources::FreeRings(rings);
  LOG(INFO) << "mirror destination " << name << " deleted";
  return ReleaseAndWaitDurable(lock);
}

v1::ListMirrorDestinationsResponse ConfigStore::ListMirrorDestinations() const {
  absl::MutexLock lock(&mu_);
  v1::ListMirrorDestinationsResponse resp;
  *resp.mutable_destinations() = config_.destinations();
  return resp;
}

v1::TapSession ConfigStore::NormalizedSession(const v1::TapSession& req, uint32_t id) {
  v1::TapSession s = req;
  s.set_id(id);
  NormalizeTapSession(&s);
  return s;
}

absl::StatusOr<v1::TapSession> ConfigStore::CreateTapSession(const v1::TapSession& req) {
  absl::ReleasableMutexLock lock(&mu_);
  MirrorResources::State& mirror = mirror_.state();
  v1::TapSession s = NormalizedSession(req, 0);
  VS_RETURN_IF_ERROR(ValidateTapSession(s, config_, "session."));
  const int slot = MirrorResources::FreeSlot(mirror.session_slots);
  if (slot < 0) {
    return absl::ResourceExhaustedError("session: every counter slot is in use");
  }
  s.set_id(next_session_id_);
  v1::Config candidate = config_;
  *candidate.add_tap_sessions() = s;
  mirror.session_slots[s.id()] = static_cast<uint16_t>(slot);
  stats_->ResetSessionSlot(static_cast<uint16_t>(slot));
  absl::Status st = Commit(std::move(candidate));
  if (!st.ok()) {
    mirror.session_slots.erase(s.id());
    return st;
  }
  ++next_session_id_;
  LOG(INFO) << "TAP session " << s.name() << " created (id " << s.id() << ")";
  VS_RETURN_IF_ERROR(ReleaseAndWaitDurable(lock));
  return s;
}

absl::StatusOr<v1::TapSession> ConfigStore::UpdateTapSession(const v1::TapSession& req) {
  absl::ReleasableMutexLock lock(&mu_);
  const int idx = IndexByName(config_.tap_sessions(), req.name());
  if (idx < 0) {
    return absl::NotFoundError(
        absl::StrFormat("session.name: TAP session '%s' does not exist", req.name()));
  }
  v1::TapSession s = NormalizedSession(req, config_.tap_sessions(idx).id());
  v1::Config others = config_;
  others.mutable_tap_sessions()->DeleteSubrange(idx, 1);
  VS_RETURN_IF_ERROR(ValidateTapSession(s, others, "session."));
  v1::Config candidate = config_;
  *candidate.mutable_tap_sessions(idx) = s;
  VS_RETURN_IF_ERROR(Commit(std::move(candidate)));
  VLOG(1) << "TAP session " << s.name() << " updated";
  VS_RETURN_IF_ERROR(ReleaseAndWaitDurable(lock));
  return s;
}

absl::Status ConfigStore::DeleteTapSession(const std::string& name) {
  absl::ReleasableMutexLock lock(&mu_);
  MirrorResources::State& mirror = mirror_.state();
  const int idx = IndexByName(config_.tap_sessions(), name);
  if (idx < 0) {
    return absl::NotFoundError(absl::StrFormat("name: TAP session '%s' does not exist", name));
  }
  const uint32_t id = config_.tap_sessions(idx).id();
  v1::Config candidate = config_;
  candidate.mutable_tap_sessions()->DeleteSubrange(idx, 1);
  VS_RETURN_IF_ERROR(Commit(std::move(candidate)));
  // Copies in flight may still carry the slot; a new session taking it
  // resets its counters' baseline.
  mirror.session_slots.erase(id);
  LOG(INFO) << "TAP session " << name << " deleted";
  return ReleaseAndWaitDurable(lock);
}

v1::ListTapSessionsResponse ConfigStore::ListTapSessions() const {
  absl::MutexLock lock(&mu_);
  v1::ListTapSessionsResponse resp;
  *resp.mutable_sessions() = config_.tap_sessions();
  return resp;
}

}  // namespace vswitch::control
