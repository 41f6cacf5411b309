// Prometheus metrics: counters, gauges and histograms in labelled families, rendered in the
// text exposition format (version 0.0.4).
//
// Thread-safe. Recording a sample is a relaxed atomic add; looking up a labelled child takes a
// shared lock, so hot paths look a child up once and keep the reference (children live as long
// as the registry). Label values must come from small, bounded sets: never ids, emails or URLs.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace supportd::metrics {

class counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class gauge {
 public:
  void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(std::int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  void sub(std::int64_t n) { value_.fetch_sub(n, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

class histogram {
 public:
  // `upper_bounds` ascending, in the histogram's unit (seconds for durations).
  explicit histogram(std::span<const double> upper_bounds);

  void observe(double value);

  std::span<const double> upper_bounds() const { return bounds_; }
  // Non-cumulative count of bucket i; i == bounds().size() is the +Inf bucket.
  std::uint64_t bucket_count(std::size_t i) const {
    return counts_[i].load(std::memory_order_relaxed);
  }
  double sum() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  // The sum in millionths of the unit, so it can be an integer atomic.
  std::atomic<std::uint64_t> sum_micros_{0};
};

// Bucket bounds for request and command durations, in seconds.
std::span<const double> latency_buckets();

class family_base {
 public:
  family_base(std::string name, std::string help, std::string type,
              std::vector<std::string> label_names);
  virtual ~family_base() = default;

  void render(std::string& out) const;
  const std::string& name() const { return name_; }

 protected:
  virtual void render_samples(std::string& out) const = 0;
  // `name{labels}` for a child with these label values, plus an extra label if given.
  void append_series(std::string& out, std::string_view suffix,
                     const std::vector<std::string>& values, std::string_view extra_label = {},
                     std::string_view extra_value = {}) const;

 private:
  std::string name_;
  std::string help_;
  std::string type_;
  std::vector<std::string> label_names_;
};

template <class Metric>
class family final : public family_base {
 public:
  using family_base::family_base;

  template <class... Args>
  void set_child_args(Args... args) {
    make_child_ = [=] { return std::make_unique<Metric>(args...); };
  }

  // The child with these label values (in label-name order), created on first use.
  Metric& with(std::initializer_list<std::string_view> values) {
    std::vector<std::string> key(values.begin(), values.end());
    {
      std::shared_lock lock(mutex_);
      if (auto it = children_.find(key); it != children_.end()) {
        return *it->second;
      }
    }
    std::unique_lock lock(mutex_);
    auto& child = children_[std::move(key)];
    if (!child) {
      if constexpr (std::is_default_constructible_v<Metric>) {
        child = make_child_ ? make_child_() : std::make_unique<Metric>();
      } else {
        child = make_child_();
      }
    }
    return *child;
  }

 protected:
  void render_samples(std::string& out) const override;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
  std::function<std::unique_ptr<Metric>()> make_child_;
};

template <>
void family<counter>::render_samples(std::string& out) const;
template <>
void family<gauge>::render_samples(std::string& out) const;
template <>
void family<histogram>::render_samples(std::string& out) const;

class registry {
 public:
  family<counter>& add_counter(std::string name, std::string help,
                               std::vector<std::string> labels = {});
  family<gauge>& add_gauge(std::string name, std::string help,
                           std::vector<std::string> labels = {});
  family<histogram>& add_histogram(std::string name, std::string help,
                                   std::vector<std::string> labels, std::span<const double> bounds);
  // A gauge whose value is computed at each scrape.
  void add_computed_gauge(std::string name, std::string help, std::function<double()> value);
  // A counter read at each scrape from a source that only grows (the process's CPU time).
  void add_computed_counter(std::string name, std::string help, std::function<double()> value);

  // Every family, in registration order; families without samples still show HELP and TYPE.
  std::string render() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<family_base>> families_;
};

// Appends a sample value the way Prometheus expects it (integers plainly, +Inf, NaN).
void append_value(std::string& out, double value);

}  // namespace supportd::metrics
