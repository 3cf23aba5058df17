// The JSON objects ctl writes for the trader's commands (one line each).
#pragma once

#include <stddef.h>

#include "atoll/protocols/trader.h"
#include "json_writer.h"

namespace atoll_os::servers::ctl {

/// {"ok":true,"cmd":"trader","matched":N,"considered":N,"node":{NODE}}, where NODE is
/// {"node":..,"isa":"x86_64","abi":..,"load":"0.250","mem_total_mib":..,"mem_free_mib":..,
/// "processes":..,"age_ms":..,"features":"sse,sse2,..."}
void render_trader_query(JsonWriter& json, const protocols::trader::QueryReply& reply);
/// {"ok":true,"cmd":"trader","self":N,"nodes":[NODE,...]}
void render_trader_view(JsonWriter& json, uint32_t self, const protocols::trader::NodeOffer* nodes,
                        size_t count);

}  // namespace atoll_os::servers::ctl
