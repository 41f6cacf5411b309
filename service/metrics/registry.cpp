#include "metrics/registry.hpp"

#include <charconv>
#include <cmath>

namespace supportd::metrics {
namespace {

void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_help(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// A family of one unlabelled sample whose value is read at each scrape.
class computed_sample final : public family_base {
 public:
  computed_sample(std::string name, std::string help, std::string type,
                  std::function<double()> value)
      : family_base(std::move(name), std::move(help), std::move(type), {}),
        value_(std::move(value)) {}

 protected:
  void render_samples(std::string& out) const override {
    append_series(out, "", {});
    out += ' ';
    append_value(out, value_());
    out += '\n';
  }

 private:
  std::function<double()> value_;
};

}  // namespace

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, end);
}

histogram::histogram(std::span<const double> upper_bounds)
    : bounds_(upper_bounds.begin(), upper_bounds.end()),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void histogram::observe(double value) {
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) {
    ++i;
  }
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  if (value > 0) {
    sum_micros_.fetch_add(static_cast<std::uint64_t>(std::llround(value * 1e6)),
                          std::memory_order_relaxed);
  }
}

double histogram::sum() const {
  return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
}

std::span<const double> latency_buckets() {
  static constexpr double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                      0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return bounds;
}

family_base::family_base(std::string name, std::string help, std::string type,
                         std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(std::move(type)),
      label_names_(std::move(label_names)) {}

void family_base::render(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  append_help(out, help_);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += type_;
  out += '\n';
  render_samples(out);
}

void family_base::append_series(std::string& out, std::string_view suffix,
                                const std::vector<std::string>& values,
                                std::string_view extra_label, std::string_view extra_value) const {
  out += name_;
  out += suffix;
  if (label_names_.empty() && extra_label.empty()) {
    return;
  }
  out += '{';
  bool first = true;
  for (std::size_t i = 0; i < label_names_.size() && i < values.size(); ++i) {
    if (!first) {
      out += ',';
    }
    first = false;
    out += label_names_[i];
    out += "=\"";
    append_label_value(out, values[i]);
    out += '"';
  }
  if (!extra_label.empty()) {
    if (!first) {
      out += ',';
    }
    out += extra_label;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

template <>
void family<counter>::render_samples(std::string& out) const {
  std::shared_lock lock(mutex_);
  for (const auto& [values, child] : children_) {
    append_series(out, "", values);
    out += ' ';
    out += std::to_string(child->value());
    out += '\n';
  }
}

template <>
void family<gauge>::render_samples(std::string& out) const {
  std::shared_lock lock(mutex_);
  for (const auto& [values, child] : children_) {
    append_series(out, "", values);
    out += ' ';
    out += std::to_string(child->value());
    out += '\n';
  }
}

template <>
void family<histogram>::render_samples(std::string& out) const {
  std::shared_lock lock(mutex_);
  for (const auto& [values, child] : children_) {
    std::uint64_t cumulative = 0;
    auto bounds = child->upper_bounds();
    for (std::size_t i = 0; i <= bounds.size(); ++i) {
      cumulative += child->bucket_count(i);
      std::string le;
      if (i == bounds.size()) {
        le = "+Inf";
      } else {
        append_value(le, bounds[i]);
      }
      append_series(out, "_bucket", values, "le", le);
      out += ' ';
      out += std::to_string(cumulative);
      out += '\n';
    }
    append_series(out, "_sum", values);
    out += ' ';
    append_value(out, child->sum());
    out += '\n';
    append_series(out, "_count", values);
    out += ' ';
    out += std::to_string(cumulative);
    out += '\n';
  }
}

family<counter>& registry::add_counter(std::string name, std::string help,
                                       std::vector<std::string> labels) {
  auto f = std::make_unique<family<counter>>(std::move(name), std::move(help), "counter",
                                             std::move(labels));
  auto& ref = *f;
  std::lock_guard lock(mutex_);
  families_.push_back(std::move(f));
  return ref;
}

family<gauge>& registry::add_gauge(std::string name, std::string help,
                                   std::vector<std::string> labels) {
  auto f =
      std::make_unique<family<gauge>>(std::move(name), std::move(help), "gauge", std::move(labels));
  auto& ref = *f;
  std::lock_guard lock(mutex_);
  families_.push_back(std::move(f));
  return ref;
}

family<histogram>& registry::add_histogram(std::string name, std::string help,
                                           std::vector<std::string> labels,
                                           std::span<const double> bounds) {
  auto f = std::make_unique<family<histogram>>(std::move(name), std::move(help), "histogram",
                                               std::move(labels));
  f->set_child_args(bounds);
  auto& ref = *f;
  std::lock_guard lock(mutex_);
  families_.push_back(std::move(f));
  return ref;
}

void registry::add_computed_gauge(std::string name, std::string help,
                                  std::function<double()> value) {
  std::lock_guard lock(mutex_);
  families_.push_back(std::make_unique<computed_sample>(std::move(name), std::move(help), "gauge",
                                                        std::move(value)));
}

void registry::add_computed_counter(std::string name, std::string help,
                                    std::function<double()> value) {
  std::lock_guard lock(mutex_);
  families_.push_back(std::make_unique<computed_sample>(std::move(name), std::move(help), "counter",
                                                        std::move(value)));
}

std::string registry::render() const {
  std::string out;
  out.reserve(std::size_t{16} * 1024);
  std::lock_guard lock(mutex_);
  for (const auto& f : families_) {
    f->render(out);
  }
  return out;
}

}  // namespace supportd::metrics
