#include "net/relay/backend.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <variant>

namespace sotto::net::relay {

namespace {

store::unix_seconds unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct send_job {
    std::string sender;
    std::vector<std::string> recipients;
    store::message_id id{};
    std::string ciphertext;
    backend::callback<std::vector<store::enqueue_result>> done;
    // The uncommitted pushes, in recipient order.
    struct early_push {
        std::size_t recipient = 0; // index into recipients
        std::weak_ptr<subscriber> to;
        std::shared_ptr<const store::envelope> envelope;
    };
    std::vector<early_push> pushed;
};

struct ack_job {
    std::string recipient;
    std::vector<backend::acknowledgement> acked;
};

using store_task = std::function<void(store::relay_store&)>;
using job = std::variant<send_job, ack_job, store_task>;

constexpr auto ack_delay = std::chrono::milliseconds(50);
constexpr std::size_t max_pending_acks = 8192;

class local_backend final : public backend {
  public:
    local_backend(std::unique_ptr<store::relay_store> store, const local_backend_options& options)
        : store_(std::move(store)), options_(options), writer_([this] { write_loop(); }) {}

    ~local_backend() override {
        spdlog::debug("group commit: {} envelopes in {} commits, {:.1f} ms committing", committed_,
                      commits_, std::chrono::duration<double, std::milli>(commit_time_).count());
        {
            std::lock_guard lock(jobs_mutex_);
            stopping_ = true;
        }
        jobs_ready_.notify_all();
        writer_.join();
    }

    void register_account(std::string username, crypto::identity_public_key key,
                          std::optional<std::string> invite_code, bool invite_only,
                          callback<store::registration_result> done) override {
        submit(store_task([=, username = std::move(username), invite_code = std::move(invite_code),
                           done = std::move(done)](store::relay_store& store) {
            done(store.register_account(username, key, invite_code, invite_only, unix_now()));
        }));
    }

    void find_account(std::string username, callback<std::optional<store::account>> done) override {
        submit(store_task([username = std::move(username), done = std::move(done)](
                              store::relay_store& store) { done(store.find_account(username)); }));
    }

    void send(std::string sender, std::vector<std::string> recipients, store::message_id id,
              std::string ciphertext, callback<std::vector<store::enqueue_result>> done) override {
        send_job work{std::move(sender),     std::move(recipients), id,
                      std::move(ciphertext), std::move(done),       {}};
        {
            // Under the jobs lock, so every connection sees its uncommitted pushes in the order
            // of the jobs, which is the commit order their on_settled calls follow.
            std::lock_guard lock(jobs_mutex_);
            push_uncommitted(work);
            jobs_.push_back(std::move(work));
            ++submitted_;
        }
        jobs_ready_.notify_one();
    }

    void pending(std::string recipient, std::uint64_t after_sequence, std::size_t limit,
                 callback<std::vector<store::envelope>> done) override {
        submit(store_task([=, recipient = std::move(recipient),
                           done = std::move(done)](store::relay_store& store) {
            done(store.pending(recipient, after_sequence, limit));
        }));
    }

    // Acks are flushed ack_delay after the first (see write_loop), so only the first ack after a
    // flush wakes the writer: from then on it wakes by the flush deadline anyway and takes
    // every job queued by then. One wakeup per flush instead of one per DeliverAck, and one
    // more whenever max_pending_acks of them queue up first, so they flush in bulk as before.
    void acknowledge(std::string recipient, std::vector<acknowledgement> acked) override {
        bool wake = false;
        {
            std::lock_guard lock(jobs_mutex_);
            queued_acks_ += acked.size();
            jobs_.push_back(ack_job{std::move(recipient), std::move(acked)});
            ++submitted_;
            wake = !acks_flush_armed_ || queued_acks_ >= max_pending_acks;
            acks_flush_armed_ = true;
            if (queued_acks_ >= max_pending_acks) {
                queued_acks_ = 0;
            }
        }
        if (wake) {
            jobs_ready_.notify_one();
        }
    }

