#pragma once
// Bounded big-endian writing and reading of the hand-written byte layouts in docs/PROTOCOL.md.
// A reader never reads past its input: after the first short read every later read yields
// zeros and ok() stays false, so parsers check ok() once at the end.

#include "crypto/types.h"

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace sotto::crypto {

class byte_writer {
  public:
    explicit byte_writer(std::vector<byte>& out) : out_(out) {}

    void u8(std::uint8_t value) { out_.push_back(value); }
    void u16(std::uint16_t value) { big_endian(value, 2); }
    void u32(std::uint32_t value) { big_endian(value, 4); }
    void u64(std::uint64_t value) { big_endian(value, 8); }
    void raw(bytes_view data) { append(data.data(), data.size()); }
    void text(std::string_view data) { append(data.data(), data.size()); }
    // A u32 length then the bytes.
    void blob(bytes_view data) {
        u32(static_cast<std::uint32_t>(data.size()));
        raw(data);
    }

  private:
    // resize + memcpy rather than insert: GCC 12 at -O3 misreports insert after push_back.
    void append(const void* data, std::size_t size) {
        if (size == 0) {
            return;
        }
        const std::size_t old_size = out_.size();
        out_.resize(old_size + size);
        std::memcpy(out_.data() + old_size, data, size);
    }
    void big_endian(std::uint64_t value, unsigned width) {
        for (unsigned i = width; i > 0; --i) {
            out_.push_back(static_cast<byte>(value >> (8U * (i - 1))));
        }
    }
    std::vector<byte>& out_;
};

class byte_reader {
  public:
    explicit byte_reader(bytes_view in) : in_(in) {}

    [[nodiscard]] bool ok() const noexcept { return ok_; }
    [[nodiscard]] std::size_t remaining() const noexcept { return in_.size() - position_; }
    // True when everything was read and nothing was short.
    [[nodiscard]] bool done() const noexcept { return ok_ && position_ == in_.size(); }
    [[nodiscard]] std::size_t position() const noexcept { return position_; }

    std::uint8_t u8() { return static_cast<std::uint8_t>(big_endian(1)); }
    std::uint16_t u16() { return static_cast<std::uint16_t>(big_endian(2)); }
    std::uint32_t u32() { return static_cast<std::uint32_t>(big_endian(4)); }
    std::uint64_t u64() { return big_endian(8); }
    // The next `size` bytes; empty (and ok() false) when fewer remain.
    bytes_view raw(std::size_t size) {
        if (!ok_ || remaining() < size) {
            ok_ = false;
            return {};
        }
        const bytes_view out = in_.subspan(position_, size);
        position_ += size;
        return out;
    }
    // A u32 length (at most `limit`) then that many bytes.
    bytes_view blob(std::size_t limit) {
        const std::uint32_t size = u32();
        if (size > limit) {
            ok_ = false;
            return {};
        }
        return raw(size);
    }
    template <typename Fixed>
    Fixed fixed() {
        Fixed out;
        const bytes_view data = raw(Fixed::size());
        if (ok_) {
            static_cast<void>(Fixed::from(data, out));
        }
        return out;
    }

  private:
    std::uint64_t big_endian(std::size_t width) {
        const bytes_view data = raw(width);
        std::uint64_t value = 0;
        for (const byte b : data) {
            value = (value << 8U) | b;
        }
        return value;
    }
    bytes_view in_;
    std::size_t position_ = 0;
    bool ok_ = true;
};

} // namespace sotto::crypto
