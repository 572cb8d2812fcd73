#include "crypto/padding.h"

#include <array>

namespace sotto::crypto {

namespace {
constexpr std::array<std::size_t, 5> buckets{64, 256, 1024, 4096, 16384};
}

std::optional<std::size_t> padded_size(std::size_t size) noexcept {
    for (const std::size_t bucket : buckets) {
        if (size < bucket) {
            return bucket;
        }
    }
    const std::size_t step = buckets.back();
    const std::size_t rounded = (size / step + 1) * step;
    if (rounded > max_padded_size) {
        return std::nullopt;
    }
    return rounded;
}

std::optional<std::vector<byte>> pad(bytes_view plaintext) {
    const auto size = padded_size(plaintext.size());
    if (!size) {
        return std::nullopt;
    }
    std::vector<byte> out(*size, 0);
    std::copy(plaintext.begin(), plaintext.end(), out.begin());
    out[plaintext.size()] = 0x80;
    return out;
}

std::optional<bytes_view> unpad(bytes_view padded) noexcept {
    bool valid_size =
        padded.size() % buckets.back() == 0 && !padded.empty() && padded.size() <= max_padded_size;
    for (const std::size_t bucket : buckets) {
        valid_size = valid_size || padded.size() == bucket;
    }
    if (!valid_size) {
        return std::nullopt;
    }
    std::size_t end = padded.size();
    while (end > 0 && padded[end - 1] == 0) {
        --end;
    }
    if (end == 0 || padded[end - 1] != 0x80) {
        return std::nullopt;
    }
    return padded.first(end - 1);
}

} // namespace sotto::crypto
