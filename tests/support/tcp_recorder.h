#pragma once
// A loopback TCP proxy for tests that records every byte it forwards, in both directions, so a
// test can check what actually crossed the wire (for example that no plaintext did). It
// listens on 127.0.0.1:<port>, connects each accepted client to 127.0.0.1:<target>, and
// forwards until either side closes. Runs on its own thread; the destructor stops it.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace sotto::testing {

class tcp_recorder {
  public:
    // Throws std::runtime_error when it cannot listen.
    explicit tcp_recorder(std::uint16_t target_port);
    ~tcp_recorder();
    tcp_recorder(const tcp_recorder&) = delete;
    tcp_recorder& operator=(const tcp_recorder&) = delete;

    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    // Everything sent by clients (to the target) and by the target (to clients) so far.
    [[nodiscard]] std::string client_to_target() const;
    [[nodiscard]] std::string target_to_client() const;
    [[nodiscard]] std::size_t connections() const noexcept { return connections_.load(); }

  private:
    void run();

    std::uint16_t target_;
    std::uint16_t port_ = 0;
    int listener_ = -1;
    int wake_[2] = {-1, -1};
    std::atomic<std::size_t> connections_{0};
    mutable std::mutex mutex_;
    std::string upstream_;
    std::string downstream_;
    std::thread thread_;
};

} // namespace sotto::testing
