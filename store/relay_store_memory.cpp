// The relay store for --ephemeral: the same semantics as relay_store_sqlite.cpp, held in
// memory only. Nothing is written anywhere; everything is gone when the process exits.

#include "store/relay_store.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

namespace sotto::store {

namespace {

// A relay that runs for months in memory must not grow without bound: the oldest tenth of the
// audit log goes when it is full.
constexpr std::size_t memory_audit_capacity = 10'000;

// (sender, id, recipient): duplicates are judged per recipient.
using delivery_key = std::tuple<std::string, message_id, std::string>;

class memory_relay_store final : public relay_store {
  public:
    registration_result register_account(const std::string& username,
                                         const crypto::identity_public_key& key,
                                         const std::optional<std::string>& invite_code,
                                         bool invite_only, unix_seconds now) override {
        if (const auto found = accounts_.find(username); found != accounts_.end()) {
            return found->second.info.identity_key == key ? registration_result::already_registered
                                                          : registration_result::name_taken;
        }
        if (invite_only) {
            if (!invite_code) {
                return registration_result::invite_required;
            }
            const auto found = invites_.find(*invite_code);
            if (found == invites_.end() || found->second.uses_left == 0 ||
                (found->second.expires_at != 0 && now >= found->second.expires_at)) {
                return registration_result::invite_invalid;
            }
            found->second.uses_left -= 1;
        }
        accounts_.emplace(username, account_state{account{username, key, now}, 0, 0, 0, {}});
        return registration_result::registered;
    }

    std::optional<account> find_account(const std::string& username) override {
        const auto found = accounts_.find(username);
        if (found == accounts_.end()) {
            return std::nullopt;
        }
        return found->second.info;
    }

    bool add_invite(const invite& code) override {
        return invites_.emplace(code.code, code).second;
    }

    std::vector<enqueue_result> enqueue(std::span<envelope> batch,
                                        const queue_limits& limits) override {
        std::vector<enqueue_result> results;
        results.reserve(batch.size());
        for (auto& item : batch) {
            results.push_back(enqueue_one(item, limits));
        }
        return results;
    }

    std::vector<envelope> pending(const std::string& recipient, std::uint64_t after_sequence,
                                  std::size_t limit) override {
        std::vector<envelope> out;
        const auto found = accounts_.find(recipient);
        if (found == accounts_.end()) {
            return out;
        }
        const auto& queue = found->second.queue;
        for (auto it = queue.upper_bound(after_sequence); it != queue.end() && out.size() < limit;
             ++it) {
            out.push_back(it->second);
        }
        return out;
    }

    void acknowledge(const std::string& recipient,
                     std::span<const std::pair<std::string, message_id>> acked,
                     unix_seconds now) override {
        const auto found = accounts_.find(recipient);
        if (found == accounts_.end()) {
            return;
        }
        auto& state = found->second;
        for (const auto& [sender, id] : acked) {
            const auto queued = queued_.find(delivery_key{sender, id, recipient});
            if (queued == queued_.end()) {
                continue;
            }
            remove_queued(state, queued->second);
            queued_.erase(queued);
            delivered_[delivery_key{sender, id, recipient}] = now;
        }
    }

    void acknowledge_batch(std::span<const acknowledgement> acked, unix_seconds now) override {
        for (const auto& item : acked) {
            const std::pair<std::string, message_id> one{item.sender, item.id};
            acknowledge(item.recipient, std::span(&one, 1), now);
        }
    }

