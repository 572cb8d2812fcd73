// bench tui (issue 6, Performance): how fast the full-screen client shows a big conversation.
// A profile with N stored messages (default 100,000) is unlocked by the real engine; "first
// paint" is the time from the engine's ready event to the composed frame of the newest page
// (history read + message layout + whole-screen composition; the terminal write is not timed),
// "page scroll" one PgUp past the loaded rows (the next history page + layout + composition).
// The peer is the floor under both: the same page read as plaintext rows from a plain SQLite
// table of N rows in the same directory. Also the RSS after paging and the engine's idle CPU.
//
//   bench_tui [MESSAGES]
//   last line: bench tui: first paint <ms>, page scroll <ms>, rss <MB>, idle cpu <pct>

#include "client/engine.h"
#include "crypto/identity.h"
#include "crypto/random.h"
#include "crypto/seal.h"
#include "store/client_store.h"
#include "tui/frame.h"
#include "tui/input_line.h"
#include "tui/layout.h"
#include "tui/message_pane.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

using namespace sotto;
using bench_clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t page = 200;
constexpr int columns = 100;
constexpr int rows = 30;

double ms_since(bench_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(bench_clock::now() - start).count();
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0.0 : values[values.size() / 2];
}

double rss_mb() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
        }
    }
    return 0.0;
}

double cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::string text_of(std::size_t i) {
    return "message number " + std::to_string(i) +
           " with some ordinary words in it, like a chat line";
}

// What the TUI does with a page: message views, rows, the whole frame (with the input line, as
// a keystroke repaints it).
std::size_t compose_page(std::vector<tui::message_view>& views, tui::input_line* input = nullptr) {
    const auto layout = tui::compute_layout({columns, rows, true, 16});
    tui::screen_model model;
    model.title = "alice@bench";
    model.messages = views;
    model.own_name = "alice";
    model.message_options.width = static_cast<std::size_t>(layout.messages.width);
    if (input != nullptr) {
        model.input_text = input->text();
        model.input = input->view(tui::input_columns(layout));
    }
    const auto f = tui::compose(model, layout, columns, rows);
    return f.rows.size();
}

void to_views(const std::vector<client::history_entry>& entries,
              std::vector<tui::message_view>& views) {
    std::vector<tui::message_view> fresh;
    fresh.reserve(entries.size() + views.size());
    for (const auto& e : entries) {
        fresh.push_back({std::chrono::sys_seconds(std::chrono::seconds(e.ts / 1000)),
                         e.outgoing ? "alice" : e.with, e.text, tui::delivery_state::incoming});
    }
    fresh.insert(fresh.end(), views.begin(), views.end());
    views = std::move(fresh);
}

} // namespace

