// The in-process backend's two-step push: an online recipient gets an envelope when its Send
// arrives (uncommitted), then one settlement per push in the same order once the commit decided.
#include "net/relay/backend.h"
#include "tests/net/gated_store.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace relay = sotto::net::relay;
namespace store = sotto::store;

namespace {

using namespace std::chrono_literals;
using sotto::testing::gated_store;

// Records every push and outcome as one line: "uncommitted <id> seq 0", then "settled <id> seq
// <n>" or "settled none" for an early push, "envelope <id> seq <n>" for a committed one only.
class recorder final : public relay::subscriber {
  public:
    void on_uncommitted(std::shared_ptr<const store::envelope> envelope) override {
        add("uncommitted " + describe(*envelope, envelope->sequence));
    }
    void on_committed(std::vector<relay::commit_outcome> outcomes) override {
        for (const auto& outcome : outcomes) {
            if (outcome.pushed_early) {
                add(outcome.sequence == 0
                        ? "settled none"
                        : "settled " + describe(*outcome.envelope, outcome.sequence));
            } else {
                add("envelope " + describe(*outcome.envelope, outcome.sequence));
            }
        }
    }
    void on_presence(const std::string&, bool) override {}

    std::vector<std::string> wait_for(std::size_t count) {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, 5s, [&] { return lines_.size() >= count; });
        return lines_;
    }

  private:
    static std::string describe(const store::envelope& e, std::uint64_t sequence) {
        return std::to_string(e.id[0]) + " seq " + std::to_string(sequence);
    }
    void add(std::string line) {
        {
            std::lock_guard lock(mutex_);
            lines_.push_back(std::move(line));
        }
        changed_.notify_all();
    }
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::string> lines_;
};

store::message_id id_of(std::uint8_t n) {
    store::message_id id{};
    id.fill(0);
    id[0] = n;
    return id;
}

// The lines of the pushes and of the settlements, each in their order (their interleaving
// depends on when the writer thread commits).
struct split_lines {
    std::vector<std::string> pushed, settled;
    explicit split_lines(const std::vector<std::string>& lines) {
        for (const auto& line : lines) {
            (line.starts_with("settled") ? settled : pushed).push_back(line);
        }
    }
};

struct fixture {
    // Before the backend, whose writer thread runs the send callbacks until it is destroyed.
    std::mutex mutex_;
    std::vector<std::string> results_;
    gated_store::gate gate;
    std::shared_ptr<relay::backend> backend =
        relay::make_local_backend(std::make_unique<gated_store>(gate), {});

    fixture() {
        for (const char* name : {"alice", "bob"}) {
            std::promise<store::registration_result> done;
            backend->register_account(name, {}, std::nullopt, false,
                                      [&](store::registration_result r) { done.set_value(r); });
            REQUIRE(done.get_future().get() == store::registration_result::registered);
        }
    }
    // Sends from alice to bob; its result is added to results().
    void send(std::uint8_t id) {
        backend->send("alice", {"bob"}, id_of(id), "ciphertext",
                      [this](std::vector<store::enqueue_result> r) {
                          std::lock_guard lock(mutex_);
                          results_.push_back(r.empty() ? "failed"
                                             : r[0] == store::enqueue_result::queued
                                                 ? "queued"
                                                 : "not queued");
                      });
    }
    // "queued", "not queued" or "failed" for each send so far, in order.
    std::vector<std::string> results() {
        std::lock_guard lock(mutex_);
        return results_;
    }
    // What waits in bob's queue.
    std::vector<store::envelope> waiting() {
        std::promise<std::vector<store::envelope>> page;
        backend->pending("bob", 0, 10, [&](std::vector<store::envelope> envelopes) {
            page.set_value(envelopes);
        });
        return page.get_future().get();
    }
};

} // namespace

TEST_CASE("an online recipient gets an envelope when its send arrives, before the commit") {
    fixture f;
    auto bob = std::make_shared<recorder>();
    f.backend->attach("bob", bob);
    f.gate.close(gated_store::step::enqueue);
    f.send(1);
    f.gate.wait_for(gated_store::step::enqueue);
    CHECK(bob->wait_for(1) == std::vector<std::string>{"uncommitted 1 seq 0"});
    CHECK(f.results().empty()); // the sender's result still waits for the commit
    f.gate.open(gated_store::step::enqueue);
    CHECK(bob->wait_for(2) == std::vector<std::string>{"uncommitted 1 seq 0", "settled 1 seq 1"});
    f.backend->drain();
    CHECK(f.results() == std::vector<std::string>{"queued"});
}

