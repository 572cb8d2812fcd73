#pragma once
// A fake process environment for code that takes a store::environment_lookup.

#include "store/paths.h"

#include <map>
#include <string>

namespace sotto::testing {

inline store::environment_lookup fake_environment(std::map<std::string, std::string> variables) {
    return [variables = std::move(variables)](std::string_view name) -> std::optional<std::string> {
        const auto found = variables.find(std::string(name));
        if (found == variables.end()) {
            return std::nullopt;
        }
        return found->second;
    };
}

} // namespace sotto::testing
