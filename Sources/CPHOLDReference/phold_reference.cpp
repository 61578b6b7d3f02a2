// PHOLD on std::priority_queue: the reference arsim's kernel is measured against (docs/performance.md).
#include "phold_reference.h"

#include <cmath>
#include <cstdint>
#include <queue>
#include <vector>

namespace {

struct Xoshiro256 {
    uint64_t s[4];
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    uint64_t next() {
        const uint64_t result = rotl(s[1] * 5, 7) * 9;
        const uint64_t t = s[1] << 17;
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
        return result;
    }
    double unitOpenAtZero() { return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53; }
    // Lemire's method, as arsim's RandomStream.nextIndex(below:).
    uint32_t index(uint64_t bound) {
        __uint128_t m = static_cast<__uint128_t>(next()) * bound;
        uint64_t low = static_cast<uint64_t>(m);
        if (low < bound) {
            const uint64_t threshold = (0 - bound) % bound;
            while (low < threshold) { m = static_cast<__uint128_t>(next()) * bound; low = static_cast<uint64_t>(m); }
        }
        return static_cast<uint32_t>(m >> 64);
    }
};

uint64_t splitmix(uint64_t &state) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

struct Event {
    int64_t time;
    uint64_t seq;
    int32_t entity;
    bool operator>(const Event &o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

}  // namespace

extern "C" int64_t arsim_phold_reference(int32_t entities, int32_t pending, int64_t mean_delay, uint64_t events, uint64_t seed) {
    std::vector<Xoshiro256> streams(static_cast<size_t>(entities));
    for (int32_t e = 0; e < entities; ++e) {
        uint64_t state = seed ^ (0x6A09E667F3BCC909ULL + static_cast<uint64_t>(e) * 0x9E3779B97F4A7C15ULL);
        for (auto &word : streams[e].s) word = splitmix(state);
    }
    std::priority_queue<Event, std::vector<Event>, std::greater<Event>> queue;
    uint64_t seq = 0;
    const double mean = static_cast<double>(mean_delay);
    for (int32_t e = 0; e < entities; ++e) {
        for (int32_t k = 0; k < pending; ++k) {
            const int64_t t = static_cast<int64_t>(-mean * std::log(streams[e].unitOpenAtZero()));
            queue.push(Event{t, seq++, e});
        }
    }
    int64_t now = 0;
    for (uint64_t n = 0; n < events && !queue.empty(); ++n) {
        const Event ev = queue.top();
        queue.pop();
        now = ev.time;
        Xoshiro256 &rng = streams[static_cast<size_t>(ev.entity)];
        const int32_t destination = static_cast<int32_t>(rng.index(static_cast<uint64_t>(entities)));
        const int64_t delay = static_cast<int64_t>(-mean * std::log(rng.unitOpenAtZero()));
        queue.push(Event{now + delay, seq++, destination});
    }
    return now;
}
