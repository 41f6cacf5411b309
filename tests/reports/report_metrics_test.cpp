// The report's Prometheus counters: the same counts as the day hashes, under labels that stay
// few whatever campaign names arrive.
#include "reports/report_metrics.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace supportd::reports {
namespace {

std::size_t samples(const std::string& exposition, std::string_view name) {
  std::size_t n = 0;
  std::size_t at = 0;
  const std::string start = std::string(name) + "{";
  while ((at = exposition.find(start, at)) != std::string::npos) {
    n += at == 0 || exposition[at - 1] == '\n';
    at += start.size();
  }
  return n;
}

TEST(ReportMetrics, CountsFieldsUnderTheirCampaignComponentAndCurrency) {
  metrics::registry r;
  report_metrics m(r, {"winter", "spring"});
  const report_group g{"winter", "banner", "a", "USD", "month"};
  const std::vector<std::pair<std::string, std::int64_t>> added = {
      {counter_field(g, report_counter::pledges_paid), 1},
      {counter_field(g, report_counter::first_payment_minor), 500},
      {counter_field({"winter", "epic", "", "", ""}, report_counter::reminders_converted), 1}};
  m.count(added);
  m.count(counter_field({"summer", "sidebar", "x", "EUR", "once"}, report_counter::pledges_paid),
          2);
  m.count("not a field", 7);
  const auto text = r.render();
  EXPECT_NE(text.find(R"(supportd_report_events_total{counter="pledges_paid",campaign="winter",)"
                      R"(component="banner"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(supportd_report_first_payment_minor_total{campaign="winter",)"
                      R"(component="banner",currency="USD"} 500)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(supportd_report_events_total{counter="reminders_converted",)"
                      R"(campaign="winter",component="epic"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(supportd_report_events_total{counter="pledges_paid",campaign="other",)"
                      R"(component="other"} 2)"),
            std::string::npos);
  EXPECT_EQ(samples(text, "supportd_report_events_total"), 3u);
}

TEST(ReportMetrics, AThousandCampaignNamesMakeNoMoreLabelSetsThanTheListed) {
  metrics::registry r;
  report_metrics m(r, {"winter"});
  for (int i = 0; i < 1000; ++i) {
    const report_group g{"campaign-" + std::to_string(i),
                         i % 2 ? "banner" : "free-text-" + std::to_string(i),
                         "v" + std::to_string(i), "USD", "once"};
    m.count(counter_field(g, report_counter::pledges_created), 1);
    m.count(counter_field(g, report_counter::first_payment_minor), 100);
  }
  m.count(counter_field({"winter", "banner", "", "USD", "once"}, report_counter::pledges_created),
          1);
  const auto text = r.render();
  // other × {banner, other}, and winter × banner: three label sets per family.
  EXPECT_EQ(samples(text, "supportd_report_events_total"), 3u) << text;
  EXPECT_EQ(samples(text, "supportd_report_first_payment_minor_total"), 2u) << text;
  EXPECT_NE(text.find(R"(supportd_report_events_total{counter="pledges_created",campaign="other",)"
                      R"(component="other"} 500)"),
            std::string::npos);
  EXPECT_EQ(text.find("campaign-1"), std::string::npos);
  EXPECT_EQ(text.find("free-text"), std::string::npos);
  EXPECT_EQ(text.find("v1"), std::string::npos);
}

TEST(ReportMetrics, LabelsForNoneAndUnknown) {
  metrics::registry r;
  report_metrics m(r, {"winter"});
  EXPECT_EQ(m.campaign_label("winter"), "winter");
  EXPECT_EQ(m.campaign_label("Winter"), "other");
  EXPECT_EQ(m.campaign_label(""), "none");
  EXPECT_EQ(component_label("epic"), "epic");
  EXPECT_EQ(component_label("reminder"), "reminder");
  EXPECT_EQ(component_label("https://news.example/"), "other");
  EXPECT_EQ(component_label(""), "none");
}

TEST(ReportMetrics, TheCampaignListIsShortIdentifiersAtMostTwoHundred) {
  std::string why;
  EXPECT_EQ(parse_report_campaigns("", why), std::vector<std::string>{});
  EXPECT_EQ(parse_report_campaigns("winter-26,spring.27", why),
            (std::vector<std::string>{"winter-26", "spring.27"}));
  for (auto bad : {"winter,,spring", "winter,", "win ter", "a|b"}) {
    EXPECT_EQ(parse_report_campaigns(bad, why), std::nullopt) << bad;
    EXPECT_NE(why.find("identifiers"), std::string::npos);
  }
  std::string many;
  for (int i = 0; i < 201; ++i) {
    many += (i ? "," : "") + std::string("c") + std::to_string(i);
  }
  EXPECT_EQ(parse_report_campaigns(many, why), std::nullopt);
  EXPECT_NE(why.find("200"), std::string::npos);
}

}  // namespace
}  // namespace supportd::reports
