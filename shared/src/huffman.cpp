#include "huffman.hpp"

#include <algorithm>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

namespace vdmabuf::png_detail {

void huffman_lengths(const uint32_t* freq, size_t n, unsigned limit, uint8_t* lengths) {
    std::vector<uint64_t> f(freq, freq + n);
    std::fill(lengths, lengths + n, 0);
    for (;;) {
        using Node = std::pair<uint64_t, size_t>; // weight, node (leaves 0..n-1)
        std::priority_queue<Node, std::vector<Node>, std::greater<Node>> heap;
        for (size_t i = 0; i < n; ++i)
            if (f[i])
                heap.push({f[i], i});
        if (heap.empty())
            return;
        if (heap.size() == 1) {
            lengths[heap.top().second] = 1;
            return;
        }
        std::vector<size_t> parent(2 * n, 0);
        size_t next = n;
        while (heap.size() > 1) {
            const Node a = heap.top();
            heap.pop();
            const Node b = heap.top();
            heap.pop();
            parent[a.second] = parent[b.second] = next;
            heap.push({a.first + b.first, next++});
        }
        // Parents are made after their children: depths top-down from the root.
        std::vector<unsigned> depth(next, 0);
        for (size_t node = next - 1; node-- > n;)
            depth[node] = depth[parent[node]] + 1;
        unsigned deepest = 0;
        for (size_t i = 0; i < n; ++i)
            if (f[i])
                deepest = std::max(deepest, depth[parent[i]] + 1);
        if (deepest <= limit) {
            for (size_t i = 0; i < n; ++i)
                lengths[i] = f[i] ? uint8_t(depth[parent[i]] + 1) : 0;
            return;
        }
        for (uint64_t& w : f)
            if (w)
                w = (w >> 1) | 1; // flatter: a shallower tree, still every symbol
    }
}

void canonical_codes(const uint8_t* lengths, size_t n, uint16_t* codes) {
    unsigned count[16] = {}, next[16] = {};
    for (size_t i = 0; i < n; ++i)
        ++count[lengths[i]];
    count[0] = 0;
    unsigned code = 0;
    for (unsigned bits = 1; bits < 16; ++bits)
        next[bits] = code = (code + count[bits - 1]) << 1;
    for (size_t i = 0; i < n; ++i) {
        const unsigned len = lengths[i];
        if (!len)
            continue;
        unsigned c = next[len]++, r = 0;
        for (unsigned b = 0; b < len; ++b, c >>= 1)
            r = (r << 1) | (c & 1);
        codes[i] = uint16_t(r);
    }
}

} // namespace vdmabuf::png_detail
