#include "tui/message_pane.h"

#include "tui/text_width.h"
#include "tui/wrap.h"

#include <algorithm>
#include <array>

namespace sotto::tui {

namespace {

constexpr std::string_view ellipsis = "\xE2\x80\xA6";

std::chrono::local_seconds to_local(std::chrono::sys_seconds time, std::chrono::seconds offset) {
    return std::chrono::local_seconds{time.time_since_epoch() + offset};
}

std::chrono::local_days local_day(std::chrono::sys_seconds time, std::chrono::seconds offset) {
    return std::chrono::floor<std::chrono::days>(to_local(time, offset));
}

std::string two_digits(unsigned value) {
    return std::string(1, static_cast<char>('0' + value / 10 % 10)) +
           static_cast<char>('0' + value % 10);
}

std::string separator_row(const std::string& label, std::size_t width) {
    const auto text = " " + label + " ";
    const auto text_width = display_width(text);
    if (text_width >= width)
        return pad_to_width(label, width);
    const auto left = (width - text_width) / 2;
    return std::string(left, '-') + text + std::string(width - text_width - left, '-');
}

} // namespace

delivery_mark mark_for(delivery_state state, mark_set marks) noexcept {
    const bool ascii = marks == mark_set::ascii;
    switch (state) {
    case delivery_state::incoming:
        return {"", false};
    case delivery_state::queued:
        return {ascii ? ".." : "\xE2\x80\xA6", false};
    case delivery_state::sent:
        return {ascii ? "+" : "\xE2\x9C\x93", false};
    case delivery_state::delivered:
        return {ascii ? "++" : "\xE2\x9C\x93\xE2\x9C\x93", false};
    case delivery_state::read:
        return {ascii ? "++" : "\xE2\x9C\x93\xE2\x9C\x93", true};
    case delivery_state::failed:
        return {"!", true};
    }
    return {"?", true};
}

std::string format_clock(std::chrono::sys_seconds time, std::chrono::seconds utc_offset) {
    const auto local = to_local(time, utc_offset);
    const std::chrono::hh_mm_ss clock{local - std::chrono::floor<std::chrono::days>(local)};
    return two_digits(static_cast<unsigned>(clock.hours().count())) + ":" +
           two_digits(static_cast<unsigned>(clock.minutes().count()));
}

std::string format_day(std::chrono::sys_seconds time, std::chrono::seconds utc_offset) {
    static constexpr std::array<std::string_view, 7> weekdays = {"Sun", "Mon", "Tue", "Wed",
                                                                 "Thu", "Fri", "Sat"};
    static constexpr std::array<std::string_view, 12> months = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto day = local_day(time, utc_offset);
    const std::chrono::year_month_day date{day};
    const std::chrono::weekday weekday{day};
    return std::string(weekdays[weekday.c_encoding()]) + " " +
           std::to_string(static_cast<unsigned>(date.day())) + " " +
           std::string(months[static_cast<unsigned>(date.month()) - 1]) + " " +
           std::to_string(static_cast<int>(date.year()));
}

std::vector<pane_row> layout_messages(std::span<const message_view> messages,
                                      const pane_options& options, const message_view* previous) {
    std::vector<pane_row> rows;
    if (options.width == 0)
        return rows;
    const bool has_marks = options.width > mark_columns + 1;
    const auto text_width = has_marks ? options.width - mark_columns - 1 : options.width;

    bool has_last_day = previous != nullptr;
    std::chrono::local_days last_day{};
    if (has_last_day)
        last_day = local_day(previous->time, options.utc_offset);
    for (std::size_t index = 0; index < messages.size(); ++index) {
        const auto& message = messages[index];
        const auto day = local_day(message.time, options.utc_offset);
        if (!has_last_day || last_day != day) {
            rows.push_back(
                {row_kind::day_separator,
                 index,
                 separator_row(format_day(message.time, options.utc_offset), options.width),
                 {}});
            last_day = day;
            has_last_day = true;
        }
        const auto sender =
            pad_to_width(truncate_to_width(message.system ? std::string(system_sender)
                                                          : sanitize(message.sender),
                                           options.sender_columns, ellipsis),
                         options.sender_columns);
        const auto prefix = format_clock(message.time, options.utc_offset) + " " + sender + " ";
        const auto lines = wrap_with_hanging_indent(prefix, message.text, text_width);
        for (std::size_t i = 0; i < lines.size(); ++i) {
            rows.push_back({i == 0 ? row_kind::message_start : row_kind::message_continuation,
                            index,
                            pad_to_width(sanitize(lines[i]), text_width),
                            {}});
        }
        if (has_marks && !rows.empty())
            rows.back().mark = mark_for(message.delivery, options.marks);
    }
    return rows;
}

std::size_t clamp_scroll(std::size_t offset, std::size_t total_rows, std::size_t height) noexcept {
    const auto most = total_rows > height ? total_rows - height : 0;
    return std::min(offset, most);
}

row_range visible_rows(std::size_t total_rows, std::size_t height, std::size_t offset) noexcept {
    offset = clamp_scroll(offset, total_rows, height);
    const auto end = total_rows - offset;
    const auto begin = end > height ? end - height : 0;
    return {begin, end};
}

} // namespace sotto::tui
