#include "tui/frame.h"

#include "tui/text_width.h"

#include <algorithm>
#include <map>

namespace sotto::tui {

namespace {

std::size_t columns_of(const rect& area) noexcept {
    return static_cast<std::size_t>(std::max(area.width, 0));
}

// Fragments of each row keyed by their starting column; the layout's rectangles never overlap,
// so concatenating them in column order gives the row.
class canvas {
  public:
    canvas(int columns, int rows)
        : columns_(static_cast<std::size_t>(std::max(columns, 0))),
          rows_(static_cast<std::size_t>(std::max(rows, 0))) {}

    // Writes `text` at (row, column), cut and padded to exactly `width` columns.
    void put(int row, int column, std::string_view text, std::size_t width, style_role role) {
        if (row < 0 || column < 0 || width == 0 || static_cast<std::size_t>(row) >= rows_.size())
            return;
        auto& fragments = rows_[static_cast<std::size_t>(row)];
        fragments[column].push_back({pad_to_width(text, width), role});
    }

    // Several spans side by side starting at (row, column), together padded to `width`.
    void put_spans(int row, int column, std::vector<styled_span> spans, std::size_t width) {
        std::size_t used = 0;
        for (auto& span : spans) {
            const auto span_width = display_width(span.text);
            if (used + span_width > width) {
                put(row, column + static_cast<int>(used), span.text, width - used, span.role);
                return;
            }
            put(row, column + static_cast<int>(used), span.text, span_width, span.role);
            used += span_width;
        }
        if (used < width)
            put(row, column + static_cast<int>(used), "", width - used, style_role::text);
    }

    [[nodiscard]] std::vector<std::vector<styled_span>> finish() && {
        std::vector<std::vector<styled_span>> out;
        for (auto& fragments : rows_) {
            std::vector<styled_span> row;
            std::size_t used = 0;
            for (auto& [column, spans] : fragments) {
                const auto at = static_cast<std::size_t>(column);
                if (at < used)
                    continue; // overlapping fragment: a bug in the layout; keep the first
                if (at > used)
                    row.push_back({std::string(at - used, ' '), style_role::text});
                used = at;
                for (auto& span : spans) {
                    used += display_width(span.text);
                    row.push_back(std::move(span));
                }
            }
            if (used < columns_)
                row.push_back({std::string(columns_ - used, ' '), style_role::text});
            out.push_back(std::move(row));
        }
        return out;
    }

