#include "store/relay_store.h"

#include <algorithm>

namespace sotto::store {

bool valid_username(std::string_view name) noexcept {
    if (name.size() < 3 || name.size() > 32 || name.front() < 'a' || name.front() > 'z') {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    });
}

} // namespace sotto::store
