// Fuzzes the frame decoder: arbitrary bytes in arbitrary chunks. The decoder must never buffer
// more than header + limit, must fail cleanly, and every frame it yields must survive a
// serialize/parse round trip.
#include "net/frame.h"

#include <cstdint>
#include <cstdlib>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    // The first byte picks the chunk size and a small or the default limit.
    const std::size_t chunk = 1 + (data[0] & 0x3fU);
    const std::size_t limit = (data[0] & 0x40U) != 0 ? 256 : sotto::net::default_max_frame_size;
    std::span<const std::uint8_t> input(data + 1, size - 1);
    sotto::net::frame_decoder decoder(limit);
    sotto::wire::Frame frame;
    while (!input.empty()) {
        auto piece = input.first(std::min(chunk, input.size()));
        input = input.subspan(piece.size());
        while (!piece.empty()) {
            const auto step = decoder.decode(piece, frame);
            if (step.consumed > piece.size() ||
                decoder.buffered() > sotto::net::frame_header_size + limit) {
                std::abort();
            }
            piece = piece.subspan(step.consumed);
            if (step.status == sotto::net::decode_status::frame) {
                if (frame.body_case() == sotto::wire::Frame::BODY_NOT_SET) {
                    std::abort();
                }
                const auto encoded = sotto::net::encode_frame(frame, 1U << 20U);
                sotto::net::frame_decoder again(1U << 20U);
                sotto::wire::Frame copy;
                const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(encoded.data()),
                                             encoded.size());
                if (again.decode(bytes, copy).status != sotto::net::decode_status::frame ||
                    copy.SerializeAsString() != frame.SerializeAsString()) {
                    std::abort();
                }
            } else if (step.status != sotto::net::decode_status::need_more) {
                // Failed: stays failed and consumes nothing more.
                if (decoder.decode(piece, frame).consumed != 0 || !decoder.failed()) {
                    std::abort();
                }
                return 0;
            } else if (!piece.empty()) {
                std::abort(); // need_more must consume the whole piece
            }
        }
    }
    return 0;
}
