#include "store/relay_store.h"

#include <algorithm>
#include <map>
#include <utility>

namespace sotto::store {

bool valid_username(std::string_view name) noexcept {
    if (name.size() < 3 || name.size() > 32 || name.front() < 'a' || name.front() > 'z') {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    });
}

void relay_store::acknowledge_batch(std::span<const acknowledgement> acked, unix_seconds now) {
    std::map<std::string, std::vector<std::pair<std::string, message_id>>, std::less<>>
        by_recipient;
    for (const auto& item : acked) {
        by_recipient[item.recipient].emplace_back(item.sender, item.id);
    }
    for (const auto& [recipient, items] : by_recipient) {
        acknowledge(recipient, items, now);
    }
}

} // namespace sotto::store
