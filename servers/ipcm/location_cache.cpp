// The location cache: epochs only move forward; least recently used entries are evicted.
#include "location_cache.h"

namespace atoll_os::servers::ipcm {

LocationCache::Entry* LocationCache::find(PortId port) {
  for (Entry& e : entries_) {
    if (e.last_use != 0 && e.port == port) return &e;
  }
  return nullptr;
}

LocationCache::Entry& LocationCache::victim() {
  Entry* oldest = &entries_[0];
  for (Entry& e : entries_) {
    if (e.last_use == 0) return e;
    if (e.last_use < oldest->last_use) oldest = &e;
  }
  return *oldest;
}

Location LocationCache::locate(PortId port) {
  Entry* e = find(port);
  if (e == nullptr) return Location{port.origin_node(), 0};
  e->last_use = ++clock_;
  return e->location;
}

bool LocationCache::update(PortId port, Location location) {
  Entry* e = find(port);
  if (e != nullptr && e->location.epoch >= location.epoch) return false;
  if (e == nullptr) {
    e = &victim();
    if (e->last_use == 0) ++size_;
  }
  *e = Entry{port, location, ++clock_};
  return true;
}

size_t LocationCache::forget_node(uint16_t node) {
  size_t forgotten = 0;
  for (Entry& e : entries_) {
    if (e.last_use == 0 || e.location.node != node) continue;
    e.last_use = 0;
    ++forgotten;
  }
  size_ -= forgotten;
  return forgotten;
}

void LocationCache::forget(PortId port) {
  Entry* e = find(port);
  if (e == nullptr) return;
  e->last_use = 0;
  --size_;
}

}  // namespace atoll_os::servers::ipcm