  private:
    std::size_t columns_;
    std::vector<std::map<int, std::vector<styled_span>>> rows_;
};

void fill_rect(canvas& out, const rect& area, std::string_view pattern, style_role role) {
    if (!area.visible())
        return;
    for (int y = area.y; y < area.y + area.height; ++y) {
        std::string line;
        while (line.size() < columns_of(area))
            line += pattern;
        out.put(y, area.x, line, columns_of(area), role);
    }
}

void draw_title(canvas& out, const screen_layout& layout, const screen_model& model) {
    const auto& bar = layout.title_bar;
    if (!bar.visible())
        return;
    const auto width = columns_of(bar);
    const auto title = sanitize(model.title);
    if (layout.framed()) {
        std::string line = "+-sotto--" + title + "-";
        auto fitted = truncate_to_width(line, width > 1 ? width - 1 : 0);
        fitted += std::string(width - 1 - display_width(fitted), '-');
        out.put(bar.y, bar.x, fitted + "+", width, style_role::title_bar);
    } else {
        out.put(bar.y, bar.x, title.empty() ? "sotto" : "sotto - " + title, width,
                style_role::title_bar);
    }
}

void draw_frame(canvas& out, const screen_layout& layout) {
    fill_rect(out, layout.left_border, "|", style_role::border);
    fill_rect(out, layout.right_border, "|", style_role::border);
    fill_rect(out, layout.divider, "|", style_role::border);
    const auto& bottom = layout.bottom_border;
    if (bottom.visible()) {
        const auto width = columns_of(bottom);
        std::string line = "+";
        if (width >= 2)
            line += std::string(width - 2, '-') + "+";
        out.put(bottom.y, bottom.x, line, width, style_role::border);
    }
}

void draw_contacts(canvas& out, const screen_layout& layout, const screen_model& model) {
    const auto& pane = layout.contacts;
    if (!pane.visible())
        return;
    const auto rows =
        format_contacts(model.contacts, model.current_contact, columns_of(pane),
                        static_cast<std::size_t>(pane.height), model.message_options.marks);
    for (std::size_t i = 0; i < static_cast<std::size_t>(pane.height); ++i) {
        const int y = pane.y + static_cast<int>(i);
        if (i >= rows.size()) {
            out.put(y, pane.x, "", columns_of(pane), style_role::contact);
            continue;
        }
        const auto& row = rows[i];
        auto role = style_role::contact;
        if (row.contact == contact_row::header)
            role = style_role::title_bar;
        else if (row.current)
            role = style_role::contact_current;
        else if (model.contacts[row.contact].key_changed)
            role = style_role::contact_key_changed;
        else if (model.contacts[row.contact].unread > 0)
            role = style_role::unread_count;
        out.put(y, pane.x, row.text, columns_of(pane), role);
    }
}

void draw_tabs(canvas& out, const screen_layout& layout, const screen_model& model) {
    const auto& bar = layout.tab_bar;
    if (!bar.visible())
        return;
    std::vector<styled_span> spans;
    for (auto& span : format_tab_bar(model.tabs, model.current_tab, columns_of(bar))) {
        auto role = style_role::tab;
        if (span.current)
            role = style_role::tab_current;
        else if (span.unread)
            role = style_role::tab_unread;
        spans.push_back({std::move(span.text), role});
    }
    out.put_spans(bar.y, bar.x, std::move(spans), columns_of(bar));
}

void draw_overlay(canvas& out, const rect& pane, const screen_model& model) {
    const auto width = columns_of(pane);
    for (int i = 0; i < pane.height; ++i) {
        const auto line = model.overlay_scroll + static_cast<std::size_t>(i);
        const std::string_view text =
            line < model.overlay.size() ? std::string_view(model.overlay[line]) : "";
        out.put(pane.y + i, pane.x, sanitize(text), width, style_role::overlay);
    }
}

std::vector<styled_span> message_row_spans(const pane_row& row, const screen_model& model,
                                           std::size_t width) {
    std::vector<styled_span> spans;
    const auto& options = model.message_options;
    if (row.kind == row_kind::day_separator) {
        spans.push_back({row.text, style_role::day_separator});
    } else if (row.kind == row_kind::message_start && width >= 5 + 1 + options.sender_columns + 1) {
        const std::string_view text = row.text;
        const auto clock = prefix_within_width(text, 6);
        const auto name = prefix_within_width(text.substr(clock.bytes), options.sender_columns);
        const auto& message = model.messages[row.message];
        const bool own = !model.own_name.empty() && message.sender == model.own_name;
        const auto name_role = message.system ? style_role::system_message
                               : own          ? style_role::own_name
                                              : style_role::peer_name;
        spans.push_back({std::string(text.substr(0, clock.bytes)), style_role::timestamp});
        spans.push_back({std::string(text.substr(clock.bytes, name.bytes)), name_role});
        spans.push_back({std::string(text.substr(clock.bytes + name.bytes)),
                         message.system ? style_role::system_message : style_role::text});
    } else {
        const bool system =
            row.kind != row_kind::day_separator && model.messages[row.message].system;
        spans.push_back({row.text, system ? style_role::system_message : style_role::text});
    }
    const auto text_width = display_width(row.text);
    if (text_width < width) {
        auto role = style_role::delivery_mark;
        if (row.mark.emphasized) {
            role = model.messages[row.message].delivery == delivery_state::failed
                       ? style_role::delivery_failed
                       : style_role::delivery_mark_read;
        }
        spans.push_back({" ", style_role::text});
        spans.push_back(
            {pad_to_width(row.mark.text, width - text_width - 1, alignment::right), role});
    }
    return spans;
}

void draw_messages(canvas& out, const screen_layout& layout, const screen_model& model) {
    const auto& pane = layout.messages;
    if (!pane.visible())
        return;
    if (!model.overlay.empty()) {
        draw_overlay(out, pane, model);
        return;
    }
    auto options = model.message_options;
    options.width = columns_of(pane);
    const auto rows = layout_messages(model.messages, options, model.message_before);
    const auto height = static_cast<std::size_t>(pane.height);
    const auto shown = visible_rows(rows.size(), height, model.scroll_offset);
    // Newest at the bottom: a short conversation leaves the blank rows at the top.
    const auto blank = height - (shown.end - shown.begin);
    for (std::size_t i = 0; i < height; ++i) {
        const int y = pane.y + static_cast<int>(i);
        if (i < blank) {
            out.put(y, pane.x, "", options.width, style_role::text);
            continue;
        }
        out.put_spans(y, pane.x,
                      message_row_spans(rows[shown.begin + i - blank], model, options.width),
                      options.width);
    }
}

void draw_separator(canvas& out, const screen_layout& layout, const screen_model& model) {
    const auto& line = layout.separator;
    if (!line.visible())
        return;
    const auto width = columns_of(line);
    if (model.notice.empty()) {
        out.put(line.y, line.x, std::string(width, '-'), width, style_role::border);
        return;
    }
    const auto notice = truncate_to_width(" " + sanitize(model.notice) + " ",
                                          width > 2 ? width - 2 : width, "\xE2\x80\xA6");
    std::vector<styled_span> spans;
    if (width > 2)
        spans.push_back({"--", style_role::border});
    spans.push_back({notice, style_role::notice});
    const auto used = display_width(notice) + (width > 2 ? 2 : 0);
    if (used < width)
        spans.push_back({std::string(width - used, '-'), style_role::border});
    out.put_spans(line.y, line.x, std::move(spans), width);
}

void draw_status(canvas& out, const screen_layout& layout, const screen_model& model) {
    const auto& line = layout.status_line;
    if (!line.visible())
        return;
    const auto status = model.group_status
                            ? format_group_status(*model.group_status, columns_of(line))
                            : format_status(model.status, columns_of(line));
    out.put(line.y, line.x, status.text, columns_of(line), role_for(status.severity));
}

std::optional<screen_position> draw_input(canvas& out, const screen_layout& layout,
                                          const screen_model& model) {
    const auto& line = layout.input_line;
    if (!line.visible())
        return std::nullopt;
    const auto width = columns_of(line);
    const auto text_columns = input_columns(layout);
    const auto prompt = text_columns < width ? input_prompt : std::string_view{};
    const auto begin = std::min(model.input.begin, model.input_text.size());
    const auto end = std::clamp(model.input.end, begin, model.input_text.size());
    const auto shown = sanitize(model.input_text.substr(begin, end - begin));
    out.put_spans(line.y, line.x,
                  {{std::string(prompt), style_role::input}, {shown, style_role::input}}, width);
    const auto column = display_width(prompt) + std::min(model.input.cursor_column,
                                                         text_columns > 0 ? text_columns - 1 : 0);
    if (column >= width)
        return std::nullopt;
    return screen_position{line.y, line.x + static_cast<int>(column)};
}

} // namespace

std::size_t input_columns(const screen_layout& layout) noexcept {
    const auto width = columns_of(layout.input_line);
    return width > input_prompt.size() + 1 ? width - input_prompt.size() : width;
}

frame compose(const screen_model& model, const screen_layout& layout, int columns, int rows) {
    canvas out(columns, rows);
    draw_title(out, layout, model);
    draw_frame(out, layout);
    draw_contacts(out, layout, model);
    draw_tabs(out, layout, model);
    draw_messages(out, layout, model);
    draw_separator(out, layout, model);
    draw_status(out, layout, model);
    const auto cursor = draw_input(out, layout, model);
    return {std::move(out).finish(), cursor};
}

std::vector<std::string> plain_rows(const frame& f) {
    std::vector<std::string> out;
    for (const auto& row : f.rows) {
        std::string line;
        for (const auto& span : row)
            line += span.text;
        out.push_back(std::move(line));
    }
    return out;
}

} // namespace sotto::tui
