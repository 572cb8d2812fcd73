#pragma once
// Randomness is injected: production code gets system_random, tests and fuzzers a seeded_random
// so that every run is reproducible.

#include "crypto/types.h"

#include <cstdint>

namespace sotto::crypto {

class random_source {
  public:
    virtual ~random_source() = default;
    virtual void fill(mutable_bytes_view out) = 0;

    // A uniform value in [0, upper_bound); 0 when upper_bound is 0.
    std::uint32_t uniform(std::uint32_t upper_bound);
};

// The operating system's CSPRNG through libsodium.
class system_random final : public random_source {
  public:
    system_random();
    void fill(mutable_bytes_view out) override;
};

// A deterministic stream (ChaCha20 keyed by the seed): same seed, same bytes. Tests only.
class seeded_random final : public random_source {
  public:
    explicit seeded_random(std::uint64_t seed);
    void fill(mutable_bytes_view out) override;

  private:
    std::array<byte, 32> seed_{};
    std::uint64_t counter_ = 0;
};

} // namespace sotto::crypto
