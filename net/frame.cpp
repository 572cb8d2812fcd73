#include "net/frame.h"

#include <google/protobuf/stubs/logging.h>

#include <algorithm>
#include <mutex>

namespace sotto::net {

const char* to_string(decode_status status) noexcept {
    switch (status) {
    case decode_status::need_more:
        return "incomplete frame";
    case decode_status::frame:
        return "frame";
    case decode_status::oversized:
        return "declared frame length over the limit";
    case decode_status::malformed:
        return "malformed frame";
    case decode_status::unknown_type:
        return "unknown frame type";
    }
    return "unknown decode status";
}

frame_decoder::frame_decoder(std::size_t max_frame_size)
    : max_frame_size_(
          static_cast<std::uint32_t>(std::min<std::size_t>(max_frame_size, max_body_length))) {
    static std::once_flag silenced;
    std::call_once(silenced, [] {
        google::protobuf::SetLogHandler(
            [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
    });
}

decode_status frame_decoder::finish(std::span<const std::uint8_t> body, wire::Frame& out) {
    out.Clear();
    // ParseFromArray takes an int; the limit keeps every body far below INT_MAX.
    if (!out.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
        return failed_ = decode_status::malformed;
    }
    if (out.body_case() == wire::Frame::BODY_NOT_SET) {
        return failed_ = decode_status::unknown_type;
    }
    header_filled_ = 0;
    body_length_ = 0;
    body_.clear();
    return decode_status::frame;
}

decode_step frame_decoder::decode(std::span<const std::uint8_t> input, wire::Frame& out) {
    if (failed()) {
        return {0, failed_};
    }
    std::size_t used = 0;
    if (header_filled_ < frame_header_size) {
        const auto take = std::min(frame_header_size - header_filled_, input.size());
        std::copy_n(input.begin(), take, header_ + header_filled_);
        header_filled_ = static_cast<std::uint8_t>(header_filled_ + take);
        used += take;
        if (header_filled_ < frame_header_size) {
            return {used, decode_status::need_more};
        }
        body_length_ = (std::uint32_t{header_[0]} << 24U) | (std::uint32_t{header_[1]} << 16U) |
                       (std::uint32_t{header_[2]} << 8U) | std::uint32_t{header_[3]};
        if (body_length_ > max_frame_size_ || body_length_ > max_body_length) {
            failed_ = decode_status::oversized;
            return {used, failed_};
        }
    }
    const auto rest = input.subspan(used);
    const std::size_t missing = body_length_ - body_.size();
    if (body_.empty() && rest.size() >= missing) {
        // The whole body is in this input: parse in place, no copy.
        const auto status = finish(rest.first(missing), out);
        return {used + missing, status};
    }
    if (body_.capacity() < body_length_) {
        body_.reserve(body_length_); // bounded by the check above
    }
    const auto take = std::min(missing, rest.size());
    body_.insert(body_.end(), rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(take));
    used += take;
    if (body_.size() < body_length_) {
        return {used, decode_status::need_more};
    }
    std::vector<std::uint8_t> body = std::move(body_);
    body_ = {};
    const auto status = finish(body, out);
    return {used, status};
}

bool append_frame(const wire::Frame& frame, std::string& out, std::size_t max_frame_size) {
    const auto length = frame.ByteSizeLong();
    if (length > max_frame_size || length > 0x7fffffffU) {
        return false;
    }
    const auto start = out.size();
    out.resize(start + frame_header_size + length);
    auto* header = reinterpret_cast<std::uint8_t*>(out.data() + start);
    header[0] = static_cast<std::uint8_t>(length >> 24U);
    header[1] = static_cast<std::uint8_t>(length >> 16U);
    header[2] = static_cast<std::uint8_t>(length >> 8U);
    header[3] = static_cast<std::uint8_t>(length);
    frame.SerializeWithCachedSizesToArray(header + frame_header_size);
    return true;
}

std::string encode_frame(const wire::Frame& frame, std::size_t max_frame_size) {
    std::string out;
    if (!append_frame(frame, out, max_frame_size)) {
        out.clear();
    }
    return out;
}

} // namespace sotto::net
