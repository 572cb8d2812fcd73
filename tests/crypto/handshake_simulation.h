#pragma once
// A two-party handshake simulation over a fake network that drops, duplicates, delays and
// reorders, with parties restarting from their serialized state or from nothing. Used by
// the seeded randomized test and by the handshake fuzz target; `pick(bound)` decides every
// choice, so a seed or a fuzz input replays exactly.

#include "crypto/handshake.h"

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sotto::crypto::testing {

class handshake_simulation {
  public:
    using picker = std::function<std::uint32_t(std::uint32_t bound)>;

    struct party {
        identity_key_pair identity;
        std::string name;
        std::string peer;
        std::optional<handshake> machine;
        std::optional<wall_time> timer;
        std::vector<byte> root; // of the last established session
        std::vector<byte> transcript;
        std::optional<session_role> role;
        std::optional<established_session> session; // the last one, for the ratchet
        int establishments = 0;
    };

    struct message {
        std::size_t to;
        bool offer;
        std::vector<byte> bytes;
    };

    handshake_simulation(std::uint64_t seed, picker pick) : random_(seed), pick_(std::move(pick)) {
        parties_.push_back(make_party("alice", "bob"));
        parties_.push_back(make_party("bob", "alice"));
        // The machines point at identities inside the vector: build them once it is final.
        for (party& p : parties_) {
            p.machine.emplace(p.identity, p.name, p.peer, std::nullopt);
        }
    }

    // One chaotic step: deliver, duplicate, drop or hold back a message, fire a timer,
    // restart a party, tell one the other came online, or let time pass.
    void chaos_step() {
        now_ += std::chrono::milliseconds(1 + pick_(50));
        switch (pick_(12)) {
        case 0:
        case 1:
        case 2:
        case 3: // deliver any in-flight message (reordering)
            if (!network_.empty()) {
                deliver(pick_(static_cast<std::uint32_t>(network_.size())), false);
            }
            break;
        case 4: // deliver one and keep a copy (duplication)
            if (!network_.empty()) {
                deliver(pick_(static_cast<std::uint32_t>(network_.size())), true);
            }
            break;
        case 5: // drop one
            if (!network_.empty()) {
                network_.erase(network_.begin() +
                               pick_(static_cast<std::uint32_t>(network_.size())));
            }
            break;
        case 6:
        case 7: // a timer fires (time jumps to it)
            fire_timer(pick_(2));
            break;
        case 8: // restart from the persisted state
            restart(pick_(2), false);
            break;
        case 9: // peer came online
            apply(pick_(2), parties_[pick_(2)].machine->peer_came_online(now_, random_));
            break;
        case 10: // open (again); rarely a restart from nothing or a reset
            if (pick_(8) == 0) {
                restart(pick_(2), true);
            } else if (pick_(16) == 0) {
                const std::size_t who = pick_(2);
                apply(who, parties_[who].machine->reset(now_, random_));
            } else {
                const std::size_t who = pick_(2);
                apply(who, parties_[who].machine->open(now_, random_));
            }
            break;
        default: // time passes
            now_ += std::chrono::milliseconds(pick_(5000));
            break;
        }
    }

    // A reliable network from now on: deliver everything in order and fire timers when
    // quiet, until both are established and nothing is in flight. False when that takes
    // more than `max_steps`.
    bool settle(int max_steps) {
        for (int step = 0; step < max_steps; ++step) {
            if (!network_.empty()) {
                deliver(0, false);
                continue;
            }
            if (converged()) {
                return true;
            }
            const std::size_t who = !parties_[0].timer ? 1
                                    : !parties_[1].timer
                                        ? 0
                                        : (*parties_[0].timer <= *parties_[1].timer ? 0 : 1);
            if (!parties_[who].timer) {
                // Nobody will act again: open whoever has no session.
                for (std::size_t i = 0; i < 2; ++i) {
                    apply(i, parties_[i].machine->open(now_, random_));
                }
                if (network_.empty()) {
                    return converged();
                }
                continue;
            }
            fire_timer(who);
        }
        return converged();
    }

    [[nodiscard]] bool converged() const {
        const party& a = parties_[0];
        const party& b = parties_[1];
        return network_.empty() && a.machine->state() == handshake_state::established &&
               b.machine->state() == handshake_state::established && !a.root.empty() &&
               a.root == b.root && a.transcript == b.transcript && a.role && b.role &&
               *a.role != *b.role;
    }

    void start() {
        apply(0, parties_[0].machine->open(now_, random_));
        if (pick_(2) == 0) {
            apply(1, parties_[1].machine->open(now_, random_));
        }
    }

    [[nodiscard]] const party& at(std::size_t who) const { return parties_[who]; }
    [[nodiscard]] std::size_t in_flight() const { return network_.size(); }
    [[nodiscard]] int rejections() const { return rejections_; }

  private:
    party make_party(std::string name, std::string peer) {
        return party{identity_key_pair::generate(random_),
                     std::move(name),
                     std::move(peer),
                     {},
                     {},
                     {},
                     {},
                     {},
                     {},
                     0};
    }

    void deliver(std::size_t index, bool keep_copy) {
        message m = network_[index];
        if (!keep_copy) {
            network_.erase(network_.begin() + static_cast<std::ptrdiff_t>(index));
        }
        party& target = parties_[m.to];
        apply(m.to, m.offer ? target.machine->offer_received(m.bytes, now_, random_)
                            : target.machine->confirm_received(m.bytes, now_));
    }

    void fire_timer(std::size_t who) {
        party& p = parties_[who];
        if (!p.timer) {
            return;
        }
        now_ = std::max(now_, *p.timer);
        p.timer.reset();
        apply(who, p.machine->timer_fired(now_, random_));
    }

    void restart(std::size_t who, bool from_nothing) {
        party& p = parties_[who];
        p.timer.reset();
        if (from_nothing) {
            // Lost everything but the contact's pinned key (kept in the contacts table).
            const auto pinned = p.machine->status().pinned_peer_key;
            p.machine.emplace(p.identity, p.name, p.peer, pinned);
            p.root.clear();
            p.transcript.clear();
            p.role.reset();
            p.session.reset();
            apply(who, p.machine->open(now_, random_));
            return;
        }
        const auto saved = p.machine->serialize();
        auto restored = handshake::deserialize(saved.view(), p.identity);
        if (!restored) {
            throw std::logic_error("a serialized handshake did not deserialize");
        }
        if (!(restored->serialize() == saved)) {
            throw std::logic_error("a deserialized handshake serializes differently");
        }
        p.machine.emplace(std::move(*restored));
        apply(who, p.machine->resume(now_));
    }

    void apply(std::size_t who, handshake_actions actions) {
        party& p = parties_[who];
        for (auto& action : actions) {
            if (auto* offer = std::get_if<handshake_action::send_offer>(&action)) {
                network_.push_back({1 - who, true, std::move(offer->bytes)});
            } else if (auto* confirm = std::get_if<handshake_action::send_confirm>(&action)) {
                network_.push_back({1 - who, false, std::move(confirm->bytes)});
            } else if (auto* timer = std::get_if<handshake_action::arm_timer>(&action)) {
                p.timer = now_ + timer->delay;
            } else if (auto* done = std::get_if<handshake_action::established>(&action)) {
                const auto& s = done->session;
                p.root.assign(s.root.view().begin(), s.root.view().end());
                p.transcript.assign(s.transcript.bytes.begin(), s.transcript.bytes.end());
                p.role = s.role;
                ++p.establishments;
                p.session = std::move(done->session);
                p.timer.reset();
            } else if (std::holds_alternative<handshake_action::key_changed>(action)) {
                throw std::logic_error("a key change without any key changing");
            } else {
                ++rejections_;
            }
        }
    }

    seeded_random random_;
    picker pick_;
    wall_time now_{std::chrono::milliseconds(1'700'000'000'000)};
    std::vector<party> parties_;
    std::vector<message> network_;
    int rejections_ = 0;
};

} // namespace sotto::crypto::testing