TEST_CASE("settlements come in the order of the uncommitted pushes, one for each") {
    fixture f;
    auto bob = std::make_shared<recorder>();
    f.backend->attach("bob", bob);
    for (std::uint8_t id = 1; id <= 50; ++id) {
        f.send(id);
    }
    f.backend->drain();
    const split_lines lines(bob->wait_for(100));
    const auto& pushed = lines.pushed;
    const auto& settled = lines.settled;
    REQUIRE(pushed.size() == 50);
    REQUIRE(settled.size() == 50);
    for (std::uint8_t id = 1; id <= 50; ++id) {
        CHECK(pushed[id - 1u] == "uncommitted " + std::to_string(id) + " seq 0");
        CHECK(settled[id - 1u] == "settled " + std::to_string(id) + " seq " + std::to_string(id));
    }
}

TEST_CASE("a send that is not stored settles its early push with nothing") {
    fixture f;
    auto bob = std::make_shared<recorder>();
    f.backend->attach("bob", bob);
    f.send(7);
    f.send(7); // a retry: a duplicate, stored once
    f.backend->drain();
    const split_lines lines(bob->wait_for(4));
    CHECK(lines.pushed == std::vector<std::string>{"uncommitted 7 seq 0", "uncommitted 7 seq 0"});
    CHECK(lines.settled == std::vector<std::string>{"settled 7 seq 1", "settled none"});
    CHECK(f.results() == std::vector<std::string>{"queued", "not queued"});
}

TEST_CASE("a failed commit settles every early push with nothing and reports the failure") {
    fixture f;
    auto bob = std::make_shared<recorder>();
    f.backend->attach("bob", bob);
    f.gate.failing = true; // read by the writer thread only after send() below
    f.send(3);
    f.backend->drain();
    CHECK(bob->wait_for(2) == std::vector<std::string>{"uncommitted 3 seq 0", "settled none"});
    CHECK(f.results() == std::vector<std::string>{"failed"});
}

TEST_CASE(
    "a connection that comes online between a send and its commit gets the committed envelope") {
    fixture f;
    auto first = std::make_shared<recorder>();
    f.backend->attach("bob", first);
    f.gate.close(gated_store::step::enqueue);
    f.send(5);
    f.gate.wait_for(gated_store::step::enqueue);
    auto second = std::make_shared<recorder>();
    f.backend->attach("bob", second);
    f.gate.open(gated_store::step::enqueue);
    f.backend->drain();
    CHECK(first->wait_for(2) == std::vector<std::string>{"uncommitted 5 seq 0", "settled 5 seq 1"});
    CHECK(second->wait_for(1) == std::vector<std::string>{"envelope 5 seq 1"});
}

TEST_CASE("an offline recipient gets nothing pushed and its envelope waits in the store") {
    fixture f;
    f.send(9);
    f.backend->drain();
    const auto envelopes = f.waiting();
    REQUIRE(envelopes.size() == 1);
    CHECK(envelopes[0].id == id_of(9));
}

TEST_CASE("an ack that comes before its envelope's commit leaves nothing waiting and still "
          "deduplicates") {
    fixture f;
    auto bob = std::make_shared<recorder>();
    f.backend->attach("bob", bob);
    f.gate.close(gated_store::step::enqueue);
    f.send(1);
    f.gate.wait_for(gated_store::step::enqueue); // the writer holds message 1's commit
    f.send(2);
    f.backend->acknowledge("bob", {{"alice", id_of(2)}}); // bob got 2 early and acked it
    f.gate.open(gated_store::step::enqueue);
    f.backend->drain();
    const auto waiting = f.waiting();
    REQUIRE(waiting.size() == 1);
    CHECK(waiting[0].id == id_of(1));
    CHECK(f.gate.acknowledged == 0); // stored as delivered in its commit: no separate write
    f.send(2);                       // a retry of the acked one
    f.backend->drain();
    CHECK(f.results() == std::vector<std::string>{"queued", "queued", "not queued"});
}

TEST_CASE("acks reach the store within the ack delay with nothing else waking the writer, after "
          "every flush") {
    fixture f;
    const auto written_soon = [&](int count) {
        const auto give_up = std::chrono::steady_clock::now() + 5s;
        while (f.gate.acknowledged < count && std::chrono::steady_clock::now() < give_up) {
            std::this_thread::sleep_for(1ms);
        }
        return f.gate.acknowledged.load();
    };
    f.send(1);
    f.send(2);
    f.send(3);
    f.backend->drain(); // all three committed and waiting; the writer is idle
    f.backend->acknowledge("bob", {{"alice", id_of(1)}});
    f.backend->acknowledge("bob", {{"alice", id_of(2)}}); // joins the first one's flush
    CHECK(written_soon(2) == 2);
    f.backend->acknowledge("bob", {{"alice", id_of(3)}}); // the first after that flush
    CHECK(written_soon(3) == 3);
    const auto waiting = f.waiting();
    CHECK(waiting.empty());
}
