#pragma once
// A memory relay store whose enqueue (commit) and pending (fetch) can be held at a gate and whose
// commits can be made to fail, so a test can act between a Send's arrival and its commit, or
// while a login's fetch is in flight. The store is used on the backend's writer thread; the gate
// is shared with the test.
#include "store/relay_store.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sotto::testing {

class gated_store final : public store::relay_store {
  public:
    enum class step { enqueue, pending };

    struct gate {
        std::mutex mutex;
        std::condition_variable changed;
        bool open_enqueue = true;
        bool open_pending = true;
        int waiting_enqueue = 0;
        int waiting_pending = 0;
        bool failing = false;             // commits throw store_error("disk full")
        std::atomic<int> acknowledged{0}; // acks that reached acknowledge (on the writer thread)
        std::atomic<int> fetches{0};      // calls of pending, each past the gate

        void close(step s) { set(s, false); }
        void open(step s) { set(s, true); }
        // Until the writer thread waits at `s`.
        void wait_for(step s) {
            std::unique_lock lock(mutex);
            REQUIRE(
                changed.wait_for(lock, std::chrono::seconds(5), [&] { return waiting(s) > 0; }));
        }

      private:
        friend class gated_store;
        void set(step s, bool value) {
            {
                std::lock_guard lock(mutex);
                (s == step::enqueue ? open_enqueue : open_pending) = value;
            }
            changed.notify_all();
        }
        int& waiting(step s) { return s == step::enqueue ? waiting_enqueue : waiting_pending; }
        void pass(step s) {
            std::unique_lock lock(mutex);
            ++waiting(s);
            changed.notify_all();
            changed.wait(lock, [&] { return s == step::enqueue ? open_enqueue : open_pending; });
            --waiting(s);
        }
    };

    explicit gated_store(gate& g) : gate_(g), inner_(store::make_memory_relay_store()) {}

    store::registration_result register_account(const std::string& username,
                                                const crypto::identity_public_key& key,
                                                const std::optional<std::string>& invite_code,
                                                bool invite_only,
                                                store::unix_seconds now) override {
        return inner_->register_account(username, key, invite_code, invite_only, now);
    }
    std::optional<store::account> find_account(const std::string& username) override {
        return inner_->find_account(username);
    }
    bool add_invite(const store::invite& code) override { return inner_->add_invite(code); }
    std::vector<store::enqueue_result> enqueue(std::span<store::envelope> batch,
                                               const store::queue_limits& limits) override {
        gate_.pass(step::enqueue);
        if (gate_.failing) {
            throw store::store_error("disk full");
        }
        return inner_->enqueue(batch, limits);
    }
    std::vector<store::envelope> pending(const std::string& recipient, std::uint64_t after,
                                         std::size_t limit) override {
        gate_.pass(step::pending);
        ++gate_.fetches;
        return inner_->pending(recipient, after, limit);
    }
    void acknowledge(const std::string& recipient,
                     std::span<const std::pair<std::string, store::message_id>> acked,
                     store::unix_seconds now) override {
        gate_.acknowledged += static_cast<int>(acked.size());
        inner_->acknowledge(recipient, acked, now);
    }
    void acknowledge_batch(std::span<const store::acknowledgement> acked,
                           store::unix_seconds now) override {
        gate_.acknowledged += static_cast<int>(acked.size());
        inner_->acknowledge_batch(acked, now);
    }
    std::vector<store::expiry_notice> expire(store::unix_seconds now,
                                             const store::queue_limits& limits) override {
        return inner_->expire(now, limits);
    }
    std::vector<store::expiry_notice> take_expiry_notices(const std::string& sender) override {
        return inner_->take_expiry_notices(sender);
    }
    void audit(const store::audit_event& event) override { inner_->audit(event); }
    std::vector<store::audit_event> audit_since(store::unix_seconds since) override {
        return inner_->audit_since(since);
    }

  private:
    gate& gate_;
    std::unique_ptr<store::relay_store> inner_;
};

} // namespace sotto::testing
