// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <vector>

// Grows a vector that every batch refills to about n elements, with room to spare. The models
// keep such buffers across batches and swap them with their live arrays, so an exact reserve()
// (or push_back's doubling on the other buffer) let a later batch reallocate one: a fresh
// multi-megabyte block costs its page faults on first touch, 8 ms on top of a 3 ms batch at
// 100,000 rows, in about one batch of five (docs/dashboard.md). GUI thread.
template<typename T>
void reserveAhead(std::vector<T> &v, std::size_t n)
{
    if (v.capacity() < n)
        v.reserve(n + n / 4 + 1024);
}
