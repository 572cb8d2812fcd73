#pragma once
// Secret bytes live in sodium_malloc'd memory: mlock'd (never swapped), excluded from core
// dumps, wiped on free. Move-only, so a secret has exactly one owner. Small secrets (keys) come
// from slabs carved out of sodium_malloc'd chunks, because one sodium_malloc per key costs a
// dozen system calls and the ratchet makes keys per message; larger ones get their own
// sodium_malloc with guard pages.

#include "crypto/types.h"

#include <cstddef>
#include <utility>

namespace sotto::crypto {

namespace detail {
// Allocates `size` zeroed bytes of locked memory. Throws std::bad_alloc when none is left.
byte* secure_allocate(std::size_t size);
// Wipes and frees memory from secure_allocate(size); nullptr is fine.
void secure_free(byte* pointer, std::size_t size) noexcept;
// Constant-time comparison of two equally long buffers.
bool constant_time_equal(const byte* a, const byte* b, std::size_t size) noexcept;
} // namespace detail

template <std::size_t N, typename Tag>
class secret_bytes {
  public:
    static constexpr std::size_t size_bytes = N;

    secret_bytes() : data_(detail::secure_allocate(N)) {}
    ~secret_bytes() { detail::secure_free(data_, N); }
    secret_bytes(secret_bytes&& other) noexcept : data_(std::exchange(other.data_, nullptr)) {}
    secret_bytes& operator=(secret_bytes&& other) noexcept {
        if (this != &other) {
            detail::secure_free(data_, N);
            data_ = std::exchange(other.data_, nullptr);
        }
        return *this;
    }
    secret_bytes(const secret_bytes&) = delete;
    secret_bytes& operator=(const secret_bytes&) = delete;

    // An explicit copy, so that duplicating a secret is visible at the call site.
    [[nodiscard]] secret_bytes clone() const {
        secret_bytes copy;
        for (std::size_t i = 0; i < N; ++i) {
            copy.data_[i] = data_[i];
        }
        return copy;
    }

    [[nodiscard]] byte* data() noexcept { return data_; }
    [[nodiscard]] const byte* data() const noexcept { return data_; }
    [[nodiscard]] static constexpr std::size_t size() noexcept { return N; }
    [[nodiscard]] bytes_view view() const noexcept { return {data_, N}; }
    [[nodiscard]] mutable_bytes_view mutable_view() noexcept { return {data_, N}; }
    // A moved-from secret holds nothing.
    [[nodiscard]] bool empty() const noexcept { return data_ == nullptr; }

    friend bool operator==(const secret_bytes& a, const secret_bytes& b) noexcept {
        return detail::constant_time_equal(a.data_, b.data_, N);
    }

  private:
    byte* data_;
};

// A secret of a size known only at run time (serialized states, decrypted blobs): the same
// sodium_malloc'd memory as secret_bytes. Move-only; empty when default-constructed or moved from.
class secret_buffer {
  public:
    secret_buffer() noexcept = default;
    explicit secret_buffer(std::size_t size)
        : data_(size == 0 ? nullptr : detail::secure_allocate(size)), size_(size) {}
    explicit secret_buffer(bytes_view contents) : secret_buffer(contents.size()) {
        for (std::size_t i = 0; i < contents.size(); ++i) {
            data_[i] = contents[i];
        }
    }
    ~secret_buffer() { detail::secure_free(data_, size_); }
    secret_buffer(secret_buffer&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
    secret_buffer& operator=(secret_buffer&& other) noexcept {
        if (this != &other) {
            detail::secure_free(data_, size_);
            data_ = std::exchange(other.data_, nullptr);
            size_ = std::exchange(other.size_, 0);
        }
        return *this;
    }
    secret_buffer(const secret_buffer&) = delete;
    secret_buffer& operator=(const secret_buffer&) = delete;

    [[nodiscard]] byte* data() noexcept { return data_; }
    [[nodiscard]] const byte* data() const noexcept { return data_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] bytes_view view() const noexcept { return {data_, size_}; }
    [[nodiscard]] mutable_bytes_view mutable_view() noexcept { return {data_, size_}; }

    friend bool operator==(const secret_buffer& a, const secret_buffer& b) noexcept {
        return a.size_ == b.size_ && detail::constant_time_equal(a.data_, b.data_, a.size_);
    }

  private:
    byte* data_ = nullptr;
    std::size_t size_ = 0;
};

using identity_secret_key = secret_bytes<identity_secret_key_size, struct identity_secret_key_tag>;
using x25519_secret_key = secret_bytes<x25519_key_size, struct x25519_secret_key_tag>;
using aead_key = secret_bytes<aead_key_size, struct aead_key_tag>;

} // namespace sotto::crypto
