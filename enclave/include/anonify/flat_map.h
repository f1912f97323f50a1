// A map kept as one vector of pairs sorted by key: the per-account tables of the ledger and the
// token runtime.
//
// Every state_apply copies its ledger (an apply is all or nothing) and serializes all of it, so an
// apply is linear in the state whatever container holds it. A std::map makes that copy one
// allocation per account (and the old ledger's destruction one free per account); this makes it one
// allocation and a copy of contiguous memory, and a look-up a binary search over it. Inserting a new
// key moves the entries after it, which is also linear and far cheaper than the copy every apply
// makes anyway.
//
// The subset of std::map's interface the tables use, with the same meaning: iteration in key order,
// find, count, operator[] (inserts a value-initialised entry), erase by key, emplace_hint. Iterators
// are invalidated by any insertion or erasure.
#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <utility>
#include <vector>

namespace anonify {

template <typename Key, typename Value>
class FlatMap {
 public:
  using value_type = std::pair<Key, Value>;
  using iterator = typename std::vector<value_type>::iterator;
  using const_iterator = typename std::vector<value_type>::const_iterator;
  using const_reverse_iterator = typename std::vector<value_type>::const_reverse_iterator;

  iterator begin() noexcept { return items_.begin(); }
  iterator end() noexcept { return items_.end(); }
  const_iterator begin() const noexcept { return items_.begin(); }
  const_iterator end() const noexcept { return items_.end(); }
  const_reverse_iterator rbegin() const noexcept { return items_.rbegin(); }
  const_reverse_iterator rend() const noexcept { return items_.rend(); }
  bool empty() const noexcept { return items_.empty(); }
  size_t size() const noexcept { return items_.size(); }
  void clear() noexcept { items_.clear(); }

  iterator find(const Key& key) {
    const iterator at = lower_bound(key);
    return at != items_.end() && !(key < at->first) ? at : items_.end();
  }
  const_iterator find(const Key& key) const {
    const const_iterator at = lower_bound(key);
    return at != items_.end() && !(key < at->first) ? at : items_.end();
  }
  size_t count(const Key& key) const { return find(key) == end() ? 0 : 1; }

  Value& operator[](const Key& key) {
    const iterator at = lower_bound(key);
    if (at != items_.end() && !(key < at->first)) return at->second;
    return items_.insert(at, value_type(key, Value{}))->second;
  }

  size_t erase(const Key& key) {
    const iterator at = find(key);
    if (at == items_.end()) return 0;
    items_.erase(at);
    return 1;
  }

  /// Inserts (key, value) unless the key is present (then returns its entry, unchanged). A hint of
  /// end() with a key above every key present appends without a search: how decoders that check
  /// their input is sorted rebuild a table.
  iterator emplace_hint(const_iterator hint, Key key, Value value) {
    if (hint == items_.end() && (items_.empty() || items_.back().first < key)) {
      items_.emplace_back(std::move(key), std::move(value));
      return std::prev(items_.end());
    }
    const iterator at = lower_bound(key);
    if (at != items_.end() && !(key < at->first)) return at;
    return items_.insert(at, value_type(std::move(key), std::move(value)));
  }

  friend bool operator==(const FlatMap& a, const FlatMap& b) { return a.items_ == b.items_; }
  friend bool operator!=(const FlatMap& a, const FlatMap& b) { return !(a == b); }

 private:
  iterator lower_bound(const Key& key) {
    return std::lower_bound(items_.begin(), items_.end(), key, [](const value_type& item, const Key& k) { return item.first < k; });
  }
  const_iterator lower_bound(const Key& key) const {
    return std::lower_bound(items_.begin(), items_.end(), key, [](const value_type& item, const Key& k) { return item.first < k; });
  }

  std::vector<value_type> items_;
};

}  // namespace anonify
