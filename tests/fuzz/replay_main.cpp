// Drives a libFuzzer target without libFuzzer: every corpus file, then seeded mutations of the
// corpus (bit flips, truncations, insertions, splices) and random blobs. Any crash, sanitizer
// report or assertion fails the test. Usage: fuzz_replay_<name> CORPUS_DIR [INPUTS] [SEED]
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {
using blob = std::vector<std::uint8_t>;

blob mutate(const blob& original, const std::vector<blob>& corpus, std::mt19937_64& random) {
    blob out = original;
    const auto pick = [&](std::size_t bound) {
        return bound == 0 ? 0 : static_cast<std::size_t>(random() % bound);
    };
    const std::size_t steps = 1 + pick(4);
    for (std::size_t step = 0; step < steps; ++step) {
        switch (pick(6)) {
        case 0: // flip a bit
            if (!out.empty())
                out[pick(out.size())] ^= static_cast<std::uint8_t>(1U << pick(8));
            break;
        case 1: // truncate
            out.resize(pick(out.size() + 1));
            break;
        case 2: // insert random bytes
            for (std::size_t i = pick(16) + 1; i > 0; --i)
                out.insert(out.begin() + static_cast<std::ptrdiff_t>(pick(out.size() + 1)),
                           static_cast<std::uint8_t>(random()));
            break;
        case 3: // overwrite with an interesting value
            if (!out.empty())
                out[pick(out.size())] =
                    std::array<std::uint8_t, 5>{0x00, 0x01, 0x7f, 0x80, 0xff}[pick(5)];
            break;
        case 4: // splice with another corpus entry
            if (!corpus.empty()) {
                const blob& other = corpus[pick(corpus.size())];
                out.resize(pick(out.size() + 1));
                out.insert(out.end(),
                           other.begin() + static_cast<std::ptrdiff_t>(pick(other.size() + 1)),
                           other.end());
            }
            break;
        default: // duplicate a range
            if (!out.empty()) {
                const std::size_t start = pick(out.size());
                const std::size_t length = pick(out.size() - start) + 1;
                blob copy(out.begin() + static_cast<std::ptrdiff_t>(start),
                          out.begin() + static_cast<std::ptrdiff_t>(start + length));
                out.insert(out.begin() + static_cast<std::ptrdiff_t>(pick(out.size() + 1)),
                           copy.begin(), copy.end());
            }
        }
    }
    if (out.size() > (1U << 20U))
        out.resize(1U << 20U);
    return out;
}
} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR [INPUTS] [SEED]\n", argv[0]);
        return 2;
    }
    const std::size_t inputs = argc > 2 ? std::stoul(argv[2]) : 10000;
    std::mt19937_64 random(argc > 3 ? std::stoull(argv[3]) : 1);

    std::vector<blob> corpus;
    std::error_code error;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(argv[1], error)) {
        if (entry.is_regular_file())
            files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& path : files) {
        std::ifstream file(path, std::ios::binary);
        corpus.emplace_back(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
        LLVMFuzzerTestOneInput(corpus.back().data(), corpus.back().size());
    }
    for (std::size_t i = 0; i < inputs; ++i) {
        blob input;
        if (corpus.empty() || random() % 8 == 0) {
            input.resize(static_cast<std::size_t>(random() % 512));
            for (auto& b : input)
                b = static_cast<std::uint8_t>(random());
        } else {
            input =
                mutate(corpus[static_cast<std::size_t>(random() % corpus.size())], corpus, random);
        }
        LLVMFuzzerTestOneInput(input.data(), input.size());
    }
    std::printf("replayed %zu corpus files and %zu mutated inputs\n", corpus.size(), inputs);
    return 0;
}