    void take_expiry_notices(std::string sender,
                             callback<std::vector<store::expiry_notice>> done) override {
        submit(store_task(
            [sender = std::move(sender), done = std::move(done)](store::relay_store& store) {
                done(store.take_expiry_notices(sender));
            }));
    }

    void audit(store::audit_event event) override {
        if (!options_.audit) {
            return;
        }
        submit(store_task(
            [event = std::move(event)](store::relay_store& store) { store.audit(event); }));
    }

    void attach(const std::string& username,
                const std::shared_ptr<subscriber>& connection) override {
        std::lock_guard lock(routes_mutex_);
        auto& connections = online_[username];
        const bool first = connections.empty();
        connections.push_back(connection);
        if (first) {
            notify_watchers(username, true);
        }
    }

    void detach(const std::string& username, const subscriber* connection,
                const std::vector<std::string>& watched) override {
        std::lock_guard lock(routes_mutex_);
        for (const auto& target : watched) {
            const auto found = watchers_.find(target);
            if (found == watchers_.end()) {
                continue;
            }
            std::erase_if(found->second, [&](const std::weak_ptr<subscriber>& w) {
                const auto alive = w.lock();
                return !alive || alive.get() == connection;
            });
            if (found->second.empty()) {
                watchers_.erase(found);
            }
        }
        const auto found = online_.find(username);
        if (found == online_.end()) {
            return;
        }
        std::erase_if(found->second, [&](const std::weak_ptr<subscriber>& w) {
            const auto alive = w.lock();
            return !alive || alive.get() == connection;
        });
        if (found->second.empty()) {
            online_.erase(found);
            notify_watchers(username, false);
        }
    }

    void watch(const std::shared_ptr<subscriber>& connection, const std::string& target) override {
        std::lock_guard lock(routes_mutex_);
        watchers_[target].push_back(connection);
        if (online_.contains(target)) {
            connection->on_presence(target, true);
        }
    }

    std::vector<std::string> online_users(std::size_t limit) override {
        std::vector<std::string> names;
        {
            std::lock_guard lock(routes_mutex_);
            names.reserve(std::min(limit, online_.size()));
            for (const auto& entry : online_) {
                names.push_back(entry.first);
            }
        }
        std::sort(names.begin(), names.end());
        if (names.size() > limit) {
            names.resize(limit);
        }
        return names;
    }

    void drain() override {
        drain_requested_ = true;
        // An empty task, so the writer wakes, flushes pending acks and counts it complete.
        submit(store_task([](store::relay_store&) {}));
        {
            std::unique_lock lock(jobs_mutex_);
            const auto target = submitted_;
            drained_.wait(lock, [&] { return completed_ >= target; });
        }
        drain_requested_ = false;
    }

  private:
    void submit(job work) {
        {
            std::lock_guard lock(jobs_mutex_);
            jobs_.push_back(std::move(work));
            ++submitted_;
        }
        jobs_ready_.notify_one();
    }

    // Called with routes_mutex_ held.
    void notify_watchers(const std::string& username, bool online) {
        const auto found = watchers_.find(username);
        if (found == watchers_.end()) {
            return;
        }
        std::erase_if(found->second, [&](const std::weak_ptr<subscriber>& w) {
            const auto alive = w.lock();
            if (alive) {
                alive->on_presence(username, online);
            }
            return !alive;
        });
    }

    // Called with jobs_mutex_ held.
    void push_uncommitted(send_job& work) {
        std::lock_guard lock(routes_mutex_);
        const auto now = unix_now();
        for (std::size_t r = 0; r < work.recipients.size(); ++r) {
            const auto found = online_.find(work.recipients[r]);
            if (found == online_.end()) {
                continue;
            }
            std::shared_ptr<store::envelope> envelope;
            for (const auto& w : found->second) {
                const auto alive = w.lock();
                if (!alive) {
                    continue;
                }
                if (!envelope) {
                    envelope = std::make_shared<store::envelope>();
                    envelope->sender = work.sender;
                    envelope->recipient = work.recipients[r];
                    envelope->id = work.id;
                    envelope->ciphertext.assign(work.ciphertext.begin(), work.ciphertext.end());
                    envelope->queued_at = now;
                }
                alive->on_uncommitted(envelope);
                work.pushed.push_back({r, w, envelope});
            }
        }
    }

