// The libsodium boundary for sotto's own size constants, secure memory and randomness.
#include "crypto/random.h"
#include "crypto/secret.h"
#include "crypto/types.h"

#include <sodium.h>

#include <array>
#include <cstring>
#include <mutex>
#include <new>
#include <stdexcept>
#include <vector>

namespace sotto::crypto {

static_assert(identity_public_key_size == crypto_sign_PUBLICKEYBYTES);
static_assert(identity_secret_key_size == crypto_sign_SECRETKEYBYTES);
static_assert(identity_seed_size == crypto_sign_SEEDBYTES);
static_assert(signature_size == crypto_sign_BYTES);
static_assert(x25519_key_size == crypto_scalarmult_BYTES);
static_assert(x25519_key_size == crypto_scalarmult_SCALARBYTES);
static_assert(aead_key_size == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(aead_nonce_size == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(aead_tag_size == crypto_aead_xchacha20poly1305_ietf_ABYTES);
static_assert(sha256_size == crypto_hash_sha256_BYTES);
static_assert(sha512_size == crypto_hash_sha512_BYTES);

namespace {
void ensure_sodium() {
    static const bool ready = sodium_init() >= 0;
    if (!ready) {
        throw std::runtime_error("libsodium failed to initialise");
    }
}
} // namespace

namespace {
// Slabs of fixed-size slots for small secrets, carved from sodium_malloc'd chunks that are
// never returned (a process needs a bounded number of live keys).
class secure_slabs {
  public:
    static constexpr std::array<std::size_t, 6> slot_sizes{32, 64, 128, 256, 1024, 4096};
    static constexpr std::size_t chunk_size = 16384;

    static int size_class(std::size_t size) noexcept {
        for (std::size_t i = 0; i < slot_sizes.size(); ++i) {
            if (size <= slot_sizes[i]) {
                return static_cast<int>(i);
            }
        }
        return -1;
    }

    byte* allocate(int size_class_index) {
        const std::lock_guard lock(mutex_);
        auto& free_list = free_[static_cast<std::size_t>(size_class_index)];
        if (free_list.empty()) {
            const std::size_t slot = slot_sizes[static_cast<std::size_t>(size_class_index)];
            auto* chunk = static_cast<byte*>(sodium_malloc(chunk_size));
            if (chunk == nullptr) {
                throw std::bad_alloc();
            }
            sodium_memzero(chunk, chunk_size);
            free_list.reserve(free_list.size() + chunk_size / slot);
            for (std::size_t offset = chunk_size; offset >= slot; offset -= slot) {
                free_list.push_back(chunk + offset - slot);
            }
        }
        byte* pointer = free_list.back();
        free_list.pop_back();
        return pointer;
    }

    void release(byte* pointer, int size_class_index) noexcept {
        const std::size_t slot = slot_sizes[static_cast<std::size_t>(size_class_index)];
        sodium_memzero(pointer, slot);
        const std::lock_guard lock(mutex_);
        try {
            free_[static_cast<std::size_t>(size_class_index)].push_back(pointer);
        } catch (...) {
            // The slot stays wiped and is simply not reused.
        }
    }

  private:
    std::mutex mutex_;
    std::array<std::vector<byte*>, slot_sizes.size()> free_;
};

secure_slabs& slabs() {
    static auto* instance = new secure_slabs(); // never destroyed: secrets may outlive statics
    return *instance;
}
} // namespace

namespace detail {
byte* secure_allocate(std::size_t size) {
    ensure_sodium();
    if (const int size_class = secure_slabs::size_class(size); size_class >= 0) {
        return slabs().allocate(size_class);
    }
    auto* pointer = static_cast<byte*>(sodium_malloc(size));
    if (pointer == nullptr) {
        throw std::bad_alloc();
    }
    sodium_memzero(pointer, size);
    return pointer;
}

void secure_free(byte* pointer, std::size_t size) noexcept {
    if (pointer == nullptr) {
        return;
    }
    if (const int size_class = secure_slabs::size_class(size); size_class >= 0) {
        slabs().release(pointer, size_class);
        return;
    }
    sodium_free(pointer);
}

bool constant_time_equal(const byte* a, const byte* b, std::size_t size) noexcept {
    if (a == nullptr || b == nullptr) {
        return a == b;
    }
    return sodium_memcmp(a, b, size) == 0;
}
} // namespace detail

std::uint32_t random_source::uniform(std::uint32_t upper_bound) {
    if (upper_bound < 2) {
        return 0;
    }
    // Rejection sampling, as randombytes_uniform does, to avoid modulo bias.
    const std::uint32_t minimum = (1U + ~upper_bound) % upper_bound;
    std::uint32_t value = 0;
    do {
        std::array<byte, 4> raw{};
        fill(raw);
        std::memcpy(&value, raw.data(), raw.size());
    } while (value < minimum);
    return value % upper_bound;
}

system_random::system_random() {
    ensure_sodium();
}

// An empty view may have a null data(), which libsodium's functions are declared never to take.
void system_random::fill(mutable_bytes_view out) {
    if (!out.empty()) {
        randombytes_buf(out.data(), out.size());
    }
}

seeded_random::seeded_random(std::uint64_t seed) {
    ensure_sodium();
    for (std::size_t i = 0; i < 8; ++i) {
        seed_[i] = static_cast<byte>(seed >> (8 * i));
    }
}

void seeded_random::fill(mutable_bytes_view out) {
    // Each call draws from a fresh stream keyed by (seed, call number).
    std::array<byte, randombytes_SEEDBYTES> call_seed = seed_;
    for (std::size_t i = 0; i < 8; ++i) {
        call_seed[8 + i] = static_cast<byte>(counter_ >> (8 * i));
    }
    ++counter_; // an empty draw still uses its call number, so later draws stay the same
    if (!out.empty()) {
        randombytes_buf_deterministic(out.data(), out.size(), call_seed.data());
    }
}

} // namespace sotto::crypto
