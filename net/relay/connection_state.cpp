#include "net/relay/connection_state.h"

#include "net/protocol.h"
#include "store/relay_store.h"

#include <algorithm>
#include <unordered_set>

namespace sotto::net::relay {

const char* to_string(phase value) noexcept {
    switch (value) {
    case phase::awaiting_hello:
        return "awaiting hello";
    case phase::awaiting_auth:
        return "awaiting authentication";
    case phase::authenticating:
        return "authenticating";
    case phase::authenticated:
        return "authenticated";
    case phase::closed:
        return "closed";
    }
    return "unknown";
}

frame_verdict connection_state::refuse(wire::Error::Code code, std::string reason) {
    phase_ = phase::closed;
    return {false, code, std::move(reason)};
}

frame_verdict connection_state::check_send(const wire::Send& send) {
    const auto count = static_cast<std::size_t>(send.recipients_size());
    if (count == 0 || count > limits_->max_recipients) {
        return refuse(wire::Error::BAD_REQUEST,
                      "Send needs 1.." + std::to_string(limits_->max_recipients) + " recipients");
    }
    if (send.id().size() != message_id_size) {
        return refuse(wire::Error::BAD_REQUEST, "Send id must be 16 bytes");
    }
    if (send.ciphertext().empty() || send.ciphertext().size() > limits_->max_ciphertext_size) {
        return refuse(wire::Error::BAD_REQUEST, "Send ciphertext must be 1.." +
                                                    std::to_string(limits_->max_ciphertext_size) +
                                                    " bytes");
    }
    for (const auto& name : send.recipients()) {
        if (!store::valid_username(name)) {
            return refuse(wire::Error::BAD_REQUEST, "Send has an invalid recipient name");
        }
    }
    if (count > 1) {
        std::unordered_set<std::string_view> seen;
        for (const auto& name : send.recipients()) {
            if (!seen.insert(name).second) {
                return refuse(wire::Error::BAD_REQUEST, "Send names a recipient twice");
            }
        }
    }
    return {true, wire::Error::CODE_UNSPECIFIED, {}};
}

frame_verdict connection_state::check_ack(const wire::DeliverAck& ack) {
    if (static_cast<std::size_t>(ack.items_size()) > limits_->max_ack_items) {
        return refuse(wire::Error::BAD_REQUEST, "DeliverAck has too many items");
    }
    for (const auto& item : ack.items()) {
        if (item.id().size() != message_id_size || !store::valid_username(item.sender())) {
            return refuse(wire::Error::BAD_REQUEST,
                          "DeliverAck item needs a valid sender and a 16-byte id");
        }
    }
    return {true, wire::Error::CODE_UNSPECIFIED, {}};
}

frame_verdict connection_state::on_frame(const wire::Frame& frame) {
    const frame_verdict ok{true, wire::Error::CODE_UNSPECIFIED, {}};
    if (phase_ == phase::closed) {
        return {false, wire::Error::UNEXPECTED_FRAME, "connection is closed"};
    }
    const auto unexpected = [&] {
        return refuse(wire::Error::UNEXPECTED_FRAME,
                      std::string("frame not allowed while ") + to_string(phase_));
    };
    using body = wire::Frame::BodyCase;
    const auto kind = frame.body_case();
    // Keepalive works in every open phase.
    if (kind == body::kPing || kind == body::kPong) {
        return ok;
    }
    switch (phase_) {
    case phase::awaiting_hello:
        if (kind != body::kHello) {
            return unexpected();
        }
        if (frame.hello().protocol_version() != protocol_version) {
            return refuse(wire::Error::UNSUPPORTED_VERSION,
                          "this relay speaks protocol version " + std::to_string(protocol_version));
        }
        phase_ = phase::awaiting_auth;
        return ok;
    case phase::awaiting_auth:
        if (kind == body::kLogin) {
            const auto& login = frame.login();
            if (login.username().size() > 255 || login.signature().size() != 64) {
                return refuse(wire::Error::BAD_REQUEST,
                              "Login needs a username and a 64-byte signature");
            }
            phase_ = phase::authenticating;
            return ok;
        }
        if (kind == body::kRegister) {
            const auto& reg = frame.register_();
            if (reg.username().size() > 255 || reg.identity_key().size() != 32 ||
                reg.signature().size() != 64 ||
                reg.invite_code().size() > limits_->max_invite_code_size) {
                return refuse(wire::Error::BAD_REQUEST, "Register needs a username, a 32-byte key, "
                                                        "a 64-byte signature and a short invite");
            }
            phase_ = phase::authenticating;
            return ok;
        }
        return unexpected();
    case phase::authenticating:
        return unexpected(); // one attempt at a time; the client waits for AuthResult
    case phase::authenticated:
        switch (kind) {
        case body::kSend:
            return check_send(frame.send());
        case body::kDeliverAck:
            return check_ack(frame.deliver_ack());
        case body::kUsersRequest:
            return ok;
        case body::kKeyLookup:
            if (frame.key_lookup().username().size() > 255) {
                return refuse(wire::Error::BAD_REQUEST, "KeyLookup username too long");
            }
            return ok;
        default:
            return unexpected();
        }
    case phase::closed:
        break;
    }
    return unexpected();
}

phase connection_state::auth_succeeded() noexcept {
    if (phase_ == phase::authenticating) {
        phase_ = phase::authenticated;
    }
    return phase_;
}

phase connection_state::auth_failed() noexcept {
    if (phase_ != phase::authenticating) {
        return phase_;
    }
    ++failed_attempts_;
    phase_ = failed_attempts_ >= limits_->max_auth_attempts ? phase::closed : phase::awaiting_auth;
    return phase_;
}

bool token_bucket::take(clock::time_point now) noexcept {
    if (now > last_) {
        const std::chrono::duration<double> elapsed = now - last_;
        tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
        last_ = now;
    }
    if (tokens_ < 1.0) {
        return false;
    }
    tokens_ -= 1.0;
    return true;
}

} // namespace sotto::net::relay