    // Adds what the commit decided for recipient `r` of `work` (sequence 0: not stored) to the
    // outcomes of its online connections: those that got the early push, and, when stored, the
    // others with the committed envelope. Called with routes_mutex_ held.
    void add_outcomes(const send_job& work, std::size_t r, store::envelope& committed,
                      std::uint64_t sequence) {
        const auto first = std::lower_bound(
            work.pushed.begin(), work.pushed.end(), r,
            [](const auto& push, std::size_t index) { return push.recipient < index; });
        auto last = first;
        while (last != work.pushed.end() && last->recipient == r) {
            if (auto alive = last->to.lock()) {
                outcomes_for(std::move(alive)).push_back({last->envelope, sequence, true});
            }
            ++last;
        }
        if (sequence == 0) {
            return;
        }
        const auto found = online_.find(committed.recipient);
        if (found == online_.end()) {
            return;
        }
        std::shared_ptr<const store::envelope> shared;
        for (const auto& w : found->second) {
            auto alive = w.lock();
            if (!alive || std::any_of(first, last,
                                      [&](const auto& push) { return push.to.lock() == alive; })) {
                continue;
            }
            if (!shared) {
                shared = std::make_shared<const store::envelope>(std::move(committed));
            }
            outcomes_for(std::move(alive)).push_back({shared, sequence, false});
        }
    }

    std::vector<commit_outcome>& outcomes_for(std::shared_ptr<subscriber> to) {
        const auto [found, added] = outcome_index_.try_emplace(to.get(), outcomes_.size());
        if (added) {
            outcomes_.emplace_back(std::move(to), std::vector<commit_outcome>{});
        }
        return outcomes_[found->second].second;
    }

    // One on_committed per connection for the whole commit.
    void dispatch_outcomes() {
        for (auto& [to, outcomes] : outcomes_) {
            to->on_committed(std::move(outcomes));
        }
        outcomes_.clear();
        outcome_index_.clear();
    }

    void write_loop() {
        // Below the connection threads: a commit's CPU work (SQLite, the kernel's fsync) must not
        // delay a push in flight. Nothing waits on the writer but SendResults.
        ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
        std::deque<job> batch;
        auto next_expiry = std::chrono::steady_clock::now();
        for (;;) {
            bool stop_now = false;
            {
                std::unique_lock lock(jobs_mutex_);
                auto wake = next_expiry;
                if (!pending_acks_.empty()) {
                    wake = std::min(wake, ack_deadline_);
                }
                jobs_ready_.wait_until(lock, wake, [&] { return stopping_ || !jobs_.empty(); });
                stop_now = jobs_.empty() && stopping_;
                batch.swap(jobs_);
                queued_acks_ = 0;
            }
            const auto now = std::chrono::steady_clock::now();
            if (now >= next_expiry) {
                run_expiry();
                next_expiry = now + options_.expiry_interval;
            }
            const auto count = batch.size();
            process(batch);
            batch.clear();
            // Acks are not durability-critical (a lost ack means a redelivery the recipient
            // deduplicates), so they are written in bulk: when many are waiting, when the oldest
            // has waited ack_delay, and always before drain() returns or the thread ends.
            if (pending_acks_.size() >= max_pending_acks ||
                std::chrono::steady_clock::now() >= ack_deadline_ || stop_now ||
                drain_requested_.load()) {
                flush_acks();
            }
            {
                std::lock_guard lock(jobs_mutex_);
                completed_ += count;
                // Acks queued since the batch was taken keep jobs_ non-empty, so the next wait
                // returns at once for them: none waits for a wakeup that is not coming.
                acks_flush_armed_ = !pending_acks_.empty();
            }
            drained_.notify_all();
            if (stop_now) {
                return;
            }
        }
    }