    std::vector<expiry_notice> expire(unix_seconds now, const queue_limits& limits) override {
        const unix_seconds cutoff = now - static_cast<unix_seconds>(limits.max_age.count());
        const unix_seconds dedup_cutoff = now - static_cast<unix_seconds>(dedup_window.count());
        std::erase_if(notices_,
                      [&](const stored_notice& notice) { return notice.expired_at < cutoff; });
        std::erase_if(delivered_, [&](const auto& entry) { return entry.second < dedup_cutoff; });
        std::vector<expiry_notice> expired;
        for (auto& [recipient, state] : accounts_) {
            for (auto it = state.queue.begin(); it != state.queue.end();) {
                const envelope& item = it->second;
                if (item.queued_at >= cutoff) {
                    ++it;
                    continue;
                }
                expired.push_back(expiry_notice{item.sender, item.recipient, item.id});
                notices_.push_back(stored_notice{expired.back(), now});
                queued_.erase(delivery_key{item.sender, item.id, item.recipient});
                state.count -= 1;
                state.bytes -= item.ciphertext.size();
                it = state.queue.erase(it);
            }
        }
        return expired;
    }

    std::vector<expiry_notice> take_expiry_notices(const std::string& sender) override {
        std::vector<expiry_notice> taken;
        std::erase_if(notices_, [&](const stored_notice& notice) {
            if (notice.notice.sender != sender) {
                return false;
            }
            taken.push_back(notice.notice);
            return true;
        });
        return taken;
    }

    void audit(const audit_event& event) override {
        if (audit_.size() >= memory_audit_capacity) {
            audit_.erase(audit_.begin(), audit_.begin() + memory_audit_capacity / 10);
        }
        audit_.push_back(event);
    }

    std::vector<audit_event> audit_since(unix_seconds since) override {
        std::vector<audit_event> events;
        std::copy_if(audit_.begin(), audit_.end(), std::back_inserter(events),
                     [&](const audit_event& event) { return event.time >= since; });
        return events;
    }

  private:
    struct account_state {
        account info;
        std::uint64_t last_sequence = 0;
        std::uint64_t count = 0;
        std::uint64_t bytes = 0;
        std::map<std::uint64_t, envelope> queue; // by sequence
    };

    struct stored_notice {
        expiry_notice notice;
        unix_seconds expired_at = 0;
    };

    enqueue_result enqueue_one(envelope& item, const queue_limits& limits) {
        const auto found = accounts_.find(item.recipient);
        if (found == accounts_.end()) {
            return enqueue_result::unknown_recipient;
        }
        auto& state = found->second;
        delivery_key key{item.sender, item.id, item.recipient};
        if (queued_.contains(key)) {
            return enqueue_result::duplicate;
        }
        if (const auto delivered = delivered_.find(key);
            delivered != delivered_.end() &&
            delivered->second >= item.queued_at - static_cast<unix_seconds>(dedup_window.count())) {
            return enqueue_result::duplicate;
        }
        if (item.acked_at != 0) { // acknowledged before the commit: only the delivered id
            item.sequence = ++state.last_sequence;
            delivered_[std::move(key)] = item.acked_at;
            return enqueue_result::queued;
        }
        if (state.count >= limits.max_messages) {
            return enqueue_result::queue_full_count;
        }
        if (item.ciphertext.size() > limits.max_bytes ||
            state.bytes > limits.max_bytes - item.ciphertext.size()) {
            return enqueue_result::queue_full_bytes;
        }
        item.sequence = ++state.last_sequence;
        state.count += 1;
        state.bytes += item.ciphertext.size();
        state.queue.emplace(item.sequence, item);
        queued_.emplace(std::move(key), item.sequence);
        return enqueue_result::queued;
    }

    static void remove_queued(account_state& state, std::uint64_t sequence) {
        const auto found = state.queue.find(sequence);
        if (found == state.queue.end()) {
            return;
        }
        state.count -= 1;
        state.bytes -= found->second.ciphertext.size();
        state.queue.erase(found);
    }

    std::map<std::string, account_state, std::less<>> accounts_;
    std::map<std::string, invite, std::less<>> invites_;
    std::map<delivery_key, std::uint64_t> queued_;   // -> sequence in the recipient's queue
    std::map<delivery_key, unix_seconds> delivered_; // -> acked_at
    std::vector<stored_notice> notices_;
    std::vector<audit_event> audit_;
};

} // namespace

std::unique_ptr<relay_store> make_memory_relay_store() {
    return std::make_unique<memory_relay_store>();
}

} // namespace sotto::store
