// Register, look up and unregister names; release a finished process's names.
#include "name_service.h"

namespace atoll_os::servers::names {
namespace {

using protocols::Call;
using protocols::Empty;

// The name in a request, or an empty view if it is unterminated.
std::string_view name_of(const protocols::names::NameRequest& request) {
  size_t length = protocols::text_length(request.name);
  if (length == sizeof(request.name)) return {};
  return {request.name, length};
}

}  // namespace

Result<Empty> NameService::register_name(const protocols::names::NameRequest& request, Call& call) {
  std::string_view name = name_of(request);
  if (!NameTable::valid_name(name)) return call.fail(Error::kInvalidArgument, "invalid name");
  if (call.received.count != 1) return call.fail(Error::kInvalidArgument, "no endpoint handle");
  Result<abi::HandleInfo> info = kernel_.info(call.received.values[0]);
  if (!info.ok() || info->type != abi::ObjectType::kEndpoint) {
    return call.fail(Error::kInvalidArgument, "the handle is not an endpoint");
  }
  if ((info->rights & kRegisteredRights) != kRegisteredRights) {
    return call.fail(Error::kAccessDenied, "the endpoint needs write, duplicate and transfer");
  }
  Result<void> added = table_.add(call.badge, name, call.received.values[0]);
  if (!added.ok()) {
    return call.fail(added.error(), added.error() == Error::kAlreadyExists
                                        ? "name taken"
                                        : "name table full or quota reached");
  }
  call.received.take(0);  // the table owns it now
  return Empty{};
}

Result<Empty> NameService::lookup(const protocols::names::NameRequest& request, Call& call) {
  Result<abi::Handle> endpoint = table_.find(name_of(request));
  if (!endpoint.ok()) return call.fail(Error::kNotFound, "no such name");
  abi::Handle copy = TRY(kernel_.duplicate(*endpoint, kLookupRights));
  call.reply.add(copy);
  return Empty{};
}

Result<Empty> NameService::unregister(const protocols::names::NameRequest& request, Call& call) {
  Result<abi::Handle> removed = table_.remove(call.badge, name_of(request));
  if (!removed.ok()) {
    return call.fail(removed.error(),
                     removed.error() == Error::kNotFound ? "no such name" : "not the owner");
  }
  kernel_.close(*removed);
  return Empty{};
}

Result<protocols::names::ReleaseReply> NameService::release_owner(
    const protocols::names::OwnerRequest& request, Call& call) {
  if (call.badge != protocols::kSystemBadge) {
    return call.fail(Error::kAccessDenied, "only pm releases names");
  }
  abi::Handle endpoints[kMaxNamesPerOwner];
  size_t removed = table_.remove_owner(request.owner, endpoints);
  for (size_t i = 0; i < removed; ++i) kernel_.close(endpoints[i]);
  return protocols::names::ReleaseReply{static_cast<uint32_t>(removed), 0};
}

}  // namespace atoll_os::servers::names