    void flush_acks() {
        if (pending_acks_.empty()) {
            return;
        }
        const auto now = unix_now();
        // Those that met their envelope in its commit are done (recipient cleared).
        std::erase_if(pending_acks_,
                      [](const store::acknowledgement& ack) { return ack.recipient.empty(); });
        try {
            store_->acknowledge_batch(pending_acks_, now);
        } catch (const std::exception& error) {
            spdlog::error("acknowledging delivered envelopes failed: {}", error.what());
        }
        pending_acks_.clear();
        pending_ack_index_.clear();
    }

    void add_pending_ack(store::acknowledgement ack) {
        pending_ack_index_.emplace(ack_key(ack.recipient, ack.sender, ack.id),
                                   pending_acks_.size());
        pending_acks_.push_back(std::move(ack));
    }

    static std::uint64_t ack_key(std::string_view recipient, std::string_view sender,
                                 const store::message_id& id) {
        const std::hash<std::string_view> hash;
        std::uint64_t key = hash(recipient) * 0x9E3779B97F4A7C15ULL ^ hash(sender);
        for (const auto byte : id) {
            key = (key ^ byte) * 0x100000001B3ULL;
        }
        return key;
    }

    // Whether the recipient acked this envelope before its commit; that ack is then used up.
    bool acknowledged_already(const store::envelope& envelope) {
        if (pending_acks_.empty()) {
            return false;
        }
        const auto [first, last] = pending_ack_index_.equal_range(
            ack_key(envelope.recipient, envelope.sender, envelope.id));
        for (auto it = first; it != last; ++it) {
            auto& ack = pending_acks_[it->second];
            if (ack.recipient == envelope.recipient && ack.sender == envelope.sender &&
                ack.id == envelope.id) {
                ack.recipient.clear();
                pending_ack_index_.erase(it);
                return true;
            }
        }
        return false;
    }

    void run_expiry() {
        try {
            const auto notices = store_->expire(unix_now(), options_.limits);
            if (!notices.empty()) {
                spdlog::info("{} queued envelopes expired unread", notices.size());
            }
        } catch (const std::exception& error) {
            spdlog::error("expiring old envelopes failed: {}", error.what());
        }
    }

    void process(std::deque<job>& batch) {
        // Acks first leave the sequence: they wait in pending_acks_ (see write_loop), so that
        // the acks a busy recipient sends between Sends do not split the Sends into many small
        // commits. An ack can come before its envelope's commit (envelopes are pushed on
        // arrival), never before its Send's job: commit_sends then stores the envelope as
        // delivered at once, and every other ack finds its envelope committed when flushed.
        std::erase_if(batch, [&](job& work) {
            auto* ack = std::get_if<ack_job>(&work);
            if (ack == nullptr) {
                return false;
            }
            if (pending_acks_.empty()) {
                ack_deadline_ = std::chrono::steady_clock::now() + ack_delay;
            }
            for (auto& [sender, id] : ack->acked) {
                add_pending_ack({ack->recipient, std::move(sender), id});
            }
            return true;
        });
        std::size_t index = 0;
        while (index < batch.size()) {
            if (std::holds_alternative<send_job>(batch[index])) {
                auto end = index;
                while (end < batch.size() && end - index < options_.max_batch &&
                       std::holds_alternative<send_job>(batch[end])) {
                    ++end;
                }
                commit_sends(batch, index, end);
                index = end;
                continue;
            }
            try {
                std::get<store_task>(batch[index])(*store_);
            } catch (const std::exception& error) {
                spdlog::error("relay store operation failed: {}", error.what());
            }
            ++index;
        }
    }

