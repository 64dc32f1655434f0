// `sesami aggregate`: SES event payloads in (the shapes `sesami parse` reads), the chart
// aggregation out as one line of JSON — the same bytes GET /stats and the wasm package's
// aggregate() produce for the same events, because all three call aggregate() and to_json().
// Filter options are translated to the query parameters GET /events takes and parsed by the same
// filter_from_query, so the CLI and the API cannot disagree on what a filter means.
// The input is read piece by piece and aggregated incrementally (aggregate_stream.hpp): memory is
// bounded by the distinct recipients, links, domains and buckets, not by the input's size.
// Exit status: 0 all parsed, 1 something was rejected (the JSON still covers the rest), 2 usage
// or I/O error.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sesami/aggregate.hpp>
#include <sesami/aggregate_json.hpp>
#include <sesami/aggregate_stream.hpp>
#include <sesami/batch.hpp>
#include <sesami/filter.hpp>
#include <sesami/parse.hpp>

#include "commands.hpp"
#include "stream_input.hpp"

namespace sesami::cli {
namespace {

constexpr const char* aggregate_usage =
    "usage: sesami aggregate [--bucket hour|day|week|month] [--offset MINUTES] [--top N]\n"
    "                        [filter options] [FILE...]\n\n"
    "Reads SES event payloads like `sesami parse` (standard input when there is no FILE or FILE\n"
    "is '-') and prints the chart aggregation as one line of JSON: counts per event type per\n"
    "bucket, totals, unique and machine opens and clicks, recipient statuses, delivery, bounce,\n"
    "complaint, open and click rates with SES's thresholds, top links, top bouncing domains.\n"
    "JSON Lines are read piece by piece: memory grows with the distinct recipients, links and\n"
    "buckets, not with the input's size. --status reads the files twice (not standard input).\n\n"
    "  --bucket B            hour, day (default), week (ISO, from Monday) or month\n"
    "  --offset MINUTES      buckets in local time UTC+MINUTES (-840..840), e.g. 60 or -300\n"
    "  --top N               length of the top lists (default 10)\n\n"
    "Filters (as GET /events; repeat an option for alternatives):\n"
    "  --from ISO8601        events at or after\n"
    "  --to ISO8601          events before\n"
    "  --type T[,T...]       send delivery bounce complaint open click reject delivery_delay\n"
    "                        rendering_failure subscription unknown\n"
    "  --status S[,S...]     recipients whose status is sent delayed delivered opened clicked\n"
    "                        bounced complained rejected failed\n"
    "  --recipient P         an address, *part*, part*, *part, or @domain\n"
    "  --message-id ID\n"
    "  --tag NAME=VALUE\n"
    "  --configuration-set NAME\n"
    "  --machine M           include (default), exclude or only machine opens and clicks\n\n"
    "Exit status: 0 all parsed, 1 something was rejected, 2 usage or I/O error.\n";

// CLI option → the query parameter filter_from_query reads.
constexpr std::pair<std::string_view, std::string_view> filter_options[] = {
    {"--from", "from"},
    {"--to", "to"},
    {"--type", "type"},
    {"--status", "status"},
    {"--recipient", "recipient"},
    {"--message-id", "messageId"},
    {"--tag", "tag"},
    {"--configuration-set", "configurationSet"},
    {"--machine", "machine"},
};

int usage_error(const std::string& message) {
  std::fprintf(stderr, "sesami aggregate: %s\nRun 'sesami aggregate --help' for the options.\n",
               message.c_str());
  return 2;
}

bool parse_int(std::string_view s, long long& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  const std::string text(s);
  errno = 0;
  out = std::strtoll(text.c_str(), &end, 10);
  return errno == 0 && end == text.c_str() + text.size();
}

}  // namespace

int run_aggregate(args a) {
  std::vector<std::string_view> files;
  std::vector<query_param> params;
  aggregate_options options;
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::string_view arg = a[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(aggregate_usage, stdout);
      return 0;
    }
    if (arg == "-" || arg.size() < 2 || arg.front() != '-') {
      files.push_back(arg);
      continue;
    }
    // --name=value or --name value
    std::string_view value;
    bool has_value = false;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    } else if (i + 1 < a.size()) {
      value = a[i + 1];
      has_value = true;
      ++i;
    }
    if (!has_value) return usage_error("option " + std::string(arg) + " needs a value");
    if (arg == "--bucket") {
      const auto b = parse_bucket(value);
      if (!b) return usage_error("--bucket: expected hour, day, week or month");
      options.bucket = *b;
    } else if (arg == "--offset") {
      long long m = 0;
      if (!parse_int(value, m) || m < -max_offset_minutes || m > max_offset_minutes)
        return usage_error("--offset: expected minutes between -840 and 840");
      options.offset_minutes = static_cast<int>(m);
    } else if (arg == "--top") {
      long long n = 0;
      if (!parse_int(value, n) || n < 0 || n > 10'000)
        return usage_error("--top: expected a count between 0 and 10000");
      options.top = static_cast<std::size_t>(n);
    } else {
      bool known = false;
      for (const auto& [option, key] : filter_options)
        if (arg == option) {
          params.emplace_back(key, value);
          known = true;
        }
      if (!known) return usage_error("unknown option '" + std::string(arg) + "'");
    }
  }
  auto f = filter_from_query(params);
  if (!f) return usage_error(f.error().message);
  if (files.empty()) files.push_back("-");

  // Piece by piece: each piece's events become a batch, aggregated into state bounded by the
  // distinct pairs, links, domains and buckets (aggregate_stream.hpp), then dropped.
  auto agg = aggregate_stream::make(*f, options);
  if (!agg) return usage_error(agg.error().message);
  const bool two_passes = agg->needs_two_passes();
  if (two_passes)
    for (const std::string_view file : files)
      if (file == "-")
        return usage_error(
            "--status reads the input twice (a recipient's status is known only at the end): "
            "give files, not standard input");
  auto piece_batch = [&](batch_result& res, batch& out) {
    batch_builder builder;
    if (auto r = builder.add(res.events); !r) {
      std::fprintf(stderr, "sesami aggregate: %s\n", r.error().message.c_str());
      return false;
    }
    out = builder.finish();
    return true;
  };
  batch piece;
  if (two_passes) {
    const stream_outcome first = stream_events(
        "aggregate", files,
        [&](batch_result& res) {
          if (!piece_batch(res, piece)) return false;
          agg->learn(piece);
          return true;
        },
        /*report=*/false);
    if (first.failed) return 2;
  }
  const stream_outcome r = stream_events("aggregate", files, [&](batch_result& res) {
    if (!piece_batch(res, piece)) return false;
    agg->add(piece);
    return true;
  });
  if (r.failed) return 2;
  auto result = agg->finish();
  if (!result) return usage_error(result.error().message);
  std::string out = to_json(*result);
  out += '\n';
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
    std::fprintf(stderr, "sesami aggregate: write error on standard output\n");
    return 2;
  }
  return r.rejected ? 1 : 0;
}

}  // namespace sesami::cli
