// Fuzzes a relay connection's frame handling: the bytes are a client's stream, decoded and run
// through the connection state machine exactly as a session does. Authentication attempts
// succeed or fail by a bit of the signature, so sequences reach every phase. Invariants: nothing
// is accepted after a refusal; nothing but Hello, auth and keepalive is accepted before
// authentication; an accepted Send or DeliverAck always has valid fields.
#include "net/frame.h"
#include "net/protocol.h"
#include "net/relay/connection_state.h"
#include "store/relay_store.h"

#include <cstdint>
#include <cstdlib>
#include <span>

using namespace sotto;
using namespace sotto::net::relay;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const connection_limits limits = [] {
        connection_limits l;
        l.max_recipients = 4;
        l.max_ciphertext_size = 512;
        l.max_ack_items = 8;
        return l;
    }();
    net::frame_decoder decoder(2048);
    connection_state state(limits);
    wire::Frame frame;
    bool authenticated = false;
    std::span<const std::uint8_t> input(data, size);
    while (!input.empty()) {
        const auto step = decoder.decode(input, frame);
        input = input.subspan(step.consumed);
        if (step.status != net::decode_status::frame) {
            return 0; // need_more at the end, or an error: the session closes
        }
        const auto before = state.current();
        const auto verdict = state.on_frame(frame);
        if (before == phase::closed && verdict.accepted) {
            std::abort();
        }
        if (!verdict.accepted) {
            if (state.current() != phase::closed || verdict.code == wire::Error::CODE_UNSPECIFIED) {
                std::abort();
            }
            continue; // the session would close; keep feeding to check nothing is accepted now
        }
        const auto kind = frame.body_case();
        const bool keepalive = kind == wire::Frame::kPing || kind == wire::Frame::kPong;
        if (!authenticated && !keepalive && kind != wire::Frame::kHello &&
            kind != wire::Frame::kLogin && kind != wire::Frame::kRegister) {
            std::abort();
        }
        if (kind == wire::Frame::kSend) {
            const auto& send = frame.send();
            if (send.id().size() != net::message_id_size || send.recipients_size() == 0 ||
                static_cast<std::size_t>(send.recipients_size()) > limits.max_recipients ||
                send.ciphertext().size() > limits.max_ciphertext_size) {
                std::abort();
            }
            for (const auto& r : send.recipients()) {
                if (!store::valid_username(r)) {
                    std::abort();
                }
            }
        }
        if (kind == wire::Frame::kLogin || kind == wire::Frame::kRegister) {
            const auto& signature = kind == wire::Frame::kLogin ? frame.login().signature()
                                                                : frame.register_().signature();
            const bool succeeds =
                !signature.empty() && (static_cast<unsigned char>(signature[0]) & 1U) != 0;
            if (succeeds) {
                authenticated = state.auth_succeeded() == phase::authenticated;
            } else {
                (void)state.auth_failed();
            }
        }
    }
    return 0;
}
