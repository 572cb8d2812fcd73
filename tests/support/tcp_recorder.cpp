#include "tests/support/tcp_recorder.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <stdexcept>
#include <vector>

namespace sotto::testing {

namespace {

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

struct pair {
    int client = -1;
    int target = -1;
};

} // namespace

tcp_recorder::tcp_recorder(std::uint16_t target_port) : target_(target_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto address = loopback(0);
    socklen_t length = sizeof address;
    if (listener_ < 0 ||
        ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 64) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        ::pipe2(wake_, O_CLOEXEC) != 0) {
        throw std::runtime_error("tcp_recorder: cannot listen on loopback");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
}

tcp_recorder::~tcp_recorder() {
    const char stop = 's';
    [[maybe_unused]] const auto written = ::write(wake_[1], &stop, 1);
    thread_.join();
    ::close(listener_);
    ::close(wake_[0]);
    ::close(wake_[1]);
}

std::string tcp_recorder::client_to_target() const {
    const std::lock_guard lock(mutex_);
    return upstream_;
}

std::string tcp_recorder::target_to_client() const {
    const std::lock_guard lock(mutex_);
    return downstream_;
}

void tcp_recorder::run() {
    std::vector<pair> pairs;
    std::vector<char> buffer(64 * 1024);
    for (;;) {
        std::vector<pollfd> fds{{wake_[0], POLLIN, 0}, {listener_, POLLIN, 0}};
        for (const auto& p : pairs) {
            fds.push_back({p.client, POLLIN, 0});
            fds.push_back({p.target, POLLIN, 0});
        }
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            continue;
        }
        if (fds[0].revents != 0) {
            break;
        }
        std::vector<pair> open;
        for (std::size_t i = 0; i < pairs.size(); ++i) {
            bool closed = false;
            for (int side = 0; side < 2 && !closed; ++side) {
                const auto& fd = fds[2 + 2 * i + static_cast<std::size_t>(side)];
                if (fd.revents == 0) {
                    continue;
                }
                const int from = side == 0 ? pairs[i].client : pairs[i].target;
                const int to = side == 0 ? pairs[i].target : pairs[i].client;
                const auto got = ::read(from, buffer.data(), buffer.size());
                if (got <= 0) {
                    closed = true;
                    break;
                }
                {
                    const std::lock_guard lock(mutex_);
                    (side == 0 ? upstream_ : downstream_)
                        .append(buffer.data(), static_cast<std::size_t>(got));
                }
                for (ssize_t sent = 0; sent < got;) {
                    const auto n =
                        ::write(to, buffer.data() + sent, static_cast<std::size_t>(got - sent));
                    if (n <= 0) {
                        closed = true;
                        break;
                    }
                    sent += n;
                }
            }
            if (closed) {
                ::close(pairs[i].client);
                ::close(pairs[i].target);
            } else {
                open.push_back(pairs[i]);
            }
        }
        pairs = std::move(open);
        // Last: fds has entries only for the pairs polled above.
        if ((fds[1].revents & POLLIN) != 0) {
            const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            const int target = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            const auto address = loopback(target_);
            if (client >= 0 && target >= 0 &&
                ::connect(target, reinterpret_cast<const sockaddr*>(&address), sizeof address) ==
                    0) {
                pairs.push_back({client, target});
                ++connections_;
            } else {
                ::close(client);
                ::close(target);
            }
        }
    }
    for (const auto& p : pairs) {
        ::close(p.client);
        ::close(p.target);
    }
}

} // namespace sotto::testing