    // One enqueue (one transaction, one fsync) for the Sends batch[begin, end).
    void commit_sends(std::deque<job>& batch, std::size_t begin, std::size_t end) {
        envelopes_.clear();
        const auto now = unix_now();
        for (auto i = begin; i < end; ++i) {
            auto& send = std::get<send_job>(batch[i]);
            for (const auto& recipient : send.recipients) {
                store::envelope& envelope = envelopes_.emplace_back();
                envelope.sender = send.sender;
                envelope.recipient = recipient;
                envelope.id = send.id;
                envelope.ciphertext.assign(send.ciphertext.begin(), send.ciphertext.end());
                envelope.queued_at = now;
                envelope.acked_at = acknowledged_already(envelope) ? now : 0;
            }
        }
        std::vector<store::enqueue_result> results;
        bool stored = true;
        try {
            const auto started = std::chrono::steady_clock::now();
            results = store_->enqueue(envelopes_, options_.limits);
            ++commits_;
            committed_ += envelopes_.size();
            commit_time_ += std::chrono::steady_clock::now() - started;
        } catch (const std::exception& error) {
            spdlog::error("committing {} envelopes failed: {}", envelopes_.size(), error.what());
            stored = false;
            for (const auto& envelope : envelopes_) {
                if (envelope.acked_at != 0) { // the ack it used up waits again
                    add_pending_ack({envelope.recipient, envelope.sender, envelope.id});
                }
            }
        }
        const auto queued = [&](std::size_t at) {
            return stored && results.at(at) == store::enqueue_result::queued;
        };
        {
            std::lock_guard lock(routes_mutex_);
            std::size_t at = 0;
            for (auto i = begin; i < end; ++i) {
                const auto& send = std::get<send_job>(batch[i]);
                for (std::size_t r = 0; r < send.recipients.size(); ++r, ++at) {
                    add_outcomes(send, r, envelopes_[at], queued(at) ? envelopes_[at].sequence : 0);
                }
            }
        }
        dispatch_outcomes();
        std::size_t at = 0;
        for (auto i = begin; i < end; ++i) {
            auto& send = std::get<send_job>(batch[i]);
            std::vector<store::enqueue_result> mine; // empty: the store failed
            if (stored) {
                mine.assign(results.begin() + static_cast<std::ptrdiff_t>(at),
                            results.begin() +
                                static_cast<std::ptrdiff_t>(at + send.recipients.size()));
            }
            at += send.recipients.size();
            send.done(std::move(mine));
        }
    }

    std::unique_ptr<store::relay_store> store_;
    local_backend_options options_;
    std::vector<store::envelope> envelopes_; // reused by every commit
    // The outcomes of the commit in progress, per connection (writer thread only).
    std::vector<std::pair<std::shared_ptr<subscriber>, std::vector<commit_outcome>>> outcomes_;
    std::unordered_map<const subscriber*, std::size_t> outcome_index_;
    std::uint64_t commits_ = 0;
    std::uint64_t committed_ = 0;
    std::chrono::steady_clock::duration commit_time_{};
    // Acks waiting for the next flush, and an index into them by ack_key (writer thread only).
    std::vector<store::acknowledgement> pending_acks_;
    std::unordered_multimap<std::uint64_t, std::size_t> pending_ack_index_;
    std::chrono::steady_clock::time_point ack_deadline_{};
    std::atomic<bool> drain_requested_{false};

    std::mutex jobs_mutex_;
    std::condition_variable jobs_ready_;
    std::condition_variable drained_;
    std::deque<job> jobs_;
    std::uint64_t submitted_ = 0;
    std::uint64_t completed_ = 0;
    bool stopping_ = false;
    bool acks_flush_armed_ = false; // the writer will look at jobs_ within ack_delay (acks wait)
    std::size_t queued_acks_ = 0;   // acked items in jobs_ since the writer last took them

    std::mutex routes_mutex_;
    std::unordered_map<std::string, std::vector<std::weak_ptr<subscriber>>> online_;
    std::unordered_map<std::string, std::vector<std::weak_ptr<subscriber>>> watchers_;

    std::thread writer_; // last: started after everything it uses exists
};

} // namespace

std::shared_ptr<backend> make_local_backend(std::unique_ptr<store::relay_store> store,
                                            const local_backend_options& options) {
    return std::make_shared<local_backend>(std::move(store), options);
}

} // namespace sotto::net::relay