int main(int argc, char** argv) {
    const std::size_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100'000;
    // tmpfs when there is one: filling N messages one commit each is slow on a disk that syncs,
    // and the figures are about reading.
    const auto base = std::filesystem::exists("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                          : std::filesystem::temp_directory_path();
    const auto directory = base / ("sotto-bench-tui-" + std::to_string(::getpid()));
    std::filesystem::remove_all(directory);
    crypto::system_random random;

    // The profile and its messages, written through the store as the engine would.
    auto start = bench_clock::now();
    {
        auto store = store::client_store::open(directory);
        auto key = crypto::sealing_key::derive(crypto::make_passphrase("bench"),
                                               crypto::kdf_params::cheap(), random);
        store->create_profile(std::move(*key), {"alice", "127.0.0.1:1", ""},
                              crypto::identity_key_pair::generate(random), random);
        const auto bob = store->ensure_contact("bob");
        // commit_received writes the ratchet state beside each message: a placeholder session
        // while filling, deleted before the engine opens the profile.
        const std::vector<crypto::byte> placeholder(64, 0x42);
        store->save_session(bob.id, placeholder, crypto::bytes_view(placeholder));
        const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        for (std::size_t i = 0; i < count; ++i) {
            store::message_id id{};
            for (std::size_t b = 0; b < 8; ++b) {
                id[b] = static_cast<std::uint8_t>((i >> (8 * b)) & 0xFFU);
            }
            const auto ts = now_ms - static_cast<std::int64_t>(count - i) * 1000;
            store->commit_received(bob.id, id, text_of(i), ts, ts, placeholder);
        }
        store->delete_session(bob.id);
    }
    std::cout << "stored " << count << " messages in " << ms_since(start) / 1000.0 << " s\n";

    // Peer: the same page from a plain SQLite table (no sealing, no engine, no views).
    std::vector<double> peer_first, peer_scroll;
    {
        SQLite::Database plain((directory / "plain.db").string(),
                               SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        plain.exec("PRAGMA journal_mode=WAL");
        plain.exec("CREATE TABLE m (id INTEGER PRIMARY KEY, ts INTEGER, sender TEXT, body TEXT)");
        SQLite::Transaction t(plain);
        SQLite::Statement insert(plain, "INSERT INTO m (ts, sender, body) VALUES (?, 'bob', ?)");
        for (std::size_t i = 0; i < count; ++i) {
            insert.bind(1, static_cast<std::int64_t>(i));
            insert.bind(2, text_of(i));
            insert.exec();
            insert.reset();
        }
        t.commit();
        for (int run = 0; run < 21; ++run) {
            std::int64_t before = static_cast<std::int64_t>(count) + 1;
            for (int p = 0; p < 2; ++p) {
                const auto t0 = bench_clock::now();
                SQLite::Statement q(
                    plain,
                    "SELECT id, ts, sender, body FROM m WHERE id < ? ORDER BY id DESC LIMIT ?");
                q.bind(1, before);
                q.bind(2, static_cast<std::int64_t>(page));
                std::vector<std::string> texts;
                while (q.executeStep()) {
                    before = q.getColumn(0).getInt64();
                    texts.push_back(q.getColumn(3).getString());
                }
                (p == 0 ? peer_first : peer_scroll).push_back(ms_since(t0));
            }
        }
    }

    // Ours: unlock with the real engine, then the first screen and page scrolls.
    std::vector<double> first, scroll, scroll_history, keystroke;
    double idle_pct = 0.0;
    for (int run = 0; run < 5; ++run) {
        asio::io_context io(1);
        client::engine_options options;
        options.profile_directory = directory;
        options.relay_address = "127.0.0.1:1"; // nothing listens: the engine backs off quietly
        bool ready = false;
        client::engine engine(io, options, [&](const client::event& e) {
            if (const auto* error = std::get_if<client::events::error>(&e);
                error != nullptr && error->fatal) {
                std::cerr << "engine: " << error->code << ": " << error->message << "\n";
                io.stop();
            }
            if (std::holds_alternative<client::events::ready>(e)) {
                ready = true;
                io.stop();
            }
        });
        // The key derivation runs on a worker thread: keep the loop alive until it reports.
        auto guard = asio::make_work_guard(io);
        engine.start(crypto::make_passphrase("bench"));
        io.run();
        guard.reset();
        if (!ready) {
            std::cerr << "bench tui: the engine did not unlock\n";
            return 1;
        }
        io.restart();
        auto t0 = bench_clock::now();
        std::vector<tui::message_view> views;
        auto newest = engine.history("bob", std::nullopt, page);
        auto& entries = std::get<std::vector<client::history_entry>>(newest);
        std::string oldest = entries.front().id;
        to_views(entries, views);
        compose_page(views);
        first.push_back(ms_since(t0));
        // A keystroke on the newest page: the input line edit and the whole frame it repaints.
        tui::input_line input;
        for (int k = 0; k < 200; ++k) {
            t0 = bench_clock::now();
            input.insert(k % 50 == 49 ? " " : "x");
            compose_page(views, &input);
            keystroke.push_back(ms_since(t0));
        }
        for (int p = 0; p < 20; ++p) {
            t0 = bench_clock::now();
            auto older = engine.history("bob", oldest, page);
            auto& more = std::get<std::vector<client::history_entry>>(older);
            scroll_history.push_back(ms_since(t0));
            if (more.empty()) {
                break;
            }
            oldest = more.front().id;
            to_views(more, views);
            compose_page(views);
            scroll.push_back(ms_since(t0));
        }
        if (run == 4) {
            const auto cpu0 = cpu_seconds();
            io.run_for(std::chrono::seconds(3));
            idle_pct = (cpu_seconds() - cpu0) / 3.0 * 100.0;
        }
        engine.stop();
    }
    const double rss = rss_mb();
    std::filesystem::remove_all(directory);

    const auto ratio = [](double ours, double peer) { return peer > 0 ? ours / peer : 0.0; };
    std::printf("first page (%zu rows of %zu): sotto %.3f ms (history + layout + frame), plain "
                "SQLite %.3f ms, ratio %.1f\n",
                page, count, median(first), median(peer_first),
                ratio(median(first), median(peer_first)));
    std::printf("page scroll: sotto %.3f ms (of which engine history %.3f ms), plain SQLite %.3f "
                "ms, ratio %.1f\n",
                median(scroll), median(scroll_history), median(peer_scroll),
                ratio(median(scroll), median(peer_scroll)));
    std::printf("keystroke to composed frame: %.3f ms median, %.3f ms p99 (one frame at 60 Hz is "
                "16.7 ms)\n",
                median(keystroke), [&] {
                    auto sorted = keystroke;
                    std::sort(sorted.begin(), sorted.end());
                    return sorted.empty() ? 0.0 : sorted[sorted.size() * 99 / 100];
                }());
    std::printf(
        "bench tui: first paint %.1f ms, page scroll %.2f ms, rss %.0f MB, idle cpu %.2f pct\n",
        median(first), median(scroll), rss, idle_pct);
    return 0;
}
